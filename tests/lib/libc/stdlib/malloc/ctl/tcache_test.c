/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * tcache_test: thread caches through mallctl: explicit caches
 * (tcache.create, flush, destroy and MALLOCX_TCACHE), the calling
 * thread's cache (thread.tcache.enabled, thread.tcache.flush,
 * thread.idle), and the thread's byte counters (thread.allocated,
 * thread.deallocated and the pointers thread.allocatedp and
 * thread.deallocatedp), per thread.
 */
#include <pthread.h>

#include "ctl_test_util.h"

static unsigned
tc_create(void)
{
	unsigned tc = 0;
	size_t len = sizeof(tc);

	ATF_REQUIRE_EQ(mallctl("tcache.create", &tc, &len, NULL, 0), 0);
	return (tc);
}

static int
tc_op(const char *op, unsigned tc)
{
	return (mallctl(op, NULL, NULL, &tc, sizeof(tc)));
}

/* Bind the calling thread to a fresh arena; returns the arena. */
static unsigned
fresh_thread_arena(void)
{
	unsigned a = ct_new_arena();

	ATF_REQUIRE_EQ(mallctl("thread.arena", NULL, NULL, &a, sizeof(a)), 0);
	return (a);
}

/* n objects of size into v, each kept from the optimizer. */
static void
alloc_n(void **v, int n, size_t size)
{
	int i;

	for (i = 0; i < n; i++) {
		v[i] = malloc(size);
		ATF_REQUIRE(v[i] != NULL);
		ct_hide(v[i]);
	}
}

static void
free_n(void **v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(v[i]);
}

ATF_TC_WITHOUT_HEAD(explicit_create_destroy);
ATF_TC_BODY(explicit_create_destroy, tc)
{
	unsigned t[4], again;
	size_t len;
	int i;

	for (i = 0; i < 4; i++)
		t[i] = tc_create();
	for (i = 1; i < 4; i++)
		ATF_CHECK(t[i] != t[0] && t[i] != t[i - 1]);
	ATF_CHECK_EQ(tc_op("tcache.flush", t[1]), 0);
	ATF_CHECK_EQ(tc_op("tcache.destroy", t[1]), 0);
	ATF_CHECK_EQ(tc_op("tcache.destroy", t[1]), EFAULT);
	ATF_CHECK_EQ(tc_op("tcache.flush", t[1]), EFAULT);
	/* A destroyed identifier is given out again. */
	again = tc_create();
	ATF_CHECK_EQ(again, t[1]);
	ATF_CHECK_EQ(tc_op("tcache.flush", 5000), EFAULT);
	ATF_CHECK_EQ(tc_op("tcache.destroy", 4093), EFAULT);
	/* Access rules. */
	len = sizeof(again);
	ATF_CHECK_EQ(mallctl("tcache.flush", &again, &len, &again,
	    sizeof(again)), EPERM);
	ATF_CHECK_EQ(mallctl("tcache.create", &again, &len, &again,
	    sizeof(again)), EPERM);
	ATF_CHECK_EQ(mallctl("tcache.flush", NULL, NULL, &again, 2), EINVAL);
	for (i = 0; i < 4; i++)
		ATF_CHECK_EQ(tc_op("tcache.destroy", t[i]), 0);
}

ATF_TC_WITHOUT_HEAD(explicit_routing);
ATF_TC_BODY(explicit_routing, tc)
{
	unsigned a, t, b;
	void *p, *q, *r;
	size_t c48;
	int f;

	a = fresh_thread_arena();
	t = tc_create();
	f = MALLOCX_TCACHE(t);
	c48 = ct_bin_index(48);
	p = mallocx(40, f);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ(sallocx(p, 0), 48);
	/* The cache filled from the arena it was created in. */
	ct_epoch();
	{
		char name[64];

		snprintf(name, sizeof(name), "bins.%zu.curregs", c48);
		ATF_CHECK(ct_astat(a, name) > 1);
		snprintf(name, sizeof(name), "bins.%zu.nfills", c48);
		ATF_CHECK_EQ(ct_astat(a, name), 1);
	}
	/* A free into the cache is the next allocation from it. */
	dallocx(p, f);
	q = mallocx(48, f);
	ATF_CHECK(q == p);
	/* The thread's own cache is another cache. */
	r = mallocx(48, 0);
	ATF_CHECK(r != q);
	dallocx(r, 0);
	/* rallocx through the cache keeps the contents. */
	memset(q, 0x2b, 48);
	q = rallocx(q, 3000, f);
	ATF_REQUIRE(q != NULL);
	ATF_CHECK(((unsigned char *)q)[47] == 0x2b);
	q = rallocx(q, 40, f);
	ATF_CHECK(((unsigned char *)q)[39] == 0x2b);
	sdallocx(q, 40, f);
	/* Large classes go through the cache too. */
	p = mallocx(20000, f);
	ATF_REQUIRE(p != NULL);
	dallocx(p, f);
	ATF_CHECK(mallocx(20000, f) == p);
	dallocx(p, f);
	/*
	 * flush returns everything: nothing of class 48 stays in use (the
	 * thread's own cache, which fills from the same arena, is flushed
	 * too).
	 */
	ATF_CHECK_EQ(tc_op("tcache.flush", t), 0);
	ATF_CHECK_EQ(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0), 0);
	ct_epoch();
	{
		char name[64];

		snprintf(name, sizeof(name), "bins.%zu.curregs", c48);
		ATF_CHECK_EQ(ct_astat(a, name), 0);
	}
	ATF_CHECK_EQ(ct_astat(a, "large.allocated"), 0);
	/* With MALLOCX_ARENA naming another arena, the arena wins. */
	b = ct_new_arena();
	p = mallocx(48, f | MALLOCX_ARENA(b));
	{
		unsigned ind;
		size_t len = sizeof(ind);

		ATF_CHECK_EQ(mallctl("arenas.lookup", &ind, &len, &p,
		    sizeof(p)), 0);
		ATF_CHECK_EQ(ind, b);
	}
	dallocx(p, f | MALLOCX_ARENA(b));
	/* destroy flushes as well. */
	p = mallocx(64, f);
	dallocx(p, f);
	ATF_CHECK_EQ(tc_op("tcache.destroy", t), 0);
	ATF_CHECK_EQ(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0), 0);
	ct_epoch();
	ATF_CHECK_EQ(ct_astat(a, "small.allocated"), 0);
}

ATF_TC_WITHOUT_HEAD(tcache_none);
ATF_TC_BODY(tcache_none, tc)
{
	unsigned a;
	void *p[10];
	int i;

	a = fresh_thread_arena();
	for (i = 0; i < 10; i++)
		p[i] = mallocx(64, MALLOCX_TCACHE_NONE);
	ct_epoch();
	ATF_CHECK_EQ(ct_astat(a, "small.allocated"), 640);
	for (i = 0; i < 10; i++)
		dallocx(p[i], MALLOCX_TCACHE_NONE);
	ct_epoch();
	ATF_CHECK_EQ(ct_astat(a, "small.allocated"), 0);
}

/*
 * rallocx and xallocx with MALLOCX_TCACHE_NONE: the old block of a move
 * goes back to its arena, not into the thread cache, from which a plain
 * malloc would hand it out (and an arena reset then discard it under
 * its new owner: found by fuzz_api).
 */
ATF_TC_WITHOUT_HEAD(tcache_none_rallocx);
ATF_TC_BODY(tcache_none_rallocx, tc)
{
	unsigned a, b;
	size_t len;
	void *p, *q, *r[64];
	int i, flags;

	a = ct_new_arena();
	flags = ct_arena_flags(a);
	p = mallocx(300, flags);
	ATF_REQUIRE(p != NULL);
	q = rallocx(p, 20000, flags);
	ATF_REQUIRE(q != NULL && q != p);
	for (i = 0; i < 64; i++) {
		r[i] = malloc(300);
		ATF_REQUIRE(r[i] != NULL);
		len = sizeof(b);
		ATF_REQUIRE_EQ(mallctl("arenas.lookup", &b, &len, &r[i],
		    sizeof(r[i])), 0);
		ATF_CHECK_MSG(r[i] != p && b != a, "malloc(300) returned %p "
		    "of arena %u, the block rallocx(TCACHE_NONE) left", r[i],
		    b);
	}
	for (i = 0; i < 64; i++)
		free(r[i]);
	dallocx(q, flags);
}

/* A bool written as a byte other than 0 or 1 is true, and only once. */
ATF_TC_WITHOUT_HEAD(enabled_any_nonzero_byte);
ATF_TC_BODY(enabled_any_nonzero_byte, tc)
{
	unsigned char v = 0x5a;
	size_t before, after, len;
	bool on;
	int i;

	free(malloc(64));
	ct_epoch();
	before = ct_size("stats.metadata");
	for (i = 0; i < 100; i++)
		ATF_REQUIRE_EQ(mallctl("thread.tcache.enabled", NULL, NULL,
		    &v, sizeof(v)), 0);
	len = sizeof(on);
	ATF_REQUIRE_EQ(mallctl("thread.tcache.enabled", &on, &len, NULL, 0),
	    0);
	ATF_CHECK(on);
	ct_epoch();
	after = ct_size("stats.metadata");
	/* Each bogus "true" used to make a second cache: ~140 KiB. */
	ATF_CHECK_MSG(after < before + 64 * 1024, "metadata grew from %zu "
	    "to %zu bytes", before, after);
}

ATF_TC_WITHOUT_HEAD(thread_tcache);
ATF_TC_BODY(thread_tcache, tc)
{
	size_t len = sizeof(bool);
	unsigned a;
	bool old, on = true, off = false;
	void *p;

	a = fresh_thread_arena();
	ATF_CHECK(ct_bool("thread.tcache.enabled"));
	p = ct_hide(malloc(32));
	free(p);
	ct_epoch();
	ATF_CHECK(ct_astat(a, "small.allocated") > 0);
	ATF_CHECK_EQ(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0), 0);
	ct_epoch();
	ATF_CHECK_EQ(ct_astat(a, "small.allocated"), 0);
	/* Off: objects go straight back to the arena. */
	ATF_CHECK_EQ(mallctl("thread.tcache.enabled", &old, &len, &off,
	    sizeof(off)), 0);
	ATF_CHECK(old);
	ATF_CHECK(!ct_bool("thread.tcache.enabled"));
	p = ct_hide(malloc(32));
	ATF_REQUIRE(p != NULL);
	free(p);
	ct_epoch();
	ATF_CHECK_EQ(ct_astat(a, "small.allocated"), 0);
	ATF_CHECK_EQ(mallctl("thread.tcache.enabled", &old, &len, &on,
	    sizeof(on)), 0);
	ATF_CHECK(!old);
	ATF_CHECK(ct_bool("thread.tcache.enabled"));
	/* thread.idle: the cache is emptied. */
	free(ct_hide(malloc(32)));
	ATF_CHECK_EQ(mallctl("thread.idle", NULL, NULL, NULL, 0), 0);
	ct_epoch();
	ATF_CHECK_EQ(ct_astat(a, "small.allocated"), 0);
}

/* Counters of the calling thread, checked against the *p pointers. */
struct counters {
	uint64_t	a, d;
	uint64_t	*ap, *dp;
};

static void
read_counters(struct counters *c)
{
	size_t len;

	c->a = ct_u64("thread.allocated");
	c->d = ct_u64("thread.deallocated");
	len = sizeof(c->ap);
	ATF_REQUIRE_EQ(mallctl("thread.allocatedp", &c->ap, &len, NULL, 0),
	    0);
	ATF_REQUIRE_EQ(mallctl("thread.deallocatedp", &c->dp, &len, NULL, 0),
	    0);
	ATF_CHECK_EQ(*c->ap, c->a);
	ATF_CHECK_EQ(*c->dp, c->d);
}

#define	NKEEP	50000	/* enough cache fills to pass a GC tick */

static void
check_counters(void)
{
	static void *keep[NKEEP];
	struct counters c0, c1;
	unsigned t;
	size_t us;
	void *p;
	int i;

	read_counters(&c0);
	/* Small, cached. */
	p = ct_hide(malloc(100));
	us = malloc_usable_size(p);
	read_counters(&c1);
	ATF_CHECK(c1.ap == c0.ap && c1.dp == c0.dp);
	ATF_CHECK_MSG(c1.a >= c0.a + us, "allocated %lu -> %lu after %zu",
	    (unsigned long)c0.a, (unsigned long)c1.a, us);
	free(p);
	read_counters(&c0);
	ATF_CHECK(c0.d >= c1.d + us);
	/* Large, uncached. */
	p = ct_hide(malloc(5 << 20));
	read_counters(&c1);
	ATF_CHECK(c1.a >= c0.a + (5 << 20));
	free(p);
	read_counters(&c0);
	ATF_CHECK(c0.d >= c1.d + (5 << 20));
	/* Through an explicit cache. */
	t = tc_create();
	p = mallocx(1000, MALLOCX_TCACHE(t));
	read_counters(&c1);
	ATF_CHECK(c1.a >= c0.a + 1024);
	dallocx(p, MALLOCX_TCACHE(t));
	read_counters(&c0);
	ATF_CHECK(c0.d >= c1.d + 1024);
	ATF_CHECK_EQ(tc_op("tcache.destroy", t), 0);
	/*
	 * The pointed-to values follow the thread's cache slow paths (every
	 * TCACHE_GC_EVENTS fills and flushes) with no mallctl call between.
	 */
	for (i = 0; i < NKEEP; i++)
		keep[i] = ct_hide(malloc(16));
	ATF_CHECK_MSG(*c0.ap > c0.a, "*thread.allocatedp did not move");
	free_n(keep, NKEEP);
	ATF_CHECK_MSG(*c0.dp > c0.d, "*thread.deallocatedp did not move");
}

static void *
counters_main(void *arg)
{
	uint64_t **other = arg, *ap;
	size_t len = sizeof(ap);

	check_counters();
	ATF_CHECK_EQ(mallctl("thread.allocatedp", &ap, &len, NULL, 0), 0);
	ATF_CHECK(ap != other[0]);
	return (NULL);
}

ATF_TC_WITHOUT_HEAD(thread_counters);
ATF_TC_BODY(thread_counters, tc)
{
	uint64_t *ap;
	size_t len = sizeof(ap);
	pthread_t t;

	check_counters();
	ATF_REQUIRE_EQ(mallctl("thread.allocatedp", &ap, &len, NULL, 0), 0);
	ATF_REQUIRE_EQ(pthread_create(&t, NULL, counters_main, &ap), 0);
	ATF_REQUIRE_EQ(pthread_join(t, NULL), 0);
	/* Read-only. */
	ATF_CHECK_EQ(mallctl("thread.allocated", NULL, NULL, &ap,
	    sizeof(uint64_t)), EPERM);
}

ATF_TC_WITHOUT_HEAD(thread_counters_uncached_small);
ATF_TC_BODY(thread_counters_uncached_small, tc)
{
	uint64_t a0, a1;
	void *p;

	a0 = ct_u64("thread.allocated");
	p = mallocx(64, MALLOCX_TCACHE_NONE);
	a1 = ct_u64("thread.allocated");
	dallocx(p, MALLOCX_TCACHE_NONE);
	ATF_CHECK(a1 >= a0 + 64);
}

/*
 * Sizes above malloc's inline table (4 KiB) up to the cache's largest
 * class are popped from the thread cache without the generic path
 * (alloc.c): the object freed last comes back, with its class's usable
 * size, the pops count in thread.allocated (by usable size), and a size
 * just past a class boundary takes the next class's bin, not the freed
 * one's.
 */
ATF_TC_WITHOUT_HEAD(medium_sizes_cached);
ATF_TC_BODY(medium_sizes_cached, tc)
{
	static const size_t sizes[] = { 4097, 5000, 8192, 14336, 14337,
	    20000, 32768 };
	void *p, *q, *r;
	uint64_t a0, a1;
	size_t i, u;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p = malloc(sizes[i]);
		ATF_REQUIRE(p != NULL);
		u = malloc_usable_size(p);
		ATF_REQUIRE(u >= sizes[i]);
		memset(p, 0x5a, u);
		free(p);
		a0 = ct_u64("thread.allocated");
		q = malloc(sizes[i]);
		a1 = ct_u64("thread.allocated");
		ATF_CHECK_MSG(q == p, "malloc(%zu) after free: %p, not the "
		    "cached %p", sizes[i], q, p);
		ATF_CHECK_EQ(malloc_usable_size(q), u);
		ATF_CHECK_EQ_MSG(a1 - a0, u, "malloc(%zu): thread.allocated "
		    "moved by %ju, not %zu", sizes[i], (uintmax_t)(a1 - a0), u);
		/* One byte past the class: another bin. */
		r = malloc(u + 1);
		ATF_REQUIRE(r != NULL);
		ATF_CHECK(r != q);
		ATF_CHECK(malloc_usable_size(r) > u);
		free(r);
		free(q);
	}
}

/*
 * A working set that swings by more than a bin holds grows the bin: after
 * a few rounds of 256 allocations and 256 frees of 512 bytes (a class
 * that starts with a few dozen slots), the rounds run without filling or
 * flushing; bin statistics of a fresh arena show it.
 */
ATF_TC_WITHOUT_HEAD(bin_grows);
ATF_TC_BODY(bin_grows, tc)
{
	void *v[256];
	uint64_t fills, flushes;
	char fname[64], lname[64];
	unsigned a;
	size_t c;
	int round;

	a = fresh_thread_arena();
	c = ct_bin_index(512);
	snprintf(fname, sizeof(fname), "bins.%zu.nfills", c);
	snprintf(lname, sizeof(lname), "bins.%zu.nflushes", c);
	fills = flushes = 0;
	for (round = 0; round < 40; round++) {
		if (round == 20) {
			ct_epoch();
			fills = ct_astat(a, fname);
			flushes = ct_astat(a, lname);
			ATF_CHECK(fills > 1);
		}
		alloc_n(v, 256, 512);
		free_n(v, 256);
	}
	ct_epoch();
	ATF_CHECK_EQ(ct_astat(a, fname), fills);
	ATF_CHECK_EQ(ct_astat(a, lname), flushes);
	/* A flush gives everything back. */
	ATF_CHECK_EQ(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0), 0);
	ct_epoch();
	snprintf(fname, sizeof(fname), "bins.%zu.curregs", c);
	ATF_CHECK_EQ(ct_astat(a, fname), 0);
}

/*
 * A bin that reaches full by drifting (frees and allocations interleaved,
 * two frees for each allocation, as a server thread that frees other
 * threads' objects while it allocates its own) does not grow, even right
 * after a fill: only a swing (a fill, then a run of frees with few pops
 * between) does.  Before, each such overflow doubled the bin up to 256 KiB
 * of objects per class, and the thread held ~300 objects here instead of
 * at most its starting capacity.
 */
#define	DR_POOL	700
#define	DR_CYCLES	300

ATF_TC_WITHOUT_HEAD(drift_no_grow);
ATF_TC_BODY(drift_no_grow, tc)
{
	static void *pool[DR_POOL], *mine[DR_CYCLES + 1];
	uint64_t start, curregs, live, mul;
	char name[64];
	unsigned a, c, i, k;

	a = fresh_thread_arena();
	c = ct_bin_index(512);
	/* The bin's starting capacity, as tcache_boot computes it. */
	snprintf(name, sizeof(name), "arenas.bin.%u.nregs", c);
	mul = ct_u64("opt.lg_tcache_nslots_mul");
	start = (int64_t)mul >= 0 ? (uint64_t)ct_unsigned(name) << mul :
	    ct_unsigned(name) >> -(int64_t)mul;
	if (start < ct_unsigned("opt.tcache_nslots_small_min"))
		start = ct_unsigned("opt.tcache_nslots_small_min");
	if (start > ct_unsigned("opt.tcache_nslots_small_max"))
		start = ct_unsigned("opt.tcache_nslots_small_max");
	ATF_REQUIRE(2 * DR_CYCLES <= DR_POOL && start < DR_CYCLES / 2);
	alloc_n(pool, DR_POOL, 512);
	ATF_REQUIRE_EQ(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0),
	    0);
	/* The bin is empty: this allocation fills it. */
	mine[0] = malloc(512);
	ATF_REQUIRE(mine[0] != NULL);
	ct_hide(mine[0]);
	for (i = 0, k = 0; i < DR_CYCLES; i++) {
		free(pool[k++]);
		free(pool[k++]);
		mine[i + 1] = malloc(512);
		ATF_REQUIRE(mine[i + 1] != NULL);
		ct_hide(mine[i + 1]);
	}
	ct_epoch();
	snprintf(name, sizeof(name), "bins.%u.curregs", c);
	curregs = ct_astat(a, name);
	live = (DR_POOL - k) + DR_CYCLES + 1;
	ATF_REQUIRE(curregs >= live);
	ATF_CHECK_MSG(curregs - live <= start, "the cache holds %ju objects "
	    "after a drift of %d, more than its starting capacity %ju",
	    (uintmax_t)(curregs - live), DR_CYCLES, (uintmax_t)start);
	free_n(pool + k, DR_POOL - k);
	free_n(mine, DR_CYCLES + 1);
	ATF_REQUIRE_EQ(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0),
	    0);
	ct_epoch();
	ATF_CHECK_EQ(ct_astat(a, name), 0);
}

/*
 * A consumer thread that frees what another thread allocated, and never
 * allocates that class itself, keeps few of those objects in its cache
 * (TCACHE_FREEONLY_MIN, 32): the rest go back to the producer's arena.
 * With the ordinary policy it would keep up to the bin's capacity (128
 * for 64-byte objects).
 */
#define	FO_N	2000

struct fo_arg {
	void		**v;
	unsigned	 a;
	uint64_t	 held;
};

static void *
fo_consumer(void *arg)
{
	struct fo_arg *fa = arg;
	char name[64];
	int i;

	for (i = 0; i < FO_N; i++)
		free(fa->v[i]);
	ct_epoch();
	snprintf(name, sizeof(name), "bins.%u.curregs", ct_bin_index(64));
	fa->held = ct_astat(fa->a, name);
	return (NULL);
}

ATF_TC_WITHOUT_HEAD(freeonly_keeps_little);
ATF_TC_BODY(freeonly_keeps_little, tc)
{
	static void *v[FO_N];
	struct fo_arg fa;
	pthread_t t;

	fa.a = fresh_thread_arena();
	alloc_n(v, FO_N, 64);
	/* What the producer's own cache holds is not the consumer's. */
	ATF_REQUIRE_EQ(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0),
	    0);
	fa.v = v;
	ATF_REQUIRE_EQ(pthread_create(&t, NULL, fo_consumer, &fa), 0);
	ATF_REQUIRE_EQ(pthread_join(t, NULL), 0);
	ATF_CHECK_MSG(fa.held <= 32, "the consumer kept %ju of %d objects",
	    (uintmax_t)fa.held, FO_N);
}

/*
 * A bin that grew (a swinging working set), then had a long run of frees
 * with no allocation (which shrinks a free-only bin), then refills, must
 * still hold no more than its capacity: a bin that did not would run past
 * the end of its stack into the next class's, seen here as a 640-byte
 * request served with a 512-byte object or an abort at the flush.  (The
 * first free-only version broke this invariant by refilling with the
 * grown fill count; python3 in preload_test and realprog_test found it.)
 */
#define	GS_N	3000

static void *
gs_producer(void *arg)
{
	void **v = arg;
	int i;

	for (i = 0; i < GS_N; i++) {
		v[i] = malloc(512);
		if (v[i] == NULL)
			return (arg);
	}
	return (NULL);
}

ATF_TC_WITHOUT_HEAD(grown_freeonly_refill);
ATF_TC_BODY(grown_freeonly_refill, tc)
{
	static void *v[GS_N], *u[GS_N];
	void *r, *q, *w[10];
	char name[64];
	unsigned a, c;
	pthread_t t;
	int round, i;

	a = fresh_thread_arena();
	c = ct_bin_index(512);
	/* Grow the 512-byte bin to its cap, as in bin_grows. */
	for (round = 0; round < 20; round++) {
		alloc_n(v, 512, 512);
		free_n(v, 512);
	}
	/* Another thread's objects, freed at the end. */
	ATF_REQUIRE_EQ(pthread_create(&t, NULL, gs_producer, u), 0);
	ATF_REQUIRE_EQ(pthread_join(t, &r), 0);
	ATF_REQUIRE(r == NULL);
	/* A swing past the cap: a long run of frees shrinks the bin. */
	alloc_n(v, GS_N, 512);
	free_n(v, GS_N);
	/* Empty, so the next allocation fills. */
	ATF_REQUIRE_EQ(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0),
	    0);
	/* The next class's stack, right after this one's, holds objects. */
	alloc_n(w, 10, 640);
	free_n(w, 10);
	q = malloc(512);
	ATF_REQUIRE(q != NULL);
	ct_hide(q);
	free(q);
	free_n(u, GS_N);
	for (i = 0; i < 10; i++) {
		w[i] = malloc(640);
		ATF_REQUIRE(w[i] != NULL);
		ATF_CHECK_MSG(malloc_usable_size(w[i]) >= 640,
		    "malloc(640) returned a %zu-byte object",
		    malloc_usable_size(w[i]));
	}
	free_n(w, 10);
	ATF_REQUIRE_EQ(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0),
	    0);
	ct_epoch();
	snprintf(name, sizeof(name), "bins.%u.curregs", c);
	ATF_CHECK_EQ(ct_astat(a, name), 0);
}

/*
 * One flush that empties more slabs than bin_dalloc_batch releases at
 * once (64) still gives every one of them back: an earlier version left
 * the rest, empty, on the bin's nonfull list, where they stayed resident
 * (redis after FLUSHALL kept 12 MiB of empty slabs).
 */
ATF_TC_WITHOUT_HEAD(flush_releases_all_empty);
ATF_TC_BODY(flush_releases_all_empty, tc)
{
	static void *v[100][64];
	char name[64];
	unsigned a, c;
	int s, i;

	a = fresh_thread_arena();
	c = ct_bin_index(64);
	/* 100 slabs of 64 regions (fresh arena: slab after slab). */
	for (s = 0; s < 100; s++)
		for (i = 0; i < 64; i++) {
			v[s][i] = malloc(64);
			ATF_REQUIRE(v[s][i] != NULL);
			ct_hide(v[s][i]);
		}
	/* All but one region of each slab, flushed as they go. */
	for (s = 0; s < 100; s++)
		for (i = 1; i < 64; i++)
			free(v[s][i]);
	ATF_REQUIRE_EQ(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0),
	    0);
	/* The last region of every slab, then one flush of all 100. */
	for (s = 0; s < 100; s++)
		free(v[s][0]);
	ATF_REQUIRE_EQ(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0),
	    0);
	ct_epoch();
	snprintf(name, sizeof(name), "bins.%u.curregs", c);
	ATF_CHECK_EQ(ct_astat(a, name), 0);
	/* The bin's current slab stays, empty or not. */
	snprintf(name, sizeof(name), "bins.%u.curslabs", c);
	ATF_CHECK(ct_astat(a, name) <= 1);
	snprintf(name, sizeof(name), "bins.%u.nonfull_slabs", c);
	ATF_CHECK_EQ(ct_astat(a, name), 0);
}

/*
 * Objects of one class allocated one after another from a fresh slab
 * come in ascending address order (the fill is reversed onto the stack).
 */
ATF_TC_WITHOUT_HEAD(fill_order_ascending);
ATF_TC_BODY(fill_order_ascending, tc)
{
	char *p[8];
	int i;

	(void)fresh_thread_arena();
	for (i = 0; i < 8; i++) {
		p[i] = malloc(48);
		ATF_REQUIRE(p[i] != NULL);
	}
	for (i = 1; i < 8; i++)
		ATF_CHECK_MSG(p[i] == p[i - 1] + 48, "object %d at %p after %p",
		    i, (void *)p[i], (void *)p[i - 1]);
	for (i = 0; i < 8; i++)
		free(p[i]);
}

/*
 * A class the thread stopped using, whose cache grew for a swing, gives
 * its cached objects back once the slow paths of other classes ran a
 * while (the idle sweep: every 8 fills and overflows), while a class
 * still in use keeps its own.  Before,
 * the collector visited one class per 32 such events, round robin over
 * every class, and a program that works through its sizes one after
 * another (tests/bench/fastpath.c, mode=fixed) kept every finished size's
 * objects, and the slabs under them, to its end.
 */
#define	ID_BURST	2000
#define	ID_ROUNDS	12

ATF_TC_WITHOUT_HEAD(idle_bin_drained);
ATF_TC_BODY(idle_bin_drained, tc)
{
	static void *v[ID_BURST];
	char idle[64], busy[64];
	unsigned a, round, i;
	void *p;

	a = fresh_thread_arena();
	snprintf(idle, sizeof(idle), "bins.%u.curregs", ct_bin_index(256));
	snprintf(busy, sizeof(busy), "bins.%u.curregs", ct_bin_index(128));
	alloc_n(v, 200, 256);
	free_n(v, 200);
	p = malloc(128);
	ATF_REQUIRE(p != NULL);
	ct_hide(p);
	free(p);
	ct_epoch();
	ATF_REQUIRE_MSG(ct_astat(a, idle) >= 200, "the cache holds %ju of "
	    "the 200 freed 256-byte objects", (uintmax_t)ct_astat(a, idle));
	ATF_REQUIRE(ct_astat(a, busy) > 0);
	/* Fills and overflows of another class; 128 bytes stays in use. */
	for (round = 0; round < ID_ROUNDS; round++) {
		for (i = 0; i < ID_BURST; i++) {
			v[i] = malloc(64);
			ATF_REQUIRE(v[i] != NULL);
			ct_hide(v[i]);
			if (i % 16 == 0) {
				p = malloc(128);
				ATF_REQUIRE(p != NULL);
				ct_hide(p);
				free(p);
			}
		}
		free_n(v, ID_BURST);
	}
	ct_epoch();
	ATF_CHECK_MSG(ct_astat(a, idle) == 0, "the cache still holds %ju "
	    "objects of a class unused since", (uintmax_t)ct_astat(a, idle));
	ATF_CHECK_MSG(ct_astat(a, busy) > 0, "the cache gave back the "
	    "objects of a class in use");
	ATF_REQUIRE_EQ(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0),
	    0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, fill_order_ascending);
	ATF_TP_ADD_TC(tp, flush_releases_all_empty);
	ATF_TP_ADD_TC(tp, grown_freeonly_refill);
	ATF_TP_ADD_TC(tp, freeonly_keeps_little);
	ATF_TP_ADD_TC(tp, explicit_create_destroy);
	ATF_TP_ADD_TC(tp, explicit_routing);
	ATF_TP_ADD_TC(tp, bin_grows);
	ATF_TP_ADD_TC(tp, tcache_none);
	ATF_TP_ADD_TC(tp, tcache_none_rallocx);
	ATF_TP_ADD_TC(tp, enabled_any_nonzero_byte);
	ATF_TP_ADD_TC(tp, thread_tcache);
	ATF_TP_ADD_TC(tp, thread_counters);
	ATF_TP_ADD_TC(tp, thread_counters_uncached_small);
	ATF_TP_ADD_TC(tp, medium_sizes_cached);
	ATF_TP_ADD_TC(tp, drift_no_grow);
	ATF_TP_ADD_TC(tp, idle_bin_drained);
	return (atf_no_error());
}
