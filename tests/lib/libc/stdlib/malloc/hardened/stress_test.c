/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The hardened library's quarantines under pressure: one-slot
 * quarantines (every free evicts, so freed blocks go back to the caches
 * and slabs at once, through the eviction path), one arena, decay 0 and
 * explicit purges from a fifth thread.  Four threads allocate small and
 * large blocks, fill each with a pattern, check it before every free
 * (which also checks the trailer and canaries) and free blocks other
 * threads made; every block must come out zeroed.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <pthread.h>
#include <stdatomic.h>

#include "../malloc_test_util.h"

const char *malloc_conf = "harden_quarantine:1,harden_quarantine_large:1,"
    "narenas:1,dirty_decay_ms:0,muzzy_decay_ms:0";

#define	NTHREADS	4
#define	NSLOTS		128
#define	NEXCH		32
#define	NOPS		40000

struct blk {
	unsigned char	*p;
	size_t		 n;
	uint64_t	 seed;
};

static struct blk exch[NEXCH];
static pthread_mutex_t exch_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool stop;

static void
blk_free(struct blk *b)
{
	if (b->p == NULL)
		return;
	if (mt_check(b->p, b->n, b->seed) != SIZE_MAX ||
	    malloc_usable_size(b->p) != b->n) {
		fprintf(stderr, "block %p (%zu bytes) corrupted\n",
		    (void *)b->p, b->n);
		abort();
	}
	free(b->p);
	b->p = NULL;
}

static void *
worker(void *arg)
{
	struct blk mine[NSLOTS], t;
	uint64_t rng = (uintptr_t)arg * 0x2545f4914f6cdd1dULL + 7, r;
	size_t i, k, x;

	memset(mine, 0, sizeof(mine));
	for (i = 0; i < NOPS; i++) {
		r = mt_rand(&rng);
		k = r % NSLOTS;
		blk_free(&mine[k]);
		t.n = (r >> 20) % 32 == 0 ? 15000 + (r >> 32) % 100000 :
		    1 + (r >> 32) % 3000;
		t.p = malloc(t.n);
		if (t.p == NULL || mt_check_byte(t.p, t.n, 0) != SIZE_MAX)
			abort();
		t.seed = r;
		mt_fill(t.p, t.n, t.seed);
		if ((r >> 8) % 3 == 0) {
			x = (r >> 12) % NEXCH;
			pthread_mutex_lock(&exch_lock);
			mine[k] = exch[x];
			exch[x] = t;
			pthread_mutex_unlock(&exch_lock);
		} else
			mine[k] = t;
	}
	for (k = 0; k < NSLOTS; k++)
		blk_free(&mine[k]);
	return (NULL);
}

static void *
purger(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		ATF_REQUIRE(mallctl("arena.0.purge", NULL, NULL, NULL, 0) ==
		    0);
		usleep(1000);
	}
	return (NULL);
}

ATF_TC_WITHOUT_HEAD(one_slot_quarantines_purges);
ATF_TC_BODY(one_slot_quarantines_purges, tc)
{
	pthread_t th[NTHREADS], pt;
	unsigned q = 0;
	size_t i, len = sizeof(q);

	ATF_REQUIRE(mallctl("opt.harden_quarantine", &q, &len, NULL, 0) ==
	    0);
	ATF_REQUIRE_EQ(q, 1);
	ATF_REQUIRE(pthread_create(&pt, NULL, purger, NULL) == 0);
	for (i = 0; i < NTHREADS; i++)
		ATF_REQUIRE(pthread_create(&th[i], NULL, worker,
		    (void *)(i + 1)) == 0);
	for (i = 0; i < NTHREADS; i++)
		ATF_REQUIRE(pthread_join(th[i], NULL) == 0);
	atomic_store(&stop, true);
	ATF_REQUIRE(pthread_join(pt, NULL) == 0);
	for (i = 0; i < NEXCH; i++)
		blk_free(&exch[i]);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, one_slot_quarantines_purges);
	return (atf_no_error());
}
