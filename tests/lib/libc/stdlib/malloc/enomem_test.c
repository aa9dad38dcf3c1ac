/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box tests of allocation failure under a real address-space
 * limit: in a forked child, RLIMIT_AS is set to the current size plus
 * 64 MiB, then huge, large or small blocks are allocated until the
 * allocator says no.  It must return NULL with errno ENOMEM (never
 * crash), keep serving requests that still fit, and get the space back
 * when everything is freed.  Requests of 1 GiB under the limit must fail
 * cleanly through every entry point.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include "retain_scenario.h"

#define	HEADROOM	(64 * MT_MIB)
#define	CHILD_TIMEOUT	30

/*
 * Make the small classes used after the failure live in the heap before
 * the limit is set, so that serving them does not need new mappings.
 */
static void
warm_up(void)
{
	static const size_t sz[] = { 16, 64, 256, 1024, 4096 };
	void *p[200];
	size_t i, k;

	for (k = 0; k < sizeof(sz) / sizeof(sz[0]); k++) {
		for (i = 0; i < 200; i++) {
			p[i] = malloc(sz[k]);
			if (p[i] == NULL)
				mt_child_fail("warm-up malloc(%zu) failed",
				    sz[k]);
		}
		for (i = 0; i < 200; i++)
			free(p[i]);
	}
}

static void
limit_address_space(void)
{
	struct rlimit rl;
	size_t vm;

	vm = mt_statm_raw(0);
	if (vm == 0)
		mt_child_fail("cannot read /proc/self/statm");
	rl.rlim_cur = rl.rlim_max = vm + HEADROOM;
	if (setrlimit(RLIMIT_AS, &rl) != 0)
		mt_child_fail("setrlimit(RLIMIT_AS): %s", strerror(errno));
}

/* After exhaustion, small requests of warmed-up classes still work. */
static void
small_still_work(void)
{
	static const size_t sz[] = { 1, 16, 60, 200, 1000, 4000 };
	void *p[100];
	size_t i;

	for (i = 0; i < 100; i++) {
		p[i] = malloc(sz[i % 6]);
		if (p[i] == NULL)
			mt_child_fail("malloc(%zu) failed after exhaustion "
			    "(errno %d)", sz[i % 6], errno);
		mt_fill(p[i], sz[i % 6], i);
	}
	for (i = 0; i < 100; i++) {
		if (mt_check(p[i], sz[i % 6], i) != SIZE_MAX)
			mt_child_fail("small block %zu corrupted", i);
		free(p[i]);
	}
}

/*
 * Allocate blocks of n bytes until failure (at most max); return how
 * many succeeded.  The failure must be NULL with ENOMEM.
 */
static size_t
exhaust(void **p, size_t max, size_t n)
{
	size_t k;

	for (k = 0; k < max; k++) {
		errno = 0;
		p[k] = malloc(n);
		if (p[k] == NULL)
			break;
		/* Touch both ends so that the block is really usable. */
		((volatile char *)p[k])[0] = 1;
		((volatile char *)p[k])[n - 1] = 1;
	}
	if (k == max)
		mt_child_fail("%zu blocks of %zu bytes fit in %zu bytes of "
		    "headroom: the limit is not enforced?", max, n,
		    (size_t)HEADROOM);
	if (errno != ENOMEM)
		mt_child_fail("malloc(%zu) failed with errno %d (%s), not "
		    "ENOMEM", n, errno, strerror(errno));
	return (k);
}

static void
child_huge_blocks(void *arg)
{
	void *p[64];
	size_t i, k;

	(void)arg;
	warm_up();
	limit_address_space();
	k = exhaust(p, 64, 8 * MT_MIB);
	if (k == 0)
		mt_child_fail("not even one 8 MiB block fit in 64 MiB of "
		    "headroom");
	small_still_work();
	for (i = 0; i < k; i++)
		free(p[i]);
	p[0] = malloc(8 * MT_MIB);
	if (p[0] == NULL)
		mt_child_fail("after freeing %zu blocks, malloc(8 MiB) still "
		    "fails (errno %d)", k, errno);
	memset(p[0], 1, 8 * MT_MIB);
	free(p[0]);
}

ATF_TC_WITHOUT_HEAD(rlimit_huge_blocks);
ATF_TC_BODY(rlimit_huge_blocks, tc)
{
	struct mt_child cr;

	mt_need_2m_superpages();
	mt_run_child(&cr, CHILD_TIMEOUT, child_huge_blocks, NULL);
	mt_require_child_ok(&cr, "8 MiB blocks under RLIMIT_AS");
}

static void
child_large_blocks(void *arg)
{
	void *p[256];
	size_t i, k, k2;

	(void)arg;
	warm_up();
	limit_address_space();
	k = exhaust(p, 256, MT_MIB);
	if (k == 0)
		mt_child_fail("not even one 1 MiB block fit");
	small_still_work();
	for (i = 0; i < k; i++)
		free(p[i]);
	/* The freed space must be usable again. */
	k2 = exhaust(p, 256, MT_MIB);
	if (k2 < k / 2 || k2 == 0)
		mt_child_fail("first pass got %zu blocks of 1 MiB, after "
		    "freeing them the second got only %zu", k, k2);
	for (i = 0; i < k2; i++)
		free(p[i]);
}

ATF_TC_WITHOUT_HEAD(rlimit_large_blocks);
ATF_TC_BODY(rlimit_large_blocks, tc)
{
	struct mt_child cr;

	mt_need_2m_superpages();
	mt_run_child(&cr, CHILD_TIMEOUT, child_large_blocks, NULL);
	mt_require_child_ok(&cr, "1 MiB blocks under RLIMIT_AS");
}

#define	NSMALL	(1024 * 1024)

static void
child_small_objects(void *arg)
{
	static void *p[NSMALL];
	size_t i, k;

	(void)arg;
	warm_up();
	limit_address_space();
	/* 4 KiB objects fill slabs; exhaustion hits slab creation. */
	k = exhaust(p, NSMALL, 4096);
	if (k < 1000)
		mt_child_fail("only %zu 4 KiB objects fit in 64 MiB", k);
	for (i = 0; i < k; i++)
		free(p[i]);
	small_still_work();
}

ATF_TC_WITHOUT_HEAD(rlimit_small_objects);
ATF_TC_BODY(rlimit_small_objects, tc)
{
	struct mt_child cr;

	mt_run_child(&cr, CHILD_TIMEOUT, child_small_objects, NULL);
	mt_require_child_ok(&cr, "4 KiB objects under RLIMIT_AS");
}

static void
child_one_gib(void *arg)
{
	void *p, *q;
	int ret;

	(void)arg;
	warm_up();
	limit_address_space();
	errno = 0;
	if ((p = malloc(mt_size(MT_GIB))) != NULL || errno != ENOMEM)
		mt_child_fail("malloc(1 GiB) = %p, errno %d", p, errno);
	errno = 0;
	if ((p = calloc(1, mt_size(MT_GIB))) != NULL || errno != ENOMEM)
		mt_child_fail("calloc(1, 1 GiB) = %p, errno %d", p, errno);
	errno = 0;
	if ((p = aligned_alloc(4096, mt_size(MT_GIB))) != NULL ||
	    errno != ENOMEM)
		mt_child_fail("aligned_alloc(4096, 1 GiB) = %p, errno %d", p,
		    errno);
	p = NULL;
	ret = posix_memalign(&p, MT_HUGE_ALIGN, mt_size(MT_GIB));
	if (ret != ENOMEM || p != NULL)
		mt_child_fail("posix_memalign(2 MiB, 1 GiB) = %d, p = %p", ret,
		    p);
	p = malloc(100);
	if (p == NULL)
		mt_child_fail("malloc(100) failed");
	mt_fill(p, 100, 1);
	errno = 0;
	q = realloc(p, mt_size(MT_GIB));
	if (q != NULL || errno != ENOMEM)
		mt_child_fail("realloc(p, 1 GiB) = %p, errno %d", q, errno);
	if (mt_check(p, 100, 1) != SIZE_MAX)
		mt_child_fail("failed realloc changed the old block");
	free(p);
	/* Something that fits still works. */
	p = malloc(MT_MIB);
	if (p == NULL)
		mt_child_fail("malloc(1 MiB) failed after the 1 GiB attempts");
	memset(p, 1, MT_MIB);
	free(p);
}

ATF_TC_WITHOUT_HEAD(rlimit_one_gib);
ATF_TC_BODY(rlimit_one_gib, tc)
{
	struct mt_child cr;

	mt_run_child(&cr, CHILD_TIMEOUT, child_one_gib, NULL);
	mt_require_child_ok(&cr, "1 GiB requests under RLIMIT_AS");
}

/*
 * With the default retain:true too, a grow that finds no address space
 * left gives back the retained (purged, clean) superpages and tries
 * again.
 */
ATF_TC_WITHOUT_HEAD(rlimit_retained_given_back);
ATF_TC_BODY(rlimit_retained_given_back, tc)
{
	retain_scenario_run();
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, rlimit_huge_blocks);
	ATF_TP_ADD_TC(tp, rlimit_large_blocks);
	ATF_TP_ADD_TC(tp, rlimit_small_objects);
	ATF_TP_ADD_TC(tp, rlimit_one_gib);
	ATF_TP_ADD_TC(tp, rlimit_retained_given_back);
	return (atf_no_error());
}
