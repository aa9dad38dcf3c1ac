/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sc_test.c: the size class geometry (sc.h) and the page bitmaps (sp.h).
 * Whitebox: checks the tables against the invariants written in sc.h.
 */
#include <sys/types.h>

#include <atf-c.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pa.h"
#include "sc.h"
#include "slab.h"
#include "sp.h"

ATF_TC_WITHOUT_HEAD(classes_grid);
ATF_TC_BODY(classes_grid, tc)
{
	static const size_t fine[] = { 4096, 4608, 5120, 5632, 6144, 6656,
	    7168, 7680, 8192, 9216, 10240, 11264, 12288, 13312, 14336, 16384 };
	unsigned i, n;
	size_t delta;

	free(malloc(1));	/* start the allocator: tables are built */
	ATF_CHECK_EQ(sc_size[0], 16);
	ATF_CHECK_EQ(sc_size[3], 64);
	ATF_CHECK_EQ(sc_size[4], 80);
	ATF_CHECK_EQ(sc_size[SC_NBINS - 1], SC_SMALL_MAX);
	ATF_CHECK_EQ(sc_size[SC_NBINS], SC_LARGE_MIN);
	/* Huge spans from 2 MiB, whatever the superpage (geom.h). */
	ATF_CHECK_EQ(sc_size[SC_HUGE_IND], GEOM_AMAP);
	ATF_CHECK_EQ(sc_size[SC_NSIZES - 1], SC_MAX_SIZE);
	/* The field's last class is the cache's limit (sc.h). */
	ATF_CHECK_EQ(sc_size[SC_FIELD_END - 1], SC_TCACHE_LIMIT);
	ATF_CHECK_EQ(sc_index(SC_TCACHE_LIMIT) + 1, SC_NTBINS_MAX);
	/* The fine stretch, one by one, from the class of 4 KiB on. */
	ATF_REQUIRE_EQ(sc_size[SC_FINE_IND - 1], SC_FINE_MIN);
	for (i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
		ATF_CHECK_EQ_MSG(sc_size[SC_FINE_IND - 1 + i], fine[i],
		    "class %u: %zu, want %zu", SC_FINE_IND - 1 + i,
		    sc_size[SC_FINE_IND - 1 + i], fine[i]);
	/* 1152 between 1024 and 1280. */
	ATF_CHECK_EQ(sc_size[SC_MID_IND - 1], 1024);
	ATF_CHECK_EQ(sc_size[SC_MID_IND], SC_MID);
	ATF_CHECK_EQ(sc_size[SC_MID_IND + 1], 1280);
	ATF_CHECK_EQ(sc_index(1025), SC_MID_IND);
	ATF_CHECK_EQ(sc_index(1152), SC_MID_IND);
	ATF_CHECK_EQ(sc_index(1153), SC_MID_IND + 1);
	/*
	 * Elsewhere a quarter of the power of two just below the class: n
	 * parts per doubling, eight in (1 KiB, 1280] and (4 KiB, 14 KiB].
	 */
	for (i = 4; i < SC_NSIZES; i++) {
		n = (i >= SC_FINE_IND && i < SC_NBINS) ||
		    i == SC_MID_IND || i == SC_MID_IND + 1 ? 8 : 4;
		delta = ((size_t)1 << util_lg_floor(sc_size[i] - 1)) / n;
		ATF_REQUIRE_EQ_MSG(sc_size[i] - sc_size[i - 1], delta,
		    "class %u: %zu after %zu", i, sc_size[i], sc_size[i - 1]);
	}
}

ATF_TC_WITHOUT_HEAD(index_roundtrip);
ATF_TC_BODY(index_roundtrip, tc)
{
	unsigned i;
	size_t s;

	free(malloc(1));
	for (i = 0; i < SC_NSIZES; i++) {
		ATF_REQUIRE_EQ_MSG(sc_index(sc_size[i]), i, "class %u", i);
		if (i > 0)
			ATF_REQUIRE_EQ_MSG(sc_index(sc_size[i - 1] + 1), i,
			    "just above class %u", i - 1);
	}
	for (s = 0; s <= 70000; s++) {
		i = sc_index(s);
		ATF_REQUIRE_MSG(sc_size[i] >= s, "size %zu -> %zu", s,
		    sc_size[i]);
		ATF_REQUIRE_MSG(i == 0 || sc_size[i - 1] < s,
		    "size %zu not in the smallest class", s);
		if (s <= SC_LUT_MAX)
			ATF_REQUIRE_EQ(i, sc_index_compute(s));
	}
}

ATF_TC_WITHOUT_HEAD(slab_geometry);
ATF_TC_BODY(slab_geometry, tc)
{
	unsigned i;

	free(malloc(1));
	for (i = 0; i < SC_NBINS; i++) {
		ATF_CHECK_EQ_MSG(sc_slab_pages[i] * PAGE,
		    (size_t)sc_nregs[i] * sc_size[i], "class %u wastes space",
		    i);
		ATF_CHECK_MSG(sc_nregs[i] <= geom.slab_nwords * 64,
		    "class %u: %u regions", i, sc_nregs[i]);
		ATF_CHECK(sc_slab_pages[i] <= SC_SLAB_PAGES_MAX);
		/*
		 * The smallest such slab: for a class whose power-of-two
		 * factor a page holds, the class's odd part (15 for 7680,
		 * 13 for 13312), whatever the page size.
		 */
		if (__builtin_ctzll(sc_size[i]) <= GEOM_LG_PAGE_MIN)
			ATF_CHECK_EQ_MSG(sc_slab_pages[i],
			    (sc_size[i] >> __builtin_ctzll(sc_size[i])),
			    "class %u: %u pages", i, sc_slab_pages[i]);
	}
}

ATF_TC_WITHOUT_HEAD(divisibility);
ATF_TC_BODY(divisibility, tc)
{
	unsigned i;
	uint32_t off;

	free(malloc(1));
	for (i = 0; i < SC_NBINS; i++) {
		for (off = 0; off < sc_slab_pages[i] * PAGE; off++) {
			ATF_REQUIRE_EQ_MSG(sc_divides(i, off) != 0,
			    off % sc_size[i] == 0, "class %u offset %u", i,
			    off);
			if (off % sc_size[i] == 0)
				ATF_REQUIRE_EQ(sc_region(i, off),
				    off / sc_size[i]);
		}
	}
}

/*
 * The free fast path's 32-bit test (sc_magic32), through a page map pair
 * as free uses it, for every class a page map entry can name and every
 * offset an entry can give (slab offsets below 2^16, plus the offset in
 * the page), at a slab start whose low bits are not zero.
 */
ATF_TC_WITHOUT_HEAD(divisibility32);
ATF_TC_BODY(divisibility32, tc)
{
	struct pmap_ent pe;
	uintptr_t start;
	uint32_t off, m, x;
	unsigned i;

	free(malloc(1));
	start = (uintptr_t)0x7f1234567000;
	for (i = 0; i < SC_FIELD_END; i++) {
		m = sc_magic32(i);
		pe = pmap_ent(i, 0, 0, start);
		ATF_REQUIRE_EQ(PMAP_CLASS(pe.e), (int)i);
		/* free's offsets are below GEOM_PMAP + SC_SMALL_MAX (sp.h). */
		for (off = 0; off < (1u << 16) + GEOM_PMAP; off++) {
			x = (uint32_t)(start + off) * m + pe.k;
			ATF_REQUIRE_EQ_MSG(x < m, off % sc_size[i] == 0,
			    "class %u offset %u", i, off);
		}
	}
}

/*
 * sc_index4 is the four-per-doubling scale without the fine stretch: the
 * page allocator's run buckets (pa.c) are built on it, and pa.h sizes
 * them for a run of 2^L pages landing in bucket 4 L + 11.  With the class
 * grid there instead, a 64 KiB page's superpage (2^13 pages) would land
 * in bucket 70, past the 64 bits of runs_nonempty.
 */
ATF_TC_WITHOUT_HEAD(index4_for_pa_buckets);
ATF_TC_BODY(index4_for_pa_buckets, tc)
{
	unsigned lg, b;
	size_t s;

	free(malloc(1));
	for (s = 0; s <= 70000; s++) {
		if ((s < SC_FINE_MIN && (s <= 1024 || s > SC_MID)) ||
		    s > SC_LARGE_MIN)
			ATF_REQUIRE_EQ_MSG(sc_index4(s), sc_index(s) -
			    (s > SC_LARGE_MIN ? SC_NEXTRA : s > SC_MID ? 1 : 0),
			    "size %zu", s);
		if (s > 0)
			ATF_REQUIRE(sc_index4(s) >= sc_index4(s - 1));
	}
	for (lg = 6; lg <= GEOM_LG_SP_NPAGES_MAX; lg++) {
		b = PA_RUNB_EXACT / 2 +
		    sc_index4((size_t)1 << (lg + SC_LG_QUANTUM));
		ATF_CHECK_EQ_MSG(b, 4 * lg + 11, "2^%u pages: bucket %u", lg,
		    b);
		ATF_CHECK_MSG(b < PA_NRUNB, "2^%u pages: bucket %u", lg, b);
	}
}

ATF_TC_WITHOUT_HEAD(aligned_usize);
ATF_TC_BODY(aligned_usize, tc)
{
	size_t a, s, u;

	free(malloc(1));
	for (a = 32; a <= PAGE; a <<= 1) {
		for (s = 1; s < 3 * a; s += 7) {
			u = sc_usize_aligned(s, a);
			ATF_REQUIRE(u >= s);
			ATF_REQUIRE_MSG(u % a == 0 || u >= SC_LARGE_MIN,
			    "size %zu align %zu -> %zu", s, a, u);
		}
	}
	ATF_CHECK_EQ(sc_usize_aligned(SC_MAX_SIZE + 1, 64), 0);
}

/* bm_find_run, and the bounds of the free run it found in *rs, *re. */
static unsigned rs, re;

static int
find_run(const uint64_t *bm, unsigned n, unsigned align)
{
	return (bm_find_run(bm, n, align, &rs, &re));
}

ATF_TC_WITHOUT_HEAD(bitmap_runs);
ATF_TC_BODY(bitmap_runs, tc)
{
	uint64_t bm[GEOM_SP_NWORDS_MAX] = { 0 };

	free(malloc(1));	/* the geometry: SP_NPAGES */
	ATF_REQUIRE(SP_NPAGES >= 512);
	ATF_CHECK_EQ(bm_longest_run(bm), SP_NPAGES);
	ATF_CHECK_EQ(find_run(bm, 10, 1), 0);
	bm_set_range(bm, 0, 10);
	bm_set_range(bm, 70, 130);
	ATF_CHECK_EQ(bm_count_range(bm, 0, SP_NPAGES), 140);
	ATF_CHECK_EQ(find_run(bm, 60, 1), 10);
	ATF_CHECK_EQ(find_run(bm, 61, 1), 200);
	ATF_CHECK_EQ(find_run(bm, 8, 64), 256);
	ATF_CHECK_EQ(find_run(bm, 4, 16), 16);
	ATF_CHECK(rs == 10 && re == 70);
	ATF_CHECK_EQ(find_run(bm, 61, 1), 200);
	ATF_CHECK(rs == 200 && re == SP_NPAGES);
	ATF_CHECK_EQ(bm_longest_run(bm), SP_NPAGES - 200);
	ATF_CHECK_EQ(bm_next(bm, 10, true), 70);
	ATF_CHECK_EQ(bm_next(bm, 70, false), 200);
	ATF_CHECK_EQ(bm_free_start(bm, 0), 0);
	ATF_CHECK_EQ(bm_free_start(bm, 10), 10);
	ATF_CHECK_EQ(bm_free_start(bm, 11), 10);
	ATF_CHECK_EQ(bm_free_start(bm, 70), 10);
	ATF_CHECK_EQ(bm_free_start(bm, 150), 150);
	ATF_CHECK_EQ(bm_free_start(bm, 200), 200);
	ATF_CHECK_EQ(bm_free_start(bm, 256), 200);
	ATF_CHECK_EQ(bm_free_start(bm, SP_NPAGES), 200);
	bm_clear_range(bm, 0, 10);
	ATF_CHECK_EQ(bm_free_start(bm, 64), 0);
	ATF_CHECK_EQ(bm_free_start(bm, 70), 0);
	bm_set_range(bm, 0, 10);
	bm_clear_range(bm, 0, SP_NPAGES);
	bm_set_range(bm, 0, SP_NPAGES);
	ATF_CHECK_EQ(find_run(bm, 1, 1), -1);
	ATF_CHECK_EQ(bm_longest_run(bm), 0);
}

/* The longest zero run, one bit at a time: what bm_longest_run must say. */
static unsigned
longest_ref(const uint64_t *bm)
{
	unsigned i, cur = 0, best = 0;

	for (i = 0; i < SP_NPAGES; i++) {
		cur = bm_get(bm, i) ? 0 : cur + 1;
		if (cur > best)
			best = cur;
	}
	return (best);
}

/*
 * bm_longest_run works a word at a time: runs that cross words, start or
 * end a word, fill words, or sit inside one, against the reference on
 * random bitmaps of every density and on every single-run shape.
 */
ATF_TC_WITHOUT_HEAD(bitmap_longest);
ATF_TC_BODY(bitmap_longest, tc)
{
	uint64_t bm[GEOM_SP_NWORDS_MAX];
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	unsigned iter, i, n, density;

	free(malloc(1));
	for (iter = 0; iter < 20000; iter++) {
		density = iter % 17;
		memset(bm, 0, sizeof(bm));
		for (i = 0; i < SP_NPAGES; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if ((x & 15) < density)
				bm[i >> 6] |= (uint64_t)1 << (i & 63);
		}
		/* Long free stretches too, where a word-wise scan can slip. */
		if (iter & 1) {
			i = (unsigned)(x % SP_NPAGES);
			n = (unsigned)((x >> 20) % (SP_NPAGES - i)) + 1;
			bm_clear_range(bm, i, n);
		}
		ATF_REQUIRE_EQ_MSG(bm_longest_run(bm), longest_ref(bm),
		    "iteration %u", iter);
	}
	for (i = 0; i < 200; i++) {
		for (n = 1; i + n <= 200; n++) {
			memset(bm, 0xff, sizeof(bm));
			bm_clear_range(bm, i, n);
			ATF_REQUIRE_EQ_MSG(bm_longest_run(bm), n,
			    "one run at %u, %u long", i, n);
		}
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, classes_grid);
	ATF_TP_ADD_TC(tp, index_roundtrip);
	ATF_TP_ADD_TC(tp, slab_geometry);
	ATF_TP_ADD_TC(tp, divisibility);
	ATF_TP_ADD_TC(tp, divisibility32);
	ATF_TP_ADD_TC(tp, index4_for_pa_buckets);
	ATF_TP_ADD_TC(tp, aligned_usize);
	ATF_TP_ADD_TC(tp, bitmap_runs);
	ATF_TP_ADD_TC(tp, bitmap_longest);
	return (atf_no_error());
}
