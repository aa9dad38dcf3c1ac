/*
 * bg.c: the background purging thread (see bg.h).
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#include "arena.h"
#include "bg.h"
#include "conf.h"
#include "config.h"
#include "pa.h"
#include "pal.h"

#define	BG_MIN_SLEEP_NS	((uint64_t)10 * 1000 * 1000)
#define	BG_MAX_SLEEP_NS	((uint64_t)1000 * 1000 * 1000)

enum { BG_OFF = 0, BG_STARTING, BG_RUNNING };

static _Atomic int bg_state;
static _Atomic bool bg_stop;	/* asks the thread to exit */

static uint64_t
bg_pass(void)
{
	struct arena *a;
	uint64_t now, next = BG_MAX_SLEEP_NS, wait;
	unsigned i, n;

	n = atomic_load_explicit(&narenas_total, memory_order_acquire);
	for (i = 0; i < n; i++) {
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

static void *
bg_main(void *arg)
{
	struct timespec ts;
	sigset_t all;
	uint64_t ns;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (!atomic_load(&bg_stop)) {
		ns = bg_pass();
		ts.tv_sec = (time_t)(ns / 1000000000);
		ts.tv_nsec = (long)(ns % 1000000000);
		nanosleep(&ts, NULL);
	}
	atomic_store(&bg_state, BG_OFF);
	return (NULL);
}

static void
bg_start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	int expect = BG_OFF;

	if (DOMALLOC_LIBC || !atomic_compare_exchange_strong(&bg_state,
	    &expect, BG_STARTING))
		return;
	/* pthread_create may allocate: no allocator lock is held here. */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, bg_main, NULL) == 0)
		atomic_store(&bg_state, BG_RUNNING);
	else
		atomic_store(&bg_state, BG_OFF);
	pthread_attr_destroy(&attr);
}

void
bg_boot(void)
{
	if (opt_background_thread)
		bg_start();
}

void
bg_maybe_start(struct pa *pa)
{
	if (atomic_load_explicit(&bg_state, memory_order_relaxed) != BG_OFF)
		return;
	if (opt_background_thread ||
	    (!opt_background_thread_set &&
	    (pa->stats.ndirty * PAGE >= BG_AUTO_DIRTY ||
	    pa->nhpend >= BG_AUTO_HPEND)))
		bg_start();
}

bool
bg_set(bool on)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	unsigned i;

	opt_background_thread_set = true;
	if (!on) {
		opt_background_thread = false;
		atomic_store(&bg_stop, true);
		/* Wait for it to go, so a later start cannot race with it. */
		for (i = 0; i < 300 && atomic_load(&bg_state) != BG_OFF; i++)
			nanosleep(&pause, NULL);
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
	return (atomic_load(&bg_state) == BG_RUNNING);
}

void
bg_postfork_child(void)
{
	/* The thread did not survive fork; start anew when needed. */
	atomic_store(&bg_state, BG_OFF);
}
