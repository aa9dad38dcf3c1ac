/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * xmalloc: producer/consumer in the manner of the xmalloc-test benchmark.
 * In each pair one thread only allocates and the other only frees, so every
 * free is a remote free of memory that another thread's cache handed out:
 * the case that message-passing and remote-free designs are built for, and
 * the one that lets memory pile up in the wrong cache if an allocator gets
 * it wrong.  Objects travel in batches (themselves malloced by the producer
 * and freed by the consumer) through a bounded single-producer
 * single-consumer ring, so the live set stays bounded.  The consumer checks
 * every object before it frees it.
 *
 * Locking: none; each ring has one writer of head and one writer of tail,
 * published with release stores and read with acquire loads.
 */

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "bench.h"

static long pairs = 1;
static long objs = 10000000;
static long batch = 64;
static long depth = 64;
static long minsize = 8;
static long maxsize = 512;
static long seed = 1;

static const struct bench_opt opts[] = {
	{ "pairs", &pairs, "producer/consumer pairs" },
	{ "objs", &objs, "objects each producer allocates" },
	{ "batch", &batch, "objects per batch" },
	{ "depth", &depth, "batches a ring holds" },
	{ "min", &minsize, "smallest object size" },
	{ "max", &maxsize, "largest object size" },
	{ "seed", &seed, "PRNG seed" },
	{ NULL, NULL, NULL }
};

struct batch {
	long		 n;
	void		*obj[];
};

struct ring {
	_Atomic(unsigned long)	 head;	/* next slot to fill; producer */
	char			 pad1[64];
	_Atomic(unsigned long)	 tail;	/* next slot to drain; consumer */
	char			 pad2[64];
	struct batch		**slot;
	uint64_t		 seed;
	uint64_t		 freed;
	pthread_t		 prod, cons;
};

static void *
producer_main(void *arg)
{
	struct ring *r;
	struct bench_rng rng;
	struct batch *b;
	unsigned long h;
	size_t size, bsize;
	long left, n, i;

	r = arg;
	bench_rng_seed(&rng, r->seed);
	bsize = sizeof(*b) + (size_t)batch * sizeof(void *);
	/* b belongs to the consumer once published: keep n to ourselves. */
	for (left = objs; left > 0; left -= n) {
		n = left < batch ? left : batch;
		b = bench_nonnull(malloc(bsize), bsize);
		b->n = n;
		for (i = 0; i < n; i++) {
			size = bench_rng_range(&rng, (size_t)minsize,
			    (size_t)maxsize);
			b->obj[i] = bench_nonnull(malloc(size), size);
			bench_fill(b->obj[i], size,
			    (uint32_t)bench_rng_next(&rng));
		}
		h = atomic_load_explicit(&r->head, memory_order_relaxed);
		while (h - atomic_load_explicit(&r->tail,
		    memory_order_acquire) >= (unsigned long)depth)
			sched_yield();
		r->slot[h % (unsigned long)depth] = b;
		atomic_store_explicit(&r->head, h + 1, memory_order_release);
	}
	/* An empty batch pointer tells the consumer to stop. */
	h = atomic_load_explicit(&r->head, memory_order_relaxed);
	while (h - atomic_load_explicit(&r->tail, memory_order_acquire) >=
	    (unsigned long)depth)
		sched_yield();
	r->slot[h % (unsigned long)depth] = NULL;
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return (NULL);
}

static void *
consumer_main(void *arg)
{
	struct ring *r;
	struct batch *b;
	unsigned long t;
	long i;

	r = arg;
	for (;;) {
		t = atomic_load_explicit(&r->tail, memory_order_relaxed);
		while (atomic_load_explicit(&r->head, memory_order_acquire) ==
		    t)
			sched_yield();
		b = r->slot[t % (unsigned long)depth];
		atomic_store_explicit(&r->tail, t + 1, memory_order_release);
		if (b == NULL)
			break;
		for (i = 0; i < b->n; i++) {
			bench_check(b->obj[i], 0, 0, "xmalloc");
			free(b->obj[i]);
		}
		r->freed += (uint64_t)b->n;
		free(b);
	}
	return (NULL);
}

int
main(int argc, char **argv)
{
	struct bench_rng rng;
	struct ring *rings;
	uint64_t t0, total;
	long i;
	int error;

	bench_args(argc, argv, opts, NULL);
	if (pairs < 1 || objs < 1 || batch < 1 || depth < 1 || minsize < 8 ||
	    maxsize < minsize)
		bench_die(2, "bad parameters (min must be at least 8)");
	bench_rng_seed(&rng, (uint64_t)seed);
	rings = bench_nonnull(calloc((size_t)pairs, sizeof(*rings)),
	    (size_t)pairs * sizeof(*rings));
	t0 = bench_now_ns();
	for (i = 0; i < pairs; i++) {
		rings[i].slot = bench_nonnull(calloc((size_t)depth,
		    sizeof(struct batch *)), (size_t)depth * sizeof(void *));
		rings[i].seed = bench_rng_next(&rng);
		atomic_init(&rings[i].head, 0);
		atomic_init(&rings[i].tail, 0);
		error = pthread_create(&rings[i].cons, NULL, consumer_main,
		    &rings[i]);
		if (error == 0)
			error = pthread_create(&rings[i].prod, NULL,
			    producer_main, &rings[i]);
		if (error != 0)
			bench_die(1, "pthread_create: %s", strerror(error));
	}
	total = 0;
	for (i = 0; i < pairs; i++) {
		pthread_join(rings[i].prod, NULL);
		pthread_join(rings[i].cons, NULL);
		if (rings[i].freed != (uint64_t)objs)
			bench_die(1, "pair %ld freed %llu of %ld objects", i,
			    (unsigned long long)rings[i].freed, objs);
		total += rings[i].freed;
		free(rings[i].slot);
	}
	free(rings);
	bench_result("xmalloc", total, bench_now_ns() - t0, NULL);
	return (0);
}
