/*
 * tsd.h: per-thread allocator state.
 *
 * One initial-exec TLS block per thread, zero when the thread starts, so
 * that the fast paths need no "initialised?" test: a zero cache has no
 * objects and no room, which sends the first malloc and free of a thread
 * to the slow path, where tsd_boot() sets the thread up.  The thread
 * cache comes first so its bins sit at a small constant offset.
 * Thread exit (a pthread key destructor, or libthr's
 * _malloc_thread_cleanup) returns the cache to the arenas; a thread that
 * allocates after that runs without a cache.
 * Synchronization: only the owning thread touches its tsd.
 */
#ifndef TSD_H
#define	TSD_H

#include <stdint.h>

#include "tcache.h"

enum tsd_state {
	TSD_UNINIT = 0,
	TSD_BOOTING,		/* inside tsd_boot: no cache yet */
	TSD_NOMINAL,
	TSD_DEAD		/* after thread cleanup */
};

struct tsd {
	struct tcache	tc;		/* first: fast path */
	uint8_t		state;
	bool		tcache_enabled;	/* thread.tcache.enabled */
	struct arena	*arena;		/* thread.arena */
	bool		arena_fixed;	/* chosen by the program */
	unsigned	node;		/* NUMA node it last ran on */
	unsigned	numa_ticks;	/* slow paths since the last check */
	uint64_t	large_allocated;	/* bytes, uncached paths */
	uint64_t	large_deallocated;
};

extern __thread struct tsd tsd_tls __attribute__((tls_model("initial-exec")));

bool	tsd_boot_key(void);
/* Set up the calling thread; returns it (never NULL). */
struct tsd *tsd_boot(struct tsd *tsd);
void	tsd_cleanup(struct tsd *tsd);
struct arena *tsd_arena(struct tsd *tsd);
void	tsd_set_arena(struct tsd *tsd, struct arena *arena);
void	tsd_tcache_set_enabled(struct tsd *tsd, bool on);
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
