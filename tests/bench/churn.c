/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * churn: single-thread churn of mixed sizes, in the manner of alloc-test.
 * A live array of "live" objects is filled and then replaced at random,
 * one slot per step, with sizes drawn from four ranges at once: 8-64 B,
 * 65-512 B, 513 B-4 KiB and 4 KiB+1-32 KiB, each range chosen with its
 * own weight (w8, w64, w512, w4k; uniform within a range).  So many size
 * classes are live together and every free lands in a different class
 * than the allocation that follows it, which is what a program that
 * handles records, strings and buffers of every size does; the thread
 * cache sees no run of one class.  With threads > 1 each thread has an
 * array of its own (no sharing).  Every object is checked before it is
 * freed.
 *
 * Locking: none; nothing is shared between the threads.
 */

#include <pthread.h>

#include "bench.h"

static long threads = 1;
static long live = 30000;
static long ops = 2000000;
static long w8 = 50;
static long w64 = 30;
static long w512 = 15;
static long w4k = 5;
static long seed = 1;

static const struct bench_opt opts[] = {
	{ "threads", &threads, "threads, each with its own array" },
	{ "live", &live, "live objects per thread" },
	{ "ops", &ops, "replacements per thread" },
	{ "w8", &w8, "weight of sizes 8-64 B" },
	{ "w64", &w64, "weight of sizes 64-512 B" },
	{ "w512", &w512, "weight of sizes 512 B-4 KiB" },
	{ "w4k", &w4k, "weight of sizes 4-32 KiB" },
	{ "seed", &seed, "PRNG seed" },
	{ NULL, NULL, NULL }
};

static const size_t range_lo[4] = { 8, 65, 513, 4097 };
static const size_t range_hi[4] = { 64, 512, 4096, 32768 };

struct worker {
	pthread_t	 thr;
	uint64_t	 seed;
	uint64_t	 bytes;
};

static size_t
pick_size(struct bench_rng *rng)
{
	long u;
	int i;

	u = (long)bench_rng_below(rng, (uint64_t)(w8 + w64 + w512 + w4k));
	i = u < w8 ? 0 : u < w8 + w64 ? 1 : u < w8 + w64 + w512 ? 2 : 3;
	return (bench_rng_range(rng, range_lo[i], range_hi[i]));
}

static void *
worker_main(void *arg)
{
	struct worker *w;
	struct bench_rng rng;
	void **obj;
	size_t size;
	long i, k;

	w = arg;
	bench_rng_seed(&rng, w->seed);
	obj = bench_nonnull(malloc((size_t)live * sizeof(*obj)),
	    (size_t)live * sizeof(*obj));
	for (k = 0; k < live; k++) {
		size = pick_size(&rng);
		obj[k] = bench_nonnull(malloc(size), size);
		bench_fill(obj[k], size, (uint32_t)bench_rng_next(&rng));
		w->bytes += size;
	}
	for (i = 0; i < ops; i++) {
		k = (long)bench_rng_below(&rng, (uint64_t)live);
		w->bytes -= bench_check(obj[k], 0, 0, "churn");
		free(obj[k]);
		size = pick_size(&rng);
		obj[k] = bench_nonnull(malloc(size), size);
		bench_fill(obj[k], size, (uint32_t)bench_rng_next(&rng));
		w->bytes += size;
	}
	for (k = 0; k < live; k++) {
		w->bytes -= bench_check(obj[k], 0, 0, "churn");
		free(obj[k]);
	}
	free(obj);
	return (NULL);
}

int
main(int argc, char **argv)
{
	struct bench_rng rng;
	struct worker *w;
	uint64_t t0;
	long i;
	int error;

	bench_args(argc, argv, opts, NULL);
	if (threads < 1 || live < 1 || ops < 1 || w8 < 0 || w64 < 0 ||
	    w512 < 0 || w4k < 0 || w8 + w64 + w512 + w4k < 1)
		bench_die(2, "bad parameters (weights must not all be 0)");
	bench_rng_seed(&rng, (uint64_t)seed);
	t0 = bench_now_ns();
	w = bench_nonnull(calloc((size_t)threads, sizeof(*w)),
	    (size_t)threads * sizeof(*w));
	for (i = 0; i < threads; i++) {
		w[i].seed = bench_rng_next(&rng);
		if (threads == 1)
			break;
		error = pthread_create(&w[i].thr, NULL, worker_main, &w[i]);
		if (error != 0)
			bench_die(1, "pthread_create: %s", strerror(error));
	}
	/* One thread runs in main: no thread is created at all. */
	if (threads == 1)
		worker_main(&w[0]);
	for (i = 0; i < threads && threads > 1; i++)
		pthread_join(w[i].thr, NULL);
	for (i = 0; i < threads; i++)
		if (w[i].bytes != 0)
			bench_die(1, "thread %ld: %llu bytes unaccounted for",
			    i, (unsigned long long)w[i].bytes);
	free(w);
	bench_result("churn", (uint64_t)(threads * ops), bench_now_ns() - t0,
	    NULL);
	return (0);
}
