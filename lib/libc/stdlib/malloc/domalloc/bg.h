/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * bg.h: the background purging threads.
 *
 * Without them, decay advances only when the program calls into the
 * allocator's slow paths, so an idle process keeps its dirty pages.  With
 * opt.background_thread true, threads started at initialisation walk the
 * arenas and purge on the decay schedule: opt.max_background_threads of
 * them, at most one per CPU and BG_MAX_THREADS, thread k of n taking the
 * arenas whose index is k modulo n.  When the option is not given at all,
 * they are started on demand, the first time an arena holds PA_BG_DIRTY
 * bytes of dirty pages or PA_BG_HPEND superpages waiting out
 * opt.hugify_delay_ms (hpage.h), so that small programs never get any,
 * programs that free a lot return memory on time even when they go idle,
 * and a big heap is hugified off the program's threads: the threads also
 * hugify what is due.  background_thread:false means never.  A BSD libc
 * build (DOMALLOC_LIBC) never starts any, as FreeBSD's libc malloc does
 * not.
 * A start on demand is only asked for where the decay tick sees the need
 * (pa_bg_wanted, a flag the page allocator sets without calling up here,
 * pa.h): the tick runs inside cache flushes and refills, and
 * pthread_create allocates, which there would enter the calling thread's
 * cache in the middle of its own change (a flush found its objects' pages
 * already given back).  The threads are made at the next entry to an
 * allocation slow path (bg_poll), where no allocator state of the thread
 * is half changed.
 * Synchronization: the thread set's state and counts are atomic; each
 * thread takes the page allocator locks one arena at a time, like any
 * other caller.
 */
#ifndef BG_H
#define	BG_H

#include <stdatomic.h>
#include <stdbool.h>

#include "pa.h"
#include "util.h"

struct pa;

#define	BG_MAX_THREADS	64

void	bg_boot(void);
/* Start the threads asked for (bg_poll). */
void	bg_start_wanted(void);

/*
 * At the entry of an allocation slow path, with nothing of the calling
 * thread's caches half changed: start the threads a tick asked for.
 */
DM_INLINE void
bg_poll(void)
{
	if (unlikely(atomic_load_explicit(&pa_bg_wanted,
	    memory_order_relaxed)))
		bg_start_wanted();
}
bool	bg_running(void);
/* Background threads alive now. */
unsigned bg_count(void);
/*
 * Start or stop the thread on request (the background_thread mallctl).
 * Stopping also turns the on-demand start off.  False if it cannot start.
 */
bool	bg_set(bool on);
void	bg_postfork_child(void);

#endif /* !BG_H */
