/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * bg_threads_test.c: max_background_threads:2 starts two background
 * threads (one per CPU at most), which share the arenas by index parity:
 * memory freed in an even and in an odd arena both goes back to the
 * system while the process sits idle.
 */
#include <malloc_np.h>
#include <unistd.h>

#include "thp_util.h"

const char *malloc_conf = "background_thread:true,max_background_threads:2,"
    "dirty_decay_ms:300";

ATF_TC(two_threads_share_arenas);
ATF_TC_HEAD(two_threads_share_arenas, tc)
{
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(two_threads_share_arenas, tc)
{
	unsigned a[2];
	size_t n, len, base, peak, after;
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	void *p[2][8];
	int i, k;

	free(malloc(1));
	len = sizeof(n);
	ATF_REQUIRE_EQ(mallctl("stats.background_thread.num_threads", &n,
	    &len, NULL, 0), 0);
	ATF_CHECK_EQ(n, ncpus >= 2 ? 2 : 1);
	for (k = 0; k < 2; k++) {
		len = sizeof(a[k]);
		ATF_REQUIRE_EQ(mallctl("arenas.create", &a[k], &len, NULL, 0),
		    0);
	}
	ATF_REQUIRE_EQ(a[1], a[0] + 1);
	base = thp_rss();
	for (k = 0; k < 2; k++)
		for (i = 0; i < 8; i++) {
			p[k][i] = mallocx(8 * MIB, MALLOCX_ARENA(a[k]) |
			    MALLOCX_TCACHE_NONE);
			ATF_REQUIRE(p[k][i] != NULL);
			memset(p[k][i], 1, 8 * MIB);
		}
	peak = thp_rss();
	ATF_REQUIRE(peak >= base + 120 * MIB);
	for (k = 0; k < 2; k++)
		for (i = 0; i < 8; i++)
			dallocx(p[k][i], MALLOCX_TCACHE_NONE);
	/* Both arenas' 64 MiB must go, so both threads did their part. */
	after = thp_wait_rss_below(base + 16 * MIB, 20);
	ATF_CHECK_MSG(after <= base + 16 * MIB, "rss %zu MiB, base %zu MiB",
	    after / MIB, base / MIB);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, two_threads_share_arenas);
	return (atf_no_error());
}
