/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * larson: a server simulation in the manner of Larson and Krishnan's
 * benchmark.  Worker threads each hold a bin of slots; a step frees the
 * object in a random slot and puts a new object of a random size there.
 * After every round a worker trades its bin for another bin from a shared
 * pool, so it goes on to free objects that other threads allocated, and a
 * worker lives only a few rounds before a fresh thread (with a cold thread
 * cache) takes over its work, as connection threads come and go in a
 * server.  Objects are tagged and checked before every free.
 *
 * Locking: a bin belongs to exactly one thread at a time; the pool of spare
 * bins is protected by pool_lock, and a trade is one swap under it.
 */

#include <pthread.h>

#include "bench.h"

static long threads = 2;
static long slots = 1000;
static long ops = 20000;
static long rounds = 200;
static long life = 10;
static long minsize = 8;
static long maxsize = 1000;
static long seed = 1;

static const struct bench_opt opts[] = {
	{ "threads", &threads, "worker threads running at once" },
	{ "slots", &slots, "objects per bin" },
	{ "ops", &ops, "replacements per round" },
	{ "rounds", &rounds, "rounds per worker slot in total" },
	{ "life", &life, "rounds a thread lives before it is replaced" },
	{ "min", &minsize, "smallest object size" },
	{ "max", &maxsize, "largest object size" },
	{ "seed", &seed, "PRNG seed" },
	{ NULL, NULL, NULL }
};

struct bin {
	void		**obj;
	size_t		*size;
	uint32_t	*tag;
};

struct worker {
	pthread_t	 thr;
	struct bin	*bin;
	uint64_t	 seed;
	long		 nrounds;
	uint64_t	 ops;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct bin **pool;
static long npool;

static struct bin *
bin_new(struct bench_rng *rng)
{
	struct bin *b;
	size_t size;
	long k;

	b = bench_nonnull(malloc(sizeof(*b)), sizeof(*b));
	b->obj = bench_nonnull(malloc((size_t)slots * sizeof(void *)),
	    (size_t)slots * sizeof(void *));
	b->size = bench_nonnull(malloc((size_t)slots * sizeof(size_t)),
	    (size_t)slots * sizeof(size_t));
	b->tag = bench_nonnull(malloc((size_t)slots * sizeof(uint32_t)),
	    (size_t)slots * sizeof(uint32_t));
	for (k = 0; k < slots; k++) {
		size = bench_rng_range(rng, (size_t)minsize, (size_t)maxsize);
		b->obj[k] = bench_nonnull(malloc(size), size);
		b->size[k] = size;
		b->tag[k] = (uint32_t)bench_rng_next(rng);
		bench_fill(b->obj[k], size, b->tag[k]);
	}
	return (b);
}

static void
bin_free(struct bin *b)
{
	long k;

	for (k = 0; k < slots; k++) {
		bench_check(b->obj[k], b->size[k], b->tag[k], "larson");
		free(b->obj[k]);
	}
	free(b->tag);
	free(b->size);
	free(b->obj);
	free(b);
}

static void *
worker_main(void *arg)
{
	struct worker *w;
	struct bench_rng rng;
	struct bin *b, *t;
	size_t size;
	long r, i, k;

	w = arg;
	bench_rng_seed(&rng, w->seed);
	b = w->bin;
	for (r = 0; r < w->nrounds; r++) {
		for (i = 0; i < ops; i++) {
			k = (long)bench_rng_below(&rng, (uint64_t)slots);
			bench_check(b->obj[k], b->size[k], b->tag[k],
			    "larson");
			free(b->obj[k]);
			size = bench_rng_range(&rng, (size_t)minsize,
			    (size_t)maxsize);
			b->obj[k] = bench_nonnull(malloc(size), size);
			b->size[k] = size;
			b->tag[k] = (uint32_t)bench_rng_next(&rng);
			bench_fill(b->obj[k], size, b->tag[k]);
		}
		w->ops += (uint64_t)ops;
		/* Hand this bin to whoever takes it next. */
		k = (long)bench_rng_below(&rng, (uint64_t)npool);
		pthread_mutex_lock(&pool_lock);
		t = pool[k];
		pool[k] = b;
		b = t;
		pthread_mutex_unlock(&pool_lock);
	}
	w->bin = b;
	return (NULL);
}

int
main(int argc, char **argv)
{
	struct bench_rng rng;
	struct worker *w;
	uint64_t t0, total;
	long i, done, n;
	int error;

	bench_args(argc, argv, opts, NULL);
	if (threads < 1 || slots < 1 || ops < 1 || rounds < 1 || life < 1 ||
	    minsize < 1 || maxsize < minsize)
		bench_die(2, "bad parameters");
	bench_rng_seed(&rng, (uint64_t)seed);
	t0 = bench_now_ns();
	w = bench_nonnull(calloc((size_t)threads, sizeof(*w)),
	    (size_t)threads * sizeof(*w));
	npool = threads;
	pool = bench_nonnull(malloc((size_t)npool * sizeof(*pool)),
	    (size_t)npool * sizeof(*pool));
	for (i = 0; i < npool; i++)
		pool[i] = bin_new(&rng);
	for (i = 0; i < threads; i++)
		w[i].bin = bin_new(&rng);
	total = 0;
	for (done = 0; done < rounds; done += n) {
		/* One generation of threads; each lives "life" rounds. */
		n = life < rounds - done ? life : rounds - done;
		for (i = 0; i < threads; i++) {
			w[i].seed = bench_rng_next(&rng);
			w[i].nrounds = n;
			w[i].ops = 0;
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
	for (i = 0; i < threads; i++)
		bin_free(w[i].bin);
	for (i = 0; i < npool; i++)
		bin_free(pool[i]);
	free(pool);
	free(w);
	bench_result("larson", total, bench_now_ns() - t0, NULL);
	return (0);
}
