/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sp.h: the superpage descriptor and page-run bitmaps.
 *
 * All memory domalloc hands out lives in superpage-aligned spans.  A span
 * is one of:
 *   SP_FREE  a run of free superpages, dirty (may be resident) or clean
 *            (purged or never touched), kept by its arena for reuse;
 *   SP_RUNS  one superpage carved into page runs: slabs of small regions
 *            and large allocations, tracked by a 512-bit page bitmap;
 *   SP_HUGE  whole superpages holding one huge allocation.
 * Every superpage of a span points at the span's descriptor in the
 * address map (amap.h).
 *
 * pmap[] is what free() reads on its fast path, two 32-bit words per page.
 * The entry, e:
 *   bits 0-4   0, but for pages that always take the slow path (huge
 *              spans, inner pages of a large run: PMAP_SLOW; the first
 *              page of a sampled object: PMAP_SLOW | PMAP_SAMPLED,
 *              prof.h);
 *   bits 5-10  0 = no allocation starts here; otherwise 63 - size class
 *              (= class ^ 63) of the regions in this page (classes up to
 *              62: every class a superpage's runs can hold);
 *   bits 11-12 with a class: the NUMA window of the arena, node & 3; so a
 *              thread whose window differs lands on an empty cache bin
 *              (see tcache.h) and takes the slow path, which returns the
 *              object to its node;
 *   bits 16-31 for slab pages, the byte offset of the page from the
 *              start of its slab (slabs are at most 7 pages), so the fast
 *              path can check that a pointer is the start of a region.
 * The other word, k, is -(start * sc_magic32(class)) mod 2^32 for a page
 * with a class, where start is the address of its slab or large run, and
 * 0 otherwise: then (p * sc_magic32(class) + k) mod 2^32 is off * magic
 * for the byte offset off of p in its slab, and free checks that p is the
 * start of a region with one multiplication, one addition and a compare
 * (sc.h), without extracting off from e.
 * Bits 5-12 of e sit at the position of a bin's byte offset in the thread
 * cache (PMAP_LG_FIELD == lg sizeof(struct tbin)), so that free turns an
 * entry into the address of its bin without a shift.
 * Invariants (SP_RUNS): nused == popcount(used); nsdirty ==
 * popcount(dirtymap); npurging == popcount(purging); dirtymap & used == 0;
 * purging is a subset of used; longest == longest run of zero bits in
 * used; pmap[i] all 0 for every page i that is free or being purged.
 * A page whose purge is in flight (pa.h) is set in used and purging and
 * clear in dirtymap: no allocation takes it, no second purge takes it,
 * and only the purge that took it may clear those bits again.
 *
 * Synchronization: every field but pmap[] is protected by the owning
 * arena's page allocator lock.  pmap[] entries of a run are written by
 * the thread that allocates or frees the run, under the same lock, and
 * read without a lock only for pointers the reader owns.
 */
#ifndef SP_H
#define	SP_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include "sc.h"
#include "util.h"

struct arena;
struct slab;

enum sp_kind {
	SP_FREE = 0,
	SP_RUNS,
	SP_HUGE
};

#define	PMAP_LG_FIELD	5	/* the class field: bits 5-12 */
#define	PMAP_SLOW	0x08u
/* memset pattern: no class, not 0, so like PMAP_SLOW (bits 11-12 are 1) */
#define	PMAP_SLOW_BYTE	0x08
#define	PMAP_NWIN	4	/* NUMA windows */
#define	SP_NWORDS	(SP_NPAGES / 64)

/* The page map entry of a page holding class sc regions. */
#define	PMAP_ENTRY(sc, win, off)					\
	((uint32_t)((((unsigned)(win) & (PMAP_NWIN - 1)) << 6 | ((sc) ^ 63)) << \
	PMAP_LG_FIELD) | ((uint32_t)(off) << 16))
#define	PMAP_SLOW_ENT	((struct pmap_ent){ PMAP_SLOW, 0 })
/* Class of an entry, or -1 if it has none (free or slow page). */
#define	PMAP_CLASS(e)							\
	((((e) >> PMAP_LG_FIELD) & 63) == 0 ? -1 :			\
	(int)((((e) >> PMAP_LG_FIELD) & 63) ^ 63))
/* NUMA window of an entry with a class. */
#define	PMAP_WIN(e)	(((e) >> (PMAP_LG_FIELD + 6)) & (PMAP_NWIN - 1))

struct pmap_ent {
	uint32_t	e;
	uint32_t	k;
};

struct sp {
	struct pmap_ent		pmap[SP_NPAGES];	/* hot: first */
	uintptr_t		addr;
	size_t			nsp;		/* superpages in the span */
	struct arena		*arena;
	uint8_t			kind;		/* enum sp_kind */
	bool			dirty;		/* SP_FREE: may be resident */
	bool			muzzy;		/* SP_FREE: lazily purged */
	bool			busy;		/* SP_FREE: purge in flight,
						   or gathered (pa_int.h) */
	bool			in_lru;		/* on the arena's dirty LRU */
	bool			hugified;	/* MADV_HUGEPAGE given */
	bool			hpending;	/* waits on pa->hpend */
	bool			sampled;	/* SP_HUGE: a heap profile
						   sample (prof.h) */
	uint8_t			bucket;		/* list it is on */
	bool			dmap_valid;	/* SP_FREE: dirtymap exact */
	uint16_t		nused;		/* SP_RUNS: pages in use */
	uint16_t		longest;	/* SP_RUNS: longest free run */
	uint16_t		nsdirty;	/* SP_RUNS: dirty free pages */
	uint16_t		npurging;	/* SP_RUNS: pages in purging */
	size_t			ndirty;		/* SP_FREE: dirty pages */
	size_t			usize;		/* SP_HUGE: usable size */
	uint64_t		dirty_ns;	/* when it joined the LRU */
	uint64_t		hpend_ns;	/* when it joined hpend */
	TAILQ_ENTRY(sp)		blink;		/* bucket list */
	TAILQ_ENTRY(sp)		dlink;		/* dirty LRU */
	TAILQ_ENTRY(sp)		hlink;		/* hugify queue */
	uint64_t		used[SP_NWORDS];
	uint64_t		dirtymap[SP_NWORDS];
	uint64_t		purging[SP_NWORDS];	/* purge in flight */
	struct slab		*slab[SP_NPAGES];
};

TAILQ_HEAD(sp_list, sp);

/* The page map word pair of a page of a slab or run of class sc. */
DM_INLINE struct pmap_ent
pmap_ent(unsigned sc, unsigned win, uint32_t off, uintptr_t start)
{
	struct pmap_ent pe;

	pe.e = PMAP_ENTRY(sc, win, off);
	pe.k = 0u - (uint32_t)start * sc_magic32(sc);
	return (pe);
}

/*
 * A descriptor that describes nothing: address 0 and a page map of zeros
 * (a free lookup that lands on it takes the slow path).  Read-only.
 */
extern const struct sp sp_none;

DM_INLINE unsigned
sp_page(const struct sp *sp, const void *p)
{
	return ((unsigned)(((uintptr_t)p - sp->addr) >> LG_PAGE) &
	    (SP_NPAGES - 1));
}

/* Bitmap helpers over SP_NPAGES bits. */
DM_INLINE bool
bm_get(const uint64_t *bm, unsigned i)
{
	return ((bm[i >> 6] >> (i & 63)) & 1);
}

void	bm_set_range(uint64_t *bm, unsigned start, unsigned n);
void	bm_clear_range(uint64_t *bm, unsigned start, unsigned n);
unsigned bm_count_range(const uint64_t *bm, unsigned start, unsigned n);
/* First index >= i whose bit is val, or SP_NPAGES. */
unsigned bm_next(const uint64_t *bm, unsigned i, bool val);
/* A free (zero) run of n bits aligned to align, or -1. */
int	bm_find_run(const uint64_t *bm, unsigned n, unsigned align);
unsigned bm_longest_run(const uint64_t *bm);

#endif /* !SP_H */
