/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * bin_share_test: a thread cache's fill that would make a new slab in an
 * automatic arena takes from a sibling arena first (bin.h): the free
 * regions of the sibling bin's nonfull slabs, or else a slab of pages
 * that are resident already: of the thread's arena's dirty pages if a run
 * of them fits, of a sibling's if not, before a slab of fresh pages.
 * Seen through the statistics (the sibling bin's nmalloc and nslabs grow,
 * the thread's arena makes no slab) and arenas.lookup.  Explicit arenas,
 * whether named by MALLOCX_ARENA or bound with thread.arena, never take
 * from another arena, and arenas with extent hooks neither lend nor
 * borrow.  One thread binds itself to arena 0, then arena 1,
 * of two automatic arenas.  The races of the sharing are in
 * purge_race_test's remote cases.
 */
#include "ctl_test_util.h"

const char *malloc_conf = "narenas:2,dirty_decay_ms:600000,"
    "muzzy_decay_ms:0,background_thread:false";

#define	SIZE		96	/* the class of the nonfull slabs */
#define	OTHER		448	/* a class no arena has a slab of */
#define	NOBJ		4000
#define	NTAKE		200

static void	*objs[2][NOBJ];

static void
bind(unsigned a)
{
	ATF_REQUIRE_EQ(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0),
	    0);
	ATF_REQUIRE_EQ(mallctl("thread.arena", NULL, NULL, &a, sizeof(a)),
	    0);
}

static unsigned
lookup(void *p)
{
	unsigned ind = ~0u;
	size_t len = sizeof(ind);

	ATF_REQUIRE_EQ(mallctl("arenas.lookup", &ind, &len, &p, sizeof(p)),
	    0);
	return (ind);
}

static uint64_t
bstat(unsigned a, unsigned bin, const char *what)
{
	char name[128];

	snprintf(name, sizeof(name), "bins.%u.%s", bin, what);
	return (ct_astat(a, name));
}

/*
 * Automatic arenas 0 .. n - 1 (n is 1 or 2) get nonfull slabs of SIZE:
 * NOBJ objects each, all allocated before any is freed, then every other
 * one freed and the cache flushed home.  Both arenas are made; the
 * thread is left bound to arena 0.
 */
static void
make_nonfull(unsigned n)
{
	unsigned a, i;

	for (a = 2; a-- > 0;) {
		bind(a);
		for (i = 0; i < NOBJ && a < n; i++) {
			objs[a][i] = ct_hide(malloc(SIZE));
			ATF_REQUIRE(objs[a][i] != NULL);
			ATF_REQUIRE_EQ(lookup(objs[a][i]), a);
		}
	}
	for (a = 0; a < n; a++)
		for (i = 0; i < NOBJ; i += 2) {
			free(objs[a][i]);
			objs[a][i] = NULL;
		}
	bind(0);
	ct_epoch();
	for (a = 0; a < n; a++)
		ATF_REQUIRE(bstat(a, ct_bin_index(SIZE), "nonfull_slabs") > 0);
}

static void
free_all(void)
{
	unsigned a, i;

	for (a = 0; a < 2; a++)
		for (i = 0; i < NOBJ; i++) {
			free(objs[a][i]);
			objs[a][i] = NULL;
		}
}

ATF_TC_WITHOUT_HEAD(takes_nonfull_regions);
ATF_TC_BODY(takes_nonfull_regions, tc)
{
	unsigned b = ct_bin_index(SIZE), i;
	uint64_t nmalloc0, nslabs1;
	void *p[NTAKE];

	make_nonfull(1);
	nmalloc0 = bstat(0, b, "nmalloc");
	nslabs1 = bstat(1, b, "nslabs");
	bind(1);
	for (i = 0; i < NTAKE; i++) {
		p[i] = ct_hide(malloc(SIZE));
		ATF_REQUIRE(p[i] != NULL);
		memset(p[i], 0xa5, SIZE);
		ATF_CHECK_EQ_MSG(lookup(p[i]), 0, "object %u is arena %u's",
		    i, lookup(p[i]));
	}
	ct_epoch();
	ATF_CHECK_EQ(bstat(1, b, "nslabs"), nslabs1);
	ATF_CHECK(bstat(0, b, "nmalloc") >= nmalloc0 + NTAKE);
	/* Freed from arena 1's thread, they go home to arena 0. */
	for (i = 0; i < NTAKE; i++)
		free(p[i]);
	bind(1);
	ct_epoch();
	ATF_CHECK_EQ(bstat(1, b, "curregs"), 0);
	free_all();
}

ATF_TC_WITHOUT_HEAD(slab_of_sibling_dirty_pages);
ATF_TC_BODY(slab_of_sibling_dirty_pages, tc)
{
	unsigned b = ct_bin_index(OTHER), i;
	uint64_t nslabs0;
	void *p[NTAKE];

	/* Arena 0 frees all its slabs: dirty pages (decay is 10 min). */
	make_nonfull(1);
	free_all();
	bind(0);
	ct_epoch();
	ATF_REQUIRE(ct_astat(0, "pdirty") > 0);
	ATF_REQUIRE_EQ(ct_astat(1, "pdirty"), 0);
	nslabs0 = bstat(0, b, "nslabs");
	ATF_REQUIRE_EQ(bstat(1, b, "nslabs"), 0);
	bind(1);
	for (i = 0; i < NTAKE; i++) {
		p[i] = ct_hide(malloc(OTHER));
		ATF_REQUIRE(p[i] != NULL);
		memset(p[i], 0x5a, OTHER);
		ATF_CHECK_EQ_MSG(lookup(p[i]), 0, "object %u is arena %u's",
		    i, lookup(p[i]));
	}
	ct_epoch();
	ATF_CHECK_EQ(bstat(1, b, "nslabs"), 0);
	ATF_CHECK(bstat(0, b, "nslabs") > nslabs0);
	for (i = 0; i < NTAKE; i++)
		free(p[i]);
}

#define	RUN	16384		/* a large class: 4 pages */
#define	NRUN	40

/*
 * Arena 1 gets NRUN / 2 dirty holes of `hole' pages (runs of RUN
 * freed); arena 0 all its slabs' dirty pages (make_nonfull, free_all).
 * The thread is left bound to arena 1; the runs left are in keep.
 */
static void
make_holes(unsigned hole, void **keep)
{
	unsigned i, per = hole / 4;
	void *r[NRUN];

	make_nonfull(1);
	free_all();
	for (i = 0; i < NRUN; i++) {
		r[i] = ct_hide(mallocx(RUN, MALLOCX_ARENA(1) |
		    MALLOCX_TCACHE_NONE));
		ATF_REQUIRE(r[i] != NULL);
		ATF_REQUIRE_EQ(lookup(r[i]), 1);
	}
	/* Runs of `per' freed, one kept between: the last is kept. */
	for (i = 0; i < NRUN; i++) {
		if (i % (per + 1) == per)
			keep[i] = r[i];
		else {
			keep[i] = NULL;
			dallocx(r[i], MALLOCX_TCACHE_NONE);
		}
	}
	if (keep[NRUN - 1] == NULL) {
		keep[NRUN - 1] = ct_hide(mallocx(RUN, MALLOCX_ARENA(1) |
		    MALLOCX_TCACHE_NONE));
		ATF_REQUIRE(keep[NRUN - 1] != NULL);
	}
	bind(1);
	ct_epoch();
	ATF_REQUIRE(ct_astat(0, "pdirty") >= 7);
	ATF_REQUIRE(ct_astat(1, "pdirty") >= 7);
}

/* Allocate NTAKE objects of OTHER (7-page slabs): all arena want's. */
static void
take_other(unsigned want, void **keep)
{
	unsigned b = ct_bin_index(OTHER), i;
	uint64_t nslabs[2];
	void *p[NTAKE];

	nslabs[0] = bstat(0, b, "nslabs");
	nslabs[1] = bstat(1, b, "nslabs");
	for (i = 0; i < NTAKE; i++) {
		p[i] = ct_hide(malloc(OTHER));
		ATF_REQUIRE(p[i] != NULL);
		memset(p[i], 0x3c, OTHER);
		ATF_CHECK_EQ_MSG(lookup(p[i]), want, "object %u is arena "
		    "%u's", i, lookup(p[i]));
	}
	ct_epoch();
	ATF_CHECK(bstat(want, b, "nslabs") > nslabs[want]);
	ATF_CHECK_EQ(bstat(1 - want, b, "nslabs"), nslabs[1 - want]);
	for (i = 0; i < NTAKE; i++)
		free(p[i]);
	for (i = 0; i < NRUN; i++)
		if (keep[i] != NULL)
			dallocx(keep[i], MALLOCX_TCACHE_NONE);
}

/*
 * Arena 1 holds more than a slab's worth of dirty pages, but in holes of
 * 4 pages, too small for a slab of 7: its fill makes the slab of arena
 * 0's dirty pages, not of fresh pages of its own.
 */
ATF_TC_WITHOUT_HEAD(slab_of_sibling_dirty_pages_if_none_fit);
ATF_TC_BODY(slab_of_sibling_dirty_pages_if_none_fit, tc)
{
	void *keep[NRUN];

	make_holes(4, keep);
	take_other(0, keep);
}

/* With holes of 8 pages, its own dirty pages serve first. */
ATF_TC_WITHOUT_HEAD(own_dirty_pages_first);
ATF_TC_BODY(own_dirty_pages_first, tc)
{
	void *keep[NRUN];

	make_holes(8, keep);
	take_other(1, keep);
}

ATF_TC_WITHOUT_HEAD(explicit_arenas_take_none);
ATF_TC_BODY(explicit_arenas_take_none, tc)
{
	unsigned b = ct_bin_index(SIZE), e, i;
	uint64_t nmalloc0, nmalloc1;
	void *p[NTAKE];

	e = ct_new_arena();
	make_nonfull(2);
	nmalloc0 = bstat(0, b, "nmalloc");
	nmalloc1 = bstat(1, b, "nmalloc");
	/* MALLOCX_ARENA, with and without the thread's cache. */
	for (i = 0; i < NTAKE; i++) {
		p[i] = ct_hide(mallocx(SIZE, i % 2 == 0 ? MALLOCX_ARENA(e) :
		    ct_arena_flags(e)));
		ATF_REQUIRE(p[i] != NULL);
		ATF_CHECK_EQ(lookup(p[i]), e);
	}
	for (i = 0; i < NTAKE; i++)
		dallocx(p[i], 0);
	/* A thread bound to the explicit arena. */
	bind(e);
	for (i = 0; i < NTAKE; i++) {
		p[i] = ct_hide(malloc(SIZE));
		ATF_REQUIRE(p[i] != NULL);
		ATF_CHECK_EQ(lookup(p[i]), e);
	}
	for (i = 0; i < NTAKE; i++)
		free(p[i]);
	bind(0);
	ct_epoch();
	ATF_CHECK_EQ(bstat(0, b, "nmalloc"), nmalloc0);
	ATF_CHECK_EQ(bstat(1, b, "nmalloc"), nmalloc1);
	free_all();
}

static void
set_hooks(unsigned a, extent_hooks_t *h)
{
	ATF_REQUIRE_EQ(ct_ctlf("arena.%u.extent_hooks", NULL, NULL, &h,
	    sizeof(h), a), 0);
}

/* Allocate NTAKE objects of SIZE, all arena want's; then free them. */
static void
take_check(unsigned want)
{
	unsigned i;
	void *p[NTAKE];

	for (i = 0; i < NTAKE; i++) {
		p[i] = ct_hide(malloc(SIZE));
		ATF_REQUIRE(p[i] != NULL);
		ATF_CHECK_EQ(lookup(p[i]), want);
	}
	for (i = 0; i < NTAKE; i++)
		free(p[i]);
}

ATF_TC_WITHOUT_HEAD(hooked_arenas_take_none);
ATF_TC_BODY(hooked_arenas_take_none, tc)
{
	static extent_hooks_t pass;
	extent_hooks_t *dflt;
	size_t len = sizeof(dflt);
	unsigned b = ct_bin_index(SIZE);
	uint64_t nmalloc0;

	ATF_REQUIRE_EQ(mallctl("arena.0.extent_hooks", &dflt, &len, NULL, 0),
	    0);
	pass = *dflt;
	make_nonfull(1);
	nmalloc0 = bstat(0, b, "nmalloc");
	/* A sibling with hooks lends nothing... */
	set_hooks(0, &pass);
	bind(1);
	take_check(1);
	/* ... and an arena with hooks borrows nothing. */
	set_hooks(0, dflt);
	set_hooks(1, &pass);
	bind(1);
	take_check(1);
	set_hooks(1, dflt);
	bind(0);
	ct_epoch();
	ATF_CHECK_EQ(bstat(0, b, "nmalloc"), nmalloc0);
	free_all();
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, takes_nonfull_regions);
	ATF_TP_ADD_TC(tp, slab_of_sibling_dirty_pages);
	ATF_TP_ADD_TC(tp, slab_of_sibling_dirty_pages_if_none_fit);
	ATF_TP_ADD_TC(tp, own_dirty_pages_first);
	ATF_TP_ADD_TC(tp, explicit_arenas_take_none);
	ATF_TP_ADD_TC(tp, hooked_arenas_take_none);
	return (atf_no_error());
}
