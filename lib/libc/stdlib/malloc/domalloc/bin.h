/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * bin.h: the bins of an arena, one per small size class.
 *
 * A bin hands out regions from its current slab, then from its list of
 * slabs that have free regions, and asks the page allocator for a new
 * slab when none is left.  Full slabs are on no list; a slab that becomes
 * empty goes back to the page allocator unless it is the current one.
 * Thread caches fill and flush in batches, so the bin lock is taken once
 * per batch, and frees are grouped by owning arena so that freeing
 * objects of other threads never funnels through a single lock.
 *
 * Synchronization: bin->lock (RANK_BIN) protects the bin and its slabs;
 * it may be held while taking the arena's page allocator lock.
 */
#ifndef BIN_H
#define	BIN_H

#include <stdint.h>

#include "mutex.h"
#include "pa.h"
#include "slab.h"

struct arena;

struct bin_stats {
	uint64_t	nmalloc;	/* regions handed out */
	uint64_t	ndalloc;	/* regions returned */
	uint64_t	nrequests;	/* requests, including cached ones */
	uint64_t	nfills;
	uint64_t	nflushes;
	uint64_t	nslabs;		/* slabs created */
	uint64_t	nreslabs;	/* current slab changes */
	size_t		curregs;	/* regions in use */
	size_t		curslabs;	/* slabs held */
	size_t		nonfull;	/* slabs on the nonfull list */
};

struct bin {
	struct mutex		lock;
	struct slab		*cur;
	struct slab_list	nonfull;
	struct bin_stats	stats;
} __attribute__((aligned(ARCH_CACHELINE)));

void	 bin_init(struct bin *bin);
/*
 * The bin of a destroyed arena made anew: emptied under its lock, which
 * is never reinitialised (a thread that looked the arena up before it was
 * destroyed may be waiting for it).
 */
void	 bin_reinit(struct bin *bin);
/* Fill dst with up to n regions of class sc from arena; returns count. */
unsigned bin_fill(struct arena *arena, unsigned sc, void **dst, unsigned n);
/*
 * Return n regions of class sc, each to the arena that owns it.  The
 * array is reordered.  Requests counted by the caller's cache are added.
 */
void	 bin_dalloc_batch(struct arena *hint, unsigned sc, void **ptrs,
	    unsigned n, uint64_t nrequests);
void	 bin_prefork(struct bin *bin);
void	 bin_postfork_parent(struct bin *bin);
void	 bin_postfork_child(struct bin *bin);

#endif /* !BIN_H */
