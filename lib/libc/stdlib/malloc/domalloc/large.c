/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * large.c: page-run and huge allocations (see large.h).
 */
#include <string.h>

#include "arena.h"
#include "large.h"
#include "msg.h"
#include "pa.h"
#include "sc.h"

void
large_stat(struct arena *arena, unsigned ind, bool alloc)
{
	struct arena_lstats *ls;

	if (!config_stats)
		return;
	ls = &arena->lstats[ind - SC_NBINS];
	atomic_fetch_add_explicit(alloc ? &ls->nmalloc : &ls->ndalloc, 1,
	    memory_order_relaxed);
}

unsigned
large_npages(size_t usize)
{
	return ((unsigned)((usize + PAGE - 1) >> LG_PAGE));
}

/* Record a run just taken at page pidx of sp for arena, and return it. */
static void *
large_run_done(struct arena *arena, struct sp *sp, unsigned pidx,
    unsigned npages, unsigned ind, size_t usize, bool zero, bool dirty)
{
	void *p = (void *)(sp->addr + ((size_t)pidx << LG_PAGE));

	sp_pmap_large(sp, pidx, npages, ind, arena->win);
	if (zero && dirty)
		memset(p, 0, usize);
	large_stat(arena, ind, true);
	pa_decay_tick(&arena->pa);
	return (p);
}

/*
 * From 2 MiB on, 2 MiB aligned as a huge span would be with 2 MiB
 * superpages (domalloc(3)), in a larger superpage too.
 */
static size_t
large_run_align(unsigned ind, size_t align)
{
	if (ind >= SC_HUGE_IND && align < GEOM_AMAP)
		align = GEOM_AMAP;
	return (align > PAGE ? align >> LG_PAGE : 1);
}

void *
large_alloc(struct arena *arena, size_t usize, size_t align, bool zero)
{
	struct sp *sp;
	unsigned ind = sc_index(usize), pidx, npages;
	bool dirty, zeroed;
	void *p;

	if (ind >= geom.huge_ind || align > SUPERPAGE / 2) {
		sp = pa_huge_alloc(&arena->pa, usize, align, &zeroed);
		if (sp == NULL)
			return (NULL);
		sp->usize = usize;
		p = (void *)sp->addr;
		if (zero && !zeroed)
			memset(p, 0, usize);
		large_stat(arena, ind, true);
		pa_decay_tick(&arena->pa);
		return (p);
	}
	npages = large_npages(usize);
	sp = pa_run_alloc(&arena->pa, npages, large_run_align(ind, align),
	    &pidx, &dirty);
	if (sp == NULL)
		return (NULL);
	return (large_run_done(arena, sp, pidx, npages, ind, usize, zero,
	    dirty));
}

/*
 * Threads of different arenas free each other's large objects whenever
 * objects travel between threads, and each arena then keeps its own
 * dirty pages until decay: in mstress (two threads, two arenas, objects
 * in shared slots) one arena held 30 MiB of dirty pages at the peak while
 * the other faulted in fresh ones, and peak RSS was 1.2 times what one
 * arena needs.  So a run that the thread's arena cannot cut from memory
 * it holds is looked for in the next few automatic arenas of its node,
 * in pages of theirs known to be dirty, before the thread's arena
 * gathers, takes clean memory or grows.  The run belongs to the arena it came from (the
 * superpage's), which its free returns it to.  Each attempt takes one
 * page allocator lock and never holds two.
 */
void *
large_alloc_shared(struct arena *arena, size_t usize, size_t align,
    bool zero)
{
	struct arena *a;
	struct sp *sp;
	size_t align_pages;
	unsigned ind = sc_index(usize), pidx, npages, k, n;
	bool dirty, hooked;

	if (ind >= geom.huge_ind || align > SUPERPAGE / 2 ||
	    arena->ind >= narenas_auto)
		return (large_alloc(arena, usize, align, zero));
	npages = large_npages(usize);
	align_pages = large_run_align(ind, align);
	sp = pa_run_alloc_resident(&arena->pa, npages, align_pages, false,
	    &pidx, &dirty, &hooked);
	/* The program supplies this arena's memory: it borrows none. */
	if (sp == NULL && hooked)
		return (large_alloc(arena, usize, align, zero));
	a = arena;
	n = DM_MIN(narenas_auto, LARGE_SHARE_ARENAS + 1);
	for (k = 1; sp == NULL && k < n; k++) {
		a = arena_get((arena->ind + k) % narenas_auto, false);
		if (a == NULL || a->node != arena->node)
			continue;
		sp = pa_run_alloc_resident(&a->pa, npages, align_pages, true,
		    &pidx, &dirty, &hooked);
	}
	if (sp == NULL)
		return (large_alloc(arena, usize, align, zero));
	return (large_run_done(a, sp, pidx, npages, ind, usize, zero, dirty));
}

size_t
large_usize(struct sp *sp, const void *p)
{
	if (sp->kind == SP_HUGE)
		return (sp->usize);
	return (sc_size[sp_class_at(sp, p, sp_pmap_of(sp, p)->e)]);
}

void
large_free(struct sp *sp, void *p)
{
	struct arena *arena = sp->arena;
	unsigned ind, pidx;

	if (sp->kind == SP_HUGE) {
		ind = sc_index(sp->usize);
		pa_huge_free(&arena->pa, sp);
	} else {
		pidx = sp_page(sp, p);
		ind = (unsigned)sp_class_at(sp, p, sp_pmap_page(sp, pidx)->e);
		pa_run_free(&arena->pa, sp, pidx, large_npages(sc_size[ind]));
	}
	large_stat(arena, ind, false);
	pa_decay_tick(&arena->pa);
}

bool
large_resize(struct sp *sp, void *p, size_t oldusize, size_t usize,
    bool zero, bool movable)
{
	struct arena *arena = sp->arena;
	unsigned pidx, oldpages, newpages, ind;
	bool dirty;

	if (usize == oldusize)
		return (true);
	ind = sc_index(usize);
	if (sp->kind == SP_HUGE) {
		if (ind < geom.huge_ind)
			return (false);
		if (!pa_huge_resize(&arena->pa, sp, usize, movable))
			return (false);
		if (zero && usize > oldusize)
			memset((char *)p + oldusize, 0, usize - oldusize);
		large_stat(arena, sc_index(oldusize), false);
		large_stat(arena, ind, true);
		return (true);
	}
	if (ind < SC_NBINS || ind >= geom.huge_ind)
		return (false);
	pidx = sp_page(sp, p);
	oldpages = large_npages(oldusize);
	newpages = large_npages(usize);
	if (newpages > oldpages) {
		if (!pa_run_grow(&arena->pa, sp, pidx, oldpages, newpages,
		    &dirty))
			return (false);
		/*
		 * Clean new pages are zero; the slack of the old last page
		 * (a class that is not a whole number of pages) may not be.
		 */
		if (zero)
			memset((char *)p + oldusize, 0, (dirty ? usize :
			    DM_MIN(usize, (size_t)oldpages << LG_PAGE)) -
			    oldusize);
	} else if (newpages < oldpages)
		pa_run_shrink(&arena->pa, sp, pidx, oldpages, newpages);
	else if (zero && usize > oldusize)
		/* The same pages: what it gains was never handed out. */
		memset((char *)p + oldusize, 0, usize - oldusize);
	sp_pmap_large(sp, pidx, newpages, ind, arena->win);
	large_stat(arena, sc_index(oldusize), false);
	large_stat(arena, ind, true);
	return (true);
}
