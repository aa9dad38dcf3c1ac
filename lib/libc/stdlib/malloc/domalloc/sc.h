/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sc.h: size classes.
 *
 * A 16-byte quantum and four classes per doubling, as in jemalloc:
 * 16, 32, 48, 64, then for every power of two 2^k >= 64 the sizes
 * 2^k + j * 2^(k-2) for j = 1..4.  Classes up to SC_SMALL_MAX are small
 * (slabs of regions), from SC_LARGE_MIN to below a superpage they are
 * page runs inside a superpage, and from one superpage on they are huge
 * spans of whole superpages.  Index to size is a table; size to index is
 * a table for sizes up to SC_LUT_MAX and a few bit operations above, with
 * no loop.  The tables are built by sc_boot() before the first allocation
 * and read-only afterwards, so no locking.
 *
 * Invariants: sc_size[sc_index(s)] >= s; sc_index(sc_size[i]) == i;
 * for i < SC_NBINS: sc_slab_pages[i] * PAGE == sc_nregs[i] * sc_size[i].
 */
#ifndef SC_H
#define	SC_H

#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "util.h"

#define	LG_PAGE		ARCH_LG_PAGE
#define	PAGE		((size_t)1 << LG_PAGE)
#define	LG_SUPERPAGE	ARCH_LG_SUPERPAGE
#define	SUPERPAGE	((size_t)1 << LG_SUPERPAGE)
#define	SP_NPAGES	(SUPERPAGE >> LG_PAGE)

#define	SC_LG_QUANTUM	4
#define	SC_QUANTUM	((size_t)1 << SC_LG_QUANTUM)

#define	SC_SMALL_MAX	((size_t)14336)
#define	SC_NBINS	35		/* classes 16 .. 14336 */
#define	SC_LARGE_MIN	((size_t)16384)
#define	SC_HUGE_IND	63		/* first class served by spans: 2 MiB */
#define	SC_NSIZES	228		/* last class is 2^62 */
#define	SC_MAX_SIZE	((size_t)1 << 62)
#define	SC_LUT_MAX	((size_t)4096)
/* tcache_max may go up to 8 MiB as in jemalloc. */
#define	SC_TCACHE_LIMIT	((size_t)8 << 20)
#define	SC_NTBINS_MAX	72		/* sc_index(8 MiB) + 1 */

extern size_t	 sc_size[SC_NSIZES];
#define	SC_LUT_N	((SC_LUT_MAX >> SC_LG_QUANTUM) + 1)
extern uint8_t	 sc_lut[SC_LUT_N];
extern uint16_t	 sc_nregs[SC_NBINS];
extern uint8_t	 sc_slab_pages[SC_NBINS];
/* Divisibility magic: off % size == 0 iff off * sc_magic <= sc_magic - 1. */
extern uint64_t	 sc_magic[256];
extern uint32_t	 sc_recip[SC_NBINS];

void	sc_boot(void);

DM_INLINE unsigned
sc_index_compute(size_t size)
{
	size_t x;
	unsigned lg;

	if (size <= 64)
		return (size == 0 ? 0 : (unsigned)((size - 1) >> 4));
	x = size - 1;
	lg = util_lg_floor(x);
	return (4 + ((lg - 6) << 2) + (unsigned)((x >> (lg - 2)) & 3));
}

/* Class index of a request; size must be <= SC_MAX_SIZE. */
DM_INLINE unsigned
sc_index(size_t size)
{
	if (likely(size <= SC_LUT_MAX))
		return (sc_lut[(size + SC_QUANTUM - 1) >> SC_LG_QUANTUM]);
	return (sc_index_compute(size));
}

/* Usable size for a request, 0 if it is too large. */
DM_INLINE size_t
sc_usize(size_t size)
{
	if (unlikely(size > SC_MAX_SIZE))
		return (0);
	return (sc_size[sc_index(size)]);
}

/* Region index of offset off within a slab of class i (exact divide). */
DM_INLINE unsigned
sc_region(unsigned i, size_t off)
{
	return ((unsigned)(((uint64_t)off * sc_recip[i]) >> 32));
}

DM_INLINE int
sc_divides(unsigned i, uint32_t off)
{
	return ((uint64_t)off * sc_magic[i] <= sc_magic[i] - 1);
}

/*
 * The 32-bit form for the free fast path (tcache.h): with M =
 * 2^32 / size rounded up, off % size == 0 iff off * M mod 2^32 < M.
 * Exact (checked for every class a page map entry can name) for all off
 * below 114686, more than any offset free computes (< 2^16 + PAGE).
 */
DM_INLINE uint32_t
sc_magic32(unsigned i)
{
	return ((uint32_t)(UINT32_MAX / sc_size[i] + 1));
}

/* Usable size for size with alignment align, 0 on overflow. */
size_t	sc_usize_aligned(size_t size, size_t align);

#endif /* !SC_H */
