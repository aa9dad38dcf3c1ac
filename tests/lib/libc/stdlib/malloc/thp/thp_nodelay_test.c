/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * thp_nodelay_test.c: with hugify_delay_ms:0, memory is hugified as soon as
 * it qualifies: the whole superpages of a huge allocation are advised
 * before they are touched, so they fault in as huge pages at once, and a
 * dense heap is collapsed while it is built.
 */
#include <malloc_np.h>

#include "thp_util.h"

const char *malloc_conf = "hugify_delay_ms:0";

static void *objs[300000];

ATF_TC_WITHOUT_HEAD(huge_at_once);
ATF_TC_BODY(huge_at_once, tc)
{
	size_t rss, huge, i;
	ssize_t delay = -1;
	size_t len = sizeof(delay);

	ATF_REQUIRE_EQ(mallctl("opt.hugify_delay_ms", &delay, &len, NULL, 0),
	    0);
	ATF_REQUIRE_EQ(delay, 0);
	thp_need_small_superpages();
	if (!thp_available())
		atf_tc_skip("the system gives no transparent huge pages");
	objs[0] = malloc(64 * MIB);
	ATF_REQUIRE(objs[0] != NULL);
	memset(objs[0], 1, 64 * MIB);
	thp_coverage(objs, 1, &rss, &huge);
	ATF_CHECK_MSG(huge >= 60 * MIB, "64 MiB buffer: %zu MiB of %zu MiB "
	    "in huge pages", huge / MIB, rss / MIB);
	free(objs[0]);
	/* 64 MiB of 200 B objects: dense superpages, collapsed at once. */
	for (i = 0; i < 300000; i++) {
		objs[i] = malloc(224);
		ATF_REQUIRE(objs[i] != NULL);
		memset(objs[i], 2, 224);
	}
	thp_coverage(objs, 300000, &rss, &huge);
	ATF_CHECK_MSG(huge * 10 >= rss * 8, "small objects: %zu of %zu MiB in "
	    "huge pages", huge / MIB, rss / MIB);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, huge_at_once);
	return (atf_no_error());
}
