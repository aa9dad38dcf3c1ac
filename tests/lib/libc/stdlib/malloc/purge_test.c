/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box test that freed memory goes back to the kernel when the
 * program asks for immediate purging (dirty_decay_ms:0 in its own
 * malloc_conf; muzzy_decay_ms:0 too, so that pages are really released
 * rather than only marked lazily free, which Linux keeps counting in the
 * resident set until memory runs short).  About 256 MiB of large blocks
 * and small objects are touched and freed; the resident set, read from
 * /proc/self/statm, must fall back to within 32 MiB of where it started.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <time.h>

#include "malloc_test_util.h"

const char *malloc_conf = "dirty_decay_ms:0,muzzy_decay_ms:0";

#define	LARGE_TOTAL	(224 * MT_MIB)
#define	SMALL_TOTAL	(32 * MT_MIB)
#define	NLARGE		8192
#define	NSMALL		(64 * 1024)
#define	SLACK		(32 * MT_MIB)
#define	POLL_SECS	10.0

static void *large[NLARGE];
static void *small[NSMALL];

ATF_TC_WITHOUT_HEAD(rss_returns_after_free);
ATF_TC_BODY(rss_returns_after_free, tc)
{
	size_t start, peak, rss, total, n, nl, ns, i, j;
	double deadline, t0;
	uint64_t rs;
	void *p, *tmp;

	/* Fault in our own bookkeeping and start the allocator. */
	memset(large, 0, sizeof(large));
	memset(small, 0, sizeof(small));
	p = malloc(MT_MIB);
	ATF_REQUIRE(p != NULL);
	free(p);
	start = mt_rss();

	rs = 31337;
	for (nl = 0, total = 0; total < LARGE_TOTAL && nl < NLARGE; nl++) {
		n = 64 * MT_KIB + mt_rand(&rs) % (MT_MIB - 64 * MT_KIB + 1);
		large[nl] = malloc(n);
		ATF_REQUIRE_MSG(large[nl] != NULL, "malloc(%zu) failed", n);
		memset(large[nl], 0x5a, n);
		total += n;
	}
	for (ns = 0, total = 0; total < SMALL_TOTAL && ns < NSMALL; ns++) {
		n = 16 + mt_rand(&rs) % 4081;
		small[ns] = malloc(n);
		ATF_REQUIRE_MSG(small[ns] != NULL, "malloc(%zu) failed", n);
		memset(small[ns], 0xa5, n);
		total += n;
	}
	peak = mt_rss();
	ATF_REQUIRE_MSG(peak >= start + 200 * MT_MIB, "resident set grew "
	    "only from %zu to %zu bytes after touching ~256 MiB", start,
	    peak);

	/* Large blocks in a scrambled order, small ones in order. */
	for (i = 0; i < nl; i++) {
		j = i + mt_rand(&rs) % (nl - i);
		tmp = large[i];
		large[i] = large[j];
		large[j] = tmp;
		free(large[i]);
	}
	for (i = 0; i < ns; i++)
		free(small[i]);

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
	    "after %.1f s (start %zu, peak %zu): freed memory was not "
	    "returned", rss, mt_now() - t0, start, peak);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, rss_returns_after_free);
	return (atf_no_error());
}
