/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The shared-slot workload of the stress tests built on stress_child.h,
 * in the shape of mstress: NTHREADS threads take the block out of a
 * random one of NSLOTS slots, so that a block is often resized or freed
 * by a thread that did not allocate it, then resize it (one time in
 * SLOT_RESIZE_ONE_IN), or free it and allocate a fresh one, put it back
 * and free the block another thread put there meanwhile.  In the purging
 * mode thread 0 purges every arena (arena.4096.purge) each PURGE_EVERY
 * steps, beside the others' allocations and frees.
 *
 * The test defines NSLOTS, NTHREADS, PURGE_EVERY, SLOT_RESIZE_ONE_IN, a
 * struct block whose p is NULL when empty, and block_new(b, rng),
 * block_resize(b, rng) and block_free(b, when), which fill, check and
 * report through stress_fail; then it includes this header after
 * stress_child.h and calls slots_run(mode, secs) from stress().
 *
 * Shared state: each slot has a mutex, held only to swap its block;
 * purging is set before the threads start; npurges is atomic.
 */

#ifndef STRESS_SLOTS_H
#define	STRESS_SLOTS_H

struct slot {
	pthread_mutex_t	 lock;
	struct block	 b;
};

static struct slot slots[NSLOTS];
static bool	purging;
static _Atomic unsigned long npurges;

/* Put b into slot k; returns the block that was there. */
static struct block
slot_swap(unsigned k, struct block b)
{
	struct block old;

	pthread_mutex_lock(&slots[k].lock);
	old = slots[k].b;
	slots[k].b = b;
	pthread_mutex_unlock(&slots[k].lock);
	return (old);
}

static void *
slot_thread(void *arg)
{
	uint64_t rng = (uint64_t)(uintptr_t)arg;
	struct block b, old;
	unsigned long step;
	unsigned k;

	for (step = 0; !stress_stopped(); step++) {
		k = (unsigned)(mt_rand(&rng) % NSLOTS);
		b = slot_swap(k, (struct block){ .p = NULL });
		if (b.p == NULL)
			block_new(&b, &rng);
		else if (mt_rand(&rng) % SLOT_RESIZE_ONE_IN == 0)
			block_resize(&b, &rng);
		else {
			block_free(&b, "replaced");
			block_new(&b, &rng);
		}
		old = slot_swap(k, b);
		block_free(&old, "displaced");
		if (purging && arg == (void *)(uintptr_t)1 &&
		    step % PURGE_EVERY == 0) {
			if (mallctl("arena.4096.purge", NULL, NULL, NULL,
			    0) != 0)
				stress_fail("arena.4096.purge failed");
			atomic_fetch_add_explicit(&npurges, 1,
			    memory_order_relaxed);
		}
	}
	return (NULL);
}

/*
 * Run the threads for secs seconds ("purge" mode: with purges), then
 * free what the slots hold.  False if a thread could not start.
 */
static bool
slots_run(const char *mode, double secs)
{
	pthread_t th[NTHREADS];
	unsigned i;

	purging = strcmp(mode, "purge") == 0;
	for (i = 0; i < NSLOTS; i++)
		pthread_mutex_init(&slots[i].lock, NULL);
	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, slot_thread,
		    (void *)(uintptr_t)(i == 0 ? 1 :
		    0x9e3779b97f4a7c15ULL * (i + 1))) != 0)
			return (false);
	stress_run_for(secs);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < NSLOTS; i++)
		block_free(&slots[i].b, "at the end");
	return (true);
}

#endif /* !STRESS_SLOTS_H */
