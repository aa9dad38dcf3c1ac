/*
 * hpage.h: the huge page policy.
 *
 * opt.thp says what to do with transparent huge pages: "default" hugifies
 * superpages that are worth it when the system allows THP (madvise or
 * always mode), "always" advises MADV_HUGEPAGE on all of domalloc's
 * memory, "never" advises MADV_NOHUGEPAGE on all of it.  Under "default":
 * - a superpage of page runs is hugified (MADV_HUGEPAGE, then a
 *   synchronous MADV_COLLAPSE where the kernel has it) once it is dense,
 *   HPAGE_DENSE_PAGES of its 512 pages in use;
 * - once an arena is large (HPAGE_EAGER_SP superpages active), superpages
 *   it newly carves for runs, and the whole superpages of huge
 *   allocations, are advised before they are touched, so they fault in as
 *   huge pages with no later copy;
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

struct pa;
struct sp;

#define	HPAGE_DENSE_PAGES	448	/* 87.5% of a superpage */
#define	HPAGE_EAGER_SP		8	/* arena size for early advice */

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

#endif /* !HPAGE_H */
