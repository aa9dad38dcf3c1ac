/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sp.c: bitmap operations over the pages of one superpage, and the
 * superpage's free-run index (sp.h), which counts its free runs by
 * length.  Pure functions over caller-owned bitmaps and descriptors; the
 * caller holds the lock that protects them (the arena's page allocator
 * lock).
 */
#include <string.h>

#include "config.h"
#include "msg.h"
#include "sp.h"

char	sp_none_mem[sizeof(struct sp) + GEOM_NPMAP_MAX *
    sizeof(struct pmap_ent)] __attribute__((aligned(64)));

void
sp_desc_init(struct sp *sp)
{
	char *tail;

	memset(sp, 0, geom.sp_size);
	tail = (char *)&sp->pmap[geom.npmap];
	sp->used = (uint64_t *)(void *)tail;
	sp->dirtymap = sp->used + geom.sp_nwords;
	sp->purging = sp->dirtymap + geom.sp_nwords;
	sp->lenmap = sp->purging + geom.sp_nwords;
	sp->slab = (struct slab **)(void *)(sp->lenmap +
	    SP_LENMAP_NWORDS(geom.sp_npages));
	sp->nrun = (uint16_t *)(void *)(sp->slab + geom.sp_npages);
	sp->rclass = (uint8_t *)(void *)(sp->nrun + SP_RUNS_SHORT + 1);
}

void
sp_pmap_fill(struct sp *sp, unsigned pidx, unsigned npages,
    struct pmap_ent pe)
{
	struct pmap_ent *p = sp_pmap_page(sp, pidx);
	size_t i, n = (size_t)npages << geom.lg_pmap_per_page;

	/*
	 * Every free clears a run's entries and every large allocation makes
	 * all but its first slow: beyond a few entries (a slab's), memset
	 * beats the loop.  PMAP_SLOW_ENT is written as the byte pattern huge
	 * spans get (PMAP_SLOW_BYTE: no class, not 0, no PMAP_SAMPLED),
	 * which every reader takes alike.
	 */
	if (n < 8) {
		for (i = 0; i < n; i++)
			p[i] = pe;
		return;
	}
	if (pe.e == 0 && pe.k == 0) {
		memset(p, 0, n * sizeof(*p));
		return;
	}
	if (pe.e == PMAP_SLOW && pe.k == 0) {
		memset(p, PMAP_SLOW_BYTE, n * sizeof(*p));
		return;
	}
	for (i = 0; i < n; i++)
		p[i] = pe;
}

void
sp_pmap_slab(struct sp *sp, unsigned pidx, unsigned sc, unsigned win)
{
	struct pmap_ent *p = sp_pmap_page(sp, pidx);
	uintptr_t start = sp->addr + ((size_t)pidx << LG_PAGE);
	size_t g, n, size = sc_size[sc], off;

	n = (size_t)sc_slab_pages[sc] << geom.lg_pmap_per_page;
	for (g = 0; g < n; g++) {
		/* The region holding the granule's first byte (sp.h). */
		off = g << GEOM_LG_PMAP;
		p[g] = pmap_ent(sc, win, (uint32_t)g,
		    start + off / size * size);
	}
}

void
sp_pmap_large(struct sp *sp, unsigned pidx, unsigned npages, unsigned sc,
    unsigned win)
{
	struct pmap_ent *p = sp_pmap_page(sp, pidx);

	sp_pmap_fill(sp, pidx, npages, PMAP_SLOW_ENT);
	sp->rclass[pidx] = (uint8_t)sc;
	if (sc >= SC_FIELD_END)
		p[0] = PMAP_BIGRUN_ENT;
	else
		p[0] = pmap_ent(sc, win, 0,
		    sp->addr + ((size_t)pidx << LG_PAGE));
}

int
sp_class_at(const struct sp *sp, const void *p, uint32_t e)
{
	if (e == PMAP_BIGRUN)
		return (((uintptr_t)p & (GEOM_PMAP - 1)) == 0 ?
		    sp->rclass[sp_page(sp, p)] : -1);
	return (PMAP_CLASS(e));
}

/*
 * The range operations work a word at a time: runs are tens of pages and
 * rarely word-aligned, and bit by bit a large allocation and its free
 * took 120 to 160 instructions per range.  A range [start, end) covers
 * the bits of its first word from start & 63 on (bm_first), those of its
 * last word below end (bm_last), and whole words between; most ranges
 * lie in one word, which gets both masks.
 */
static inline uint64_t
bm_first(unsigned start)
{
	return (UINT64_MAX << (start & 63));
}

static inline uint64_t
bm_last(unsigned end)
{
	return (UINT64_MAX >> (-end & 63));
}

void
bm_set_range(uint64_t *bm, unsigned start, unsigned n)
{
	unsigned w, we, end = start + n;

	if (n == 0)
		return;
	w = start >> 6;
	we = (end - 1) >> 6;
	if (w == we) {
		bm[w] |= bm_first(start) & bm_last(end);
		return;
	}
	bm[w] |= bm_first(start);
	while (++w < we)
		bm[w] = UINT64_MAX;
	bm[we] |= bm_last(end);
}

void
bm_clear_range(uint64_t *bm, unsigned start, unsigned n)
{
	unsigned w, we, end = start + n;

	if (n == 0)
		return;
	w = start >> 6;
	we = (end - 1) >> 6;
	if (w == we) {
		bm[w] &= ~(bm_first(start) & bm_last(end));
		return;
	}
	bm[w] &= ~bm_first(start);
	while (++w < we)
		bm[w] = 0;
	bm[we] &= ~bm_last(end);
}

/*
 * The bits set in x, which are all of mask m's, or none, or some.  The
 * build targets x86-64 without POPCNT, where __builtin_popcountll is a
 * libgcc call of about 20 instructions, and the dirty map under a run
 * being allocated is mostly all clear or all set: those two cases take
 * a compare, with nm the number of bits in m.
 */
static inline unsigned
bm_popcount(uint64_t x, uint64_t m, unsigned nm)
{
	if (x == 0)
		return (0);
	if (x == m)
		return (nm);
	return ((unsigned)__builtin_popcountll(x));
}

unsigned
bm_count_range(const uint64_t *bm, unsigned start, unsigned n)
{
	unsigned w, we, c, end = start + n;
	uint64_t m;

	if (n == 0)
		return (0);
	w = start >> 6;
	we = (end - 1) >> 6;
	if (w == we) {
		m = bm_first(start) & bm_last(end);
		return (bm_popcount(bm[w] & m, m, n));
	}
	m = bm_first(start);
	c = bm_popcount(bm[w] & m, m, 64 - (start & 63));
	while (++w < we)
		c += bm_popcount(bm[w], UINT64_MAX, 64);
	m = bm_last(end);
	return (c + bm_popcount(bm[we] & m, m, end - (we << 6)));
}

unsigned
bm_next(const uint64_t *bm, unsigned i, bool val)
{
	uint64_t w;
	unsigned word;

	if (i >= SP_NPAGES)
		return (SP_NPAGES);
	word = i >> 6;
	w = (val ? bm[word] : ~bm[word]) & (UINT64_MAX << (i & 63));
	while (w == 0) {
		if (++word == SP_NWORDS)
			return (SP_NPAGES);
		w = val ? bm[word] : ~bm[word];
	}
	return ((word << 6) + (unsigned)__builtin_ctzll(w));
}

unsigned
bm_free_start(const uint64_t *bm, unsigned i)
{
	uint64_t w;
	unsigned word;

	if (i == 0)
		return (0);
	word = (i - 1) >> 6;
	/* Bits 0 to i - 1 of the word that holds bit i - 1. */
	w = bm[word] & (UINT64_MAX >> (63 - ((i - 1) & 63)));
	while (w == 0) {
		if (word == 0)
			return (0);
		w = bm[--word];
	}
	return ((word << 6) + 64 - (unsigned)__builtin_clzll(w));
}

/*
 * Run by run, first fit, with the word walk of bm_next written out: a
 * superpage of small slabs has dozens of free runs too short for the
 * request before the one that fits, and two calls per run cost 70
 * instructions where this loop takes about 15.
 */
int
bm_find_run(const uint64_t *bm, unsigned n, unsigned align, unsigned *rsp,
    unsigned *rep)
{
	unsigned w = 0, nw = SP_NWORDS, i, e, start;
	uint64_t x = ~bm[0];

	for (;;) {
		/* The next free bit, from bit 0 of x's word w. */
		while (x == 0) {
			if (++w == nw)
				return (-1);
			x = ~bm[w];
		}
		i = (w << 6) + (unsigned)__builtin_ctzll(x);
		/* The next used bit after it. */
		x = bm[w] & (UINT64_MAX << (i & 63));
		while (x == 0) {
			if (++w == nw)
				break;
			x = bm[w];
		}
		e = w == nw ? SP_NPAGES : (w << 6) +
		    (unsigned)__builtin_ctzll(x);
		start = (unsigned)ALIGN_UP(i, align);
		if (start + n <= e) {
			*rsp = i;
			*rep = e;
			return ((int)start);
		}
		if (w == nw)
			return (-1);
		/* Free bits after the used bit at e, in e's word. */
		x = ~bm[w] & (UINT64_MAX << (e & 63));
	}
}

/*
 * The longest run of zero bits inside w, not touching either end of it
 * (w has a bit set at both ends of the span looked at): each step clears
 * the last bit of every run of ones in ~w, so the number of steps is the
 * longest run.  Called only when that run could beat the best so far.
 */
static unsigned
bm_inner_run(uint64_t w)
{
	uint64_t z;
	unsigned k;

	z = ~w & ((UINT64_MAX >> __builtin_clzll(w)) &
	    (UINT64_MAX << __builtin_ctzll(w)));
	for (k = 0; z != 0; k++)
		z &= z << 1;
	return (k);
}

/*
 * Word by word rather than run by run: a large run's allocation and free
 * recompute the superpage's longest free run under the page allocator
 * lock, and a fragmented superpage has dozens of runs (pa.c).  cur is
 * the length of the free run that reaches the current word.
 */
unsigned
bm_longest_run(const uint64_t *bm)
{
	unsigned i, nw = SP_NWORDS, cur = 0, best = 0, lo, hi, k;
	uint64_t w;

	for (i = 0; i < nw; i++) {
		w = bm[i];
		if (w == 0) {
			cur += 64;
			continue;
		}
		lo = (unsigned)__builtin_ctzll(w);
		hi = (unsigned)__builtin_clzll(w);
		cur += lo;
		if (cur > best)
			best = cur;
		/* The bits strictly between the lowest and highest one. */
		if (64 - lo - hi > best + 2 && (k = bm_inner_run(w)) > best)
			best = k;
		cur = hi;
	}
	return (cur > best ? cur : best);
}

/* The free-run index (sp.h). */

static inline void
sp_run_add(struct sp *sp, unsigned len)
{
	unsigned k;

	if (len == 0)
		return;
	if (len <= SP_RUNS_SHORT) {
		if (sp->nrun[len]++ == 0)
			sp->lenmap[(len - 1) >> 6] |= (uint64_t)1 <<
			    ((len - 1) & 63);
		return;
	}
	for (k = 0; k < SP_NLONGRUN; k++)
		if (sp->longrun[k] == 0) {
			sp->longrun[k] = (uint16_t)len;
			return;
		}
	DM_ASSERT(!"more long free runs than fit in a superpage");
}

static inline void
sp_run_del(struct sp *sp, unsigned len)
{
	unsigned k;

	if (len == 0)
		return;
	if (len <= SP_RUNS_SHORT) {
		if (--sp->nrun[len] == 0)
			sp->lenmap[(len - 1) >> 6] &= ~((uint64_t)1 <<
			    ((len - 1) & 63));
		return;
	}
	for (k = 0; k < SP_NLONGRUN; k++)
		if (sp->longrun[k] == len) {
			sp->longrun[k] = 0;
			return;
		}
	DM_ASSERT(!"a long free run the index does not hold");
}

unsigned
sp_runs_count(const struct sp *sp, unsigned len)
{
	unsigned k, c = 0;

	if (len == 0)
		return (0);
	if (len <= SP_RUNS_SHORT)
		return (sp->nrun[len]);
	for (k = 0; k < SP_NLONGRUN; k++)
		c += sp->longrun[k] == len;
	return (c);
}

/*
 * The longest length of a free run, when none is longer than max; 0 if
 * there is none.
 */
static unsigned
sp_run_top(const struct sp *sp, unsigned max)
{
	unsigned k, w, best = 0;
	uint64_t x;

	for (k = 0; k < SP_NLONGRUN; k++)
		if (sp->longrun[k] > best)
			best = sp->longrun[k];
	if (best != 0)
		return (best);
	if (max > SP_RUNS_SHORT)
		max = SP_RUNS_SHORT;
	w = (max - 1) >> 6;
	x = sp->lenmap[w] & (UINT64_MAX >> (63 - ((max - 1) & 63)));
	while (x == 0) {
		if (w == 0)
			return (0);
		x = sp->lenmap[--w];
	}
	return ((w << 6) + 64 - (unsigned)__builtin_clzll(x));
}

void
sp_runs_init(struct sp *sp)
{
	memset(sp->used, 0, SP_NWORDS * sizeof(uint64_t));
	memset(sp->lenmap, 0, SP_LENMAP_NWORDS(SP_NPAGES) *
	    sizeof(uint64_t));
	memset(sp->nrun, 0, ((size_t)SP_RUNS_SHORT + 1) * sizeof(uint16_t));
	memset(sp->longrun, 0, sizeof(sp->longrun));
	sp_run_add(sp, SP_NPAGES);
	sp->longest = (uint16_t)SP_NPAGES;
}

void
sp_runs_take(struct sp *sp, unsigned i, unsigned n, unsigned rs,
    unsigned re)
{
	unsigned r = re - rs;

	DM_ASSERT(rs <= i && i + n <= re && re <= SP_NPAGES && n != 0);
	bm_set_range(sp->used, i, n);
	sp_run_del(sp, r);
	sp_run_add(sp, i - rs);
	sp_run_add(sp, re - i - n);
	/* Only the last run of the longest length moves longest. */
	if (r == sp->longest && sp_runs_count(sp, r) == 0)
		sp->longest = (uint16_t)sp_run_top(sp, r);
}

void
sp_runs_give(struct sp *sp, unsigned i, unsigned n)
{
	unsigned rs, re;

	DM_ASSERT(n != 0 && bm_count_range(sp->used, i, n) == n);
	bm_clear_range(sp->used, i, n);
	rs = bm_free_start(sp->used, i);
	re = bm_next(sp->used, i + n, true);
	sp_run_del(sp, i - rs);
	sp_run_del(sp, re - i - n);
	sp_run_add(sp, re - rs);
	/* Freeing only joins runs: the joined one may be longest. */
	if (re - rs > sp->longest)
		sp->longest = (uint16_t)(re - rs);
}

unsigned
sp_runs_verify(const struct sp *sp)
{
	uint16_t cnt[GEOM_SP_NPAGES_MAX + 1];
	unsigned i, e, len;

	memset(cnt, 0, ((size_t)SP_NPAGES + 1) * sizeof(cnt[0]));
	for (i = bm_next(sp->used, 0, false); i < SP_NPAGES;
	    i = bm_next(sp->used, e, false)) {
		e = bm_next(sp->used, i, true);
		cnt[e - i]++;
	}
	for (len = 1; len <= SP_NPAGES; len++) {
		if (cnt[len] != sp_runs_count(sp, len))
			return (len + 1);
		if (len <= SP_RUNS_SHORT &&
		    (cnt[len] != 0) != bm_get(sp->lenmap, len - 1))
			return (SP_NPAGES + 2);
	}
	for (len = 0; len < SP_NLONGRUN; len++)
		if (sp->longrun[len] != 0 && sp->longrun[len] <= SP_RUNS_SHORT)
			return (SP_NPAGES + 2);
	if (sp->longest != bm_longest_run(sp->used) || sp->nrun[0] != 0)
		return (SP_NPAGES + 2);
	return (0);
}
