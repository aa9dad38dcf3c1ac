/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * thp_never_test.c: with thp:never no domalloc memory is backed by huge
 * pages, even where the system would give them.
 */
#include "thp_util.h"

const char *malloc_conf = "thp:never";

static void *objs[200000];

ATF_TC_WITHOUT_HEAD(no_huge_pages);
ATF_TC_BODY(no_huge_pages, tc)
{
	size_t i, rss, huge;
	void *big;

	if (!thp_available())
		atf_tc_skip("the system gives no transparent huge pages");
	for (i = 0; i < 200000; i++) {
		objs[i] = malloc(100 + i % 900);
		ATF_REQUIRE(objs[i] != NULL);
		memset(objs[i], 1, 100);
	}
	big = malloc(64 * MIB);
	memset(big, 1, 64 * MIB);
	objs[0] = big;
	thp_coverage(objs, 200000, &rss, &huge);
	ATF_CHECK_MSG(rss > 64 * MIB, "rss %zu", rss);
	ATF_CHECK_EQ_MSG(huge, 0, "%zu bytes in huge pages", huge);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, no_huge_pages);
	return (atf_no_error());
}
