/*
 * pa_int.h: the page allocator's own helpers, shared by its two files
 * (pa.c: runs, spans, decay, purging; pa_gather.c: gathering adjacent
 * free spans).  Not for the rest of the allocator, which uses pa.h.
 *
 * Synchronization: every function here is called with the arena's page
 * allocator lock (pa->lock) held.
 */
#ifndef PA_INT_H
#define	PA_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "pa.h"
#include "sp.h"

/*
 * May sp (found through the address map) join a span of this arena: a
 * free span of this arena that no purge is working on?
 */
DM_INLINE bool
pa_gatherable(const struct pa *pa, const struct sp *sp)
{
	return (sp != NULL && sp->kind == SP_FREE && sp->nsp != 0 &&
	    !sp->busy && sp->arena == pa->arena);
}

/* A zeroed descriptor of this arena (from the spare list or base). */
struct sp *pa_desc_get(struct pa *pa);
/* Back to the spare list. */
void	 pa_desc_put(struct pa *pa, struct sp *sp);
/* Off the dirty LRU, if on it. */
void	 pa_lru_remove(struct pa *pa, struct sp *sp);
/* Off its bucket list, if on one. */
void	 pa_unlist(struct pa *pa, struct sp *sp);
/* Merge free span hi into lo, adjacent and unlisted; returns lo. */
struct sp *pa_merge(struct pa *pa, struct sp *lo, struct sp *hi);
/* List a free span, merging it with free neighbours where allowed. */
void	 pa_free_insert(struct pa *pa, struct sp *sp);
/*
 * No single dirty or muzzy span holds nsp superpages at an align-aligned
 * address: gather adjacent free spans into one dirty span that does (the
 * window with the fewest clean superpages, if fewer than nsp), unlisted
 * and busy.  NULL if no window is worth it; *startp the window's start.
 */
struct sp *pa_span_gather(struct pa *pa, size_t nsp, size_t align,
	    uintptr_t *startp);

#endif /* !PA_INT_H */
