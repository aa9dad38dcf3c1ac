/*
 * tcache.h: per-thread caches of small (and small large) objects.
 *
 * A thread cache is an array of bins, one per size class up to
 * opt.tcache_max, each a stack of free pointers.  malloc pops and free
 * pushes with no lock and no atomic; an empty bin is filled from the
 * arena in one batch (half its capacity), a full bin flushes its older
 * half back to the owning arenas, grouped by arena.  lowwater records the
 * smallest count since the last garbage collection; the collector, run
 * every TCACHE_GC_EVENTS slow-path events on one bin at a time, returns
 * three quarters of the objects that sat unused below the low water mark.
 *
 * stack[-1] is a NULL sentinel so the free fast path can compare with the
 * top of the stack (catching an immediate double free) without testing
 * for an empty bin.  Invariants: 0 <= lowwater <= ncached <= max.
 *
 * Synchronization: a cache is touched only by its thread, except by the
 * registry functions, which hold tcaches_lock (RANK_TCACHES) and only
 * link and unlink caches.
 */
#ifndef TCACHE_H
#define	TCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "sc.h"
#include "util.h"

struct arena;

struct tbin {
	void		**stack;
	uint16_t	ncached;
	uint16_t	lowwater;
	uint16_t	max;
	uint16_t	nfill;
	uint64_t	nmalloc;	/* pops, for statistics */
	uint64_t	nfree;		/* pushes, for statistics */
};

struct tcache {
	struct tbin	bins[SC_NTBINS_MAX];
	unsigned	nhbins;		/* bins in use; 0 = no cache */
	unsigned	gc_bin;
	unsigned	events;
	void		*mem;		/* the stacks */
	size_t		memsize;
	struct arena	*arena;		/* where fills come from */
};

#define	TCACHE_GC_EVENTS	32

extern unsigned tcache_nhbins;

void	 tcache_boot(void);
bool	 tcache_create(struct tcache *tc, struct arena *arena);
void	 tcache_destroy(struct tcache *tc);
void	*tcache_alloc_slow(struct tcache *tc, unsigned ind);
void	 tcache_dalloc_slow(struct tcache *tc, unsigned ind, void *p);
void	 tcache_flush(struct tcache *tc);
void	 tcache_prefork(void);
void	 tcache_postfork_parent(void);
void	 tcache_postfork_child(void);

#endif /* !TCACHE_H */
