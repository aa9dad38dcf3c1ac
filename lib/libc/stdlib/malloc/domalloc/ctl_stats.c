/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * ctl_stats.c: the stats.* name space.  Every value is read from the
 * statistics snapshot (stats.h): taken when "epoch" is written, or
 * lazily by the first reader, so values read between two epoch writes
 * are consistent with each other.  stats.arenas.<i> exists for the
 * arenas the snapshot saw, and for MALLCTL_ARENAS_ALL (and its
 * deprecated alias <narenas>), the merged slot.
 *
 * What the names count (pages are arenas.page bytes):
 *   allocated	bytes in live objects, objects in thread caches included
 *   active	bytes of pages holding objects or slabs
 *   metadata	bytes of allocator metadata (base) handed out
 *   resident	active + dirty pages + metadata pages, at most mapped
 *   mapped	mapped superpages that are not retained, plus metadata
 *   retained	free superpages purged back to the system, still mapped
 *   nrequests	allocation requests: for small classes, including those
 *		served by thread caches once the cache flushes; for large
 *		classes, those that reached the arena
 *   pmuzzy	pages purged lazily (MADV_FREE), not yet purged for good
 *   muzzy_*	the muzzy to clean stage; dirty_* the stage out of dirty
 *   hugepages	bytes of superpages advised to be huge pages
 *
 * Synchronization: each handler holds the snapshot lock only while it
 * copies its value out.
 */
#include <errno.h>
#include <stddef.h>

#include "alloc.h"
#include "base.h"
#include "ctl.h"
#include "hpage.h"
#include "stats.h"

/*
 * The snapshot slot of arena ind, locked; NULL (and not locked) if the
 * snapshot has none.
 */
static const struct stats_arena *
ctl_sa_begin(size_t ind)
{
	const struct stats_arena *sa;

	stats_snapshot_lock();
	sa = stats_snapshot_arena(ind);
	if (sa == NULL)
		stats_snapshot_unlock();
	return (sa);
}

/* Unlock after ctl_sa_begin and answer: ENOENT if there was no slot. */
static int
ctl_sa_end_size(const struct stats_arena *sa, size_t v, void *oldp,
    size_t *oldlenp, const void *newp, size_t newlen)
{
	if (sa == NULL)
		return (ENOENT);
	stats_snapshot_unlock();
	return (ctl_ro_size(v, oldp, oldlenp, newp, newlen));
}

static int
ctl_sa_end_u64(const struct stats_arena *sa, uint64_t v, void *oldp,
    size_t *oldlenp, const void *newp, size_t newlen)
{
	if (sa == NULL)
		return (ENOENT);
	stats_snapshot_unlock();
	return (ctl_ro_u64(v, oldp, oldlenp, newp, newlen));
}

static int
ctl_sa_end_unsigned(const struct stats_arena *sa, unsigned v, void *oldp,
    size_t *oldlenp, const void *newp, size_t newlen)
{
	if (sa == NULL)
		return (ENOENT);
	stats_snapshot_unlock();
	return (ctl_ro_unsigned(v, oldp, oldlenp, newp, newlen));
}

static int
ctl_sa_end_ssize(const struct stats_arena *sa, ssize_t v, void *oldp,
    size_t *oldlenp, const void *newp, size_t newlen)
{
	if (sa == NULL)
		return (ENOENT);
	stats_snapshot_unlock();
	return (ctl_ro_ssize(v, oldp, oldlenp, newp, newlen));
}

static int
ctl_sa_end_str(const struct stats_arena *sa, const char *v, void *oldp,
    size_t *oldlenp, const void *newp, size_t newlen)
{
	if (sa == NULL)
		return (ENOENT);
	stats_snapshot_unlock();
	return (ctl_ro_str(v, oldp, oldlenp, newp, newlen));
}

/*
 * Most stats.arenas.<i>.* leaves read one field of the arena's snapshot
 * slot (bins.<j>.* one field of its bin): the leaf's argument holds the
 * field's offset and, in its top bits, the field's type.
 */
#define	SA_SIZE		((size_t)0 << 28)	/* size_t */
#define	SA_U64		((size_t)1 << 28)	/* uint64_t */
#define	SA_UNSIGNED	((size_t)2 << 28)	/* unsigned */
#define	SA_TYPE_MASK	((size_t)3 << 28)
#define	SA_FIELD(f, t)	(offsetof(struct stats_arena, f) | (t))
#define	SA_BIN(f, t)	(offsetof(struct bin_stats, f) | (t))

static int
ctl_sa_read(const char *base, size_t arg, const struct stats_arena *sa,
    void *oldp, size_t *oldlenp, void *newp, size_t newlen)
{
	const char *f = base + (arg & ~SA_TYPE_MASK);

	switch (arg & SA_TYPE_MASK) {
	case SA_U64:
		return (ctl_sa_end_u64(sa, sa != NULL ? *(const uint64_t *)f :
		    0, oldp, oldlenp, newp, newlen));
	case SA_UNSIGNED:
		return (ctl_sa_end_unsigned(sa, sa != NULL ?
		    *(const unsigned *)f : 0, oldp, oldlenp, newp, newlen));
	default:
		return (ctl_sa_end_size(sa, sa != NULL ? *(const size_t *)f :
		    0, oldp, oldlenp, newp, newlen));
	}
}

/* stats.arenas.<i>.<field> */
static int
ctl_sa_field(const size_t *mib, size_t miblen, void *oldp, size_t *oldlenp,
    void *newp, size_t newlen)
{
	/* The argument first: finding the leaf takes the snapshot lock. */
	size_t arg = ctl_leaf_arg(mib, miblen);
	const struct stats_arena *sa = ctl_sa_begin(mib[2]);

	return (ctl_sa_read((const char *)sa, arg, sa, oldp, oldlenp, newp,
	    newlen));
}

/* stats.arenas.<i>.bins.<j>.<field> */
static int
ctl_sa_bin_field(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	size_t arg = ctl_leaf_arg(mib, miblen);
	const struct stats_arena *sa = ctl_sa_begin(mib[2]);

	return (ctl_sa_read(sa != NULL ? (const char *)&sa->bins[mib[4]] :
	    NULL, arg, sa, oldp, oldlenp, newp, newlen));
}

/* Process-wide totals. */

/*
 * stats.<field>: the leaf's argument is the offset of a size_t in the
 * process-wide part of the snapshot.
 */
static int
ctl_glob_field(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	size_t arg = ctl_leaf_arg(mib, miblen), v;

	v = *(const size_t *)((const char *)stats_snapshot_lock() + arg);
	stats_snapshot_unlock();
	return (ctl_ro_size(v, oldp, oldlenp, newp, newlen));
}

static int
ctl_stats_background_thread_num_threads(const size_t *mib, size_t miblen,
    void *oldp, size_t *oldlenp, void *newp, size_t newlen)
{
	size_t v;

	(void)mib;
	(void)miblen;
	v = stats_snapshot_lock()->bg_threads;
	stats_snapshot_unlock();
	return (ctl_ro_size(v, oldp, oldlenp, newp, newlen));
}

static const struct ctl_node ctl_stats_background_thread_children[] = {
	CTL_LEAF("num_threads", ctl_stats_background_thread_num_threads),
	CTL_END
};

/* Metadata is never backed by transparent huge pages on purpose. */
static int
ctl_stats_metadata_thp(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_size(base_thp(), oldp, oldlenp, newp, newlen));
}

/* stats.hugify_cost_ns (leaf argument 0) and stats.hugify_delay_ms (1). */
static int
ctl_stats_hugify(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	uint64_t v;

	v = ctl_leaf_arg(mib, miblen) == 0 ? hpage_cost_ns() :
	    hpage_delay_ms();
	return (ctl_ro_u64(v, oldp, oldlenp, newp, newlen));
}

/* stats.arenas.<i>.*: one arena of the snapshot. */

static int
ctl_stats_arenas_i_dirty_decay_ms(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	const struct stats_arena *sa;
	ssize_t v = 0;

	(void)miblen;
	if ((sa = ctl_sa_begin(mib[2])) != NULL)
		v = (ssize_t)sa->dirty_decay_ms;
	return (ctl_sa_end_ssize(sa, v, oldp, oldlenp, newp, newlen));
}

static int
ctl_stats_arenas_i_dss(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	const struct stats_arena *sa;
	const char *v = NULL;

	(void)miblen;
	if ((sa = ctl_sa_begin(mib[2])) != NULL)
		v = "disabled";
	return (ctl_sa_end_str(sa, v, oldp, oldlenp, newp, newlen));
}

static int
ctl_stats_arenas_i_internal(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	const struct stats_arena *sa;
	size_t v = 0;

	(void)miblen;
	if ((sa = ctl_sa_begin(mib[2])) != NULL)
		v = 0;
	return (ctl_sa_end_size(sa, v, oldp, oldlenp, newp, newlen));
}

static int
ctl_stats_arenas_i_metadata_thp(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	const struct stats_arena *sa;
	size_t v = 0;

	(void)miblen;
	/* Metadata is charged to arena 0 (and so to the merged slot). */
	if ((sa = ctl_sa_begin(mib[2])) != NULL && sa->base != 0)
		v = base_thp();
	return (ctl_sa_end_size(sa, v, oldp, oldlenp, newp, newlen));
}

static int
ctl_stats_arenas_i_muzzy_decay_ms(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	const struct stats_arena *sa;
	ssize_t v = 0;

	(void)miblen;
	if ((sa = ctl_sa_begin(mib[2])) != NULL)
		v = (ssize_t)sa->muzzy_decay_ms;
	return (ctl_sa_end_ssize(sa, v, oldp, oldlenp, newp, newlen));
}

static int
ctl_stats_arenas_i_hugepages(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	const struct stats_arena *sa;
	size_t v = 0;

	(void)miblen;
	if ((sa = ctl_sa_begin(mib[2])) != NULL)
		v = sa->pa.nhugified_sp * SUPERPAGE;
	return (ctl_sa_end_size(sa, v, oldp, oldlenp, newp, newlen));
}

/* stats.arenas.<i>.small.*: all small classes together. */

/* stats.arenas.<i>.large.*: all large classes together. */

/* stats.arenas.<i>.bins.<j>.*: small class j. */

/* stats.arenas.<i>.lextents.<j>.*: large class j. */

/*
 * stats.arenas.<i>.lextents.<j>.*: the argument says which count:
 * 0 curlextents, 1 nmalloc (also nrequests: every large request reaches
 * the arena), 2 ndalloc.
 */
static int
ctl_sa_lextent(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	size_t arg = ctl_leaf_arg(mib, miblen);
	const struct stats_arena *sa = ctl_sa_begin(mib[2]);
	uint64_t m = 0, d = 0;

	if (sa != NULL) {
		m = sa->lmalloc[mib[4]];
		d = sa->ldalloc[mib[4]];
	}
	if (arg == 0)
		return (ctl_sa_end_size(sa, (size_t)(m - d), oldp, oldlenp,
		    newp, newlen));
	return (ctl_sa_end_u64(sa, arg == 1 ? m : d, oldp, oldlenp, newp,
	    newlen));
}

static bool
ctl_stats_bin_index_ok(size_t ind)
{
	return (ind < SC_NBINS);
}

static bool
ctl_stats_lextent_index_ok(size_t ind)
{
	return (ind < STATS_NLEXTENTS);
}

static const struct ctl_node ctl_stats_bins_j_children[] = {
	CTL_LEAF_ARG("curregs", ctl_sa_bin_field,
	    SA_BIN(curregs, SA_SIZE)),
	CTL_LEAF_ARG("curslabs", ctl_sa_bin_field,
	    SA_BIN(curslabs, SA_SIZE)),
	CTL_LEAF_ARG("nfills", ctl_sa_bin_field,
	    SA_BIN(nfills, SA_U64)),
	CTL_LEAF_ARG("nflushes", ctl_sa_bin_field,
	    SA_BIN(nflushes, SA_U64)),
	CTL_LEAF_ARG("nmalloc", ctl_sa_bin_field,
	    SA_BIN(nmalloc, SA_U64)),
	CTL_LEAF_ARG("ndalloc", ctl_sa_bin_field,
	    SA_BIN(ndalloc, SA_U64)),
	CTL_LEAF_ARG("nonfull_slabs", ctl_sa_bin_field,
	    SA_BIN(nonfull, SA_SIZE)),
	CTL_LEAF_ARG("nrequests", ctl_sa_bin_field,
	    SA_BIN(nrequests, SA_U64)),
	CTL_LEAF_ARG("nreslabs", ctl_sa_bin_field,
	    SA_BIN(nreslabs, SA_U64)),
	CTL_LEAF_ARG("nslabs", ctl_sa_bin_field,
	    SA_BIN(nslabs, SA_U64)),
	CTL_END
};

static const struct ctl_node ctl_stats_bins_children[] = {
	CTL_INDEX(ctl_stats_bins_j_children, ctl_stats_bin_index_ok),
	CTL_END
};

static const struct ctl_node ctl_stats_lextents_j_children[] = {
	CTL_LEAF_ARG("curlextents", ctl_sa_lextent, 0),
	CTL_LEAF_ARG("nmalloc", ctl_sa_lextent, 1),
	CTL_LEAF_ARG("ndalloc", ctl_sa_lextent, 2),
	CTL_LEAF_ARG("nrequests", ctl_sa_lextent, 1),
	CTL_END
};

static const struct ctl_node ctl_stats_lextents_children[] = {
	CTL_INDEX(ctl_stats_lextents_j_children, ctl_stats_lextent_index_ok),
	CTL_END
};

static const struct ctl_node ctl_stats_small_children[] = {
	CTL_LEAF_ARG("allocated", ctl_sa_field,
	    SA_FIELD(small_allocated, SA_SIZE)),
	CTL_LEAF_ARG("nfills", ctl_sa_field,
	    SA_FIELD(small_nfills, SA_U64)),
	CTL_LEAF_ARG("nflushes", ctl_sa_field,
	    SA_FIELD(small_nflushes, SA_U64)),
	CTL_LEAF_ARG("nmalloc", ctl_sa_field,
	    SA_FIELD(small_nmalloc, SA_U64)),
	CTL_LEAF_ARG("ndalloc", ctl_sa_field,
	    SA_FIELD(small_ndalloc, SA_U64)),
	CTL_LEAF_ARG("nrequests", ctl_sa_field,
	    SA_FIELD(small_nrequests, SA_U64)),
	CTL_END
};

static const struct ctl_node ctl_stats_large_children[] = {
	CTL_LEAF_ARG("allocated", ctl_sa_field,
	    SA_FIELD(large_allocated, SA_SIZE)),
	CTL_LEAF_ARG("nmalloc", ctl_sa_field,
	    SA_FIELD(large_nmalloc, SA_U64)),
	CTL_LEAF_ARG("ndalloc", ctl_sa_field,
	    SA_FIELD(large_ndalloc, SA_U64)),
	CTL_LEAF_ARG("nrequests", ctl_sa_field,
	    SA_FIELD(large_nmalloc, SA_U64)),
	CTL_END
};

static const struct ctl_node ctl_stats_arenas_i_children[] = {
	CTL_LEAF_ARG("base", ctl_sa_field,
	    SA_FIELD(base, SA_SIZE)),
	CTL_DIR("bins", ctl_stats_bins_children),
	CTL_LEAF("dirty_decay_ms", ctl_stats_arenas_i_dirty_decay_ms),
	CTL_LEAF_ARG("dirty_nmadvise", ctl_sa_field,
	    SA_FIELD(pa.nmadvise, SA_U64)),
	CTL_LEAF_ARG("dirty_npurge", ctl_sa_field,
	    SA_FIELD(pa.npurge, SA_U64)),
	CTL_LEAF_ARG("dirty_purged", ctl_sa_field,
	    SA_FIELD(pa.npurged, SA_U64)),
	CTL_LEAF("dss", ctl_stats_arenas_i_dss),
	CTL_LEAF("hugepages", ctl_stats_arenas_i_hugepages),
	CTL_LEAF("internal", ctl_stats_arenas_i_internal),
	CTL_DIR("large", ctl_stats_large_children),
	CTL_DIR("lextents", ctl_stats_lextents_children),
	CTL_LEAF_ARG("mapped", ctl_sa_field,
	    SA_FIELD(mapped, SA_SIZE)),
	CTL_LEAF("metadata_thp", ctl_stats_arenas_i_metadata_thp),
	CTL_LEAF("muzzy_decay_ms", ctl_stats_arenas_i_muzzy_decay_ms),
	CTL_LEAF_ARG("muzzy_nmadvise", ctl_sa_field,
	    SA_FIELD(pa.muzzy_nmadvise, SA_U64)),
	CTL_LEAF_ARG("muzzy_npurge", ctl_sa_field,
	    SA_FIELD(pa.muzzy_npurge, SA_U64)),
	CTL_LEAF_ARG("muzzy_purged", ctl_sa_field,
	    SA_FIELD(pa.muzzy_npurged, SA_U64)),
	CTL_LEAF_ARG("nthreads", ctl_sa_field,
	    SA_FIELD(nthreads, SA_UNSIGNED)),
	CTL_LEAF_ARG("pactive", ctl_sa_field,
	    SA_FIELD(pa.nactive, SA_SIZE)),
	CTL_LEAF_ARG("pdirty", ctl_sa_field,
	    SA_FIELD(pa.ndirty, SA_SIZE)),
	CTL_LEAF_ARG("pmuzzy", ctl_sa_field,
	    SA_FIELD(pa.nmuzzy, SA_SIZE)),
	CTL_LEAF_ARG("resident", ctl_sa_field,
	    SA_FIELD(resident, SA_SIZE)),
	CTL_LEAF_ARG("retained", ctl_sa_field,
	    SA_FIELD(retained, SA_SIZE)),
	CTL_DIR("small", ctl_stats_small_children),
	CTL_END
};

static bool
ctl_stats_arena_index_ok(size_t ind)
{
	return (stats_snapshot_has(ind));
}

static const struct ctl_node ctl_stats_arenas_children[] = {
	CTL_INDEX(ctl_stats_arenas_i_children, ctl_stats_arena_index_ok),
	CTL_END
};

/*
 * Not provided: zero_reallocs, background_thread.num_runs and
 * run_interval, mutexes.* and, per arena, uptime, tcache_bytes,
 * extents.*, mutexes.* and the large nfills/nflushes (not counted).
 */
/* stats.zero_reallocs: read live, as in jemalloc, not from the epoch. */
static int
ctl_stats_zero_reallocs(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_size(atomic_load_explicit(&alloc_zero_reallocs,
	    memory_order_relaxed), oldp, oldlenp, newp, newlen));
}

const struct ctl_node ctl_stats_children[] = {
	CTL_LEAF_ARG("active", ctl_glob_field,
	    offsetof(struct stats_global, active)),
	CTL_LEAF_ARG("allocated", ctl_glob_field,
	    offsetof(struct stats_global, allocated)),
	CTL_DIR("arenas", ctl_stats_arenas_children),
	CTL_DIR("background_thread", ctl_stats_background_thread_children),
	CTL_LEAF_ARG("hugepages", ctl_glob_field,
	    offsetof(struct stats_global, hugepages)),
	CTL_LEAF_ARG("hugify_cost_ns", ctl_stats_hugify, 0),
	CTL_LEAF_ARG("hugify_delay_ms", ctl_stats_hugify, 1),
	CTL_LEAF_ARG("mapped", ctl_glob_field,
	    offsetof(struct stats_global, mapped)),
	CTL_LEAF_ARG("metadata", ctl_glob_field,
	    offsetof(struct stats_global, metadata)),
	CTL_LEAF("metadata_thp", ctl_stats_metadata_thp),
	CTL_DIR("nodes", ctl_stats_nodes_children),
	CTL_DIR("prof", ctl_stats_prof_children),
	CTL_LEAF_ARG("resident", ctl_glob_field,
	    offsetof(struct stats_global, resident)),
	CTL_LEAF_ARG("retained", ctl_glob_field,
	    offsetof(struct stats_global, retained)),
	CTL_LEAF("zero_reallocs", ctl_stats_zero_reallocs),
	CTL_END
};
