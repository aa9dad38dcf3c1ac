/*
 * stats.h: statistics snapshots and malloc_stats_print.
 *
 * stats_refresh() merges the counters of every arena (bins, large
 * classes, page allocator) and the metadata allocator into one snapshot;
 * the control plane refreshes it when "epoch" is written, and the printer
 * takes a fresh one.  Counters of thread caches that have not flushed yet
 * are not included (as in jemalloc).
 * Synchronization: the snapshot is protected by stats_lock (RANK_CTL);
 * collecting takes each bin and page allocator lock in turn.
 */
#ifndef STATS_H
#define	STATS_H

#include <stddef.h>
#include <stdint.h>

#include "bin.h"
#include "pa.h"
#include "sc.h"

struct stats_arena {
	unsigned		nthreads;
	struct bin_stats	bins[SC_NBINS];
	uint64_t		lmalloc[SC_NSIZES - SC_NBINS];
	uint64_t		ldalloc[SC_NSIZES - SC_NBINS];
	struct pa_stats		pa;
	size_t			small_allocated;
	size_t			large_allocated;
};

struct stats_snapshot {
	uint64_t		epoch;
	size_t			allocated;	/* bytes in live objects */
	size_t			active;		/* bytes of active pages */
	size_t			metadata;
	size_t			resident;
	size_t			mapped;
	size_t			retained;
	size_t			dirty;
	unsigned		narenas;
};

void	stats_collect_arena(unsigned ind, struct stats_arena *out);
void	stats_refresh(struct stats_snapshot *out);
void	stats_print(void (*write_cb)(void *, const char *), void *cbopaque,
	    const char *opts);
void	stats_prefork(void);
void	stats_postfork_parent(void);
void	stats_postfork_child(void);

#endif /* !STATS_H */
