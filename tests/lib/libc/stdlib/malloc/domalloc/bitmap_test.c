/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * bitmap_test.c: the range operations on a superpage's page bitmaps
 * (bm_set_range, bm_clear_range, bm_count_range in sp.c), which work a
 * word at a time with masks, against the same operations done one bit at
 * a time, over every kind of range: empty, inside one word, across word
 * boundaries, word-aligned at one end or both, the whole bitmap.
 * Whitebox: calls sp.c directly.
 */
#include <atf-c.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sp.h"

#define	NW	GEOM_SP_NWORDS_MAX

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

static void
ref_set(uint64_t *bm, unsigned start, unsigned n, bool v)
{
	unsigned i;

	for (i = start; i < start + n; i++) {
		if (v)
			bm[i >> 6] |= (uint64_t)1 << (i & 63);
		else
			bm[i >> 6] &= ~((uint64_t)1 << (i & 63));
	}
}

static unsigned
ref_count(const uint64_t *bm, unsigned start, unsigned n)
{
	unsigned i, c = 0;

	for (i = start; i < start + n; i++)
		c += (unsigned)(bm[i >> 6] >> (i & 63) & 1);
	return (c);
}

/* A range of one of the kinds above, inside SP_NPAGES. */
static void
pick(uint64_t *s, unsigned *start, unsigned *n)
{
	unsigned a, b;

	switch (rnd(s) % 6) {
	case 0:
		a = (unsigned)(rnd(s) % SP_NPAGES);
		b = a;
		break;
	case 1:
		a = (unsigned)(rnd(s) % SP_NPAGES);
		b = a + (unsigned)(rnd(s) % (64 - (a & 63))) + 1;
		break;
	case 2:
		a = (unsigned)(rnd(s) % SP_NPAGES) & ~63u;
		b = a + (unsigned)(rnd(s) % (SP_NPAGES - a)) + 1;
		break;
	case 3:
		a = (unsigned)(rnd(s) % SP_NPAGES);
		b = ((a + (unsigned)(rnd(s) % (SP_NPAGES - a)) + 63) & ~63u);
		if (b > SP_NPAGES)
			b = SP_NPAGES;
		break;
	case 4:
		a = 0;
		b = SP_NPAGES;
		break;
	default:
		a = (unsigned)(rnd(s) % SP_NPAGES);
		b = a + (unsigned)(rnd(s) % (SP_NPAGES - a + 1));
		break;
	}
	*start = a;
	*n = b - a;
}

ATF_TC_WITHOUT_HEAD(ranges_match_bitwise);
ATF_TC_BODY(ranges_match_bitwise, tc)
{
	uint64_t bm[NW], ref[NW], s = 0x9e3779b97f4a7c15ULL;
	unsigned i, k, start, n, c, want;

	free(malloc(1));	/* the geometry: SP_NPAGES */
	ATF_REQUIRE(SP_NPAGES >= 512 && SP_NPAGES <= NW * 64);
	for (i = 0; i < NW; i++)
		bm[i] = ref[i] = rnd(&s);
	for (k = 0; k < 200000; k++) {
		pick(&s, &start, &n);
		switch (k % 3) {
		case 0:
			bm_set_range(bm, start, n);
			ref_set(ref, start, n, true);
			break;
		case 1:
			bm_clear_range(bm, start, n);
			ref_set(ref, start, n, false);
			break;
		default:
			c = bm_count_range(bm, start, n);
			want = ref_count(ref, start, n);
			ATF_REQUIRE_EQ_MSG(c, want, "bm_count_range(%u, %u) = "
			    "%u, bit by bit %u", start, n, c, want);
			break;
		}
		ATF_REQUIRE_MSG(memcmp(bm, ref, sizeof(bm)) == 0,
		    "step %u (%s of %u bits from %u) differs from bit by bit",
		    k, k % 3 == 0 ? "set" : k % 3 == 1 ? "clear" : "count",
		    n, start);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, ranges_match_bitwise);
	return (atf_no_error());
}
