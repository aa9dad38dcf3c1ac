/*
 * bg.h: the background purging thread.
 *
 * Without it, decay advances only when the program calls into the
 * allocator's slow paths, so an idle process keeps its dirty pages.  With
 * opt.background_thread true, one thread started at initialisation walks
 * the arenas and purges on the decay schedule.  When the option is not
 * given at all, the thread is started on demand, the first time an arena
 * holds BG_AUTO_DIRTY bytes of dirty pages or BG_AUTO_HPEND superpages
 * waiting out opt.hugify_delay_ms (hpage.h), so that small programs never
 * get one, programs that free a lot return memory on time even when they
 * go idle, and a big heap is hugified off the program's threads.  The
 * thread also hugifies what is due.  background_thread:false means never.  A BSD libc build
 * (DOMALLOC_LIBC) never starts one, as FreeBSD's libc malloc does not.
 * Synchronization: bg_state is atomic; the thread takes the page
 * allocator locks one arena at a time, like any other caller.
 */
#ifndef BG_H
#define	BG_H

#include <stdbool.h>

struct pa;

#define	BG_AUTO_DIRTY	((size_t)32 << 20)
#define	BG_AUTO_HPEND	8	/* superpages waiting to be hugified */

void	bg_boot(void);
/* From the decay tick: start the thread if the policy wants it now. */
void	bg_maybe_start(struct pa *pa);
bool	bg_running(void);
/*
 * Start or stop the thread on request (the background_thread mallctl).
 * Stopping also turns the on-demand start off.  False if it cannot start.
 */
bool	bg_set(bool on);
void	bg_postfork_child(void);

#endif /* !BG_H */
