/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * bg.c: the background purging threads (see bg.h).
 */
#include <stdatomic.h>
#include <stdint.h>

#include "arena.h"
#include "bg.h"
#include "conf.h"
#include "config.h"
#include "pa.h"
#include "pal.h"

#define	BG_MIN_SLEEP_NS	((uint64_t)10 * 1000 * 1000)
#define	BG_MAX_SLEEP_NS	((uint64_t)1000 * 1000 * 1000)


static _Atomic bool bg_stop;		/* asks the threads to exit */
static _Atomic unsigned bg_nrunning;	/* threads alive */
static _Atomic unsigned bg_nt;		/* threads sharing the arenas */

/* How many threads a start makes: the option, at most one per CPU. */
static unsigned
bg_nthreads(void)
{
	size_t n = opt_max_background_threads;

	if (n > pal_caps.ncpus)
		n = pal_caps.ncpus;
	if (n > BG_MAX_THREADS)
		n = BG_MAX_THREADS;
	return (n == 0 ? 1 : (unsigned)n);
}

/* One pass of thread k of nt over its arenas (those with i % nt == k). */
static uint64_t
bg_pass(unsigned k, unsigned nt)
{
	struct arena *a;
	uint64_t now, next = BG_MAX_SLEEP_NS, wait;
	unsigned i, n;

	n = atomic_load_explicit(&narenas_total, memory_order_acquire);
	for (i = k; i < n; i += nt) {
		a = arena_get(i, false);
		if (a == NULL)
			continue;
		if (a->pa.nhpend != 0) {
			wait = pa_hugify_run(&a->pa);
			if (wait != 0 && wait < next)
				next = wait;
		}
		if (a->pa.stats.ndirty == 0 && a->pa.stats.nmuzzy == 0)
			continue;
		pa_decay_run(&a->pa);
		now = pal_clock_ns();
		wait = decay_ns_until_next(&a->pa.decay, now);
		if (wait != 0 && wait < next)
			next = wait;
	}
	return (next < BG_MIN_SLEEP_NS ? BG_MIN_SLEEP_NS : next);
}

/* A background thread (made with every signal blocked, pal.h). */
static void *
bg_main(void *arg)
{
	uint64_t ns;
	unsigned k = (unsigned)(uintptr_t)arg, nt;

	while (!atomic_load(&bg_stop)) {
		nt = atomic_load_explicit(&bg_nt, memory_order_relaxed);
		if (k >= nt)
			break;
		ns = bg_pass(k, nt);
		pal_sleep_ns(ns);
	}
	if (atomic_fetch_sub(&bg_nrunning, 1) == 1)
		atomic_store(&pa_bg_state, PA_BG_OFF);
	return (NULL);
}

static void
bg_start(void)
{
	unsigned k, nt;
	int expect = PA_BG_OFF;

	if (DOMALLOC_LIBC || !atomic_compare_exchange_strong(&pa_bg_state,
	    &expect, PA_BG_STARTING))
		return;
	/* Thread creation may allocate: no allocator lock is held here. */
	nt = bg_nthreads();
	atomic_store(&bg_nt, nt);
	for (k = 0; k < nt; k++) {
		atomic_fetch_add(&bg_nrunning, 1);
		if (!pal_thread_create(bg_main, (void *)(uintptr_t)k)) {
			atomic_fetch_sub(&bg_nrunning, 1);
			break;
		}
	}
	/* If fewer could be made, those share all the arenas. */
	atomic_store(&bg_nt, k);
	atomic_store(&pa_bg_state, k != 0 ? PA_BG_RUNNING : PA_BG_OFF);
}

void
bg_boot(void)
{
	if (opt_background_thread)
		bg_start();
}

void
bg_start_wanted(void)
{
	if (atomic_exchange(&pa_bg_wanted, false) &&
	    atomic_load(&pa_bg_state) == PA_BG_OFF)
		bg_start();
}

bool
bg_set(bool on)
{
	unsigned i;

	opt_background_thread_set = true;
	if (!on) {
		opt_background_thread = false;
		atomic_store(&bg_stop, true);
		/* Wait for them to go, so a later start cannot race. */
		for (i = 0; i < 300 &&
		    atomic_load(&pa_bg_state) != PA_BG_OFF; i++)
			pal_sleep_ns(10 * 1000 * 1000);
		return (true);
	}
	opt_background_thread = true;
	atomic_store(&bg_stop, false);
	bg_start();
	return (bg_running());
}

bool
bg_running(void)
{
	return (atomic_load(&pa_bg_state) == PA_BG_RUNNING);
}

unsigned
bg_count(void)
{
	return (atomic_load(&bg_nrunning));
}

void
bg_postfork_child(void)
{
	/* The threads did not survive fork; start anew when needed. */
	atomic_store(&bg_nrunning, 0);
	atomic_store(&pa_bg_state, PA_BG_OFF);
}
