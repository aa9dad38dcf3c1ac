/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sizedfree: wall time of mallocx(32)+dallocx against mallocx(32)+
 * sdallocx(p, 32, 0), the free and the sized free of jemalloc's interface,
 * in one process, alternating the two loops `rounds' times so that both
 * see the same machine state.  The functions are found with dlsym, so the
 * program runs under any preloaded allocator that has them (domalloc,
 * jemalloc) and says so where they are missing.  Not a workload of the
 * suite: a tool for the sized-free figure (README, "Sized free").
 *
 *   LD_PRELOAD=obj/lib/libdomalloc/libdomalloc.so \
 *       obj/tests/bench/sizedfree n=100000000 rounds=5
 *
 * prints the nanoseconds per pair of each round and the medians.
 */
#include <dlfcn.h>
#include <stdbool.h>

#include "bench.h"

#define	MAXROUNDS	32

static long n = 50000000;
static long rounds = 5;

static const struct bench_opt opts[] = {
	{ "n", &n, "pairs per loop" },
	{ "rounds", &rounds, "alternations of the two loops" },
	{ NULL, NULL, NULL }
};

static const char *modes[] = { "both", NULL };

static void *(*mx)(size_t, int);
static void (*dx)(void *, int);
static void (*sdx)(void *, size_t, int);

static double
loop(bool sized)
{
	uint64_t t0;
	void *p;
	long i;

	t0 = bench_now_ns();
	if (sized) {
		for (i = 0; i < n; i++) {
			p = mx(32, 0);
			bench_escape(p);
			sdx(p, 32, 0);
		}
	} else {
		for (i = 0; i < n; i++) {
			p = mx(32, 0);
			bench_escape(p);
			dx(p, 0);
		}
	}
	return ((double)(bench_now_ns() - t0) / (double)n);
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

int
main(int argc, char **argv)
{
	double d[MAXROUNDS], s[MAXROUNDS];
	void *keep;
	long r;

	(void)bench_args(argc, argv, opts, modes);
	if (n <= 0 || rounds <= 0 || rounds > MAXROUNDS)
		bench_die(2, "bad parameters");
	mx = (void *(*)(size_t, int))dlsym(RTLD_DEFAULT, "mallocx");
	dx = (void (*)(void *, int))dlsym(RTLD_DEFAULT, "dallocx");
	sdx = (void (*)(void *, size_t, int))dlsym(RTLD_DEFAULT, "sdallocx");
	if (mx == NULL || dx == NULL || sdx == NULL) {
		printf("sizedfree: no mallocx/dallocx/sdallocx here\n");
		return (0);
	}
	keep = mx(32, 0);
	bench_escape(keep);
	for (r = 0; r < rounds; r++) {
		d[r] = loop(false);
		s[r] = loop(true);
		printf("round %ld: dallocx %.3f ns, sdallocx %.3f ns per pair\n",
		    r + 1, d[r], s[r]);
	}
	dx(keep, 0);
	qsort(d, (size_t)rounds, sizeof(d[0]), cmp);
	qsort(s, (size_t)rounds, sizeof(s[0]), cmp);
	printf("median: dallocx %.3f ns, sdallocx %.3f ns per pair "
	    "(sdallocx/dallocx %.3f)\n", d[rounds / 2], s[rounds / 2],
	    s[rounds / 2] / d[rounds / 2]);
	return (0);
}
