/*
 * amap.c: installing address map entries (see amap.h for the rules).
 */
#include "amap.h"
#include "base.h"

static amap_leaf_t	amap_zero_leaf;
amap_leaf_t *_Atomic	amap_root[AMAP_ROOT_N];

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
	expect = &amap_zero_leaf;
	if (!atomic_compare_exchange_strong_explicit(&amap_root[r], &expect,
	    leaf, memory_order_acq_rel, memory_order_acquire))
		return (expect);	/* lost the race; ours is abandoned */
	return (leaf);
}

bool
amap_set(uintptr_t addr, size_t nsp, struct sp *sp)
{
	amap_leaf_t *leaf;
	size_t i;
	uintptr_t a;

	for (i = 0; i < nsp; i++) {
		a = addr + (i << LG_SUPERPAGE);
		if ((a >> AMAP_ROOT_SHIFT) >= AMAP_ROOT_N)
			return (false);
		leaf = amap_leaf(a);
		if (leaf == NULL)
			return (false);
		atomic_store_explicit(
		    &(*leaf)[(a >> LG_SUPERPAGE) & (AMAP_LEAF_N - 1)], sp,
		    memory_order_release);
	}
	return (true);
}
