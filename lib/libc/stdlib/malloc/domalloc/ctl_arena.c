/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * ctl_arena.c: the arena.<i>.* (one arena, or all of them through
 * MALLCTL_ARENAS_ALL or its deprecated alias <narenas>) and arenas.*
 * (size classes, arena creation and lookup, defaults for new arenas)
 * name spaces.
 *
 * Decay times live in each arena's page allocator (pa.h); the defaults
 * that arenas.dirty_decay_ms and arenas.muzzy_decay_ms set apply to
 * arenas made by arenas.create; automatic arenas take the options.
 *
 * Extent hooks: with none installed, an arena maps through the platform
 * layer.  Reading arena.<i>.extent_hooks then gives pa_hooks_default
 * (pa_hooks.c), functions that do the same, so that a program can wrap
 * them (as jemalloc's users do); installing it means "no hooks".
 *
 * Synchronization: the defaults for new arenas are atomics, stored as
 * value + 2 so that 0 means "not set"; arena state is changed through the
 * arena and page allocator functions, which take the arena's locks.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "amap.h"
#include "arena.h"
#include "conf.h"
#include "ctl.h"
#include "malloc_np.h"
#include "pal.h"
#include "stats.h"
#include "sc.h"
#include "sp.h"
#include "tcache.h"
#include "tsd.h"

/* The longest decay time, as for the options. */
#define	CTL_DECAY_MAX	((int64_t)1 << 40)

static _Atomic int64_t	ctl_dirty_default;
static _Atomic int64_t	ctl_muzzy_default;
static _Atomic bool	ctl_any_destroyed;

/* Hooks as the page allocator takes them: NULL for the default ones. */
static extent_hooks_t *
ctl_hooks_internal(extent_hooks_t *h)
{
	return (h == &pa_hooks_default ? NULL : h);
}

static extent_hooks_t *
ctl_hooks_external(extent_hooks_t *h)
{
	return (h == NULL ? &pa_hooks_default : h);
}

static int64_t
ctl_decay_get(_Atomic int64_t *v, int64_t dflt)
{
	int64_t x = atomic_load_explicit(v, memory_order_relaxed);

	return (x == 0 ? dflt : x - 2);
}

static void
ctl_decay_put(_Atomic int64_t *v, int64_t ms)
{
	atomic_store_explicit(v, ms + 2, memory_order_relaxed);
}

static bool
ctl_decay_valid(ssize_t ms)
{
	return (ms >= -1 && ms <= CTL_DECAY_MAX);
}


/* The arena ind names, NULL for "all" and for an arena not made yet. */
static struct arena *
ctl_arena_get(size_t ind)
{
	if (ind >= ARENA_LIMIT || ctl_arena_is_all(ind))
		return (NULL);
	return (arena_get((unsigned)ind, false));
}

static bool
ctl_arena_index_ok(size_t ind)
{
	return (ind <= atomic_load_explicit(&narenas_total,
	    memory_order_acquire) || ind == CTL_ARENAS_ALL ||
	    ind == CTL_ARENAS_DESTROYED);
}

/* Apply fn to the page allocator of arena ind, or of every arena. */
static void
ctl_arena_each(size_t ind, void (*fn)(struct pa *))
{
	struct arena *a;
	unsigned i, n;

	if (ctl_arena_is_all(ind)) {
		n = atomic_load_explicit(&narenas_total, memory_order_acquire);
		for (i = 0; i < n; i++) {
			a = arena_get(i, false);
			if (a != NULL)
				fn(&a->pa);
		}
		return;
	}
	a = ctl_arena_get(ind);
	if (a != NULL)
		fn(&a->pa);
}

/* arena.<i>.* */

/* MALLCTL_ARENAS_DESTROYED is "initialized" once an arena was destroyed. */
static int
ctl_arena_i_initialized(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	bool v;

	(void)miblen;
	if (ctl_arena_is_all(mib[1]))
		v = true;
	else if (mib[1] == CTL_ARENAS_DESTROYED)
		v = atomic_load_explicit(&ctl_any_destroyed,
		    memory_order_relaxed);
	else
		v = ctl_arena_get(mib[1]) != NULL;
	return (ctl_ro_bool(v, oldp, oldlenp, newp, newlen));
}

/* Purge what decay says is due now. */
static int
ctl_arena_i_decay(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)miblen;
	if (ctl_void(oldp, oldlenp, newp, newlen) != 0)
		return (EPERM);
	ctl_arena_each(mib[1], pa_decay_run);
	return (0);
}

/* Purge every unused dirty page. */
static int
ctl_arena_i_purge(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)miblen;
	if (ctl_void(oldp, oldlenp, newp, newlen) != 0)
		return (EPERM);
	ctl_arena_each(mib[1], pa_purge_all);
	return (0);
}

/* arena.<i>.dirty_decay_ms and muzzy_decay_ms: one of its decay times. */
static int
ctl_arena_i_decay_ms(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen, bool muzzy)
{
	struct arena *a;
	ssize_t oldval, newval;
	int err;

	(void)miblen;
	a = ctl_arena_get(mib[1]);
	if (a == NULL)
		return (EFAULT);
	mutex_lock(&a->pa.lock);
	oldval = (ssize_t)(muzzy ? a->pa.decay_muzzy.ms : a->pa.decay.ms);
	mutex_unlock(&a->pa.lock);
	err = ctl_read(oldp, oldlenp, &oldval, sizeof(oldval));
	if (err != 0)
		return (err);
	if (newp != NULL) {
		err = ctl_write(newp, newlen, &newval, sizeof(newval));
		if (err != 0)
			return (err);
		if (!ctl_decay_valid(newval))
			return (EFAULT);
		if (muzzy)
			pa_muzzy_decay_set(&a->pa, newval);
		else
			pa_decay_set(&a->pa, newval);
	}
	return (0);
}

static int
ctl_arena_i_dirty_decay_ms(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	return (ctl_arena_i_decay_ms(mib, miblen, oldp, oldlenp, newp, newlen,
	    false));
}

static int
ctl_arena_i_muzzy_decay_ms(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	return (ctl_arena_i_decay_ms(mib, miblen, oldp, oldlenp, newp, newlen,
	    true));
}

/*
 * sbrk(2) precedence.  domalloc never uses sbrk: "disabled" is the only
 * setting; "primary" and "secondary" cannot be had (EFAULT, as jemalloc
 * built without DSS support), anything else is not a setting (EINVAL).
 */
static int
ctl_arena_i_dss(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	const char *oldval = conf_dss_names[0], *newval = NULL;
	int err;

	(void)miblen;
	if (!ctl_arena_is_all(mib[1]) && ctl_arena_get(mib[1]) == NULL)
		return (EFAULT);
	err = ctl_write(newp, newlen, &newval, sizeof(newval));
	if (err != 0)
		return (err);
	if (newval != NULL && strcmp(newval, "disabled") != 0) {
		if (strcmp(newval, "primary") == 0 ||
		    strcmp(newval, "secondary") == 0)
			return (EFAULT);
		return (EINVAL);
	}
	return (ctl_read(oldp, oldlenp, &oldval, sizeof(oldval)));
}

/*
 * An explicit arena that reset or destroy may act on.  The caller's own
 * thread cache is flushed first, so that it holds none of the arena's
 * objects; other threads' caches are the program's duty (as in jemalloc).
 */
static struct arena *
ctl_arena_explicit(size_t ind)
{
	struct arena *a = ctl_arena_get(ind);

	if (a == NULL || a->ind < narenas_auto)
		return (NULL);
	tcache_flush(&tsd_get()->tc);
	return (a);
}

/* Discard every allocation of an explicit arena. */
static int
ctl_arena_i_reset(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	struct arena *a;

	(void)miblen;
	if (ctl_void(oldp, oldlenp, newp, newlen) != 0)
		return (EPERM);
	a = ctl_arena_explicit(mib[1]);
	if (a == NULL || !arena_reset(a))
		return (EFAULT);
	return (0);
}

/*
 * Discard every allocation of an explicit arena that no thread is bound
 * to, and the arena itself; its statistics then count under
 * MALLCTL_ARENAS_DESTROYED.
 */
static int
ctl_arena_i_destroy(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	struct arena *a;

	(void)miblen;
	if (ctl_void(oldp, oldlenp, newp, newlen) != 0)
		return (EPERM);
	a = ctl_arena_explicit(mib[1]);
	if (a == NULL || atomic_load_explicit(&a->nthreads,
	    memory_order_relaxed) != 0 || !arena_destroy_begin(a))
		return (EFAULT);
	stats_retire_arena(a);
	arena_destroy_end(a);
	atomic_store_explicit(&ctl_any_destroyed, true, memory_order_relaxed);
	return (0);
}

/*
 * An arena's extent hooks (extent_hooks_t *).  Writing to an automatic
 * arena not made yet makes it, with the hooks (best effort: it may have
 * mapped memory by the time they are set, as jemalloc warns).
 */
static int
ctl_arena_i_extent_hooks(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	extent_hooks_t *oldh, *newh;
	struct arena *a;
	size_t ind = mib[1];
	int err;

	(void)miblen;
	if (ctl_arena_is_all(ind) || ind >= ARENA_LIMIT)
		return (EFAULT);
	a = arena_get((unsigned)ind, false);
	if (a == NULL && ind >= narenas_auto)
		return (EFAULT);
	oldh = ctl_hooks_external(a != NULL ? pa_hooks_get(&a->pa) : NULL);
	newh = NULL;
	err = ctl_write(newp, newlen, &newh, sizeof(newh));
	if (err != 0)
		return (err);
	if (newp != NULL) {
		if (newh == NULL)
			return (EINVAL);
		if (a == NULL)
			a = arena_get((unsigned)ind, true);
		if (a == NULL)
			return (EAGAIN);
		pa_hooks_set(&a->pa, ctl_hooks_internal(newh));
	}
	return (ctl_read(oldp, oldlenp, &oldh, sizeof(oldh)));
}

/*
 * The NUMA node an arena's memory belongs to (domalloc's own name): an
 * unbound arena reads as UINT_MAX.  Writing a node binds the arena:
 * address space it obtains from then on is placed on that node.
 */
static int
ctl_arena_i_numa_node(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	struct arena *a;
	unsigned oldval, newval;
	int err;

	(void)miblen;
	a = ctl_arena_get(mib[1]);
	if (a == NULL)
		return (EFAULT);
	oldval = newval = a->node;
	err = ctl_write(newp, newlen, &newval, sizeof(newval));
	if (err != 0)
		return (err);
	if (newp != NULL && !arena_set_node(a, newval))
		return (EINVAL);
	return (ctl_read(oldp, oldlenp, &oldval, sizeof(oldval)));
}

static const struct ctl_node ctl_arena_i_children[] = {
	CTL_LEAF("decay", ctl_arena_i_decay),
	CTL_LEAF("dirty_decay_ms", ctl_arena_i_dirty_decay_ms),
	CTL_LEAF("destroy", ctl_arena_i_destroy),
	CTL_LEAF("dss", ctl_arena_i_dss),
	CTL_LEAF("extent_hooks", ctl_arena_i_extent_hooks),
	CTL_LEAF("initialized", ctl_arena_i_initialized),
	CTL_LEAF("muzzy_decay_ms", ctl_arena_i_muzzy_decay_ms),
	CTL_LEAF("numa_node", ctl_arena_i_numa_node),
	CTL_LEAF("purge", ctl_arena_i_purge),
	CTL_LEAF("reset", ctl_arena_i_reset),
	CTL_END
};

const struct ctl_node ctl_arena_children[] = {
	CTL_INDEX(ctl_arena_i_children, ctl_arena_index_ok),
	CTL_END
};

/* arenas.* */

static int
ctl_arenas_narenas(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_unsigned(atomic_load_explicit(&narenas_total,
	    memory_order_acquire), oldp, oldlenp, newp, newlen));
}

static int
ctl_arenas_decay_default(_Atomic int64_t *dflt, int64_t opt, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	ssize_t oldval, newval;
	int err;

	oldval = (ssize_t)ctl_decay_get(dflt, opt);
	err = ctl_read(oldp, oldlenp, &oldval, sizeof(oldval));
	if (err != 0)
		return (err);
	if (newp != NULL) {
		err = ctl_write(newp, newlen, &newval, sizeof(newval));
		if (err != 0)
			return (err);
		if (!ctl_decay_valid(newval))
			return (EFAULT);
		ctl_decay_put(dflt, newval);
	}
	return (0);
}

static int
ctl_arenas_dirty_decay_ms(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_arenas_decay_default(&ctl_dirty_default,
	    opt_dirty_decay_ms, oldp, oldlenp, newp, newlen));
}

static int
ctl_arenas_muzzy_decay_ms(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_arenas_decay_default(&ctl_muzzy_default,
	    opt_muzzy_decay_ms, oldp, oldlenp, newp, newlen));
}

/* NUMA nodes the system has (1 without NUMA; domalloc's own name). */
static int
ctl_arenas_nnodes(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_unsigned(pal_caps.nnodes, oldp, oldlenp, newp,
	    newlen));
}

static int
ctl_arenas_quantum(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_size(SC_QUANTUM, oldp, oldlenp, newp, newlen));
}

static int
ctl_arenas_page(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_size(PAGE, oldp, oldlenp, newp, newlen));
}

/* Index + 1 of the largest class a thread cache may hold (0: none). */
static unsigned
ctl_arenas_ntbins(void)
{
	unsigned n;

	if (opt_tcache_max < SC_QUANTUM)
		return (0);
	n = sc_index(opt_tcache_max) + 1;
	return (DM_MIN(n, SC_NTBINS_MAX));
}

static int
ctl_arenas_tcache_max(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	unsigned n = ctl_arenas_ntbins();

	(void)mib;
	(void)miblen;
	return (ctl_ro_size(n == 0 ? 0 : sc_size[n - 1], oldp, oldlenp, newp,
	    newlen));
}

static int
ctl_arenas_nbins(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_unsigned(SC_NBINS, oldp, oldlenp, newp, newlen));
}

static int
ctl_arenas_nhbins(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_unsigned(ctl_arenas_ntbins(), oldp, oldlenp, newp,
	    newlen));
}

static bool
ctl_bin_index_ok(size_t ind)
{
	return (ind < SC_NBINS);
}

static int
ctl_arenas_bin_size(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)miblen;
	return (ctl_ro_size(sc_size[mib[2]], oldp, oldlenp, newp, newlen));
}

static int
ctl_arenas_bin_nregs(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)miblen;
	return (ctl_ro_u32(sc_nregs[mib[2]], oldp, oldlenp, newp, newlen));
}

static int
ctl_arenas_bin_slab_size(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)miblen;
	return (ctl_ro_size((size_t)sc_slab_pages[mib[2]] * PAGE, oldp,
	    oldlenp, newp, newlen));
}

/* Bins are not sharded: one lock per class and arena. */
static int
ctl_arenas_bin_nshards(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_u32(1, oldp, oldlenp, newp, newlen));
}

static const struct ctl_node ctl_arenas_bin_i_children[] = {
	CTL_LEAF("nregs", ctl_arenas_bin_nregs),
	CTL_LEAF("nshards", ctl_arenas_bin_nshards),
	CTL_LEAF("size", ctl_arenas_bin_size),
	CTL_LEAF("slab_size", ctl_arenas_bin_slab_size),
	CTL_END
};

static const struct ctl_node ctl_arenas_bin_children[] = {
	CTL_INDEX(ctl_arenas_bin_i_children, ctl_bin_index_ok),
	CTL_END
};

static int
ctl_arenas_nlextents(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_unsigned(SC_NSIZES - SC_NBINS, oldp, oldlenp, newp,
	    newlen));
}

static bool
ctl_lextent_index_ok(size_t ind)
{
	return (ind < SC_NSIZES - SC_NBINS);
}

static int
ctl_arenas_lextent_size(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)miblen;
	return (ctl_ro_size(sc_size[SC_NBINS + mib[2]], oldp, oldlenp, newp,
	    newlen));
}

static const struct ctl_node ctl_arenas_lextent_i_children[] = {
	CTL_LEAF("size", ctl_arenas_lextent_size),
	CTL_END
};

static const struct ctl_node ctl_arenas_lextent_children[] = {
	CTL_INDEX(ctl_arenas_lextent_i_children, ctl_lextent_index_ok),
	CTL_END
};

/*
 * Make an explicit arena and return its index.  As in jemalloc, the
 * index must be read (*oldlenp == sizeof(unsigned)) or nothing is made;
 * the optional new value is the arena's extent_hooks_t pointer.
 */
static int
ctl_arenas_create(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	extent_hooks_t *hooks = NULL;
	struct arena *a;
	int64_t ms;
	unsigned ind;
	int err;

	(void)mib;
	(void)miblen;
	if (oldp == NULL || oldlenp == NULL || *oldlenp != sizeof(ind)) {
		if (oldlenp != NULL)
			*oldlenp = 0;
		return (EINVAL);
	}
	err = ctl_write(newp, newlen, &hooks, sizeof(hooks));
	if (err != 0)
		return (err);
	a = arena_create_explicit(ctl_hooks_internal(hooks));
	if (a == NULL)
		return (EAGAIN);
	ind = a->ind;
	ms = ctl_decay_get(&ctl_dirty_default, opt_dirty_decay_ms);
	if (ms != opt_dirty_decay_ms)
		pa_decay_set(&a->pa, ms);
	ms = ctl_decay_get(&ctl_muzzy_default, opt_muzzy_decay_ms);
	if (ms != opt_muzzy_decay_ms)
		pa_muzzy_decay_set(&a->pa, ms);
	return (ctl_read(oldp, oldlenp, &ind, sizeof(ind)));
}

/* The arena that owns the memory at a pointer (written as newp). */
static int
ctl_arenas_lookup(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	struct sp *sp;
	void *ptr;
	unsigned ind;
	int err;

	(void)mib;
	(void)miblen;
	if (newp == NULL)
		return (EINVAL);
	err = ctl_write(newp, newlen, &ptr, sizeof(ptr));
	if (err != 0)
		return (err);
	sp = amap_lookup(ptr);
	if (sp == NULL || sp->kind == SP_FREE || sp->arena == NULL)
		return (EINVAL);
	ind = sp->arena->ind;
	return (ctl_read(oldp, oldlenp, &ind, sizeof(ind)));
}

const struct ctl_node ctl_arenas_children[] = {
	CTL_DIR("bin", ctl_arenas_bin_children),
	CTL_LEAF("create", ctl_arenas_create),
	CTL_LEAF("dirty_decay_ms", ctl_arenas_dirty_decay_ms),
	CTL_DIR("lextent", ctl_arenas_lextent_children),
	CTL_LEAF("lookup", ctl_arenas_lookup),
	CTL_LEAF("muzzy_decay_ms", ctl_arenas_muzzy_decay_ms),
	CTL_LEAF("narenas", ctl_arenas_narenas),
	CTL_LEAF("nbins", ctl_arenas_nbins),
	CTL_LEAF("nhbins", ctl_arenas_nhbins),
	CTL_LEAF("nlextents", ctl_arenas_nlextents),
	CTL_LEAF("nnodes", ctl_arenas_nnodes),
	CTL_LEAF("page", ctl_arenas_page),
	CTL_LEAF("quantum", ctl_arenas_quantum),
	CTL_LEAF("tcache_max", ctl_arenas_tcache_max),
	CTL_END
};
