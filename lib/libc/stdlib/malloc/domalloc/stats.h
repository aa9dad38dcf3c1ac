/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * stats.h: statistics: collecting an arena's counters, merging arenas,
 * and the snapshot that the stats.* mallctl names read.
 *
 * The snapshot follows jemalloc's epoch rule: it is taken when "epoch"
 * is written (stats_snapshot_refresh) and when malloc_stats_print runs,
 * and every stats.* value is read from it, so values read together are
 * consistent with each other.  The first snapshot is taken lazily by the
 * first reader, so that stats read before any epoch write are not zero.
 * It holds one slot per arena that existed when it was taken (slots are
 * base memory, kept for reuse), a merged slot (MALLCTL_ARENAS_ALL), the
 * sum of those, and a slot for the arenas destroyed so far
 * (MALLCTL_ARENAS_DESTROYED), which count nowhere else.  Counters still
 * in thread caches are not included (as in jemalloc): objects cached by
 * threads count as allocated, requests served from a cache count once
 * the cache flushes.
 * Metadata (base) is global here; it is attributed to arena 0 so that
 * the merged arena's mapped and resident equal stats.mapped and
 * stats.resident.  An arena is read structure by structure (bins, large
 * counters, pages), not atomically, so while other threads allocate a
 * snapshot may count an object in one and not in another; stats.allocated
 * is capped at stats.active so that allocated <= active <= resident <=
 * mapped always holds, as jemalloc documents.
 *
 * Synchronization: stats_lock (RANK_CTL) protects the snapshot;
 * collecting takes each bin and page allocator lock in turn.  The
 * printer (ctl_print.c, stats_print) serialises on its own print_lock
 * (RANK_INIT), taken before stats_lock and never while calling back
 * into anything that could print.
 */
#ifndef STATS_H
#define	STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bin.h"
#include "pa.h"
#include "sc.h"

struct arena;

#define	STATS_NLEXTENTS	(SC_NSIZES - SC_NBINS)
#define	STATS_MERGED	4096	/* MALLCTL_ARENAS_ALL */
#define	STATS_DESTROYED	4097	/* MALLCTL_ARENAS_DESTROYED */

struct stats_arena {
	bool			present;	/* the arena existed */
	unsigned		nthreads;
	int64_t			dirty_decay_ms;
	int64_t			muzzy_decay_ms;
	struct bin_stats	bins[SC_NBINS];
	uint64_t		lmalloc[STATS_NLEXTENTS];
	uint64_t		ldalloc[STATS_NLEXTENTS];
	struct pa_stats		pa;
	/* Sums and byte counts derived from the above. */
	size_t			small_allocated;
	uint64_t		small_nmalloc;
	uint64_t		small_ndalloc;
	uint64_t		small_nrequests;
	uint64_t		small_nfills;
	uint64_t		small_nflushes;
	size_t			large_allocated;
	uint64_t		large_nmalloc;
	uint64_t		large_ndalloc;
	size_t			base;		/* metadata bytes */
	size_t			mapped;
	size_t			retained;
	size_t			resident;
};

struct stats_global {
	uint64_t		epoch;
	size_t			allocated;	/* bytes in live objects */
	size_t			active;		/* bytes of active pages */
	size_t			metadata;
	size_t			resident;
	size_t			mapped;
	size_t			retained;
	size_t			hugepages;	/* bytes advised huge */
	unsigned		narenas;	/* arena indices examined */
	unsigned		bg_threads;	/* background threads */
};

/*
 * Live collection of one arena (no snapshot); all zero if absent or
 * destroyed.
 */
void	stats_collect_arena(unsigned ind, struct stats_arena *out);
void	stats_merge(struct stats_arena *to, const struct stats_arena *from);
/*
 * Arena a is being destroyed (arena_destroy_begin done): its counts go
 * to MALLCTL_ARENAS_DESTROYED for good, as its slot may be reused.
 */
void	stats_retire_arena(struct arena *a);

/* Take a new snapshot; returns its epoch. */
uint64_t stats_snapshot_refresh(void);
/* Lock the snapshot (taking the first one if needed). */
const struct stats_global *stats_snapshot_lock(void);
/*
 * With the snapshot locked: the slot of arena ind (STATS_MERGED, or the
 * deprecated alias narenas, for the merged slot; STATS_DESTROYED), NULL
 * if absent.
 */
const struct stats_arena *stats_snapshot_arena(size_t ind);
void	stats_snapshot_unlock(void);
/* Is there a slot for ind in the snapshot? */
bool	stats_snapshot_has(size_t ind);

/* malloc_stats_print (implemented in ctl_print.c). */
void	stats_print(void (*write_cb)(void *, const char *), void *cbopaque,
	    const char *opts);

void	stats_prefork(void);
void	stats_postfork_parent(void);
void	stats_postfork_child(void);

#endif /* !STATS_H */
