/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * pa.c: the page allocator of one arena (see pa.h for what it owns and
 * how it locks): free spans, page runs inside superpages, huge spans,
 * growth, extent hooks, reset and destroy.  Purging and decay are in
 * pa_purge.c, gathering adjacent free spans in pa_gather.c.
 */
#include <string.h>

#include <malloc_np.h>

#include "amap.h"
#include "arena.h"
#include "base.h"
#include "bg.h"
#include "conf.h"
#include "hpage.h"
#include "msg.h"
#include "pa.h"
#include "pa_int.h"
#include "pal.h"
#include "slab.h"

/* Growth: geom.grow_min_sp superpages, doubling up to grow_max_sp. */

static unsigned
pa_bucket(size_t n)
{
	unsigned b = sc_index4(n << SC_LG_QUANTUM);

	return (b < PA_NFREEB ? b : PA_NFREEB - 1);
}

/*
 * The bucket of a runs superpage whose longest free run is n pages: one
 * bucket per length up to PA_RUNB_EXACT, then four per doubling.
 */
static unsigned
pa_run_bucket(size_t n)
{
	if (n <= PA_RUNB_EXACT)
		return ((unsigned)n - 1);
	return (PA_RUNB_EXACT / 2 + sc_index4(n << SC_LG_QUANTUM));
}

static size_t
pa_pages(size_t size)
{
	return ((size + PAGE - 1) >> LG_PAGE);
}

struct sp *
pa_desc_get(struct pa *pa)
{
	struct sp *sp;

	sp = TAILQ_FIRST(&pa->spare);
	if (sp != NULL) {
		TAILQ_REMOVE(&pa->spare, sp, blink);
	} else {
		sp = base_alloc(geom.sp_size);
		if (sp == NULL)
			return (NULL);
	}
	sp_desc_init(sp);
	sp->arena = pa->arena;
	sp->bucket = PA_NOBUCKET;
	return (sp);
}

void
pa_desc_put(struct pa *pa, struct sp *sp)
{
	sp->kind = SP_FREE;
	sp->nsp = 0;
	TAILQ_INSERT_HEAD(&pa->spare, sp, blink);
}

/* Empty every list of spans: buckets, LRUs and the hugify queue. */
static void
pa_lists_init(struct pa *pa)
{
	unsigned i;

	for (i = 0; i < PA_NRUNB; i++)
		TAILQ_INIT(&pa->runs[i]);
	pa->runs_nonempty = 0;
	for (i = 0; i < PA_NFREEB; i++) {
		TAILQ_INIT(&pa->free_dirty[i]);
		TAILQ_INIT(&pa->free_muzzy[i]);
		TAILQ_INIT(&pa->free_clean[i]);
	}
	memset(pa->dirty_nonempty, 0, sizeof(pa->dirty_nonempty));
	memset(pa->muzzy_nonempty, 0, sizeof(pa->muzzy_nonempty));
	memset(pa->clean_nonempty, 0, sizeof(pa->clean_nonempty));
	TAILQ_INIT(&pa->lru);
	TAILQ_INIT(&pa->lru_muzzy);
	TAILQ_INIT(&pa->hpend);
}

/*
 * Everything but the lock: a thread that looked the arena up before it
 * was destroyed (ctl, a background thread, statistics) may be waiting
 * for the lock or holding it, so the lock is never reinitialised, and the
 * rest is reset under it.  The spare descriptors, slab descriptors and
 * chunk records stay for the arena's next life.
 */
void
pa_reinit(struct pa *pa, struct arena *arena, int64_t decay_ms,
    int64_t muzzy_decay_ms)
{
	mutex_lock(&pa->lock);
	DM_ASSERT(pa->chunks == NULL && pa->npurging == 0);
	pa->arena = arena;
	pa_lists_init(pa);
	pa->nhpend = 0;
	pa->large_ns = 0;
	pa->grow_nsp = geom.grow_min_sp;
	decay_init(&pa->decay, decay_ms, pal_clock_ns());
	decay_init(&pa->decay_muzzy, muzzy_decay_ms, pal_clock_ns());
	atomic_store_explicit(&pa->ticks, 0, memory_order_relaxed);
	memset(&pa->stats, 0, sizeof(pa->stats));
	pa->hooks = NULL;
	pa->purge_failed = false;
	mutex_unlock(&pa->lock);
}

bool
pa_init(struct pa *pa, struct arena *arena, int64_t decay_ms,
    int64_t muzzy_decay_ms)
{

	memset(pa, 0, sizeof(*pa));
	mutex_init(&pa->lock, RANK_PA);
	pa->arena = arena;
	pa_lists_init(pa);
	TAILQ_INIT(&pa->spare);
	TAILQ_INIT(&pa->spare_slabs);
	pa->grow_nsp = geom.grow_min_sp;
	decay_init(&pa->decay, decay_ms, pal_clock_ns());
	decay_init(&pa->decay_muzzy, muzzy_decay_ms, pal_clock_ns());
	return (true);
}

/* Memory from and back to the OS, or to the arena's extent hooks. */

unsigned
pa_ind(struct pa *pa)
{
	return (pa->arena->ind);
}

/* NUMA placement of fresh address space, before anything touches it. */
static void
pa_place(struct pa *pa, void *addr, size_t size)
{
	unsigned node = pa->arena->node;

	if (!pal_caps.numa)
		return;
	if (opt_numa == NUMA_INTERLEAVE)
		pal_bind(addr, size, 0, PAL_BIND_INTERLEAVE);
	else if (node != ARENA_NODE_NONE && opt_numa != NUMA_OFF)
		pal_bind(addr, size, node, opt_numa == NUMA_BIND ?
		    PAL_BIND_STRICT : PAL_BIND_PREFER);
}

static void *
pa_os_map(struct pa *pa, size_t size, bool *zero)
{
	extent_hooks_t *h = pa->hooks;
	bool commit = true;

	*zero = true;
	if (h == NULL)
		return (pal_map(size, SUPERPAGE));
	*zero = false;
	return (h->alloc(h, NULL, size, SUPERPAGE, zero, &commit,
	    pa_ind(pa)));
}

/* Forced purge: afterwards the range reads as zero.  False on failure. */
bool
pa_os_purge(struct pa *pa, uintptr_t addr, size_t size)
{
	extent_hooks_t *h = pa->hooks;

	if (h == NULL) {
		pal_purge_forced((void *)addr, size);
		return (true);
	}
	if (h->purge_forced != NULL && !h->purge_forced(h, (void *)addr, size,
	    0, size, pa_ind(pa)))
		return (true);
	pa->purge_failed = true;
	return (false);
}

/* May two free spans, both in this arena, become one? */
static bool
pa_hooks_merge_ok(struct pa *pa, struct sp *lo, struct sp *hi)
{
	extent_hooks_t *h = pa->hooks;

	if (h == NULL || h->merge == NULL)
		return (true);
	return (!h->merge(h, (void *)lo->addr, lo->nsp << LG_SUPERPAGE,
	    (void *)hi->addr, hi->nsp << LG_SUPERPAGE, true, pa_ind(pa)));
}

/* Lists of the dirty LRU and the buckets. */

static struct sp_list *
pa_lru_of(struct pa *pa, struct sp *sp)
{
	return (sp->kind == SP_FREE && sp->muzzy ? &pa->lru_muzzy : &pa->lru);
}

void
pa_lru_add(struct pa *pa, struct sp *sp)
{
	if (!sp->in_lru) {
		sp->in_lru = true;
		sp->dirty_ns = pal_clock_ns();
		TAILQ_INSERT_TAIL(pa_lru_of(pa, sp), sp, dlink);
	}
}

void
pa_lru_remove(struct pa *pa, struct sp *sp)
{
	if (sp->in_lru) {
		sp->in_lru = false;
		TAILQ_REMOVE(pa_lru_of(pa, sp), sp, dlink);
	}
}

static struct sp_list *
pa_free_list(struct pa *pa, struct sp *sp)
{
	if (!sp->dirty)
		return (&pa->free_clean[sp->bucket]);
	return (sp->muzzy ? &pa->free_muzzy[sp->bucket] :
	    &pa->free_dirty[sp->bucket]);
}

/* The nonempty mask of the free lists sp belongs on. */
static uint64_t *
pa_free_mask(struct pa *pa, struct sp *sp)
{
	if (!sp->dirty)
		return (pa->clean_nonempty);
	return (sp->muzzy ? pa->muzzy_nonempty : pa->dirty_nonempty);
}

/* The page count a free span is charged to: ndirty or nmuzzy. */
size_t *
pa_counter(struct pa *pa, struct sp *sp)
{
	return (sp->muzzy ? &pa->stats.nmuzzy : &pa->stats.ndirty);
}

static struct sp_list *
pa_list(struct pa *pa, struct sp *sp)
{
	if (sp->bucket == PA_NOBUCKET)
		return (NULL);
	if (sp->kind == SP_RUNS)
		return (&pa->runs[sp->bucket]);
	return (pa_free_list(pa, sp));
}

void
pa_unlist(struct pa *pa, struct sp *sp)
{
	struct sp_list *l = pa_list(pa, sp);

	if (l != NULL) {
		TAILQ_REMOVE(l, sp, blink);
		if (sp->kind == SP_RUNS && TAILQ_EMPTY(l))
			pa->runs_nonempty &= ~((uint64_t)1 << sp->bucket);
		else if (TAILQ_EMPTY(l))
			pa_free_mask(pa, sp)[sp->bucket >> 6] &=
			    ~((uint64_t)1 << (sp->bucket & 63));
	}
	sp->bucket = PA_NOBUCKET;
}

/*
 * Every run allocation and free lists its superpage again, at the head of
 * its bucket (the one used last is tried first); most stay in the same
 * bucket, often at its head already, and then less is done.
 */
void
pa_list_runs(struct pa *pa, struct sp *sp)
{
	unsigned b;

	if (sp->longest != 0 && (b = pa_run_bucket(sp->longest)) ==
	    sp->bucket) {
		if (TAILQ_FIRST(&pa->runs[b]) != sp) {
			TAILQ_REMOVE(&pa->runs[b], sp, blink);
			TAILQ_INSERT_HEAD(&pa->runs[b], sp, blink);
		}
		return;
	}
	pa_unlist(pa, sp);
	if (sp->longest == 0)
		return;
	sp->bucket = (uint8_t)pa_run_bucket(sp->longest);
	TAILQ_INSERT_HEAD(&pa->runs[sp->bucket], sp, blink);
	pa->runs_nonempty |= (uint64_t)1 << sp->bucket;
}

/* Free spans. */

struct sp *
pa_merge(struct pa *pa, struct sp *lo, struct sp *hi)
{
	struct sp *keep, *gone;

	/* Rewrite the map entries of the shorter span only. */
	keep = lo->nsp >= hi->nsp ? lo : hi;
	gone = keep == lo ? hi : lo;
	amap_set(gone->addr, gone->nsp, keep);
	keep->ndirty = lo->ndirty + hi->ndirty;
	keep->dmap_valid = false;
	keep->addr = lo->addr;
	keep->nsp = lo->nsp + hi->nsp;
	pa_desc_put(pa, gone);
	return (keep);
}

static bool
pa_mergeable(struct pa *pa, struct sp *a, struct sp *b)
{
	return (a != NULL && a != b && a->kind == SP_FREE && a->nsp != 0 &&
	    !a->busy && a->arena == pa->arena && a->dirty == b->dirty &&
	    a->muzzy == b->muzzy);
}

void
pa_free_insert(struct pa *pa, struct sp *sp)
{
	struct sp *n;
	uintptr_t end;

	n = amap_lookup((void *)(sp->addr - SUPERPAGE));
	if (pa_mergeable(pa, n, sp) &&
	    n->addr + (n->nsp << LG_SUPERPAGE) == sp->addr &&
	    pa_hooks_merge_ok(pa, n, sp)) {
		pa_unlist(pa, n);
		pa_lru_remove(pa, n);
		sp = pa_merge(pa, n, sp);
	}
	end = sp->addr + (sp->nsp << LG_SUPERPAGE);
	n = amap_lookup((void *)end);
	if (pa_mergeable(pa, n, sp) && n->addr == end &&
	    pa_hooks_merge_ok(pa, sp, n)) {
		pa_unlist(pa, n);
		pa_lru_remove(pa, n);
		sp = pa_merge(pa, sp, n);
	}
	sp->bucket = (uint8_t)pa_bucket(sp->nsp);
	TAILQ_INSERT_HEAD(pa_free_list(pa, sp), sp, blink);
	pa_free_mask(pa, sp)[sp->bucket >> 6] |= (uint64_t)1 <<
	    (sp->bucket & 63);
	if (sp->dirty)
		pa_lru_add(pa, sp);
}

/*
 * Cut [addr, addr + nsp superpages) out of the chunk records, which cover
 * it, so that they keep describing exactly what is mapped; false if the
 * record needed to split one in two was not to be had.
 */
static bool
pa_chunks_cut(struct pa *pa, uintptr_t addr, size_t nsp)
{
	struct pa_chunk **pp, *c, *t;
	uintptr_t end = addr + (nsp << LG_SUPERPAGE), cs, ce;

	for (c = pa->chunks; c != NULL; c = c->next) {
		cs = c->addr;
		ce = cs + (c->nsp << LG_SUPERPAGE);
		if (cs >= addr || ce <= end)
			continue;
		/* Strictly inside one record: it becomes two. */
		if ((t = pa->spare_chunks) != NULL)
			pa->spare_chunks = t->next;
		else if ((t = base_alloc(sizeof(*t))) == NULL)
			return (false);
		t->addr = end;
		t->nsp = (ce - end) >> LG_SUPERPAGE;
		t->next = c->next;
		c->next = t;
		c->nsp = (addr - cs) >> LG_SUPERPAGE;
		return (true);
	}
	for (pp = &pa->chunks; (c = *pp) != NULL; ) {
		cs = c->addr;
		ce = cs + (c->nsp << LG_SUPERPAGE);
		if (ce <= addr || cs >= end) {
			pp = &c->next;
			continue;
		}
		if (cs >= addr && ce <= end) {
			*pp = c->next;
			c->next = pa->spare_chunks;
			pa->spare_chunks = c;
			continue;
		}
		if (cs < addr)
			c->nsp = (addr - cs) >> LG_SUPERPAGE;
		else {
			c->addr = end;
			c->nsp = (ce - end) >> LG_SUPERPAGE;
		}
		pp = &c->next;
	}
	return (true);
}

size_t
pa_unmap_clean_locked(struct pa *pa)
{
	struct sp *sp, *next;
	size_t n = 0;
	unsigned b;

	/* Hooks' address space is the hooks' to give back (destroy). */
	if (pa->hooks != NULL)
		return (0);
	for (b = 0; b < PA_NFREEB; b++) {
		for (sp = TAILQ_FIRST(&pa->free_clean[b]); sp != NULL;
		    sp = next) {
			next = TAILQ_NEXT(sp, blink);
			if (!pa_chunks_cut(pa, sp->addr, sp->nsp))
				return (n);
			pa_unlist(pa, sp);
			/* Not ours in the map before it is unmapped. */
			amap_set(sp->addr, sp->nsp, NULL);
			pal_unmap((void *)sp->addr, sp->nsp << LG_SUPERPAGE);
			pa->stats.nmapped_sp -= sp->nsp;
			pa->stats.nretained_sp -= sp->nsp;
			n += sp->nsp;
			pa_desc_put(pa, sp);
		}
	}
	return (n);
}

static bool
pa_grow(struct pa *pa, size_t need)
{
	struct pa_chunk *c;
	struct sp *sp;
	size_t n;
	void *addr;
	bool zero;

	/*
	 * A spare chunk record (from a failed attempt, or a destroyed life of
	 * the arena) before a new one: a million failed malloc(1 << 45) used
	 * to leave a million records.  It goes back if this attempt fails.
	 */
	c = pa->spare_chunks;
	if (c != NULL)
		pa->spare_chunks = c->next;
	else if ((c = base_alloc(sizeof(*c))) == NULL)
		return (false);
	c->next = pa->spare_chunks;
	pa->spare_chunks = c;
	n = DM_MAX(need, pa->grow_nsp);
	addr = pa_os_map(pa, n << LG_SUPERPAGE, &zero);
	if (addr == NULL && n > need) {
		n = need;
		addr = pa_os_map(pa, n << LG_SUPERPAGE, &zero);
	}
	/* Out of address space (RLIMIT_AS): give back what is retained. */
	if (addr == NULL && pa_unmap_clean_locked(pa) != 0)
		addr = pa_os_map(pa, n << LG_SUPERPAGE, &zero);
	if (addr == NULL || ((uintptr_t)addr & (SUPERPAGE - 1)) != 0)
		return (false);
	if (pa->grow_nsp < geom.grow_max_sp)
		pa->grow_nsp *= 2;
	sp = pa_desc_get(pa);
	if (sp == NULL || !amap_set((uintptr_t)addr, n, sp)) {
		if (pa->hooks == NULL)
			pal_unmap(addr, n << LG_SUPERPAGE);
		if (sp != NULL)
			pa_desc_put(pa, sp);
		return (false);
	}
	pa->spare_chunks = c->next;
	c->addr = (uintptr_t)addr;
	c->nsp = n;
	c->next = pa->chunks;
	pa->chunks = c;
	if (pa->hooks == NULL) {
		hpage_fresh(pa, addr, n << LG_SUPERPAGE);
		pa_place(pa, addr, n << LG_SUPERPAGE);
	}
	sp->kind = SP_FREE;
	sp->addr = (uintptr_t)addr;
	sp->nsp = n;
	pa->stats.nmapped_sp += n;
	if (zero) {
		sp->dirty = false;
		pa->stats.nretained_sp += n;
	} else {
		/* Not known to be zero: dirty, so it is zeroed on demand. */
		sp->dirty = true;
		sp->ndirty = n << (LG_SUPERPAGE - LG_PAGE);
		pa->stats.ndirty += sp->ndirty;
	}
	pa_free_insert(pa, sp);
	return (true);
}

static struct sp *
pa_span_find(struct sp_list *lists, const uint64_t *nonempty, size_t nsp,
    size_t align, uintptr_t *startp)
{
	struct sp *sp;
	uintptr_t start, end;
	unsigned b;

	for (b = pa_next_bucket(nonempty, pa_bucket(nsp)); b < PA_NFREEB;
	    b = pa_next_bucket(nonempty, b + 1)) {
		TAILQ_FOREACH(sp, &lists[b], blink) {
			start = ALIGN_UP(sp->addr, align);
			end = sp->addr + (sp->nsp << LG_SUPERPAGE);
			if (start + (nsp << LG_SUPERPAGE) <= end) {
				*startp = start;
				return (sp);
			}
		}
	}
	return (NULL);
}

/*
 * Take nsp superpages at an align-aligned address out of the free spans:
 * a dirty (or muzzy) span, adjacent free spans gathered, a clean span,
 * and only then memory grown from the OS.  With resident, only a dirty or
 * muzzy span will do (NULL otherwise).  *ndirtyp gets the dirty pages the
 * taken part is charged with (0 for clean memory).
 */
static struct sp *
pa_span_take(struct pa *pa, size_t nsp, size_t align, bool resident,
    size_t *ndirtyp)
{
	struct sp *sp, *mid, *tail;
	uintptr_t start, end;
	size_t lead, trail, total, share, lead_nd, tail_nd;
	bool dirty;

	dirty = true;
	sp = pa_span_find(pa->free_dirty, pa->dirty_nonempty, nsp, align,
	    &start);
	if (sp == NULL)
		sp = pa_span_find(pa->free_muzzy, pa->muzzy_nonempty, nsp,
		    align, &start);
	if (sp == NULL && resident)
		return (NULL);
	if (sp == NULL)
		sp = pa_span_gather(pa, nsp, align, &start);
	if (sp == NULL) {
		dirty = false;
		sp = pa_span_find(pa->free_clean, pa->clean_nonempty, nsp,
		    align, &start);
	}
	if (sp == NULL) {
		if (!pa_grow(pa, nsp + (align >> LG_SUPERPAGE) - 1))
			return (NULL);
		sp = pa_span_find(pa->free_clean, pa->clean_nonempty, nsp,
		    align, &start);
		if (sp == NULL)
			return (NULL);
	}
	end = sp->addr + (sp->nsp << LG_SUPERPAGE);
	total = sp->nsp;
	lead = (start - sp->addr) >> LG_SUPERPAGE;
	trail = (end - start) / SUPERPAGE - nsp;
	/*
	 * Descriptors for the pieces cut off, before anything changes; each
	 * costs a clear of a whole descriptor (sp_desc_init), so only those
	 * needed.
	 */
	mid = lead != 0 ? pa_desc_get(pa) : NULL;
	tail = trail != 0 ? pa_desc_get(pa) : NULL;
	if ((lead != 0 && mid == NULL) || (trail != 0 && tail == NULL)) {
		if (mid != NULL)
			pa_desc_put(pa, mid);
		if (tail != NULL)
			pa_desc_put(pa, tail);
		if (sp->busy) {
			sp->busy = false;	/* gathered */
			pa_free_insert(pa, sp);
		}
		return (NULL);
	}
	pa_unlist(pa, sp);
	pa_lru_remove(pa, sp);
	tail_nd = dirty ? sp->ndirty * trail / total : 0;
	lead_nd = dirty ? sp->ndirty * lead / total : 0;
	share = dirty ? sp->ndirty - tail_nd - lead_nd : 0;
	if (trail != 0) {
		tail->kind = SP_FREE;
		tail->dirty = sp->dirty;
		tail->muzzy = sp->muzzy;
		tail->addr = start + (nsp << LG_SUPERPAGE);
		tail->nsp = trail;
		tail->ndirty = tail_nd;
		amap_set(tail->addr, trail, tail);
		pa_free_insert(pa, tail);
	}
	if (lead != 0) {
		sp->nsp = lead;
		sp->ndirty = lead_nd;
		pa_free_insert(pa, sp);
		mid->addr = start;
		mid->nsp = nsp;
		amap_set(start, nsp, mid);
	} else {
		mid = sp;
		mid->nsp = nsp;
	}
	if (dirty) {
		/* The dirty count of all pieces must add up again. */
		size_t *ctr = pa_counter(pa, sp);

		*ctr -= DM_MIN(*ctr, share);
	} else
		pa->stats.nretained_sp -= nsp;
	/* A whole single superpage keeps its page-exact dirty map. */
	mid->dmap_valid = dirty && total == 1 && lead == 0 && sp->dmap_valid;
	mid->dirty = false;
	mid->muzzy = false;
	mid->busy = false;	/* gathered */
	mid->ndirty = 0;
	*ndirtyp = dirty ? DM_MAX(share, 1) : 0;
	return (mid);
}

/*
 * Hand a span back as free memory that may be resident.  A free span's
 * page map is all 0 (sp.h), which is what lets pa_run_alloc_impl carve
 * one into runs without clearing it.  A runs superpage with no page in
 * use has it so already (every free page's entry is 0), and a malloc and
 * free loop of one large object empties one on every free: only huge
 * spans and runs superpages discarded in use (a reset) need the clear.
 */
void
pa_span_release(struct pa *pa, struct sp *sp, size_t ndirty)
{
	if (sp->kind != SP_RUNS || sp->nused != 0)
		memset(sp->pmap, 0, geom.npmap * sizeof(sp->pmap[0]));
	else
		DM_ASSERT(pa_pmap_zero(sp));
	hpage_forget(pa, sp);
	sp->kind = SP_FREE;
	sp->dirty = true;
	sp->muzzy = false;
	sp->ndirty = ndirty;
	sp->dmap_valid = false;
	pa->stats.ndirty += ndirty;
	pa_free_insert(pa, sp);
}

/* Page runs. */

/*
 * What pa_run_alloc_impl may take: anything (growing the arena if need
 * be); only memory the arena holds (runs superpages, dirty or muzzy free
 * spans); or, for a run lent to another arena's thread, only pages known
 * to be dirty (a run whose pages are all dirty, or a dirty or muzzy free
 * span), so that lending never spends this arena's untouched pages.
 */
#define	PA_TAKE_ANY	0
#define	PA_TAKE_HELD	1
#define	PA_TAKE_DIRTY	2

static struct sp *
pa_run_alloc_impl(struct pa *pa, size_t npages, size_t align_pages,
    int take, unsigned *pidx, bool *dirty)
{
	struct sp *sp;
	size_t nd;
	uint64_t m;
	unsigned b, d, rs = 0, re = 0;
	int i = -1;

	/* The buckets that fit, empty ones skipped (most are). */
	b = pa_run_bucket(npages);
	m = b < PA_NRUNB ? pa->runs_nonempty & (UINT64_MAX << b) : 0;
	for (; m != 0 && i < 0; m &= m - 1) {
		b = (unsigned)__builtin_ctzll(m);
		TAILQ_FOREACH(sp, &pa->runs[b], blink) {
			if (sp->longest < npages)
				continue;
			i = bm_find_run(sp->used, (unsigned)npages,
			    (unsigned)align_pages, &rs, &re);
			if (i >= 0 && take == PA_TAKE_DIRTY &&
			    bm_count_range(sp->dirtymap, (unsigned)i,
			    (unsigned)npages) != npages)
				i = -1;
			if (i >= 0)
				break;
		}
	}
	if (i < 0) {
		sp = pa_span_take(pa, 1, SUPERPAGE, take != PA_TAKE_ANY, &nd);
		if (sp == NULL)
			return (NULL);
		/* A free span's page map is all 0 (pa_span_release). */
		DM_ASSERT(pa_pmap_zero(sp));
		sp->kind = SP_RUNS;
		sp_runs_init(sp);
		memset(sp->purging, 0, SP_NWORDS * sizeof(uint64_t));
		sp->npurging = 0;
		if (nd != 0 && sp->dmap_valid) {
			sp->nsdirty = (uint16_t)bm_count_range(sp->dirtymap, 0,
			    SP_NPAGES);
			pa->stats.ndirty += sp->nsdirty;
		} else if (nd != 0) {
			/* Which pages are resident is not known: all may be. */
			memset(sp->dirtymap, 0xff,
			    SP_NWORDS * sizeof(uint64_t));
			sp->nsdirty = SP_NPAGES;
			pa->stats.ndirty += SP_NPAGES;
		} else {
			memset(sp->dirtymap, 0, SP_NWORDS * sizeof(uint64_t));
			sp->nsdirty = 0;
		}
		sp->nused = 0;
		pa->stats.nruns_sp++;
		if (pa->hooks == NULL)
			hpage_runs_new(pa, sp);
		i = 0;
		rs = 0;
		re = SP_NPAGES;
	}
	/* The free-run index keeps longest exact (sp.h). */
	sp_runs_take(sp, (unsigned)i, (unsigned)npages, rs, re);
	sp->nused += (uint16_t)npages;
	d = bm_count_range(sp->dirtymap, (unsigned)i, (unsigned)npages);
	if (d != 0) {
		bm_clear_range(sp->dirtymap, (unsigned)i, (unsigned)npages);
		sp->nsdirty -= (uint16_t)d;
		pa->stats.ndirty -= DM_MIN(pa->stats.ndirty, d);
	}
	if (sp->nsdirty != 0)
		pa_lru_add(pa, sp);
	else
		pa_lru_remove(pa, sp);
	*dirty = d != 0;
	DM_ASSERT(sp->longest == bm_longest_run(sp->used));
	pa_list_runs(pa, sp);
	pa->stats.nactive += npages;
	if (pa->hooks == NULL)
		hpage_runs_grew(pa, sp);
	*pidx = (unsigned)i;
	return (sp);
}

struct sp *
pa_run_alloc_locked(struct pa *pa, size_t npages, size_t align_pages,
    unsigned *pidx, bool *dirty)
{
	return (pa_run_alloc_impl(pa, npages, align_pages, PA_TAKE_ANY, pidx,
	    dirty));
}

struct sp *
pa_run_alloc(struct pa *pa, size_t npages, size_t align_pages,
    unsigned *pidx, bool *dirty)
{
	struct sp *sp;

	mutex_lock(&pa->lock);
	sp = pa_run_alloc_impl(pa, npages, align_pages, PA_TAKE_ANY, pidx,
	    dirty);
	mutex_unlock(&pa->lock);
	return (sp);
}

struct sp *
pa_run_alloc_resident(struct pa *pa, size_t npages, size_t align_pages,
    bool lend, unsigned *pidx, bool *dirty, bool *hooked)
{
	struct sp *sp = NULL;

	mutex_lock(&pa->lock);
	*hooked = pa->hooks != NULL;
	if (!*hooked)
		sp = pa_run_alloc_impl(pa, npages, align_pages, lend ?
		    PA_TAKE_DIRTY : PA_TAKE_HELD, pidx, dirty);
	mutex_unlock(&pa->lock);
	return (sp);
}

void
pa_run_free_locked(struct pa *pa, struct sp *sp, unsigned pidx,
    size_t npages)
{
	sp_pmap_fill(sp, pidx, (unsigned)npages, (struct pmap_ent){ 0, 0 });
	sp_runs_give(sp, pidx, (unsigned)npages);
	bm_set_range(sp->dirtymap, pidx, (unsigned)npages);
	sp->nused -= (uint16_t)npages;
	sp->nsdirty += (uint16_t)npages;
	pa->stats.nactive -= npages;
	if (sp->nused == 0) {
		size_t nd = sp->nsdirty;

		pa_unlist(pa, sp);
		pa_lru_remove(pa, sp);
		pa->stats.ndirty -= DM_MIN(pa->stats.ndirty,
		    nd - npages);
		pa->stats.nruns_sp--;
		sp->nsdirty = 0;
		pa_span_release(pa, sp, nd);
		sp->dmap_valid = sp->kind == SP_FREE && sp->nsp == 1;
	} else {
		pa->stats.ndirty += npages;
		DM_ASSERT(sp->longest == bm_longest_run(sp->used));
		pa_list_runs(pa, sp);
		pa_lru_add(pa, sp);
		if (sp->hpending && sp->nused < geom.hpage_dense)
			hpage_unpend(pa, sp);
	}
	if (pa->decay.ms == 0)
		pa_purge_locked(pa, SIZE_MAX, false);
}

void
pa_run_free(struct pa *pa, struct sp *sp, unsigned pidx, size_t npages)
{
	mutex_lock(&pa->lock);
	pa_run_free_locked(pa, sp, pidx, npages);
	mutex_unlock(&pa->lock);
}

bool
pa_run_grow(struct pa *pa, struct sp *sp, unsigned pidx, size_t oldpages,
    size_t newpages, bool *dirty)
{
	unsigned from = pidx + (unsigned)oldpages, n, d, re;

	if (pidx + newpages > SP_NPAGES)
		return (false);
	n = (unsigned)(newpages - oldpages);
	mutex_lock(&pa->lock);
	/* The run ends at from: the free run after it starts there. */
	re = bm_next(sp->used, from, true);
	if (re < from + n) {
		mutex_unlock(&pa->lock);
		return (false);
	}
	sp_runs_take(sp, from, n, from, re);
	sp->nused += (uint16_t)n;
	d = bm_count_range(sp->dirtymap, from, n);
	bm_clear_range(sp->dirtymap, from, n);
	sp->nsdirty -= (uint16_t)d;
	pa->stats.ndirty -= DM_MIN(pa->stats.ndirty, d);
	if (sp->nsdirty == 0)
		pa_lru_remove(pa, sp);
	*dirty = d != 0;
	pa_list_runs(pa, sp);
	pa->stats.nactive += n;
	mutex_unlock(&pa->lock);
	return (true);
}

void
pa_run_shrink(struct pa *pa, struct sp *sp, unsigned pidx, size_t oldpages,
    size_t newpages)
{
	mutex_lock(&pa->lock);
	pa_run_free_locked(pa, sp, pidx + (unsigned)newpages,
	    oldpages - newpages);
	mutex_unlock(&pa->lock);
}

/* Huge spans. */

struct sp *
pa_huge_alloc(struct pa *pa, size_t size, size_t align, bool *zeroed)
{
	struct sp *sp;
	size_t nsp, nd;

	nsp = (size + SUPERPAGE - 1) >> LG_SUPERPAGE;
	if (align < SUPERPAGE)
		align = SUPERPAGE;
	mutex_lock(&pa->lock);
	sp = pa_span_take(pa, nsp, align, false, &nd);
	if (sp == NULL) {
		mutex_unlock(&pa->lock);
		return (NULL);
	}
	sp->kind = SP_HUGE;
	sp->usize = size;
	memset(sp->pmap, PMAP_SLOW_BYTE, geom.npmap * sizeof(sp->pmap[0]));
	pa->stats.nactive += pa_pages(size);
	pa->stats.nhuge_sp += nsp;
	if (pa->hooks == NULL)
		hpage_huge_new(pa, sp);
	mutex_unlock(&pa->lock);
	*zeroed = nd == 0;
	return (sp);
}

void
pa_huge_free(struct pa *pa, struct sp *sp)
{
	mutex_lock(&pa->lock);
	pa->stats.nactive -= pa_pages(sp->usize);
	pa->stats.nhuge_sp -= sp->nsp;
	pa_span_release(pa, sp, pa_pages(sp->usize));
	if (pa->decay.ms == 0)
		pa_purge_locked(pa, SIZE_MAX, false);
	mutex_unlock(&pa->lock);
}

bool
pa_huge_resize(struct pa *pa, struct sp *sp, size_t newsize, bool movable)
{
	struct sp *n, *t;
	size_t newnsp, extra, oldpages;
	uintptr_t end, start;

	newnsp = (newsize + SUPERPAGE - 1) >> LG_SUPERPAGE;
	oldpages = pa_pages(sp->usize);
	mutex_lock(&pa->lock);
	hpage_forget(pa, sp);
	end = sp->addr + (sp->nsp << LG_SUPERPAGE);
	if (newnsp > sp->nsp) {
		extra = newnsp - sp->nsp;
		n = amap_lookup((void *)end);
		/*
		 * Growing into a clean neighbour faults in fresh pages while
		 * a dirty span elsewhere may hold the whole new size: then a
		 * caller that can moves the allocation there instead, whose
		 * copy touches only resident pages and whose old span is
		 * dirty memory for the next request.  In the large benchmark
		 * (61 seeds, with gathering) the mean peak RSS went from 168
		 * to 157 MiB.
		 */
		if (!pa_gatherable(pa, n) || n->addr != end || n->nsp < extra ||
		    (movable && !n->dirty && pa_span_find(pa->free_dirty,
		    pa->dirty_nonempty, newnsp, SUPERPAGE, &start) != NULL)) {
			mutex_unlock(&pa->lock);
			return (false);
		}
		pa_unlist(pa, n);
		pa_lru_remove(pa, n);
		if (n->dirty) {
			size_t *ctr = pa_counter(pa, n);

			*ctr -= DM_MIN(*ctr, n->ndirty);
		} else
			pa->stats.nretained_sp -= extra;
		if (n->nsp > extra) {
			if (n->dirty) {
				size_t keep = n->ndirty * (n->nsp - extra) /
				    n->nsp;

				n->ndirty = keep;
				*pa_counter(pa, n) += keep;
			}
			n->addr += extra << LG_SUPERPAGE;
			n->nsp -= extra;
			pa_free_insert(pa, n);
		} else
			pa_desc_put(pa, n);
		amap_set(end, extra, sp);
		sp->nsp = newnsp;
		pa->stats.nhuge_sp += extra;
	} else if (newnsp < sp->nsp) {
		t = pa_desc_get(pa);
		if (t == NULL) {
			mutex_unlock(&pa->lock);
			return (false);
		}
		extra = sp->nsp - newnsp;
		t->addr = sp->addr + (newnsp << LG_SUPERPAGE);
		t->nsp = extra;
		amap_set(t->addr, extra, t);
		sp->nsp = newnsp;
		pa->stats.nhuge_sp -= extra;
		pa_span_release(pa, t, oldpages > (newnsp << (LG_SUPERPAGE -
		    LG_PAGE)) ? oldpages - (newnsp << (LG_SUPERPAGE -
		    LG_PAGE)) : 0);
	}
	pa->stats.nactive = pa->stats.nactive - oldpages + pa_pages(newsize);
	sp->usize = newsize;
	if (pa->hooks == NULL)
		hpage_huge_new(pa, sp);
	if (pa->decay.ms == 0)
		pa_purge_locked(pa, SIZE_MAX, false);
	mutex_unlock(&pa->lock);
	return (true);
}

/* Slab descriptors live on the same lock. */

struct slab *
pa_slab_desc_get(struct pa *pa)
{
	struct slab *s;

	s = TAILQ_FIRST(&pa->spare_slabs);
	if (s != NULL) {
		TAILQ_REMOVE(&pa->spare_slabs, s, link);
		return (s);
	}
	return (base_alloc(geom.slab_size));
}

void
pa_slab_desc_put_locked(struct pa *pa, struct slab *slab)
{
	TAILQ_INSERT_HEAD(&pa->spare_slabs, slab, link);
}

void
pa_stats_read(struct pa *pa, struct pa_stats *out)
{
	mutex_lock(&pa->lock);
	*out = pa->stats;
	mutex_unlock(&pa->lock);
}

struct extent_hooks_s *
pa_hooks_get(struct pa *pa)
{
	struct extent_hooks_s *h;

	mutex_lock(&pa->lock);
	h = pa->hooks;
	mutex_unlock(&pa->lock);
	return (h);
}

void
pa_hooks_set(struct pa *pa, struct extent_hooks_s *hooks)
{
	mutex_lock(&pa->lock);
	pa->hooks = hooks;
	mutex_unlock(&pa->lock);
}

/* Give back the slab descriptors of a runs superpage being discarded. */
static void
pa_reset_runs(struct pa *pa, struct sp *sp)
{
	unsigned i, c;
	uint32_t e;

	for (i = 0; i < SP_NPAGES; i++) {
		e = sp_pmap_page(sp, i)->e;
		c = (unsigned)(PMAP_CLASS(e) + 1);
		if (c >= 1 && c <= SC_NBINS && (e >> 16) == 0)
			pa_slab_desc_put_locked(pa, sp->slab[i]);
	}
	pa_unlist(pa, sp);
	pa_lru_remove(pa, sp);
	pa->stats.nactive -= sp->nused;
	pa->stats.ndirty -= DM_MIN(pa->stats.ndirty, sp->nsdirty);
	pa->stats.nruns_sp--;
	pa_span_release(pa, sp, (size_t)sp->nused + sp->nsdirty);
}

static void
pa_reset_locked(struct pa *pa)
{
	struct pa_chunk *c;
	struct sp *sp;
	uintptr_t a;
	size_t k;

	for (c = pa->chunks; c != NULL; c = c->next) {
		for (k = 0; k < c->nsp; k++) {
			a = c->addr + (k << LG_SUPERPAGE);
			sp = amap_lookup((void *)a);
			if (sp == NULL || sp->addr != a)
				continue;
			if (sp->kind == SP_RUNS)
				pa_reset_runs(pa, sp);
			else if (sp->kind == SP_HUGE) {
				pa->stats.nactive -= pa_pages(sp->usize);
				pa->stats.nhuge_sp -= sp->nsp;
				pa_span_release(pa, sp, pa_pages(sp->usize));
			}
		}
	}
}

void
pa_reset(struct pa *pa)
{
	mutex_lock(&pa->lock);
	pa_wait_purges(pa);
	if (config_debug)
		pa_check_locked(pa);
	pa_reset_locked(pa);
	mutex_unlock(&pa->lock);
}

/* After pa_reset_locked: move every free span's descriptor to spare. */
static void
pa_destroy_spans(struct pa *pa)
{
	struct sp_list *lists[3] = { pa->free_dirty, pa->free_muzzy,
	    pa->free_clean };
	struct sp *sp;
	unsigned i, b;

	for (i = 0; i < 3; i++) {
		for (b = 0; b < PA_NFREEB; b++) {
			while ((sp = TAILQ_FIRST(&lists[i][b])) != NULL) {
				pa_unlist(pa, sp);
				pa_lru_remove(pa, sp);
				hpage_forget(pa, sp);
				pa_desc_put(pa, sp);
			}
		}
	}
}

void
pa_destroy(struct pa *pa)
{
	extent_hooks_t *h;
	struct pa_chunk *c, *next;
	size_t size;

	mutex_lock(&pa->lock);
	pa_wait_purges(pa);
	pa_reset_locked(pa);
	h = pa->hooks;
	/* Every span is free now: its descriptor goes to the spares. */
	pa_destroy_spans(pa);
	for (c = pa->chunks; c != NULL; c = next) {
		next = c->next;
		size = c->nsp << LG_SUPERPAGE;
		amap_set(c->addr, c->nsp, NULL);
		if (h == NULL)
			pal_unmap((void *)c->addr, size);
		else if (h->dalloc == NULL || h->dalloc(h, (void *)c->addr,
		    size, true, pa_ind(pa))) {
			/* The hook kept the memory: let it destroy it. */
			if (h->destroy != NULL)
				h->destroy(h, (void *)c->addr, size, true,
				    pa_ind(pa));
		}
		c->next = pa->spare_chunks;
		pa->spare_chunks = c;
	}
	pa->chunks = NULL;
	/*
	 * The lists are empty now (their descriptors are spares): a purge,
	 * decay or hugify that found the arena before it was marked destroyed
	 * (ctl, a background thread) and takes the lock now finds nothing,
	 * for the address space it would advise may already be another
	 * mapping's.
	 */
	pa_lists_init(pa);
	pa->nhpend = 0;
	memset(&pa->stats, 0, sizeof(pa->stats));
	mutex_unlock(&pa->lock);
}

void
pa_node_pages(struct pa *pa, size_t *pages, unsigned nnodes)
{
	struct pa_chunk *c;
	size_t k, npages;
	int node;

	mutex_lock(&pa->lock);
	for (c = pa->chunks; c != NULL; c = c->next) {
		npages = c->nsp << (LG_SUPERPAGE - LG_PAGE);
		for (k = 0; k < npages; k += PA_NODE_STRIDE) {
			node = pal_node_of((void *)(c->addr + (k << LG_PAGE)));
			if (node >= 0 && (unsigned)node < nnodes)
				pages[node] += PA_NODE_STRIDE;
		}
	}
	mutex_unlock(&pa->lock);
}

/*
 * The child gets only the forking thread: no purge may be in flight, or
 * its victims would stay out of reach for ever (and reset and destroy
 * would wait for them for ever).
 */
void
pa_prefork(struct pa *pa)
{
	mutex_lock(&pa->lock);
	pa_wait_purges(pa);
	if (config_debug)
		pa_check_locked(pa);
}

void
pa_postfork_parent(struct pa *pa)
{
	mutex_unlock(&pa->lock);
}

/*
 * Only the forking thread lives on: a reset or destroy that was waiting
 * for purges in the parent (pa_wait_purges drops the lock, so prefork can
 * come between) has no thread here, and its nwaiters would make every
 * purge of the child wait for ever (fuzz_api found it).
 */
void
pa_postfork_child(struct pa *pa)
{
	DM_ASSERT(pa->npurging == 0);
	pa->nwaiters = 0;
	mutex_postfork_child(&pa->lock);
}
