/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * tcache_test.c: how a thread's cache is made and unmade (tcache.h).  A
 * new thread's cache sets up only the bins its slow paths use, the first
 * fill of a bin takes at most TCACHE_FILL_FIRST objects and at most
 * TCACHE_FILL_FIRST_BYTES of them (one at least), turning the
 * cache off leaves it in its reset state (every bin and per-bin counter
 * zero) with the thread's byte counts carried over, and the stack block
 * of an exited thread is what the next new thread gets.  Whitebox: reads
 * the calling thread's tsd.  Each case runs its checks in threads of its
 * own, so that the main thread's cache (which ATF's own allocations use)
 * does not matter.
 */
#include <atf-c.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <malloc_np.h>

#include "sc.h"
#include "tcache.h"
#include "tsd.h"

static void
run_thread(void *(*fn)(void *), void *arg)
{
	pthread_t th;

	ATF_REQUIRE(pthread_create(&th, NULL, fn, arg) == 0);
	ATF_REQUIRE(pthread_join(th, NULL) == 0);
}

/* Bins other than keep (a mask) are neither set up nor usable. */
static void
check_only_live(const struct tcache *tc, uint64_t keep)
{
	unsigned i;

	ATF_CHECK_EQ_MSG(tc->live, keep, "live mask %#llx, expected %#llx",
	    (unsigned long long)tc->live, (unsigned long long)keep);
	for (i = 0; i < tc->nhbins; i++) {
		if (keep >> i & 1)
			continue;
		ATF_CHECK_MSG(tc->bins[i].max == 0 && tc->bins[i].magic == 0 &&
		    tc->bins[i].stack == NULL, "bin %u is set up: max %u, "
		    "magic %#x", i, tc->bins[i].max, tc->bins[i].magic);
	}
}

struct lazy_arg {
	void	*other;		/* allocated by the main thread */
	unsigned other_ind;
};

static void *
lazy_main(void *arg)
{
	struct lazy_arg *la = arg;
	struct tcache *tc;
	unsigned ind = sc_index(64);
	void *p;

	p = malloc(64);
	ATF_REQUIRE(p != NULL);
	tc = &tsd_get()->tc;
	ATF_REQUIRE_MSG(tc->nhbins > ind && tc->nhbins > la->other_ind,
	    "the thread has no cache for these classes");
	check_only_live(tc, (uint64_t)1 << ind);
	/* malloc's size map leads to the bins set up, and only to them. */
	ATF_CHECK(tsd_get()->bin_of[(64 + SC_QUANTUM - 1) >> SC_LG_QUANTUM] ==
	    &tc->bins[ind]);
	ATF_CHECK(tsd_get()->bin_of[(49 + SC_QUANTUM - 1) >> SC_LG_QUANTUM] ==
	    &tc->bins[sc_index(49)]);
	ATF_CHECK(tsd_get()->bin_of[(2000 + SC_QUANTUM - 1) >>
	    SC_LG_QUANTUM] == &tbin_none);
	/* One object out of a first fill of at most TCACHE_FILL_FIRST. */
	ATF_CHECK_MSG(tc->bins[ind].ncached < TCACHE_FILL_FIRST,
	    "%u objects cached after the first fill",
	    tc->bins[ind].ncached);
	ATF_CHECK_EQ(tc->nfilled[ind], tc->bins[ind].ncached + 1);
	free(p);
	ATF_CHECK_EQ(tc->bins[ind].nmalloc, 1);
	/* A free of another class sets that bin up and caches the object. */
	free(la->other);
	check_only_live(tc, (uint64_t)1 << ind | (uint64_t)1 << la->other_ind);
	ATF_CHECK(tsd_get()->bin_of[(1000 + SC_QUANTUM - 1) >>
	    SC_LG_QUANTUM] == &tc->bins[la->other_ind]);
	ATF_CHECK_EQ(tc->bins[la->other_ind].ncached, 1);
	ATF_CHECK(tc->bins[la->other_ind].stack[0] == la->other);
	return (NULL);
}

ATF_TC_WITHOUT_HEAD(lazy_bins);
ATF_TC_BODY(lazy_bins, tc)
{
	struct lazy_arg la;

	la.other = malloc(1000);
	ATF_REQUIRE(la.other != NULL);
	la.other_ind = sc_index(1000);
	ATF_REQUIRE(la.other_ind != sc_index(64));
	run_thread(lazy_main, &la);
}

static uint64_t
counter(const char *name)
{
	uint64_t v;
	size_t len = sizeof(v);

	ATF_REQUIRE(mallctl(name, &v, &len, NULL, 0) == 0);
	return (v);
}

static void
set_enabled(bool on)
{
	ATF_REQUIRE(mallctl("thread.tcache.enabled", NULL, NULL, &on,
	    sizeof(on)) == 0);
}

static void *
reset_main(void *arg)
{
	static const size_t sizes[] = { 16, 100, 700, 3000, 20000 };
	struct tcache *tc = &tsd_get()->tc, zero;
	void *p[sizeof(sizes) / sizeof(sizes[0])];
	uint64_t a0, d0;
	size_t sum = 0;
	unsigned i;

	(void)arg;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p[i] = malloc(sizes[i]);
		ATF_REQUIRE(p[i] != NULL);
		sum += malloc_usable_size(p[i]);
	}
	for (i = 0; i < 3; i++)
		free(p[i]);
	ATF_REQUIRE(tc->live != 0);
	a0 = counter("thread.allocated");
	d0 = counter("thread.deallocated");
	ATF_CHECK(a0 >= sum);
	set_enabled(false);
	/* The reset state: nothing for the next create to clear. */
	ATF_CHECK_EQ(tc->nhbins, 0);
	ATF_CHECK_EQ(tc->live, 0);
	ATF_CHECK(tc->mem == NULL && tc->sbins == NULL);
	memset(&zero, 0, sizeof(zero));
	ATF_CHECK(memcmp(tc->bins, zero.bins, sizeof(tc->bins)) == 0);
	ATF_CHECK(memcmp(tc->nfilled, zero.nfilled, sizeof(tc->nfilled)) ==
	    0);
	ATF_CHECK(memcmp(tc->nflushed, zero.nflushed,
	    sizeof(tc->nflushed)) == 0);
	ATF_CHECK(memcmp(tc->grow, zero.grow, sizeof(tc->grow)) == 0);
	/* The counts of the destroyed cache carry over. */
	ATF_CHECK_EQ(counter("thread.allocated"), a0);
	ATF_CHECK_EQ(counter("thread.deallocated"), d0);
	set_enabled(true);
	ATF_CHECK_EQ(tc->nhbins, tcache_nhbins);
	ATF_CHECK(tc->mem != NULL);
	check_only_live(tc, 0);
	/* The new cache counts on from there. */
	sum = 0;
	for (i = 3; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		sum += malloc_usable_size(p[i]);
		free(p[i]);
	}
	ATF_CHECK_EQ(counter("thread.allocated"), a0);
	ATF_CHECK_EQ(counter("thread.deallocated"), d0 + sum);
	return (NULL);
}

ATF_TC_WITHOUT_HEAD(reset_state);
ATF_TC_BODY(reset_state, tc)
{
	run_thread(reset_main, NULL);
}

static void *
pool_main(void *arg)
{
	void **mem = arg;

	free(malloc(32));
	*mem = tsd_get()->tc.mem;
	return (NULL);
}

ATF_TC_WITHOUT_HEAD(pool_reuse);
ATF_TC_BODY(pool_reuse, tc)
{
	void *first = NULL, *second = NULL;

	run_thread(pool_main, &first);
	ATF_REQUIRE(first != NULL);
	/* No other thread exited or started between the two. */
	run_thread(pool_main, &second);
	ATF_CHECK_MSG(second == first, "the second thread's stacks %p are "
	    "not the first's %p", second, first);
}

/*
 * The first fill of each slab class takes min(TCACHE_FILL_FIRST,
 * TCACHE_FILL_FIRST_BYTES / size) objects, at least one: a program that
 * allocates one 4 KiB block makes one page resident, not eight; and the
 * next fills double.
 */
static void *
fill_first_main(void *arg)
{
	struct tcache *tc = &tsd_get()->tc;
	unsigned ind, want, k;
	size_t size;
	void *p, *q[4];

	(void)arg;
	for (size = 16; size <= 16384; size *= 2) {
		ind = sc_index(size);
		if (ind >= SC_NBINS)
			break;
		p = malloc(size);
		ATF_REQUIRE(p != NULL);
		ATF_REQUIRE_MSG(ind < tc->nhbins, "size %zu is not cached",
		    size);
		want = TCACHE_FILL_FIRST_BYTES / (unsigned)sc_size[ind];
		want = want < 1 ? 1 : want > TCACHE_FILL_FIRST ?
		    TCACHE_FILL_FIRST : want;
		ATF_CHECK_EQ_MSG(tc->nfilled[ind], want,
		    "size %zu: first fill of %llu objects, expected %u", size,
		    (unsigned long long)tc->nfilled[ind], want);
		ATF_CHECK_EQ(tc->bins[ind].ncached, tc->nfilled[ind] - 1);
		free(p);
	}
	/*
	 * Later fills take at most what the fills before took: 4 KiB
	 * blocks come one, one, two, four at a time, not one then half the
	 * bin (10).
	 */
	ind = sc_index(4096);
	ATF_REQUIRE(sc_size[ind] == 4096 && tc->nfilled[ind] == 1 &&
	    tc->bins[ind].ncached == 1);
	for (k = 0; k < 4; k++) {
		q[k] = malloc(4096);
		ATF_REQUIRE(q[k] != NULL);
	}
	/* The cached one, then fills of 1 and 2: 4 filled, none left. */
	ATF_CHECK_EQ_MSG(tc->nfilled[ind], 4, "%llu filled",
	    (unsigned long long)tc->nfilled[ind]);
	ATF_CHECK_EQ(tc->bins[ind].ncached, 0);
	for (k = 0; k < 4; k++)
		free(q[k]);
	return (NULL);
}

ATF_TC_WITHOUT_HEAD(fill_first);
ATF_TC_BODY(fill_first, tc)
{
	run_thread(fill_first_main, NULL);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, lazy_bins);
	ATF_TP_ADD_TC(tp, fill_first);
	ATF_TP_ADD_TC(tp, reset_state);
	ATF_TP_ADD_TC(tp, pool_reuse);
	return (atf_no_error());
}
