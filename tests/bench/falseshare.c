/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * falseshare: does the allocator make threads share cache lines they never
 * meant to share?  Two patterns, after the cache-thrash and cache-scratch
 * benchmarks.  mode=thrash: every thread repeatedly allocates a small
 * object, writes it many times and frees it; an allocator that carves the
 * objects of different threads from one cache line makes the writes
 * ping-pong the line between cores.  mode=scratch: the main thread first
 * allocates one small object per thread, side by side, and hands one to
 * each thread, which frees it (a remote free) and then runs the thrash
 * loop; an allocator that recycles the freed object into the freeing
 * thread's cache gives the threads neighbouring objects of the main
 * thread's line for the whole run.  The writes are byte increments whose
 * final value every thread checks.
 *
 * Locking: none; each thread writes only its own objects.
 */

#include <pthread.h>

#include "bench.h"

static const char *modes[] = { "thrash", "scratch", NULL };

static long threads = 2;
static long objsize = 8;
static long iters = 1000;
static long inner = 20000;
static int scratch;

static const struct bench_opt opts[] = {
	{ "threads", &threads, "threads writing at once" },
	{ "size", &objsize, "object size in bytes" },
	{ "iters", &iters, "allocations per thread" },
	{ "inner", &inner, "write passes over each object" },
	{ NULL, NULL, NULL }
};

struct worker {
	pthread_t	 thr;
	unsigned char	*handed;	/* scratch mode: object to free first */
};

static void *
worker_main(void *arg)
{
	struct worker *w;
	volatile unsigned char *v;
	unsigned char *p;
	long i, j, k, n, m;

	/*
	 * Locals, not the globals: stores through a volatile char pointer
	 * may alias anything, so the globals would be reloaded on every
	 * write and the timing would depend on where the object lands
	 * relative to them (4 KiB aliasing) rather than on cache lines.
	 */
	n = objsize;
	m = inner;
	w = arg;
	if (w->handed != NULL) {
		for (k = 0; k < objsize; k++)
			if (w->handed[k] != (unsigned char)(k + 1))
				bench_die(BENCH_EXIT_CORRUPT,
				    "scratch: handed object is corrupt");
		free(w->handed);
	}
	for (i = 0; i < iters; i++) {
		p = bench_nonnull(malloc((size_t)n), (size_t)n);
		memset(p, 0, (size_t)n);
		v = p;
		for (j = 0; j < m; j++)
			for (k = 0; k < n; k++)
				v[k]++;
		for (k = 0; k < n; k++)
			if (p[k] != (unsigned char)m)
				bench_die(BENCH_EXIT_CORRUPT,
				    "falseshare: object %p is corrupt",
				    (void *)p);
		free(p);
	}
	return (NULL);
}

int
main(int argc, char **argv)
{
	struct worker *w;
	uint64_t t0;
	long i, k;
	int error;
	char name[32];

	scratch = strcmp(bench_args(argc, argv, opts, modes), "scratch") == 0;
	if (threads < 1 || objsize < 1 || iters < 1 || inner < 1)
		bench_die(2, "bad parameters");
	t0 = bench_now_ns();
	w = bench_nonnull(calloc((size_t)threads, sizeof(*w)),
	    (size_t)threads * sizeof(*w));
	if (scratch) {
		/* Allocated back to back, so likely in one cache line. */
		for (i = 0; i < threads; i++) {
			w[i].handed = bench_nonnull(malloc((size_t)objsize),
			    (size_t)objsize);
			for (k = 0; k < objsize; k++)
				w[i].handed[k] = (unsigned char)(k + 1);
		}
	}
	for (i = 0; i < threads; i++) {
		error = pthread_create(&w[i].thr, NULL, worker_main, &w[i]);
		if (error != 0)
			bench_die(1, "pthread_create: %s", strerror(error));
	}
	for (i = 0; i < threads; i++)
		pthread_join(w[i].thr, NULL);
	free(w);
	snprintf(name, sizeof(name), "cache-%s", scratch ? "scratch" :
	    "thrash");
	bench_result(name, (uint64_t)threads * (uint64_t)iters *
	    (uint64_t)inner * (uint64_t)objsize, bench_now_ns() - t0, NULL);
	return (0);
}
