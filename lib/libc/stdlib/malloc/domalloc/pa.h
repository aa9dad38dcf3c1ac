/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * pa.h: the page allocator of one arena.
 *
 * It owns the arena's superpages: free spans (dirty and clean, kept in
 * size buckets and coalesced with their neighbours through the address
 * map), superpages carved into page runs (kept in buckets by their
 * longest free run, so the search prefers a superpage whose free space
 * fits the request snugly and whole superpages stay dense or empty), and
 * huge spans.  A request that no single dirty span fits gathers adjacent
 * free spans of mixed states, fewest clean superpages first, before it
 * takes a clean span or grows the arena, so resident memory is reused
 * before fresh memory is faulted in.  New address space comes from the
 * platform layer in superpage-aligned chunks whose size doubles as the
 * arena grows; address space is retained (purged, not unmapped) once
 * obtained.
 * Unused dirty pages are purged by decay (decay.h), oldest first and
 * whole free superpages before pages inside partly used ones.  With a
 * non-zero muzzy decay time, whole free spans go dirty -> muzzy (lazy
 * purge, MADV_FREE: the kernel takes the pages when it needs them) ->
 * clean (forced purge) on two decay curves; pages inside partly used
 * superpages are always purged forced.
 *
 * Purges in flight.  A purge (pa_purge.c) makes its madvise or extent
 * hook calls without pa->lock.  Under the lock it first takes its victims
 * out of everyone's reach, and it books them under the lock again after
 * the calls; in between, the victims belong to that purge alone:
 *   - A whole free span is unlisted, off the LRU and busy, and its pages
 *     count in neither stats.ndirty nor stats.nmuzzy.  No allocation,
 *     merge, gather, huge resize or second purge takes a busy span.
 *   - Dirty pages of a runs superpage move from the superpage's dirtymap
 *     to its used and purging bitmaps (sp.h) and leave nsdirty and
 *     stats.ndirty.  No allocation or in-place grow takes them (they are
 *     used), no second purge (they are not dirty), a free of pages beside
 *     them leaves their bits alone, and the superpage cannot become a
 *     free span while they are in it (nused counts them).
 *   - Only the booking clears busy, or used and purging; a failed purge
 *     makes the pages dirty again.
 *   - npurging counts the purges between their first take and their last
 *     booking.  Reset and destroy, and fork's prefork, wait for it to
 *     reach 0 (pa_wait_purges, which counts itself in nwaiters; no purge
 *     starts while nwaiters is not 0).  So reset and destroy never discard
 *     a descriptor that a purge will book, and a fork child never inherits
 *     victims that no thread of its own would book; the child also drops
 *     the parent's waiters (nwaiters = 0), whose threads it does not have.
 *   - Hugifying (hpage.c) happens under the lock and may advise a runs
 *     superpage whose free pages are being purged: those pages hold no
 *     data, so whichever of the collapse and the purge the kernel does
 *     first, no live byte changes.  A purge withdraws the huge page
 *     advice only where it took the superpage as hugified.
 * The DOMALLOC_DEBUG build checks these invariants and sp.h's over the
 * whole arena (pa_check.c) after every purge and before every reset.
 *
 * Synchronization: every function takes pa->lock (RANK_PA) itself unless
 * its name ends in _locked; callers may hold a bin lock (RANK_BIN).  A
 * function that purges drops the lock around the system calls, also the
 * _locked ones (pa_run_free_locked).
 */
#ifndef PA_H
#define	PA_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decay.h"
#include "mutex.h"
#include "geom.h"
#include "sp.h"

/*
 * Runs superpages are kept in buckets by their longest free run: one per
 * length up to PA_RUNB_EXACT pages (the large classes up to 128 KiB), so
 * a request goes to a superpage whose longest free run fits it snugly and
 * longer runs stay whole for the requests that need them, then four per
 * doubling up to a superpage.
 */
#define	PA_RUNB_EXACT	32
/*
 * The bucket of a run of 2^L pages is 4 L + 11 (pa.c), so the longest
 * run of the largest superpage (geom.h) needs this many.
 */
#define	PA_NRUNB	(4 * GEOM_LG_SP_NPAGES_MAX + 12)
_Static_assert(PA_RUNB_EXACT == 32 && PA_NRUNB >= 4 * 9 + 12,
    "the run buckets cover a superpage of 512 pages and more");
_Static_assert(PA_NRUNB <= 64, "one bit per run bucket in runs_nonempty");

#define	PA_NFREEB	112	/* buckets by span length */
#define	PA_NFREEW	((PA_NFREEB + 63) / 64)	/* words of a bucket mask */

/*
 * Background threads as the page allocator sees them: flags, never a call
 * up into bg.c.  pa_bg_state is the state of the set of threads (bg.c
 * writes it); pa_decay_tick sets pa_bg_wanted when the policy (bg.h) asks
 * for threads and none runs: opt.background_thread, or, when that option
 * was not given, an arena with PA_BG_DIRTY bytes of dirty pages or
 * PA_BG_HPEND superpages waiting to be hugified.  bg_poll, on the next
 * allocation slow path, starts them.
 */
enum pa_bg_state { PA_BG_OFF = 0, PA_BG_STARTING, PA_BG_RUNNING };
extern _Atomic int	pa_bg_state;
extern _Atomic bool	pa_bg_wanted;
#define	PA_BG_DIRTY	((size_t)32 << 20)
#define	PA_BG_HPEND	8

struct slab;
struct extent_hooks_s;
TAILQ_HEAD(slab_list, slab);

/* A range of address space obtained at once, from the OS or a hook. */
struct pa_chunk {
	uintptr_t		addr;
	size_t			nsp;
	struct pa_chunk		*next;
};

struct pa_stats {
	size_t	nactive;	/* pages handed out (runs, huge) */
	size_t	ndirty;		/* unused pages that may be resident */
	size_t	nmuzzy;		/* unused pages purged lazily (MADV_FREE) */
	size_t	nmapped_sp;	/* superpages obtained from the OS */
	size_t	nretained_sp;	/* clean free superpages */
	size_t	nruns_sp;	/* superpages carved into runs */
	size_t	nhuge_sp;	/* superpages in huge spans */
	uint64_t npurge;	/* purge calls */
	uint64_t npurged;	/* pages purged */
	uint64_t nmadvise;	/* madvise calls */
	uint64_t muzzy_npurge;	/* muzzy to clean: sweeps */
	uint64_t muzzy_npurged;	/* muzzy to clean: pages */
	uint64_t muzzy_nmadvise;	/* muzzy to clean: madvise calls */
	size_t	nhugified_sp;	/* superpages advised MADV_HUGEPAGE */
	uint64_t nhugify;	/* hugify events */
};

struct pa {
	struct mutex		lock;
	struct arena		*arena;
	struct sp_list		runs[PA_NRUNB];
	uint64_t		runs_nonempty;	/* bit b: runs[b] has one */
	struct sp_list		free_dirty[PA_NFREEB];
	struct sp_list		free_muzzy[PA_NFREEB];
	struct sp_list		free_clean[PA_NFREEB];
	/*
	 * Bit b % 64 of word b / 64: free list b of that kind holds a span,
	 * so that searches skip the empty ones (most are).
	 */
	uint64_t		dirty_nonempty[PA_NFREEW];
	uint64_t		muzzy_nonempty[PA_NFREEW];
	uint64_t		clean_nonempty[PA_NFREEW];
	struct sp_list		lru;		/* dirty spans, oldest first */
	struct sp_list		lru_muzzy;	/* muzzy spans, oldest first */
	struct sp_list		hpend;		/* to hugify, oldest first */
	size_t			nhpend;		/* superpages on hpend */
	uint64_t		large_ns;	/* first seen large (hpage.c) */
	struct sp_list		spare;		/* unused descriptors */
	struct slab_list	spare_slabs;	/* unused slab descriptors */
	size_t			grow_nsp;	/* next OS request */
	struct decay		decay;		/* dirty to muzzy (or clean) */
	struct decay		decay_muzzy;	/* muzzy to clean */
	_Atomic uint32_t	ticks;
	struct pa_stats		stats;
	struct pa_chunk		*chunks;	/* everything ever obtained */
	struct pa_chunk		*spare_chunks;	/* records to reuse */
	struct extent_hooks_s	*hooks;		/* NULL: the platform layer */
	bool			purge_failed;	/* a hook refused to purge */
	unsigned		npurging;	/* purges with victims in flight */
	unsigned		nwaiters;	/* pa_wait_purges callers */
};

/* Superpages hugified per lock hold (hpage_tick). */
#define	PA_HUGIFY_BUDGET	4

bool	 pa_init(struct pa *pa, struct arena *arena, int64_t decay_ms,
	    int64_t muzzy_decay_ms);
/*
 * pa_init for the page allocator of a destroyed arena that is reused: the
 * descriptors and chunk records pa_destroy kept stay for the new life.
 */
void	 pa_reinit(struct pa *pa, struct arena *arena, int64_t decay_ms,
	    int64_t muzzy_decay_ms);

/* Page runs inside superpages (slabs and large allocations). */
struct sp *pa_run_alloc(struct pa *pa, size_t npages, size_t align_pages,
	    unsigned *pidx, bool *dirty);
void	 pa_run_free(struct pa *pa, struct sp *sp, unsigned pidx,
	    size_t npages);
struct sp *pa_run_alloc_locked(struct pa *pa, size_t npages,
	    size_t align_pages, unsigned *pidx, bool *dirty);
/*
 * pa_run_alloc from memory the arena holds already: a superpage carved
 * into runs, or a dirty or muzzy free span; NULL rather than gathering
 * spans, taking a clean one or growing, and NULL with *hooked set in an
 * arena with extent hooks.  With lend (a run for another arena's thread),
 * a run in a runs superpage must be dirty in every page.  For
 * large_alloc_shared.
 */
struct sp *pa_run_alloc_resident(struct pa *pa, size_t npages,
	    size_t align_pages, bool lend, unsigned *pidx, bool *dirty,
	    bool *hooked);
void	 pa_run_free_locked(struct pa *pa, struct sp *sp, unsigned pidx,
	    size_t npages);
bool	 pa_run_grow(struct pa *pa, struct sp *sp, unsigned pidx,
	    size_t oldpages, size_t newpages, bool *dirty);
void	 pa_run_shrink(struct pa *pa, struct sp *sp, unsigned pidx,
	    size_t oldpages, size_t newpages);

/* Huge spans of whole superpages. */
struct sp *pa_huge_alloc(struct pa *pa, size_t size, size_t align,
	    bool *zeroed);
void	 pa_huge_free(struct pa *pa, struct sp *sp);
/*
 * Resize a huge span in place.  With movable, growing into clean
 * superpages is declined while a dirty span holds the whole new size.
 */
bool	 pa_huge_resize(struct pa *pa, struct sp *sp, size_t newsize,
	    bool movable);

/* Slab descriptors. */
struct slab *pa_slab_desc_get(struct pa *pa);
void	 pa_slab_desc_put_locked(struct pa *pa, struct slab *slab);

/* Decay and purging. */
void	 pa_decay_tick(struct pa *pa);
void	 pa_decay_set(struct pa *pa, int64_t ms);
void	 pa_muzzy_decay_set(struct pa *pa, int64_t ms);
void	 pa_purge_all(struct pa *pa);
void	 pa_decay_run(struct pa *pa);
/* Hugify all that is due; returns ns until the next is (0: none). */
uint64_t pa_hugify_run(struct pa *pa);

void	 pa_stats_read(struct pa *pa, struct pa_stats *out);
/*
 * Add to pages[node] an estimate of this arena's pages the kernel places
 * on each node: one page in PA_NODE_STRIDE of its address space is asked
 * about, and counts for PA_NODE_STRIDE pages if resident.
 */
#define	PA_NODE_STRIDE	16
void	 pa_node_pages(struct pa *pa, size_t *pages, unsigned nnodes);

/*
 * Extent hooks (jemalloc's extent_hooks_t): when set, address space comes
 * from hooks->alloc and purging goes through hooks->purge_*; merges of
 * free spans ask hooks->merge.  Address space is never given back while
 * the arena lives (it is retained), so dalloc and destroy are called only
 * by pa_destroy().
 */
struct extent_hooks_s *pa_hooks_get(struct pa *pa);
/* The default hooks (pa_hooks.c): the platform layer, as pa uses it. */
extern struct extent_hooks_s pa_hooks_default;
void	 pa_hooks_set(struct pa *pa, struct extent_hooks_s *hooks);
/* Discard every allocation (the bins must be emptied first). */
void	 pa_reset(struct pa *pa);
/*
 * pa_reset, then give all address space back; the descriptors and chunk
 * records are kept for pa_reinit.
 */
void	 pa_destroy(struct pa *pa);

void	 pa_prefork(struct pa *pa);
void	 pa_postfork_parent(struct pa *pa);
void	 pa_postfork_child(struct pa *pa);

#endif /* !PA_H */
