/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * decay.c: the smooth decay curve (see decay.h).  The curve is a table
 * of DECAY_NEPOCHS fixed-point fractions built once by decay_boot().
 */
#include <string.h>

#include "decay.h"

#define	DECAY_FP_SHIFT	24
#define	DECAY_FP_ONE	((uint64_t)1 << DECAY_FP_SHIFT)

/* decay_keep[i]: fraction of slot i's pages allowed to stay resident. */
static uint64_t decay_keep[DECAY_NEPOCHS];

void
decay_boot(void)
{
	uint64_t x, s;
	unsigned i;

	for (i = 0; i < DECAY_NEPOCHS; i++) {
		/* Slot i is DECAY_NEPOCHS - i epochs old. */
		x = ((uint64_t)(DECAY_NEPOCHS - i) << DECAY_FP_SHIFT) /
		    DECAY_NEPOCHS;
		/* smoothstep(x) = 3x^2 - 2x^3 in fixed point. */
		s = (3 * ((x * x) >> DECAY_FP_SHIFT)) -
		    (2 * ((((x * x) >> DECAY_FP_SHIFT) * x) >> DECAY_FP_SHIFT));
		decay_keep[i] = s >= DECAY_FP_ONE ? 0 : DECAY_FP_ONE - s;
	}
}

void
decay_init(struct decay *d, int64_t ms, uint64_t now)
{
	memset(d, 0, sizeof(*d));
	d->ms = ms;
	d->interval_ns = ms > 0 ?
	    (uint64_t)ms * 1000000 / DECAY_NEPOCHS : 0;
	if (d->interval_ns == 0 && ms > 0)
		d->interval_ns = 1;
	d->epoch_ns = now;
}

bool
decay_step(struct decay *d, uint64_t now, size_t ndirty)
{
	uint64_t n;
	size_t fresh;

	if (d->ms <= 0 || now < d->epoch_ns + d->interval_ns)
		return (false);
	n = (now - d->epoch_ns) / d->interval_ns;
	d->epoch_ns += n * d->interval_ns;
	if (n >= DECAY_NEPOCHS)
		memset(d->backlog, 0, sizeof(d->backlog));
	else {
		memmove(d->backlog, d->backlog + n,
		    (DECAY_NEPOCHS - n) * sizeof(d->backlog[0]));
		memset(d->backlog + DECAY_NEPOCHS - n, 0,
		    n * sizeof(d->backlog[0]));
	}
	fresh = ndirty > d->nunpurged ? ndirty - d->nunpurged : 0;
	d->backlog[DECAY_NEPOCHS - 1] = fresh;
	return (true);
}

size_t
decay_limit(const struct decay *d)
{
	uint64_t sum = 0;
	unsigned i;

	if (d->ms < 0)
		return (SIZE_MAX);
	if (d->ms == 0)
		return (0);
	for (i = 0; i < DECAY_NEPOCHS; i++)
		sum += (uint64_t)d->backlog[i] * decay_keep[i];
	return ((size_t)(sum >> DECAY_FP_SHIFT));
}

void
decay_purged(struct decay *d, size_t ndirty)
{
	d->nunpurged = ndirty;
}

uint64_t
decay_ns_until_next(const struct decay *d, uint64_t now)
{
	if (d->ms <= 0)
		return (0);
	if (now >= d->epoch_ns + d->interval_ns)
		return (1);
	return (d->epoch_ns + d->interval_ns - now);
}
