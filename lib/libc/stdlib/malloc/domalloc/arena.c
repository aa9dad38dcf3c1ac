/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * arena.c: arena creation, choice and the allocation paths that bypass
 * thread caches (see arena.h for ownership and locking).
 */
#include <string.h>

#include "arena.h"
#include "prof.h"
#include "base.h"
#include "conf.h"
#include "large.h"
#include "msg.h"
#include "pal.h"
#include "slab.h"
#include "sp.h"

struct arena *_Atomic	arenas[ARENA_LIMIT];
unsigned		narenas_auto;
_Atomic unsigned	narenas_total;
static struct mutex	arenas_lock = MUTEX_INITIALIZER(RANK_ARENAS);
/* Destroyed explicit arenas, lowest index first.  Under arenas_lock. */
static struct arena	*arenas_free;

static bool arena_numa_on;	/* read-only after arena_boot */

bool
arena_numa(void)
{
	return (arena_numa_on);
}

/*
 * The default is one arena per CPU, not jemalloc's four: with thread caches
 * that fill and flush in batches, a bin lock is taken once per batch, so
 * threads that share an arena contend little, while every arena keeps its
 * own partly used slabs and dirty pages.  8 threads on 2 CPUs (mstress)
 * peaked at 148-163 MB of RSS on 8 arenas and 104-114 MB on 2, no slower.
 */
unsigned
arena_count(unsigned n, unsigned ncpus, unsigned nnodes)
{
	if (n == 0)
		n = ncpus > 1 ? ncpus : 1;
	/* Every node gets the same number of arenas, at least one. */
	if (nnodes > 1)
		n = (n + nnodes - 1) / nnodes * nnodes;
	while (n > ARENA_LIMIT)
		n -= nnodes > 1 ? nnodes : 1;
	return (n);
}

unsigned
arena_node_of(unsigned i, unsigned nnodes)
{
	return (nnodes > 1 ? i % nnodes : 0);
}

bool
arena_boot(void)
{
	unsigned n, nn;

	arena_numa_on = pal_caps.numa && pal_caps.nnodes > 1 &&
	    (opt_numa == NUMA_PREFER || opt_numa == NUMA_BIND);
	nn = arena_numa_on ? pal_caps.nnodes : 1;
	n = arena_count(opt_narenas, pal_caps.ncpus, nn);
	narenas_auto = n;
	atomic_store_explicit(&narenas_total, n, memory_order_release);
	return (arena_get(0, true) != NULL);
}

/*
 * Set up arena a as index ind: new (zeroed base memory), or reused (a
 * destroyed arena, whose page allocator keeps its spare descriptors).
 */
static void
arena_init(struct arena *a, unsigned ind, bool reuse)
{
	unsigned i;

	for (i = 0; i < SC_NBINS; i++) {
		if (reuse)
			bin_reinit(&a->bins[i]);
		else
			bin_init(&a->bins[i]);
	}
	if (reuse)
		pa_reinit(&a->pa, a, opt_dirty_decay_ms, opt_muzzy_decay_ms);
	else
		pa_init(&a->pa, a, opt_dirty_decay_ms, opt_muzzy_decay_ms);
	memset(a->lstats, 0, sizeof(a->lstats));
	atomic_store_explicit(&a->prof_allocated, 0, memory_order_relaxed);
	a->next_free = NULL;
	a->ind = ind;
	/*
	 * Automatic arenas belong to a node (node 0 when NUMA is off);
	 * explicit ones are unbound until arena.<i>.numa_node is written.
	 */
	a->node = ind < narenas_auto ? 0 : ARENA_NODE_NONE;
	a->win = 0;
	if (arena_numa_on && ind < narenas_auto) {
		a->node = arena_node_of(ind, pal_caps.nnodes);
		a->win = (uint8_t)(a->node % PMAP_NWIN);
	}
	atomic_store_explicit(&a->nthreads, 0, memory_order_relaxed);
}

static struct arena *
arena_new(unsigned ind)
{
	struct arena *a;

	a = base_alloc(sizeof(*a));
	if (a != NULL)
		arena_init(a, ind, false);
	return (a);
}

struct arena *
arena_get(unsigned ind, bool create)
{
	struct arena *a;

	if (ind >= ARENA_LIMIT)
		return (NULL);
	a = atomic_load_explicit(&arenas[ind], memory_order_acquire);
	if (a != NULL && atomic_load_explicit(&a->destroyed,
	    memory_order_relaxed))
		return (NULL);
	if (a != NULL || !create)
		return (a);
	mutex_lock(&arenas_lock);
	a = atomic_load_explicit(&arenas[ind], memory_order_relaxed);
	if (a == NULL && ind < atomic_load_explicit(&narenas_total,
	    memory_order_relaxed)) {
		a = arena_new(ind);
		if (a != NULL)
			atomic_store_explicit(&arenas[ind], a,
			    memory_order_release);
	}
	mutex_unlock(&arenas_lock);
	return (a);
}

struct arena *
arena_create_explicit(struct extent_hooks_s *hooks)
{
	struct arena *a;
	unsigned ind;

	mutex_lock(&arenas_lock);
	if ((a = arenas_free) != NULL) {
		/* Its pa keeps the descriptors it had (pa_destroy). */
		arenas_free = a->next_free;
		arena_init(a, a->ind, true);
		a->pa.hooks = hooks;
		atomic_store_explicit(&a->destroyed, false,
		    memory_order_release);
		mutex_unlock(&arenas_lock);
		return (a);
	}
	ind = atomic_load_explicit(&narenas_total, memory_order_relaxed);
	if (ind >= ARENA_LIMIT) {
		mutex_unlock(&arenas_lock);
		return (NULL);
	}
	a = arena_new(ind);
	if (a != NULL) {
		a->pa.hooks = hooks;
		atomic_store_explicit(&arenas[ind], a, memory_order_release);
		atomic_store_explicit(&narenas_total, ind + 1,
		    memory_order_release);
	}
	mutex_unlock(&arenas_lock);
	return (a);
}

/* Large objects discarded by a reset count as freed. */
static void
arena_lstats_reset(struct arena *arena)
{
	struct arena_lstats *ls;
	unsigned i;

	for (i = 0; i < SC_NSIZES - SC_NBINS; i++) {
		ls = &arena->lstats[i];
		atomic_store_explicit(&ls->ndalloc, atomic_load_explicit(
		    &ls->nmalloc, memory_order_relaxed), memory_order_relaxed);
	}
}

static void
arena_bins_reset(struct arena *arena)
{
	struct bin *bin;
	unsigned i;

	for (i = 0; i < SC_NBINS; i++) {
		bin = &arena->bins[i];
		mutex_lock(&bin->lock);
		bin->cur = NULL;
		TAILQ_INIT(&bin->nonfull);
		/* The discarded objects count as freed. */
		bin->stats.ndalloc += bin->stats.curregs;
		bin->stats.curregs = 0;
		bin->stats.curslabs = 0;
		bin->stats.nonfull = 0;
		mutex_unlock(&bin->lock);
	}
}

bool
arena_reset(struct arena *arena)
{
	if (arena->ind < narenas_auto ||
	    atomic_load_explicit(&arena->destroyed, memory_order_acquire))
		return (false);
	prof_arena_reset(arena);
	arena_bins_reset(arena);
	arena_lstats_reset(arena);
	pa_reset(&arena->pa);
	return (true);
}

bool
arena_destroy_begin(struct arena *arena)
{
	if (arena->ind < narenas_auto ||
	    atomic_exchange_explicit(&arena->destroyed, true,
	    memory_order_acq_rel))
		return (false);
	prof_arena_reset(arena);
	arena_bins_reset(arena);
	arena_lstats_reset(arena);
	return (true);
}

void
arena_destroy_end(struct arena *arena)
{
	struct arena **pp;

	pa_destroy(&arena->pa);
	mutex_lock(&arenas_lock);
	for (pp = &arenas_free; *pp != NULL && (*pp)->ind < arena->ind;
	    pp = &(*pp)->next_free)
		continue;
	arena->next_free = *pp;
	*pp = arena;
	mutex_unlock(&arenas_lock);
}

/*
 * The automatic arena with the fewest threads; an arena not created yet
 * counts as empty and wins at once.
 */
bool
arena_set_node(struct arena *arena, unsigned node)
{
	if (node >= pal_caps.nnodes)
		return (false);
	mutex_lock(&arena->pa.lock);
	arena->node = node;
	arena->win = (uint8_t)(node % PMAP_NWIN);
	mutex_unlock(&arena->pa.lock);
	return (true);
}

void
arena_numa_reconfigure(void)
{
	struct arena *a;
	unsigned i;

	arena_numa_on = pal_caps.numa && pal_caps.nnodes > 1 &&
	    (opt_numa == NUMA_PREFER || opt_numa == NUMA_BIND);
	for (i = 0; i < narenas_auto; i++) {
		a = arena_get(i, true);
		if (a == NULL)
			continue;
		if (arena_numa_on)
			arena_set_node(a, arena_node_of(i, pal_caps.nnodes));
		else {
			a->node = 0;
			a->win = 0;
		}
	}
}

struct arena *
arena_choose(unsigned node)
{
	struct arena *a, *best = NULL;
	unsigned i, n, bestn = ~0u, step = 1, first = 0;

	if (arena_numa_on && node < pal_caps.nnodes) {
		/* Arena i belongs to node i % nnodes. */
		first = node;
		step = pal_caps.nnodes;
	}
	for (i = first; i < narenas_auto; i += step) {
		a = atomic_load_explicit(&arenas[i], memory_order_acquire);
		if (a == NULL) {
			a = arena_get(i, true);
			if (a == NULL)
				break;
		}
		n = atomic_load_explicit(&a->nthreads, memory_order_relaxed);
		if (n < bestn) {
			best = a;
			bestn = n;
			if (n == 0)
				break;
		}
	}
	if (best == NULL)
		best = arena_get(0, true);
	if (best != NULL)
		atomic_fetch_add_explicit(&best->nthreads, 1,
		    memory_order_relaxed);
	return (best);
}

void *
arena_malloc(struct arena *arena, size_t usize, size_t align, bool zero)
{
	unsigned ind;
	void *p;

	ind = sc_index(usize);
	if (ind >= SC_NBINS || align > PAGE)
		return (large_alloc(arena, usize, align, zero));
	if (bin_fill_local(arena, ind, &p, 1) != 1)
		return (NULL);
	if (config_stats) {
		mutex_lock(&arena->bins[ind].lock);
		arena->bins[ind].stats.nrequests++;
		mutex_unlock(&arena->bins[ind].lock);
	}
	if (zero)
		memset(p, 0, usize);
	return (p);
}

void
arena_dalloc_small(struct sp *sp, void *p)
{
	struct slab *s = sp->slab[sp_page(sp, p)];

	bin_dalloc_batch(s->arena, s->sc, &p, 1, 0);
}

void
arena_prefork(void)
{
	unsigned i, j, n;
	struct arena *a;

	mutex_lock(&arenas_lock);
	n = atomic_load_explicit(&narenas_total, memory_order_relaxed);
	for (i = 0; i < n; i++) {
		a = atomic_load_explicit(&arenas[i], memory_order_relaxed);
		if (a == NULL)
			continue;
		for (j = 0; j < SC_NBINS; j++)
			bin_prefork(&a->bins[j]);
		pa_prefork(&a->pa);
	}
}

void
arena_postfork_parent(void)
{
	unsigned i, j, n;
	struct arena *a;

	n = atomic_load_explicit(&narenas_total, memory_order_relaxed);
	for (i = 0; i < n; i++) {
		a = atomic_load_explicit(&arenas[i], memory_order_relaxed);
		if (a == NULL)
			continue;
		pa_postfork_parent(&a->pa);
		for (j = 0; j < SC_NBINS; j++)
			bin_postfork_parent(&a->bins[j]);
	}
	mutex_unlock(&arenas_lock);
}

void
arena_postfork_child(void)
{
	unsigned i, j, n;
	struct arena *a;

	n = atomic_load_explicit(&narenas_total, memory_order_relaxed);
	for (i = 0; i < n; i++) {
		a = atomic_load_explicit(&arenas[i], memory_order_relaxed);
		if (a == NULL)
			continue;
		pa_postfork_child(&a->pa);
		for (j = 0; j < SC_NBINS; j++)
			bin_postfork_child(&a->bins[j]);
		atomic_store_explicit(&a->nthreads, 0, memory_order_relaxed);
	}
	mutex_postfork_child(&arenas_lock);
}
