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
 * A thread cache's fill in an automatic arena that would make a new slab
 * first takes free regions of the nonfull slabs of up to BIN_SHARE_ARENAS
 * sibling arenas (the next automatic arenas of its node, none with extent
 * hooks), then makes the slab of pages known to be dirty: its own
 * arena's if a run of them fits, else a sibling's (in the sibling), and
 * only then of any memory of its own (issue 16: remote frees make live
 * data drift between arenas, and one arena's slabs kept free regions, or
 * its dirty pages waited for decay, while another faulted in fresh
 * pages).  The regions stay the sibling's; the cache flushes each to its
 * owner.
 *
 * Synchronization: bin->lock (RANK_BIN) protects the bin and its slabs;
 * it may be held while taking its own arena's page allocator lock.  A
 * thread holds one bin lock at most: a fill that looks at siblings drops
 * its bin's lock first, takes each sibling's bin lock in turn (and under
 * it only that sibling's page allocator lock, to make a slab), and
 * re-reads its own bin after taking its lock again.
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
/* Sibling arenas a fill looks at before it makes a slab (see above). */
#define	BIN_SHARE_ARENAS	3
/*
 * Fill dst with up to n regions of class sc for a thread cache of arena;
 * returns count.  The regions may be a sibling arena's.
 */
unsigned bin_fill(struct arena *arena, unsigned sc, void **dst, unsigned n);
/* bin_fill from arena's own slabs only (arena_malloc). */
unsigned bin_fill_local(struct arena *arena, unsigned sc, void **dst,
	    unsigned n);
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
