/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * stats.c: collecting and merging arena statistics, and the snapshot the
 * stats.* mallctl names read (see stats.h for the epoch rule and the
 * locking).  The printer is in ctl_print.c.
 */
#include <stdatomic.h>
#include <string.h>

#include "amap.h"
#include "arena.h"
#include "base.h"
#include "bg.h"
#include "config.h"
#include "ctl.h"
#include "harden.h"
#include "mutex.h"
#include "stats.h"

static struct mutex stats_lock = MUTEX_INITIALIZER(RANK_CTL);

/* The snapshot.  Synchronization: all under stats_lock. */
static bool			 stats_valid;
static struct stats_global	 stats_glob;
static struct stats_arena	 stats_merged;
static struct stats_arena	 stats_destroyed;
/* What destroyed arenas had at their end (stats_retire_arena). */
static struct stats_arena	 stats_retired;
static struct stats_arena	 stats_tmp;
static struct stats_arena	*stats_slots[ARENA_LIMIT];

/*
 * Metadata bytes that may be resident: what base handed out, but for
 * the address map's leaves, of which only the pages written count.
 */
static size_t
stats_base_resident(void)
{
	size_t r = ALIGN_UP(base_allocated(), PAGE);

	r -= DM_MIN(r, amap_untouched());

	return (DM_MIN(r, base_mapped()));
}

static void
stats_collect(struct arena *a, unsigned ind, struct stats_arena *out)
{
	const struct bin_stats *b;
	unsigned i;

	memset(out, 0, sizeof(*out));
	out->present = true;
	out->nthreads = atomic_load_explicit(&a->nthreads,
	    memory_order_relaxed);
	for (i = 0; i < SC_NBINS; i++) {
		mutex_lock(&a->bins[i].lock);
		out->bins[i] = a->bins[i].stats;
		mutex_unlock(&a->bins[i].lock);
		b = &out->bins[i];
		out->small_allocated += b->curregs * sc_size[i];
		out->small_nmalloc += b->nmalloc;
		out->small_ndalloc += b->ndalloc;
		out->small_nrequests += b->nrequests;
		out->small_nfills += b->nfills;
		out->small_nflushes += b->nflushes;
	}
	for (i = 0; i < STATS_NLEXTENTS; i++) {
		out->lmalloc[i] = atomic_load_explicit(&a->lstats[i].nmalloc,
		    memory_order_relaxed);
		out->ldalloc[i] = atomic_load_explicit(&a->lstats[i].ndalloc,
		    memory_order_relaxed);
		out->large_nmalloc += out->lmalloc[i];
		out->large_ndalloc += out->ldalloc[i];
		/* The two loads are not atomic together: no underflow. */
		if (out->lmalloc[i] > out->ldalloc[i])
			out->large_allocated += (out->lmalloc[i] -
			    out->ldalloc[i]) * sc_size[SC_NBINS + i];
	}
	out->large_allocated += atomic_load_explicit(&a->prof_allocated,
	    memory_order_relaxed);
	pa_stats_read(&a->pa, &out->pa);
	mutex_lock(&a->pa.lock);
	out->dirty_decay_ms = a->pa.decay.ms;
	out->muzzy_decay_ms = a->pa.decay_muzzy.ms;
	mutex_unlock(&a->pa.lock);
	out->mapped = (out->pa.nmapped_sp - out->pa.nretained_sp) * SUPERPAGE;
	out->retained = out->pa.nretained_sp * SUPERPAGE;
	/* Muzzy pages may still be resident until the kernel takes them. */
	out->resident = (out->pa.nactive + out->pa.ndirty + out->pa.nmuzzy) *
	    PAGE;
	if (ind == 0) {
		out->base = base_allocated();
		out->mapped += base_mapped();
		out->resident += stats_base_resident();
	}
	if (out->resident > out->mapped)
		out->resident = out->mapped;
}

void
stats_collect_arena(unsigned ind, struct stats_arena *out)
{
	struct arena *a = arena_get(ind, false);

	if (a == NULL)
		memset(out, 0, sizeof(*out));
	else
		stats_collect(a, ind, out);
}

void
stats_merge(struct stats_arena *to, const struct stats_arena *from)
{
	unsigned i;

	if (!from->present)
		return;
	to->present = true;
	to->nthreads += from->nthreads;
	for (i = 0; i < SC_NBINS; i++) {
		to->bins[i].nmalloc += from->bins[i].nmalloc;
		to->bins[i].ndalloc += from->bins[i].ndalloc;
		to->bins[i].nrequests += from->bins[i].nrequests;
		to->bins[i].nfills += from->bins[i].nfills;
		to->bins[i].nflushes += from->bins[i].nflushes;
		to->bins[i].nslabs += from->bins[i].nslabs;
		to->bins[i].nreslabs += from->bins[i].nreslabs;
		to->bins[i].curregs += from->bins[i].curregs;
		to->bins[i].curslabs += from->bins[i].curslabs;
		to->bins[i].nonfull += from->bins[i].nonfull;
	}
	for (i = 0; i < STATS_NLEXTENTS; i++) {
		to->lmalloc[i] += from->lmalloc[i];
		to->ldalloc[i] += from->ldalloc[i];
	}
	to->pa.nactive += from->pa.nactive;
	to->pa.ndirty += from->pa.ndirty;
	to->pa.nmapped_sp += from->pa.nmapped_sp;
	to->pa.nretained_sp += from->pa.nretained_sp;
	to->pa.nruns_sp += from->pa.nruns_sp;
	to->pa.nhuge_sp += from->pa.nhuge_sp;
	to->pa.npurge += from->pa.npurge;
	to->pa.npurged += from->pa.npurged;
	to->pa.nmadvise += from->pa.nmadvise;
	to->pa.nmuzzy += from->pa.nmuzzy;
	to->pa.muzzy_npurge += from->pa.muzzy_npurge;
	to->pa.muzzy_npurged += from->pa.muzzy_npurged;
	to->pa.muzzy_nmadvise += from->pa.muzzy_nmadvise;
	to->pa.nhugified_sp += from->pa.nhugified_sp;
	to->pa.nhugify += from->pa.nhugify;
	to->small_allocated += from->small_allocated;
	to->small_nmalloc += from->small_nmalloc;
	to->small_ndalloc += from->small_ndalloc;
	to->small_nrequests += from->small_nrequests;
	to->small_nfills += from->small_nfills;
	to->small_nflushes += from->small_nflushes;
	to->large_allocated += from->large_allocated;
	to->large_nmalloc += from->large_nmalloc;
	to->large_ndalloc += from->large_ndalloc;
	to->base += from->base;
	to->mapped += from->mapped;
	to->retained += from->retained;
	to->resident += from->resident;
}

static void
stats_refresh_locked(void)
{
	struct stats_arena *sa;
	struct arena *a;
	unsigned i, n;

	memset(&stats_merged, 0, sizeof(stats_merged));
	stats_destroyed = stats_retired;
	n = atomic_load_explicit(&narenas_total, memory_order_acquire);
	/*
	 * Slots first (base memory, never freed, reused at every epoch), so
	 * that metadata does not grow while the arenas are read.
	 */
	for (i = 0; i < n; i++)
		if (stats_slots[i] == NULL && arena_get(i, false) != NULL)
			stats_slots[i] = base_alloc(sizeof(*stats_slots[i]));
	for (i = 0; i < n; i++) {
		sa = stats_slots[i];
		a = atomic_load_explicit(&arenas[i], memory_order_acquire);
		if (a == NULL || atomic_load_explicit(&a->destroyed,
		    memory_order_acquire)) {
			/* A destroyed arena counts in stats_retired. */
			if (sa != NULL)
				sa->present = false;
			continue;
		}
		if (sa == NULL)
			continue;
		stats_collect(a, i, sa);
		stats_merge(&stats_merged, sa);
	}
	/* The merged arena exists even before any arena has stats. */
	stats_merged.present = true;
	stats_merged.dirty_decay_ms = -1;
	stats_merged.muzzy_decay_ms = -1;
	stats_destroyed.dirty_decay_ms = -1;
	stats_destroyed.muzzy_decay_ms = -1;
	stats_glob.bg_threads = bg_count();
	stats_glob.narenas = n;
	stats_glob.allocated = stats_merged.small_allocated +
	    stats_merged.large_allocated;
	stats_glob.active = stats_merged.pa.nactive * PAGE;
	/* A racing free may be seen by the bins and not the pages: cap. */
	if (stats_glob.allocated > stats_glob.active)
		stats_glob.allocated = stats_glob.active;
	stats_glob.metadata = stats_merged.base;
	stats_glob.resident = stats_merged.resident;
	stats_glob.mapped = stats_merged.mapped;
	stats_glob.retained = stats_merged.retained;
	/* The hardened library's guarded blocks are in no arena. */
	if (config_hardened)
		harden_stats(&stats_glob.allocated, &stats_glob.active,
		    &stats_glob.resident, &stats_glob.mapped);
	stats_glob.hugepages = stats_merged.pa.nhugified_sp * SUPERPAGE;
	stats_glob.epoch++;
	stats_valid = true;
}

void
stats_retire_arena(struct arena *a)
{
	mutex_lock(&stats_lock);
	stats_collect(a, a->ind, &stats_tmp);
	stats_merge(&stats_retired, &stats_tmp);
	stats_retired.present = true;
	mutex_unlock(&stats_lock);
}

uint64_t
stats_snapshot_refresh(void)
{
	uint64_t e;

	mutex_lock(&stats_lock);
	stats_refresh_locked();
	e = stats_glob.epoch;
	mutex_unlock(&stats_lock);
	return (e);
}

const struct stats_global *
stats_snapshot_lock(void)
{
	mutex_lock(&stats_lock);
	if (!stats_valid)
		stats_refresh_locked();
	return (&stats_glob);
}

const struct stats_arena *
stats_snapshot_arena(size_t ind)
{
	const struct stats_arena *sa;

	if (ind == STATS_MERGED || ind == stats_glob.narenas)
		return (&stats_merged);
	if (ind == STATS_DESTROYED)
		return (stats_destroyed.present ? &stats_destroyed : NULL);
	if (ind >= stats_glob.narenas)
		return (NULL);
	sa = stats_slots[ind];
	return (sa != NULL && sa->present ? sa : NULL);
}

void
stats_snapshot_unlock(void)
{
	mutex_unlock(&stats_lock);
}

bool
stats_snapshot_has(size_t ind)
{
	bool ok;

	stats_snapshot_lock();
	ok = stats_snapshot_arena(ind) != NULL;
	stats_snapshot_unlock();
	return (ok);
}

void
stats_prefork(void)
{
	ctl_print_prefork();
	mutex_lock(&stats_lock);
}

void
stats_postfork_parent(void)
{
	mutex_unlock(&stats_lock);
	ctl_print_postfork_parent();
}

void
stats_postfork_child(void)
{
	mutex_postfork_child(&stats_lock);
	ctl_print_postfork_child();
}
