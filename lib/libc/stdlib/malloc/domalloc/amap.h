/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * amap.h: the address map, from a superpage to its descriptor.
 *
 * A two-level radix tree over the user address space (ARCH_LG_VADDR
 * bits) with one entry per GEOM_AMAP (2 MiB, the smallest superpage):
 * a larger superpage has geom.amap_per_sp entries, all pointing at its
 * descriptor, so a lookup shifts by a constant (geom.h).  Root slots
 * always point at a leaf: the shared zero leaf until a real one is
 * installed, so a lookup is two
 * dependent loads and never a NULL test on the root.  A NULL result
 * means the address was never handed out by domalloc, which is how
 * free() recognises foreign pointers.
 *
 * Synchronization: reads are lock-free.  Leaves are installed with a
 * compare-and-swap and never freed; entries are written with release
 * stores by the thread that owns the span (under its arena's page
 * allocator lock) and read with acquire loads.  Descriptors an entry
 * points at are never freed either (they are recycled), so a stale read
 * returns valid memory.
 */
#ifndef AMAP_H
#define	AMAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "geom.h"
#include "util.h"

struct sp;

#define	AMAP_LG_LEAF	17
#define	AMAP_LEAF_N	((size_t)1 << AMAP_LG_LEAF)
#define	AMAP_LG_ROOT	(ARCH_LG_VADDR - GEOM_LG_AMAP - AMAP_LG_LEAF)
#define	AMAP_ROOT_N	((size_t)1 << AMAP_LG_ROOT)
#define	AMAP_ROOT_SHIFT	(GEOM_LG_AMAP + AMAP_LG_LEAF)

typedef struct sp *_Atomic amap_leaf_t[AMAP_LEAF_N];

extern amap_leaf_t *_Atomic amap_root[AMAP_ROOT_N];

DM_INLINE struct sp *
amap_lookup(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	uintptr_t r = a >> AMAP_ROOT_SHIFT;
	amap_leaf_t *leaf;

	if (unlikely(r >= AMAP_ROOT_N))
		return (NULL);
	leaf = atomic_load_explicit(&amap_root[r], memory_order_acquire);
	return (atomic_load_explicit(
	    &(*leaf)[(a >> GEOM_LG_AMAP) & (AMAP_LEAF_N - 1)],
	    memory_order_acquire));
}

void	amap_boot(void);
/*
 * Point nsp superpages (of SUPERPAGE bytes) from addr at sp; false if a
 * leaf cannot be had.
 */
bool	amap_set(uintptr_t addr, size_t nsp, struct sp *sp);
/* Bytes of the leaves (base memory) never written: not resident. */
size_t	amap_untouched(void);

#endif /* !AMAP_H */
