/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * slab.h: a slab, the page run that holds the regions of one small size
 * class, and its region bitmap (a set bit is a free region).
 *
 * Invariants: nfree == popcount(bitmap); 0 <= nfree <= nregs ==
 * sc_nregs[sc]; listed iff the slab is on its bin's nonfull list;
 * nmarked <= nregs, every region from nmarked on is free in the bitmap
 * and was never handed out, and the page map entries of the slab's pages
 * name its class exactly for the pages in which every region that starts
 * there lies below nmarked (bin_slab_fast_pages), and are PMAP_UNMARKED
 * for the others.  bin.c marks regions (mark.h) as it hands them out, a page
 * at a time (bin_slab_mark), so that the pages of a slab that a program
 * does not reach stay untouched; free's fast path sends a pointer into a
 * page not reached yet to the slow path, which reports it.
 * Synchronization: the descriptor belongs to the bin of its class in its
 * arena and is protected by that bin's lock; between uses it sits on the
 * arena's spare list under the page allocator lock.
 */
#ifndef SLAB_H
#define	SLAB_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "msg.h"
#include "sc.h"
#include "sp.h"

/*
 * The bitmap has geom.slab_nwords words (geom.h: up to
 * GEOM_SLAB_NWORDS_MAX, 4096 regions, with 64 KiB pages); a descriptor
 * is geom.slab_size bytes.
 */
struct slab {
	TAILQ_ENTRY(slab)	link;
	uintptr_t		addr;
	struct sp		*sp;
	struct arena		*arena;
	uint16_t		nfree;
	uint16_t		nregs;
	uint8_t			sc;
	bool			listed;
	uint16_t		nmarked;	/* regions marked, a prefix */
	uint64_t		bitmap[];
};

/*
 * The page map entry of a page of a slab that no region handed out
 * reaches yet: slow (sp.h), no class, and told apart from the other slow
 * entries by its own flag so that the slow path can say what is wrong
 * with a free there (alloc_lookup).
 */
#define	PMAP_UNMARKED	(PMAP_SLOW | 0x02u)

/*
 * Region r of s and every region below it are about to be handed out:
 * mark the regions not marked yet that start before the end of the page
 * where r ends, and make those pages' map entries fast (bin.c).  The bin
 * lock is held.
 */
void	bin_slab_mark(struct slab *s, unsigned r);

/* Take up to n free regions into dst; returns how many. */
DM_INLINE unsigned
slab_take(struct slab *s, void **dst, unsigned n)
{
	size_t size = sc_size[s->sc];
	unsigned got = 0, w, nw = geom.slab_nwords, r = 0;
	uint64_t bits;

	for (w = 0; w < nw && got < n; w++) {
		bits = s->bitmap[w];
		while (bits != 0 && got < n) {
			unsigned b = (unsigned)__builtin_ctzll(bits);

			bits &= bits - 1;
			r = w * 64 + b;
			dst[got++] = (void *)(s->addr + (size_t)r * size);
		}
		s->bitmap[w] = bits;
	}
	DM_ASSERT(got <= s->nfree);
	s->nfree -= (uint16_t)got;
	/* Regions are taken lowest first: r is the highest. */
	if (got != 0 && r >= s->nmarked)
		bin_slab_mark(s, r);
	return (got);
}

#endif /* !SLAB_H */
