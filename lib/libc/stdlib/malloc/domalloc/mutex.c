/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * mutex.c: the contended path of the allocator's lock, and the debug
 * lock-order checker (a per-thread record of the highest rank held).
 */
#include <stdatomic.h>

#include "config.h"
#include "msg.h"
#include "mutex.h"
#include "pal.h"

#define	MUTEX_SPINS	100

static _Thread_local uint8_t mutex_held_rank[16];
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
	unsigned top = mutex_nheld < sizeof(mutex_held_rank) ? mutex_nheld :
	    sizeof(mutex_held_rank);

	/* No path holds two locks of one rank (two bins) at once. */
	if (!mutex_forking && top > 0 && mutex_held_rank[top - 1] >= m->rank)
		msg_fatal("lock order reversal: rank %u taken after %u",
		    m->rank, mutex_held_rank[top - 1]);
	if (mutex_nheld < sizeof(mutex_held_rank))
		mutex_held_rank[mutex_nheld] = m->rank;
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
	(void)m;
	if (mutex_nheld > 0)
		mutex_nheld--;
}
