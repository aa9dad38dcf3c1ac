/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * mutex.h: the allocator's own lock.
 *
 * A three-state futex lock (0 free, 1 held, 2 held with waiters) that
 * spins briefly before sleeping.  It needs no initialisation beyond
 * zeroing, so locks work before pthreads are ready, and fork handling is
 * a plain re-zeroing in the child.  Every lock has a rank; the ranks below
 * are THE lock order: a thread may only take a lock of a higher rank than
 * every lock it holds (checked in debug builds).
 */
#ifndef MUTEX_H
#define	MUTEX_H

#include <stdatomic.h>
#include <stdint.h>

#include "util.h"

enum mutex_rank {
	RANK_INIT = 1,		/* malloc_init_hard */
	RANK_CTL,		/* control plane */
	RANK_ARENAS,		/* arena creation, arena table */
	RANK_PROF_DUMP,		/* prof.c: one dump at a time */
	RANK_PROF,		/* prof.c: stacks, samples, threads */
	RANK_BIN,		/* arena->bins[i].lock */
	RANK_PA,		/* arena->pa.lock (page allocator) */
	RANK_TCACHES,		/* pool of cache stacks */
	RANK_BASE,		/* metadata allocator */
	RANK_HARDEN,		/* harden.c: registry, quarantines */
	RANK_LEAF		/* locks that take no other lock */
};

struct mutex {
	_Atomic uint32_t	state;
	uint8_t			rank;
	/* Statistics; Synchronization: written with the lock held. */
	uint64_t		nlocks;
	uint64_t		ncontended;
};

#define	MUTEX_INITIALIZER(r)	{ 0, (r), 0, 0 }

void	mutex_init(struct mutex *m, enum mutex_rank rank);
void	mutex_lock_slow(struct mutex *m);
void	mutex_wake(struct mutex *m);
void	mutex_debug_acquired(struct mutex *m);
void	mutex_debug_released(struct mutex *m);
/* Stop unless this thread holds m (or it cannot tell): debug builds. */
void	mutex_debug_assert_held(const struct mutex *m);
/* In a fork child: the locks of prefork were reset, not released. */
void	mutex_debug_forget(void);
/* fork() takes every lock, arena after arena: no order check then. */
extern bool mutex_forking;

#include "config.h"

DM_INLINE void
mutex_lock(struct mutex *m)
{
	uint32_t expect = 0;

	if (!atomic_compare_exchange_strong_explicit(&m->state, &expect, 1,
	    memory_order_acquire, memory_order_relaxed))
		mutex_lock_slow(m);
	if (config_stats)
		m->nlocks++;
	if (config_debug)
		mutex_debug_acquired(m);
}

DM_INLINE void
mutex_unlock(struct mutex *m)
{
	if (config_debug)
		mutex_debug_released(m);
	if (atomic_exchange_explicit(&m->state, 0, memory_order_release) == 2)
		mutex_wake(m);
}

/*
 * Debug builds: stop unless this thread holds m (a function that expects
 * its caller to hold a lock says so with this); nothing otherwise.
 */
DM_INLINE void
mutex_assert_held(const struct mutex *m)
{

	if (config_debug)
		mutex_debug_assert_held(m);
}

/* After fork, in the child: the lock is free whoever held it. */
DM_INLINE void
mutex_postfork_child(struct mutex *m)
{
	atomic_store_explicit(&m->state, 0, memory_order_relaxed);
}

#endif /* !MUTEX_H */
