/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * ctl_thread.c: the thread.* name space: the calling thread's arena, its
 * byte counters (live values, see tsd.h for how they are derived and
 * when the *p targets are refreshed) and its cache.  Everything here
 * touches only the calling thread's own state, so no locking beyond what
 * the arena and cache functions take.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "arena.h"
#include "ctl.h"
#include "tcache.h"
#include "tsd.h"

static struct tsd *
ctl_thread_tsd(void)
{
	struct tsd *tsd = tsd_get();

	if (tsd->state == TSD_UNINIT)
		tsd_boot(tsd);
	return (tsd);
}

/*
 * Writing binds the thread (and its cache's fills) to an existing or
 * automatic arena; reading gives the arena it was bound to before.
 */
static int
ctl_thread_arena(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	struct tsd *tsd = ctl_thread_tsd();
	struct arena *a;
	unsigned oldind, newind;
	int err;

	(void)mib;
	(void)miblen;
	a = tsd_arena(tsd);
	if (a == NULL)
		return (EAGAIN);
	oldind = newind = a->ind;
	err = ctl_write(newp, newlen, &newind, sizeof(newind));
	if (err != 0)
		return (err);
	err = ctl_read(oldp, oldlenp, &oldind, sizeof(oldind));
	if (err != 0)
		return (err);
	if (newind != oldind) {
		if (newind >= atomic_load_explicit(&narenas_total,
		    memory_order_acquire))
			return (EFAULT);
		a = arena_get(newind, newind < narenas_auto);
		if (a == NULL)
			return (EAGAIN);
		tsd_set_arena(tsd, a);
	}
	return (0);
}

static int
ctl_thread_allocated(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	struct tsd *tsd = tsd_get();

	(void)mib;
	(void)miblen;
	tsd_stats_refresh(tsd);
	return (ctl_ro_u64(tsd->stat_allocated, oldp, oldlenp, newp,
	    newlen));
}

static int
ctl_thread_allocatedp(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	struct tsd *tsd = tsd_get();

	(void)mib;
	(void)miblen;
	tsd_stats_refresh(tsd);
	return (ctl_ro_ptr(&tsd->stat_allocated, oldp, oldlenp, newp,
	    newlen));
}

static int
ctl_thread_deallocated(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	struct tsd *tsd = tsd_get();

	(void)mib;
	(void)miblen;
	tsd_stats_refresh(tsd);
	return (ctl_ro_u64(tsd->stat_deallocated, oldp, oldlenp, newp,
	    newlen));
}

static int
ctl_thread_deallocatedp(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	struct tsd *tsd = tsd_get();

	(void)mib;
	(void)miblen;
	tsd_stats_refresh(tsd);
	return (ctl_ro_ptr(&tsd->stat_deallocated, oldp, oldlenp, newp,
	    newlen));
}

/* The NUMA node the thread runs on (domalloc's own name). */
static int
ctl_thread_numa_node(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	struct tsd *tsd = ctl_thread_tsd();

	(void)mib;
	(void)miblen;
	tsd_numa_check(tsd);
	return (ctl_ro_unsigned(tsd->node, oldp, oldlenp, newp, newlen));
}

/* The thread has nothing to do for a while: give back what it holds. */
static int
ctl_thread_idle(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	struct tsd *tsd = tsd_get();

	(void)mib;
	(void)miblen;
	if (ctl_void(oldp, oldlenp, newp, newlen) != 0)
		return (EPERM);
	tcache_flush(&tsd->tc);
	if (tsd->arena != NULL)
		pa_decay_run(&tsd->arena->pa);
	return (0);
}

static int
ctl_thread_tcache_enabled(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	struct tsd *tsd = ctl_thread_tsd();
	bool oldval, newval;
	int err;

	(void)mib;
	(void)miblen;
	oldval = tsd->tcache_enabled;
	if (newp != NULL) {
		err = ctl_write_bool(newp, newlen, &newval);
		if (err != 0)
			return (err);
		tsd_tcache_set_enabled(tsd, newval);
	}
	return (ctl_read(oldp, oldlenp, &oldval, sizeof(oldval)));
}

static int
ctl_thread_tcache_flush(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	if (ctl_void(oldp, oldlenp, newp, newlen) != 0)
		return (EPERM);
	tcache_flush(&tsd_get()->tc);
	return (0);
}

static const struct ctl_node ctl_thread_tcache_children[] = {
	CTL_LEAF("enabled", ctl_thread_tcache_enabled),
	CTL_LEAF("flush", ctl_thread_tcache_flush),
	CTL_END
};

/*
 * Not provided: thread.peak.* (would need a counter on the fast paths).
 * thread.prof.* is in ctl_prof.c.
 */
const struct ctl_node ctl_thread_children[] = {
	CTL_LEAF("allocated", ctl_thread_allocated),
	CTL_LEAF("allocatedp", ctl_thread_allocatedp),
	CTL_LEAF("arena", ctl_thread_arena),
	CTL_LEAF("deallocated", ctl_thread_deallocated),
	CTL_LEAF("deallocatedp", ctl_thread_deallocatedp),
	CTL_LEAF("idle", ctl_thread_idle),
	CTL_LEAF("numa_node", ctl_thread_numa_node),
	CTL_DIR("prof", ctl_thread_prof_children),
	CTL_DIR("tcache", ctl_thread_tcache_children),
	CTL_END
};
