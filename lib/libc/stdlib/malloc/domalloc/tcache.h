/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * tcache.h: per-thread caches of small (and small large) objects.
 *
 * A thread cache is an array of bins, one per size class up to
 * opt.tcache_max, each a stack of free pointers.  malloc pops and free
 * pushes with no lock and no atomic; an empty bin is filled from the
 * arena in one batch (half its capacity), a full bin flushes its older
 * half back to the owning arenas, grouped by arena.  lowwater records the
 * smallest count since the last garbage collection; the collector, run
 * every TCACHE_GC_EVENTS slow-path events on one bin at a time, returns
 * three quarters of the objects that sat unused below the low water mark;
 * every few events an idle sweep empties the grown bins nobody touched
 * since the sweep before (TCACHE_IDLE_EVENTS).
 *
 * Every object in a stack carries the free marker (mark.h), which is how
 * free sees a second free of an object that is still cached.
 * Invariants: 0 <= lowwater <= ncached <= max <= the bin's capacity.
 *
 * A cache is made cheaply, because threads that live for one request are
 * common: tcache_create takes a block of stacks (recycled from an exited
 * thread when one is pooled) and sets up no bin.  A bin is set up the
 * first time a slow path uses it (tcache_bin_init; until then it has max
 * and magic 0, like the bins past nhbins, so both fast paths leave it
 * alone), its first fill takes at most TCACHE_FILL_FIRST objects, and
 * tcache_destroy visits only the bins that were set up (the live mask).
 * Between a destroy and the next create the cache is in its reset state:
 * every bin and per-bin counter zero, as in a new thread's TLS image or in
 * fresh base memory, so that create has nothing to clear.
 *
 * Explicit caches (tcache.create, MALLOCX_TCACHE(tc)) are the same
 * structure, allocated from base memory and reused, named by an index
 * below TCACHES_MAX; they belong to no thread and fill from the arena of
 * the thread that created them.
 *
 * Synchronization: a cache is touched only by its thread (an explicit
 * cache: by one thread at a time, the program's duty, as in jemalloc),
 * except by the registry functions, which hold tcaches_lock
 * (RANK_TCACHES) and only link and unlink caches and stacks.
 */
#ifndef TCACHE_H
#define	TCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "sc.h"
#include "sp.h"
#include "util.h"

struct arena;

/*
 * One bin: 32 bytes, everything both fast paths read.  magic is the
 * class's 32-bit divisibility magic (sc_magic32) for a bin that holds
 * objects and 0 for every other bin, so that free's test of an offset,
 * off * magic < magic (mod 2^32), fails there.
 */
struct tbin {
	void		**stack;
	uint32_t	ncached;
	uint32_t	lowwater;
	uint32_t	max;
	uint32_t	magic;
	uint64_t	nmalloc;	/* pops, for statistics */
};

/*
 * The bin array has a window of 64 bins for each NUMA window (sp.h), so
 * that free can turn a page map entry into a bin offset with an
 * exclusive or with the thread's window and a mask (TCACHE_BIN_OFF).  Only window 0
 * holds objects: the bins of other windows, the bins past nhbins, the
 * bins not set up yet and bin 63 of every window (where free pages and
 * PMAP_SLOW entries land) have max 0, which sends free to the slow path.
 * There, an object of another node goes to the remote buffer, which
 * returns such objects to their arenas in batches: a thread's cache only
 * ever serves local memory.
 */
#define	TCACHE_NBINS	(64 * PMAP_NWIN)
#define	TCACHE_NREMOTE	64

/*
 * The byte offset in bins[] of the bin that free sends a page map entry
 * e to, for a thread whose nodexor is x: the entry's class field is at
 * the position of a bin offset (sp.h), so no shift, and holds class ^ 63
 * so that one exclusive or with (window << 6 | 63) gives the class in the
 * thread's own window (another window's objects land 64 bins or more
 * away, and entries without a class on bin 63 of some window).
 */
#define	TCACHE_BIN_OFF(e, x)						\
	(((e) ^ (x)) & ((TCACHE_NBINS - 1) << PMAP_LG_FIELD))
#define	TCACHE_NODEXOR(win)						\
	((uint32_t)((win) << 6 | 63) << PMAP_LG_FIELD)
_Static_assert(sizeof(struct tbin) == 1 << PMAP_LG_FIELD,
    "a page map class field is a bin offset");

struct tcache {
	struct tbin	bins[TCACHE_NBINS];
	uint32_t	nodexor;	/* TCACHE_NODEXOR(win) */
	unsigned	win;		/* the thread's NUMA window */
	unsigned	nhbins;		/* bins in use; 0 = no cache */
	/*
	 * Objects moved between the bins and the arenas; with nmalloc they
	 * give the pushes (frees) without counting them on the fast path:
	 * frees = ncached + nmalloc + nflushed - nfilled.
	 */
	uint64_t	nfilled[SC_NTBINS_MAX];
	uint64_t	nflushed[SC_NTBINS_MAX];
	uint64_t	nreported[SC_NTBINS_MAX];	/* nmalloc given to bins */
	uint8_t		grow[SC_NTBINS_MAX];	/* TBIN_FILLED, TBIN_GREW */
	/* Pops plus fills at the bin's last overflow (low 32 bits). */
	uint32_t	flushmark[SC_NTBINS_MAX];
	/* Overflows in a row with no pop or fill between (at most 2). */
	uint8_t		nquiet[SC_NTBINS_MAX];
	/* Pops at the bin's last fill (low 32 bits of nmalloc). */
	uint32_t	fillmark[SC_NTBINS_MAX];
	/* Bytes of caches this thread had before (thread.allocated). */
	uint64_t	allocated_before;
	uint64_t	deallocated_before;
	uint64_t	live;		/* bit i: bin i is set up */
	uint64_t	grown;		/* bit i: bin i grew (max above its
					   starting capacity), or did */
	unsigned	gc_bin;
	unsigned	events;
	void		*mem;		/* the stacks */
	size_t		memsize;
	struct arena	*arena;		/* where fills come from */
	/*
	 * With prof:true, the bins malloc's fast path pops from (prof.h):
	 * at most PROF_STAGE objects each, moved from bins[] on the slow
	 * path; NULL otherwise.  Their objects count as popped from bins[]
	 * (nmalloc) and go back there (tcache_unstage) before any flush.
	 */
	struct tbin	*sbins;
	unsigned	nremote;
	void		*remote[TCACHE_NREMOTE];	/* other nodes' objects */
};

#define	TCACHE_GC_EVENTS	32
/*
 * The idle sweep: every TCACHE_IDLE_EVENTS slow-path events (a power of
 * two dividing TCACHE_GC_EVENTS), every bin that grew (the grown mask:
 * its capacity above the starting one), holds more objects than its
 * starting capacity and at least TCACHE_IDLE_BYTES of them, and saw
 * neither a pop nor a push since the sweep before, returns all its
 * objects and its capacity drops back to the starting one.  The
 * collector above, one bin per 32 events round robin over all the
 * classes, reaches a class a program stopped using after some 1,500
 * events, and a thread whose classes are all served by the fast paths
 * has almost none: a program
 * that works through its sizes one after another (a swing per size, each
 * growing its bin) kept every earlier size's objects cached, and the
 * slabs under them resident, to its end.  Only grown bins are visited:
 * with every bin, a program of random sizes up to 32 KiB
 * (tests/bench/churn.c, where each large object is a fill, so events
 * come fast) emptied its rarely used classes again and again and ran 4%
 * more instructions, and the visits alone cost a producer and consumer
 * pair of threads 0.3%.
 */
#define	TCACHE_IDLE_EVENTS	8
#define	TCACHE_IDLE_BYTES	8192

/*
 * The first fill of a bin in a new cache takes at most TCACHE_FILL_FIRST
 * objects and at most TCACHE_FILL_FIRST_BYTES of them (but one at least):
 * a thread that allocates a few objects and exits then returns a few, not
 * half a bin, at its exit, and a program that allocates one 4 KiB buffer
 * makes one page resident, not eight (every region taken is written: its
 * free marker).  Each later fill takes at most as many objects as the
 * bin's fills took before it (nfilled), so that fills double up to the
 * usual half of the bin's capacity: with the half straight after a small
 * first fill, a class a program passes through (a vector grown by
 * realloc) kept ten or more objects of it cached.  (Not with prof:true:
 * see tcache_alloc_slow.)
 */
#define	TCACHE_FILL_FIRST	8
#define	TCACHE_FILL_FIRST_BYTES	4096

/*
 * Adaptive capacity: a small bin starts at its jemalloc-style capacity
 * (nregs << opt.lg_tcache_nslots_mul, clamped by the tcache_nslots_small_*
 * options).  When a bin that was filled since its last flush becomes full
 * with at most half its capacity popped since that fill (a working set
 * that swings by more than the bin holds, where fill/flush round trips
 * would dominate), its capacity doubles, up to TCACHE_GROW_BYTES of
 * objects and TCACHE_GROW_SLOTS pointers; the collector halves it again
 * when a GC round passes without growth.  A bin that reaches full after
 * many pops is not swinging but drifting (allocations and frees
 * interleaved, as in servers that free other threads' objects): growing
 * it would only hold memory.
 */
#define	TCACHE_GROW_BYTES	(256 * 1024)
#define	TCACHE_GROW_SLOTS	1024
/*
 * A bin that overflows twice in a row (TCACHE_FREEONLY_QUIET) with no
 * pop and no fill in between belongs to a thread that frees what other
 * threads allocate (a consumer): it is flushed whole and its capacity
 * halved, down to TCACHE_FREEONLY_MIN, so such a thread does not keep
 * memory its producers could reuse.  (One quiet overflow is normal: a
 * thread that swings frees a burst after each fill.)  The next fill (the
 * thread allocates that class after all) restores the capacity.
 */
#define	TCACHE_FREEONLY_MIN	32
#define	TCACHE_FREEONLY_QUIET	2
#define	TBIN_FILLED		0x1	/* filled since the last flush */
#define	TBIN_GREW		0x2	/* grew since the last GC visit */

/* Explicit caches: MALLOCX_TCACHE(tc) has 12 bits for tc + 2. */
#define	TCACHES_MAX		4094

/* Frees of bin i since the cache was made (see nflushed). */
uint64_t tcache_nfree(const struct tcache *tc, unsigned i);

extern unsigned tcache_nhbins;
/* An empty bin (ncached == lowwater == 0), never written: see tsd.h. */
extern const struct tbin tbin_none;

void	 tcache_boot(void);
bool	 tcache_create(struct tcache *tc, struct arena *arena);
void	 tcache_destroy(struct tcache *tc);
void	*tcache_alloc_slow(struct tcache *tc, unsigned ind);
void	 tcache_dalloc_slow(struct tcache *tc, unsigned ind, void *p);
/* Set up bin ind of tc, which is not live yet. */
void	 tcache_bin_init(struct tcache *tc, unsigned ind);
void	 tcache_flush(struct tcache *tc);
/* Move up to n objects of bin ind to its staging bin; returns how many. */
unsigned tcache_stage(struct tcache *tc, unsigned ind, unsigned n);
/* Put every staged object back in its bin. */
void	 tcache_unstage(struct tcache *tc);
/*
 * Push p (validated, of class ind < tc->nhbins, marked free) into its
 * bin, which the free fast path could not do: the bin is full, or not set
 * up yet.
 */
DM_INLINE void
tcache_dalloc(struct tcache *tc, unsigned ind, void *p)
{
	if (unlikely((tc->live >> ind & 1) == 0))
		tcache_bin_init(tc, ind);
	tcache_dalloc_slow(tc, ind, p);
}
/* Explicit caches; false if none can be made or ind names none. */
bool	 tcache_explicit_create(struct arena *arena, unsigned *indp);
struct tcache *tcache_explicit_get(unsigned ind);
bool	 tcache_explicit_flush(unsigned ind);
bool	 tcache_explicit_destroy(unsigned ind);
/* Free of an object of another node: batched back to its arena. */
void	 tcache_remote(struct tcache *tc, void *p);
void	 tcache_remote_flush(struct tcache *tc);
/* The thread now runs on another node's window. */
void	 tcache_set_win(struct tcache *tc, unsigned win);
void	 tcache_prefork(void);
void	 tcache_postfork_parent(void);
void	 tcache_postfork_child(void);

#endif /* !TCACHE_H */
