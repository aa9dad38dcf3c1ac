/*
 * reuse_test.c: slabs, page runs and huge spans are reused, packed into
 * superpages and given back.  Whitebox: uses a fresh explicit arena per
 * test case (arenas.create) and no thread cache, so the layout it checks
 * is not disturbed by other allocations.
 */
#include <atf-c.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <malloc_np.h>

#include "amap.h"
#include "arena.h"
#include "pa.h"
#include "sp.h"

static unsigned
new_arena(void)
{
	unsigned ind;
	size_t len = sizeof(ind);

	ATF_REQUIRE_EQ(mallctl("arenas.create", &ind, &len, NULL, 0), 0);
	return (ind);
}

static int
flags_of(unsigned ind)
{
	return (MALLOCX_ARENA(ind) | MALLOCX_TCACHE_NONE);
}

static struct pa_stats
pa_of(unsigned ind)
{
	struct pa_stats s;

	pa_stats_read(&arena_get(ind, false)->pa, &s);
	return (s);
}

ATF_TC_WITHOUT_HEAD(small_lifo_reuse);
ATF_TC_BODY(small_lifo_reuse, tc)
{
	void *p, *q;

	p = malloc(48);
	free(p);
	q = malloc(48);
	ATF_CHECK_EQ_MSG(p, q, "a freed small object is reused first");
	free(q);
}

ATF_TC_WITHOUT_HEAD(slab_regions);
ATF_TC_BODY(slab_regions, tc)
{
	unsigned a = new_arena(), i;
	void *p[256];
	struct sp *sp;
	uintptr_t lo = UINTPTR_MAX, hi = 0;

	for (i = 0; i < 256; i++) {
		p[i] = mallocx(16, flags_of(a));
		ATF_REQUIRE(p[i] != NULL);
		lo = DM_MIN(lo, (uintptr_t)p[i]);
		hi = DM_MAX(hi, (uintptr_t)p[i]);
		sp = amap_lookup(p[i]);
		ATF_REQUIRE(sp != NULL && sp->arena == arena_get(a, false));
	}
	/* 256 regions of 16 bytes fill exactly one page-sized slab. */
	ATF_CHECK_EQ_MSG(hi - lo, 255 * 16, "span %zu", (size_t)(hi - lo));
	ATF_CHECK_EQ(pa_of(a).nactive, 1);
	for (i = 0; i < 256; i++)
		dallocx(p[i], flags_of(a));
}

ATF_TC_WITHOUT_HEAD(empty_slabs_return);
ATF_TC_BODY(empty_slabs_return, tc)
{
	unsigned a = new_arena(), i;
	static void *p[20000];

	for (i = 0; i < 20000; i++)
		p[i] = mallocx(1000, flags_of(a));
	ATF_CHECK_MSG(pa_of(a).nactive >= 20000 * 1024 / PAGE,
	    "active %zu pages", pa_of(a).nactive);
	for (i = 0; i < 20000; i++)
		dallocx(p[i], flags_of(a));
	/* At most the bin's current slab stays. */
	ATF_CHECK_MSG(pa_of(a).nactive <= 5, "active %zu pages",
	    pa_of(a).nactive);
}

ATF_TC_WITHOUT_HEAD(runs_pack_into_superpage);
ATF_TC_BODY(runs_pack_into_superpage, tc)
{
	unsigned a = new_arena(), i;
	void *p[24];
	struct sp *first;

	for (i = 0; i < 24; i++)
		p[i] = mallocx(64 * 1024, flags_of(a));
	first = amap_lookup(p[0]);
	/* 24 x 64 KiB = 1.5 MiB: one superpage holds them all. */
	for (i = 1; i < 24; i++)
		ATF_CHECK_MSG(amap_lookup(p[i]) == first,
		    "run %u in another superpage", i);
	ATF_CHECK_EQ(pa_of(a).nruns_sp, 1);
	for (i = 0; i < 24; i++)
		dallocx(p[i], flags_of(a));
	/* The superpage went back to the free spans whole. */
	ATF_CHECK_EQ(pa_of(a).nruns_sp, 0);
	ATF_CHECK_EQ(pa_of(a).nactive, 0);
}

/*
 * A request goes to the superpage whose longest free run fits it most
 * snugly: a 28-page run is cut from a 31-page hole, not from a 32-page
 * one, which then still takes a 128 KiB run without a new superpage.
 */
ATF_TC_WITHOUT_HEAD(runs_snug_fit);
ATF_TC_BODY(runs_snug_fit, tc)
{
	unsigned a = new_arena(), i;
	void *p[32], *q, *r, *s, *t;
	struct sp *spa, *spb;

	for (i = 0; i < 32; i++)
		p[i] = mallocx(128 * 1024, flags_of(a));
	spa = amap_lookup(p[0]);
	spb = amap_lookup(p[16]);
	ATF_REQUIRE(spa != spb);
	for (i = 1; i < 16; i++)
		ATF_REQUIRE(amap_lookup(p[i]) == spa &&
		    amap_lookup(p[16 + i]) == spb);
	/* In the second superpage a hole of 64 pages, then one of 31. */
	dallocx(p[20], flags_of(a));
	dallocx(p[21], flags_of(a));
	q = mallocx(28 * 4096, flags_of(a));
	r = mallocx(5 * 4096, flags_of(a));
	ATF_REQUIRE(amap_lookup(q) == spb && amap_lookup(r) == spb);
	/* In the first superpage, freed last, a hole of 32 pages. */
	dallocx(p[3], flags_of(a));
	s = mallocx(28 * 4096, flags_of(a));
	ATF_CHECK_MSG(amap_lookup(s) == spb,
	    "28 pages cut from the 32-page hole, not the 31-page one");
	t = mallocx(128 * 1024, flags_of(a));
	ATF_CHECK_MSG(amap_lookup(t) == spa, "the 32-page hole was kept");
	ATF_CHECK_EQ(pa_of(a).nruns_sp, 2);
	for (i = 0; i < 32; i++)
		if (i != 3 && i != 20 && i != 21)
			dallocx(p[i], flags_of(a));
	dallocx(q, flags_of(a));
	dallocx(r, flags_of(a));
	dallocx(s, flags_of(a));
	dallocx(t, flags_of(a));
	ATF_CHECK_EQ(pa_of(a).nactive, 0);
}

ATF_TC_WITHOUT_HEAD(run_reuse);
ATF_TC_BODY(run_reuse, tc)
{
	unsigned a = new_arena();
	void *p, *q;

	p = mallocx(100000, flags_of(a));
	dallocx(p, flags_of(a));
	q = mallocx(100000, flags_of(a));
	ATF_CHECK_EQ_MSG(p, q, "the freed run is reused");
	dallocx(q, flags_of(a));
}

ATF_TC_WITHOUT_HEAD(large_grows_in_place);
ATF_TC_BODY(large_grows_in_place, tc)
{
	unsigned a = new_arena();
	char *p, *q;

	p = mallocx(64 * 1024, flags_of(a));
	memset(p, 7, 64 * 1024);
	q = rallocx(p, 256 * 1024, flags_of(a));
	ATF_CHECK_EQ_MSG(p, q, "free pages follow: grow in place");
	ATF_CHECK_EQ(q[64 * 1024 - 1], 7);
	ATF_CHECK_EQ(sallocx(q, 0), 256 * 1024);
	q = rallocx(q, 20 * 1024, flags_of(a));
	ATF_CHECK_EQ_MSG(p, q, "shrinking stays in place");
	ATF_CHECK_EQ(pa_of(a).nactive, 5);
	dallocx(q, flags_of(a));
}

ATF_TC_WITHOUT_HEAD(huge_spans);
ATF_TC_BODY(huge_spans, tc)
{
	unsigned a = new_arena();
	char *p, *q;

	/* Free space after the span to grow into: 20 MiB, then 5 of it. */
	p = mallocx(20 << 20, flags_of(a));
	ATF_REQUIRE(p != NULL);
	dallocx(p, flags_of(a));
	p = mallocx(5 << 20, flags_of(a));
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ((uintptr_t)p % SUPERPAGE, 0);
	ATF_CHECK_EQ(amap_lookup(p)->kind, SP_HUGE);
	ATF_CHECK_EQ(amap_lookup(p)->nsp, 3);
	dallocx(p, flags_of(a));
	ATF_CHECK_EQ(amap_lookup(p)->kind, SP_FREE);
	q = mallocx(5 << 20, flags_of(a));
	ATF_CHECK_EQ_MSG(p, q, "a freed span is reused");
	/* Grow into the free superpages that follow, shrink back. */
	p = rallocx(q, 9 << 20, flags_of(a));
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ(p, q);
	ATF_CHECK_EQ(amap_lookup(p)->nsp, 5);
	q = rallocx(p, 3 << 20, flags_of(a));
	ATF_REQUIRE(q != NULL);
	ATF_CHECK_EQ(p, q);
	ATF_CHECK_EQ(amap_lookup(q)->nsp, 2);
	ATF_CHECK_EQ(pa_of(a).nhuge_sp, 2);
	dallocx(q, flags_of(a));
	ATF_CHECK_EQ(pa_of(a).nhuge_sp, 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, small_lifo_reuse);
	ATF_TP_ADD_TC(tp, slab_regions);
	ATF_TP_ADD_TC(tp, empty_slabs_return);
	ATF_TP_ADD_TC(tp, runs_pack_into_superpage);
	ATF_TP_ADD_TC(tp, runs_snug_fit);
	ATF_TP_ADD_TC(tp, run_reuse);
	ATF_TP_ADD_TC(tp, large_grows_in_place);
	ATF_TP_ADD_TC(tp, huge_spans);
	return (atf_no_error());
}
