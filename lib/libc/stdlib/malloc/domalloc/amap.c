/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * amap.c: installing address map entries (see amap.h for the rules).
 */
#include "amap.h"
#include "base.h"

static amap_leaf_t	amap_zero_leaf;
amap_leaf_t *_Atomic	amap_root[AMAP_ROOT_N];

/*
 * A leaf is 1 MiB of base memory of which only the pages holding
 * entries in use are ever touched: the pages written so far, per root
 * slot, so that the statistics do not count the rest as resident.
 * Updated with atomics (amap_set runs under different arenas' locks).
 */
#define	AMAP_LEAF_PAGES	(sizeof(amap_leaf_t) / GEOM_PMAP)
static _Atomic uint64_t	amap_touched[AMAP_ROOT_N][AMAP_LEAF_PAGES / 64];
static _Atomic size_t	amap_nleaves;
static _Atomic size_t	amap_ntouched;

void
amap_boot(void)
{
	size_t i;

	for (i = 0; i < AMAP_ROOT_N; i++)
		atomic_store_explicit(&amap_root[i], &amap_zero_leaf,
		    memory_order_relaxed);
}

static amap_leaf_t *
amap_leaf(uintptr_t a)
{
	amap_leaf_t *leaf, *expect;
	uintptr_t r = a >> AMAP_ROOT_SHIFT;

	leaf = atomic_load_explicit(&amap_root[r], memory_order_acquire);
	if (leaf != &amap_zero_leaf)
		return (leaf);
	leaf = base_alloc(sizeof(amap_leaf_t));
	if (leaf == NULL)
		return (NULL);
	/* Counted whether or not it is installed: base memory either way. */
	atomic_fetch_add_explicit(&amap_nleaves, 1, memory_order_relaxed);
	expect = &amap_zero_leaf;
	if (!atomic_compare_exchange_strong_explicit(&amap_root[r], &expect,
	    leaf, memory_order_acq_rel, memory_order_acquire))
		return (expect);	/* lost the race; ours is abandoned */
	return (leaf);
}

/* Note that the leaf page holding the entry of address a is touched. */
static void
amap_touch(uintptr_t a)
{
	size_t i = ((a >> GEOM_LG_AMAP) & (AMAP_LEAF_N - 1)) *
	    sizeof(struct sp *) / GEOM_PMAP;
	uint64_t bit = (uint64_t)1 << (i & 63);
	_Atomic uint64_t *w = &amap_touched[a >> AMAP_ROOT_SHIFT][i >> 6];

	if ((atomic_load_explicit(w, memory_order_relaxed) & bit) == 0 &&
	    (atomic_fetch_or_explicit(w, bit, memory_order_relaxed) & bit) ==
	    0)
		atomic_fetch_add_explicit(&amap_ntouched, 1,
		    memory_order_relaxed);
}

size_t
amap_untouched(void)
{
	size_t n = atomic_load_explicit(&amap_nleaves, memory_order_relaxed);
	size_t t = atomic_load_explicit(&amap_ntouched, memory_order_relaxed);

	return ((n * AMAP_LEAF_PAGES - DM_MIN(t, n * AMAP_LEAF_PAGES)) *
	    GEOM_PMAP);
}

bool
amap_set(uintptr_t addr, size_t nsp, struct sp *sp)
{
	amap_leaf_t *leaf;
	size_t i;
	uintptr_t a;

	nsp *= geom.amap_per_sp;
	for (i = 0; i < nsp; i++) {
		a = addr + (i << GEOM_LG_AMAP);
		if ((a >> AMAP_ROOT_SHIFT) >= AMAP_ROOT_N)
			return (false);
		leaf = amap_leaf(a);
		if (leaf == NULL)
			return (false);
		atomic_store_explicit(
		    &(*leaf)[(a >> GEOM_LG_AMAP) & (AMAP_LEAF_N - 1)], sp,
		    memory_order_release);
		amap_touch(a);
	}
	return (true);
}
