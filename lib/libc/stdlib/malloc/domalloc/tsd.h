/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * tsd.h: per-thread allocator state.
 *
 * One initial-exec TLS block per thread, a fixed image when the thread
 * starts, so that the fast paths need no "initialised?" test: zeros but
 * for sp_last and bin_of, which point at the empty sp_none and tbin_none.
 * A zero cache has no objects and no room, which sends the first malloc
 * and free of a thread to the slow path, where tsd_boot() sets the thread
 * up.  The thread cache comes first so its bins sit at a small constant
 * offset.
 * Thread exit (a pthread key destructor, or libthr's
 * _malloc_thread_cleanup) returns the cache to the arenas; a thread that
 * allocates after that runs without a cache.
 *
 * Byte counters (thread.allocated, thread.deallocated) are derived, not
 * counted on the fast paths: the cache's per-bin pop counts times the
 * class sizes, plus what the thread allocated and freed outside its own
 * cache.  tsd_stats_refresh() writes the sums into stat_allocated and
 * stat_deallocated, which thread.allocatedp and thread.deallocatedp point
 * to; it runs every TCACHE_GC_EVENTS cache fills or flushes and on every
 * mallctl read of those four names, so the pointed-to values lag by at
 * most that many cache slow paths behind the last mallctl call.
 * Synchronization: only the owning thread touches its tsd (other threads
 * may read stat_allocated through the published pointer: a torn read is
 * impossible for an aligned uint64_t on the 64-bit targets we support).
 */
#ifndef TSD_H
#define	TSD_H

#include <stdint.h>

#include "prof.h"
#include "tcache.h"

enum tsd_state {
	TSD_UNINIT = 0,
	TSD_BOOTING,		/* inside tsd_boot: no cache yet */
	TSD_NOMINAL,
	TSD_DEAD		/* after thread cleanup */
};

/*
 * sp_last has one slot per superpage number modulo TSD_NSP_LAST, a direct
 * mapped cache of the address map, so that frees spread over the
 * superpages of a heap (up to 128 MiB with 2 MiB superpages, which an
 * arena maps mostly in one piece) hit; with one slot, a heap of small
 * objects a little over one superpage missed on a third of its frees, and
 * the miss was a mispredicted branch.  The slots are 512 bytes of the
 * thread's block, of which a free reads one.
 */
#define	TSD_NSP_LAST	64
#define	TSD_SP_SLOT(p)							\
	(((uintptr_t)(p) >> GEOM_LG_AMAP) & (TSD_NSP_LAST - 1))
/*
 * The slot of p as a pointer: a shift, a mask and one load with the slot
 * array's offset folded in (gcc does not fold it from an index); the
 * shift by 3 fewer is the index times sizeof(struct sp *), 8.
 */
_Static_assert(sizeof(struct sp *) == 8, "TSD_SP_LAST shifts by 3 fewer");
#define	TSD_SP_LAST(tsd, p)						\
	(*(const struct sp **)(void *)((char *)(tsd)->sp_last +	\
	(((uintptr_t)(p) >> (GEOM_LG_AMAP - 3)) &			\
	((TSD_NSP_LAST - 1) * sizeof(struct sp *)))))

struct tsd {
	struct tcache	tc;		/* first: fast path */
	/*
	 * Per slot (TSD_SP_SLOT), the descriptor of the superpage of the
	 * last free there, so that free skips the address map while it
	 * stays in superpages it freed into before.  An entry is valid
	 * for p when p - entry->addr < SUPERPAGE: descriptors are never
	 * freed,
	 * a released one has its page map cleared (so a stale hit only
	 * sends free to the slow path, which sets sp_last again) and a
	 * recycled one has a new address.  Never NULL: it starts at
	 * sp_none, the only thing not zero in a fresh tsd.
	 */
	const struct sp	*sp_last[TSD_NSP_LAST];
	/*
	 * malloc's size to bin map: bin_of[(size + SC_QUANTUM - 1) >>
	 * SC_LG_QUANTUM] is &tc.bins[sc_lut[...]], so that malloc finds its
	 * bin with one load and no address arithmetic (as mimalloc's
	 * pages_free_direct).  Every entry starts at the empty tbin_none; a
	 * class's entries are set when its bin is set up (tsd_route_class),
	 * all of them at once by tsd_boot with prof:true (staging bins); the
	 * bins it points to stay valid for the thread's life (a destroyed or
	 * disabled cache has empty bins).
	 */
	struct tbin	*bin_of[SC_LUT_N];
	uint8_t		state;
	bool		tcache_enabled;	/* thread.tcache.enabled */
	struct arena	*arena;		/* thread.arena */
	bool		arena_fixed;	/* chosen by the program */
	unsigned	node;		/* NUMA node it last ran on */
	unsigned	numa_ticks;	/* slow paths since the last check */
	/* Bytes allocated and freed outside the thread's own cache. */
	uint64_t	large_allocated;
	uint64_t	large_deallocated;
	/* thread.allocatedp, thread.deallocatedp: see tsd_stats_refresh. */
	uint64_t	stat_allocated;
	uint64_t	stat_deallocated;
	struct prof_tsd	prof;		/* heap profiling (prof.h) */
};

extern __thread struct tsd tsd_tls __attribute__((tls_model("initial-exec")));

bool	tsd_boot_key(void);
/* Set up the calling thread; returns it (never NULL). */
struct tsd *tsd_boot(struct tsd *tsd);
void	tsd_cleanup(struct tsd *tsd);
/* Bin ind of the thread's cache is set up: route malloc's sizes to it. */
void	tsd_route_class(struct tsd *tsd, unsigned ind);
struct arena *tsd_arena(struct tsd *tsd);
void	tsd_set_arena(struct tsd *tsd, struct arena *arena);
void	tsd_tcache_set_enabled(struct tsd *tsd, bool on);
/* Recompute stat_allocated and stat_deallocated. */
void	tsd_stats_refresh(struct tsd *tsd);
/*
 * Has the thread moved to another NUMA node?  Then its cache goes back to
 * the old node's arenas and it takes an arena of the new node.  Called
 * every TSD_NUMA_TICKS slow paths, never on a fast path.
 */
void	tsd_numa_check(struct tsd *tsd);

#define	TSD_NUMA_TICKS	64

DM_INLINE struct tsd *
tsd_get(void)
{
	return (&tsd_tls);
}

#endif /* !TSD_H */
