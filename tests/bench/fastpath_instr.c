/*
 * fastpath_instr: the loop that the runner counts instructions of under
 * callgrind.  It runs n iterations of malloc(32) followed by free of the
 * same pointer.  With mode=keep1 one other 32-byte object stays live for
 * the whole loop (the usual steady state: the size class is in use), with
 * mode=keep0 nothing else of that size is live (so an allocator that
 * empties a slab or a cache bin on the last free shows it).  The runner
 * runs it with two values of n and divides the difference in instruction
 * counts by the difference in n, so start-up and exit costs cancel out.
 * Single thread, no locking.
 */

#include "bench.h"

static const char *modes[] = { "keep1", "keep0", NULL };

static long n = 1000000;

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
	long i;
	char name[40];

	mode = bench_args(argc, argv, opts, modes);
	if (n < 0)
		bench_die(2, "bad parameters");
	keep = NULL;
	if (strcmp(mode, "keep1") == 0) {
		keep = bench_nonnull(malloc(32), 32);
		bench_escape(keep);
	}
	t0 = bench_now_ns();
	for (i = 0; i < n; i++) {
		p = malloc(32);
		if (p == NULL)
			bench_die(BENCH_EXIT_NOMEM, "malloc(32) failed");
		bench_escape(p);
		free(p);
	}
	t0 = bench_now_ns() - t0;
	free(keep);
	snprintf(name, sizeof(name), "fastpath_instr-%s", mode);
	bench_result(name, (uint64_t)n, t0, NULL);
	return (0);
}
