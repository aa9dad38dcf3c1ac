/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box tests of the aligned allocation functions: posix_memalign,
 * aligned_alloc, memalign, valloc and pvalloc, and the glibc-internal
 * names __posix_memalign and __libc_memalign.  Every power-of-two
 * alignment up to 1 GiB, EINVAL for invalid alignments with the result
 * pointer left untouched, ENOMEM for impossible sizes, page rounding of
 * pvalloc, and no overlap between aligned and ordinary objects.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include "malloc_test_util.h"

#define	MAX_ALIGN	MT_GIB
/* Above this alignment only size 1 is tried, to bound address space. */
#define	AFFORD_ALIGN	(256 * MT_MIB)

static void * const sentinel = (void *)(uintptr_t)0x5eed5eed0;

/* Touch the first and last byte of a block and check its size. */
static void
touch_ends(void *p, size_t n, const char *fn, size_t align)
{

	ATF_REQUIRE_MSG(mt_usable(p) >= n, "%s(%zu, %zu): usable "
	    "size %zu", fn, align, n, mt_usable(p));
	((volatile char *)p)[0] = 1;
	((volatile char *)p)[n - 1] = 1;
}

static void
pm_ok(size_t align, size_t n)
{
	void *p;
	int ret;

	p = sentinel;
	ret = posix_memalign(&p, mt_size(align), mt_size(n));
	ATF_REQUIRE_MSG(ret == 0, "posix_memalign(&p, %#zx, %zu) returned %d "
	    "(%s)", align, n, ret, strerror(ret));
	ATF_REQUIRE_MSG(p != NULL && p != sentinel, "posix_memalign(&p, %#zx, "
	    "%zu) returned 0 but set p to %p", align, n, p);
	ATF_CHECK_MSG(mt_aligned(p, align), "posix_memalign(&p, %#zx, %zu) "
	    "= %p is misaligned", align, n, p);
	touch_ends(p, n, "posix_memalign", align);
	free(p);
}

ATF_TC_WITHOUT_HEAD(posix_memalign_all_alignments);
ATF_TC_BODY(posix_memalign_all_alignments, tc)
{
	size_t a;

	for (a = sizeof(void *); a <= MAX_ALIGN; a <<= 1) {
		pm_ok(a, 1);
		if (a <= AFFORD_ALIGN) {
			pm_ok(a, a);
			pm_ok(a, a + a / 2);
		}
	}
}

ATF_TC_WITHOUT_HEAD(posix_memalign_zero_size);
ATF_TC_BODY(posix_memalign_zero_size, tc)
{
	void *p;
	size_t a;
	int ret;

	for (a = sizeof(void *); a <= 4 * MT_MIB; a <<= 1) {
		p = sentinel;
		ret = posix_memalign(&p, mt_size(a), mt_size(0));
		ATF_REQUIRE_MSG(ret == 0, "posix_memalign(&p, %zu, 0) returned "
		    "%d", a, ret);
		ATF_REQUIRE_MSG(p != sentinel, "p not set");
		ATF_CHECK_MSG(mt_aligned(p, a), "posix_memalign(&p, %zu, 0) = "
		    "%p is misaligned", a, p);
		free(p);
	}
}

static void
pm_fail(size_t align, size_t n, int expect)
{
	void *p;
	int ret;

	p = sentinel;
	ret = posix_memalign(&p, mt_size(align), mt_size(n));
	ATF_CHECK_MSG(ret == expect, "posix_memalign(&p, %#zx, %#zx) returned "
	    "%d (%s), expected %d (%s)", align, n, ret, strerror(ret), expect,
	    strerror(expect));
	ATF_CHECK_MSG(p == sentinel, "posix_memalign(&p, %#zx, %#zx) failed "
	    "but changed p to %p", align, n, p);
	if (ret == 0)
		free(p);
}

ATF_TC_WITHOUT_HEAD(posix_memalign_einval);
ATF_TC_BODY(posix_memalign_einval, tc)
{
	static const size_t bad[] = { 0, 1, 2, 4, 3, 5, 6, 7, 12, 24, 48,
	    100, 1000, 4097, 3 * 4096, 3 * MT_MIB, SIZE_MAX, SIZE_MAX / 2,
	    ((size_t)1 << 62) + 1 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i] == sizeof(void *))
			continue;
		pm_fail(bad[i], 1, EINVAL);
		pm_fail(bad[i], 100, EINVAL);
	}
}

ATF_TC_WITHOUT_HEAD(posix_memalign_enomem);
ATF_TC_BODY(posix_memalign_enomem, tc)
{

	pm_fail(16, SIZE_MAX, ENOMEM);
	pm_fail(16, SIZE_MAX - 15, ENOMEM);
	pm_fail(4096, SIZE_MAX - 100, ENOMEM);
	pm_fail(MT_HUGE_ALIGN, (size_t)PTRDIFF_MAX + 1, ENOMEM);
	pm_fail(MT_HUGE_ALIGN, SIZE_MAX - MT_HUGE_ALIGN + 1, ENOMEM);
	pm_fail(SIZE_MAX / 2 + 1, 1, ENOMEM);
	pm_fail((size_t)1 << 62, 1, ENOMEM);
}

static void
aa_ok(size_t align, size_t n)
{
	void *p;

	p = aligned_alloc(mt_size(align), mt_size(n));
	ATF_REQUIRE_MSG(p != NULL, "aligned_alloc(%#zx, %zu) returned NULL "
	    "(errno %d)", align, n, errno);
	ATF_CHECK_MSG(mt_aligned(p, align), "aligned_alloc(%#zx, %zu) = %p "
	    "is misaligned", align, n, p);
	touch_ends(p, n, "aligned_alloc", align);
	free(p);
}

/*
 * Any power of two is a valid alignment, including those below
 * sizeof(void *), and the size need not be a multiple of it (C17).
 */
ATF_TC_WITHOUT_HEAD(aligned_alloc_all_alignments);
ATF_TC_BODY(aligned_alloc_all_alignments, tc)
{
	size_t a;

	for (a = 1; a <= MAX_ALIGN; a <<= 1) {
		aa_ok(a, 1);
		if (a <= AFFORD_ALIGN) {
			aa_ok(a, a);
			aa_ok(a, a + a / 2);
			aa_ok(a, 3 * a + 1);
		}
	}
}

static void
aa_fail(size_t align, size_t n, int expect)
{
	void *p;

	errno = 0;
	p = aligned_alloc(mt_size(align), mt_size(n));
	ATF_CHECK_MSG(p == NULL, "aligned_alloc(%#zx, %#zx) = %p, expected "
	    "NULL", align, n, p);
	ATF_CHECK_MSG(errno == expect, "aligned_alloc(%#zx, %#zx): errno %d "
	    "(%s), expected %d (%s)", align, n, errno, strerror(errno),
	    expect, strerror(expect));
	free(p);
}

ATF_TC_WITHOUT_HEAD(aligned_alloc_einval);
ATF_TC_BODY(aligned_alloc_einval, tc)
{
	static const size_t bad[] = { 0, 3, 5, 6, 7, 12, 24, 48, 100, 1000,
	    4097, 3 * 4096, 3 * MT_MIB, SIZE_MAX, SIZE_MAX / 2 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aa_fail(bad[i], 1, EINVAL);
		aa_fail(bad[i], 4096, EINVAL);
	}
}

ATF_TC_WITHOUT_HEAD(aligned_alloc_enomem);
ATF_TC_BODY(aligned_alloc_enomem, tc)
{

	aa_fail(16, SIZE_MAX, ENOMEM);
	aa_fail(64, SIZE_MAX - 63, ENOMEM);
	aa_fail(4096, (size_t)PTRDIFF_MAX + 1, ENOMEM);
	aa_fail(MT_HUGE_ALIGN, SIZE_MAX - 4095, ENOMEM);
	aa_fail(SIZE_MAX / 2 + 1, 1, ENOMEM);
}

ATF_TC_WITHOUT_HEAD(memalign_alignments);
ATF_TC_BODY(memalign_alignments, tc)
{
	void *p;
	size_t a, i, n;

	for (a = 1; a <= 64 * MT_MIB; a <<= 1) {
		for (i = 0; i < 3; i++) {
			n = i * a + 1;
			p = memalign(mt_size(a), mt_size(n));
			ATF_REQUIRE_MSG(p != NULL, "memalign(%zu, %zu) "
			    "returned NULL", a, n);
			ATF_CHECK_MSG(mt_aligned(p, a), "memalign(%zu, %zu) = "
			    "%p is misaligned", a, n, p);
			touch_ends(p, n, "memalign", a);
			free(p);
		}
	}
}

#define	NPSIZES	8

/* Sizes around the page size for valloc and pvalloc; returns the page. */
static size_t
page_sizes(size_t *sz)
{
	size_t pg;

	pg = mt_page_size();
	sz[0] = 1;
	sz[1] = 16;
	sz[2] = pg - 1;
	sz[3] = pg;
	sz[4] = pg + 1;
	sz[5] = 3 * pg;
	sz[6] = 100000;
	sz[7] = 3 * MT_MIB + 5;
	return (pg);
}

ATF_TC_WITHOUT_HEAD(valloc_page_aligned);
ATF_TC_BODY(valloc_page_aligned, tc)
{
	size_t sz[NPSIZES], pg, i, n;
	void *p;

	pg = page_sizes(sz);
	for (i = 0; i < NPSIZES; i++) {
		n = sz[i];
		p = valloc(mt_size(n));
		ATF_REQUIRE_MSG(p != NULL, "valloc(%zu) returned NULL", n);
		ATF_CHECK_MSG(mt_aligned(p, pg), "valloc(%zu) = %p is not page "
		    "aligned", n, p);
		touch_ends(p, n, "valloc", pg);
		free(p);
	}
}

ATF_TC_WITHOUT_HEAD(pvalloc_page_rounded);
ATF_TC_BODY(pvalloc_page_rounded, tc)
{
	size_t sz[NPSIZES], pg, i, n, r, u;
	void *p;

	pg = page_sizes(sz);
	for (i = 0; i < NPSIZES; i++) {
		n = sz[i];
		r = (n + pg - 1) / pg * pg;
		p = pvalloc(mt_size(n));
		ATF_REQUIRE_MSG(p != NULL, "pvalloc(%zu) returned NULL", n);
		ATF_CHECK_MSG(mt_aligned(p, pg), "pvalloc(%zu) = %p is not "
		    "page aligned", n, p);
		u = mt_usable(p);
		ATF_CHECK_MSG(u >= r && u % pg == 0, "pvalloc(%zu): usable "
		    "size %zu is not a page multiple >= %zu", n, u, r);
		memset(p, 0x3c, r);
		mt_escape(p);
		free(p);
	}
}

ATF_TC_WITHOUT_HEAD(pvalloc_zero_one_page);
ATF_TC_BODY(pvalloc_zero_one_page, tc)
{
	size_t pg, u;
	void *p;

	pg = mt_page_size();
	p = pvalloc(mt_size(0));
	ATF_REQUIRE_MSG(p != NULL, "pvalloc(0) returned NULL");
	ATF_CHECK_MSG(mt_aligned(p, pg), "pvalloc(0) = %p not page aligned",
	    p);
	u = mt_usable(p);
	ATF_CHECK_MSG(u >= pg && u % pg == 0, "pvalloc(0): usable size %zu, "
	    "expected one page (%zu)", u, pg);
	memset(p, 0x3c, pg);
	mt_escape(p);
	free(p);
}

ATF_TC_WITHOUT_HEAD(valloc_pvalloc_enomem);
ATF_TC_BODY(valloc_pvalloc_enomem, tc)
{
	void *p;

	errno = 0;
	p = valloc(mt_size(SIZE_MAX - 10));
	ATF_CHECK_MSG(p == NULL && errno == ENOMEM, "valloc(SIZE_MAX - 10) = "
	    "%p, errno %d", p, errno);
	free(p);
	/* Rounding this up to a page multiple overflows. */
	errno = 0;
	p = pvalloc(mt_size(SIZE_MAX - 10));
	ATF_CHECK_MSG(p == NULL && errno == ENOMEM, "pvalloc(SIZE_MAX - 10) = "
	    "%p, errno %d", p, errno);
	free(p);
}

ATF_TC_WITHOUT_HEAD(libc_names_agree);
ATF_TC_BODY(libc_names_agree, tc)
{
	void *p, *q;
	size_t a;
	int ret;

	for (a = sizeof(void *); a <= 4 * MT_MIB; a <<= 1) {
		p = sentinel;
		ret = __posix_memalign(&p, mt_size(a), mt_size(a + 1));
		ATF_REQUIRE_MSG(ret == 0, "__posix_memalign(&p, %zu, %zu) = %d",
		    a, a + 1, ret);
		ATF_CHECK_MSG(mt_aligned(p, a), "__posix_memalign alignment "
		    "%zu: %p", a, p);
		q = __libc_memalign(mt_size(a), mt_size(a + 1));
		ATF_REQUIRE_MSG(q != NULL, "__libc_memalign(%zu, %zu) = NULL",
		    a, a + 1);
		ATF_CHECK_MSG(mt_aligned(q, a), "__libc_memalign alignment "
		    "%zu: %p", a, q);
		touch_ends(p, a + 1, "__posix_memalign", a);
		touch_ends(q, a + 1, "__libc_memalign", a);
		free(p);
		free(q);
	}
	p = sentinel;
	ret = __posix_memalign(&p, mt_size(24), 1);
	ATF_CHECK_MSG(ret == EINVAL && p == sentinel, "__posix_memalign(&p, "
	    "24, 1) = %d, p = %p", ret, p);
	p = sentinel;
	ret = __posix_memalign(&p, mt_size(16), mt_size(SIZE_MAX));
	ATF_CHECK_MSG(ret == ENOMEM && p == sentinel, "__posix_memalign(&p, "
	    "16, SIZE_MAX) = %d, p = %p", ret, p);
}

/* Aligned objects mixed with ordinary ones must all be disjoint. */
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

#define	NOBJ	4000

ATF_TC_WITHOUT_HEAD(aligned_no_overlap);
ATF_TC_BODY(aligned_no_overlap, tc)
{
	static struct range r[NOBJ];
	static void *p[NOBJ];
	uint64_t rs;
	size_t i, a, n;
	int ret;

	rs = 99;
	for (i = 0; i < NOBJ; i++) {
		n = 1 + mt_rand(&rs) % (i % 10 == 0 ? 65536 : 2048);
		if (i % 2 == 0) {
			a = (size_t)1 << (4 + mt_rand(&rs) % 14);
			ret = posix_memalign(&p[i], a, n);
			ATF_REQUIRE_MSG(ret == 0, "posix_memalign(&p, %zu, "
			    "%zu) = %d", a, n, ret);
			ATF_CHECK_MSG(mt_aligned(p[i], a), "%p not aligned to "
			    "%zu", p[i], a);
		} else {
			p[i] = malloc(n);
			ATF_REQUIRE(p[i] != NULL);
		}
		r[i].start = (uintptr_t)p[i];
		r[i].end = r[i].start + mt_usable(p[i]);
		ATF_REQUIRE_MSG(r[i].end - r[i].start >= n, "usable size %zu < "
		    "%zu", (size_t)(r[i].end - r[i].start), n);
	}
	qsort(r, NOBJ, sizeof(r[0]), range_cmp);
	for (i = 1; i < NOBJ; i++)
		ATF_CHECK_MSG(r[i - 1].end <= r[i].start,
		    "[%#jx, %#jx) overlaps [%#jx, %#jx)",
		    (uintmax_t)r[i - 1].start, (uintmax_t)r[i - 1].end,
		    (uintmax_t)r[i].start, (uintmax_t)r[i].end);
	for (i = 0; i < NOBJ; i++)
		free(p[i]);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, posix_memalign_all_alignments);
	ATF_TP_ADD_TC(tp, posix_memalign_zero_size);
	ATF_TP_ADD_TC(tp, posix_memalign_einval);
	ATF_TP_ADD_TC(tp, posix_memalign_enomem);
	ATF_TP_ADD_TC(tp, aligned_alloc_all_alignments);
	ATF_TP_ADD_TC(tp, aligned_alloc_einval);
	ATF_TP_ADD_TC(tp, aligned_alloc_enomem);
	ATF_TP_ADD_TC(tp, memalign_alignments);
	ATF_TP_ADD_TC(tp, valloc_page_aligned);
	ATF_TP_ADD_TC(tp, pvalloc_page_rounded);
	ATF_TP_ADD_TC(tp, pvalloc_zero_one_page);
	ATF_TP_ADD_TC(tp, valloc_pvalloc_enomem);
	ATF_TP_ADD_TC(tp, libc_names_agree);
	ATF_TP_ADD_TC(tp, aligned_no_overlap);
	return (atf_no_error());
}
