/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * threadchurn: what a short thread life costs.  The main thread starts
 * "lives" threads, at most "concurrent" of them running at once; each
 * allocates one object, fills it with its tag, swaps it into a shared
 * slot for the object an earlier thread left there, checks that object
 * and frees it (a remote free: its owner has usually exited), and exits.
 * An allocator that sets up a thread's state eagerly (a large thread-local
 * image, a cache with stacks for every size class, an arena chosen by a
 * scan) and tears it down in full at exit pays for all of it once per
 * life, which is what servers that run a thread per request see.  With
 * long=N, N long-lived threads run beside the churn: after every "pace"
 * lives each wakes for a burst of random replacements in its own working
 * set and swaps one of its objects into the slots, so that short lives
 * also free objects of threads that are still running and vice versa.
 * The figure is the wall time per life (ns_per_life), thread creation and
 * join included, since that is the unit a program pays.
 *
 * Locking: the slots are under slot_lock (one swap per life or burst);
 * each long-lived thread's working set is its own; its bursts are counted
 * out by a semaphore that only the main thread posts.
 */

#include <pthread.h>
#include <semaphore.h>

#include "bench.h"

static long lives = 20000;
static long concurrent = 1;
static long objsize = 64;
static long nlong = 0;
static long pace = 16;
static long burst = 256;
static long keep = 64;
static long seed = 1;

static const struct bench_opt opts[] = {
	{ "lives", &lives, "short threads started in all" },
	{ "concurrent", &concurrent, "short threads running at once" },
	{ "size", &objsize, "bytes of each short thread's object (>= 8)" },
	{ "long", &nlong, "long-lived threads beside the churn" },
	{ "pace", &pace, "lives between two bursts of a long-lived thread" },
	{ "burst", &burst, "replacements per burst of a long-lived thread" },
	{ "keep", &keep, "objects each long-lived thread holds" },
	{ "seed", &seed, "PRNG seed" },
	{ NULL, NULL, NULL }
};

/* One object in flight between threads; p is NULL in an empty slot. */
struct slot {
	void		*p;
	size_t		 size;
	uint32_t	 tag;
};

/* A short thread's orders. */
struct life {
	pthread_t	 thr;
	long		 slot;
	uint32_t	 tag;
};

struct longlived {
	pthread_t	 thr;
	sem_t		 go;
	uint64_t	 seed;
	long		 nbursts;
	uint64_t	 ops;
};

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *slots;
static long nslots;

/* Put s in slot k and return what was there. */
static struct slot
slot_swap(long k, struct slot s)
{
	struct slot old;

	pthread_mutex_lock(&slot_lock);
	old = slots[k];
	slots[k] = s;
	pthread_mutex_unlock(&slot_lock);
	return (old);
}

static void
slot_release(struct slot s)
{

	if (s.p == NULL)
		return;
	bench_check(s.p, s.size, s.tag, "threadchurn");
	free(s.p);
}

static void *
life_main(void *arg)
{
	struct life *l;
	struct slot s;

	l = arg;
	s.size = (size_t)objsize;
	s.tag = l->tag;
	s.p = bench_nonnull(malloc(s.size), s.size);
	bench_fill(s.p, s.size, s.tag);
	slot_release(slot_swap(l->slot, s));
	return (NULL);
}

static void *
long_main(void *arg)
{
	struct longlived *t;
	struct bench_rng rng;
	struct slot *set;
	long b, i, k;

	t = arg;
	bench_rng_seed(&rng, t->seed);
	set = bench_nonnull(calloc((size_t)keep, sizeof(*set)),
	    (size_t)keep * sizeof(*set));
	for (b = 0; b < t->nbursts; b++) {
		while (sem_wait(&t->go) != 0)
			if (errno != EINTR)
				bench_die(1, "sem_wait: %s", strerror(errno));
		for (i = 0; i < burst; i++) {
			k = (long)bench_rng_below(&rng, (uint64_t)keep);
			slot_release(set[k]);
			set[k].size = bench_rng_range(&rng, 8, 1024);
			set[k].tag = (uint32_t)bench_rng_next(&rng);
			set[k].p = bench_nonnull(malloc(set[k].size),
			    set[k].size);
			bench_fill(set[k].p, set[k].size, set[k].tag);
		}
		t->ops += (uint64_t)burst;
		/* Trade one object with the short threads. */
		k = (long)bench_rng_below(&rng, (uint64_t)keep);
		set[k] = slot_swap((long)bench_rng_below(&rng,
		    (uint64_t)nslots), set[k]);
	}
	for (k = 0; k < keep; k++)
		slot_release(set[k]);
	free(set);
	return (NULL);
}

int
main(int argc, char **argv)
{
	struct bench_rng rng;
	struct longlived *lt;
	struct life *ring, *l;
	uint64_t t0, ns, longops;
	char extra[160];
	long i, j;
	int error;

	bench_args(argc, argv, opts, NULL);
	if (lives < 1 || concurrent < 1 || objsize < 8 || nlong < 0 ||
	    pace < 1 || burst < 0 || keep < 1)
		bench_die(2, "bad parameters");
	bench_rng_seed(&rng, (uint64_t)seed);
	/* More slots than lives in flight, so a life rarely waits on one. */
	nslots = 2 * concurrent + nlong;
	slots = bench_nonnull(calloc((size_t)nslots, sizeof(*slots)),
	    (size_t)nslots * sizeof(*slots));
	ring = bench_nonnull(calloc((size_t)concurrent, sizeof(*ring)),
	    (size_t)concurrent * sizeof(*ring));
	lt = NULL;
	if (nlong > 0)
		lt = bench_nonnull(calloc((size_t)nlong, sizeof(*lt)),
		    (size_t)nlong * sizeof(*lt));

	t0 = bench_now_ns();
	for (j = 0; j < nlong; j++) {
		if (sem_init(&lt[j].go, 0, 0) != 0)
			bench_die(1, "sem_init: %s", strerror(errno));
		lt[j].seed = bench_rng_next(&rng);
		lt[j].nbursts = lives / pace;
		error = pthread_create(&lt[j].thr, NULL, long_main, &lt[j]);
		if (error != 0)
			bench_die(1, "pthread_create: %s", strerror(error));
	}
	for (i = 0; i < lives; i++) {
		l = &ring[i % concurrent];
		if (i >= concurrent)
			pthread_join(l->thr, NULL);
		l->slot = i % nslots;
		l->tag = (uint32_t)bench_rng_next(&rng);
		error = pthread_create(&l->thr, NULL, life_main, l);
		if (error != 0)
			bench_die(1, "pthread_create: %s", strerror(error));
		if ((i + 1) % pace == 0)
			for (j = 0; j < nlong; j++)
				sem_post(&lt[j].go);
	}
	for (i = 0; i < concurrent && i < lives; i++)
		pthread_join(ring[i].thr, NULL);
	longops = 0;
	for (j = 0; j < nlong; j++) {
		pthread_join(lt[j].thr, NULL);
		sem_destroy(&lt[j].go);
		longops += lt[j].ops;
	}
	ns = bench_now_ns() - t0;

	for (i = 0; i < nslots; i++)
		slot_release(slots[i]);
	free(lt);
	free(ring);
	free(slots);
	snprintf(extra, sizeof(extra), "ns_per_life=%.0f concurrent=%ld "
	    "long=%ld long_ops=%llu", (double)ns / (double)lives, concurrent,
	    nlong, (unsigned long long)longops);
	bench_result("threadchurn", (uint64_t)lives, ns, extra);
	return (0);
}
