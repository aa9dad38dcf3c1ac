/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * alloc.h: the allocation and free paths shared by every public entry
 * point (malloc.c, allocx.c, compat.c).  The fast paths are inline here;
 * each has one predicted-false exit to a noinline slow path in alloc.c.
 *
 * Fast-path budget (x86-64, gcc -O2, shared object; check with objdump
 * after any change here): malloc of a cached size class is a size
 * compare, an index, the TLS offset from the GOT, one load of the bin
 * pointer (tsd->bin_of), a compare with the low water mark and a pop
 * with the two counts updated in memory: 14 instructions to its ret.
 * free is the superpage of the last free in p's slot (tsd->sp_last:
 * a shift and a mask to the slot, a subtraction and a compare that also
 * bounds the page index; the address map only on a miss), one page map
 * pair, the bin offset from the entry by an
 * exclusive or and a mask, the region check as one multiplication, an
 * addition and a compare, the full compare, the free marker's load,
 * compare and store (mark.h) and a push.  malloc clears the marker of the
 * object it pops: one store.  With the benchmark loop, malloc(32)+free is
 * 58 instructions (tests/bench/fastpath_instr; 52 before the marker,
 * which replaced a compare with the top of the stack; 55 before the
 * slots of sp_last, whose 3 instructions save a branch that a heap of
 * small objects over two superpages mispredicted on a third of frees).
 * Nothing else belongs here: statistics beyond the per-bin pop counter,
 * decay, GC and NUMA checks live on the slow paths.
 * The free marker that free compares and sets is described in mark.h.
 * Synchronization: none on the fast paths (thread-local state only).
 */
#ifndef ALLOC_H
#define	ALLOC_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amap.h"
#include "mark.h"
#include "sc.h"
#include "sp.h"
#include "tsd.h"

struct arena;

/* realloc(p, 0) calls with p not NULL (stats.zero_reallocs). */
extern _Atomic size_t alloc_zero_reallocs;

/* Flags for the generic paths. */
#define	ALLOC_ZERO	0x1
#define	ALLOC_NOCACHE	0x2
#define	ALLOC_SAMPLE	0x4	/* sampled already (allocx.c, prof.h) */

void	*alloc_slow(size_t size);
void	*alloc_generic(size_t size, size_t align, unsigned flags,
	    struct arena *arena);
void	 free_slow(void *p);
/* Sized free (fn names it): size and align must give p's usable size. */
void	 free_sized_slow(void *p, size_t size, size_t align, const char *fn);
/*
 * Resize the large or huge object p in place (large_resize), zeroing what
 * it gains if zero or opt.zero, and count it in the thread's allocated
 * and deallocated bytes.  False if it cannot be done in place.
 */
bool	 alloc_resize(struct sp *sp, void *p, size_t oldusize, size_t usize,
	    bool zero, bool movable);
/*
 * prof:true, after realloc or rallocx resized p (in sp, not sampled) in
 * place to usable size usize: count that as an allocation; if it is the
 * sample, move it to a sampled object (size, align, flags and arena as
 * the request's).  Returns the object, p or its new place.
 */
void	*alloc_resized_prof(void *p, struct sp *sp, size_t usize,
	    size_t size, size_t align, unsigned flags, struct arena *arena);
/* Abort unless size and align give the usable size of p (validated). */
void	 alloc_check_size(const void *p, struct sp *sp, unsigned ind,
	    size_t size, size_t align, const char *fn);
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
/*
 * realloc of p (not NULL) to size (not 0) when both the old and the new
 * size are small and p is a live object of this thread's cache window:
 * the same class keeps p, another is a pop, a copy and a push, as
 * malloc, memcpy and free would do, without the generic paths.  Returns
 * false, having touched nothing, when p or size is outside that case;
 * otherwise true with the result (NULL if out of memory, p kept) in *qp.
 */
bool	 alloc_realloc_cached(void *p, size_t size, void **qp);
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
			return (mark_live((tb->stack + n)[-1]));
		}
		if (n != 0) {
			tb->lowwater = tb->ncached = --n;
			tb->nmalloc++;
			return (mark_live(tb->stack[n]));
		}
	}
	return (alloc_slow(size));
}

/*
 * free, and with sized the sized free of sdallocx and free_sized: the
 * object's bin from the page map must then also be the bin malloc(size)
 * pops from (bin_of), that is, size maps to the object's class; any
 * other size goes to free_sized_slow, which reports it.  One load and
 * one compare more than free, so a sized free costs what a free does.
 */
DM_INLINE void
free_fast_impl(void *p, bool sized, size_t size, const char *fn)
{
	struct tsd *tsd = tsd_get();
	const struct pmap_ent *pe;
	const struct sp *sp;
	struct tbin *tb;
	uintptr_t a;
	uint32_t x;
	size_t n;

	/*
	 * a < SUPERPAGE also keeps the page map index inside pmap[]; the
	 * run-time superpage is compared in memory and the index shift is
	 * the constant granule (geom.h), so the geometry costs nothing here.
	 */
	sp = TSD_SP_LAST(tsd, p);
	a = (uintptr_t)p - sp->addr;
	if (unlikely(a >= SUPERPAGE)) {
		sp = amap_lookup(p);
		if (sp == NULL || (a = (uintptr_t)p - sp->addr) >= SUPERPAGE)
			goto slow;
		tsd->sp_last[TSD_SP_SLOT(p)] = sp;
	}
	pe = &sp->pmap[a >> GEOM_LG_PMAP];
	/*
	 * Unused entries (0, PMAP_SLOW) and other nodes' objects land on
	 * bins with max 0 and magic 0 (tcache.h).
	 */
	tb = (struct tbin *)((char *)tsd->tc.bins +
	    TCACHE_BIN_OFF(pe->e, tsd->tc.nodexor));
	/*
	 * x is the offset of p in its slab times the class's magic (sp.h),
	 * below the magic iff p starts a region (sc.h); never for an empty
	 * bin (magic 0).  The compare reads magic from memory again rather
	 * than from a register copy.
	 */
	x = (uint32_t)(uintptr_t)p * tb->magic + pe->k;
	DM_FORGET(tb->magic);
	if (sized && (size > SC_LUT_MAX ||
	    tsd->bin_of[(size + SC_QUANTUM - 1) >> SC_LG_QUANTUM] != tb))
		goto slow;
	if (likely(x < tb->magic)) {
		n = tb->ncached;
		/* A marked object is not live: the slow path says why. */
		if (likely(n < tb->max && !mark_is_free(p))) {
			mark_free(p);
			tb->stack[n] = p;
			/* In place: no register copy of n + 1. */
			DM_FORGET(tb->ncached);
			tb->ncached++;
			return;
		}
	}
slow:
	if (sized)
		free_sized_slow(p, size, 0, fn);
	else
		free_slow(p);
}

DM_INLINE void
free_fast(void *p)
{
	free_fast_impl(p, false, 0, NULL);
}

DM_INLINE void
free_sized_fast(void *p, size_t size, const char *fn)
{
	free_fast_impl(p, true, size, fn);
}

#endif /* !ALLOC_H */
