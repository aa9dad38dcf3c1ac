/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box tests of realloc(3) and reallocarray(3) with default
 * options: a NULL pointer behaves as malloc, contents survive growth and
 * shrinkage across every size class boundary and between the small,
 * large and huge tiers, a request for the same usable size keeps the
 * pointer, realloc(p, 0) frees p and returns NULL, and a failed request
 * returns NULL with ENOMEM and leaves the old block intact.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include "malloc_test_util.h"

/* Geometric walk 1 .. 1 MiB, then 2 .. 4 MiB in half-MiB steps. */
static size_t
walk_next(size_t n)
{

	if (n < MT_MIB)
		return (n + n / 8 + 1);
	if (n < 2 * MT_MIB)
		return (2 * MT_MIB);
	return (n + MT_MIB / 2);
}

#define	WALK_MAX	(4 * MT_MIB)

ATF_TC_WITHOUT_HEAD(null_acts_as_malloc);
ATF_TC_BODY(null_acts_as_malloc, tc)
{
	unsigned char *p;
	size_t n;

	for (n = 1; n <= WALK_MAX; n = walk_next(n)) {
		p = realloc(NULL, mt_size(n));
		ATF_REQUIRE_MSG(p != NULL, "realloc(NULL, %zu) returned NULL",
		    n);
		ATF_CHECK_MSG(mt_usable(p) >= n,
		    "realloc(NULL, %zu): usable size %zu", n,
		    mt_usable(p));
		mt_fill(p, n, n);
		ATF_REQUIRE(mt_check(p, n, n) == SIZE_MAX);
		free(p);
	}
}

ATF_TC_WITHOUT_HEAD(null_zero_acts_as_malloc);
ATF_TC_BODY(null_zero_acts_as_malloc, tc)
{
	void *p, *q;

	p = realloc(NULL, mt_size(0));
	q = realloc(NULL, mt_size(0));
	ATF_CHECK_MSG(p != NULL && q != NULL,
	    "realloc(NULL, 0) returned NULL (%p, %p)", p, q);
	ATF_CHECK_MSG(p != q, "realloc(NULL, 0) twice gave %p", p);
	free(p);
	free(q);
}

/* Resize p from n to m bytes and require the common prefix intact. */
static void *
resize(void *p, size_t n, size_t m, uint64_t seed)
{
	uintptr_t old;
	size_t keep, bad;
	void *q;

	old = (uintptr_t)p;
	q = realloc(p, mt_size(m));
	ATF_REQUIRE_MSG(q != NULL, "realloc(%#jx, %zu) from %zu returned "
	    "NULL", (uintmax_t)old, m, n);
	ATF_REQUIRE_MSG(mt_usable(q) >= m,
	    "realloc to %zu: usable size %zu", m, mt_usable(q));
	keep = n < m ? n : m;
	bad = mt_check(q, keep, seed);
	ATF_REQUIRE_MSG(bad == SIZE_MAX, "realloc %zu -> %zu (%#jx -> %p): "
	    "byte %zu of %zu kept bytes changed", n, m, (uintmax_t)old, q,
	    bad, keep);
	mt_fill(q, m, seed);
	return (q);
}

ATF_TC_WITHOUT_HEAD(grow_preserves);
ATF_TC_BODY(grow_preserves, tc)
{
	void *p;
	size_t n, m;

	p = malloc(1);
	ATF_REQUIRE(p != NULL);
	mt_fill(p, 1, 7);
	for (n = 1; (m = walk_next(n)) <= WALK_MAX; n = m)
		p = resize(p, n, m, 7);
	free(p);
}

ATF_TC_WITHOUT_HEAD(shrink_preserves);
ATF_TC_BODY(shrink_preserves, tc)
{
	static size_t sizes[256];
	void *p;
	size_t i, k, n;

	k = 0;
	for (n = 1; n <= WALK_MAX; n = walk_next(n))
		sizes[k++] = n;
	p = malloc(sizes[k - 1]);
	ATF_REQUIRE(p != NULL);
	mt_fill(p, sizes[k - 1], 9);
	for (i = k - 1; i > 0; i--)
		p = resize(p, sizes[i], sizes[i - 1], 9);
	free(p);
}

/*
 * For every class c up to 4 MiB: c -> c + 1 (crosses into the next
 * class), back to c, and down to the previous class.
 */
ATF_TC_WITHOUT_HEAD(every_class_boundary);
ATF_TC_BODY(every_class_boundary, tc)
{
	void *p;
	size_t c, prev;

	prev = 0;
	for (c = 16; c <= WALK_MAX; prev = c, c = mt_next_class(c)) {
		p = malloc(mt_size(c));
		ATF_REQUIRE_MSG(p != NULL, "malloc(%zu) returned NULL", c);
		mt_fill(p, c, c);
		p = resize(p, c, c + 1, c);
		p = resize(p, c + 1, c, c);
		if (prev > 0) {
			p = resize(p, c, prev, c);
			p = resize(p, prev, c + 1, c);
		}
		free(p);
	}
}

/* Moves between the small, large and huge tiers in both directions. */
ATF_TC_WITHOUT_HEAD(cross_tier);
ATF_TC_BODY(cross_tier, tc)
{
	static const size_t path[] = { 100, 100000, 3 * MT_MIB, 50,
	    8 * MT_MIB, 200000, 7, MT_LARGE_MAX, 2 * MT_MIB, MT_SMALL_MAX,
	    MT_SMALL_MAX + 1, 5 * MT_MIB + 3, 1 };
	void *p;
	size_t i;

	p = malloc(path[0]);
	ATF_REQUIRE(p != NULL);
	mt_fill(p, path[0], 3);
	for (i = 1; i < sizeof(path) / sizeof(path[0]); i++)
		p = resize(p, path[i - 1], path[i], 3);
	free(p);
}

/*
 * Asking for the usable size the block already has, or for the size
 * originally requested, must not move it.
 */
ATF_TC_WITHOUT_HEAD(same_usable_same_pointer);
ATF_TC_BODY(same_usable_same_pointer, tc)
{
	void *p, *q;
	size_t n, u;

	for (n = 1; n <= WALK_MAX; n = walk_next(n)) {
		p = malloc(mt_size(n));
		ATF_REQUIRE(p != NULL);
		u = mt_usable(p);
		mt_fill(p, u, n);
		q = realloc(p, mt_size(u));
		ATF_REQUIRE_MSG(q != NULL, "realloc(p, %zu) returned NULL", u);
		ATF_CHECK_MSG(q == p, "malloc(%zu) = %p, realloc to its usable "
		    "size %zu moved it to %p", n, p, u, q);
		p = q;
		q = realloc(p, mt_size(n));
		ATF_REQUIRE_MSG(q != NULL, "realloc(p, %zu) returned NULL", n);
		ATF_CHECK_MSG(q == p, "realloc(%p, %zu) back to the requested "
		    "size moved it to %p (usable %zu)", p, n, q, u);
		ATF_REQUIRE(mt_check(q, n, n) == SIZE_MAX);
		free(q);
	}
}

/*
 * A small block moved to another small class: the contents are kept, the
 * new block has the new class's usable size, and the old one is freed
 * into this thread's cache, so that the next malloc of its size (last in,
 * first out) hands it out again.
 */
ATF_TC_WITHOUT_HEAD(small_move_frees_old);
ATF_TC_BODY(small_move_frees_old, tc)
{
	static const size_t path[] = { 24, 1000, 100, 4000, 5000, 14336,
	    16, 9000, 3 };
	void *p, *q, *r;
	size_t i, n, m;

	for (i = 1; i < sizeof(path) / sizeof(path[0]); i++) {
		n = path[i - 1];
		m = path[i];
		p = malloc(mt_size(n));
		ATF_REQUIRE(p != NULL);
		mt_fill(p, n, i);
		q = resize(p, n, m, i);
		ATF_CHECK_MSG(q != p, "realloc %zu -> %zu did not move", n, m);
		ATF_CHECK_EQ_MSG(mt_usable(q), mt_class_size(m),
		    "realloc %zu -> %zu: usable size %zu, class %zu", n, m,
		    mt_usable(q), mt_class_size(m));
		r = malloc(mt_size(n));
		ATF_CHECK_MSG(r == p, "realloc %zu -> %zu moved %p to %p, "
		    "and malloc(%zu) then gave %p, not the old block", n, m,
		    p, q, n, r);
		free(r);
		free(q);
	}
}

/*
 * thread.allocated and thread.deallocated count a moving realloc as the
 * new block's usable size allocated and the old one's freed; one that
 * stays in its class counts nothing.
 */
ATF_TC_WITHOUT_HEAD(small_move_counts);
ATF_TC_BODY(small_move_counts, tc)
{
	uint64_t a0, a1, d0, d1;
	size_t len, un, um;
	void *p, *q;

	p = malloc(mt_size(200));
	ATF_REQUIRE(p != NULL);
	un = mt_usable(p);
	len = sizeof(a0);
	ATF_REQUIRE_EQ(mallctl("thread.allocated", &a0, &len, NULL, 0), 0);
	ATF_REQUIRE_EQ(mallctl("thread.deallocated", &d0, &len, NULL, 0), 0);
	q = realloc(p, mt_size(3000));
	ATF_REQUIRE(q != NULL);
	um = mt_usable(q);
	q = realloc(q, mt_size(um - 1));
	ATF_REQUIRE(q != NULL);
	ATF_CHECK_EQ(mt_usable(q), um);
	ATF_REQUIRE_EQ(mallctl("thread.allocated", &a1, &len, NULL, 0), 0);
	ATF_REQUIRE_EQ(mallctl("thread.deallocated", &d1, &len, NULL, 0), 0);
	ATF_CHECK_EQ_MSG(a1 - a0, um, "allocated grew by %ju, expected %zu",
	    (uintmax_t)(a1 - a0), um);
	ATF_CHECK_EQ_MSG(d1 - d0, un, "deallocated grew by %ju, expected %zu",
	    (uintmax_t)(d1 - d0), un);
	free(q);
}

ATF_TC_WITHOUT_HEAD(zero_returns_null);
ATF_TC_BODY(zero_returns_null, tc)
{
	static const size_t sz[] = { 1, 100, 14336, 100000, 3 * MT_MIB };
	void *p, *q;
	size_t i;

	for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
		p = malloc(mt_size(sz[i]));
		ATF_REQUIRE(p != NULL);
		memset(p, 1, sz[i]);
		mt_escape(p);
		q = realloc(p, mt_size(0));
		ATF_CHECK_MSG(q == NULL, "realloc(malloc(%zu), 0) returned %p "
		    "instead of freeing and returning NULL", sz[i], q);
		if (q != NULL)
			free(q);
	}
}

/*
 * realloc(p, 0) must really free p: doing it many times with big blocks
 * must not make the address space grow.  A leak here would add 8 GiB of
 * huge blocks and 100 MB of small ones.
 */
ATF_TC_WITHOUT_HEAD(zero_frees);
ATF_TC_BODY(zero_frees, tc)
{
	void *p, *q;
	size_t before, after;
	int i;

	/* Warm up, so that first-use metadata does not count. */
	for (i = 0; i < 16; i++) {
		p = malloc(mt_size(8 * MT_MIB));
		ATF_REQUIRE(p != NULL);
		q = realloc(p, mt_size(0));
		if (q != NULL)
			free(q);
	}
	before = mt_vmsize();
	for (i = 0; i < 1000; i++) {
		p = malloc(mt_size(8 * MT_MIB));
		ATF_REQUIRE(p != NULL);
		((volatile char *)p)[0] = 1;
		q = realloc(p, mt_size(0));
		ATF_REQUIRE_MSG(q == NULL, "realloc(p, 0) returned %p", q);
	}
	for (i = 0; i < 100000; i++) {
		p = malloc(mt_size(1000));
		ATF_REQUIRE(p != NULL);
		((volatile char *)p)[0] = 1;
		q = realloc(p, mt_size(0));
		ATF_REQUIRE_MSG(q == NULL, "realloc(p, 0) returned %p", q);
	}
	after = mt_vmsize();
	ATF_CHECK_MSG(after < before + 64 * MT_MIB, "address space grew from "
	    "%zu to %zu bytes: realloc(p, 0) seems to leak p", before, after);
}

/* A request that cannot be met leaves p as it was. */
static void
check_failure_keeps(size_t n, size_t m)
{
	void *p, *q, *keep;
	size_t bad;

	keep = malloc(mt_size(n));
	ATF_REQUIRE(keep != NULL);
	mt_fill(keep, n, n);
	/* p stays valid when realloc fails; hide that it was passed. */
	p = mt_hide(keep);
	errno = 0;
	q = realloc(keep, mt_size(m));
	ATF_CHECK_MSG(q == NULL, "realloc(malloc(%zu), %#zx) returned %p", n,
	    m, q);
	ATF_CHECK_MSG(errno == ENOMEM, "realloc(malloc(%zu), %#zx): errno %d "
	    "(%s), expected ENOMEM", n, m, errno, strerror(errno));
	if (q != NULL) {
		free(q);
		return;
	}
	bad = mt_check(p, n, n);
	ATF_CHECK_MSG(bad == SIZE_MAX, "failed realloc(malloc(%zu), %#zx) "
	    "changed byte %zu of the old block", n, m, bad);
	ATF_CHECK_MSG(mt_usable(p) >= n, "old block shrank to %zu",
	    mt_usable(p));
	free(p);
}

ATF_TC_WITHOUT_HEAD(huge_fails_keeps_block);
ATF_TC_BODY(huge_fails_keeps_block, tc)
{
	static const size_t from[] = { 1, 100, 100000, 3 * MT_MIB };
	static const size_t to[] = { SIZE_MAX, SIZE_MAX - 4095,
	    SIZE_MAX - MT_HUGE_ALIGN + 1, (size_t)PTRDIFF_MAX + 1,
	    SIZE_MAX / 2 };
	size_t i, j;

	for (i = 0; i < sizeof(from) / sizeof(from[0]); i++)
		for (j = 0; j < sizeof(to) / sizeof(to[0]); j++)
			check_failure_keeps(from[i], to[j]);
}

ATF_TC_WITHOUT_HEAD(reallocarray_works);
ATF_TC_BODY(reallocarray_works, tc)
{
	uint32_t *p;
	size_t i;

	p = reallocarray(NULL, mt_size(10), sizeof(*p));
	ATF_REQUIRE(p != NULL);
	for (i = 0; i < 10; i++)
		p[i] = (uint32_t)i * 7;
	p = reallocarray(p, mt_size(100000), sizeof(*p));
	ATF_REQUIRE(p != NULL);
	ATF_REQUIRE(mt_usable(p) >= 100000 * sizeof(*p));
	for (i = 0; i < 10; i++)
		ATF_REQUIRE_MSG(p[i] == (uint32_t)i * 7, "element %zu lost", i);
	for (i = 10; i < 100000; i++)
		p[i] = (uint32_t)i * 7;
	p = reallocarray(p, mt_size(5), sizeof(*p));
	ATF_REQUIRE(p != NULL);
	for (i = 0; i < 5; i++)
		ATF_REQUIRE_MSG(p[i] == (uint32_t)i * 7, "element %zu lost", i);
	free(p);
}

ATF_TC_WITHOUT_HEAD(reallocarray_overflow);
ATF_TC_BODY(reallocarray_overflow, tc)
{
	size_t half;
	void *p, *q;

	half = (size_t)1 << (sizeof(size_t) * 4);
	errno = 0;
	q = reallocarray(NULL, mt_size(SIZE_MAX), mt_size(2));
	ATF_CHECK_MSG(q == NULL, "reallocarray(NULL, SIZE_MAX, 2) = %p", q);
	ATF_CHECK_MSG(errno == ENOMEM, "errno %d, expected ENOMEM", errno);
	free(q);

	p = malloc(64);
	ATF_REQUIRE(p != NULL);
	mt_fill(p, 64, 5);
	errno = 0;
	q = reallocarray(mt_hide(p), mt_size(half), mt_size(half));
	ATF_CHECK_MSG(q == NULL, "reallocarray(p, 2^32, 2^32) = %p", q);
	ATF_CHECK_MSG(errno == ENOMEM, "errno %d, expected ENOMEM", errno);
	ATF_CHECK_MSG(mt_check(p, 64, 5) == SIZE_MAX,
	    "failed reallocarray changed the old block");
	errno = 0;
	q = reallocarray(mt_hide(p), mt_size(SIZE_MAX / 8 + 1), mt_size(8));
	ATF_CHECK_MSG(q == NULL, "reallocarray(p, SIZE_MAX/8+1, 8) = %p", q);
	ATF_CHECK_MSG(errno == ENOMEM, "errno %d, expected ENOMEM", errno);
	ATF_CHECK_MSG(mt_check(p, 64, 5) == SIZE_MAX,
	    "failed reallocarray changed the old block");
	free(p);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, null_acts_as_malloc);
	ATF_TP_ADD_TC(tp, null_zero_acts_as_malloc);
	ATF_TP_ADD_TC(tp, grow_preserves);
	ATF_TP_ADD_TC(tp, shrink_preserves);
	ATF_TP_ADD_TC(tp, every_class_boundary);
	ATF_TP_ADD_TC(tp, cross_tier);
	ATF_TP_ADD_TC(tp, same_usable_same_pointer);
	ATF_TP_ADD_TC(tp, small_move_frees_old);
	ATF_TP_ADD_TC(tp, small_move_counts);
	ATF_TP_ADD_TC(tp, zero_returns_null);
	ATF_TP_ADD_TC(tp, zero_frees);
	ATF_TP_ADD_TC(tp, huge_fails_keeps_block);
	ATF_TP_ADD_TC(tp, reallocarray_works);
	ATF_TP_ADD_TC(tp, reallocarray_overflow);
	return (atf_no_error());
}
