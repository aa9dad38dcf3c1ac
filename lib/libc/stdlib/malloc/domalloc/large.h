/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * large.h: allocations of page runs (SC_LARGE_MIN up to below a
 * superpage) and of huge spans (a superpage and up), including growing
 * and shrinking them in place for realloc, rallocx and xallocx.
 *
 * A large run is recorded only in its superpage's pmap: the first page
 * map entry holds the size class (from 512 KiB, past the entry's class
 * field: PMAP_BIGRUN, the class in sp->rclass[], sp.h), the others
 * PMAP_SLOW.
 * A run is its usable size rounded up to whole pages: with pages above
 * 4 KiB the classes below four pages (16 KiB pages: 20, 24, 28, 40, 48,
 * 56 KiB) are not whole pages, and the rest of the last page is unused
 * slack; runs of 2 MiB and more are 2 MiB aligned.  A huge span is
 * described by its own descriptor (usable size in sp->usize).
 * Synchronization: all state changes go through the page allocator,
 * which takes the arena's page allocator lock; statistics are atomics.
 */
#ifndef LARGE_H
#define	LARGE_H

#include <stdbool.h>
#include <stddef.h>

struct arena;
struct sp;

void	*large_alloc(struct arena *arena, size_t usize, size_t align,
	    bool zero);
/*
 * large_alloc for a thread whose automatic arena is arena: a page run may
 * come from memory one of the next LARGE_SHARE_ARENAS automatic arenas of
 * its node already holds (large.c says why), then belonging to that one.
 */
void	*large_alloc_shared(struct arena *arena, size_t usize, size_t align,
	    bool zero);
#define	LARGE_SHARE_ARENAS	3
void	 large_free(struct sp *sp, void *p);
/*
 * Resize in place to usize (same placement); false if it cannot.  With
 * movable (realloc, rallocx), the caller would move the allocation
 * instead, and a huge one then declines to grow into fresh memory when
 * dirty memory elsewhere would hold it (see pa_huge_resize).
 */
bool	 large_resize(struct sp *sp, void *p, size_t oldusize, size_t usize,
	    bool zero, bool movable);
/*
 * The pages of a large run of usable size usize: with pages above 4 KiB
 * a class below four pages need not be a whole number of them (sc.h).
 */
unsigned large_npages(size_t usize);
/* Count an allocation (alloc) or a free of large class ind in stats. */
void	 large_stat(struct arena *arena, unsigned ind, bool alloc);
/* The usable size of an allocation known to be large or huge. */
size_t	 large_usize(struct sp *sp, const void *p);

#endif /* !LARGE_H */
