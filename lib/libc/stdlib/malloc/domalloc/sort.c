/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sort.c: the heap sort of sort.h.  No state, no locking.
 */
#include "sort.h"

/* Move a[root] down until the heap a[0 .. n - 1] holds again. */
static void
sort_sift(uintptr_t *a, size_t root, size_t n)
{
	size_t child;
	uintptr_t t;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && a[child + 1] > a[child])
			child++;
		if (a[root] >= a[child])
			return;
		t = a[root];
		a[root] = a[child];
		a[child] = t;
		root = child;
	}
}

void
sort_uintptr(uintptr_t *a, size_t n)
{
	size_t i;
	uintptr_t t;

	if (n < 2)
		return;
	for (i = n / 2; i-- > 0; )
		sort_sift(a, i, n);
	for (i = n - 1; i > 0; i--) {
		t = a[0];
		a[0] = a[i];
		a[i] = t;
		sort_sift(a, 0, i);
	}
}

size_t
sort_uintptr_unique(uintptr_t *a, size_t n)
{
	size_t i, u;

	if (n < 2)
		return (n);
	sort_uintptr(a, n);
	u = 1;
	for (i = 1; i < n; i++)
		if (a[i] != a[u - 1])
			a[u++] = a[i];
	return (u);
}
