/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * geom.h: the page and superpage geometry, and every size derived from it.
 *
 * One binary runs on kernels with 4 KiB, 16 KiB and 64 KiB pages, so the
 * page size (PAGE) and the superpage size (SUPERPAGE, the kernel's
 * transparent huge page: 2 MiB, 32 MiB, 512 MiB) are read at start-up,
 * and everything that follows from them (pages per superpage, page bitmap
 * words, page map entries, descriptor sizes, slab bitmap words, the
 * density that makes a superpage worth a huge page, growth steps) is
 * computed once by geom_boot() in geom.c, which checks the result and
 * stops with one line on a geometry it cannot serve.  The option lg_page
 * (conf.h) raises the page size above the kernel's, so that the larger
 * geometries run on any machine; the superpage then is the one a kernel
 * with that page size would have (geom.c).
 *
 * Two granules stay compile-time constants so that the fast paths do
 * not pay for the run-time geometry:
 * - the page map (sp.h) has one entry per GEOM_PMAP bytes (4 KiB, the
 *   smallest page of every supported system) whatever the page size, so
 *   free finds its entry with a constant shift; a page of 16 KiB has four
 *   entries that say the same;
 * - the address map (amap.h) has one entry per GEOM_AMAP bytes (2 MiB,
 *   the smallest superpage), so a larger superpage has several entries,
 *   all pointing at its descriptor.
 * The size classes (sc.h) are a fixed grid for the same reason; only the
 * slab of each small class, the smallest whole number of pages that the
 * class divides, depends on the page size.
 *
 * The GEOM_*_MAX constants bound every derived value at compile time
 * (arrays, bitmap words, bucket counts), checked with static assertions
 * here and in the headers that size their arrays by them.
 *
 * Synchronization: geom is written once by geom_boot() under the init
 * lock before the first allocation and read-only afterwards.
 */
#ifndef GEOM_H
#define	GEOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"

/* The page map granule: one entry per 4 KiB (see above). */
#define	GEOM_LG_PMAP		12
#define	GEOM_PMAP		((size_t)1 << GEOM_LG_PMAP)
/* The address map granule: one entry per 2 MiB. */
#define	GEOM_LG_AMAP		21
#define	GEOM_AMAP		((size_t)1 << GEOM_LG_AMAP)

/* Page sizes served: 4 KiB to 64 KiB. */
#define	GEOM_LG_PAGE_MIN	GEOM_LG_PMAP
#define	GEOM_LG_PAGE_MAX	16
/* Superpage sizes served: 2 MiB to 512 MiB. */
#define	GEOM_LG_SP_MIN		GEOM_LG_AMAP
#define	GEOM_LG_SP_MAX		29
/*
 * Pages per superpage: at least one bitmap word, at most 8192 (so the
 * 16-bit page counts of a descriptor, sp.h, cannot overflow).
 */
#define	GEOM_LG_SP_NPAGES_MIN	6
#define	GEOM_LG_SP_NPAGES_MAX	13
#define	GEOM_SP_NPAGES_MAX	((size_t)1 << GEOM_LG_SP_NPAGES_MAX)
#define	GEOM_SP_NWORDS_MAX	(GEOM_SP_NPAGES_MAX / 64)
/* Page map entries of the largest superpage. */
#define	GEOM_NPMAP_MAX		((size_t)1 << (GEOM_LG_SP_MAX - GEOM_LG_PMAP))
/*
 * Regions of a slab: a small class c has a slab of p / gcd(c, p) pages
 * for page size p, hence p / gcd(c, p) <= p / 16 regions: 4096 at 64 KiB.
 */
#define	GEOM_SLAB_NREGS_MAX	((size_t)1 << (GEOM_LG_PAGE_MAX - 4))
#define	GEOM_SLAB_NWORDS_MAX	(GEOM_SLAB_NREGS_MAX / 64)
/* Page map granules of the longest slab: 15 pages of 64 KiB (sc.h). */
#define	GEOM_SLAB_NPMAP_MAX	(15 << (GEOM_LG_PAGE_MAX - GEOM_LG_PMAP))
/* Address space one growth maps at most, and at least in superpages. */
#define	GEOM_GROW_MAX_BYTES	((size_t)512 << 20)
#define	GEOM_GROW_MIN_SP	2

_Static_assert(GEOM_LG_PAGE_MAX + GEOM_LG_SP_NPAGES_MIN <= GEOM_LG_SP_MAX,
    "the largest page leaves room for a superpage");
_Static_assert(GEOM_LG_SP_MIN - GEOM_LG_PAGE_MIN <= GEOM_LG_SP_NPAGES_MAX,
    "a 4 KiB page in a 2 MiB superpage is served");
_Static_assert(GEOM_LG_PMAP <= GEOM_LG_PAGE_MIN,
    "a page map entry never spans two pages");
_Static_assert(GEOM_LG_AMAP <= GEOM_LG_SP_MIN,
    "an address map entry never spans two superpages");
_Static_assert(GEOM_SLAB_NREGS_MAX <= UINT16_MAX,
    "a slab's region counts fit its 16-bit fields (slab.h)");
_Static_assert(GEOM_SP_NPAGES_MAX <= UINT16_MAX,
    "a superpage's page counts fit its 16-bit fields (sp.h)");
_Static_assert(GEOM_SLAB_NPMAP_MAX <= UINT16_MAX,
    "a slab granule index fits the page map's 16-bit offset field");

struct geom {
	size_t		page;		/* PAGE */
	size_t		superpage;	/* SUPERPAGE */
	unsigned	lg_page;
	unsigned	lg_superpage;
	unsigned	lg_kernel_page;	/* what the kernel uses */
	size_t		kernel_superpage;	/* its THP size, 0: none said */
	unsigned	sp_npages;	/* pages per superpage */
	unsigned	sp_nwords;	/* words of a page bitmap */
	unsigned	lg_pmap_per_page;	/* page map entries per page */
	size_t		npmap;		/* page map entries per superpage */
	unsigned	amap_per_sp;	/* address map entries per superpage */
	size_t		sp_size;	/* bytes of a superpage descriptor */
	unsigned	slab_nwords;	/* words of a slab's region bitmap */
	size_t		slab_size;	/* bytes of a slab descriptor */
	unsigned	hpage_dense;	/* pages in use: dense (hpage.h) */
	unsigned	huge_ind;	/* first class of huge spans (sc.h) */
	unsigned	grow_min_sp;	/* superpages per growth: first */
	unsigned	grow_max_sp;	/* and at most */
};

/* Hidden: the free fast path compares SUPERPAGE in place (alloc.h). */
extern struct geom geom __attribute__((visibility("hidden")));

#define	LG_PAGE		(geom.lg_page)
#define	PAGE		(geom.page)
#define	LG_SUPERPAGE	(geom.lg_superpage)
#define	SUPERPAGE	(geom.superpage)
#define	SP_NPAGES	(geom.sp_npages)
#define	SP_NWORDS	(geom.sp_nwords)

/*
 * Reads the kernel's sizes and opt_lg_page, computes everything above,
 * and stops the program with one line if the result is not served.
 * Before sc_boot() and anything that allocates.
 */
void	geom_boot(void);
/*
 * The geometry for a page of 2^lg_page bytes on a kernel whose pages are
 * 2^lg_kernel and whose huge pages are kernel_sp bytes (0: unknown):
 * fills g and returns NULL, or returns why it cannot be served.  Pure;
 * geom_boot() and the tests call it.
 */
const char *geom_compute(struct geom *g, unsigned lg_page,
	    unsigned lg_kernel, size_t kernel_sp);

#endif /* !GEOM_H */
