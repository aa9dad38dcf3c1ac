/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * stats_test: the stats.* name space.  The epoch rule (values are a
 * snapshot refreshed by writing epoch; the first one is taken lazily),
 * per-arena counters that match exactly what a test allocated in a fresh
 * arena without a thread cache (bins, large classes, pages, purging),
 * the merged arena (MALLCTL_ARENAS_ALL) as the sum of the others and the
 * process totals as the merged arena's, destroyed arenas
 * (MALLCTL_ARENAS_DESTROYED), and the deprecated index <narenas>.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "ctl_test_util.h"

static uint64_t
bstat(unsigned a, unsigned bin, const char *what)
{
	char rest[128];

	snprintf(rest, sizeof(rest), "bins.%u.%s", bin, what);
	return (ct_astat(a, rest));
}

static uint64_t
lstat(unsigned a, unsigned lext, const char *what)
{
	char rest[128];

	snprintf(rest, sizeof(rest), "lextents.%u.%s", lext, what);
	return (ct_astat(a, rest));
}

/* The index of a large class among arenas.lextent.<j>.size. */
static unsigned
lextent_index(size_t size)
{
	unsigned j, n = ct_unsigned("arenas.nlextents");
	size_t s, len;

	for (j = 0; j < n; j++) {
		len = sizeof(s);
		ATF_REQUIRE_EQ(ct_ctlf("arenas.lextent.%u.size", &s, &len, NULL,
		    0, j), 0);
		if (s >= size)
			return (j);
	}
	atf_tc_fail("no large class holds %zu bytes", size);
	return (0);
}

ATF_TC_WITHOUT_HEAD(lazy_first_snapshot);
ATF_TC_BODY(lazy_first_snapshot, tc)
{
	void *p;

	/* No epoch written yet in this process. */
	p = ct_hide(malloc(3 << 20));
	ATF_REQUIRE(p != NULL);
	ATF_CHECK(ct_size("stats.allocated") >= (3 << 20));
	ATF_CHECK(ct_size("stats.active") >= (3 << 20));
	ATF_CHECK_EQ(ct_u64("epoch"), 1);
	free(p);
}

ATF_TC_WITHOUT_HEAD(epoch_rule);
ATF_TC_BODY(epoch_rule, tc)
{
	size_t a0, a1, m0;
	uint64_t e0;
	unsigned a;
	void *p;

	a = ct_new_arena();
	e0 = ct_epoch();
	a0 = ct_size("stats.allocated");
	m0 = ct_astat(a, "large.allocated");
	p = mallocx(8 << 20, ct_arena_flags(a));
	ATF_REQUIRE(p != NULL);
	/* Not refreshed yet: the same snapshot. */
	ATF_CHECK_EQ(ct_size("stats.allocated"), a0);
	ATF_CHECK_EQ(ct_astat(a, "large.allocated"), m0);
	ATF_CHECK_EQ(ct_u64("epoch"), e0);
	/* Refreshed. */
	ATF_CHECK_EQ(ct_epoch(), e0 + 1);
	a1 = ct_size("stats.allocated");
	ATF_CHECK_MSG(a1 >= a0 + (8 << 20), "allocated %zu -> %zu", a0, a1);
	ATF_CHECK_EQ(ct_astat(a, "large.allocated"), 8 << 20);
	dallocx(p, ct_arena_flags(a));
	ATF_CHECK_EQ(ct_astat(a, "large.allocated"), 8 << 20);
	ct_epoch();
	ATF_CHECK_EQ(ct_astat(a, "large.allocated"), 0);
	/* An arena created after the snapshot is not in it. */
	a = ct_new_arena();
	ATF_CHECK_EQ(ct_ctlf("stats.arenas.%u.pactive", &a0, &(size_t){
	    sizeof(a0) }, NULL, 0, a + 1), ENOENT);
	ct_epoch();
	ATF_CHECK_EQ(ct_astat(a, "pactive"), 0);
}

ATF_TC_WITHOUT_HEAD(bins_exact);
ATF_TC_BODY(bins_exact, tc)
{
	enum { N = 100, NFREE = 40 };
	static const size_t classes[] = { 16, 48, 112, 1024, 14336 };
	unsigned a, c, k;
	uint32_t nregs;
	size_t len, slab, i, size;
	void *p[N];
	int f;

	for (k = 0; k < sizeof(classes) / sizeof(classes[0]); k++) {
		size = classes[k];
		a = ct_new_arena();
		f = ct_arena_flags(a);
		c = ct_bin_index(size);
		len = sizeof(nregs);
		ATF_REQUIRE_EQ(ct_ctlf("arenas.bin.%u.nregs", &nregs, &len,
		    NULL, 0, c), 0);
		len = sizeof(slab);
		ATF_REQUIRE_EQ(ct_ctlf("arenas.bin.%u.slab_size", &slab, &len,
		    NULL, 0, c), 0);
		for (i = 0; i < N; i++) {
			p[i] = mallocx(size, f);
			ATF_REQUIRE(p[i] != NULL);
		}
		ct_epoch();
		ATF_CHECK_EQ_MSG(bstat(a, c, "curregs"), N, "class %zu", size);
		ATF_CHECK_EQ(bstat(a, c, "nmalloc"), N);
		ATF_CHECK_EQ(bstat(a, c, "ndalloc"), 0);
		ATF_CHECK_EQ(bstat(a, c, "nrequests"), N);
		ATF_CHECK_EQ(bstat(a, c, "curslabs"), (N + nregs - 1) / nregs);
		ATF_CHECK_EQ(bstat(a, c, "nslabs"), (N + nregs - 1) / nregs);
		ATF_CHECK_EQ(ct_astat(a, "small.allocated"), N * size);
		ATF_CHECK_EQ(ct_astat(a, "small.nmalloc"), N);
		ATF_CHECK_EQ(ct_astat(a, "pactive") * ct_size("arenas.page"),
		    (N + nregs - 1) / nregs * slab);
		ATF_CHECK_EQ(ct_astat(a, "large.allocated"), 0);
		for (i = 0; i < NFREE; i++)
			dallocx(p[i], f);
		ct_epoch();
		ATF_CHECK_EQ(bstat(a, c, "curregs"), N - NFREE);
		ATF_CHECK_EQ(bstat(a, c, "ndalloc"), NFREE);
		ATF_CHECK_EQ(ct_astat(a, "small.ndalloc"), NFREE);
		ATF_CHECK_EQ(ct_astat(a, "small.allocated"),
		    (N - NFREE) * size);
		for (i = NFREE; i < N; i++)
			dallocx(p[i], f);
		ct_epoch();
		ATF_CHECK_EQ(bstat(a, c, "curregs"), 0);
		ATF_CHECK_EQ(ct_astat(a, "small.allocated"), 0);
	}
}

ATF_TC_WITHOUT_HEAD(nrequests_counts_allocations);
ATF_TC_BODY(nrequests_counts_allocations, tc)
{
	unsigned a, c;
	void *p;

	a = ct_new_arena();
	c = ct_bin_index(64);
	p = mallocx(64, ct_arena_flags(a));
	dallocx(p, ct_arena_flags(a));
	ct_epoch();
	ATF_CHECK_EQ(bstat(a, c, "nrequests"), 1);
}

ATF_TC_WITHOUT_HEAD(large_exact);
ATF_TC_BODY(large_exact, tc)
{
	unsigned a, j20, jh;
	void *p[5], *h;
	size_t pg;
	int f, i;

	a = ct_new_arena();
	f = ct_arena_flags(a);
	j20 = lextent_index(20000);
	jh = lextent_index(3 << 20);
	for (i = 0; i < 5; i++)
		p[i] = mallocx(20000, f);
	h = mallocx(3 << 20, f);
	ATF_REQUIRE(h != NULL);
	ct_epoch();
	ATF_CHECK_EQ(lstat(a, j20, "curlextents"), 5);
	ATF_CHECK_EQ(lstat(a, j20, "nmalloc"), 5);
	ATF_CHECK_EQ(lstat(a, j20, "nrequests"), 5);
	ATF_CHECK_EQ(lstat(a, j20, "ndalloc"), 0);
	ATF_CHECK_EQ(lstat(a, jh, "curlextents"), 1);
	ATF_CHECK_EQ(ct_astat(a, "large.allocated"), 5 * 20480 + (3 << 20));
	ATF_CHECK_EQ(ct_astat(a, "large.nmalloc"), 6);
	/* Runs are whole pages: 20480 takes two of 16 KiB (large.h). */
	pg = ct_size("arenas.page");
	ATF_CHECK_EQ(ct_astat(a, "pactive") * pg,
	    5 * ((20480 + pg - 1) / pg * pg) + (3 << 20));
	for (i = 0; i < 2; i++)
		dallocx(p[i], f);
	dallocx(h, f);
	ct_epoch();
	ATF_CHECK_EQ(lstat(a, j20, "curlextents"), 3);
	ATF_CHECK_EQ(lstat(a, j20, "ndalloc"), 2);
	ATF_CHECK_EQ(lstat(a, jh, "curlextents"), 0);
	ATF_CHECK_EQ(ct_astat(a, "large.ndalloc"), 3);
	ATF_CHECK_EQ(ct_astat(a, "large.allocated"), 3 * 20480);
	for (i = 2; i < 5; i++)
		dallocx(p[i], f);
}

ATF_TC_WITHOUT_HEAD(dirty_and_purge);
ATF_TC_BODY(dirty_and_purge, tc)
{
	uint64_t npurge, purged;
	ssize_t never = -1;
	unsigned a;
	size_t pdirty;
	void *p;
	int f;

	a = ct_new_arena();
	f = ct_arena_flags(a);
	ATF_REQUIRE_EQ(ct_ctlf("arena.%u.dirty_decay_ms", NULL, NULL, &never,
	    sizeof(never), a), 0);
	p = mallocx(10 << 20, f);
	ATF_REQUIRE(p != NULL);
	memset(p, 1, 10 << 20);
	dallocx(p, f);
	ct_epoch();
	pdirty = ct_astat(a, "pdirty");
	ATF_CHECK_MSG(pdirty * ct_size("arenas.page") >= (10 << 20),
	    "pdirty %zu", pdirty);
	ATF_CHECK_EQ(ct_astat(a, "pactive"), 0);
	ATF_CHECK(ct_astat(a, "resident") >= (10 << 20));
	npurge = ct_astat(a, "dirty_npurge");
	purged = ct_astat(a, "dirty_purged");
	ATF_REQUIRE_EQ(ct_ctlf("arena.%u.purge", NULL, NULL, NULL, 0, a), 0);
	ct_epoch();
	ATF_CHECK_EQ(ct_astat(a, "pdirty"), 0);
	ATF_CHECK(ct_astat(a, "dirty_npurge") > npurge);
	ATF_CHECK(ct_astat(a, "dirty_purged") >= purged + pdirty);
	ATF_CHECK(ct_astat(a, "dirty_nmadvise") > 0);
	ATF_CHECK(ct_astat(a, "retained") >= (10 << 20));
	ATF_CHECK(ct_astat(a, "resident") < (1 << 20));
	ATF_CHECK_EQ(ct_astat(a, "pmuzzy"), 0);
}

ATF_TC_WITHOUT_HEAD(merged_is_the_sum);
ATF_TC_BODY(merged_is_the_sum, tc)
{
	static const char *const sums[] = { "pactive", "pdirty", "mapped",
	    "retained", "resident", "base", "small.allocated",
	    "small.nmalloc", "small.ndalloc", "small.nrequests",
	    "large.allocated", "large.nmalloc", "large.ndalloc",
	    "dirty_npurge", "dirty_purged", "nthreads", "bins.0.curregs",
	    "bins.6.nmalloc", "bins.34.curslabs", "lextents.0.curlextents",
	    "lextents.12.nmalloc" };
	unsigned i, a, n;
	uint64_t sum, v;
	size_t k, len;
	void *p[8];
	bool init;

	a = ct_new_arena();
	for (k = 0; k < 8; k++)
		p[k] = mallocx((size_t)100 << (2 * k), MALLOCX_ARENA(a));
	for (k = 0; k < 8; k++)
		p[k] = ct_hide(malloc((size_t)50 << (2 * k)));
	ct_epoch();
	n = ct_unsigned("arenas.narenas");
	for (k = 0; k < sizeof(sums) / sizeof(sums[0]); k++) {
		sum = 0;
		for (i = 0; i < n; i++) {
			len = sizeof(init);
			ATF_REQUIRE_EQ(ct_ctlf("arena.%u.initialized", &init,
			    &len, NULL, 0, i), 0);
			if (init)
				sum += ct_astat(i, sums[k]);
		}
		v = ct_astat(MALLCTL_ARENAS_ALL, sums[k]);
		ATF_CHECK_EQ_MSG(v, sum, "%s: merged %lu, sum %lu", sums[k],
		    (unsigned long)v, (unsigned long)sum);
		/* The deprecated index narenas is the merged arena. */
		ATF_CHECK_EQ(ct_astat(n, sums[k]), v);
	}
	/* Process totals. */
	ATF_CHECK_EQ(ct_size("stats.allocated"),
	    ct_astat(MALLCTL_ARENAS_ALL, "small.allocated") +
	    ct_astat(MALLCTL_ARENAS_ALL, "large.allocated"));
	ATF_CHECK_EQ(ct_size("stats.active"),
	    ct_astat(MALLCTL_ARENAS_ALL, "pactive") * ct_size("arenas.page"));
	ATF_CHECK_EQ(ct_size("stats.mapped"),
	    ct_astat(MALLCTL_ARENAS_ALL, "mapped"));
	ATF_CHECK_EQ(ct_size("stats.retained"),
	    ct_astat(MALLCTL_ARENAS_ALL, "retained"));
	ATF_CHECK_EQ(ct_size("stats.resident"),
	    ct_astat(MALLCTL_ARENAS_ALL, "resident"));
	ATF_CHECK_EQ(ct_size("stats.metadata"),
	    ct_astat(MALLCTL_ARENAS_ALL, "base"));
	ATF_CHECK(ct_size("stats.allocated") <= ct_size("stats.active"));
	ATF_CHECK(ct_size("stats.active") <= ct_size("stats.resident"));
	ATF_CHECK(ct_size("stats.resident") <= ct_size("stats.mapped"));
	ATF_CHECK(ct_size("stats.metadata") > 0);
	ATF_CHECK_EQ(ct_size("stats.metadata_thp"), 0);
	ATF_CHECK_STREQ(ct_str("stats.arenas.0.dss"), "disabled");
	ATF_CHECK_EQ((ssize_t)ct_astat(MALLCTL_ARENAS_ALL, "dirty_decay_ms"),
	    -1);
	for (k = 0; k < 8; k++)
		free(p[k]);
}

ATF_TC_WITHOUT_HEAD(nthreads);
ATF_TC_BODY(nthreads, tc)
{
	unsigned a, old;
	size_t len = sizeof(old);

	a = ct_new_arena();
	ct_epoch();
	ATF_CHECK_EQ(ct_astat(a, "nthreads"), 0);
	ATF_REQUIRE_EQ(mallctl("thread.arena", &old, &len, &a, sizeof(a)), 0);
	ct_epoch();
	ATF_CHECK_EQ(ct_astat(a, "nthreads"), 1);
	ATF_REQUIRE_EQ(mallctl("thread.arena", NULL, NULL, &old,
	    sizeof(old)), 0);
	ct_epoch();
	ATF_CHECK_EQ(ct_astat(a, "nthreads"), 0);
}

ATF_TC_WITHOUT_HEAD(destroyed_arenas);
ATF_TC_BODY(destroyed_arenas, tc)
{
	unsigned a, c;
	uint64_t v;
	size_t len = sizeof(v);
	void *p[10];
	int i;

	ct_epoch();
	ATF_CHECK_EQ(mallctl("stats.arenas.4097.small.nmalloc", &v, &len,
	    NULL, 0), ENOENT);
	a = ct_new_arena();
	c = ct_bin_index(256);
	for (i = 0; i < 10; i++)
		p[i] = mallocx(256, ct_arena_flags(a));
	ct_epoch();
	ATF_CHECK_EQ(bstat(a, c, "nmalloc"), 10);
	ATF_REQUIRE_EQ(ct_ctlf("arena.%u.destroy", NULL, NULL, NULL, 0, a),
	    0);
	ct_epoch();
	ATF_CHECK_EQ(ct_ctlf("stats.arenas.%u.small.nmalloc", &v, &len, NULL,
	    0, a), ENOENT);
	ATF_CHECK_EQ(ct_astat(MALLCTL_ARENAS_DESTROYED, "small.nmalloc"), 10);
	ATF_CHECK_EQ(bstat(MALLCTL_ARENAS_DESTROYED, c, "nmalloc"), 10);
	(void)p;
}

/* Threads allocate while the main thread takes snapshots and prints. */
static atomic_bool stop;

static void *
churn_main(void *arg)
{
	uint64_t x = (uintptr_t)arg * 7919 + 1;
	unsigned t;
	size_t len = sizeof(t);
	void *p[256];
	int i, k;

	ATF_REQUIRE_EQ(mallctl("tcache.create", &t, &len, NULL, 0), 0);
	memset(p, 0, sizeof(p));
	while (!atomic_load(&stop)) {
		for (k = 0; k < 1000; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			i = (int)(x % 256);
			if (p[i] != NULL) {
				dallocx(p[i], (i & 1) ? MALLOCX_TCACHE(t) : 0);
				p[i] = NULL;
			} else
				p[i] = mallocx(16 + (size_t)(x >> 40) % 70000,
				    (i & 1) ? MALLOCX_TCACHE(t) : 0);
		}
		(void)ct_u64("thread.allocated");
	}
	for (i = 0; i < 256; i++)
		if (p[i] != NULL)
			dallocx(p[i], (i & 1) ? MALLOCX_TCACHE(t) : 0);
	ATF_REQUIRE_EQ(mallctl("tcache.destroy", NULL, NULL, &t, sizeof(t)),
	    0);
	ATF_REQUIRE_EQ(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0),
	    0);
	return (NULL);
}

static size_t nprinted;

static void
count_cb(void *opaque, const char *s)
{
	(void)opaque;
	nprinted += strlen(s);
}

ATF_TC_WITHOUT_HEAD(concurrent_snapshots);
ATF_TC_BODY(concurrent_snapshots, tc)
{
	pthread_t t[4];
	uintptr_t i;
	int round;

	for (i = 0; i < 4; i++)
		ATF_REQUIRE_EQ(pthread_create(&t[i], NULL, churn_main,
		    (void *)i), 0);
	for (round = 0; round < 200; round++) {
		ct_epoch();
		ATF_CHECK(ct_size("stats.allocated") <=
		    ct_size("stats.active"));
		(void)ct_astat(MALLCTL_ARENAS_ALL, "bins.3.curregs");
		if (round % 20 == 0) {
			malloc_stats_print(count_cb, NULL, "J");
			(void)ct_new_arena();
		}
		if (round % 50 == 0)
			ATF_CHECK_EQ(mallctl("arena.4096.purge", NULL, NULL,
			    NULL, 0), 0);
	}
	atomic_store(&stop, true);
	for (i = 0; i < 4; i++)
		ATF_REQUIRE_EQ(pthread_join(t[i], NULL), 0);
	ATF_CHECK(nprinted > 0);
	ct_epoch();
	ATF_CHECK(ct_size("stats.allocated") <= ct_size("stats.active"));
	ATF_CHECK(ct_size("stats.resident") <= ct_size("stats.mapped"));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, lazy_first_snapshot);
	ATF_TP_ADD_TC(tp, epoch_rule);
	ATF_TP_ADD_TC(tp, bins_exact);
	ATF_TP_ADD_TC(tp, nrequests_counts_allocations);
	ATF_TP_ADD_TC(tp, large_exact);
	ATF_TP_ADD_TC(tp, dirty_and_purge);
	ATF_TP_ADD_TC(tp, merged_is_the_sum);
	ATF_TP_ADD_TC(tp, nthreads);
	ATF_TP_ADD_TC(tp, destroyed_arenas);
	ATF_TP_ADD_TC(tp, concurrent_snapshots);
	return (atf_no_error());
}
