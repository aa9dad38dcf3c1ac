/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * fastpath_instr: the loop that the runner counts instructions of under
 * callgrind.  It runs n iterations of malloc(32) followed by free of the
 * same pointer.  With mode=keep1 one other 32-byte object stays live for
 * the whole loop (the usual steady state: the size class is in use), with
 * mode=keep0 nothing else of that size is live (so an allocator that
 * empties a slab or a cache bin on the last free shows it).  The runner
 * runs it with two values of n and divides the difference in instruction
 * counts by the difference in n, so start-up and exit costs cancel out.
 * mode=sized is keep1 with sdallocx(p, 32, 0) for free: the sized free
 * of jemalloc's interface, found with dlsym; an allocator without it
 * makes the program exit with status 3 (the runner shows "-").
 * mode=large is keep0 with malloc(100000): a page run (100 KB, above
 * every small class) that is alone in its superpage, so an allocator
 * that gives the superpage back on each free, or that does not cache
 * runs of this size in the thread, shows it.
 * Single thread, no locking.
 */

#include <dlfcn.h>

#include "bench.h"

static const char *modes[] = { "keep1", "keep0", "sized", "large", NULL };

static long n = 1000000;
static void (*sdallocx_fn)(void *, size_t, int);

static const struct bench_opt opts[] = {
	{ "n", &n, "malloc/free pairs" },
	{ NULL, NULL, NULL }
};

int
main(int argc, char **argv)
{
	const char *mode;
	void *keep, *p;
	uint64_t t0;
	size_t size;
	long i;
	char name[40];

	mode = bench_args(argc, argv, opts, modes);
	if (n < 0)
		bench_die(2, "bad parameters");
	keep = NULL;
	size = strcmp(mode, "large") == 0 ? 100000 : 32;
	if (strcmp(mode, "sized") == 0) {
		sdallocx_fn = (void (*)(void *, size_t, int))dlsym(
		    RTLD_DEFAULT, "sdallocx");
		if (sdallocx_fn == NULL) {
			fprintf(stderr, "fastpath_instr: no sdallocx\n");
			return (3);
		}
	}
	if (strcmp(mode, "keep0") != 0 && strcmp(mode, "large") != 0) {
		keep = bench_nonnull(malloc(32), 32);
		bench_escape(keep);
	}
	t0 = bench_now_ns();
	/* Two loops, so that the plain one is what it always was. */
	if (sdallocx_fn == NULL) {
		for (i = 0; i < n; i++) {
			p = malloc(size);
			if (p == NULL)
				bench_die(BENCH_EXIT_NOMEM, "malloc failed");
			bench_escape(p);
			free(p);
		}
	} else {
		for (i = 0; i < n; i++) {
			p = malloc(32);
			if (p == NULL)
				bench_die(BENCH_EXIT_NOMEM, "malloc failed");
			bench_escape(p);
			sdallocx_fn(p, 32, 0);
		}
	}
	t0 = bench_now_ns() - t0;
	free(keep);
	snprintf(name, sizeof(name), "fastpath_instr-%s", mode);
	bench_result(name, (uint64_t)n, t0, NULL);
	return (0);
}
