/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * decay.h: time-based decay of unused dirty pages.
 *
 * Pages freed by the program stay resident for a while, so that a
 * program that frees and soon allocates again does not pay for page
 * faults, and then go back to the operating system along a smooth curve:
 * of the pages that became dirty t ms ago, the fraction allowed to stay
 * is 1 - smoothstep(t / decay_ms).  Time is cut into DECAY_NEPOCHS
 * epochs; the decay keeps how many pages became dirty in each, and
 * decay_limit() says how many dirty pages may remain now.  decay_ms 0
 * means purge at once, -1 means never purge.
 *
 * Synchronization: a struct decay belongs to one page allocator and is
 * protected by its lock.
 */
#ifndef DECAY_H
#define	DECAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define	DECAY_NEPOCHS	200

struct decay {
	int64_t		ms;		/* decay time; 0 at once, -1 never */
	uint64_t	interval_ns;	/* length of an epoch */
	uint64_t	epoch_ns;	/* start of the current epoch */
	size_t		nunpurged;	/* dirty pages after the last step */
	size_t		backlog[DECAY_NEPOCHS];	/* [N-1] is the newest */
};

void	decay_boot(void);
void	decay_init(struct decay *d, int64_t ms, uint64_t now);
/*
 * Advance to now given the current dirty page count; returns true if an
 * epoch boundary was crossed (the caller then purges down to the limit).
 */
bool	decay_step(struct decay *d, uint64_t now, size_t ndirty);
size_t	decay_limit(const struct decay *d);
/* Record the dirty count left after purging. */
void	decay_purged(struct decay *d, size_t ndirty);
/* Nanoseconds until the next epoch boundary, or 0 if none pending. */
uint64_t decay_ns_until_next(const struct decay *d, uint64_t now);

#endif /* !DECAY_H */
