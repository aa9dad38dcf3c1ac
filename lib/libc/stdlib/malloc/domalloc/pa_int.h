/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * pa_int.h: the page allocator's own helpers, shared by its files (pa.c:
 * runs, spans, huge spans, reset; pa_gather.c: gathering adjacent free
 * spans; pa_purge.c: purging and decay; pa_check.c: the invariant
 * checker of debug builds).  Not for the rest of the allocator, which
 * uses pa.h.
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

#define	PA_NOBUCKET	0xff	/* sp->bucket of an unlisted descriptor */

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

/*
 * The first bucket from b on whose bit is set in mask (a nonempty mask of
 * pa.h), or PA_NFREEB.
 */
DM_INLINE unsigned
pa_next_bucket(const uint64_t *mask, unsigned b)
{
	unsigned w = b >> 6;
	uint64_t x;

	if (b >= PA_NFREEB)
		return (PA_NFREEB);
	x = mask[w] & (UINT64_MAX << (b & 63));
	while (x == 0) {
		if (++w == PA_NFREEW)
			return (PA_NFREEB);
		x = mask[w];
	}
	return ((w << 6) + (unsigned)__builtin_ctzll(x));
}

/* The arena's index, for extent hooks. */
unsigned pa_ind(struct pa *pa);
/* Forced purge through the OS or the hooks: false on failure. */
bool	 pa_os_purge(struct pa *pa, uintptr_t addr, size_t size);
/* The page count a free span is charged to: ndirty or nmuzzy. */
size_t	*pa_counter(struct pa *pa, struct sp *sp);
/* On the dirty (or muzzy) LRU, if not yet. */
void	 pa_lru_add(struct pa *pa, struct sp *sp);
/* A runs superpage to the bucket of its longest free run. */
void	 pa_list_runs(struct pa *pa, struct sp *sp);
/* Hand a span back as free memory, ndirty of its pages maybe resident. */
void	 pa_span_release(struct pa *pa, struct sp *sp, size_t ndirty);
/*
 * Purge up to want dirty pages, oldest first (all: hugified superpages
 * too).  Drops the lock around the system calls (see pa.h).
 */
void	 pa_purge_locked(struct pa *pa, size_t want, bool all);
/*
 * Unmap every clean free span (retained address space), when retain is
 * false or a grow failed; returns the superpages given back.  Not with
 * extent hooks.
 */
size_t	 pa_unmap_clean_locked(struct pa *pa);
/*
 * Wait until no purge is in flight; no new one starts meanwhile.  Drops
 * the lock while it waits.
 */
void	 pa_wait_purges(struct pa *pa);
/*
 * Debug builds: check the invariants of pa.h and sp.h over every
 * superpage of the arena, and abort through msg_fatal on the first one
 * broken.  In other builds it does nothing.
 */
void	 pa_check_locked(struct pa *pa);
/* Whether every page map entry of sp is 0 (for the checks). */
bool	 pa_pmap_zero(const struct sp *sp);

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
