/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Stress of realloc under threads, in the shape of mstress: several
 * threads take blocks out of shared slots (so a block is often resized
 * or freed by a thread that did not allocate it), then resize it, or
 * free it and allocate a fresh one, and put it back.  Most sizes are
 * small, so most resizes take realloc's cached path (the old block
 * validated as free validates it, the new one popped from the cache, the
 * old one pushed); one in sixteen is a large size, cached or not, so the
 * generic path and the moves between the tiers run beside it.  Every
 * block carries a pattern of its own (mt_fill); the kept prefix is
 * checked after every resize and the whole block before every free.
 * Thread 0 purges every arena now and then in the purging mode.  With
 * several arenas, large runs are lent between them (large.c).
 *
 * Each case runs the workload for RUN_SECS in a child that re-executes
 * the program with the case's MALLOC_CONF (default, immediate decay in
 * one or four arenas with explicit purges, four arenas, no caches, heap
 * profiling, junk filling); the child runs it from a constructor
 * (stress_child.h).  The program is also built as
 * realloc_stress_test_debug, linked with the debug library.
 *
 * Shared state: the slots (one mutex each; stress_slots.h), the first
 * error (stress_err_lock; stress_child.h), the stop flag and the
 * counters (atomics).
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <pthread.h>
#include <stdatomic.h>

#include "malloc_test_util.h"

#define	STRESS_ENV	"DM_REALLOC_STRESS"
#define	RUN_SECS	1.5
#define	STRESS_PROG	"realloc_stress_test"
#define	CHILD_TIMEOUT	50		/* seconds, below the case timeout */
#define	NTHREADS	4
#define	NSLOTS		1024
#define	SLOT_RESIZE_ONE_IN	2	/* resizes among the steps */
#define	PURGE_EVERY	4096		/* steps of thread 0 between purges */

#include "stress_child.h"

#include "stress_block.h"

static _Atomic unsigned long nresized, nmoved, nkept;

/*
 * Spread evenly over the doublings from 1 byte to 8 KiB (every small
 * class, and resizes that stay in their class), and one block in sixteen
 * of 14-258 KiB: the last small classes and large ones, cached up to
 * tcache_max and not above (those may be lent by another arena).
 */
static size_t
block_size(uint64_t *rng)
{
	uint64_t r = mt_rand(rng);
	size_t lo;

	if (r % 16 == 0)
		return (14000 + (size_t)(r >> 8) % 250000);
	lo = (size_t)1 << (r >> 8) % 13;
	return (lo + (size_t)(r >> 16) % lo);
}

static void
block_new(struct block *b, uint64_t *rng)
{
	block_alloc(b, block_size(rng), rng);
}

/* Resize b; the common prefix must survive, the rest is filled anew. */
static void
block_resize(struct block *b, uint64_t *rng)
{
	size_t m;
	void *old;

	/* One resize in eight stays within a few bytes of the old size. */
	m = mt_rand(rng) % 8 == 0 ? b->n + mt_rand(rng) % 16 + 1 :
	    block_size(rng);
	if ((old = block_realloc(b, m, rng)) == NULL)
		return;
	if (mt_usable(b->p) < m)
		stress_fail("realloc to %zu: usable size %zu", m,
		    mt_usable(b->p));
	atomic_fetch_add_explicit(b->p == old ? &nkept : &nmoved, 1,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&nresized, 1, memory_order_relaxed);
}

#include "stress_slots.h"

/* The workload; 0 if all went well (else the first error on stderr). */
static int
stress(const char *mode)
{

	if (!slots_run(mode, RUN_SECS))
		return (1);
	printf("%lu resizes (%lu moved, %lu kept), %lu purges\n",
	    atomic_load(&nresized), atomic_load(&nmoved),
	    atomic_load(&nkept), atomic_load(&npurges));
	fflush(stdout);
	if (atomic_load(&nmoved) < 1000 || atomic_load(&nkept) < 100)
		stress_fail("too few resizes: %lu moved, %lu kept",
		    atomic_load(&nmoved), atomic_load(&nkept));
	if (purging && atomic_load(&npurges) == 0)
		stress_fail("no purge ran");
	return (stress_result());
}

STRESS_TC(shared_slots, "plain", "",
    "threads resize and replace blocks in shared slots")
STRESS_TC(purge_one_arena, "purge",
    "dirty_decay_ms:0,muzzy_decay_ms:0,narenas:1",
    "the same in one arena with immediate decay and explicit purges")
STRESS_TC(four_arenas_purge, "purge",
    "dirty_decay_ms:0,muzzy_decay_ms:0,narenas:4",
    "four arenas lending each other large runs while purging")
STRESS_TC(four_arenas, "plain", "narenas:4",
    "four arenas lending each other large runs")
STRESS_TC(no_tcache, "plain", "tcache:false",
    "the same with thread caches off (the generic path only)")
STRESS_TC(prof_sampling, "plain", "prof:true,lg_prof_sample:12",
    "the same with heap profiling sampling often")
STRESS_TC(junk, "plain", "junk:true",
    "the same with junk filling (no thread caches)")

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, shared_slots);
	ATF_TP_ADD_TC(tp, purge_one_arena);
	ATF_TP_ADD_TC(tp, four_arenas_purge);
	ATF_TP_ADD_TC(tp, four_arenas);
	ATF_TP_ADD_TC(tp, no_tcache);
	ATF_TP_ADD_TC(tp, prof_sampling);
	ATF_TP_ADD_TC(tp, junk);
	return (atf_no_error());
}
