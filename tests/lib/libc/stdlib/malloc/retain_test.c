/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box tests of retain:false (this program's malloc_conf): address
 * space that a purge leaves unused goes back to the system at once,
 * instead of staying mapped for reuse.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include "retain_scenario.h"

const char *malloc_conf = "retain:false";

ATF_TC_WITHOUT_HEAD(purge_unmaps);
ATF_TC_BODY(purge_unmaps, tc)
{
	size_t start, peak, end;
	void *p[64];
	int i;

	mt_need_2m_superpages();
	free(malloc(64));
	start = mt_vmsize();
	for (i = 0; i < 64; i++) {
		p[i] = malloc(4 * MT_MIB);
		ATF_REQUIRE(p[i] != NULL);
		memset(p[i], 1, 4 * MT_MIB);
	}
	peak = mt_vmsize();
	ATF_REQUIRE(peak >= start + 200 * MT_MIB);
	for (i = 0; i < 64; i++)
		free(p[i]);
	ATF_REQUIRE_EQ(mallctl("arena.4096.purge", NULL, NULL, NULL, 0), 0);
	end = mt_vmsize();
	ATF_CHECK_MSG(end < start + 32 * MT_MIB, "address space %zu -> %zu "
	    "-> %zu bytes: not given back", start, peak, end);
}

ATF_TC_WITHOUT_HEAD(rlimit_as_reuse);
ATF_TC_BODY(rlimit_as_reuse, tc)
{
	retain_scenario_run();
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, purge_unmaps);
	ATF_TP_ADD_TC(tp, rlimit_as_reuse);
	return (atf_no_error());
}
