/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * mstress: random allocation, free and realloc across threads, in the
 * spirit of mimalloc-bench's mstress.  All threads share one array of
 * slots.  A step takes the object out of a random slot (an atomic
 * exchange, so it may have been allocated by any thread), checks it, and
 * then either reallocs it to a new size or frees it and allocates a fresh
 * one, and puts the result back; whatever another thread left in the slot
 * meanwhile is checked and freed.  Sizes are log-uniform from 8 bytes to
 * 8 KiB, with one object in a hundred between 8 KiB and 256 KiB.  Threads
 * run in several generations, so thread exit with a full cache is
 * exercised too.
 *
 * Locking: none; a slot's object is owned by whoever exchanged it out.
 */

#include <pthread.h>
#include <stdatomic.h>

#include "bench.h"

static long threads = 2;
static long slots = 20000;
static long ops = 2000000;
static long gens = 4;
static long seed = 1;

static const struct bench_opt opts[] = {
	{ "threads", &threads, "threads running at once" },
	{ "slots", &slots, "shared slots" },
	{ "ops", &ops, "steps per thread per generation" },
	{ "gens", &gens, "thread generations" },
	{ "seed", &seed, "PRNG seed" },
	{ NULL, NULL, NULL }
};

static _Atomic(void *) *slot;

struct worker {
	pthread_t	 thr;
	uint64_t	 seed;
	uint64_t	 ops;
};

static size_t
pick_size(struct bench_rng *rng)
{

	if (bench_rng_below(rng, 100) == 0)
		return (bench_rng_logsize(rng, 8192, 262144));
	return (bench_rng_logsize(rng, 8, 8192));
}

static void *
fresh(struct bench_rng *rng)
{
	void *p;
	size_t size;

	size = pick_size(rng);
	p = bench_nonnull(malloc(size), size);
	bench_fill(p, size, (uint32_t)bench_rng_next(rng));
	return (p);
}

static void *
worker_main(void *arg)
{
	struct worker *w;
	struct bench_rng rng;
	uint32_t hdr[2];
	void *p, *q;
	size_t size;
	long i, k;

	w = arg;
	bench_rng_seed(&rng, w->seed);
	for (i = 0; i < ops; i++) {
		k = (long)bench_rng_below(&rng, (uint64_t)slots);
		p = atomic_exchange_explicit(&slot[k], NULL,
		    memory_order_acquire);
		if (p == NULL)
			p = fresh(&rng);
		else if (bench_rng_below(&rng, 3) == 0) {
			bench_check(p, 0, 0, "mstress");
			memcpy(hdr, p, sizeof(hdr));
			size = pick_size(&rng);
			q = bench_nonnull(realloc(p, size), size);
			bench_check_prefix(q, hdr[0], size, hdr[1],
			    "mstress");
			bench_fill(q, size, (uint32_t)bench_rng_next(&rng));
			p = q;
		} else {
			bench_check(p, 0, 0, "mstress");
			free(p);
			p = fresh(&rng);
		}
		q = atomic_exchange_explicit(&slot[k], p,
		    memory_order_acq_rel);
		if (q != NULL) {
			bench_check(q, 0, 0, "mstress");
			free(q);
		}
	}
	w->ops = (uint64_t)ops;
	return (NULL);
}

int
main(int argc, char **argv)
{
	struct bench_rng rng;
	struct worker *w;
	uint64_t t0, total;
	void *p;
	long g, i;
	int error;

	bench_args(argc, argv, opts, NULL);
	if (threads < 1 || slots < 1 || ops < 1 || gens < 1)
		bench_die(2, "bad parameters");
	bench_rng_seed(&rng, (uint64_t)seed);
	t0 = bench_now_ns();
	slot = bench_nonnull(calloc((size_t)slots, sizeof(*slot)),
	    (size_t)slots * sizeof(*slot));
	w = bench_nonnull(calloc((size_t)threads, sizeof(*w)),
	    (size_t)threads * sizeof(*w));
	total = 0;
	for (g = 0; g < gens; g++) {
		for (i = 0; i < threads; i++) {
			w[i].seed = bench_rng_next(&rng);
			error = pthread_create(&w[i].thr, NULL, worker_main,
			    &w[i]);
			if (error != 0)
				bench_die(1, "pthread_create: %s",
				    strerror(error));
		}
		for (i = 0; i < threads; i++) {
			pthread_join(w[i].thr, NULL);
			total += w[i].ops;
		}
	}
	for (i = 0; i < slots; i++) {
		p = atomic_load(&slot[i]);
		if (p != NULL) {
			bench_check(p, 0, 0, "mstress");
			free(p);
		}
	}
	free(w);
	free(slot);
	bench_result("mstress", total, bench_now_ns() - t0, NULL);
	return (0);
}
