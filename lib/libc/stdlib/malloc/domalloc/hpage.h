/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * hpage.h: the huge page policy.
 *
 * opt.thp says what to do with transparent huge pages: "default" hugifies
 * superpages that are worth it when the system allows THP (madvise or
 * always mode), "always" advises MADV_HUGEPAGE on all of domalloc's
 * memory, "never" advises MADV_NOHUGEPAGE on all of it.  Under "default":
 * - a superpage of page runs is hugified (MADV_HUGEPAGE, then a
 *   synchronous MADV_COLLAPSE where the kernel has it) once it is dense,
 *   geom.hpage_dense of its pages in use (7/8: 448 of 512 with 4 KiB
 *   pages, geom.h), and the whole superpages of
 *   a huge allocation likewise;
 * - but only once it has stayed so for opt.hugify_delay_ms: until then it
 *   waits on the arena's queue (pa->hpend, oldest first) and leaves it if
 *   it stops qualifying (freed, or no longer dense).  A huge page costs
 *   more to obtain than the small pages it replaces (zeroing or copying
 *   2 MiB, compaction, and in virtual machines that hand free memory back
 *   to the host a host fault per small page), which memory that is freed
 *   within a fraction of a second never earns back, and most of a short
 *   program's memory is such.  hpage_tick, from the background thread or
 *   (when there is none) the slow path, hugifies what is due;
 * - once an arena has been large (HPAGE_EAGER_SP superpages active) for
 *   the delay, superpages it newly carves for runs are advised before they
 *   are touched, so they fault in as huge pages with no later copy;
 * - with opt.hugify_delay_ms 0 all of this happens at once, as soon as a
 *   superpage qualifies;
 * - decay does not purge pages inside a hugified superpage that is still
 *   at least an eighth used, since that would split the huge page; only
 *   an explicit purge (arena.<i>.purge) does.
 * Synchronization: called with the arena's page allocator lock held; the
 * policy itself is read-only after initialisation.
 */
#ifndef HPAGE_H
#define	HPAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pa;
struct sp;

#define	HPAGE_EAGER_SP		8	/* arena size for early advice */
/*
 * The cost of a huge page, measured: each MADV_COLLAPSE is timed, and the
 * delay in force is the larger of opt.hugify_delay_ms and HPAGE_AMORTIZE
 * times the average cost per superpage, so hugifying never takes more
 * than about a thousandth of the time the memory has been in use.  Eager
 * advice (which makes the program's own page faults pay) is given only
 * once a collapse has shown huge pages to be cheap, HPAGE_CHEAP_NS or
 * less.  On bare metal a collapse is a 2 MiB copy, well under that; in a
 * virtual machine whose host takes freed guest memory back it was 3 to 5
 * ms here, which raises the delay to several seconds.
 */
#define	HPAGE_AMORTIZE		1000
#define	HPAGE_CHEAP_NS		((uint64_t)1000000)

void	hpage_boot(void);
/* Is any hugifying done at all? */
bool	hpage_enabled(void);
/* A chunk fresh from the OS. */
void	hpage_fresh(struct pa *pa, void *addr, size_t size);
/* A superpage just carved for runs. */
void	hpage_runs_new(struct pa *pa, struct sp *sp);
/* After pages of a runs superpage were allocated. */
void	hpage_runs_grew(struct pa *pa, struct sp *sp);
/* A huge span just allocated. */
void	hpage_huge_new(struct pa *pa, struct sp *sp);
/* May decay purge the dirty pages of this runs superpage? */
bool	hpage_may_purge(const struct sp *sp);
/* The measured cost of hugifying one superpage, in ns (0: not yet). */
uint64_t hpage_cost_ns(void);
/* The hugify delay in force, in ms (see HPAGE_AMORTIZE). */
uint64_t hpage_delay_ms(void);
/* sp no longer qualifies (or is going away): off the queue. */
void	hpage_unpend(struct pa *pa, struct sp *sp);
/*
 * sp's span is freed or resized: off the queue, and its huge page advice
 * no longer counted (stats.hugepages).
 */
void	hpage_forget(struct pa *pa, struct sp *sp);
/*
 * Hugify what has waited out the delay, at most budget superpages; returns
 * the nanoseconds until the next is due (0: nothing waits; 1: the budget
 * ran out with more due, call again).
 */
uint64_t hpage_tick(struct pa *pa, uint64_t now, unsigned budget);

#endif /* !HPAGE_H */
