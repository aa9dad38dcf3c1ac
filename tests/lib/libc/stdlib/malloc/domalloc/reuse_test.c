/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * reuse_test.c: slabs, page runs and huge spans are reused, packed into
 * superpages and given back.  Whitebox: uses a fresh explicit arena per
 * test case (arenas.create) and no thread cache, so the layout it checks
 * is not disturbed by other allocations.
 */
#include <atf-c.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <malloc_np.h>

#include "amap.h"
#include "arena.h"
#include "pa.h"
#include "sp.h"

/*
 * The sizes and counts of the cases that call this are worked out for 4
 * KiB pages in 2 MiB superpages (16 runs of 128 KiB fill a superpage, 3
 * MiB is a huge span of 2 superpages, ...).  Under lg_page (geom.h) they
 * skip, saying so; geom_test checks the larger geometries.
 */
static void
need_4k_geometry(void)
{
	if (PAGE != 4096 || SUPERPAGE != ((size_t)2 << 20))
		atf_tc_skip("written for 4 KiB pages in 2 MiB superpages; "
		    "here pages are %zu bytes in superpages of %zu MiB "
		    "(lg_page)", PAGE, SUPERPAGE >> 20);
}

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

	need_4k_geometry();
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

	need_4k_geometry();
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

	need_4k_geometry();
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

/* A fresh arena that never purges, so dirty memory stays dirty. */
static unsigned
new_arena_nodecay(void)
{
	unsigned a = new_arena();
	ssize_t ms = -1;
	char name[64];

	snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", a);
	ATF_REQUIRE_EQ(mallctl(name, NULL, NULL, &ms, sizeof(ms)), 0);
	return (a);
}

/*
 * A request that fits no single free span but a dirty span and its clean
 * neighbour together takes them both (the window with the fewest clean
 * superpages) rather than growing the arena; the clean superpage left
 * over stays clean.
 */
ATF_TC_WITHOUT_HEAD(huge_gathers_dirty_and_clean);
ATF_TC_BODY(huge_gathers_dirty_and_clean, tc)
{
	unsigned a = new_arena_nodecay();
	void *x, *y, *q;
	size_t mapped;

	need_4k_geometry();
	/* A chunk of 2 superpages: x and a clean one. */
	x = mallocx(2 << 20, flags_of(a));
	ATF_REQUIRE(x != NULL);
	ATF_REQUIRE_EQ(pa_of(a).nmapped_sp, 2);
	/* A chunk of 4: y on 2, then 2 clean. */
	y = mallocx(4 << 20, flags_of(a));
	ATF_REQUIRE(y != NULL);
	mapped = pa_of(a).nmapped_sp;
	ATF_REQUIRE_EQ(mapped, 6);
	ATF_REQUIRE_EQ(pa_of(a).nretained_sp, 3);
	/* 2 dirty superpages, 2 clean ones above: 6 MiB fits only both. */
	dallocx(y, flags_of(a));
	q = mallocx(6 << 20, flags_of(a));
	ATF_REQUIRE(q != NULL);
	ATF_CHECK_EQ_MSG(q, y, "the dirty span and its clean neighbour");
	ATF_CHECK_EQ_MSG(pa_of(a).nmapped_sp, mapped, "no growth");
	ATF_CHECK_EQ_MSG(pa_of(a).nretained_sp, 2,
	    "the clean superpage left over stays clean");
	ATF_CHECK_EQ(pa_of(a).ndirty, 0);
	dallocx(q, flags_of(a));
	dallocx(x, flags_of(a));
	ATF_CHECK_EQ(pa_of(a).nactive, 0);
}

/*
 * realloc of a huge object moves it into a dirty span that holds the new
 * size rather than growing into the clean superpages that follow it (which
 * would be faulted in fresh); xallocx, which cannot move, still grows in
 * place.
 */
ATF_TC_WITHOUT_HEAD(huge_grows_into_dirty);
ATF_TC_BODY(huge_grows_into_dirty, tc)
{
	unsigned a = new_arena_nodecay();
	char *d, *p, *q, *r;

	need_4k_geometry();
	/* A chunk of 4 superpages for d, one of 4 for p and 3 clean. */
	d = mallocx(8 << 20, flags_of(a));
	p = mallocx(2 << 20, flags_of(a));
	ATF_REQUIRE(d != NULL && p != NULL);
	ATF_REQUIRE_EQ(pa_of(a).nretained_sp, 3);
	dallocx(d, flags_of(a));
	memset(p, 5, 2 << 20);
	q = rallocx(p, 4 << 20, flags_of(a));
	ATF_REQUIRE(q != NULL);
	ATF_CHECK_EQ_MSG(q, d, "moved into the dirty span");
	ATF_CHECK_EQ(q[(2 << 20) - 1], 5);
	ATF_CHECK_EQ_MSG(pa_of(a).nretained_sp, 3, "nothing fresh touched");
	/* p's superpage, dirty now, then the 3 clean ones. */
	r = mallocx(2 << 20, flags_of(a));
	ATF_REQUIRE_EQ(r, p);
	ATF_CHECK_EQ_MSG(xallocx(r, 4 << 20, 0, flags_of(a)), 4 << 20,
	    "xallocx cannot move: it grows in place");
	ATF_CHECK_EQ(pa_of(a).nretained_sp, 2);
	dallocx(q, flags_of(a));
	dallocx(r, flags_of(a));
	ATF_CHECK_EQ(pa_of(a).nactive, 0);
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
	ATF_TP_ADD_TC(tp, huge_gathers_dirty_and_clean);
	ATF_TP_ADD_TC(tp, huge_grows_into_dirty);
	return (atf_no_error());
}
