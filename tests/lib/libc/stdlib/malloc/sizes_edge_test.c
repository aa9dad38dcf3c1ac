/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box tests of every size class boundary up to 16 MiB: for each
 * class size c (16-byte quantum, then four classes per doubling) the
 * requests c - 1, c and c + 1 are allocated; the usable size must be the
 * class of the request, the whole usable size must be writable and keep
 * what was written, and huge blocks must be superpage aligned.  The
 * small, large and huge tiers are separate cases.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include "malloc_test_util.h"

#define	HUGE_LIMIT	(16 * MT_MIB)

static void
check_request(size_t n)
{
	void *p;
	size_t u, want, bad;

	p = malloc(mt_size(n));
	ATF_REQUIRE_MSG(p != NULL, "malloc(%zu) returned NULL", n);
	u = mt_usable(p);
	want = mt_class_size(n);
	ATF_CHECK_MSG(u == want, "malloc(%zu): usable size %zu, expected "
	    "class %zu", n, u, want);
	ATF_REQUIRE_MSG(u >= n, "malloc(%zu): usable size %zu < request", n,
	    u);
	ATF_CHECK_MSG(mt_aligned(p, 16), "malloc(%zu) = %p misaligned", n, p);
	if (n >= 2 * MT_MIB)
		ATF_CHECK_MSG(mt_aligned(p, MT_HUGE_ALIGN), "malloc(%zu) = %p "
		    "is not 2 MiB aligned", n, p);
	mt_fill(p, u, n);
	bad = mt_check(p, u, n);
	ATF_REQUIRE_MSG(bad == SIZE_MAX, "malloc(%zu): byte %zu of the %zu "
	    "usable bytes did not keep its value", n, bad, u);
	free(p);
}

/* Check c - 1, c and c + 1 for every class c in [lo, hi]. */
static void
check_tier(size_t lo, size_t hi)
{
	size_t c, nclasses;

	nclasses = 0;
	for (c = 16; c <= hi; c = mt_next_class(c)) {
		if (c < lo)
			continue;
		check_request(c - 1);
		check_request(c);
		check_request(c + 1);
		nclasses++;
	}
	ATF_REQUIRE_MSG(nclasses > 0, "no classes in [%zu, %zu]", lo, hi);
}

ATF_TC_WITHOUT_HEAD(small_boundaries);
ATF_TC_BODY(small_boundaries, tc)
{

	check_request(0);
	check_tier(16, MT_SMALL_MAX);
}

ATF_TC_WITHOUT_HEAD(large_boundaries);
ATF_TC_BODY(large_boundaries, tc)
{

	check_tier(MT_SMALL_MAX + 1, MT_LARGE_MAX);
}

ATF_TC_WITHOUT_HEAD(huge_boundaries);
ATF_TC_BODY(huge_boundaries, tc)
{

	check_tier(MT_LARGE_MAX + 1, HUGE_LIMIT);
}

/* The class list itself: the rule must give the documented sequence. */
ATF_TC_WITHOUT_HEAD(class_rule_sane);
ATF_TC_BODY(class_rule_sane, tc)
{
	static const size_t first[] = { 16, 32, 48, 64, 80, 96, 112, 128,
	    160, 192, 224, 256, 320, 384, 448, 512, 640 };
	size_t c, i;

	c = 16;
	for (i = 0; i < sizeof(first) / sizeof(first[0]); i++) {
		ATF_REQUIRE_EQ_MSG(c, first[i], "class %zu is %zu, expected "
		    "%zu", i, c, first[i]);
		c = mt_next_class(c);
	}
	ATF_REQUIRE_EQ(mt_class_size(MT_SMALL_MAX), MT_SMALL_MAX);
	ATF_REQUIRE_EQ(mt_class_size(MT_LARGE_MAX), MT_LARGE_MAX);
	ATF_REQUIRE_EQ(mt_class_size(MT_LARGE_MAX + 1), 2 * MT_MIB);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, class_rule_sane);
	ATF_TP_ADD_TC(tp, small_boundaries);
	ATF_TP_ADD_TC(tp, large_boundaries);
	ATF_TP_ADD_TC(tp, huge_boundaries);
	return (atf_no_error());
}
