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
 *            and large allocations, tracked by page bitmaps of
 *            SP_NPAGES bits (geom.h);
 *   SP_HUGE  whole superpages holding one huge allocation.
 * Every superpage of a span points at the span's descriptor in the
 * address map (amap.h).
 *
 * pmap[] is what free() reads on its fast path, two 32-bit words per
 * GEOM_PMAP (4 KiB) of the superpage whatever the page size (geom.h), so
 * that free finds the entry with a constant shift; the entries of the
 * granules of one page say the same but for the offset and k below.
 * The entry, e:
 *   bits 0-4   0, but for pages that always take the slow path (huge
 *              spans, inner pages of a large run: PMAP_SLOW, or the
 *              PMAP_SLOW_BYTE pattern in every byte, which readers take
 *              alike (sp_pmap_fill writes it with memset); the first
 *              page of a sampled object: PMAP_SLOW | PMAP_SAMPLED,
 *              prof.h; the first page of a run whose class the class
 *              field cannot name: PMAP_BIGRUN, its class in rclass[]);
 *   bits 5-10  0 = no allocation starts here; otherwise 63 - size class
 *              (= class ^ 63) of the regions in this page (classes up to
 *              62, SC_FIELD_END - 1: every small class and the page runs
 *              up to 448 KiB);
 *   bits 11-12 with a class: the NUMA window of the arena, node & 3; so a
 *              thread whose window differs lands on an empty cache bin
 *              (see tcache.h) and takes the slow path, which returns the
 *              object to its node;
 *   bits 16-31 for slab pages, the index of the granule in its slab
 *              (slabs are at most 15 pages, GEOM_SLAB_NPMAP_MAX granules),
 *              for the slow path's region check.
 * The other word, k, is -(start * sc_magic32(class)) mod 2^32 for a
 * granule with a class, where start is the start of the region of its
 * slab that holds the granule's first byte (of a large run: the run), and
 * 0 otherwise: then (p * sc_magic32(class) + k) mod 2^32 is off * magic
 * for the byte offset off of p from that region, below 4 KiB plus a
 * class size, where the 32-bit magic is exact (sc.h), and free checks
 * that p is the start of a region with one multiplication, one addition
 * and a compare, without extracting off from e.
 * Bits 5-12 of e sit at the position of a bin's byte offset in the thread
 * cache (PMAP_LG_FIELD == lg sizeof(struct tbin)), so that free turns an
 * entry into the address of its bin without a shift.
 * Invariants (SP_RUNS): nused == popcount(used); nsdirty ==
 * popcount(dirtymap); npurging == popcount(purging); dirtymap & used == 0;
 * purging is a subset of used; longest == longest run of zero bits in
 * used; for 1 <= L <= SP_RUNS_SHORT, nrun[L] == the number of maximal
 * runs of zero bits of length L in used and bit L - 1 of lenmap is set
 * iff nrun[L] != 0; the lengths of the longer runs, at most
 * SP_NLONGRUN of them, are the non-zero entries of longrun[]; pmap[i]
 * all 0 for every page i that is free or being purged.
 * Invariant (SP_FREE): every pmap[] entry is 0, so a runs superpage that
 * empties needs no clear to become a free span, nor a free span to
 * become a runs superpage (pa_span_release).
 * The free-run index (nrun, lenmap, longrun) keeps longest exact without
 * scanning the bitmap: a run's allocation or free changes at most three
 * counts, and only when the last run of the longest length goes are
 * longrun[] and lenmap read, from that length down.  Runs longer than a
 * quarter of the superpage are few, so they are listed rather than
 * counted, which keeps the index at about half a byte a page (a 1 GiB
 * heap of runs superpages: 140 KiB).  Every change to used goes through
 * sp_runs_take and sp_runs_give, which keep all of it in step.
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
#include <stddef.h>
#include <stdint.h>

#include "geom.h"
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

/* The page map entry of a page holding class sc regions. */
#define	PMAP_ENTRY(sc, win, off)					\
	((uint32_t)((((unsigned)(win) & (PMAP_NWIN - 1)) << 6 | ((sc) ^ 63)) << \
	PMAP_LG_FIELD) | ((uint32_t)(off) << 16))
#define	PMAP_SLOW_ENT	((struct pmap_ent){ PMAP_SLOW, 0 })
/*
 * The first entry of a page run of a class the class field cannot hold
 * (SC_FIELD_END and up: 512 KiB to below the superpage): no class, so
 * free takes the slow path, which finds the class in sp->rclass[].  Such
 * runs are never cached by a thread (SC_TCACHE_LIMIT), so the slow path
 * is where their free would go anyway; it costs one more load.
 */
#define	PMAP_BIGRUN	(PMAP_SLOW | 0x10u)
#define	PMAP_BIGRUN_ENT	((struct pmap_ent){ PMAP_BIGRUN, 0 })
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

/*
 * Free runs up to SP_RUNS_SHORT pages are counted by length; of the longer
 * ones there can be at most SP_NLONGRUN (each takes more than a quarter of
 * the superpage with the used page after it).
 */
#define	SP_RUNS_SHORT	(SP_NPAGES / 4)
#define	SP_NLONGRUN	3
/* Words of lenmap. */
#define	SP_LENMAP_NWORDS(npages)	(((npages) / 4 + 63) / 64)

struct sp {
	uintptr_t		addr;		/* hot: free reads it */
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
	uint16_t		longrun[SP_NLONGRUN]; /* SP_RUNS: lengths of the
						   long free runs, or 0 */
	size_t			ndirty;		/* SP_FREE: dirty pages */
	size_t			usize;		/* SP_HUGE: usable size */
	uint64_t		dirty_ns;	/* when it joined the LRU */
	uint64_t		hpend_ns;	/* when it joined hpend */
	TAILQ_ENTRY(sp)		blink;		/* bucket list */
	TAILQ_ENTRY(sp)		dlink;		/* dirty LRU */
	TAILQ_ENTRY(sp)		hlink;		/* hugify queue */
	/*
	 * Per page, SP_NPAGES bits or pointers; they point into this
	 * descriptor's tail, after pmap[] (sp_desc_init).
	 */
	uint64_t		*used;
	uint64_t		*dirtymap;
	uint64_t		*purging;	/* purge in flight */
	uint64_t		*lenmap;	/* short free-run lengths
						   present */
	struct slab		**slab;
	uint16_t		*nrun;		/* short free runs per
						   length, SP_RUNS_SHORT
						   + 1 entries */
	uint8_t			*rclass;	/* class of a run here */
	/* Per GEOM_PMAP bytes: geom.npmap entries (hot). */
	struct pmap_ent		pmap[];
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
 * as long as the largest superpage's (a free lookup that lands on it
 * takes the slow path).  Never written; in .bss, so never resident.
 */
extern char	sp_none_mem[];
#define	SP_NONE	((const struct sp *)(void *)sp_none_mem)

DM_INLINE unsigned
sp_page(const struct sp *sp, const void *p)
{
	return ((unsigned)(((uintptr_t)p - sp->addr) >> LG_PAGE) &
	    (SP_NPAGES - 1));
}

/* The page map entry of the granule holding p, in sp's superpage. */
DM_INLINE struct pmap_ent *
sp_pmap_of(const struct sp *sp, const void *p)
{
	return ((struct pmap_ent *)&sp->pmap[(((uintptr_t)p - sp->addr) >>
	    GEOM_LG_PMAP) & (geom.npmap - 1)]);
}

/* The first page map entry of page pidx. */
DM_INLINE struct pmap_ent *
sp_pmap_page(struct sp *sp, unsigned pidx)
{
	return (&sp->pmap[(size_t)pidx << geom.lg_pmap_per_page]);
}

/* A fresh descriptor, all zero, its per-page arrays in place. */
void	sp_desc_init(struct sp *sp);
/*
 * Set the page map of npages pages from pidx to e (0, or PMAP_SLOW_ENT,
 * which beyond a few entries is written as the PMAP_SLOW_BYTE pattern).
 */
void	sp_pmap_fill(struct sp *sp, unsigned pidx, unsigned npages,
	    struct pmap_ent pe);
/* The page map of a slab of class sc at page pidx, window win. */
void	sp_pmap_slab(struct sp *sp, unsigned pidx, unsigned sc,
	    unsigned win);
/*
 * The page map of a large run of class sc at page pidx, npages long: its
 * first granule names the class, the rest are PMAP_SLOW.
 */
void	sp_pmap_large(struct sp *sp, unsigned pidx, unsigned npages,
	    unsigned sc, unsigned win);
/*
 * The class of the allocation whose first page map entry is e at p (a
 * slab region or a large run), or -1 if none starts there.
 */
int	sp_class_at(const struct sp *sp, const void *p, uint32_t e);

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
/*
 * Where the zero run holding bit i - 1 starts: one past the last one bit
 * below i, or 0; i itself if bit i - 1 is one.
 */
unsigned bm_free_start(const uint64_t *bm, unsigned i);
/*
 * The first free (zero) run of n bits aligned to align, or -1; *rsp and
 * *rep get the bounds of the maximal free run [*rsp, *rep) it lies in.
 */
int	bm_find_run(const uint64_t *bm, unsigned n, unsigned align,
	    unsigned *rsp, unsigned *rep);
unsigned bm_longest_run(const uint64_t *bm);

/*
 * The free-run index of a runs superpage (see the invariants above); the
 * caller holds the page allocator lock.
 */
/* Every page free: used clear, one run of SP_NPAGES. */
void	sp_runs_init(struct sp *sp);
/* Pages [i, i + n) of the maximal free run [rs, re) go into use. */
void	sp_runs_take(struct sp *sp, unsigned i, unsigned n, unsigned rs,
	    unsigned re);
/* Pages [i, i + n), in use, become free and join the runs beside them. */
void	sp_runs_give(struct sp *sp, unsigned i, unsigned n);
/* How many free runs of len pages the index holds. */
unsigned sp_runs_count(const struct sp *sp, unsigned len);
/*
 * Does the index say what a count over used says?  For the debug
 * checker: 0 if so, else 1 + the first length whose count is wrong
 * (SP_NPAGES + 2 for lenmap or longest).
 */
unsigned sp_runs_verify(const struct sp *sp);

#endif /* !SP_H */
