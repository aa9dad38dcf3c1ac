/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * pa_gather.c: gathering adjacent free spans of mixed states into one
 * dirty span for a request that no single dirty span fits (see pa_int.h
 * and pa.h).  Called from pa_span_take with the arena's page allocator
 * lock held; everything here runs under that lock.
 */
#include <stdint.h>

#include <malloc_np.h>

#include "amap.h"
#include "pa.h"
#include "pa_int.h"

/*
 * Gathering.  Free spans of different states are not merged: a dirty
 * span next to a clean one stays two spans, so that clean memory stays
 * known to be zero and is used only when no dirty memory fits.  But a
 * request that fits no single span may well fit a dirty span and its
 * clean (or muzzy) neighbours together, and growing instead maps fresh
 * memory that the request then faults in whole, while the dirty pages
 * next door stay resident unused: in the large benchmark a 32 MiB
 * request grew the arena by 64 superpages beside 9 dirty and 7 clean
 * adjacent free superpages.  So before growing, the page allocator looks
 * for the window of adjacent free spans that needs the fewest clean
 * superpages and merges its spans into one dirty span.  Not done with
 * extent hooks that have a merge hook: the hook would have to be asked
 * while merely looking.
 */

/* The free span just above (up) or below sp, or NULL. */
static struct sp *
pa_free_next(struct pa *pa, struct sp *sp, bool up)
{
	struct sp *n;

	if (up) {
		n = amap_lookup((void *)(sp->addr + (sp->nsp << LG_SUPERPAGE)));
		if (!pa_gatherable(pa, n) ||
		    n->addr != sp->addr + (sp->nsp << LG_SUPERPAGE))
			return (NULL);
	} else {
		n = amap_lookup((void *)(sp->addr - SUPERPAGE));
		if (!pa_gatherable(pa, n) ||
		    n->addr + (n->nsp << LG_SUPERPAGE) != sp->addr)
			return (NULL);
	}
	return (n);
}

/*
 * The clean superpages in [start, end) if adjacent free spans from sp
 * (which holds start or end - 1, as up says) cover it, else SIZE_MAX.
 */
static size_t
pa_window_clean(struct pa *pa, struct sp *sp, uintptr_t start, uintptr_t end,
    bool up)
{
	uintptr_t lo, hi;
	size_t nclean = 0;

	for (;;) {
		lo = DM_MAX(sp->addr, start);
		hi = DM_MIN(sp->addr + (sp->nsp << LG_SUPERPAGE), end);
		if (!sp->dirty)
			nclean += (hi - lo) >> LG_SUPERPAGE;
		if (up ? hi == end : lo == start)
			return (nclean);
		if ((sp = pa_free_next(pa, sp, up)) == NULL)
			return (SIZE_MAX);
	}
}

/*
 * Split free span sp (unlisted) at superpage address at: sp keeps the
 * part below, the returned descriptor the part above, which gets its
 * share of the dirty pages and sp's state.
 */
static struct sp *
pa_span_split(struct sp *sp, uintptr_t at, struct sp *hi)
{
	hi->kind = SP_FREE;
	hi->dirty = sp->dirty;
	hi->muzzy = sp->muzzy;
	hi->addr = at;
	hi->nsp = sp->nsp - ((at - sp->addr) >> LG_SUPERPAGE);
	hi->ndirty = sp->ndirty * hi->nsp / sp->nsp;
	sp->ndirty -= hi->ndirty;
	sp->nsp -= hi->nsp;
	sp->dmap_valid = false;
	amap_set(at, hi->nsp, hi);
	return (hi);
}

/* Charge a free span being gathered (unlisted) as dirty. */
static void
pa_gather_one(struct pa *pa, struct sp *sp)
{
	if (!sp->dirty) {
		pa->stats.nretained_sp -= sp->nsp;
		sp->ndirty = 0;
	} else if (sp->muzzy) {
		pa->stats.nmuzzy -= DM_MIN(pa->stats.nmuzzy, sp->ndirty);
		pa->stats.ndirty += sp->ndirty;
	}
	sp->dirty = true;
	sp->muzzy = false;
}

/*
 * Merge the adjacent free spans that cover [start, end), the lowest of
 * them sp, into one dirty span of exactly that range, whose ndirty counts
 * what theirs did; the parts of the first and last span outside the range
 * keep their state (a clean remainder stays clean, so it is not preferred
 * later as if it were resident).  The result is unlisted and busy, so the
 * remainders do not merge back into it; pa_span_take clears busy.  NULL
 * if descriptors for the remainders cannot be had.
 */
static struct sp *
pa_gather(struct pa *pa, struct sp *sp, uintptr_t start, uintptr_t end)
{
	struct sp *lead = NULL, *trail = NULL, *n, *d[2];

	d[0] = pa_desc_get(pa);
	d[1] = pa_desc_get(pa);
	if (d[0] == NULL || d[1] == NULL) {
		if (d[0] != NULL)
			pa_desc_put(pa, d[0]);
		if (d[1] != NULL)
			pa_desc_put(pa, d[1]);
		return (NULL);
	}
	pa_unlist(pa, sp);
	pa_lru_remove(pa, sp);
	if (sp->addr < start) {
		lead = sp;
		sp = pa_span_split(lead, start, d[0]);
		d[0] = NULL;
	}
	for (n = sp;;) {
		if (n->addr + (n->nsp << LG_SUPERPAGE) > end) {
			trail = pa_span_split(n, end, d[1]);
			d[1] = NULL;
		}
		pa_gather_one(pa, n);
		if (n != sp)
			sp = pa_merge(pa, sp, n);
		if (sp->addr + (sp->nsp << LG_SUPERPAGE) == end)
			break;
		n = pa_free_next(pa, sp, true);
		pa_unlist(pa, n);
		pa_lru_remove(pa, n);
	}
	sp->busy = true;
	if (lead != NULL)
		pa_free_insert(pa, lead);
	if (trail != NULL)
		pa_free_insert(pa, trail);
	if (d[0] != NULL)
		pa_desc_put(pa, d[0]);
	if (d[1] != NULL)
		pa_desc_put(pa, d[1]);
	return (sp);
}

/*
 * No single dirty or muzzy span holds nsp superpages at an align-aligned
 * address: gather the window of adjacent free spans that does with the
 * fewest clean superpages, if it has fewer than nsp.  The best window
 * starts where a dirty span starts or ends where one ends (sliding it off
 * such a border trades dirty superpages for clean ones or nothing), so
 * only those are tried.  Returns the gathered span, *startp the window.
 */
struct sp *
pa_span_gather(struct pa *pa, size_t nsp, size_t align, uintptr_t *startp)
{
	struct sp_list *lists[2] = { pa->free_dirty, pa->free_muzzy };
	const uint64_t *masks[2] = { pa->dirty_nonempty, pa->muzzy_nonempty };
	struct sp *sp, *best = NULL;
	uintptr_t s[2], end, best_start = 0, len = nsp << LG_SUPERPAGE;
	size_t nclean, best_clean = nsp;
	unsigned b, l, k;

	if (pa->hooks != NULL && pa->hooks->merge != NULL)
		return (NULL);
	for (l = 0; l < 2; l++)
		for (b = pa_next_bucket(masks[l], 0); b < PA_NFREEB;
		    b = pa_next_bucket(masks[l], b + 1))
			TAILQ_FOREACH(sp, &lists[l][b], blink) {
				/* From its start up, and to its end down. */
				end = sp->addr + (sp->nsp << LG_SUPERPAGE);
				s[0] = ALIGN_UP(sp->addr, align);
				s[1] = end < len ? end :
				    ALIGN_DOWN(end - len, align);
				for (k = 0; k < 2; k++) {
					if (s[k] >= end)
						continue;
					nclean = pa_window_clean(pa, sp, s[k],
					    s[k] + len, s[k] >= sp->addr);
					if (nclean < best_clean) {
						best_clean = nclean;
						best = sp;
						best_start = s[k];
					}
				}
			}
	if (best == NULL)
		return (NULL);
	/* The lowest span of the window, then merge upwards. */
	for (sp = best; sp->addr > best_start;)
		sp = pa_free_next(pa, sp, false);
	*startp = best_start;
	return (pa_gather(pa, sp, best_start, best_start + len));
}
