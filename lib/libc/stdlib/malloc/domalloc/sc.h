/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sc.h: size classes.
 *
 * A 16-byte quantum and four classes per doubling, as in jemalloc:
 * 16, 32, 48, 64, then for every power of two 2^k >= 64 the sizes
 * 2^k + j * 2^(k-2) for j = 1..4.  Classes up to SC_SMALL_MAX are small
 * (slabs of regions), from SC_LARGE_MIN to below a superpage they are
 * page runs inside a superpage, and from one superpage on (geom.huge_ind,
 * the class of SUPERPAGE: 63 for 2 MiB, 79 for 32 MiB, 95 for 512 MiB)
 * they are huge spans of whole superpages.  The grid and the small
 * limits are compile-time constants whatever the page size (geom.h),
 * since the fast paths index by them; SC_HUGE_IND, 2 MiB, is the first
 * class the page map's class field cannot name (runs of such classes in a
 * larger superpage are found through sp->rclass, sp.h).  With pages
 * above 4 KiB a large class that is not a whole number of pages takes the
 * next whole number (large.h).  Index to size is a table; size to index is
 * a table for sizes up to SC_LUT_MAX and a few bit operations above, with
 * no loop.  The tables are built by sc_boot() before the first allocation
 * and read-only afterwards, so no locking.
 *
 * Invariants: sc_size[sc_index(s)] >= s; sc_index(sc_size[i]) == i;
 * for i < SC_NBINS: sc_slab_pages[i] * PAGE == sc_nregs[i] * sc_size[i]
 * (the smallest whole number of pages the class divides: 1 to 7 pages,
 * up to GEOM_SLAB_NREGS_MAX regions).
 */
#ifndef SC_H
#define	SC_H

#include <stddef.h>
#include <stdint.h>

#include "geom.h"
#include "util.h"

#define	SC_LG_QUANTUM	4
#define	SC_QUANTUM	((size_t)1 << SC_LG_QUANTUM)

#define	SC_SMALL_MAX	((size_t)14336)
#define	SC_NBINS	35		/* classes 16 .. 14336 */
#define	SC_LARGE_MIN	((size_t)16384)
#define	SC_HUGE_IND	63		/* 2 MiB: above the class field */
#define	SC_NSIZES	228		/* last class is 2^62 */
#define	SC_MAX_SIZE	((size_t)1 << 62)
#define	SC_LUT_MAX	((size_t)4096)
/* tcache_max may go up to 8 MiB as in jemalloc. */
#define	SC_TCACHE_LIMIT	((size_t)8 << 20)
#define	SC_NTBINS_MAX	72		/* sc_index(8 MiB) + 1 */
#define	SC_SLAB_PAGES_MAX	7	/* the slab of 14336 = 7 * 2 KiB */

_Static_assert(SC_SMALL_MAX == 7 * 2048 && SC_LARGE_MIN >= GEOM_PMAP,
    "small slabs are at most 7 pages; large runs start on a granule");
_Static_assert(SC_SLAB_PAGES_MAX << (GEOM_LG_PAGE_MAX - GEOM_LG_PMAP) ==
    GEOM_SLAB_NPMAP_MAX, "the longest slab's granules (geom.h)");
_Static_assert(SC_HUGE_IND == 4 + (GEOM_LG_AMAP - 1 - 6) * 4 + 3,
    "the smallest superpage, 2 MiB, is the first class past the field");
_Static_assert(SC_HUGE_IND <= 63,
    "every class a page run holds fits the page map's class field (sp.h)");

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
 * below 114686, more than any offset free computes (below GEOM_PMAP +
 * SC_SMALL_MAX, since a page map entry's k counts from the region that
 * holds its granule's first byte, sp.h).
 */
DM_INLINE uint32_t
sc_magic32(unsigned i)
{
	return ((uint32_t)(UINT32_MAX / sc_size[i] + 1));
}

/* Usable size for size with alignment align, 0 on overflow. */
size_t	sc_usize_aligned(size_t size, size_t align);

#endif /* !SC_H */
