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

static void
large_stat(struct arena *arena, unsigned ind, bool alloc)
{
	struct arena_lstats *ls;

	if (!config_stats)
		return;
	ls = &arena->lstats[ind - SC_NBINS];
	atomic_fetch_add_explicit(alloc ? &ls->nmalloc : &ls->ndalloc, 1,
	    memory_order_relaxed);
}

void *
large_alloc(struct arena *arena, size_t usize, size_t align, bool zero)
{
	struct sp *sp;
	unsigned ind = sc_index(usize), pidx, k, npages;
	bool dirty, zeroed;
	void *p;

	if (ind >= SC_HUGE_IND || align > SUPERPAGE / 2) {
		sp = pa_huge_alloc(&arena->pa, usize, align, &zeroed);
		if (sp == NULL)
			return (NULL);
		sp->usize = usize;
		p = (void *)sp->addr;
		if (zero && !zeroed)
			memset(p, 0, usize);
	} else {
		npages = (unsigned)(usize >> LG_PAGE);
		sp = pa_run_alloc(&arena->pa, npages,
		    align > PAGE ? align >> LG_PAGE : 1, &pidx, &dirty);
		if (sp == NULL)
			return (NULL);
		p = (void *)(sp->addr + ((size_t)pidx << LG_PAGE));
		sp->pmap[pidx] = pmap_ent(ind, arena->win, 0, (uintptr_t)p);
		for (k = 1; k < npages; k++)
			sp->pmap[pidx + k] = PMAP_SLOW_ENT;
		if (zero && dirty)
			memset(p, 0, usize);
	}
	large_stat(arena, ind, true);
	pa_decay_tick(&arena->pa);
	return (p);
}

size_t
large_usize(struct sp *sp, const void *p)
{
	if (sp->kind == SP_HUGE)
		return (sp->usize);
	return (sc_size[PMAP_CLASS(sp->pmap[sp_page(sp, p)].e)]);
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
		ind = (unsigned)PMAP_CLASS(sp->pmap[pidx].e);
		pa_run_free(&arena->pa, sp, pidx, sc_size[ind] >> LG_PAGE);
	}
	large_stat(arena, ind, false);
	pa_decay_tick(&arena->pa);
}

bool
large_resize(struct sp *sp, void *p, size_t oldusize, size_t usize,
    bool zero, bool movable)
{
	struct arena *arena = sp->arena;
	unsigned pidx, k, oldpages, newpages, ind;
	bool dirty;

	if (usize == oldusize)
		return (true);
	ind = sc_index(usize);
	if (sp->kind == SP_HUGE) {
		if (ind < SC_HUGE_IND)
			return (false);
		if (!pa_huge_resize(&arena->pa, sp, usize, movable))
			return (false);
		if (zero && usize > oldusize)
			memset((char *)p + oldusize, 0, usize - oldusize);
		large_stat(arena, sc_index(oldusize), false);
		large_stat(arena, ind, true);
		return (true);
	}
	if (ind < SC_NBINS || ind >= SC_HUGE_IND)
		return (false);
	pidx = sp_page(sp, p);
	oldpages = (unsigned)(oldusize >> LG_PAGE);
	newpages = (unsigned)(usize >> LG_PAGE);
	if (newpages > oldpages) {
		if (!pa_run_grow(&arena->pa, sp, pidx, oldpages, newpages,
		    &dirty))
			return (false);
		for (k = oldpages; k < newpages; k++)
			sp->pmap[pidx + k] = PMAP_SLOW_ENT;
		if (zero && dirty)
			memset((char *)p + oldusize, 0, usize - oldusize);
	} else
		pa_run_shrink(&arena->pa, sp, pidx, oldpages, newpages);
	sp->pmap[pidx] = pmap_ent(ind, arena->win, 0, (uintptr_t)p);
	large_stat(arena, sc_index(oldusize), false);
	large_stat(arena, ind, true);
	return (true);
}
