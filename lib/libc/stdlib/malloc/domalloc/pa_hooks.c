/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * pa_hooks.c: the default extent hooks, jemalloc's extent_hooks_t over
 * the platform layer: what the page allocator does when an arena has no
 * hooks of its own (pa.h), as functions that arena.<i>.extent_hooks hands
 * out so that a program can wrap them (ctl_arena.c).  Memory is always
 * committed; split and merge always succeed; mapping at a given address
 * is not offered.  No state, no locking.
 */
#include <stdbool.h>
#include <stddef.h>

#include "malloc_np.h"
#include "pa.h"
#include "pal.h"
#include "sc.h"
#include "util.h"

static void *
pa_hook_alloc(extent_hooks_t *h, void *new_addr, size_t size, size_t align,
    bool *zero, bool *commit, unsigned ind)
{
	void *p;

	(void)h;
	(void)ind;
	/* Mapping at a given address is not offered: "cannot". */
	if (new_addr != NULL)
		return (NULL);
	p = pal_map(size, DM_MAX(align, PAGE));
	if (p == NULL)
		return (NULL);
	*zero = true;
	*commit = true;
	return (p);
}

static bool
pa_hook_dalloc(extent_hooks_t *h, void *addr, size_t size, bool committed,
    unsigned ind)
{
	(void)h;
	(void)committed;
	(void)ind;
	pal_unmap(addr, size);
	return (false);
}

static void
pa_hook_destroy(extent_hooks_t *h, void *addr, size_t size, bool committed,
    unsigned ind)
{
	(void)h;
	(void)committed;
	(void)ind;
	pal_unmap(addr, size);
}

/* Memory is always committed: commit succeeds, decommit opts out. */
static bool
pa_hook_commit(extent_hooks_t *h, void *addr, size_t size, size_t off,
    size_t len, unsigned ind)
{
	(void)h;
	(void)addr;
	(void)size;
	(void)off;
	(void)len;
	(void)ind;
	return (false);
}

static bool
pa_hook_decommit(extent_hooks_t *h, void *addr, size_t size, size_t off,
    size_t len, unsigned ind)
{
	(void)h;
	(void)addr;
	(void)size;
	(void)off;
	(void)len;
	(void)ind;
	return (true);
}

static bool
pa_hook_purge_lazy(extent_hooks_t *h, void *addr, size_t size, size_t off,
    size_t len, unsigned ind)
{
	(void)h;
	(void)size;
	(void)ind;
	if (!pal_caps.purge_lazy)
		return (true);
	pal_purge_lazy((char *)addr + off, len);
	return (false);
}

static bool
pa_hook_purge_forced(extent_hooks_t *h, void *addr, size_t size,
    size_t off, size_t len, unsigned ind)
{
	(void)h;
	(void)size;
	(void)ind;
	pal_purge_forced((char *)addr + off, len);
	return (false);
}

static bool
pa_hook_split(extent_hooks_t *h, void *addr, size_t size, size_t size_a,
    size_t size_b, bool committed, unsigned ind)
{
	(void)h;
	(void)addr;
	(void)size;
	(void)size_a;
	(void)size_b;
	(void)committed;
	(void)ind;
	return (false);
}

static bool
pa_hook_merge(extent_hooks_t *h, void *addr_a, size_t size_a, void *addr_b,
    size_t size_b, bool committed, unsigned ind)
{
	(void)h;
	(void)addr_a;
	(void)size_a;
	(void)addr_b;
	(void)size_b;
	(void)committed;
	(void)ind;
	return (false);
}

extent_hooks_t pa_hooks_default = {
	pa_hook_alloc,
	pa_hook_dalloc,
	pa_hook_destroy,
	pa_hook_commit,
	pa_hook_decommit,
	pa_hook_purge_lazy,
	pa_hook_purge_forced,
	pa_hook_split,
	pa_hook_merge
};
