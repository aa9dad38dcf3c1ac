/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box tests of mt_usable(3): it is at least the request,
 * it equals the documented size class for a table of requests, it is 0
 * for NULL, it does not change while the object lives, and every one of
 * the usable bytes can be written without disturbing neighbours.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include "malloc_test_util.h"

ATF_TC_WITHOUT_HEAD(at_least_request);
ATF_TC_BODY(at_least_request, tc)
{
	void *p;
	size_t n, u;

	for (n = 0; n <= 20 * MT_MIB; n += (n < 8192 ? 1 : n / 64 + 17)) {
		p = malloc(mt_size(n));
		ATF_REQUIRE_MSG(p != NULL, "malloc(%zu) returned NULL", n);
		u = mt_usable(p);
		ATF_CHECK_MSG(u >= n, "malloc_usable_size(malloc(%zu)) = %zu",
		    n, u);
		free(p);
	}
}

struct usable_row {
	size_t	request;
	size_t	usable;
};

static void
check_rows(const struct usable_row *row, size_t nrows)
{
	void *p;
	size_t i, u;

	for (i = 0; i < nrows; i++) {
		p = malloc(mt_size(row[i].request));
		ATF_REQUIRE_MSG(p != NULL, "malloc(%zu) returned NULL",
		    row[i].request);
		u = mt_usable(p);
		ATF_CHECK_MSG(u == row[i].usable, "malloc_usable_size(malloc("
		    "%zu)) = %zu, expected %zu", row[i].request, u,
		    row[i].usable);
		free(p);
	}
}

/* The table from the allocator's documentation. */
ATF_TC_WITHOUT_HEAD(class_table);
ATF_TC_BODY(class_table, tc)
{
	static const struct usable_row rows[] = {
		{ 0, 16 }, { 1, 16 }, { 16, 16 }, { 17, 32 }, { 48, 48 },
		{ 49, 64 }, { 100, 112 }, { 128, 128 }, { 129, 160 },
		{ 257, 320 }, { 1024, 1024 }, { 1025, 1152 }, { 1153, 1280 },
		{ 4096, 4096 }, { 4097, 4608 }, { 4368, 4608 },
		{ 4609, 5120 }, { 7169, 7680 }, { 8192, 8192 },
		{ 8193, 9216 }, { 12000, 12288 }, { 13313, 14336 },
		{ 14336, 14336 }, { 14337, 16384 }, { 20000, 20480 },
	};

	check_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

/* Further large and huge requests also get their class size. */
ATF_TC_WITHOUT_HEAD(class_table_large);
ATF_TC_BODY(class_table_large, tc)
{
	static const struct usable_row rows[] = {
		{ 16384, 16384 }, { 16385, 20480 }, { 65537, 81920 },
		{ MT_MIB + 1, MT_MIB + MT_MIB / 4 },
		{ MT_LARGE_MAX, MT_LARGE_MAX },
		{ MT_LARGE_MAX + 1, 2 * MT_MIB },
		{ 2 * MT_MIB, 2 * MT_MIB },
		{ 2 * MT_MIB + 1, 2 * MT_MIB + MT_MIB / 2 },
		{ 7 * MT_MIB + 1, 8 * MT_MIB },
		{ 8 * MT_MIB + 1, 10 * MT_MIB },
	};

	check_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

/* Every request up to the largest small class gets the rule's class. */
ATF_TC_WITHOUT_HEAD(class_rule_small);
ATF_TC_BODY(class_rule_small, tc)
{
	void *p;
	size_t n, u;

	for (n = 0; n <= MT_SMALL_MAX; n++) {
		p = malloc(mt_size(n));
		ATF_REQUIRE(p != NULL);
		u = mt_usable(p);
		ATF_REQUIRE_MSG(u == mt_class_size(n), "malloc_usable_size("
		    "malloc(%zu)) = %zu, expected class %zu", n, u,
		    mt_class_size(n));
		free(p);
	}
}

ATF_TC_WITHOUT_HEAD(null_is_zero);
ATF_TC_BODY(null_is_zero, tc)
{

	ATF_CHECK_EQ_MSG(malloc_usable_size(mt_hide(NULL)), 0,
	    "malloc_usable_size(NULL) = %zu",
	    malloc_usable_size(mt_hide(NULL)));
}

ATF_TC_WITHOUT_HEAD(stable_over_lifetime);
ATF_TC_BODY(stable_over_lifetime, tc)
{
	static void *p[1000];
	static size_t u[1000];
	void *junk;
	size_t i, n;

	for (i = 0; i < 1000; i++) {
		n = 1 + (i * 7919) % (i % 20 == 0 ? 300000 : 3000);
		p[i] = malloc(n);
		ATF_REQUIRE(p[i] != NULL);
		u[i] = mt_usable(p[i]);
		junk = malloc(n);
		ATF_REQUIRE(junk != NULL);
		mt_escape(junk);
		free(junk);
	}
	for (i = 0; i < 1000; i++) {
		ATF_CHECK_MSG(mt_usable(p[i]) == u[i], "object %zu: "
		    "usable size changed from %zu to %zu", i, u[i],
		    mt_usable(p[i]));
		free(p[i]);
	}
}

/*
 * Fill the whole usable size of many neighbouring objects, each with its
 * own pattern, then check them all: writing the usable tail of one must
 * not reach the next.
 */
#define	NTOUCH	3000

ATF_TC_WITHOUT_HEAD(touch_whole_usable);
ATF_TC_BODY(touch_whole_usable, tc)
{
	static void *p[NTOUCH];
	static size_t u[NTOUCH];
	size_t i, n, bad;

	for (i = 0; i < NTOUCH; i++) {
		if (i % 300 == 0)
			n = 2 * MT_MIB + i;
		else if (i % 30 == 0)
			n = 16384 + i * 97;
		else
			n = i % 2000;
		p[i] = malloc(mt_size(n));
		ATF_REQUIRE(p[i] != NULL);
		u[i] = mt_usable(p[i]);
		ATF_REQUIRE(u[i] >= n);
		mt_fill(p[i], u[i], i);
	}
	for (i = 0; i < NTOUCH; i++) {
		bad = mt_check(p[i], u[i], i);
		ATF_CHECK_MSG(bad == SIZE_MAX, "object %zu (%p, usable %zu) "
		    "changed at offset %zu", i, p[i], u[i], bad);
	}
	for (i = 0; i < NTOUCH; i++)
		free(p[i]);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, at_least_request);
	ATF_TP_ADD_TC(tp, class_table);
	ATF_TP_ADD_TC(tp, class_table_large);
	ATF_TP_ADD_TC(tp, class_rule_small);
	ATF_TP_ADD_TC(tp, null_is_zero);
	ATF_TP_ADD_TC(tp, stable_over_lifetime);
	ATF_TP_ADD_TC(tp, touch_whole_usable);
	return (atf_no_error());
}
