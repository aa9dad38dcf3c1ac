/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * tsd.c: thread set-up and tear-down (see tsd.h).
 */
#include <pthread.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "msg.h"
#include "sc.h"
#include "pal.h"
#include "tsd.h"

__thread struct tsd tsd_tls __attribute__((tls_model("initial-exec"))) = {
	.sp_last = { [0 ... TSD_NSP_LAST - 1] = SP_NONE },
	/* The cast is safe: malloc writes to a bin only if it is not empty. */
	.bin_of = { [0 ... SC_LUT_N - 1] = (struct tbin *)&tbin_none }
};

static pthread_key_t	tsd_key;
static bool		tsd_key_ok;
/* The entries of bin_of that lead to class c: [class_lo[c], class_end[c]). */
static uint16_t		tsd_class_lo[SC_NTBINS_MAX];
static uint16_t		tsd_class_end[SC_NTBINS_MAX];

static void
tsd_destructor(void *arg)
{
	tsd_cleanup(arg);
}

bool
tsd_boot_key(void)
{
	unsigned i;

	/* sc_lut does not decrease, so each class has one run of entries. */
	for (i = SC_LUT_N; i-- > 0; )
		tsd_class_lo[sc_lut[i]] = (uint16_t)i;
	for (i = 0; i < SC_LUT_N; i++)
		tsd_class_end[sc_lut[i]] = (uint16_t)(i + 1);
	tsd_key_ok = pthread_key_create(&tsd_key, tsd_destructor) == 0;
	return (tsd_key_ok);
}

/*
 * Point malloc's size map at the bins it pops from: the cache's, or with
 * prof:true its staging bins (prof.h).  With staging bins, after every
 * cache create and destroy (they live in the cache's stack memory);
 * without, a new thread's map is routed one class at a time as its bins
 * are set up (tsd_route_class), and stays valid, since the bins stay in
 * place.
 */
static void
tsd_route(struct tsd *tsd)
{
	struct tbin *bins = tsd->tc.sbins != NULL ? tsd->tc.sbins :
	    tsd->tc.bins;
	unsigned i;

	for (i = 0; i < SC_LUT_N; i++)
		tsd->bin_of[i] = &bins[sc_lut[i]];
}

struct tsd *
tsd_boot(struct tsd *tsd)
{
	if (tsd->state != TSD_UNINIT)
		return (tsd);
	tsd->state = TSD_BOOTING;
	tsd->node = pal_getnode();
	tcache_set_win(&tsd->tc, tsd->node);
	if (tsd->arena == NULL)
		tsd->arena = arena_choose(tsd->node);
	tsd->tcache_enabled = opt_tcache;
	if (tsd->tcache_enabled && !tcache_create(&tsd->tc, tsd->arena))
		tsd->tcache_enabled = false;
	tsd->tc.arena = tsd->arena;
	if (tsd->tc.sbins != NULL)
		tsd_route(tsd);
	/* Registering may allocate; the thread is usable by now. */
	if (tsd_key_ok)
		pthread_setspecific(tsd_key, tsd);
	tsd->state = TSD_NOMINAL;
	return (tsd);
}

void
tsd_route_class(struct tsd *tsd, unsigned ind)
{
	unsigned i;

	if (tsd->tc.sbins != NULL || ind >= SC_NTBINS_MAX)
		return;
	for (i = tsd_class_lo[ind]; i < tsd_class_end[ind]; i++)
		tsd->bin_of[i] = &tsd->tc.bins[ind];
}

void
tsd_cleanup(struct tsd *tsd)
{
	bool staged;

	if (tsd->state != TSD_NOMINAL)
		return;
	staged = tsd->tc.sbins != NULL;
	tcache_destroy(&tsd->tc);
	/* bin_of points at tc.bins already unless it was the staging bins. */
	if (staged)
		tsd_route(tsd);
	tsd->tcache_enabled = false;
	if (opt_prof)
		prof_thread_cleanup(tsd);
	if (tsd->arena != NULL)
		atomic_fetch_sub_explicit(&tsd->arena->nthreads, 1,
		    memory_order_relaxed);
	tsd->state = TSD_DEAD;
}

struct arena *
tsd_arena(struct tsd *tsd)
{
	if (tsd->arena == NULL)
		tsd->arena = arena_choose(tsd->node);
	return (tsd->arena);
}

void
tsd_set_arena(struct tsd *tsd, struct arena *arena)
{
	if (tsd->arena == arena)
		return;
	tcache_flush(&tsd->tc);
	if (tsd->arena != NULL)
		atomic_fetch_sub_explicit(&tsd->arena->nthreads, 1,
		    memory_order_relaxed);
	atomic_fetch_add_explicit(&arena->nthreads, 1, memory_order_relaxed);
	tsd->arena = arena;
	tsd->tc.arena = arena;
	tsd->arena_fixed = true;
}

void
tsd_numa_check(struct tsd *tsd)
{
	struct arena *a;
	unsigned node;

	tsd->numa_ticks = 0;
	if (!arena_numa() || tsd->state != TSD_NOMINAL)
		return;
	node = pal_getnode();
	if (node == tsd->node)
		return;
	/* Everything cached is the old node's now: give it back. */
	tcache_flush(&tsd->tc);
	tsd->node = node;
	tcache_set_win(&tsd->tc, node);
	if (tsd->arena_fixed)
		return;
	a = arena_choose(node);
	if (a == NULL)
		return;
	if (tsd->arena != NULL)
		atomic_fetch_sub_explicit(&tsd->arena->nthreads, 1,
		    memory_order_relaxed);
	tsd->arena = a;
	tsd->tc.arena = a;
}

void
tsd_tcache_set_enabled(struct tsd *tsd, bool on)
{
	if (tsd->state != TSD_NOMINAL || on == tsd->tcache_enabled)
		return;
	if (on) {
		if (tcache_create(&tsd->tc, tsd->arena))
			tsd->tcache_enabled = true;
		tsd_route(tsd);
	} else {
		tcache_destroy(&tsd->tc);
		tsd_route(tsd);
		tsd->tc.arena = tsd->arena;
		tsd->tcache_enabled = false;
	}
}

void
tsd_stats_refresh(struct tsd *tsd)
{
	const struct tcache *tc = &tsd->tc;
	uint64_t a, d;
	unsigned i;

	a = tsd->large_allocated + tc->allocated_before;
	d = tsd->large_deallocated + tc->deallocated_before;
	for (i = 0; i < tc->nhbins; i++) {
		a += tc->bins[i].nmalloc * sc_size[i];
		/* Staged objects count as popped but are not handed out. */
		if (tc->sbins != NULL)
			a -= tc->sbins[i].ncached * sc_size[i];
		d += tcache_nfree(tc, i) * sc_size[i];
	}
	tsd->stat_allocated = a;
	tsd->stat_deallocated = d;
}
