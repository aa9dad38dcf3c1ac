/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box tests of the glibc-internal entry points that domalloc
 * exports (__libc_malloc, __libc_calloc, __libc_realloc, __libc_free,
 * __libc_memalign, __libc_valloc, __libc_pvalloc, __posix_memalign):
 * they must be domalloc's own, so memory from one family can be released
 * through the other, and they show domalloc's size classes and huge
 * block alignment rather than glibc's.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include "malloc_test_util.h"

static const size_t sizes[] = { 1, 100, 14336, 100000, 3 * MT_MIB };
#define	NSIZES	(sizeof(sizes) / sizeof(sizes[0]))

ATF_TC_WITHOUT_HEAD(libc_malloc_usable_112);
ATF_TC_BODY(libc_malloc_usable_112, tc)
{
	void *p;

	p = __libc_malloc(mt_size(100));
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ_MSG(mt_usable(p), 112,
	    "malloc_usable_size(__libc_malloc(100)) = %zu, expected 112",
	    mt_usable(p));
	free(p);
}

/* Huge blocks from __libc_malloc are domalloc's superpage spans. */
ATF_TC_WITHOUT_HEAD(libc_malloc_huge_aligned);
ATF_TC_BODY(libc_malloc_huge_aligned, tc)
{
	void *p;

	p = __libc_malloc(mt_size(3 * MT_MIB));
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_MSG(mt_aligned(p, MT_HUGE_ALIGN),
	    "__libc_malloc(3 MiB) = %p is not 2 MiB aligned", p);
	__libc_free(p);
}

ATF_TC_WITHOUT_HEAD(libc_malloc_then_free);
ATF_TC_BODY(libc_malloc_then_free, tc)
{
	void *p;
	size_t i;

	for (i = 0; i < NSIZES; i++) {
		p = __libc_malloc(mt_size(sizes[i]));
		ATF_REQUIRE_MSG(p != NULL, "__libc_malloc(%zu) = NULL",
		    sizes[i]);
		ATF_CHECK(mt_usable(p) >= sizes[i]);
		mt_fill(p, sizes[i], i);
		ATF_CHECK(mt_check(p, sizes[i], i) == SIZE_MAX);
		free(p);
	}
}

ATF_TC_WITHOUT_HEAD(malloc_then_libc_free);
ATF_TC_BODY(malloc_then_libc_free, tc)
{
	void *p;
	size_t i;

	for (i = 0; i < NSIZES; i++) {
		p = malloc(mt_size(sizes[i]));
		ATF_REQUIRE(p != NULL);
		mt_fill(p, sizes[i], i);
		__libc_free(p);
	}
	__libc_free(mt_hide(NULL));
}

ATF_TC_WITHOUT_HEAD(libc_calloc_zeroed);
ATF_TC_BODY(libc_calloc_zeroed, tc)
{
	void *p, *q;
	size_t i, bad;

	for (i = 0; i < NSIZES; i++) {
		/* Dirty a block of this size first so reuse is tested. */
		q = malloc(mt_size(sizes[i]));
		ATF_REQUIRE(q != NULL);
		memset(q, 0xff, sizes[i]);
		mt_escape(q);
		free(q);
		p = __libc_calloc(1, mt_size(sizes[i]));
		ATF_REQUIRE(p != NULL);
		bad = mt_check_byte(p, sizes[i], 0);
		ATF_CHECK_MSG(bad == SIZE_MAX, "__libc_calloc(1, %zu): byte "
		    "%zu not zero", sizes[i], bad);
		free(p);
	}
	errno = 0;
	p = __libc_calloc(mt_size(SIZE_MAX), 2);
	ATF_CHECK_MSG(p == NULL && errno == ENOMEM, "__libc_calloc overflow: "
	    "%p, errno %d", p, errno);
}

ATF_TC_WITHOUT_HEAD(libc_realloc_preserves);
ATF_TC_BODY(libc_realloc_preserves, tc)
{
	void *p;
	size_t i;

	p = malloc(1);
	ATF_REQUIRE(p != NULL);
	mt_fill(p, 1, 4);
	for (i = 0; i < NSIZES; i++) {
		p = __libc_realloc(p, mt_size(sizes[i]));
		ATF_REQUIRE_MSG(p != NULL, "__libc_realloc to %zu failed",
		    sizes[i]);
		ATF_REQUIRE_MSG(mt_check(p, i == 0 ? 1 : sizes[i - 1], 4) ==
		    SIZE_MAX, "__libc_realloc to %zu lost contents",
		    sizes[i]);
		mt_fill(p, sizes[i], 4);
	}
	p = realloc(p, mt_size(10));
	ATF_REQUIRE(p != NULL);
	ATF_REQUIRE(mt_check(p, 10, 4) == SIZE_MAX);
	__libc_free(p);
}

ATF_TC_WITHOUT_HEAD(libc_memalign_aligned);
ATF_TC_BODY(libc_memalign_aligned, tc)
{
	void *p;
	size_t a;

	for (a = 16; a <= 4 * MT_MIB; a <<= 2) {
		p = __libc_memalign(mt_size(a), mt_size(a + 3));
		ATF_REQUIRE(p != NULL);
		ATF_CHECK_MSG(mt_aligned(p, a), "__libc_memalign(%zu) = %p",
		    a, p);
		memset(p, 0, a + 3);
		mt_escape(p);
		free(p);
	}
}

ATF_TC_WITHOUT_HEAD(libc_valloc_pvalloc);
ATF_TC_BODY(libc_valloc_pvalloc, tc)
{
	size_t pg;
	void *p, *q;

	pg = mt_page_size();
	p = __libc_valloc(mt_size(100));
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_MSG(mt_aligned(p, pg), "__libc_valloc(100) = %p", p);
	q = __libc_pvalloc(mt_size(pg + 1));
	ATF_REQUIRE(q != NULL);
	ATF_CHECK_MSG(mt_aligned(q, pg), "__libc_pvalloc = %p", q);
	ATF_CHECK_MSG(mt_usable(q) % pg == 0 &&
	    mt_usable(q) >= 2 * pg, "__libc_pvalloc(page + 1): "
	    "usable size %zu", mt_usable(q));
	memset(q, 0, 2 * pg);
	mt_escape(q);
	free(p);
	__libc_free(q);
}

ATF_TC_WITHOUT_HEAD(posix_memalign_alias);
ATF_TC_BODY(posix_memalign_alias, tc)
{
	void *p;
	int ret;

	ret = __posix_memalign(&p, mt_size(4096), mt_size(5000));
	ATF_REQUIRE_EQ_MSG(ret, 0, "__posix_memalign = %d", ret);
	ATF_CHECK(mt_aligned(p, 4096));
	ATF_CHECK(mt_usable(p) >= 5000);
	memset(p, 0, 5000);
	mt_escape(p);
	__libc_free(p);
}

/*
 * Interleave all the families on one set of objects: whatever returns
 * the memory, the allocator must stay consistent.
 */
ATF_TC_WITHOUT_HEAD(families_interleaved);
ATF_TC_BODY(families_interleaved, tc)
{
	static void *p[3000];
	static size_t sz[3000];
	uint64_t rs;
	size_t i, bad;

	rs = 5;
	for (i = 0; i < 3000; i++) {
		sz[i] = 1 + mt_rand(&rs) % (i % 100 == 0 ? 300000 : 1000);
		switch (i % 4) {
		case 0:
			p[i] = __libc_malloc(sz[i]);
			break;
		case 1:
			p[i] = malloc(sz[i]);
			break;
		case 2:
			p[i] = __libc_calloc(1, sz[i]);
			break;
		default:
			p[i] = __libc_memalign(64, sz[i]);
			break;
		}
		ATF_REQUIRE(p[i] != NULL);
		mt_fill(p[i], sz[i], i);
	}
	for (i = 0; i < 3000; i++) {
		bad = mt_check(p[i], sz[i], i);
		ATF_CHECK_MSG(bad == SIZE_MAX, "object %zu changed at %zu", i,
		    bad);
		if (i % 2 == 0)
			__libc_free(p[i]);
		else
			free(p[i]);
	}
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, libc_malloc_usable_112);
	ATF_TP_ADD_TC(tp, libc_malloc_huge_aligned);
	ATF_TP_ADD_TC(tp, libc_malloc_then_free);
	ATF_TP_ADD_TC(tp, malloc_then_libc_free);
	ATF_TP_ADD_TC(tp, libc_calloc_zeroed);
	ATF_TP_ADD_TC(tp, libc_realloc_preserves);
	ATF_TP_ADD_TC(tp, libc_memalign_aligned);
	ATF_TP_ADD_TC(tp, libc_valloc_pvalloc);
	ATF_TP_ADD_TC(tp, posix_memalign_alias);
	ATF_TP_ADD_TC(tp, families_interleaved);
	return (atf_no_error());
}
