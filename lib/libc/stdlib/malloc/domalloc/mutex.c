/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * mutex.c: the contended path of the allocator's lock, and the debug
 * lock-order checker: a per-thread record of the locks held (their ranks
 * and addresses, in the order taken), which also answers whether this
 * thread holds a given lock (mutex_assert_held).  The record is the
 * thread's own; it needs no lock.
 */
#include <stdatomic.h>

#include "config.h"
#include "msg.h"
#include "mutex.h"
#include "pal.h"

#define	MUTEX_SPINS	100

#define	MUTEX_NHELD	16

static _Thread_local uint8_t mutex_held_rank[MUTEX_NHELD];
static _Thread_local const struct mutex *mutex_held[MUTEX_NHELD];
static _Thread_local unsigned mutex_nheld;
bool mutex_forking;

void
mutex_init(struct mutex *m, enum mutex_rank rank)
{
	atomic_store_explicit(&m->state, 0, memory_order_relaxed);
	m->rank = (uint8_t)rank;
	m->nlocks = 0;
	m->ncontended = 0;
}

void
mutex_lock_slow(struct mutex *m)
{
	uint32_t s;
	int i;

	for (i = 0; i < MUTEX_SPINS; i++) {
		arch_cpu_relax();
		s = 0;
		if (atomic_load_explicit(&m->state, memory_order_relaxed) == 0 &&
		    atomic_compare_exchange_weak_explicit(&m->state, &s, 1,
		    memory_order_acquire, memory_order_relaxed))
			return;
	}
	if (config_stats)
		m->ncontended++;	/* approximate: not under the lock */
	/* Mark contended and sleep until the holder hands over. */
	while (atomic_exchange_explicit(&m->state, 2,
	    memory_order_acquire) != 0)
		pal_futex_wait(&m->state, 2);
}

void
mutex_wake(struct mutex *m)
{
	pal_futex_wake(&m->state, 1);
}

void
mutex_debug_acquired(struct mutex *m)
{
	unsigned top = DM_MIN(mutex_nheld, MUTEX_NHELD);

	/* No path holds two locks of one rank (two bins) at once. */
	if (!mutex_forking && top > 0 && mutex_held_rank[top - 1] >= m->rank)
		msg_fatal("lock order reversal: rank %u taken after %u",
		    m->rank, mutex_held_rank[top - 1]);
	if (mutex_nheld < MUTEX_NHELD) {
		mutex_held_rank[mutex_nheld] = m->rank;
		mutex_held[mutex_nheld] = m;
	}
	mutex_nheld++;
}

void
mutex_debug_forget(void)
{

	mutex_nheld = 0;
}

void
mutex_debug_released(struct mutex *m)
{
	unsigned i, top = DM_MIN(mutex_nheld, MUTEX_NHELD);

	if (mutex_nheld == 0)
		return;
	/* Locks may be released in any order: drop this one's entry. */
	for (i = top; i > 0; i--)
		if (mutex_held[i - 1] == m)
			break;
	if (i > 0) {
		for (; i < top; i++) {
			mutex_held_rank[i - 1] = mutex_held_rank[i];
			mutex_held[i - 1] = mutex_held[i];
		}
	}
	mutex_nheld--;
}

void
mutex_debug_assert_held(const struct mutex *m)
{
	unsigned i;

	/* Deeper than the record, or while forking: cannot tell. */
	if (mutex_nheld > MUTEX_NHELD || mutex_forking)
		return;
	for (i = 0; i < mutex_nheld; i++)
		if (mutex_held[i] == m)
			return;
	msg_fatal("mutex: a lock of rank %u is not held by this thread",
	    m->rank);
}
