/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Stress of the page runs inside superpages, the memory whose placement
 * the free-run index of a runs superpage (sp.h: nrun, lenmap, longest)
 * decides.  Threads take blocks out of shared slots and free, replace or
 * resize them in place (xallocx: a run grows into the free pages after
 * it, or gives back its tail), so that runs are cut from free runs of
 * every length, joined again, grown and shrunk in every superpage: slabs
 * of small classes (which take runs of 1 to 15 pages), large runs cached
 * and not (up to 1.5 MiB, below the superpage), and aligned runs (up to
 * 256 KiB alignment, which search the bitmap differently), and huge
 * blocks, whose superpages become runs superpages again.  Every block
 * carries a pattern of its own (mt_fill), checked before every resize and
 * free: two runs handed out over the same page show as a changed byte.
 * Thread 0 purges every arena now and then in the purging mode: a purge
 * takes the dirty pages of runs superpages out of their free runs and
 * books them back, beside allocations and frees of the other threads.
 *
 * The same workload stresses free's superpage slots (tsd.h: a thread's
 * direct-mapped cache of 64 superpage descriptors, which other threads
 * release, purge and recycle as runs or huge spans): the blocks spread
 * over more superpages than there are slots (checked), so slots alias
 * and go stale while other threads free into their superpages.
 *
 * Each case runs the workload for RUN_SECS in a child that re-executes
 * the program with the case's MALLOC_CONF (default; one arena with
 * immediate decay and explicit purges; background threads with a short
 * decay; four arenas, which lend each other large runs).  The program is
 * also built as run_index_stress_test_debug, linked with the debug
 * library, whose page allocator checker compares each superpage's
 * free-run index with a count of its runs after every purge.
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

#define	STRESS_ENV	"DM_RUN_INDEX_STRESS"
#define	RUN_SECS	1.5
#define	STRESS_PROG	"run_index_stress_test"
#define	CHILD_TIMEOUT	50		/* seconds, below the case timeout */
#define	NTHREADS	4
#define	NSLOTS		512
#define	SLOT_RESIZE_ONE_IN	3	/* resizes among the steps */
#define	PURGE_EVERY	256		/* steps of thread 0 between purges */

#include "stress_child.h"

struct block {
	void		*p;
	size_t		 n;
	size_t		 align;		/* 0: malloc */
	uint64_t	 seed;
};

static _Atomic unsigned long nallocs, ngrown, nshrunk;
/* Superpages blocks started in, by number modulo 4096 (a bit each). */
#define	SP_SEEN_BITS	4096
#define	SP_SLOTS	64		/* free's superpage slots (tsd.h) */
static _Atomic uint64_t sp_seen[SP_SEEN_BITS / 64];

/*
 * Half small (every class up to 16 KiB, so slabs of 1 to 15 pages), the
 * rest page runs: 16 KiB to 512 KiB (cached by the thread) and above, to
 * 1.5 MiB (never cached: straight to the page allocator).  One in 64 is
 * huge (2 to 4.5 MiB: whole superpages), so that the superpages of a
 * freed huge block come back as runs superpages, which take the page map
 * of a free span as it is (sp.h: all 0, whatever the span held before).
 */
static size_t
block_size(uint64_t *rng)
{
	uint64_t r = mt_rand(rng);
	size_t lo;

	if (r % 64 == 3)
		return (2 * 1024 * 1024 + (size_t)(r >> 8) % (2560 * 1024));
	switch (r % 4) {
	case 0:
	case 1:
		lo = (size_t)1 << (r >> 8) % 14;
		return (lo + (size_t)(r >> 16) % lo);
	case 2:
		return (16384 + (size_t)(r >> 8) % (512 * 1024));
	default:
		return (512 * 1024 + (size_t)(r >> 8) % (1024 * 1024));
	}
}

static void
block_new(struct block *b, uint64_t *rng)
{
	uint64_t r = mt_rand(rng);
	size_t k;

	b->n = block_size(rng);
	b->seed = mt_rand(rng);
	/* One in eight aligned, to 8 KiB to 256 KiB. */
	b->align = r % 8 == 0 ? (size_t)8192 << (r >> 8) % 6 : 0;
	if (b->align != 0) {
		if (posix_memalign(&b->p, b->align, b->n) != 0)
			b->p = NULL;
	} else
		b->p = malloc(b->n);
	if (b->p == NULL) {
		stress_fail("allocation of %zu bytes (alignment %zu) failed",
		    b->n, b->align);
		return;
	}
	if (b->align != 0 && !mt_aligned(b->p, b->align))
		stress_fail("%p is not aligned to %zu", b->p, b->align);
	mt_fill(b->p, b->n, b->seed);
	atomic_fetch_add_explicit(&nallocs, 1, memory_order_relaxed);
	k = ((uintptr_t)b->p >> 21) % SP_SEEN_BITS;
	atomic_fetch_or_explicit(&sp_seen[k / 64], (uint64_t)1 << (k % 64),
	    memory_order_relaxed);
}

static bool
block_ok(const struct block *b, const char *when)
{
	size_t bad;

	bad = mt_check(b->p, b->n, b->seed);
	if (bad != SIZE_MAX) {
		stress_fail("%s: block %p of %zu bytes (alignment %zu): byte "
		    "%zu changed", when, b->p, b->n, b->align, bad);
		return (false);
	}
	return (true);
}

static void
block_free(struct block *b, const char *when)
{
	if (b->p == NULL)
		return;
	(void)block_ok(b, when);
	free(b->p);
	b->p = NULL;
}

/*
 * Resize b in place with xallocx: a page run grows into the free pages
 * after it or gives back its tail.  The kept prefix must survive; the
 * block is filled anew to its new size.
 */
static void
block_resize(struct block *b, uint64_t *rng)
{
	size_t m, got, keep, bad;

	if (!block_ok(b, "before xallocx"))
		return;
	m = mt_rand(rng) % 2 == 0 ? b->n + (size_t)(mt_rand(rng) % 65536) :
	    b->n / 2 + 1;
	got = xallocx(b->p, m, 0, 0);
	keep = got < b->n ? got : b->n;
	if (got < 1) {
		stress_fail("xallocx(%p, %zu) returned %zu", b->p, m, got);
		return;
	}
	bad = mt_check(b->p, keep, b->seed);
	if (bad != SIZE_MAX)
		stress_fail("xallocx %zu -> %zu (got %zu) at %p: byte %zu of "
		    "the %zu kept changed", b->n, m, got, b->p, bad, keep);
	if (got > b->n)
		atomic_fetch_add_explicit(&ngrown, 1, memory_order_relaxed);
	else if (got < b->n)
		atomic_fetch_add_explicit(&nshrunk, 1, memory_order_relaxed);
	b->n = got;
	b->seed = mt_rand(rng);
	mt_fill(b->p, b->n, b->seed);
}

#include "stress_slots.h"

/* The workload; 0 if all went well (else the first error on stderr). */
static int
stress(const char *mode)
{
	unsigned i, nsp = 0;

	if (!slots_run(mode, RUN_SECS))
		return (1);
	for (i = 0; i < SP_SEEN_BITS / 64; i++)
		nsp += (unsigned)__builtin_popcountll(atomic_load(&sp_seen[i]));
	printf("%lu allocations, %lu grown and %lu shrunk in place, "
	    "%lu purges, blocks in %u superpages\n", atomic_load(&nallocs),
	    atomic_load(&ngrown), atomic_load(&nshrunk),
	    atomic_load(&npurges), nsp);
	fflush(stdout);
	if (nsp <= SP_SLOTS)
		stress_fail("blocks in only %u superpages: free's %d slots "
		    "never alias", nsp, SP_SLOTS);
	/* Immediate decay purges at every free: far fewer steps then. */
	if (atomic_load(&nallocs) < 300 || atomic_load(&ngrown) < 20 ||
	    atomic_load(&nshrunk) < 20)
		stress_fail("too little done: %lu allocations, %lu grown, %lu "
		    "shrunk", atomic_load(&nallocs), atomic_load(&ngrown),
		    atomic_load(&nshrunk));
	if (purging && atomic_load(&npurges) == 0)
		stress_fail("no purge ran");
	return (stress_result());
}

STRESS_TC(shared_slots, "plain", "",
    "threads free, replace and resize page runs in shared slots")
STRESS_TC(purge_one_arena, "purge",
    "dirty_decay_ms:0,muzzy_decay_ms:0,narenas:1",
    "the same in one arena with immediate decay and explicit purges")
STRESS_TC(background, "plain",
    "background_thread:true,dirty_decay_ms:1,muzzy_decay_ms:1,narenas:1",
    "the same with background threads purging after a short decay")
STRESS_TC(four_arenas_purge, "purge",
    "dirty_decay_ms:0,muzzy_decay_ms:0,narenas:4",
    "four arenas lending each other large runs while purging")

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, shared_slots);
	ATF_TP_ADD_TC(tp, purge_one_arena);
	ATF_TP_ADD_TC(tp, background);
	ATF_TP_ADD_TC(tp, four_arenas_purge);
	return (atf_no_error());
}
