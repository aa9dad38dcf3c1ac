/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * init.h: allocator start-up and fork handling.
 *
 * malloc_init() is called by a constructor and lazily by the first
 * allocation, whichever comes first; it is safe before TLS is used, in
 * static binaries and before pthreads are initialised, because nothing it
 * does allocates.  Everything that might allocate (the pthread_atfork and
 * atexit registrations) happens after the allocator is marked ready.
 * Synchronization: init_lock (RANK_INIT); malloc_ready is read without a
 * lock (acquire) on slow paths.
 */
#ifndef INIT_H
#define	INIT_H

#include <stdatomic.h>
#include <stdbool.h>

#include "util.h"

extern _Atomic bool malloc_ready;

bool	malloc_init_hard(void);

DM_INLINE bool
malloc_init(void)
{
	if (likely(atomic_load_explicit(&malloc_ready, memory_order_acquire)))
		return (true);
	return (malloc_init_hard());
}

/* For entry points that need the allocator but do not allocate. */
DM_INLINE bool
malloc_init_check(void)
{
	return (malloc_init());
}

void	malloc_prefork(void);
void	malloc_postfork_parent(void);
void	malloc_postfork_child(void);

#endif /* !INIT_H */
