/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sc.h: size classes.
 *
 * A 16-byte quantum and four classes per doubling, as in jemalloc:
 * 16, 32, 48, 64, then for every power of two 2^k >= 64 the sizes
 * 2^k + j * 2^(k-2) for j = 1..4; but with one more, 1152 (SC_MID),
 * since a kilobyte with a small header would waste a fifth of 1280 (over
 * a third of the bench's sqlite peak is 1032-byte blocks), and from
 * 4 KiB to SC_SMALL_MAX eight per doubling (4608, 5120, 5632, ... 8192,
 * 9216, ... 14336: steps of 512 and 1024), since page-sized buffers
 * (database and file pages with a header, 4 KiB plus a little) would
 * otherwise waste up to a fifth of their class; the grid then goes on
 * with four per doubling from
 * SC_LARGE_MIN, each class SC_NEXTRA places after its jemalloc index.
 * Classes up to SC_SMALL_MAX are small (slabs of regions), from
 * SC_LARGE_MIN to below a superpage they are page runs inside a
 * superpage, and from one superpage on (geom.huge_ind, the class of
 * SUPERPAGE: 71 for 2 MiB, 87 for 32 MiB, 103 for 512 MiB) they are huge
 * spans of whole superpages.  The grid and the small limits are
 * compile-time constants whatever the page size (geom.h), since the fast
 * paths index by them.  The page map's 6-bit class field names the
 * classes below SC_FIELD_END (up to 448 KiB); a page run of a larger
 * class (512 KiB up, in any superpage) is found through sp->rclass
 * (sp.h), and since free can reach a thread cache bin only through the
 * field, SC_TCACHE_LIMIT is the field's last class.  With pages above
 * 4 KiB a large class that is not a whole number of pages takes the next
 * whole number (large.h).  Index to size is a table; size to index is a
 * table for sizes up to SC_LUT_MAX, a constant one of 512-byte steps for
 * the fine stretch, and a few bit operations above, with no loop.  The
 * tables are built by sc_boot() before the first allocation and
 * read-only afterwards, so no locking.
 *
 * Invariants: sc_size[sc_index(s)] >= s; sc_index(sc_size[i]) == i;
 * for i < SC_NBINS: sc_slab_pages[i] * PAGE == sc_nregs[i] * sc_size[i]
 * (the smallest whole number of pages the class divides: the odd part
 * of the class in 512-byte units, 1 to 15 pages whatever the page size,
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
#define	SC_NBINS	43		/* classes 16 .. 14336 */
#define	SC_LARGE_MIN	((size_t)16384)
/* The eight-per-doubling stretch: classes above SC_FINE_MIN, below 16 KiB. */
#define	SC_FINE_MIN	((size_t)4096)
#define	SC_FINE_IND	29		/* 4608, the first of them */
#define	SC_NFINE	7		/* classes it adds to four per doubling */
/*
 * 1152, between 1024 and 1280: a kilobyte with a header (sqlite's 1032,
 * 1 KiB buffers with their length) would waste a fifth of 1280.
 */
#define	SC_MID		((size_t)1152)
#define	SC_MID_IND	20
/* Classes below SC_LARGE_MIN beyond four per doubling. */
#define	SC_NEXTRA	(SC_NFINE + 1)
/* The first class the page map's class field cannot name (sp.h). */
#define	SC_FIELD_END	63
#define	SC_HUGE_IND	71		/* 2 MiB, the smallest superpage */
#define	SC_NSIZES	236		/* last class is 2^62 */
#define	SC_MAX_SIZE	((size_t)1 << 62)
#define	SC_LUT_MAX	((size_t)4096)
/*
 * tcache_max goes up to the field's last class, 448 KiB: free finds a
 * bin only through the field (tcache.h).
 */
#define	SC_TCACHE_LIMIT	((size_t)448 << 10)
#define	SC_NTBINS_MAX	SC_FIELD_END	/* sc_index(SC_TCACHE_LIMIT) + 1 */
#define	SC_SLAB_PAGES_MAX	15	/* the slab of 7680 = 15 * 512 */

/* jemalloc's index of a size above 64: four per doubling. */
#define	SC_IND4(lg, j)	(4 + ((lg) - 6) * 4 + (j))

_Static_assert(SC_SMALL_MAX == 7 * 2048 && SC_LARGE_MIN >= GEOM_PMAP,
    "the largest small class is 7 * 2 KiB; large runs start on a granule");
_Static_assert(SC_MID_IND == SC_IND4(10, 0) && SC_MID == 1024 + 128,
    "1152 takes the index of 1280, which moves one up");
_Static_assert(SC_FINE_IND == SC_IND4(11, 3) + 2 && SC_FINE_MIN == 4096,
    "the fine stretch starts right after 4 KiB, the class of index 28");
_Static_assert(SC_NBINS == SC_FINE_IND + 8 + 6 &&
    SC_NBINS == SC_IND4(13, 3) + SC_NEXTRA,
    "1152, eight classes in (4 KiB, 8 KiB], six in (8 KiB, 14 KiB]: 8 "
    "more than four per doubling gives up to 16 KiB");
_Static_assert(SC_SLAB_PAGES_MAX << (GEOM_LG_PAGE_MAX - GEOM_LG_PMAP) ==
    GEOM_SLAB_NPMAP_MAX, "the longest slab's granules (geom.h)");
_Static_assert(SC_HUGE_IND == SC_IND4(GEOM_LG_AMAP - 1, 3) + SC_NEXTRA,
    "the class of the smallest superpage, 2 MiB");
_Static_assert(SC_NSIZES == SC_IND4(61, 3) + SC_NEXTRA + 1,
    "the last class is 2^62");
_Static_assert(SC_FIELD_END == 63 && SC_NBINS < SC_FIELD_END,
    "the page map's 6-bit field names classes 0..62 (0 there is none), "
    "every small class among them (sp.h)");
_Static_assert(SC_IND4(18, 2) + SC_NEXTRA == SC_FIELD_END - 1 &&
    SC_TCACHE_LIMIT == (size_t)7 << 16 && SC_NTBINS_MAX == SC_FIELD_END,
    "SC_TCACHE_LIMIT, 448 KiB, is the last class the field names");

extern size_t	 sc_size[SC_NSIZES];
#define	SC_LUT_N	((SC_LUT_MAX >> SC_LG_QUANTUM) + 1)
extern uint8_t	 sc_lut[SC_LUT_N];
extern uint16_t	 sc_nregs[SC_NBINS];
extern uint8_t	 sc_slab_pages[SC_NBINS];
/* Divisibility magic: off % size == 0 iff off * sc_magic <= sc_magic - 1. */
extern uint64_t	 sc_magic[256];
extern uint32_t	 sc_recip[SC_NBINS];

void	sc_boot(void);

/*
 * jemalloc's four-per-doubling index of a size (the grid without the fine
 * stretch): a log scale for things that are not size classes, such as the
 * page allocator's buckets of run lengths (pa.c), whose bounds (pa.h)
 * must not move when the class grid does.
 */
DM_INLINE unsigned
sc_index4(size_t size)
{
	size_t x;
	unsigned lg;

	if (size <= 64)
		return (size == 0 ? 0 : (unsigned)((size - 1) >> 4));
	x = size - 1;
	lg = util_lg_floor(x);
	return (SC_IND4(lg, 0) + (unsigned)((x >> (lg - 2)) & 3));
}

/*
 * Classes of the sizes in (SC_FINE_MIN, SC_LARGE_MIN], by 512-byte step:
 * sc_fine[(size - 1 - SC_FINE_MIN) >> 9] + SC_FINE_IND.  A constant
 * table, so sc_index_compute needs no boot (geom_boot calls it first).
 */
#define	SC_NFINE_STEPS	((SC_LARGE_MIN - SC_FINE_MIN) >> 9)
extern const uint8_t sc_fine[SC_NFINE_STEPS];

DM_INLINE unsigned
sc_index_compute(size_t size)
{
	size_t x = size - 1;

	/* (4 KiB, 16 KiB]: one compare, then the table. */
	if (x - SC_FINE_MIN < SC_LARGE_MIN - SC_FINE_MIN)
		return (SC_FINE_IND + sc_fine[(x - SC_FINE_MIN) >> 9]);
	/*
	 * Elsewhere four per doubling, past 1152 and the fine stretch's
	 * classes (the lookup table holds sizes up to SC_LUT_MAX, so only
	 * sc_boot asks for those).
	 */
	if (size > SC_LARGE_MIN)
		return (sc_index4(size) + SC_NEXTRA);
	return (sc_index4(size) + (size > SC_MID ? 1 : 0));
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
