/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box tests of malloc(3): the result for size 0, usable size and
 * writability over the small and large size range, alignment, failure
 * with ENOMEM for impossible sizes, superpage alignment of huge blocks,
 * and that live objects keep their contents and never overlap.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include "malloc_test_util.h"

/* Walk 1..70000: every size up to 4 KiB, then a prime stride. */
static size_t
walk_next(size_t n)
{

	return (n < 4096 ? n + 1 : n + 13);
}

#define	WALK_MAX	70000

ATF_TC_WITHOUT_HEAD(zero_unique);
ATF_TC_BODY(zero_unique, tc)
{
	void *p[256];
	size_t i, j;

	for (i = 0; i < 256; i++) {
		p[i] = malloc(mt_size(0));
		ATF_REQUIRE_MSG(p[i] != NULL, "malloc(0) #%zu returned NULL",
		    i);
		for (j = 0; j < i; j++)
			ATF_REQUIRE_MSG(p[i] != p[j],
			    "malloc(0) #%zu and #%zu both returned %p", i, j,
			    p[i]);
	}
	for (i = 0; i < 256; i++)
		free(p[i]);
}

ATF_TC_WITHOUT_HEAD(sizes_writable);
ATF_TC_BODY(sizes_writable, tc)
{
	unsigned char *p;
	size_t n, u, bad;

	for (n = 1; n <= WALK_MAX; n = walk_next(n)) {
		p = malloc(mt_size(n));
		ATF_REQUIRE_MSG(p != NULL, "malloc(%zu) returned NULL", n);
		u = mt_usable(p);
		ATF_REQUIRE_MSG(u >= n, "malloc(%zu): usable size %zu < %zu",
		    n, u, n);
		mt_fill(p, n, n);
		bad = mt_check(p, n, n);
		ATF_REQUIRE_MSG(bad == SIZE_MAX,
		    "malloc(%zu): byte %zu did not keep its value", n, bad);
		free(p);
	}
}

ATF_TC_WITHOUT_HEAD(alignment_16);
ATF_TC_BODY(alignment_16, tc)
{
	void *p;
	size_t n;

	for (n = 0; n <= WALK_MAX; n = walk_next(n)) {
		p = malloc(mt_size(n));
		ATF_REQUIRE_MSG(p != NULL, "malloc(%zu) returned NULL", n);
		ATF_CHECK_MSG(mt_aligned(p, 16),
		    "malloc(%zu) = %p is not 16-byte aligned", n, p);
		free(p);
	}
}

/* Allocate n bytes and expect failure with ENOMEM. */
static void
require_enomem(size_t n)
{
	void *p;

	errno = 0;
	p = malloc(mt_size(n));
	ATF_CHECK_MSG(p == NULL, "malloc(%#zx) returned %p, expected NULL",
	    n, p);
	ATF_CHECK_MSG(errno == ENOMEM, "malloc(%#zx): errno %d (%s), "
	    "expected ENOMEM", n, errno, strerror(errno));
	free(p);
}

ATF_TC_WITHOUT_HEAD(huge_size_max);
ATF_TC_BODY(huge_size_max, tc)
{

	require_enomem(SIZE_MAX);
}

ATF_TC_WITHOUT_HEAD(huge_size_half);
ATF_TC_BODY(huge_size_half, tc)
{

	require_enomem(SIZE_MAX / 2);
}

ATF_TC_WITHOUT_HEAD(huge_ptrdiff_max_plus_one);
ATF_TC_BODY(huge_ptrdiff_max_plus_one, tc)
{

	require_enomem((size_t)PTRDIFF_MAX + 1);
}

/*
 * Sizes just below SIZE_MAX are where rounding up to a quantum, a page
 * or a superpage overflows and yields a tiny size.
 */
ATF_TC_WITHOUT_HEAD(huge_near_size_max);
ATF_TC_BODY(huge_near_size_max, tc)
{
	static const size_t off[] = { 1, 2, 15, 16, 17, 4095, 4096, 4097,
	    MT_HUGE_ALIGN - 1, MT_HUGE_ALIGN, MT_HUGE_ALIGN + 1,
	    2 * MT_HUGE_ALIGN };
	size_t i;

	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		require_enomem(SIZE_MAX - off[i]);
}

/* Write every byte of a big block and read it back. */
static void
check_big(size_t n)
{
	unsigned char *p;
	size_t bad;

	p = malloc(mt_size(n));
	ATF_REQUIRE_MSG(p != NULL, "malloc(%zu) returned NULL", n);
	ATF_REQUIRE_MSG(mt_usable(p) >= n,
	    "malloc(%zu): usable size %zu", n, mt_usable(p));
	mt_fill(p, n, n);
	bad = mt_check(p, n, n);
	ATF_REQUIRE_MSG(bad == SIZE_MAX, "malloc(%zu): byte %zu changed", n,
	    bad);
	free(p);
}

ATF_TC_WITHOUT_HEAD(large_3mib_writable);
ATF_TC_BODY(large_3mib_writable, tc)
{

	check_big(3 * MT_MIB);
}

ATF_TC_WITHOUT_HEAD(large_64mib_writable);
ATF_TC_BODY(large_64mib_writable, tc)
{

	check_big(64 * MT_MIB);
}

ATF_TC_WITHOUT_HEAD(huge_superpage_aligned);
ATF_TC_BODY(huge_superpage_aligned, tc)
{
	static const size_t sz[] = { 2 * MT_MIB, 2 * MT_MIB + 1,
	    3 * MT_MIB, 4 * MT_MIB - 1, 5 * MT_MIB + 12345, 8 * MT_MIB,
	    64 * MT_MIB, 100 * MT_MIB + 1 };
	void *p[sizeof(sz) / sizeof(sz[0])];
	size_t i;

	/* Keep them all live so that each one needs fresh space. */
	for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
		p[i] = malloc(mt_size(sz[i]));
		ATF_REQUIRE_MSG(p[i] != NULL, "malloc(%zu) returned NULL",
		    sz[i]);
		ATF_CHECK_MSG(mt_aligned(p[i], MT_HUGE_ALIGN),
		    "malloc(%zu) = %p is not 2 MiB aligned", sz[i], p[i]);
		((volatile char *)p[i])[0] = 1;
		((volatile char *)p[i])[sz[i] - 1] = 1;
	}
	for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++)
		free(p[i]);
}

#define	NLIVE	4000

/*
 * Many objects of mixed sizes stay live while others come and go; each
 * must still hold its own pattern at the end.
 */
ATF_TC_WITHOUT_HEAD(contents_preserved);
ATF_TC_BODY(contents_preserved, tc)
{
	static unsigned char *p[NLIVE];
	static size_t sz[NLIVE];
	uint64_t rs;
	size_t i, j, bad;
	void *tmp;

	rs = 0x1234567;
	for (i = 0; i < NLIVE; i++) {
		switch (mt_rand(&rs) % 16) {
		case 0:
			sz[i] = 16384 + mt_rand(&rs) % (512 * MT_KIB);
			break;
		case 1:
			sz[i] = (i % 64 == 1) ? 2 * MT_MIB +
			    mt_rand(&rs) % (2 * MT_MIB) : 1 + mt_rand(&rs) %
			    16384;
			break;
		default:
			sz[i] = 1 + mt_rand(&rs) % 1024;
			break;
		}
		p[i] = malloc(mt_size(sz[i]));
		ATF_REQUIRE_MSG(p[i] != NULL, "malloc(%zu) returned NULL",
		    sz[i]);
		mt_fill(p[i], sz[i], i);
		/* Churn: transient objects that must not disturb others. */
		for (j = 0; j < 3; j++) {
			tmp = malloc(mt_size(1 + mt_rand(&rs) % 4096));
			ATF_REQUIRE(tmp != NULL);
			memset(tmp, 0xa5, 1);
			mt_escape(tmp);
			free(tmp);
		}
		if (i % 3 == 2) {
			/* Free an older one and reallocate its slot. */
			j = mt_rand(&rs) % i;
			bad = mt_check(p[j], sz[j], j);
			ATF_REQUIRE_MSG(bad == SIZE_MAX, "object %zu (%zu "
			    "bytes at %p) corrupted at offset %zu", j, sz[j],
			    p[j], bad);
			free(p[j]);
			sz[j] = 1 + mt_rand(&rs) % 2048;
			p[j] = malloc(mt_size(sz[j]));
			ATF_REQUIRE(p[j] != NULL);
			mt_fill(p[j], sz[j], j);
		}
	}
	for (i = 0; i < NLIVE; i++) {
		bad = mt_check(p[i], sz[i], i);
		ATF_CHECK_MSG(bad == SIZE_MAX, "object %zu (%zu bytes at %p) "
		    "corrupted at offset %zu", i, sz[i], p[i], bad);
		free(p[i]);
	}
}

struct range {
	uintptr_t	start;
	uintptr_t	end;
};

static int
range_cmp(const void *a, const void *b)
{
	const struct range *ra = a, *rb = b;

	if (ra->start < rb->start)
		return (-1);
	return (ra->start > rb->start);
}

#define	NRANGE	20000

ATF_TC_WITHOUT_HEAD(no_overlap);
ATF_TC_BODY(no_overlap, tc)
{
	static struct range r[NRANGE];
	static void *p[NRANGE];
	uint64_t rs;
	size_t i, n, u;

	rs = 42;
	for (i = 0; i < NRANGE; i++) {
		if (i % 500 == 0)
			n = 2 * MT_MIB + mt_rand(&rs) % MT_MIB;
		else if (i % 50 == 0)
			n = 16 * MT_KIB + mt_rand(&rs) % (256 * MT_KIB);
		else
			n = mt_rand(&rs) % (i % 7 == 0 ? 16384 : 512);
		p[i] = malloc(mt_size(n));
		ATF_REQUIRE_MSG(p[i] != NULL, "malloc(%zu) returned NULL", n);
		u = mt_usable(p[i]);
		ATF_REQUIRE_MSG(u >= n, "malloc(%zu): usable size %zu", n, u);
		r[i].start = (uintptr_t)p[i];
		r[i].end = (uintptr_t)p[i] + (u > 0 ? u : 1);
	}
	qsort(r, NRANGE, sizeof(r[0]), range_cmp);
	for (i = 1; i < NRANGE; i++)
		ATF_CHECK_MSG(r[i - 1].end <= r[i].start,
		    "[%#jx, %#jx) overlaps [%#jx, %#jx)",
		    (uintmax_t)r[i - 1].start, (uintmax_t)r[i - 1].end,
		    (uintmax_t)r[i].start, (uintmax_t)r[i].end);
	for (i = 0; i < NRANGE; i++)
		free(p[i]);
}

#define	NCHURN	1500

/*
 * Single-thread churn of slabs of the largest small classes and of page
 * runs from one to 64 pages, replaced at random so that superpages
 * fragment: each block keeps its pattern until it is freed.  The page
 * allocator keeps each superpage's longest free run up to date without a
 * rescan (pa.c); the debug twin checks it against a rescan at every run
 * allocation and free.
 */
ATF_TC_WITHOUT_HEAD(run_churn);
ATF_TC_BODY(run_churn, tc)
{
	static void *p[NCHURN];
	static size_t sz[NCHURN];
	uint64_t rs, seed;
	size_t i, j, off;

	rs = 7;
	for (i = 0; i < NCHURN * 40; i++) {
		j = i < NCHURN ? i : mt_rand(&rs) % NCHURN;
		if (p[j] != NULL) {
			off = mt_check(p[j], sz[j], j ^ sz[j]);
			ATF_REQUIRE_MSG(off == SIZE_MAX, "block %zu of %zu bytes: "
			    "byte %zu changed", j, sz[j], off);
			free(p[j]);
		}
		seed = mt_rand(&rs);
		sz[j] = seed % 4 == 0 ? 4096 + seed % (12 * MT_KIB) :
		    16 * MT_KIB + seed % (256 * MT_KIB - 16 * MT_KIB);
		p[j] = malloc(sz[j]);
		ATF_REQUIRE_MSG(p[j] != NULL, "malloc(%zu)", sz[j]);
		mt_fill(p[j], sz[j], j ^ sz[j]);
	}
	for (j = 0; j < NCHURN; j++) {
		ATF_REQUIRE(mt_check(p[j], sz[j], j ^ sz[j]) == SIZE_MAX);
		free(p[j]);
	}
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, zero_unique);
	ATF_TP_ADD_TC(tp, sizes_writable);
	ATF_TP_ADD_TC(tp, alignment_16);
	ATF_TP_ADD_TC(tp, huge_size_max);
	ATF_TP_ADD_TC(tp, huge_size_half);
	ATF_TP_ADD_TC(tp, huge_ptrdiff_max_plus_one);
	ATF_TP_ADD_TC(tp, huge_near_size_max);
	ATF_TP_ADD_TC(tp, large_3mib_writable);
	ATF_TP_ADD_TC(tp, large_64mib_writable);
	ATF_TP_ADD_TC(tp, huge_superpage_aligned);
	ATF_TP_ADD_TC(tp, contents_preserved);
	ATF_TP_ADD_TC(tp, no_overlap);
	ATF_TP_ADD_TC(tp, run_churn);
	return (atf_no_error());
}
