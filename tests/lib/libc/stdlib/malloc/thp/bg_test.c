/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * bg_test.c: with background_thread:true an idle process returns its
 * dirty pages on the decay schedule without calling the allocator; with
 * short decay times dirty pages go muzzy and then clean.
 */
#include "thp_util.h"

const char *malloc_conf = "background_thread:true,dirty_decay_ms:300,"
    "muzzy_decay_ms:300";

ATF_TC(idle_process_purged);
ATF_TC_HEAD(idle_process_purged, tc)
{
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(idle_process_purged, tc)
{
	size_t base, peak, after;
	void *p[16];
	int i;

	free(malloc(1));
	base = thp_rss();
	for (i = 0; i < 16; i++) {
		p[i] = malloc(8 * MIB);
		ATF_REQUIRE(p[i] != NULL);
		memset(p[i], 1, 8 * MIB);
	}
	peak = thp_rss();
	ATF_REQUIRE(peak >= base + 120 * MIB);
	for (i = 0; i < 16; i++)
		free(p[i]);
	after = thp_wait_rss_below(base + 16 * MIB, 20);
	ATF_CHECK_MSG(after <= base + 16 * MIB, "rss %zu MiB, base %zu MiB",
	    after / MIB, base / MIB);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, idle_process_purged);
	return (atf_no_error());
}
