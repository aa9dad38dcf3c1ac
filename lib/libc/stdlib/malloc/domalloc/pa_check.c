/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * pa_check.c: the page allocator's invariant checker (DOMALLOC_DEBUG).
 *
 * pa_check_locked() walks every superpage the arena ever obtained,
 * through the address map, and checks each span against the invariants
 * written at its types (sp.h: the bitmaps and counts of a runs superpage;
 * pa.h: purges in flight), then the arena's totals against the sum over
 * its spans.  The first broken invariant ends the process through
 * msg_fatal with the span's address and the two sides of the equation.
 * In a build without DOMALLOC_DEBUG the function is empty, and nothing
 * calls it on a hot path: pa_purge.c after every purge, pa.c before a
 * reset and at fork.
 *
 * Synchronization: called with pa->lock held; reads only what that lock
 * protects (the page map of a page in use is written by its owner without
 * the lock, so only the entries of free pages are checked).
 */
#include "amap.h"
#include "config.h"
#include "msg.h"
#include "pa.h"
#include "pa_int.h"
#include "sp.h"

struct pa_sums {
	size_t	ndirty, nmuzzy, nactive, nretained, nruns, nhuge;
	size_t	npurging_pages, nbusy;
};

#define	PA_CHECK(sp, cond, what, a, b) do {				\
	if (!(cond))							\
		msg_fatal("pa_check: span %p: %s (%zu, %zu)",		\
		    (void *)(sp)->addr, (what), (size_t)(a), (size_t)(b));	\
} while (0)

static unsigned
pa_check_popcount(const uint64_t *bm)
{
	return (bm_count_range(bm, 0, SP_NPAGES));
}

static void
pa_check_runs(struct sp *sp, struct pa_sums *t)
{
	unsigned i, w;

	PA_CHECK(sp, sp->nsp == 1, "runs span of one superpage", sp->nsp, 1);
	PA_CHECK(sp, pa_check_popcount(sp->used) == sp->nused,
	    "nused == popcount(used)", sp->nused,
	    pa_check_popcount(sp->used));
	PA_CHECK(sp, pa_check_popcount(sp->dirtymap) == sp->nsdirty,
	    "nsdirty == popcount(dirtymap)", sp->nsdirty,
	    pa_check_popcount(sp->dirtymap));
	PA_CHECK(sp, pa_check_popcount(sp->purging) == sp->npurging,
	    "npurging == popcount(purging)", sp->npurging,
	    pa_check_popcount(sp->purging));
	for (w = 0; w < SP_NWORDS; w++) {
		PA_CHECK(sp, (sp->dirtymap[w] & sp->used[w]) == 0,
		    "dirtymap & used == 0 (word, bits)", w,
		    sp->dirtymap[w] & sp->used[w]);
		PA_CHECK(sp, (sp->purging[w] & ~sp->used[w]) == 0,
		    "purging within used (word, bits)", w,
		    sp->purging[w] & ~sp->used[w]);
	}
	PA_CHECK(sp, sp->longest == bm_longest_run(sp->used),
	    "longest == longest free run", sp->longest,
	    bm_longest_run(sp->used));
	PA_CHECK(sp, sp_runs_verify(sp) == 0,
	    "free-run index == runs of used (1 + length, 0)",
	    sp_runs_verify(sp), 0);
	PA_CHECK(sp, sp->nused != 0, "a runs superpage has a page in use", 0,
	    0);
	PA_CHECK(sp, sp->in_lru == (sp->nsdirty != 0),
	    "on the LRU iff it has dirty pages", sp->in_lru, sp->nsdirty);
	for (i = 0; i < SP_NPAGES; i++) {
		if (bm_get(sp->used, i) && !bm_get(sp->purging, i))
			continue;
		PA_CHECK(sp, sp_pmap_page(sp, i)->e == 0,
		    "page map entry 0 for a free or purged page (page, e)", i,
		    sp_pmap_page(sp, i)->e);
	}
	t->nruns++;
	t->ndirty += sp->nsdirty;
	t->nactive += (size_t)sp->nused - sp->npurging;
	t->npurging_pages += sp->npurging;
}

bool
pa_pmap_zero(const struct sp *sp)
{
	size_t i;

	for (i = 0; i < geom.npmap; i++)
		if (sp->pmap[i].e != 0 || sp->pmap[i].k != 0)
			return (false);
	return (true);
}

static void
pa_check_free(struct sp *sp, struct pa_sums *t)
{
	/* pa_run_alloc_impl carves a free span without clearing its map. */
	PA_CHECK(sp, pa_pmap_zero(sp), "page map all 0 in a free span", 0,
	    0);
	if (sp->busy) {
		/* A purge in flight owns it (pa.h). */
		PA_CHECK(sp, sp->bucket == PA_NOBUCKET && !sp->in_lru,
		    "a busy span is on no list", sp->bucket, sp->in_lru);
		PA_CHECK(sp, sp->dirty, "a busy span is dirty or muzzy", 0,
		    0);
		t->nbusy++;
		return;
	}
	PA_CHECK(sp, sp->bucket != PA_NOBUCKET, "a free span is listed", 0,
	    0);
	PA_CHECK(sp, sp->in_lru == sp->dirty, "on an LRU iff dirty or muzzy",
	    sp->in_lru, sp->dirty);
	if (!sp->dirty) {
		PA_CHECK(sp, sp->ndirty == 0 && !sp->muzzy,
		    "a clean span has no dirty pages", sp->ndirty, sp->muzzy);
		t->nretained += sp->nsp;
	} else if (sp->muzzy)
		t->nmuzzy += sp->ndirty;
	else
		t->ndirty += sp->ndirty;
}

/* Bit b of a nonempty mask is set iff free list b holds a span. */
static void
pa_check_mask(struct sp_list *lists, const uint64_t *mask, const char *kind)
{
	unsigned b, bit;

	for (b = 0; b < PA_NFREEB; b++) {
		bit = (unsigned)((mask[b >> 6] >> (b & 63)) & 1);
		if (bit != !TAILQ_EMPTY(&lists[b]))
			msg_fatal("pa_check: %s free bucket %u is %s but its "
			    "bit in the nonempty mask is %u", kind, b,
			    TAILQ_EMPTY(&lists[b]) ? "empty" : "not empty",
			    bit);
	}
}

void
pa_check_locked(struct pa *pa)
{
	struct pa_sums t = { 0 };
	struct pa_chunk *c;
	struct sp *sp;
	uintptr_t a;
	size_t k, j;

	if (!config_debug)
		return;
	for (c = pa->chunks; c != NULL; c = c->next) {
		for (k = 0; k < c->nsp; k += (sp->addr + (sp->nsp <<
		    LG_SUPERPAGE) - a) >> LG_SUPERPAGE) {
			a = c->addr + (k << LG_SUPERPAGE);
			sp = amap_lookup((void *)a);
			if (sp == NULL || sp->nsp == 0 || (sp->addr != a &&
			    (k != 0 || sp->addr > a || sp->addr + (sp->nsp <<
			    LG_SUPERPAGE) <= a)))
				msg_fatal("pa_check: superpage %p of a chunk "
				    "maps to no span that holds it",
				    (void *)a);
			/*
			 * Free spans merge across adjacent chunks: one that
			 * began in an earlier chunk is checked from there.
			 */
			if (sp->addr != a)
				continue;
			PA_CHECK(sp, sp->arena == pa->arena,
			    "the span is this arena's", 0, 0);
			for (j = 1; j < sp->nsp; j++)
				PA_CHECK(sp, amap_lookup((void *)(a + (j <<
				    LG_SUPERPAGE))) == sp,
				    "every superpage maps to its span", j,
				    sp->nsp);
			if (sp->kind == SP_RUNS)
				pa_check_runs(sp, &t);
			else if (sp->kind == SP_FREE)
				pa_check_free(sp, &t);
			else {
				t.nhuge += sp->nsp;
				t.nactive += (sp->usize + PAGE - 1) >> LG_PAGE;
			}
		}
	}
	for (k = 0; k < PA_NRUNB; k++)
		if (((pa->runs_nonempty >> k) & 1) != !TAILQ_EMPTY(&pa->runs[k]))
			msg_fatal("pa_check: run bucket %zu is %s but its bit "
			    "in runs_nonempty is %u", k,
			    TAILQ_EMPTY(&pa->runs[k]) ? "empty" : "not empty",
			    (unsigned)((pa->runs_nonempty >> k) & 1));
	pa_check_mask(pa->free_dirty, pa->dirty_nonempty, "dirty");
	pa_check_mask(pa->free_muzzy, pa->muzzy_nonempty, "muzzy");
	pa_check_mask(pa->free_clean, pa->clean_nonempty, "clean");
	if (pa->npurging == 0 && (t.npurging_pages != 0 || t.nbusy != 0))
		msg_fatal("pa_check: no purge in flight, but %zu pages and "
		    "%zu spans are marked as purging", t.npurging_pages,
		    t.nbusy);
	if (t.ndirty != pa->stats.ndirty || t.nmuzzy != pa->stats.nmuzzy ||
	    t.nactive != pa->stats.nactive ||
	    t.nretained != pa->stats.nretained_sp ||
	    t.nruns != pa->stats.nruns_sp || t.nhuge != pa->stats.nhuge_sp)
		msg_fatal("pa_check: totals differ from the spans' sums: "
		    "ndirty %zu/%zu nmuzzy %zu/%zu nactive %zu/%zu "
		    "retained %zu/%zu runs %zu/%zu huge %zu/%zu",
		    pa->stats.ndirty, t.ndirty, pa->stats.nmuzzy, t.nmuzzy,
		    pa->stats.nactive, t.nactive, pa->stats.nretained_sp,
		    t.nretained, pa->stats.nruns_sp, t.nruns,
		    pa->stats.nhuge_sp, t.nhuge);
}
