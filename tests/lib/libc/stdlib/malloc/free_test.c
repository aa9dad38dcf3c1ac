/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box tests of free(3), free_sized and free_aligned_sized: the
 * NULL no-op, sized frees with exact sizes, and misuse that the
 * allocator must detect: freeing memory it does not own (stack, static
 * data, mmap), interior pointers of small, large and huge objects,
 * double frees and realloc of a foreign pointer.  Each misuse runs in a
 * forked child whose stderr is captured; the child must die of SIGABRT
 * after printing a "<domalloc>" diagnostic.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <sys/mman.h>

#include "malloc_test_util.h"

#define	MISUSE_TIMEOUT	20	/* seconds before a hung child is killed */

ATF_TC_WITHOUT_HEAD(free_null);
ATF_TC_BODY(free_null, tc)
{
	void *p;
	int i;

	for (i = 0; i < 1000; i++)
		free(mt_hide(NULL));
	p = malloc(100);
	ATF_REQUIRE_MSG(p != NULL, "malloc after free(NULL) failed");
	free(p);
}

ATF_TC_WITHOUT_HEAD(free_sized_null);
ATF_TC_BODY(free_sized_null, tc)
{
	void *p;

	free_sized(mt_hide(NULL), 0);
	free_sized(mt_hide(NULL), 100);
	free_aligned_sized(mt_hide(NULL), 64, 0);
	free_aligned_sized(mt_hide(NULL), 4096, 4096);
	p = malloc(100);
	ATF_REQUIRE(p != NULL);
	free(p);
}

#define	NSIZED	3000

/*
 * free_sized with the exact request size, in a scrambled order, while
 * other objects stay live: they must keep their contents and the
 * allocator must keep working.
 */
ATF_TC_WITHOUT_HEAD(free_sized_exact);
ATF_TC_BODY(free_sized_exact, tc)
{
	static void *p[NSIZED];
	static size_t sz[NSIZED];
	uint64_t rs;
	size_t i, j, bad;
	int round;

	rs = 77;
	for (round = 0; round < 3; round++) {
		for (i = 0; i < NSIZED; i++) {
			if (i % 500 == 7)
				sz[i] = 2 * MT_MIB + mt_rand(&rs) % MT_MIB;
			else if (i % 50 == 3)
				sz[i] = 14000 + mt_rand(&rs) % 200000;
			else
				sz[i] = 1 + mt_rand(&rs) % 4096;
			p[i] = malloc(mt_size(sz[i]));
			ATF_REQUIRE(p[i] != NULL);
			mt_fill(p[i], sz[i], i);
		}
		/* Free every other object, sized, in a shuffled order. */
		for (i = 0; i < NSIZED; i++) {
			j = mt_rand(&rs) % NSIZED;
			if (p[j] == NULL || j % 2 == 1)
				continue;
			free_sized(p[j], sz[j]);
			p[j] = NULL;
		}
		for (i = 0; i < NSIZED; i++) {
			if (p[i] == NULL)
				continue;
			bad = mt_check(p[i], sz[i], i);
			ATF_REQUIRE_MSG(bad == SIZE_MAX, "object %zu (%zu "
			    "bytes) changed at offset %zu", i, sz[i], bad);
			free_sized(p[i], sz[i]);
			p[i] = NULL;
		}
	}
}

ATF_TC_WITHOUT_HEAD(free_aligned_sized_exact);
ATF_TC_BODY(free_aligned_sized_exact, tc)
{
	static const size_t sz[] = { 1, 15, 16, 100, 4096, 14337, 100000,
	    2 * MT_MIB + 1 };
	void *p, *keep;
	size_t a, i;

	keep = malloc(48);
	ATF_REQUIRE(keep != NULL);
	mt_fill(keep, 48, 1);
	for (a = 16; a <= 4 * MT_MIB; a <<= 1) {
		for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
			p = aligned_alloc(mt_size(a), mt_size(sz[i]));
			ATF_REQUIRE_MSG(p != NULL, "aligned_alloc(%zu, %zu) "
			    "failed", a, sz[i]);
			ATF_REQUIRE(mt_aligned(p, a));
			memset(p, 0x11, sz[i]);
			mt_escape(p);
			free_aligned_sized(p, a, sz[i]);
		}
	}
	ATF_REQUIRE(mt_check(keep, 48, 1) == SIZE_MAX);
	free(keep);
}

/* Control for the harness: a correct program in a child exits 0. */
static void
valid_ops(void *arg)
{
	void *p;

	(void)arg;
	p = malloc(64);
	if (p == NULL)
		mt_child_fail("malloc(64) failed");
	free(p);
	p = malloc(8 * MT_MIB);
	if (p == NULL)
		mt_child_fail("malloc(8 MiB) failed");
	free(p);
}

ATF_TC_WITHOUT_HEAD(valid_free_in_child);
ATF_TC_BODY(valid_free_in_child, tc)
{
	struct mt_child cr;

	mt_run_child(&cr, MISUSE_TIMEOUT, valid_ops, NULL);
	mt_require_child_ok(&cr, "valid malloc/free");
	ATF_CHECK_MSG(strstr(cr.err, "<domalloc>") == NULL,
	    "a valid program got a diagnostic: %s", cr.err);
}

/*
 * Misuse bodies.  Each ends with an allocation so that an allocator that
 * only detects the problem lazily still gets a chance to do so.
 */
static void
settle(void)
{
	void *p;

	p = malloc(64);
	mt_escape(p);
	free(p);
}

static void
misuse_free_stack(void *arg)
{
	char buf[256];

	(void)arg;
	memset(buf, 0, sizeof(buf));
	free(mt_hide(buf + 64));
	settle();
}

static char global_buf[4096] __attribute__((__aligned__(64)));

static void
misuse_free_global(void *arg)
{

	(void)arg;
	free(mt_hide(global_buf + 64));
	settle();
}

static void
misuse_free_mmap(void *arg)
{
	void *p;

	(void)arg;
	p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		mt_child_fail("mmap: %s", strerror(errno));
	free(p);
	settle();
}

/* A foreign mapping that starts on a superpage boundary. */
static void
misuse_free_mmap_superpage(void *arg)
{
	uintptr_t a;
	void *p;

	(void)arg;
	p = mmap(NULL, 2 * MT_HUGE_ALIGN, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		mt_child_fail("mmap: %s", strerror(errno));
	a = ((uintptr_t)p + MT_HUGE_ALIGN - 1) & ~(uintptr_t)(MT_HUGE_ALIGN -
	    1);
	*(volatile char *)a = 1;
	free((void *)a);
	settle();
}

static void
misuse_interior(size_t n, size_t off)
{
	char *p;

	p = malloc(n);
	if (p == NULL)
		mt_child_fail("malloc(%zu) failed", n);
	memset(p, 0, n);
	free(mt_hide(p + off));
	settle();
}

static void
misuse_interior_small(void *arg)
{

	(void)arg;
	misuse_interior(64, 8);
}

static void
misuse_interior_small_16(void *arg)
{

	(void)arg;
	misuse_interior(64, 16);
}

static void
misuse_interior_large(void *arg)
{

	(void)arg;
	misuse_interior(MT_MIB, mt_page_size());
}

static void
misuse_interior_large_8(void *arg)
{

	(void)arg;
	misuse_interior(MT_MIB, 8);
}

static void
misuse_interior_huge(void *arg)
{

	(void)arg;
	misuse_interior(8 * MT_MIB, MT_HUGE_ALIGN);
}

static void
misuse_interior_huge_page(void *arg)
{

	(void)arg;
	misuse_interior(8 * MT_MIB, mt_page_size());
}

/*
 * The same after a valid free of a neighbour, so that free's cached
 * superpage (tsd.h) is the one of the pointer and the check runs on it.
 */
static void
misuse_interior_small_cached(void *arg)
{
	char *p, *q;

	(void)arg;
	p = malloc(64);
	q = malloc(64);
	if (p == NULL || q == NULL)
		mt_child_fail("malloc(64) failed");
	memset(p, 0, 64);
	mt_escape(q);
	free(q);
	free(mt_hide(p + 16));
	settle();
}

/* A foreign pointer after a valid free (a cached superpage). */
static void
misuse_free_stack_cached(void *arg)
{
	char buf[256];
	void *q;

	(void)arg;
	memset(buf, 0, sizeof(buf));
	q = malloc(64);
	mt_escape(q);
	free(q);
	free(mt_hide(buf + 64));
	settle();
}

static void
misuse_double_free(size_t n)
{
	void *p, *again;

	p = malloc(n);
	if (p == NULL)
		mt_child_fail("malloc(%zu) failed", n);
	memset(p, 0, n);
	again = mt_hide(p);	/* so the compiler cannot see the misuse */
	free(p);
	free(again);
	settle();
}

static void
misuse_double_free_small(void *arg)
{

	(void)arg;
	misuse_double_free(64);
}

static void
misuse_double_free_small_intervening(void *arg)
{
	void *p, *q, *again;

	(void)arg;
	p = malloc(64);
	if (p == NULL)
		mt_child_fail("malloc(64) failed");
	memset(p, 0, 64);
	again = mt_hide(p);
	free(p);
	q = malloc(200);
	if (q == NULL)
		mt_child_fail("malloc(200) failed");
	memset(q, 0, 200);
	free(q);
	free(again);
	settle();
}

static void
misuse_double_free_large(void *arg)
{

	(void)arg;
	misuse_double_free(MT_MIB);
}

static void
misuse_double_free_huge(void *arg)
{

	(void)arg;
	misuse_double_free(8 * MT_MIB);
}

static void
misuse_realloc_stack(void *arg)
{
	char buf[256];
	void *q;

	(void)arg;
	memset(buf, 0, sizeof(buf));
	q = realloc(mt_hide(buf + 32), 1000);
	mt_escape(q);
	settle();
}

static void
misuse_realloc_mmap(void *arg)
{
	void *p, *q;

	(void)arg;
	p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		mt_child_fail("mmap: %s", strerror(errno));
	q = realloc(p, 100000);
	mt_escape(q);
	settle();
}

#define	MISUSE_TC(name, fn, what)					\
ATF_TC_WITHOUT_HEAD(name);						\
ATF_TC_BODY(name, tc)							\
{									\
	struct mt_child cr;						\
									\
	mt_run_child(&cr, MISUSE_TIMEOUT, fn, NULL);			\
	mt_require_child_abort(&cr, what);				\
}

MISUSE_TC(free_stack, misuse_free_stack, "free of a stack pointer")
MISUSE_TC(free_global, misuse_free_global, "free of a static buffer")
MISUSE_TC(free_mmap, misuse_free_mmap, "free of an mmap'd block")
MISUSE_TC(free_mmap_superpage, misuse_free_mmap_superpage,
    "free of a 2 MiB aligned address in a foreign mapping")
MISUSE_TC(free_interior_small, misuse_interior_small,
    "free of malloc(64) + 8")
MISUSE_TC(free_interior_small_16, misuse_interior_small_16,
    "free of malloc(64) + 16")
MISUSE_TC(free_interior_small_cached, misuse_interior_small_cached,
    "free of malloc(64) + 16 after a free of its neighbour")
MISUSE_TC(free_stack_cached, misuse_free_stack_cached,
    "free of a stack pointer after a valid free")
MISUSE_TC(free_interior_large, misuse_interior_large,
    "free of malloc(1 MiB) + one page")
MISUSE_TC(free_interior_large_8, misuse_interior_large_8,
    "free of malloc(1 MiB) + 8")
MISUSE_TC(free_interior_huge, misuse_interior_huge,
    "free of malloc(8 MiB) + 2 MiB")
MISUSE_TC(free_interior_huge_page, misuse_interior_huge_page,
    "free of malloc(8 MiB) + one page")
MISUSE_TC(double_free_small, misuse_double_free_small,
    "double free of malloc(64)")
MISUSE_TC(double_free_small_intervening,
    misuse_double_free_small_intervening,
    "double free of malloc(64) with a malloc/free(200) in between")
MISUSE_TC(double_free_large, misuse_double_free_large,
    "double free of malloc(1 MiB)")
MISUSE_TC(double_free_huge, misuse_double_free_huge,
    "double free of malloc(8 MiB)")
MISUSE_TC(realloc_foreign_stack, misuse_realloc_stack,
    "realloc of a stack pointer")
MISUSE_TC(realloc_foreign_mmap, misuse_realloc_mmap,
    "realloc of an mmap'd block")

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, free_null);
	ATF_TP_ADD_TC(tp, free_sized_null);
	ATF_TP_ADD_TC(tp, free_sized_exact);
	ATF_TP_ADD_TC(tp, free_aligned_sized_exact);
	ATF_TP_ADD_TC(tp, valid_free_in_child);
	ATF_TP_ADD_TC(tp, free_stack);
	ATF_TP_ADD_TC(tp, free_stack_cached);
	ATF_TP_ADD_TC(tp, free_interior_small_cached);
	ATF_TP_ADD_TC(tp, free_global);
	ATF_TP_ADD_TC(tp, free_mmap);
	ATF_TP_ADD_TC(tp, free_mmap_superpage);
	ATF_TP_ADD_TC(tp, free_interior_small);
	ATF_TP_ADD_TC(tp, free_interior_small_16);
	ATF_TP_ADD_TC(tp, free_interior_large);
	ATF_TP_ADD_TC(tp, free_interior_large_8);
	ATF_TP_ADD_TC(tp, free_interior_huge);
	ATF_TP_ADD_TC(tp, free_interior_huge_page);
	ATF_TP_ADD_TC(tp, double_free_small);
	ATF_TP_ADD_TC(tp, double_free_small_intervening);
	ATF_TP_ADD_TC(tp, double_free_large);
	ATF_TP_ADD_TC(tp, double_free_huge);
	ATF_TP_ADD_TC(tp, realloc_foreign_stack);
	ATF_TP_ADD_TC(tp, realloc_foreign_mmap);
	return (atf_no_error());
}
