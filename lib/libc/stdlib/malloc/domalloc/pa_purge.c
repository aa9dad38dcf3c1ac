/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * pa_purge.c: purging and decay of one arena's unused pages.
 *
 * It owns the path from dirty pages to muzzy or clean ones: picking
 * victims on the LRU (whole free spans first, then the dirty pages of
 * runs superpages), the madvise or extent hook calls, their booking, the
 * two decay curves that say how much is due, and the periodic tick of the
 * slow path.  The system calls are made without the lock; pa.h states
 * what a purge in flight owns and what everyone else may do meanwhile.
 *
 * Synchronization: every function here takes pa->lock (RANK_PA) itself
 * unless its name ends in _locked, and the _locked ones drop it around
 * the system calls; callers may hold a bin lock (RANK_BIN).
 */
#include <stdatomic.h>

#include <malloc_np.h>

#include "arena.h"
#include "conf.h"
#include "hpage.h"
#include "msg.h"
#include "pa.h"
#include "pa_int.h"
#include "pal.h"

#define	PA_TICK_MASK	63
#define	PA_VICTIMS	32

/* Lazy purge: afterwards the range holds its old bytes or zeros. */
static bool
pa_os_purge_lazy(struct pa *pa, uintptr_t addr, size_t size)
{
	extent_hooks_t *h = pa->hooks;

	if (h == NULL) {
		pal_purge_lazy((void *)addr, size);
		return (true);
	}
	if (h->purge_lazy != NULL && !h->purge_lazy(h, (void *)addr, size, 0,
	    size, pa_ind(pa)))
		return (true);
	return (pa_os_purge(pa, addr, size));
}

/*
 * A victim: a whole free span (n == 0) or n pages of a runs superpage
 * from page start, taken out of reach under the lock (pa.h, "Purges in
 * flight"), purged without it, booked under it again.
 */
struct pa_victim {
	struct sp	*sp;
	unsigned	start, n;	/* runs: the page range */
	size_t		npages;		/* span: its dirty or muzzy pages */
	bool		lazy;		/* span: dirty to muzzy */
	bool		unhuge;		/* withdraw MADV_HUGEPAGE too */
	bool		ok;
};

/*
 * Purged memory that still carries MADV_HUGEPAGE would be collapsed back
 * into whole huge pages by khugepaged while the process sleeps, so under
 * opt.thp default a forced purge withdraws the advice (hpage.h gives it
 * again when the memory is used densely).
 */
static bool
pa_unhuge_wanted(struct pa *pa)
{
	return (pa->hooks == NULL && hpage_enabled() && opt_thp == THP_DEFAULT);
}

/* Take a whole free span; returns its pages. */
static size_t
pa_take_span(struct pa *pa, struct sp *sp, bool lazy, struct pa_victim *v)
{
	size_t *ctr = pa_counter(pa, sp);

	DM_ASSERT(sp->kind == SP_FREE && sp->dirty && !sp->busy);
	pa_unlist(pa, sp);
	pa_lru_remove(pa, sp);
	sp->busy = true;
	v->sp = sp;
	v->start = v->n = 0;
	v->npages = sp->ndirty;
	*ctr -= DM_MIN(*ctr, sp->ndirty);
	v->lazy = lazy && !sp->muzzy && pa->decay_muzzy.ms != 0;
	v->unhuge = !v->lazy && pa_unhuge_wanted(pa);
	return (sp->ndirty);
}

/*
 * Take the dirty ranges of a runs superpage, at most room of them: they
 * move from dirtymap to used and purging.  Returns how many victims.
 */
static unsigned
pa_take_runs(struct pa *pa, struct sp *sp, struct pa_victim *v, unsigned room,
    size_t *pages)
{
	unsigned s, e, k = 0;

	s = bm_next(sp->dirtymap, 0, true);
	while (s < SP_NPAGES && k < room) {
		e = bm_next(sp->dirtymap, s, false);
		DM_ASSERT(bm_count_range(sp->used, s, e - s) == 0);
		bm_clear_range(sp->dirtymap, s, e - s);
		/* Dirty pages are free: their free run holds them. */
		sp_runs_take(sp, s, e - s, bm_free_start(sp->used, s),
		    bm_next(sp->used, s, true));
		bm_set_range(sp->purging, s, e - s);
		sp->nused += (uint16_t)(e - s);
		sp->nsdirty -= (uint16_t)(e - s);
		sp->npurging += (uint16_t)(e - s);
		pa->stats.ndirty -= DM_MIN(pa->stats.ndirty, e - s);
		v[k].sp = sp;
		v[k].start = s;
		v[k].n = e - s;
		v[k].npages = e - s;
		v[k].lazy = false;
		/* Once per superpage: the advice covers all of it. */
		v[k].unhuge = k == 0 && sp->hugified && pa_unhuge_wanted(pa);
		*pages += e - s;
		k++;
		s = bm_next(sp->dirtymap, e, true);
	}
	if (sp->nsdirty == 0)
		pa_lru_remove(pa, sp);
	pa_list_runs(pa, sp);
	return (k);
}

static void
pa_book_span(struct pa *pa, struct pa_victim *v)
{
	struct sp *sp = v->sp;
	size_t n = v->npages;

	DM_ASSERT(sp->kind == SP_FREE && sp->busy && sp->ndirty == n);
	sp->busy = false;
	if (!v->ok) {
		/* Still dirty (or muzzy): charged again, listed again. */
		pa->purge_failed = true;
		*pa_counter(pa, sp) += n;
		pa_free_insert(pa, sp);
		return;
	}
	if (sp->muzzy) {
		pa->stats.muzzy_nmadvise++;
		pa->stats.muzzy_npurged += n;
	} else {
		pa->stats.nmadvise++;
		pa->stats.npurged += n;
	}
	sp->dmap_valid = false;
	if (v->lazy) {
		sp->muzzy = true;
		pa->stats.nmuzzy += n;
	} else {
		pa->stats.nretained_sp += sp->nsp;
		sp->dirty = false;
		sp->muzzy = false;
		sp->ndirty = 0;
	}
	pa_free_insert(pa, sp);
}

static void
pa_book_runs(struct pa *pa, struct pa_victim *v)
{
	struct sp *sp = v->sp;
	size_t nd;

	DM_ASSERT(sp->kind == SP_RUNS && sp->npurging >= v->n &&
	    bm_count_range(sp->purging, v->start, v->n) == v->n &&
	    bm_count_range(sp->used, v->start, v->n) == v->n);
	bm_clear_range(sp->purging, v->start, v->n);
	sp_runs_give(sp, v->start, v->n);
	sp->npurging -= (uint16_t)v->n;
	sp->nused -= (uint16_t)v->n;
	if (v->ok && v->unhuge && sp->hugified) {
		sp->hugified = false;
		pa->stats.nhugified_sp -= DM_MIN(pa->stats.nhugified_sp, 1);
	}
	if (v->ok) {
		pa->stats.npurged += v->n;
		pa->stats.nmadvise++;
	} else {
		/* The pages may still be resident: dirty again. */
		bm_set_range(sp->dirtymap, v->start, v->n);
		sp->nsdirty += (uint16_t)v->n;
		pa->stats.ndirty += v->n;
		pa->purge_failed = true;
	}
	if (sp->nused == 0) {
		/* Everything else was freed meanwhile: a free span now. */
		nd = sp->nsdirty;
		pa_unlist(pa, sp);
		pa_lru_remove(pa, sp);
		pa->stats.ndirty -= DM_MIN(pa->stats.ndirty, nd);
		pa->stats.nruns_sp--;
		sp->nsdirty = 0;
		pa_span_release(pa, sp, nd);
		return;
	}
	pa_list_runs(pa, sp);
	if (sp->nsdirty != 0)
		pa_lru_add(pa, sp);
}

/*
 * Before taking victims: wait while a reset, a destroy or a fork waits
 * for the purges in flight (so that they end), then count this one in.
 */
static void
pa_purge_begin(struct pa *pa)
{
	while (pa->nwaiters != 0) {
		mutex_unlock(&pa->lock);
		pal_yield();
		mutex_lock(&pa->lock);
	}
	pa->npurging++;
}

/* Make the system calls for victims, without the lock, then book them. */
static void
pa_purge_victims(struct pa *pa, struct pa_victim *v, unsigned n)
{
	unsigned i;
	uintptr_t a;
	size_t len;

	mutex_unlock(&pa->lock);
	for (i = 0; i < n; i++) {
		if (v[i].n == 0) {
			a = v[i].sp->addr;
			len = v[i].sp->nsp << LG_SUPERPAGE;
		} else {
			a = v[i].sp->addr + ((size_t)v[i].start << LG_PAGE);
			len = (size_t)v[i].n << LG_PAGE;
		}
		v[i].ok = v[i].lazy ? pa_os_purge_lazy(pa, a, len) :
		    pa_os_purge(pa, a, len);
		if (v[i].ok && v[i].unhuge)
			pal_hugepage((void *)v[i].sp->addr, v[i].n == 0 ?
			    v[i].sp->nsp << LG_SUPERPAGE : SUPERPAGE, false);
	}
	mutex_lock(&pa->lock);
	for (i = 0; i < n; i++) {
		if (v[i].n == 0)
			pa_book_span(pa, &v[i]);
		else
			pa_book_runs(pa, &v[i]);
	}
}

static void
pa_purge_end(struct pa *pa)
{
	DM_ASSERT(pa->npurging != 0);
	pa->npurging--;
	if (config_debug)
		pa_check_locked(pa);
	/* retain:false: purged whole spans give their address space back. */
	if (!opt_retain)
		pa_unmap_clean_locked(pa);
}

void
pa_wait_purges(struct pa *pa)
{
	pa->nwaiters++;
	while (pa->npurging != 0) {
		mutex_unlock(&pa->lock);
		pal_yield();
		mutex_lock(&pa->lock);
	}
	pa->nwaiters--;
}

void
pa_purge_locked(struct pa *pa, size_t want, bool all)
{
	struct pa_victim v[PA_VICTIMS];
	struct sp *sp, *next;
	size_t done = 0;
	unsigned n;

	pa->stats.npurge++;
	pa_purge_begin(pa);
	pa->purge_failed = false;
	while (done < want && !pa->purge_failed) {
		n = 0;
		for (sp = TAILQ_FIRST(&pa->lru); sp != NULL && done < want &&
		    n < PA_VICTIMS; sp = next) {
			next = TAILQ_NEXT(sp, dlink);
			if (sp->kind == SP_FREE)
				done += pa_take_span(pa, sp, !all, &v[n++]);
		}
		for (sp = TAILQ_FIRST(&pa->lru); sp != NULL && done < want &&
		    n < PA_VICTIMS; sp = next) {
			next = TAILQ_NEXT(sp, dlink);
			if (sp->kind == SP_RUNS && (all || hpage_may_purge(sp)))
				n += pa_take_runs(pa, sp, &v[n],
				    PA_VICTIMS - n, &done);
		}
		if (n == 0)
			break;
		pa_purge_victims(pa, v, n);
	}
	pa_purge_end(pa);
}

static void pa_decay_dirty_locked(struct pa *pa, uint64_t now);

/* Muzzy spans to clean, oldest first. */
static void
pa_purge_muzzy_locked(struct pa *pa, size_t want)
{
	struct pa_victim v[PA_VICTIMS];
	struct sp *sp, *next;
	size_t done = 0;
	unsigned n;

	pa->stats.muzzy_npurge++;
	pa_purge_begin(pa);
	pa->purge_failed = false;
	while (done < want && !pa->purge_failed) {
		n = 0;
		for (sp = TAILQ_FIRST(&pa->lru_muzzy); sp != NULL &&
		    done < want && n < PA_VICTIMS; sp = next) {
			next = TAILQ_NEXT(sp, dlink);
			done += pa_take_span(pa, sp, false, &v[n++]);
		}
		if (n == 0)
			break;
		pa_purge_victims(pa, v, n);
	}
	pa_purge_end(pa);
}

static void
pa_decay_muzzy_locked(struct pa *pa, uint64_t now)
{
	size_t limit;

	if (pa->decay_muzzy.ms == 0) {
		if (pa->stats.nmuzzy != 0)
			pa_purge_muzzy_locked(pa, SIZE_MAX);
		return;
	}
	if (!decay_step(&pa->decay_muzzy, now, pa->stats.nmuzzy))
		return;
	limit = decay_limit(&pa->decay_muzzy);
	if (pa->stats.nmuzzy > limit)
		pa_purge_muzzy_locked(pa, pa->stats.nmuzzy - limit);
	decay_purged(&pa->decay_muzzy, pa->stats.nmuzzy);
}

static void
pa_decay_locked(struct pa *pa, uint64_t now)
{
	pa_decay_muzzy_locked(pa, now);
	pa_decay_dirty_locked(pa, now);
}

static void
pa_decay_dirty_locked(struct pa *pa, uint64_t now)
{
	size_t limit;

	if (pa->decay.ms == 0) {
		if (pa->stats.ndirty != 0)
			pa_purge_locked(pa, SIZE_MAX, false);
		return;
	}
	if (!decay_step(&pa->decay, now, pa->stats.ndirty))
		return;
	limit = decay_limit(&pa->decay);
	if (pa->stats.ndirty > limit)
		pa_purge_locked(pa, pa->stats.ndirty - limit, false);
	decay_purged(&pa->decay, pa->stats.ndirty);
}

_Atomic int	pa_bg_state;
_Atomic bool	pa_bg_wanted;

/* Ask for the background threads if the policy wants them now (pa.h). */
static void
pa_bg_ask(struct pa *pa)
{
	if (atomic_load_explicit(&pa_bg_state, memory_order_relaxed) !=
	    PA_BG_OFF)
		return;
	if (opt_background_thread ||
	    (!opt_background_thread_set &&
	    (pa->stats.ndirty * PAGE >= PA_BG_DIRTY ||
	    pa->nhpend >= PA_BG_HPEND)))
		atomic_store_explicit(&pa_bg_wanted, true,
		    memory_order_relaxed);
}

void
pa_decay_tick(struct pa *pa)
{
	uint64_t now;

	if ((atomic_fetch_add_explicit(&pa->ticks, 1, memory_order_relaxed) &
	    PA_TICK_MASK) != 0)
		return;
	pa_bg_ask(pa);
	now = pal_clock_ns();
	/* Without a background thread, the slow path hugifies a little. */
	if (pa->nhpend != 0 && atomic_load(&pa_bg_state) != PA_BG_RUNNING) {
		mutex_lock(&pa->lock);
		hpage_tick(pa, now, PA_HUGIFY_BUDGET);
		mutex_unlock(&pa->lock);
	}
	if (pa->decay.ms < 0)
		return;
	if (pa->decay.ms > 0 &&
	    now < pa->decay.epoch_ns + pa->decay.interval_ns)
		return;
	mutex_lock(&pa->lock);
	pa_decay_locked(pa, now);
	mutex_unlock(&pa->lock);
}

void
pa_decay_run(struct pa *pa)
{
	mutex_lock(&pa->lock);
	pa_decay_locked(pa, pal_clock_ns());
	mutex_unlock(&pa->lock);
}

uint64_t
pa_hugify_run(struct pa *pa)
{
	uint64_t wait;

	/* A few superpages per lock hold: collapsing copies memory. */
	do {
		mutex_lock(&pa->lock);
		wait = hpage_tick(pa, pal_clock_ns(), PA_HUGIFY_BUDGET);
		mutex_unlock(&pa->lock);
	} while (wait == 1);
	return (wait);
}

void
pa_decay_set(struct pa *pa, int64_t ms)
{
	mutex_lock(&pa->lock);
	decay_init(&pa->decay, ms, pal_clock_ns());
	decay_purged(&pa->decay, pa->stats.ndirty);
	if (ms == 0)
		pa_purge_locked(pa, SIZE_MAX, false);
	mutex_unlock(&pa->lock);
}

void
pa_muzzy_decay_set(struct pa *pa, int64_t ms)
{
	mutex_lock(&pa->lock);
	decay_init(&pa->decay_muzzy, ms, pal_clock_ns());
	decay_purged(&pa->decay_muzzy, pa->stats.nmuzzy);
	if (ms == 0)
		pa_purge_muzzy_locked(pa, SIZE_MAX);
	mutex_unlock(&pa->lock);
}

void
pa_purge_all(struct pa *pa)
{
	mutex_lock(&pa->lock);
	pa_purge_locked(pa, SIZE_MAX, true);
	pa_purge_muzzy_locked(pa, SIZE_MAX);
	decay_purged(&pa->decay_muzzy, pa->stats.nmuzzy);
	decay_purged(&pa->decay, pa->stats.ndirty);
	mutex_unlock(&pa->lock);
}
