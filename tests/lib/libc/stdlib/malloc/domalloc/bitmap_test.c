/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * bitmap_test.c: the range operations on a superpage's page bitmaps
 * (bm_set_range, bm_clear_range, bm_count_range in sp.c), which work a
 * word at a time with masks, against the same operations done one bit at
 * a time, over every kind of range: empty, inside one word, across word
 * boundaries, word-aligned at one end or both, the whole bitmap; and the
 * free-run index of a runs superpage (sp_runs_take, sp_runs_give,
 * bm_find_run), driven like a page allocator through random allocations,
 * frees, in-place grows and shrinks, against a bit-by-bit first fit and
 * a count of the runs from scratch after every step.
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

/* The first aligned start of n free bits, bit by bit, or -1. */
static int
ref_first_fit(const uint64_t *bm, unsigned n, unsigned align)
{
	unsigned s;

	for (s = 0; s + n <= SP_NPAGES; s += align)
		if (ref_count(bm, s, n) == 0)
			return ((int)s);
	return (-1);
}

/* The longest run of zero bits, and how many runs of length len. */
static unsigned
ref_runs(const uint64_t *bm, unsigned len, unsigned *nlen)
{
	unsigned i, cur = 0, best = 0;

	*nlen = 0;
	for (i = 0; i <= SP_NPAGES; i++) {
		if (i < SP_NPAGES && !(bm[i >> 6] >> (i & 63) & 1)) {
			cur++;
			continue;
		}
		if (cur == len && len != 0)
			(*nlen)++;
		if (cur > best)
			best = cur;
		cur = 0;
	}
	return (best);
}

#define	NBLK	600

ATF_TC_WITHOUT_HEAD(run_index_matches_scan);
ATF_TC_BODY(run_index_matches_scan, tc)
{
	unsigned bstart[NBLK], blen[NBLK], nblk = 0, k, n, align, rs, re;
	unsigned j, want_long, nlen, cut, e;
	uint64_t s = 0x2545f4914f6cdd1dULL;
	struct sp *sp;
	int i, want;

	free(malloc(1));	/* the geometry: SP_NPAGES, sp_size */
	sp = aligned_alloc(64, ALIGN_UP(geom.sp_size, 64));
	ATF_REQUIRE(sp != NULL);
	sp_desc_init(sp);
	sp_runs_init(sp);
	for (k = 0; k < 300000; k++) {
		switch (rnd(&s) % 8) {
		case 0: case 1: case 2:
			/* Allocate: mostly slab-sized, some large, aligned. */
			if (nblk == NBLK)
				break;
			n = rnd(&s) % 4 == 0 ? 1 + (unsigned)(rnd(&s) %
			    (SP_NPAGES / 2)) : 1 + (unsigned)(rnd(&s) % 16);
			align = rnd(&s) % 8 == 0 ? 1u << (rnd(&s) % 6) : 1;
			if (n > sp->longest)
				break;
			i = bm_find_run(sp->used, n, align, &rs, &re);
			want = ref_first_fit(sp->used, n, align);
			ATF_REQUIRE_EQ_MSG(i, want, "step %u: bm_find_run(%u, "
			    "%u) = %d, bit by bit %d", k, n, align, i, want);
			if (i < 0)
				break;
			ATF_REQUIRE(rs <= (unsigned)i && (unsigned)i + n <= re);
			ATF_REQUIRE(rs == 0 || bm_get(sp->used, rs - 1));
			ATF_REQUIRE(re == SP_NPAGES || bm_get(sp->used, re));
			ATF_REQUIRE(ref_count(sp->used, rs, re - rs) == 0);
			sp_runs_take(sp, (unsigned)i, n, rs, re);
			bstart[nblk] = (unsigned)i;
			blen[nblk++] = n;
			break;
		case 3: case 4:
			/* Free a block. */
			if (nblk == 0)
				break;
			j = (unsigned)(rnd(&s) % nblk);
			sp_runs_give(sp, bstart[j], blen[j]);
			bstart[j] = bstart[--nblk];
			blen[j] = blen[nblk];
			break;
		case 5:
			/* Shrink a block in place: its tail is freed. */
			if (nblk == 0)
				break;
			j = (unsigned)(rnd(&s) % nblk);
			if (blen[j] < 2)
				break;
			cut = 1 + (unsigned)(rnd(&s) % (blen[j] - 1));
			sp_runs_give(sp, bstart[j] + blen[j] - cut, cut);
			blen[j] -= cut;
			break;
		case 6:
			/* Grow a block in place into the free pages after it. */
			if (nblk == 0)
				break;
			j = (unsigned)(rnd(&s) % nblk);
			e = bstart[j] + blen[j];
			re = bm_next(sp->used, e, true);
			if (re == e)
				break;
			n = 1 + (unsigned)(rnd(&s) % (re - e));
			sp_runs_take(sp, e, n, e, re);
			blen[j] += n;
			break;
		default:
			/* A purge's take of a free range inside a run. */
			if (nblk == NBLK)
				break;
			e = (unsigned)(rnd(&s) % SP_NPAGES);
			if (bm_get(sp->used, e))
				break;
			re = bm_next(sp->used, e, true);
			rs = bm_free_start(sp->used, e);
			n = 1 + (unsigned)(rnd(&s) % (re - e));
			sp_runs_take(sp, e, n, rs, re);
			bstart[nblk] = e;
			blen[nblk++] = n;
			break;
		}
		want_long = ref_runs(sp->used, sp->longest, &nlen);
		ATF_REQUIRE_EQ_MSG(sp->longest, want_long, "step %u: longest "
		    "%u, bit by bit %u", k, sp->longest, want_long);
		ATF_REQUIRE_EQ_MSG(sp_runs_count(sp, sp->longest),
		    nlen, "step %u: runs of the longest length", k);
		if (k % 64 == 0 || nblk == 0)
			ATF_REQUIRE_EQ_MSG(sp_runs_verify(sp), 0, "step %u: "
			    "free-run index differs from a count", k);
	}
	free(sp);
}

/*
 * Three long free runs (more than a quarter of the superpage each, which
 * the index lists rather than counts) in every order: taking the longest
 * whole must leave the next one as longest, wherever the index holds it.
 */
ATF_TC_WITHOUT_HEAD(long_runs_every_order);
ATF_TC_BODY(long_runs_every_order, tc)
{
	static const unsigned perm[6][3] = { { 0, 1, 2 }, { 0, 2, 1 },
	    { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
	unsigned len[3], start[3], p, k, at, j, first, second;
	struct sp *sp;

	free(malloc(1));
	ATF_REQUIRE(SP_NPAGES >= 512);
	sp = aligned_alloc(64, ALIGN_UP(geom.sp_size, 64));
	ATF_REQUIRE(sp != NULL);
	sp_desc_init(sp);
	for (p = 0; p < 6; p++) {
		for (k = 0; k < 3; k++)
			len[perm[p][k]] = SP_NPAGES / 4 + 2 + 5 * k;
		sp_runs_init(sp);
		/* Runs len[0], len[1], len[2], one used page after each. */
		at = 0;
		for (k = 0; k < 3; k++) {
			start[k] = at;
			at += len[k];
			sp_runs_take(sp, at, 1, start[k], SP_NPAGES);
			at++;
		}
		ATF_REQUIRE_EQ(sp_runs_verify(sp), 0);
		/* Then the rest of the superpage. */
		if (at < SP_NPAGES)
			sp_runs_take(sp, at, SP_NPAGES - at, at, SP_NPAGES);
		ATF_REQUIRE_EQ(sp_runs_verify(sp), 0);
		first = perm[p][2];
		second = perm[p][1];
		ATF_REQUIRE_EQ(sp->longest, len[first]);
		sp_runs_take(sp, start[first], len[first], start[first],
		    start[first] + len[first]);
		ATF_REQUIRE_EQ_MSG(sp->longest, len[second], "order %u: "
		    "longest %u after the longest went, want %u", p,
		    sp->longest, len[second]);
		sp_runs_take(sp, start[second], len[second], start[second],
		    start[second] + len[second]);
		j = perm[p][0];
		ATF_REQUIRE_EQ_MSG(sp->longest, len[j], "order %u: longest %u "
		    "after two went, want %u", p, sp->longest, len[j]);
		ATF_REQUIRE_EQ(sp_runs_verify(sp), 0);
		sp_runs_give(sp, start[first], len[first]);
		ATF_REQUIRE_EQ(sp->longest, len[first]);
		ATF_REQUIRE_EQ(sp_runs_verify(sp), 0);
	}
	free(sp);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, long_runs_every_order);
	ATF_TP_ADD_TC(tp, ranges_match_bitwise);
	ATF_TP_ADD_TC(tp, run_index_matches_scan);
	return (atf_no_error());
}
