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

#include "sc.h"
#include "slab.h"
#include "sp.h"

ATF_TC_WITHOUT_HEAD(classes_four_per_doubling);
ATF_TC_BODY(classes_four_per_doubling, tc)
{
	unsigned i;

	free(malloc(1));	/* start the allocator: tables are built */
	ATF_CHECK_EQ(sc_size[0], 16);
	ATF_CHECK_EQ(sc_size[3], 64);
	ATF_CHECK_EQ(sc_size[4], 80);
	ATF_CHECK_EQ(sc_size[SC_NBINS - 1], SC_SMALL_MAX);
	ATF_CHECK_EQ(sc_size[SC_NBINS], SC_LARGE_MIN);
	/* Huge spans from 2 MiB, whatever the superpage (geom.h). */
	ATF_CHECK_EQ(sc_size[SC_HUGE_IND], GEOM_AMAP);
	ATF_CHECK_EQ(sc_size[SC_NSIZES - 1], SC_MAX_SIZE);
	for (i = 4; i < SC_NSIZES; i++) {
		/* A quarter of the power of two just below the class. */
		size_t delta = (size_t)1 << (util_lg_floor(sc_size[i] - 1) - 2);

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
		ATF_CHECK(sc_slab_pages[i] <= 7);
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
	for (i = 0; i < SC_HUGE_IND; i++) {
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

ATF_TC_WITHOUT_HEAD(bitmap_runs);
ATF_TC_BODY(bitmap_runs, tc)
{
	uint64_t bm[GEOM_SP_NWORDS_MAX] = { 0 };

	free(malloc(1));	/* the geometry: SP_NPAGES */
	ATF_REQUIRE(SP_NPAGES >= 512);
	ATF_CHECK_EQ(bm_longest_run(bm), SP_NPAGES);
	ATF_CHECK_EQ(bm_find_run(bm, 10, 1), 0);
	bm_set_range(bm, 0, 10);
	bm_set_range(bm, 70, 130);
	ATF_CHECK_EQ(bm_count_range(bm, 0, SP_NPAGES), 140);
	ATF_CHECK_EQ(bm_find_run(bm, 60, 1), 10);
	ATF_CHECK_EQ(bm_find_run(bm, 61, 1), 200);
	ATF_CHECK_EQ(bm_find_run(bm, 8, 64), 256);
	ATF_CHECK_EQ(bm_find_run(bm, 4, 16), 16);
	ATF_CHECK_EQ(bm_longest_run(bm), SP_NPAGES - 200);
	ATF_CHECK_EQ(bm_next(bm, 10, true), 70);
	ATF_CHECK_EQ(bm_next(bm, 70, false), 200);
	bm_clear_range(bm, 0, SP_NPAGES);
	bm_set_range(bm, 0, SP_NPAGES);
	ATF_CHECK_EQ(bm_find_run(bm, 1, 1), -1);
	ATF_CHECK_EQ(bm_longest_run(bm), 0);
}

/* The longest run of clear bits, one bit at a time: the reference. */
static unsigned
naive_longest(const uint64_t *bm)
{
	unsigned i, cur = 0, best = 0;

	for (i = 0; i < SP_NPAGES; i++) {
		if (bm[i >> 6] & ((uint64_t)1 << (i & 63)))
			cur = 0;
		else if (++cur > best)
			best = cur;
	}
	return (best);
}

/*
 * bm_longest_run works a word at a time (runs that cross words, runs
 * inside a word, whole free words): it agrees with the bit-at-a-time
 * count on random bitmaps of every density, on runs placed across word
 * boundaries, and on single used pages.
 */
ATF_TC_WITHOUT_HEAD(bitmap_longest_random);
ATF_TC_BODY(bitmap_longest_random, tc)
{
	uint64_t bm[GEOM_SP_NWORDS_MAX];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned iter, w, i, k, density, start, len;

	free(malloc(1));	/* the geometry: SP_NPAGES */
	for (iter = 0; iter < 20000; iter++) {
		density = iter % 8;
		for (w = 0; w < SP_NWORDS; w++) {
			bm[w] = UINT64_MAX;
			/* density 0: all used; each step clears more. */
			for (k = 0; k < density; k++) {
				x ^= x << 13; x ^= x >> 7; x ^= x << 17;
				bm[w] &= density < 4 ? x : (x | bm[w] >> 1);
			}
			if (density == 7)
				bm[w] = 0;
		}
		/* A few used or free runs that cross word boundaries. */
		for (k = 0; k < iter % 5; k++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			start = (unsigned)(x % SP_NPAGES);
			len = (unsigned)((x >> 32) % 150) + 1;
			if (start + len > SP_NPAGES)
				len = SP_NPAGES - start;
			if (k & 1)
				bm_set_range(bm, start, len);
			else
				bm_clear_range(bm, start, len);
		}
		ATF_REQUIRE_EQ_MSG(bm_longest_run(bm), naive_longest(bm),
		    "iteration %u", iter);
	}
	/* One used page anywhere, in an otherwise free superpage. */
	for (i = 0; i < SP_NPAGES; i++) {
		bm_clear_range(bm, 0, SP_NPAGES);
		bm_set_range(bm, i, 1);
		ATF_REQUIRE_EQ(bm_longest_run(bm),
		    i > SP_NPAGES - 1 - i ? i : SP_NPAGES - 1 - i);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, classes_four_per_doubling);
	ATF_TP_ADD_TC(tp, index_roundtrip);
	ATF_TP_ADD_TC(tp, slab_geometry);
	ATF_TP_ADD_TC(tp, divisibility);
	ATF_TP_ADD_TC(tp, divisibility32);
	ATF_TP_ADD_TC(tp, aligned_usize);
	ATF_TP_ADD_TC(tp, bitmap_runs);
	ATF_TP_ADD_TC(tp, bitmap_longest_random);
	return (atf_no_error());
}
