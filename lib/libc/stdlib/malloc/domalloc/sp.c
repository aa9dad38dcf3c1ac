/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sp.c: bitmap operations over the pages of one superpage.  Pure
 * functions over caller-owned bitmaps; the caller holds the lock that
 * protects the bitmap.
 */
#include <string.h>

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
	sp->slab = (struct slab **)(void *)(sp->purging + geom.sp_nwords);
	sp->rclass = (uint8_t *)(void *)(sp->slab + geom.sp_npages);
}

void
sp_pmap_fill(struct sp *sp, unsigned pidx, unsigned npages,
    struct pmap_ent pe)
{
	struct pmap_ent *p = sp_pmap_page(sp, pidx);
	size_t i, n = (size_t)npages << geom.lg_pmap_per_page;

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
 * The bits of word w that the range [start, end) covers.  Runs are tens
 * of pages and rarely word-aligned, so the range operations work a word
 * at a time with these masks rather than a bit at a time at the ends: a
 * large allocation and its free set, clear and count four such ranges,
 * which took 120 to 160 instructions each bit by bit.
 */
static inline uint64_t
bm_mask(unsigned w, unsigned start, unsigned end)
{
	unsigned lo = w << 6;
	uint64_t m = UINT64_MAX;

	if (start > lo)
		m &= UINT64_MAX << (start - lo);
	if (end < lo + 64)
		m &= UINT64_MAX >> (lo + 64 - end);
	return (m);
}

void
bm_set_range(uint64_t *bm, unsigned start, unsigned n)
{
	unsigned w, end = start + n;

	if (n == 0)
		return;
	for (w = start >> 6; w <= (end - 1) >> 6; w++)
		bm[w] |= bm_mask(w, start, end);
}

void
bm_clear_range(uint64_t *bm, unsigned start, unsigned n)
{
	unsigned w, end = start + n;

	if (n == 0)
		return;
	for (w = start >> 6; w <= (end - 1) >> 6; w++)
		bm[w] &= ~bm_mask(w, start, end);
}

unsigned
bm_count_range(const uint64_t *bm, unsigned start, unsigned n)
{
	unsigned w, c = 0, end = start + n;

	if (n == 0)
		return (0);
	for (w = start >> 6; w <= (end - 1) >> 6; w++)
		c += (unsigned)__builtin_popcountll(bm[w] &
		    bm_mask(w, start, end));
	return (c);
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

int
bm_find_run(const uint64_t *bm, unsigned n, unsigned align)
{
	unsigned i, e, start;

	i = 0;
	while (i < SP_NPAGES) {
		i = bm_next(bm, i, false);
		if (i >= SP_NPAGES)
			return (-1);
		e = bm_next(bm, i, true);
		start = (unsigned)ALIGN_UP(i, align);
		if (start + n <= e)
			return ((int)start);
		i = e;
	}
	return (-1);
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
