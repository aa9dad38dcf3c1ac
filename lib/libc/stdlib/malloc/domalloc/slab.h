/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * slab.h: a slab, the page run that holds the regions of one small size
 * class, and its region bitmap (a set bit is a free region).
 *
 * Invariants: nfree == popcount(bitmap); 0 <= nfree <= nregs ==
 * sc_nregs[sc]; listed iff the slab is on its bin's nonfull list.
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
	uint64_t		bitmap[];
};

/* Take up to n free regions into dst; returns how many. */
DM_INLINE unsigned
slab_take(struct slab *s, void **dst, unsigned n)
{
	size_t size = sc_size[s->sc];
	unsigned got = 0, w, nw = geom.slab_nwords;
	uint64_t bits;

	for (w = 0; w < nw && got < n; w++) {
		bits = s->bitmap[w];
		while (bits != 0 && got < n) {
			unsigned b = (unsigned)__builtin_ctzll(bits);

			bits &= bits - 1;
			dst[got++] = (void *)(s->addr +
			    (size_t)(w * 64 + b) * size);
		}
		s->bitmap[w] = bits;
	}
	DM_ASSERT(got <= s->nfree);
	s->nfree -= (uint16_t)got;
	return (got);
}

#endif /* !SLAB_H */
