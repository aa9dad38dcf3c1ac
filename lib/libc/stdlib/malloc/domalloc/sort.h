/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sort.h: sorting arrays of addresses inside the allocator, where qsort
 * (which may allocate) cannot be called: a heap sort, in place, O(n log n)
 * with no recursion and no memory of its own.  Used by the thread cache's
 * debug checker (duplicates in a stack) and the pprof writer (distinct
 * frame addresses).  No state, no locking.
 */
#ifndef SORT_H
#define	SORT_H

#include <stddef.h>
#include <stdint.h>

/* Sort a[0 .. n - 1] in ascending order. */
void	sort_uintptr(uintptr_t *a, size_t n);
/* Sort, then drop repeated values; returns how many are left. */
size_t	sort_uintptr_unique(uintptr_t *a, size_t n);

#endif /* !SORT_H */
