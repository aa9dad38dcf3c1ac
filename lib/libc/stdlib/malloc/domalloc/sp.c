/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sp.c: bitmap operations over the pages of one superpage.  Pure
 * functions over caller-owned bitmaps; the caller holds the lock that
 * protects the bitmap.
 */
#include "sp.h"

const struct sp sp_none;

void
bm_set_range(uint64_t *bm, unsigned start, unsigned n)
{
	unsigned i, end = start + n;

	for (i = start; i < end && (i & 63) != 0; i++)
		bm[i >> 6] |= (uint64_t)1 << (i & 63);
	for (; i + 64 <= end; i += 64)
		bm[i >> 6] = UINT64_MAX;
	for (; i < end; i++)
		bm[i >> 6] |= (uint64_t)1 << (i & 63);
}

void
bm_clear_range(uint64_t *bm, unsigned start, unsigned n)
{
	unsigned i, end = start + n;

	for (i = start; i < end && (i & 63) != 0; i++)
		bm[i >> 6] &= ~((uint64_t)1 << (i & 63));
	for (; i + 64 <= end; i += 64)
		bm[i >> 6] = 0;
	for (; i < end; i++)
		bm[i >> 6] &= ~((uint64_t)1 << (i & 63));
}

unsigned
bm_count_range(const uint64_t *bm, unsigned start, unsigned n)
{
	unsigned i, c = 0, end = start + n;

	for (i = start; i < end && (i & 63) != 0; i++)
		c += bm_get(bm, i);
	for (; i + 64 <= end; i += 64)
		c += (unsigned)__builtin_popcountll(bm[i >> 6]);
	for (; i < end; i++)
		c += bm_get(bm, i);
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

unsigned
bm_longest_run(const uint64_t *bm)
{
	unsigned i, e, best = 0;

	i = 0;
	while (i < SP_NPAGES) {
		i = bm_next(bm, i, false);
		if (i >= SP_NPAGES)
			break;
		e = bm_next(bm, i, true);
		if (e - i > best)
			best = e - i;
		i = e;
	}
	return (best);
}
