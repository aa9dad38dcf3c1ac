/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * ctl_nodes.c: stats.nodes.<n>.*, the per-NUMA-node statistics
 * (domalloc's own names).  Unlike the rest of stats.*, these are read
 * live, not from the epoch snapshot:
 *   active	bytes of active pages of the arenas bound to node n
 *   resident	active plus dirty and muzzy pages of those arenas
 *   kernel	bytes of domalloc's memory the kernel reports on node n,
 *		estimated from a sample of one page in PA_NODE_STRIDE of
 *		every arena's address space (get_mempolicy per page)
 * On a machine without NUMA, node 0 holds everything.
 * Synchronization: each arena's page allocator lock in turn.
 */
#include <string.h>

#include "arena.h"
#include "ctl.h"
#include "pal.h"

static bool
ctl_nodes_index_ok(size_t ind)
{
	return (ind < pal_caps.nnodes);
}

/* Sum active and resident pages of the arenas of node n. */
static void
ctl_nodes_sum(size_t n, size_t *active, size_t *resident)
{
	struct arena *a;
	struct pa_stats s;
	unsigned i, cnt;

	*active = *resident = 0;
	cnt = atomic_load_explicit(&narenas_total, memory_order_acquire);
	for (i = 0; i < cnt; i++) {
		a = arena_get(i, false);
		if (a == NULL || (a->node != n &&
		    !(a->node == ARENA_NODE_NONE && n == 0)))
			continue;
		pa_stats_read(&a->pa, &s);
		*active += s.nactive * PAGE;
		*resident += (s.nactive + s.ndirty + s.nmuzzy) * PAGE;
	}
}

static int
ctl_nodes_n_active(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	size_t active, resident;

	(void)miblen;
	ctl_nodes_sum(mib[2], &active, &resident);
	return (ctl_ro_size(active, oldp, oldlenp, newp, newlen));
}

static int
ctl_nodes_n_resident(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	size_t active, resident;

	(void)miblen;
	ctl_nodes_sum(mib[2], &active, &resident);
	return (ctl_ro_size(resident, oldp, oldlenp, newp, newlen));
}

static int
ctl_nodes_n_kernel(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	size_t pages[PAL_MAX_NODES], v;
	struct arena *a;
	unsigned i, cnt;

	(void)miblen;
	memset(pages, 0, sizeof(pages));
	cnt = atomic_load_explicit(&narenas_total, memory_order_acquire);
	for (i = 0; i < cnt; i++) {
		a = arena_get(i, false);
		if (a != NULL)
			pa_node_pages(&a->pa, pages, PAL_MAX_NODES);
	}
	v = pages[mib[2]] * PAGE;
	return (ctl_ro_size(v, oldp, oldlenp, newp, newlen));
}

static const struct ctl_node ctl_nodes_n_children[] = {
	CTL_LEAF("active", ctl_nodes_n_active),
	CTL_LEAF("kernel", ctl_nodes_n_kernel),
	CTL_LEAF("resident", ctl_nodes_n_resident),
	CTL_END
};

const struct ctl_node ctl_stats_nodes_children[] = {
	CTL_INDEX(ctl_nodes_n_children, ctl_nodes_index_ok),
	CTL_END
};
