/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * thp_test.c: with default options, domalloc's memory is laid out in
 * superpage-aligned mappings, a heap of small and medium objects ends up
 * backed by transparent huge pages once it has stayed (opt.hugify_delay_ms,
 * 1 s by default) while memory freed sooner never is, and memory freed in
 * a burst goes back to the system even when the process then sits idle.
 */
#include <stdio.h>

#include <malloc_np.h>

#include "../malloc_test_util.h"
#include "thp_util.h"

#define	NOBJ	(1 << 20)
static void *objs[NOBJ];

ATF_TC_WITHOUT_HEAD(superpage_aligned);
ATF_TC_BODY(superpage_aligned, tc)
{
	static const size_t sizes[] = { 16, 1000, 30000, 500000, 3 << 20 };
	struct thp_vma v;
	size_t i, sp;
	unsigned lg;
	void *p;

	sp = thp_superpage(&lg);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p = malloc(sizes[i]);
		ATF_REQUIRE(p != NULL);
		memset(p, 1, sizes[i]);
		v = thp_vma_of(p);
		ATF_REQUIRE_MSG(v.end > v.start, "no mapping for %p", p);
		ATF_CHECK_MSG(v.start % SUPERPAGE_SZ == 0 &&
		    v.end % SUPERPAGE_SZ == 0, "mapping %#lx-%#lx of a %zu "
		    "byte object is not superpage aligned",
		    (unsigned long)v.start, (unsigned long)v.end, sizes[i]);
		/* Huge from one superpage on, on a boundary of one. */
		if (sizes[i] >= sp)
			ATF_CHECK_EQ((uintptr_t)p % sp, 0);
		free(p);
	}
}

ATF_TC(heap_is_huge_page_backed);
ATF_TC_HEAD(heap_is_huge_page_backed, tc)
{
	atf_tc_set_md_var(tc, "descr", "a 256 MiB heap of 16 B - 64 KiB "
	    "objects is mostly backed by huge pages once it has been held "
	    "for the hugify delay, with no allocator call meanwhile");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(heap_is_huge_page_backed, tc)
{
	size_t total = 0, n = 0, sz, rss, huge;
	uint64_t r = 88172645463325252ULL;
	unsigned i;

	if (!thp_available())
		atf_tc_skip("the system gives no transparent huge pages");
	if (thp_superpage(&i) != SUPERPAGE_SZ)
		atf_tc_skip("lg_page:%u: superpages of %zu MiB on a kernel "
		    "whose huge pages are 2 MiB; this test's 256 MiB heap and "
		    "time budget are set for 2 MiB superpages", i,
		    thp_superpage(&i) / MIB);
	while (total < 256 * MIB && n < NOBJ) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		sz = r % 10 < 9 ? 16 + r % 1024 : 1024 + r % (64 * 1024);
		objs[n] = malloc(sz);
		ATF_REQUIRE(objs[n] != NULL);
		memset(objs[n], (int)n, sz);
		total += sz;
		n++;
	}
	/* The background thread hugifies what waited out the delay. */
	for (i = 0; i < 600; i++) {
		thp_coverage(objs, n, &rss, &huge);
		if (huge * 10 >= rss * 8)
			break;
		usleep(100000);
	}
	printf("heap %zu MiB: rss %zu MiB, huge %zu MiB after %u ms\n",
	    total / MIB, rss / MIB, huge / MIB, i * 100);
	ATF_CHECK_MSG(huge * 10 >= rss * 8, "only %zu of %zu MiB in huge "
	    "pages", huge / MIB, rss / MIB);
	while (n > 0)
		free(objs[--n]);
}

/*
 * Memory freed before the hugify delay is never advised: a 64 MiB buffer
 * and 32 MiB of 100 KiB runs, touched and freed at once, fault in small
 * pages (a huge page would be a wasted 2 MiB zeroing each).
 */
ATF_TC_WITHOUT_HEAD(short_lived_stays_small);
ATF_TC_BODY(short_lived_stays_small, tc)
{
	size_t rss, huge, i;
	double t0;

	if (!thp_available())
		atf_tc_skip("the system gives no transparent huge pages");
	t0 = mt_now();
	objs[0] = malloc(64 * MIB);
	ATF_REQUIRE(objs[0] != NULL);
	memset(objs[0], 1, 64 * MIB);
	for (i = 1; i <= 320; i++) {
		objs[i] = malloc(100 * 1024);
		ATF_REQUIRE(objs[i] != NULL);
		memset(objs[i], 2, 100 * 1024);
	}
	thp_coverage(objs, 321, &rss, &huge);
	if (mt_now() - t0 >= 0.9)
		atf_tc_skip("the machine took longer than the hugify delay");
	ATF_CHECK_MSG(rss >= 90 * MIB, "rss %zu MiB", rss / MIB);
	ATF_CHECK_EQ_MSG(huge, 0, "%zu MiB in huge pages", huge / MIB);
	for (i = 0; i <= 320; i++)
		free(objs[i]);
}

ATF_TC(burst_returns_when_idle);
ATF_TC_HEAD(burst_returns_when_idle, tc)
{
	atf_tc_set_md_var(tc, "descr", "RSS falls back after a 256 MiB "
	    "burst while the process makes no allocator calls");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(burst_returns_when_idle, tc)
{
	size_t base, peak, after, n, i;

	thp_need_small_superpages();
	free(malloc(1));
	base = thp_rss();
	for (n = 0; n < 4096; n++) {
		objs[n] = malloc(64 * 1024 + (n % 7) * 4096);
		ATF_REQUIRE(objs[n] != NULL);
		memset(objs[n], 3, 64 * 1024);
	}
	for (i = 0; i < 200000; i++) {
		objs[n + i] = malloc(16 + i % 500);
		memset(objs[n + i], 4, 16);
	}
	peak = thp_rss();
	for (i = 0; i < n + 200000; i++)
		free(objs[i]);
	/* No allocator calls from here on: only a purging thread helps. */
	after = thp_wait_rss_below(base + (peak - base) / 10, 30);
	printf("base %zu MiB, peak %zu MiB, after %zu MiB\n", base / MIB,
	    peak / MIB, after / MIB);
	ATF_CHECK_MSG(after <= base + (peak - base) / 10,
	    "RSS %zu MiB still above %zu MiB", after / MIB,
	    (base + (peak - base) / 10) / MIB);
}

static unsigned
arena_with_decay(ssize_t ms)
{
	char name[64];
	unsigned ind;
	size_t len = sizeof(ind);

	ATF_REQUIRE_EQ(mallctl("arenas.create", &ind, &len, NULL, 0), 0);
	snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", ind);
	ATF_REQUIRE_EQ(mallctl(name, NULL, NULL, &ms, sizeof(ms)), 0);
	return (ind);
}

ATF_TC_WITHOUT_HEAD(arenas_keep_their_own_decay);
ATF_TC_BODY(arenas_keep_their_own_decay, tc)
{
	unsigned fast, never;
	size_t before, mid, after;
	void *a, *b;
	int ff, fn;

	fast = arena_with_decay(0);
	never = arena_with_decay(-1);
	ff = MALLOCX_ARENA(fast) | MALLOCX_TCACHE_NONE;
	fn = MALLOCX_ARENA(never) | MALLOCX_TCACHE_NONE;
	a = mallocx(64 * MIB, ff);
	b = mallocx(64 * MIB, fn);
	ATF_REQUIRE(a != NULL && b != NULL);
	memset(a, 1, 64 * MIB);
	memset(b, 1, 64 * MIB);
	before = thp_rss();
	dallocx(a, ff);
	mid = thp_rss();
	dallocx(b, fn);
	sleep(1);
	after = thp_rss();
	printf("rss %zu -> %zu -> %zu MiB\n", before / MIB, mid / MIB,
	    after / MIB);
	ATF_CHECK_MSG(before - mid >= 60 * MIB, "decay 0 arena kept its "
	    "pages: %zu -> %zu MiB", before / MIB, mid / MIB);
	ATF_CHECK_MSG(mid - after < 8 * MIB, "decay -1 arena purged: "
	    "%zu -> %zu MiB", mid / MIB, after / MIB);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, superpage_aligned);
	ATF_TP_ADD_TC(tp, heap_is_huge_page_backed);
	ATF_TP_ADD_TC(tp, short_lived_stays_small);
	ATF_TP_ADD_TC(tp, burst_returns_when_idle);
	ATF_TP_ADD_TC(tp, arenas_keep_their_own_decay);
	return (atf_no_error());
}
