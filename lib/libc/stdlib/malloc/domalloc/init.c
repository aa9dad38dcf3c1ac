/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * init.c: start-up, fork handlers and exit-time statistics (see init.h).
 */
#include <pthread.h>
#include <stdlib.h>

#include "amap.h"
#include "arena.h"
#include "base.h"
#include "bg.h"
#include "conf.h"
#include "decay.h"
#include "geom.h"
#include "hpage.h"
#include "init.h"
#include "mark.h"
#include "msg.h"
#include "harden.h"
#include "mutex.h"
#include "pal.h"
#include "prof.h"
#include "sc.h"
#include "stats.h"
#include "tcache.h"
#include "tsd.h"

_Atomic bool		malloc_ready;
static struct mutex	init_lock = MUTEX_INITIALIZER(RANK_INIT);
static bool		init_busy;	/* under init_lock */

static void
malloc_atexit_stats(void)
{
	stats_print(NULL, NULL, opt_stats_print_opts);
}

bool
malloc_init_hard(void)
{
	mutex_lock(&init_lock);
	if (atomic_load_explicit(&malloc_ready, memory_order_relaxed)) {
		mutex_unlock(&init_lock);
		return (true);
	}
	if (init_busy) {
		/* Re-entered from our own start-up: a bug. */
		mutex_unlock(&init_lock);
		msg_fatal("recursive initialisation");
	}
	init_busy = true;
	pal_init();
	/* The options first: lg_page decides the geometry (geom.h). */
	conf_init();
	geom_boot();
	mark_boot();
	sc_boot();
	decay_boot();
	amap_boot();
	hpage_boot();
	tcache_boot();
	if (!arena_boot()) {
		init_busy = false;
		mutex_unlock(&init_lock);
		return (false);
	}
	if (config_hardened)
		harden_boot();
	/* Tested here so that start-up runs none of prof.c (see lib.mk). */
	if (opt_prof)
		prof_boot();
	tsd_boot_key();
	atomic_store_explicit(&malloc_ready, true, memory_order_release);
	init_busy = false;
	mutex_unlock(&init_lock);

	/* These may allocate; we are ready for that now. */
	if (!DOMALLOC_LIBC)
		pthread_atfork(malloc_prefork, malloc_postfork_parent,
		    malloc_postfork_child);
	if (opt_stats_print)
		atexit(malloc_atexit_stats);
	bg_boot();
	return (true);
}

__attribute__((constructor)) static void
malloc_constructor(void)
{
	malloc_init();
}

/*
 * The shared library's DT_FINI (-fini in lib/libdomalloc/Makefile.inc),
 * which the loader calls at exit.  It replaces the C runtime's _fini,
 * which does nothing either but is linked after all the text: calling it
 * faulted in the last 64 KiB window of cold code at every exit, when the
 * resident size is near its peak.  Destructors run from .fini_array.
 */
void __attribute__((used))
malloc_dt_fini(void)
{
}

void
malloc_prefork(void)
{
	if (!atomic_load_explicit(&malloc_ready, memory_order_acquire))
		return;
	mutex_lock(&init_lock);
	mutex_forking = true;
	stats_prefork();
	arena_prefork();
	tcache_prefork();
	prof_prefork();
	if (config_hardened)
		harden_prefork();
	base_prefork();
}

void
malloc_postfork_parent(void)
{
	if (!atomic_load_explicit(&malloc_ready, memory_order_acquire))
		return;
	base_postfork_parent();
	if (config_hardened)
		harden_postfork_parent();
	prof_postfork_parent();
	tcache_postfork_parent();
	arena_postfork_parent();
	stats_postfork_parent();
	mutex_forking = false;
	mutex_unlock(&init_lock);
}

void
malloc_postfork_child(void)
{
	if (!atomic_load_explicit(&malloc_ready, memory_order_acquire))
		return;
	base_postfork_child();
	if (config_hardened)
		harden_postfork_child();
	prof_postfork_child();
	tcache_postfork_child();
	arena_postfork_child();
	stats_postfork_child();
	bg_postfork_child();
	mutex_forking = false;
	if (config_debug)
		mutex_debug_forget();
	mutex_postfork_child(&init_lock);
	/* Only the forking thread exists: it is the only arena user. */
	if (tsd_get()->arena != NULL)
		atomic_store_explicit(&tsd_get()->arena->nthreads, 1,
		    memory_order_relaxed);
}
