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
 * every object before it frees it.  With producers=P consumers=C (instead
 * of pairs) there is a ring from every producer to every consumer: a
 * producer deals its batches out to the consumers in turn, skipping a
 * consumer whose ring is full, and a consumer serves its rings in turn, so
 * one producer can feed several consumers (the shape where freed memory
 * must find its way back from many threads to one) or several producers
 * one consumer.
 *
 * Locking: none; each ring has one writer of head and one writer of tail,
 * published with release stores and read with acquire loads.
 */

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "bench.h"

static long pairs = 1;
static long producers = 0;
static long consumers = 0;
static long objs = 10000000;
static long batch = 64;
static long depth = 64;
static long minsize = 8;
static long maxsize = 512;
static long seed = 1;

static const struct bench_opt opts[] = {
	{ "pairs", &pairs, "producer/consumer pairs" },
	{ "producers", &producers, "producers, each feeding every consumer "
	    "(with consumers; replaces pairs)" },
	{ "consumers", &consumers, "consumers (with producers)" },
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
};

/* A thread and the rings it writes (producer) or reads (consumer). */
struct end {
	pthread_t		 thr;
	struct ring		**ring;
	long			 nring;
	uint64_t		 seed;
	uint64_t		 freed;
};

static int
ring_put(struct ring *r, struct batch *b)
{
	unsigned long h;

	h = atomic_load_explicit(&r->head, memory_order_relaxed);
	if (h - atomic_load_explicit(&r->tail, memory_order_acquire) >=
	    (unsigned long)depth)
		return (0);
	r->slot[h % (unsigned long)depth] = b;
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return (1);
}

/* Put b in the next ring in turn that has room, from *next on. */
static void
deal(struct end *e, long *next, struct batch *b)
{
	long i;

	for (;;) {
		for (i = 0; i < e->nring; i++) {
			if (ring_put(e->ring[*next], b)) {
				*next = (*next + 1) % e->nring;
				return;
			}
			*next = (*next + 1) % e->nring;
		}
		sched_yield();
	}
}

static void *
producer_main(void *arg)
{
	struct end *e;
	struct bench_rng rng;
	struct batch *b;
	size_t size, bsize;
	long left, n, i, next;

	e = arg;
	bench_rng_seed(&rng, e->seed);
	bsize = sizeof(*b) + (size_t)batch * sizeof(void *);
	next = 0;
	/* b belongs to a consumer once published: keep n to ourselves. */
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
		deal(e, &next, b);
	}
	/* An empty batch pointer in each ring tells its consumer to stop. */
	for (i = 0; i < e->nring; i++)
		while (!ring_put(e->ring[i], NULL))
			sched_yield();
	return (NULL);
}

static void *
consumer_main(void *arg)
{
	struct end *e;
	struct ring *r;
	struct batch *b;
	unsigned long t;
	long i, k, open, idle;

	e = arg;
	open = e->nring;
	idle = 0;
	for (k = 0; open > 0; k = (k + 1) % e->nring) {
		r = e->ring[k];
		if (r != NULL)
			t = atomic_load_explicit(&r->tail,
			    memory_order_relaxed);
		if (r == NULL || atomic_load_explicit(&r->head,
		    memory_order_acquire) == t) {
			/* Yield only once every ring was found empty
			 * or closed. */
			if (++idle >= e->nring) {
				sched_yield();
				idle = 0;
			}
			continue;
		}
		idle = 0;
		b = r->slot[t % (unsigned long)depth];
		atomic_store_explicit(&r->tail, t + 1, memory_order_release);
		if (b == NULL) {
			/* This producer is done: do not read the ring again. */
			e->ring[k] = NULL;
			open--;
			continue;
		}
		for (i = 0; i < b->n; i++) {
			bench_check(b->obj[i], 0, 0, "xmalloc");
			free(b->obj[i]);
		}
		e->freed += (uint64_t)b->n;
		free(b);
	}
	return (NULL);
}

static void
start(struct end *e, void *(*fn)(void *))
{
	int error;

	error = pthread_create(&e->thr, NULL, fn, e);
	if (error != 0)
		bench_die(1, "pthread_create: %s", strerror(error));
}

int
main(int argc, char **argv)
{
	struct bench_rng rng;
	struct ring *rings;
	struct end *prod, *cons;
	uint64_t t0, total;
	long i, j, nring, nprod, ncons;
	int matrix;

	bench_args(argc, argv, opts, NULL);
	matrix = producers != 0 || consumers != 0;
	nprod = matrix ? producers : pairs;
	ncons = matrix ? consumers : pairs;
	if (nprod < 1 || ncons < 1 || objs < 1 || batch < 1 || depth < 1 ||
	    minsize < 8 || maxsize < minsize)
		bench_die(2, "bad parameters (min must be at least 8; "
		    "producers and consumers go together)");
	bench_rng_seed(&rng, (uint64_t)seed);
	/* pairs: ring i joins producer i and consumer i; else all to all. */
	nring = matrix ? nprod * ncons : nprod;
	rings = bench_nonnull(calloc((size_t)nring, sizeof(*rings)),
	    (size_t)nring * sizeof(*rings));
	prod = bench_nonnull(calloc((size_t)nprod, sizeof(*prod)),
	    (size_t)nprod * sizeof(*prod));
	cons = bench_nonnull(calloc((size_t)ncons, sizeof(*cons)),
	    (size_t)ncons * sizeof(*cons));
	t0 = bench_now_ns();
	for (i = 0; i < nring; i++) {
		rings[i].slot = bench_nonnull(calloc((size_t)depth,
		    sizeof(struct batch *)), (size_t)depth * sizeof(void *));
		atomic_init(&rings[i].head, 0);
		atomic_init(&rings[i].tail, 0);
	}
	for (i = 0; i < nprod; i++) {
		prod[i].nring = matrix ? ncons : 1;
		prod[i].ring = bench_nonnull(calloc((size_t)prod[i].nring,
		    sizeof(struct ring *)), (size_t)prod[i].nring *
		    sizeof(struct ring *));
		for (j = 0; j < prod[i].nring; j++)
			prod[i].ring[j] = &rings[matrix ? i * ncons + j : i];
		prod[i].seed = bench_rng_next(&rng);
	}
	for (i = 0; i < ncons; i++) {
		cons[i].nring = matrix ? nprod : 1;
		cons[i].ring = bench_nonnull(calloc((size_t)cons[i].nring,
		    sizeof(struct ring *)), (size_t)cons[i].nring *
		    sizeof(struct ring *));
		for (j = 0; j < cons[i].nring; j++)
			cons[i].ring[j] = &rings[matrix ? j * ncons + i : i];
	}
	for (i = 0; i < ncons; i++)
		start(&cons[i], consumer_main);
	for (i = 0; i < nprod; i++)
		start(&prod[i], producer_main);
	for (i = 0; i < nprod; i++)
		pthread_join(prod[i].thr, NULL);
	total = 0;
	for (i = 0; i < ncons; i++) {
		pthread_join(cons[i].thr, NULL);
		total += cons[i].freed;
		free(cons[i].ring);
	}
	if (total != (uint64_t)nprod * (uint64_t)objs)
		bench_die(1, "%llu of %llu objects freed",
		    (unsigned long long)total,
		    (unsigned long long)nprod * (unsigned long long)objs);
	for (i = 0; i < nprod; i++)
		free(prod[i].ring);
	for (i = 0; i < nring; i++)
		free(rings[i].slot);
	free(rings);
	free(prod);
	free(cons);
	bench_result("xmalloc", total, bench_now_ns() - t0, NULL);
	return (0);
}
