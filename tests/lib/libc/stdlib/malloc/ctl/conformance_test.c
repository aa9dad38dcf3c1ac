/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * conformance_test: differences from jemalloc 5.3 that its own tests and
 * a stress campaign found, each a test case that failed before its fix:
 * the thread's byte counters across in-place resizes, the version string
 * programs parse, stats.zero_reallocs, and the metadata a failed huge
 * allocation used to leave behind.  The opt.zero case of in-place growth
 * is zero_grow_test (it needs zero:true in its own malloc_conf).
 */
#include <regex.h>

#include "ctl_test_util.h"

/* allocated minus deallocated of this thread. */
static int64_t
net(void)
{
	return ((int64_t)(ct_u64("thread.allocated") -
	    ct_u64("thread.deallocated")));
}

/* A shrink by rallocx in place: in 40960, out 20480 (jemalloc: 0). */
ATF_TC_WITHOUT_HEAD(thread_counters_rallocx_in_place);
ATF_TC_BODY(thread_counters_rallocx_in_place, tc)
{
	int64_t before;
	void *p, *q;

	free(malloc(64));
	before = net();
	p = mallocx(40960, 0);
	ATF_REQUIRE(p != NULL);
	q = rallocx(p, 20480, 0);
	ATF_REQUIRE(q != NULL);
	ATF_CHECK_MSG(q == p, "rallocx moved the block: the case tests "
	    "nothing");
	dallocx(q, 0);
	ATF_CHECK_EQ_MSG(net(), before, "allocated - deallocated drifted by "
	    "%lld bytes", (long long)(net() - before));
}

/* A growth by xallocx in place: 16384 to 65536 (jemalloc: 0). */
ATF_TC_WITHOUT_HEAD(thread_counters_xallocx_in_place);
ATF_TC_BODY(thread_counters_xallocx_in_place, tc)
{
	unsigned a = ct_new_arena();
	int flags = ct_arena_flags(a);
	int64_t before;
	size_t r;
	void *p;

	free(malloc(64));
	before = net();
	/* A fresh arena: the pages after p are free. */
	p = mallocx(16384, flags);
	ATF_REQUIRE(p != NULL);
	r = xallocx(p, 65536, 0, flags);
	ATF_CHECK_EQ_MSG(r, 65536, "xallocx did not grow in place (%zu)", r);
	dallocx(p, flags);
	ATF_CHECK_EQ_MSG(net(), before, "allocated - deallocated drifted by "
	    "%lld bytes", (long long)(net() - before));
}

/* version is jemalloc's "major.minor.bugfix-n-ghash"; ours apart. */
ATF_TC_WITHOUT_HEAD(version_format);
ATF_TC_BODY(version_format, tc)
{
	regex_t re;
	const char *v;

	v = ct_str("version");
	ATF_REQUIRE(regcomp(&re, "^[0-9]+\\.[0-9]+\\.[0-9]+-[0-9]+-g[0-9a-f]+$",
	    REG_EXTENDED | REG_NOSUB) == 0);
	ATF_CHECK_MSG(regexec(&re, v, 0, NULL, 0) == 0, "version \"%s\" is "
	    "not in jemalloc's form", v);
	regfree(&re);
	ATF_CHECK_MSG(strncmp(v, "5.3.", 4) == 0, "version \"%s\" is not the "
	    "jemalloc 5.3 interface", v);
	v = ct_str("domalloc.version");
	ATF_CHECK_MSG(strncmp(v, "domalloc ", 9) == 0, "domalloc.version is "
	    "\"%s\"", v);
}

ATF_TC_WITHOUT_HEAD(zero_reallocs);
ATF_TC_BODY(zero_reallocs, tc)
{
	size_t before, after;
	void *p;

	before = ct_size("stats.zero_reallocs");
	p = malloc(100);
	ATF_REQUIRE(p != NULL);
	p = realloc(ct_hide(p), 0);
	free(p);
	p = realloc(NULL, 0);		/* not counted: a malloc(0) */
	free(p);
	after = ct_size("stats.zero_reallocs");
	ATF_CHECK_EQ(after, before + 1);
}

/* Failed huge allocations keep no metadata (each left 64 bytes). */
ATF_TC_WITHOUT_HEAD(failed_huge_no_metadata);
ATF_TC_BODY(failed_huge_no_metadata, tc)
{
	size_t before, after;
	void *p;
	int i;

	free(malloc(64));
	ct_epoch();
	before = ct_size("stats.metadata");
	for (i = 0; i < 20000; i++) {
		p = malloc((size_t)1 << 45);
		ATF_REQUIRE_MSG(p == NULL, "a 32 TiB allocation succeeded");
	}
	ct_epoch();
	after = ct_size("stats.metadata");
	ATF_CHECK_MSG(after < before + 64 * 1024, "metadata grew from %zu to "
	    "%zu bytes over 20000 failed allocations", before, after);
}

/*
 * Arena create/destroy cycles: indices are reused (a destroyed arena is
 * made anew), so they never run out (EAGAIN after ~4095 before), and the
 * metadata stays put (each cycle left ~43 KB before).
 */
ATF_TC_WITHOUT_HEAD(arena_cycles_reuse);
ATF_TC_BODY(arena_cycles_reuse, tc)
{
	size_t before = 0, after, len;
	unsigned a, first = 0, i;
	char name[64];
	void *p[8];
	int k;

	for (i = 0; i < 6000; i++) {
		len = sizeof(a);
		ATF_REQUIRE_EQ_MSG(mallctl("arenas.create", &a, &len, NULL, 0),
		    0, "arenas.create failed at cycle %u", i);
		if (i == 0)
			first = a;
		else
			ATF_REQUIRE_EQ_MSG(a, first, "cycle %u got arena %u, not "
			    "the destroyed %u", i, a, first);
		for (k = 0; k < 8; k++) {
			p[k] = mallocx(k < 4 ? 100 : 40000, ct_arena_flags(a));
			ATF_REQUIRE(p[k] != NULL);
			memset(p[k], 0x5a, k < 4 ? 100 : 40000);
		}
		for (k = 0; k < 4; k++)
			dallocx(p[k], MALLOCX_TCACHE_NONE);
		snprintf(name, sizeof(name), "arena.%u.destroy", a);
		ATF_REQUIRE_EQ(mallctl(name, NULL, NULL, NULL, 0), 0);
		if (i == 10) {
			ct_epoch();
			before = ct_size("stats.metadata");
		}
	}
	ct_epoch();
	after = ct_size("stats.metadata");
	ATF_CHECK_MSG(after < before + 1024 * 1024, "metadata grew from %zu "
	    "to %zu bytes over 5990 cycles", before, after);
	/* What the destroyed lives allocated counts under DESTROYED. */
	ATF_CHECK(ct_astat(4097, "small.nmalloc") >= 6000 * 4);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, thread_counters_rallocx_in_place);
	ATF_TP_ADD_TC(tp, thread_counters_xallocx_in_place);
	ATF_TP_ADD_TC(tp, version_format);
	ATF_TP_ADD_TC(tp, zero_reallocs);
	ATF_TP_ADD_TC(tp, failed_huge_no_metadata);
	ATF_TP_ADD_TC(tp, arena_cycles_reuse);
	return (atf_no_error());
}
