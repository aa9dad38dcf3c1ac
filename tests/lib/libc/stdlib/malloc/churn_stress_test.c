/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Stress of thread start and exit against the thread caches, which are
 * made without setting up any bin (a bin is set up by the first slow path
 * that uses it) and which hand their stack blocks to a pool for the next
 * thread when they exit (tcache.h).  Two spawner threads start short
 * threads back to back, so that two run at once and every exit feeds the
 * pool while another thread takes from it; two long-lived workers
 * allocate and free beside them.  A short thread allocates a few blocks
 * of random small and cached large sizes, swaps one into a shared
 * exchange (so blocks outlive the thread that made them and are freed by
 * another, a remote free), frees the rest and what it took, and checks
 * that thread.allocated and thread.deallocated grew by at least the
 * usable sizes it allocated and freed.  In the toggle mode every short
 * thread also flushes its cache and turns it off and on midway (a cache
 * destroyed and made again in one thread), and a worker makes, uses and
 * destroys explicit caches (tcache.create, MALLOCX_TCACHE,
 * tcache.destroy), whose structures are reused.  Every block carries a
 * pattern of its own (mt_fill), checked before it is freed.
 *
 * Each case runs the workload for RUN_SECS in a child that re-executes
 * the program with the case's MALLOC_CONF (immediate decay, one arena, a
 * background thread, heap profiling, no caches); the child runs it from a
 * constructor.  The program is also built as churn_stress_test_debug,
 * whose tcache_create checks that it gets a cache in its reset state and
 * whose cache checker verifies every bin on each collection.
 *
 * Shared state: the exchange (xchg_lock), the first error (stress_err_lock,
 * stress_child.h), the stop flag and the counters (atomics).
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <pthread.h>
#include <stdatomic.h>

#include "malloc_test_util.h"

#define	STRESS_ENV	"DM_CHURN_STRESS"
#define	RUN_SECS	2.0
#define	STRESS_PROG	"churn_stress_test"
#define	CHILD_TIMEOUT	50		/* seconds, below the case timeout */
#define	MIN_LIVES	50		/* short threads a run must see */
#define	NXCHG		64
#define	NWSLOTS		64
#define	NSPAWNERS	2
#define	NWORKERS	2
#define	LIFE_MAX	6		/* blocks of one short thread */
#define	EXPLICIT_N	32		/* blocks per explicit cache round */

#include "stress_child.h"

struct block {
	void		*p;
	size_t		 n;
	uint64_t	 seed;
};

struct worker {
	pthread_t	 th;
	unsigned	 id;
	uint64_t	 rng;
	struct block	 b[NWSLOTS];
};

static pthread_mutex_t xchg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct block xchg[NXCHG];
static _Atomic unsigned long nlives, nblocks, nexplicit;
static bool toggle;

/*
 * Mostly small classes, spread evenly over the doublings from 1 byte to 4
 * KiB, and one block in sixteen of 8-32 KiB (large classes, cached up to
 * tcache_max).
 */
static size_t
block_size(uint64_t *rng)
{
	uint64_t r = mt_rand(rng);
	size_t lo;

	if (r % 16 == 0)
		return (8192 + (size_t)(r >> 8) % 24576);
	lo = (size_t)1 << (r >> 8) % 12;
	return (lo + (size_t)(r >> 16) % lo);
}

static void
block_new(struct block *b, size_t n, uint64_t seed, int flags)
{
	b->p = flags != 0 ? mallocx(n, flags) : malloc(n);
	b->n = n;
	b->seed = seed;
	if (b->p == NULL) {
		stress_fail("allocation of %zu bytes failed", n);
		return;
	}
	mt_fill(b->p, n, seed);
	atomic_fetch_add_explicit(&nblocks, 1, memory_order_relaxed);
}

/* Check b's pattern; false (and the error recorded) if it is wrong. */
static bool
block_ok(const struct block *b, const char *where)
{
	size_t off;

	off = mt_check(b->p, b->n, b->seed);
	if (off == SIZE_MAX)
		return (true);
	stress_fail("%s: block %p of %zu bytes: byte %zu is wrong", where, b->p,
	    b->n, off);
	return (false);
}

/* Check and free; a corrupt block is left alone (not freed twice). */
static void
block_free(struct block *b, const char *where, int flags)
{
	if (b->p == NULL)
		return;
	if (block_ok(b, where)) {
		if (flags != 0)
			dallocx(b->p, flags);
		else
			free(b->p);
	}
	b->p = NULL;
}

static struct block
xchg_swap(unsigned k, struct block b)
{
	struct block old;

	pthread_mutex_lock(&xchg_lock);
	old = xchg[k];
	xchg[k] = b;
	pthread_mutex_unlock(&xchg_lock);
	return (old);
}

static uint64_t
thread_counter(const char *name)
{
	uint64_t v = 0;
	size_t len = sizeof(v);
	int err;

	err = mallctl(name, &v, &len, NULL, 0);
	if (err != 0)
		stress_fail("mallctl %s: %s", name, strerror(err));
	return (v);
}

static void
ctl_write_bool(const char *name, bool v)
{
	int err;

	err = mallctl(name, NULL, NULL, &v, sizeof(v));
	if (err != 0)
		stress_fail("mallctl %s: %s", name, strerror(err));
}

static void *
life_main(void *arg)
{
	struct block b[LIFE_MAX], t;
	uint64_t rng = (uint64_t)(uintptr_t)arg, a0, d0, a1, d1;
	uint64_t asum = 0, dsum = 0;
	unsigned i, k;

	a0 = thread_counter("thread.allocated");
	d0 = thread_counter("thread.deallocated");
	k = 1 + (unsigned)(mt_rand(&rng) % LIFE_MAX);
	for (i = 0; i < k; i++) {
		block_new(&b[i], block_size(&rng), mt_rand(&rng), 0);
		if (b[i].p != NULL)
			asum += malloc_usable_size(b[i].p);
	}
	if (toggle) {
		/* A free whose count the cache's destroy must carry over. */
		if (k > 1 && b[k - 1].p != NULL) {
			dsum += malloc_usable_size(b[k - 1].p);
			block_free(&b[k - 1], "before the toggle", 0);
		}
		/* The cache flushed, destroyed and made again. */
		if (mallctl("thread.tcache.flush", NULL, NULL, NULL, 0) != 0)
			stress_fail("mallctl thread.tcache.flush failed");
		ctl_write_bool("thread.tcache.enabled", false);
		block_new(&t, block_size(&rng), mt_rand(&rng), 0);
		if (t.p != NULL) {
			asum += malloc_usable_size(t.p);
			dsum += malloc_usable_size(t.p);
		}
		block_free(&t, "cache off", 0);
		ctl_write_bool("thread.tcache.enabled", true);
	}
	/*
	 * Leave one block behind and free whatever was left in its place (a
	 * block another thread allocated: its free counts here).
	 */
	b[0] = xchg_swap((unsigned)(mt_rand(&rng) % NXCHG), b[0]);
	for (i = 0; i < k; i++) {
		if (b[i].p != NULL)
			dsum += malloc_usable_size(b[i].p);
		block_free(&b[i], "short thread", 0);
	}
	a1 = thread_counter("thread.allocated");
	d1 = thread_counter("thread.deallocated");
	if (a1 - a0 < asum)
		stress_fail("thread.allocated grew by %llu, the thread "
		    "allocated %llu bytes", (unsigned long long)(a1 - a0),
		    (unsigned long long)asum);
	if (d1 - d0 < dsum)
		stress_fail("thread.deallocated grew by %llu, the thread freed "
		    "%llu bytes", (unsigned long long)(d1 - d0),
		    (unsigned long long)dsum);
	atomic_fetch_add_explicit(&nlives, 1, memory_order_relaxed);
	return (NULL);
}

static void *
spawner_main(void *arg)
{
	uint64_t rng = (uint64_t)(uintptr_t)arg;
	pthread_t th;
	int err;

	while (!stress_stopped()) {
		err = pthread_create(&th, NULL, life_main,
		    (void *)(uintptr_t)(mt_rand(&rng) | 1));
		if (err != 0) {
			stress_fail("pthread_create: %s", strerror(err));
			break;
		}
		pthread_join(th, NULL);
	}
	return (NULL);
}

/* One explicit cache made, used for EXPLICIT_N blocks and destroyed. */
static void
explicit_round(uint64_t *rng)
{
	struct block b[EXPLICIT_N];
	unsigned tc, i;
	size_t len = sizeof(tc);
	int err;

	err = mallctl("tcache.create", &tc, &len, NULL, 0);
	if (err != 0) {
		stress_fail("mallctl tcache.create: %s", strerror(err));
		return;
	}
	for (i = 0; i < EXPLICIT_N; i++)
		block_new(&b[i], block_size(rng), mt_rand(rng),
		    MALLOCX_TCACHE(tc));
	for (i = 0; i < EXPLICIT_N; i++)
		block_free(&b[i], "explicit cache", MALLOCX_TCACHE(tc));
	err = mallctl("tcache.destroy", NULL, NULL, &tc, sizeof(tc));
	if (err != 0)
		stress_fail("mallctl tcache.destroy: %s", strerror(err));
	atomic_fetch_add_explicit(&nexplicit, 1, memory_order_relaxed);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct block *s;
	unsigned i, k;

	while (!stress_stopped()) {
		for (i = 0; i < 256; i++) {
			s = &w->b[mt_rand(&w->rng) % NWSLOTS];
			if (s->p != NULL)
				block_free(s, "worker", 0);
			else
				block_new(s, block_size(&w->rng),
				    mt_rand(&w->rng), 0);
		}
		/* Trade a block with the short threads. */
		k = (unsigned)(mt_rand(&w->rng) % NWSLOTS);
		w->b[k] = xchg_swap((unsigned)(mt_rand(&w->rng) % NXCHG),
		    w->b[k]);
		if (toggle && w->id == 0)
			explicit_round(&w->rng);
	}
	for (i = 0; i < NWSLOTS; i++)
		block_free(&w->b[i], "worker exit", 0);
	return (NULL);
}

/* The workload; 0 if all went well (else the first error on stderr). */
static int
stress(const char *mode)
{
	static struct worker w[NWORKERS];
	pthread_t sp[NSPAWNERS];
	unsigned i;

	toggle = strcmp(mode, "toggle") == 0;
	for (i = 0; i < NWORKERS; i++) {
		w[i].id = i;
		w[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1);
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0)
			return (1);
	}
	for (i = 0; i < NSPAWNERS; i++)
		if (pthread_create(&sp[i], NULL, spawner_main,
		    (void *)(uintptr_t)(0x2545f4914f6cdd1dULL * (i + 7))) != 0)
			return (1);
	stress_run_for(RUN_SECS);
	for (i = 0; i < NSPAWNERS; i++)
		pthread_join(sp[i], NULL);
	for (i = 0; i < NWORKERS; i++)
		pthread_join(w[i].th, NULL);
	/* Blocks whose makers are all gone now. */
	for (i = 0; i < NXCHG; i++)
		block_free(&xchg[i], "exchange", 0);
	printf("%lu lives, %lu blocks, %lu explicit caches\n",
	    atomic_load(&nlives), atomic_load(&nblocks),
	    atomic_load(&nexplicit));
	fflush(stdout);
	if (atomic_load(&nlives) < MIN_LIVES)
		stress_fail("only %lu short threads ran", atomic_load(&nlives));
	if (toggle && atomic_load(&nexplicit) == 0)
		stress_fail("no explicit cache round ran");
	return (stress_result());
}

STRESS_TC(churn, "churn", "",
    "short threads start and exit while workers allocate and free, "
    "default options")
STRESS_TC(churn_decay0_one_arena, "churn",
    "dirty_decay_ms:0,muzzy_decay_ms:0,narenas:1",
    "the churn in one arena with immediate decay")
STRESS_TC(churn_background, "churn",
    "background_thread:true,dirty_decay_ms:1,muzzy_decay_ms:1,narenas:1",
    "the churn in one arena with a background thread purging")
STRESS_TC(churn_no_tcache, "churn", "tcache:false",
    "the churn with thread caches off")
STRESS_TC(toggle, "toggle", "narenas:1,dirty_decay_ms:0",
    "short threads destroy and remake their caches midway; explicit "
    "caches made and destroyed")
STRESS_TC(toggle_prof, "toggle", "prof:true,lg_prof_sample:10",
    "the toggle mode with heap profiling (staging bins) sampling often")

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, churn);
	ATF_TP_ADD_TC(tp, churn_decay0_one_arena);
	ATF_TP_ADD_TC(tp, churn_background);
	ATF_TP_ADD_TC(tp, churn_no_tcache);
	ATF_TP_ADD_TC(tp, toggle);
	ATF_TP_ADD_TC(tp, toggle_prof);
	return (atf_no_error());
}
