/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box tests of calloc(3): memory is zeroed for small, large and
 * huge sizes, including memory that was dirtied and freed just before,
 * the nmemb * size product is checked for overflow (NULL and ENOMEM),
 * and a zero count or size gives a pointer that can be freed.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include "malloc_test_util.h"

/* calloc(nmemb, size) must succeed and be all zero. */
static void
check_zeroed(size_t nmemb, size_t size)
{
	unsigned char *p;
	size_t bad;

	p = calloc(mt_size(nmemb), mt_size(size));
	ATF_REQUIRE_MSG(p != NULL, "calloc(%zu, %zu) returned NULL", nmemb,
	    size);
	bad = mt_check_byte(p, nmemb * size, 0);
	ATF_REQUIRE_MSG(bad == SIZE_MAX, "calloc(%zu, %zu) = %p: byte %zu "
	    "is %#x, not 0", nmemb, size, (void *)p, bad,
	    bad == SIZE_MAX ? 0 : p[bad]);
	free(p);
}

ATF_TC_WITHOUT_HEAD(small_zeroed);
ATF_TC_BODY(small_zeroed, tc)
{
	size_t n;

	for (n = 1; n <= MT_SMALL_MAX; n += (n < 512 ? 1 : 61))
		check_zeroed(1, n);
	for (n = 1; n <= 64; n++)
		check_zeroed(n, 24);
}

ATF_TC_WITHOUT_HEAD(large_zeroed);
ATF_TC_BODY(large_zeroed, tc)
{
	static const size_t sz[] = { 16384, 20000, 65536, 100000,
	    MT_MIB, MT_LARGE_MAX - 1, MT_LARGE_MAX };
	size_t i;

	for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
		check_zeroed(1, sz[i]);
		check_zeroed(sz[i] / 8, 8);
	}
}

ATF_TC_WITHOUT_HEAD(huge_zeroed);
ATF_TC_BODY(huge_zeroed, tc)
{
	static const size_t sz[] = { 2 * MT_MIB, 3 * MT_MIB + 7,
	    16 * MT_MIB, 64 * MT_MIB };
	size_t i;

	for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++)
		check_zeroed(1, sz[i]);
}

/*
 * Dirty a block, free it and calloc the same size at once: the block
 * (or whatever is handed out) must come back zeroed.  Repeated so that
 * thread-cache and bin reuse are both exercised.
 */
static void
check_reuse(size_t n, int rounds)
{
	void *p;
	int r;

	for (r = 0; r < rounds; r++) {
		p = malloc(mt_size(n));
		ATF_REQUIRE_MSG(p != NULL, "malloc(%zu) returned NULL", n);
		memset(p, 0xff, n);
		mt_escape(p);
		free(p);
		check_zeroed(1, n);
	}
}

ATF_TC_WITHOUT_HEAD(reused_small_zeroed);
ATF_TC_BODY(reused_small_zeroed, tc)
{
	static const size_t sz[] = { 1, 8, 16, 17, 100, 128, 512, 1000,
	    4096, 8192, MT_SMALL_MAX };
	size_t i;

	for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++)
		check_reuse(sz[i], 1000);
}

ATF_TC_WITHOUT_HEAD(reused_large_zeroed);
ATF_TC_BODY(reused_large_zeroed, tc)
{
	static const size_t sz[] = { 16384, 40000, 256 * MT_KIB, MT_MIB,
	    MT_LARGE_MAX };
	size_t i;

	for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++)
		check_reuse(sz[i], 100);
}

ATF_TC_WITHOUT_HEAD(reused_huge_zeroed);
ATF_TC_BODY(reused_huge_zeroed, tc)
{

	check_reuse(2 * MT_MIB, 20);
	check_reuse(4 * MT_MIB + 100, 20);
}

/*
 * Many dirty objects of one size are freed together, then calloc takes
 * them back one by one: every one must be zero.
 */
ATF_TC_WITHOUT_HEAD(reused_batch_zeroed);
ATF_TC_BODY(reused_batch_zeroed, tc)
{
	static void *p[2000];
	static const size_t sz[] = { 32, 96, 640, 3072, 20480 };
	size_t i, k, bad;

	for (k = 0; k < sizeof(sz) / sizeof(sz[0]); k++) {
		for (i = 0; i < 2000; i++) {
			p[i] = malloc(mt_size(sz[k]));
			ATF_REQUIRE(p[i] != NULL);
			memset(p[i], 0xff, sz[k]);
			mt_escape(p[i]);
		}
		for (i = 0; i < 2000; i++)
			free(p[i]);
		for (i = 0; i < 2000; i++) {
			p[i] = calloc(1, mt_size(sz[k]));
			ATF_REQUIRE(p[i] != NULL);
			bad = mt_check_byte(p[i], sz[k], 0);
			ATF_REQUIRE_MSG(bad == SIZE_MAX, "calloc(1, %zu) #%zu: "
			    "byte %zu not zero", sz[k], i, bad);
		}
		for (i = 0; i < 2000; i++)
			free(p[i]);
	}
}

static void
require_enomem(size_t nmemb, size_t size)
{
	void *p;

	errno = 0;
	p = calloc(mt_size(nmemb), mt_size(size));
	ATF_CHECK_MSG(p == NULL, "calloc(%#zx, %#zx) returned %p, expected "
	    "NULL", nmemb, size, p);
	ATF_CHECK_MSG(errno == ENOMEM, "calloc(%#zx, %#zx): errno %d (%s), "
	    "expected ENOMEM", nmemb, size, errno, strerror(errno));
	free(p);
}

/* Products that wrap around to small values must be caught. */
ATF_TC_WITHOUT_HEAD(overflow);
ATF_TC_BODY(overflow, tc)
{
	size_t half;

	half = (size_t)1 << (sizeof(size_t) * 4);
	require_enomem(SIZE_MAX, 2);
	require_enomem(2, SIZE_MAX);
	require_enomem(SIZE_MAX, SIZE_MAX);
	require_enomem(SIZE_MAX / 2 + 1, 2);	/* wraps to exactly 0 */
	require_enomem(half, half);		/* wraps to exactly 0 */
	require_enomem(half + 1, half);		/* wraps to half */
	require_enomem(SIZE_MAX / 16 + 1, 16);	/* wraps to 0 */
	require_enomem(SIZE_MAX / 48 + 1, 48);	/* wraps to a small size */
}

/* No overflow, but far too big. */
ATF_TC_WITHOUT_HEAD(too_big);
ATF_TC_BODY(too_big, tc)
{

	require_enomem(1, SIZE_MAX);
	require_enomem(SIZE_MAX, 1);
	require_enomem(1, (size_t)PTRDIFF_MAX + 1);
	require_enomem(SIZE_MAX / 4, 2);
}

ATF_TC_WITHOUT_HEAD(zero_count_or_size);
ATF_TC_BODY(zero_count_or_size, tc)
{
	void *p[3];
	int i;

	p[0] = calloc(mt_size(0), mt_size(16));
	p[1] = calloc(mt_size(16), mt_size(0));
	p[2] = calloc(mt_size(0), mt_size(0));
	for (i = 0; i < 3; i++)
		ATF_CHECK_MSG(p[i] != NULL, "calloc with a zero argument "
		    "(case %d) returned NULL", i);
	ATF_CHECK_MSG(p[0] != p[1] && p[1] != p[2] && p[0] != p[2],
	    "zero-size callocs are not unique: %p %p %p", p[0], p[1], p[2]);
	for (i = 0; i < 3; i++)
		free(p[i]);
	/* Not an overflow: 0 times anything is 0. */
	p[0] = calloc(mt_size(0), mt_size(SIZE_MAX));
	ATF_CHECK_MSG(p[0] != NULL, "calloc(0, SIZE_MAX) returned NULL");
	free(p[0]);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, small_zeroed);
	ATF_TP_ADD_TC(tp, large_zeroed);
	ATF_TP_ADD_TC(tp, huge_zeroed);
	ATF_TP_ADD_TC(tp, reused_small_zeroed);
	ATF_TP_ADD_TC(tp, reused_large_zeroed);
	ATF_TP_ADD_TC(tp, reused_huge_zeroed);
	ATF_TP_ADD_TC(tp, reused_batch_zeroed);
	ATF_TP_ADD_TC(tp, overflow);
	ATF_TP_ADD_TC(tp, too_big);
	ATF_TP_ADD_TC(tp, zero_count_or_size);
	return (atf_no_error());
}
