/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * arena.h: an arena, the unit of independent allocation state: a bin per
 * small size class, a page allocator with its decay state, statistics,
 * and the NUMA node it belongs to.
 *
 * Automatic arenas (indices 0 .. narenas_auto - 1) are created on demand
 * and shared by threads, each thread bound to the least loaded one;
 * explicit arenas (arenas.create) come after them.  Arenas are never
 * freed, so a pointer to one stays valid.
 * Synchronization: arenas_lock (RANK_ARENAS) serialises creation; the
 * table is read lock-free (entries are published with release stores).
 * nthreads is atomic.  Bins and the page allocator have their own locks.
 */
#ifndef ARENA_H
#define	ARENA_H

#include <stdatomic.h>
#include <stdbool.h>

#include "bin.h"
#include "pa.h"
#include "sc.h"

struct extent_hooks_s;

#define	ARENA_LIMIT	4095	/* as MALLOCX_ARENA_LIMIT */
#define	ARENA_NODE_NONE	(~0u)

struct arena_lstats {
	_Atomic uint64_t	nmalloc;
	_Atomic uint64_t	ndalloc;
};

struct arena {
	struct bin		bins[SC_NBINS];
	struct pa		pa;
	unsigned		ind;
	unsigned		node;		/* ARENA_NODE_NONE: unbound */
	uint8_t			win;		/* node & 3, see sp.h */
	_Atomic unsigned	nthreads;
	_Atomic bool		destroyed;	/* arena.<i>.destroy done */
	struct arena		*next_free;	/* destroyed, for reuse */
	struct arena_lstats	lstats[SC_NSIZES - SC_NBINS];
	/*
	 * Bytes (usable sizes) of the live sampled objects on pages of
	 * their own (prof.c; huge ones count in lstats): counted as large,
	 * as jemalloc counts its promoted samples.
	 */
	_Atomic uint64_t	prof_allocated;
};

extern struct arena *_Atomic arenas[ARENA_LIMIT];
extern unsigned narenas_auto;
extern _Atomic unsigned narenas_total;

bool		 arena_boot(void);
struct arena	*arena_get(unsigned ind, bool create);
/* The least loaded automatic arena of a node (any node if not NUMA). */
struct arena	*arena_choose(unsigned node);
/*
 * NUMA: are automatic arenas bound to nodes?  arena_set_node() binds an
 * arena (arena.<i>.numa_node): address space it obtains from then on is
 * placed on that node.  false if node does not exist.
 */
bool		 arena_numa(void);
bool		 arena_set_node(struct arena *arena, unsigned node);
/*
 * Re-read the topology from the platform layer and re-bind the automatic
 * arenas (whitebox tests, after pal_simulate_topology()).
 */
void		 arena_numa_reconfigure(void);
/* Arena placement, pure: node of automatic arena i of narenas. */
unsigned	 arena_node_of(unsigned i, unsigned nnodes);
/* Automatic arena count for a request of n arenas on nnodes nodes. */
unsigned	 arena_count(unsigned n, unsigned ncpus, unsigned nnodes);
/*
 * arenas.create: an explicit arena, a destroyed one made anew (same index,
 * same metadata) if there is one, so that create and destroy cycles
 * neither run out of indices nor grow the metadata.
 */
struct arena	*arena_create_explicit(struct extent_hooks_s *hooks);
/*
 * arena.<i>.reset and .destroy, for explicit arenas only: every allocation
 * of the arena is discarded at once.  The caller guarantees that no thread
 * uses the arena or caches its objects any more (as jemalloc requires).
 * Destroy is two steps, so that the statistics can take the arena's
 * final counts between them: arena_destroy_begin marks it destroyed
 * (false if it was, or is automatic) and discards its objects;
 * arena_destroy_end gives its memory back and keeps the arena, empty,
 * for arena_create_explicit to reuse.
 */
bool		 arena_reset(struct arena *arena);
bool		 arena_destroy_begin(struct arena *arena);
void		 arena_destroy_end(struct arena *arena);

/* Allocation without a thread cache. */
void		*arena_malloc(struct arena *arena, size_t usize, size_t align,
		    bool zero);
/* Free of a small region without a thread cache. */
void		 arena_dalloc_small(struct sp *sp, void *p);


void		 arena_prefork(void);
void		 arena_postfork_parent(void);
void		 arena_postfork_child(void);

#endif /* !ARENA_H */
