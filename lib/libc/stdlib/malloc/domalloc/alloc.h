/*
 * alloc.h: the allocation and free paths shared by every public entry
 * point (malloc.c, allocx.c, compat.c).  The fast paths are inline here;
 * each has one predicted-false exit to a noinline slow path in alloc.c.
 *
 * Fast-path budget (x86-64, gcc -O2): malloc of a cached size class is a
 * TLS address, a table lookup, a compare and a pop; free is a two-level
 * map lookup, a page word, a divisibility check, a compare with the stack
 * top and a push.  Nothing else belongs here: statistics beyond the two
 * per-bin counters, decay, GC and NUMA checks live on the slow paths.
 * Synchronization: none on the fast paths (thread-local state only).
 */
#ifndef ALLOC_H
#define	ALLOC_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "amap.h"
#include "sc.h"
#include "sp.h"
#include "tsd.h"

struct arena;

/* Flags for the generic paths. */
#define	ALLOC_ZERO	0x1
#define	ALLOC_NOCACHE	0x2

void	*alloc_slow(size_t size);
void	*alloc_generic(size_t size, size_t align, unsigned flags,
	    struct arena *arena);
void	 free_slow(void *p);
/* Free a pointer already validated by alloc_lookup. */
void	 free_validated(void *p, struct sp *sp, unsigned ind, unsigned flags);
/*
 * Validate p as a live allocation and return its descriptor, with its
 * class index in *ind (for huge spans, the index of its usable size).
 * Reports and aborts on anything else, naming fn.
 */
struct sp *alloc_lookup(const void *p, unsigned *ind, const char *fn);
size_t	 alloc_usize(const void *p, struct sp *sp, unsigned ind);
void	*alloc_realloc(void *p, size_t size, size_t align, unsigned flags,
	    struct arena *arena, const char *fn);
void	*alloc_oom(size_t size);

DM_INLINE void *
alloc_fast(size_t size)
{
	struct tsd *tsd = tsd_get();

	if (likely(size <= SC_LUT_MAX)) {
		struct tbin *tb;
		uint32_t n;

		tb = tsd->bin_of[(size + SC_QUANTUM - 1) >> SC_LG_QUANTUM];
		n = tb->ncached;
		if (likely(n > tb->lowwater)) {
			/* In place: no register copy of n - 1 to store. */
			DM_FORGET(tb->ncached);
			tb->ncached--;
			tb->nmalloc++;
			return ((tb->stack + n)[-1]);
		}
		if (n != 0) {
			tb->lowwater = tb->ncached = --n;
			tb->nmalloc++;
			return (tb->stack[n]);
		}
	}
	return (alloc_slow(size));
}

DM_INLINE void
free_fast(void *p)
{
	struct tsd *tsd = tsd_get();
	const struct sp *sp;
	uintptr_t a;

	/* a < SUPERPAGE also keeps the page index inside pmap[]. */
	sp = tsd->sp_last;
	a = (uintptr_t)p - sp->addr;
	if (unlikely(a >= SUPERPAGE)) {
		sp = amap_lookup(p);
		if (sp == NULL || (a = (uintptr_t)p - sp->addr) >= SUPERPAGE)
			goto slow;
		tsd->sp_last = sp;
	}
	{
		const struct pmap_ent *pe = &sp->pmap[a >> LG_PAGE];
		struct tbin *tb;

		/*
		 * Unused entries (0, PMAP_SLOW) and other nodes' objects land
		 * on bins with max 0 and magic 0 (tcache.h).
		 */
		tb = (struct tbin *)((char *)tsd->tc.bins +
		    TCACHE_BIN_OFF(pe->e, tsd->tc.nodexor));
		/*
		 * The offset of p in its slab is a multiple of the size (sp.h,
		 * sc.h); never true for an empty bin (magic 0).
		 */
		uint32_t x = (uint32_t)(uintptr_t)p * tb->magic + pe->k;

		/* Both operands from memory: no register copy of magic. */
		DM_FORGET(tb->magic);
		if (likely(x < tb->magic)) {
			size_t n = tb->ncached;

			if (likely(n < tb->max && (tb->stack + n)[-1] != p)) {
				tb->stack[n] = p;
				/* In place: no register copy of n + 1. */
				DM_FORGET(tb->ncached);
				tb->ncached++;
				return;
			}
		}
	}
slow:
	free_slow(p);
}

#endif /* !ALLOC_H */
