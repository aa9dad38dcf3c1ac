/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box test of time-based purging (dirty_decay_ms:1000 and
 * muzzy_decay_ms:0 in the program's own malloc_conf): right after about
 * 128 MiB of touched large blocks are freed, most of that memory is
 * still resident (it is kept for reuse), and within 10 s of polling it
 * has been returned, so the resident set, read from /proc/self/statm,
 * is back within 32 MiB of where it started.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <time.h>

#include "malloc_test_util.h"

const char *malloc_conf = "dirty_decay_ms:1000,muzzy_decay_ms:0";

#define	LARGE_TOTAL	(128 * MT_MIB)
#define	NLARGE		4096
#define	SLACK		(32 * MT_MIB)
#define	POLL_SECS	10.0

static void *large[NLARGE];

ATF_TC_WITHOUT_HEAD(rss_decays_after_free);
ATF_TC_BODY(rss_decays_after_free, tc)
{
	size_t start, peak, after, rss, total, n, nl, i;
	double deadline, t0;
	uint64_t rs;
	void *p;

	memset(large, 0, sizeof(large));
	p = malloc(MT_MIB);
	ATF_REQUIRE(p != NULL);
	free(p);
	start = mt_rss();

	rs = 4242;
	for (nl = 0, total = 0; total < LARGE_TOTAL && nl < NLARGE; nl++) {
		n = 64 * MT_KIB + mt_rand(&rs) % (MT_MIB - 64 * MT_KIB + 1);
		large[nl] = malloc(n);
		ATF_REQUIRE_MSG(large[nl] != NULL, "malloc(%zu) failed", n);
		memset(large[nl], 0x5a, n);
		total += n;
	}
	peak = mt_rss();
	ATF_REQUIRE_MSG(peak >= start + total * 9 / 10, "resident set grew "
	    "only from %zu to %zu bytes after touching %zu", start, peak,
	    total);

	for (i = 0; i < nl; i++)
		free(large[i]);
	after = mt_rss();
	ATF_CHECK_MSG(after > start + total / 2, "resident set fell from %zu "
	    "to %zu bytes at once after freeing %zu bytes: with "
	    "dirty_decay_ms:1000 freed pages should stay for a while",
	    peak, after, total);

	t0 = mt_now();
	deadline = t0 + POLL_SECS;
	for (;;) {
		rss = mt_rss();
		if (rss <= start + SLACK || mt_now() > deadline)
			break;
		usleep(20000);
		/* Give an allocator without a background thread a turn. */
		p = malloc(MT_MIB);
		ATF_REQUIRE(p != NULL);
		((volatile char *)p)[0] = 1;
		free(p);
	}
	ATF_REQUIRE_MSG(rss <= start + SLACK, "resident set still %zu bytes "
	    "after %.1f s (start %zu, peak %zu): dirty pages did not decay",
	    rss, mt_now() - t0, start, peak);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, rss_decays_after_free);
	return (atf_no_error());
}
