/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Stress of the lazy marking of slabs (bin.c, slab.h): a new slab marks
 * its regions as it hands them out, a page at a time, and the page map
 * sends a free into a page that no region handed out reaches yet to the
 * slow path; the pages become fast, under the bin lock, as fills reach
 * them.  Threads take blocks out of shared slots (stress_slots.h), so
 * that a block is often freed, or resized, by a thread other than the
 * one that allocated it while its slab's frontier moves under a fill of
 * another thread, and slabs empty and are made again all the time.  All
 * sizes are of the classes whose slabs span several pages (3 to 15), so
 * every slab has a frontier.  Every block carries a pattern of its own
 * (mt_fill), checked before it is freed and, for the kept part, after
 * every resize; a region handed out twice, or a region whose page stayed
 * slow, would show as a changed block or an abort.
 *
 * Each case runs the workload for RUN_SECS in a child that re-executes
 * the program with the case's MALLOC_CONF (stress_child.h): the default;
 * one arena with immediate decay, a background thread and thread 0
 * purging every arena now and then, so that emptied slabs' pages go back
 * and come again as new slabs; the same without thread caches, where
 * every allocation is a fill of one region.  The program is also built
 * as slab_mark_stress_test_debug, whose bin checker verifies every slab's
 * frontier and page map entries at each fill and flush.
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

#define	STRESS_ENV	"DM_SLAB_MARK_STRESS"
#define	RUN_SECS	1.5
#define	STRESS_PROG	"slab_mark_stress_test"
#define	CHILD_TIMEOUT	50		/* seconds, below the case timeout */
#define	NTHREADS	4
#define	NSLOTS		2048
#define	SLOT_RESIZE_ONE_IN	4	/* resizes among the steps */
#define	PURGE_EVERY	2048		/* steps of thread 0 between purges */

#include "stress_child.h"

#include "stress_block.h"

static _Atomic unsigned long nblocks;

/* Classes whose slabs are 3 to 15 pages of 4 KiB (sc.h). */
static const size_t multipage[] = {
	48, 80, 96, 112, 160, 192, 224, 320, 384, 448, 640, 768, 896, 1152,
	1280, 1536, 1792, 2560, 3072, 3584, 4608, 5120, 5632, 6656, 7168, 7680,
	9216, 10240, 11264, 13312, 14336
};
#define	NMULTI	(sizeof(multipage) / sizeof(multipage[0]))

/* A size of one of those classes, often a few bytes below the class. */
static size_t
block_size(uint64_t *rng)
{
	uint64_t r = mt_rand(rng);
	size_t n = multipage[(r >> 8) % NMULTI];

	return (n - (size_t)(r >> 32) % 16);
}

static void
block_new(struct block *b, uint64_t *rng)
{
	block_alloc(b, block_size(rng), rng);
	atomic_fetch_add_explicit(&nblocks, 1, memory_order_relaxed);
}

/* Resize b to another class; the common prefix must survive. */
static void
block_resize(struct block *b, uint64_t *rng)
{
	(void)block_realloc(b, block_size(rng), rng);
}

#include "stress_slots.h"

/* The workload; 0 if all went well (else the first error on stderr). */
static int
stress(const char *mode)
{

	if (!slots_run(mode, RUN_SECS))
		return (1);
	printf("%lu blocks, %lu purges\n", atomic_load(&nblocks),
	    atomic_load(&npurges));
	fflush(stdout);
	if (atomic_load(&nblocks) < 10000)
		stress_fail("too few blocks: %lu", atomic_load(&nblocks));
	if (purging && atomic_load(&npurges) == 0)
		stress_fail("no purge ran");
	return (stress_result());
}

STRESS_TC(shared_slots, "plain", "",
    "threads free and resize each other's blocks of multi-page slabs")
STRESS_TC(purge_one_arena, "purge",
    "dirty_decay_ms:0,muzzy_decay_ms:0,narenas:1,background_thread:true",
    "the same in one arena with immediate decay, a background thread and "
    "explicit purges")
STRESS_TC(no_tcache_purge, "purge",
    "dirty_decay_ms:0,muzzy_decay_ms:0,narenas:1,tcache:false",
    "the same without thread caches: every allocation a one-region fill")

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, shared_slots);
	ATF_TP_ADD_TC(tp, purge_one_arena);
	ATF_TP_ADD_TC(tp, no_tcache_purge);
	return (atf_no_error());
}
