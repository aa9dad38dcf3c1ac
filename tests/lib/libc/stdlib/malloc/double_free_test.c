/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box tests that a free (or realloc) of a pointer that is not a live
 * allocation is caught before the block can be handed out a second time,
 * in the default build with default options: double frees that are not
 * the most recent free of their size class, double frees from two
 * threads, frees of slots that were never handed out, and realloc of a
 * freed pointer, at small (64 B: a slab region), medium (16 KiB: a page
 * run kept in the thread cache), large (1 MiB: a page run) and huge
 * (8 MiB) sizes.  Each misuse runs in a child, which must abort with the
 * message of domalloc(3) that names the function, the pointer and what is
 * wrong with it.  Before the free marker (mark.h), the interleaved
 * double free `free(p); free(q); free(p)' let the next two mallocs
 * return p twice.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <pthread.h>

#include "malloc_test_util.h"

#define	MISUSE_TIMEOUT	30

#define	SMALL		((size_t)64)
#define	MEDIUM		((size_t)16384)
#define	LARGE		MT_MIB
#define	HUGE		(8 * MT_MIB)

static void
settle(void)
{
	void *a, *b, *c;

	/* Had the misuse gone unnoticed, these would show it. */
	a = malloc(SMALL);
	b = malloc(SMALL);
	c = malloc(SMALL);
	mt_escape(a);
	mt_escape(b);
	mt_escape(c);
	mt_child_fail("the misuse was not caught (then %p %p %p)", a, b, c);
}

static void *
xmalloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL)
		mt_child_fail("malloc(%zu) failed", n);
	memset(p, 0x11, n);
	return (p);
}

/* What the child must have said: "fn(): pointer <p> ..." and why. */
static void
require_msg(const struct mt_child *cr, const char *fn, void *p,
    const char *why)
{
	char want[128];

	snprintf(want, sizeof(want), "%s(): pointer %p is not allocated", fn,
	    p);
	ATF_REQUIRE_MSG(strstr(cr->err, want) != NULL,
	    "expected \"%s\" in: %s", want, cr->err);
	ATF_REQUIRE_MSG(strstr(cr->err, why) != NULL,
	    "expected \"%s\" in: %s", why, cr->err);
}

/*
 * The pointer a child will misuse is chosen before the fork: the child's
 * heap is the parent's, so the same address is the same block there.
 */
struct misuse {
	size_t	 n;
	void	*p;
};

static void
interleaved(void *arg)
{
	struct misuse *m = arg;
	void *q, *again = mt_hide(m->p);

	q = xmalloc(m->n);
	free(m->p);
	free(q);
	free(again);
	settle();
}

/*
 * Run misuse fn on a block of n bytes in a child; it must abort saying
 * that fn_name's pointer (the block, plus off) is not allocated, and why.
 */
static void
misuse_tc(size_t n, void (*fn)(void *), const char *what,
    const char *fn_name, size_t off, const char *why)
{
	struct mt_child cr;
	struct misuse m;

	m.n = n;
	m.p = xmalloc(n);
	mt_run_child(&cr, MISUSE_TIMEOUT, fn, &m);
	mt_require_child_abort(&cr, what);
	require_msg(&cr, fn_name, (char *)m.p + off, why);
	free(m.p);
}

static void
interleaved_tc(size_t n, const char *why)
{
	misuse_tc(n, interleaved, "free(p); free(q); free(p)", "free", 0, why);
}

ATF_TC_WITHOUT_HEAD(interleaved_small);
ATF_TC_BODY(interleaved_small, tc)
{
	interleaved_tc(SMALL, "free in this thread's cache (double free");
}

ATF_TC_WITHOUT_HEAD(interleaved_medium);
ATF_TC_BODY(interleaved_medium, tc)
{
	interleaved_tc(MEDIUM, "free in this thread's cache (double free");
}

ATF_TC_WITHOUT_HEAD(interleaved_large);
ATF_TC_BODY(interleaved_large, tc)
{
	interleaved_tc(LARGE, "(double free, or never allocated)");
}

ATF_TC_WITHOUT_HEAD(interleaved_huge);
ATF_TC_BODY(interleaved_huge, tc)
{
	interleaved_tc(HUGE, "(double free, or never allocated)");
}

/* Cache flushed in between: the block is back in its slab or run. */
static void
after_flush(void *arg)
{
	struct misuse *m = arg;
	void *again = mt_hide(m->p);

	free(m->p);
	if (mallctl("thread.tcache.flush", NULL, NULL, NULL, 0) != 0)
		mt_child_fail("thread.tcache.flush failed");
	free(again);
	settle();
}

ATF_TC_WITHOUT_HEAD(after_flush_small);
ATF_TC_BODY(after_flush_small, tc)
{
	misuse_tc(SMALL, after_flush, "double free after a cache flush",
	    "free", 0, "free in its slab (double free");
}

ATF_TC_WITHOUT_HEAD(after_flush_medium);
ATF_TC_BODY(after_flush_medium, tc)
{
	misuse_tc(MEDIUM, after_flush, "double free after a cache flush",
	    "free", 0, "(double free, or never allocated)");
}

/*
 * Two threads: one frees p into its cache and stays alive (so p stays in
 * that cache), then the main thread frees p again.
 */
static void *
free_and_wait(void *arg)
{
	struct misuse *m = arg;
	void *x;

	/* A first call that allocates, so that this thread has a cache. */
	x = xmalloc(m->n);
	mt_escape(x);
	free(m->p);
	/* Keep the cache: the main thread's free comes now. */
	for (;;)
		pause();
	return (NULL);
}

static void
remote(void *arg)
{
	struct misuse *m = arg;
	pthread_t th;

	if (pthread_create(&th, NULL, free_and_wait, m) != 0)
		mt_child_fail("pthread_create failed");
	usleep(100000);
	free(mt_hide(m->p));
	settle();
}

static void
remote_tc(size_t n, const char *why)
{
	misuse_tc(n, remote, "double free from two threads", "free", 0, why);
}

ATF_TC_WITHOUT_HEAD(remote_small);
ATF_TC_BODY(remote_small, tc)
{
	remote_tc(SMALL, "marked free (double free through another thread");
}

ATF_TC_WITHOUT_HEAD(remote_medium);
ATF_TC_BODY(remote_medium, tc)
{
	remote_tc(MEDIUM, "marked free (double free through another thread");
}

ATF_TC_WITHOUT_HEAD(remote_large);
ATF_TC_BODY(remote_large, tc)
{
	remote_tc(LARGE, "(double free, or never allocated)");
}

/* realloc of a freed pointer, with another free in between. */
static void
realloc_freed(void *arg)
{
	struct misuse *m = arg;
	void *q, *r, *again = mt_hide(m->p);

	q = xmalloc(m->n);
	free(m->p);
	free(q);
	r = realloc(again, 2 * m->n);
	mt_escape(r);
	settle();
}

static void
realloc_tc(size_t n, const char *why)
{
	misuse_tc(n, realloc_freed, "realloc of a freed pointer", "realloc", 0,
	    why);
}

ATF_TC_WITHOUT_HEAD(realloc_freed_small);
ATF_TC_BODY(realloc_freed_small, tc)
{
	realloc_tc(SMALL, "free in this thread's cache (double free");
}

ATF_TC_WITHOUT_HEAD(realloc_freed_medium);
ATF_TC_BODY(realloc_freed_medium, tc)
{
	realloc_tc(MEDIUM, "free in this thread's cache (double free");
}

ATF_TC_WITHOUT_HEAD(realloc_freed_large);
ATF_TC_BODY(realloc_freed_large, tc)
{
	realloc_tc(LARGE, "(double free, or never allocated)");
}

/*
 * Slots never handed out: the neighbour of a fresh small block, which a
 * cache fill took (it sits in this thread's cache), and a slot of a slab
 * that only MALLOCX_TCACHE_NONE allocations use (it is free in its
 * slab); for medium blocks, the pages after a fresh run.
 */
static void
never_cached(void *arg)
{
	struct misuse *m = arg;

	free(mt_hide((char *)m->p + m->n));
	settle();
}

ATF_TC_WITHOUT_HEAD(never_allocated_small_cached);
ATF_TC_BODY(never_allocated_small_cached, tc)
{
	struct mt_child cr;
	struct misuse m;

	/*
	 * A class nothing else in this program has used (1792 bytes): the
	 * fill that served p took its neighbour too, lowest address first
	 * (a first fill takes at most 4 KiB of objects, two here).
	 */
	m.p = xmalloc(1700);
	m.n = malloc_usable_size(m.p);
	mt_run_child(&cr, MISUSE_TIMEOUT, never_cached, &m);
	mt_require_child_abort(&cr, "free of a slot never handed out");
	require_msg(&cr, "free", (char *)m.p + m.n,
	    "free in this thread's cache (double free, or never handed out)");
	free(m.p);
}

static void
never_in_slab(void *arg)
{
	struct misuse *m = arg;

	free(mt_hide((char *)m->p + m->n));
	settle();
}

/*
 * A block of n bytes alone in a fresh arena, uncached; a free of what
 * follows it (a slot or pages never allocated) must say why.
 */
static void
never_in_arena_tc(size_t n, const char *what, const char *why)
{
	struct mt_child cr;
	struct misuse m;
	unsigned a;
	size_t len = sizeof(a);

	ATF_REQUIRE(mallctl("arenas.create", &a, &len, NULL, 0) == 0);
	m.n = n;
	m.p = mallocx(n, MALLOCX_ARENA(a) | MALLOCX_TCACHE_NONE);
	ATF_REQUIRE(m.p != NULL);
	mt_run_child(&cr, MISUSE_TIMEOUT, never_in_slab, &m);
	mt_require_child_abort(&cr, what);
	require_msg(&cr, "free", (char *)m.p + m.n, why);
	dallocx(m.p, MALLOCX_TCACHE_NONE);
}

ATF_TC_WITHOUT_HEAD(never_allocated_small_slab);
ATF_TC_BODY(never_allocated_small_slab, tc)
{
	never_in_arena_tc(SMALL, "free of a slot never allocated",
	    "free in its slab (double free, or never allocated)");
}

/*
 * A slab marks its regions as it hands them out, a page at a time, and a
 * page that no region handed out reaches is slow in the page map (bin.c,
 * slab.h): a free of a slot there, which has no free marker, must still
 * be caught, by the slow path, before the slot could be cached and handed
 * out twice.  The 80-byte class's slab is several pages (five of 4 KiB);
 * its first block marks the regions that start in the first page, so the
 * first region after them, in the second page, is beyond the frontier.
 */
ATF_TC_WITHOUT_HEAD(never_allocated_small_unmarked_page);
ATF_TC_BODY(never_allocated_small_unmarked_page, tc)
{
	struct mt_child cr;
	struct misuse m;
	char name[64];
	size_t len, page, size, slab;
	unsigned a, i, nbins;

	len = sizeof(page);
	ATF_REQUIRE(mallctl("arenas.page", &page, &len, NULL, 0) == 0);
	len = sizeof(nbins);
	ATF_REQUIRE(mallctl("arenas.nbins", &nbins, &len, NULL, 0) == 0);
	for (i = 0, slab = 0; i < nbins; i++) {
		snprintf(name, sizeof(name), "arenas.bin.%u.size", i);
		len = sizeof(size);
		ATF_REQUIRE(mallctl(name, &size, &len, NULL, 0) == 0);
		if (size != 80)
			continue;
		snprintf(name, sizeof(name), "arenas.bin.%u.slab_size", i);
		len = sizeof(slab);
		ATF_REQUIRE(mallctl(name, &slab, &len, NULL, 0) == 0);
	}
	if (slab <= page)
		atf_tc_skip("the 80-byte class's slab is one page (%zu bytes)",
		    page);
	len = sizeof(a);
	ATF_REQUIRE(mallctl("arenas.create", &a, &len, NULL, 0) == 0);
	m.p = mallocx(80, MALLOCX_ARENA(a) | MALLOCX_TCACHE_NONE);
	ATF_REQUIRE(m.p != NULL);
	ATF_REQUIRE_MSG(((uintptr_t)m.p & (page - 1)) == 0, "the first "
	    "block of a fresh arena's slab starts a page (%p)", m.p);
	m.n = (page + 79) / 80 * 80;
	mt_run_child(&cr, MISUSE_TIMEOUT, never_in_slab, &m);
	mt_require_child_abort(&cr, "free of a slot never allocated, in a "
	    "page of its slab that nothing handed out reaches");
	require_msg(&cr, "free", (char *)m.p + m.n,
	    "it lies in a part of its slab never handed out");
	dallocx(m.p, MALLOCX_TCACHE_NONE);
}

ATF_TC_WITHOUT_HEAD(never_allocated_medium);
ATF_TC_BODY(never_allocated_medium, tc)
{
	size_t pg, len = sizeof(pg);

	/* A run of whole pages, so the page after it is not its slack. */
	ATF_REQUIRE(mallctl("arenas.page", &pg, &len, NULL, 0) == 0);
	never_in_arena_tc(pg > MEDIUM ? pg : MEDIUM,
	    "free of pages never allocated",
	    "(double free, or never allocated)");
}

/* The same through sdallocx and dallocx with a thread cache flag. */
static void
sdallocx_freed(void *arg)
{
	struct misuse *m = arg;
	void *q, *again = mt_hide(m->p);

	q = xmalloc(m->n);
	free(m->p);
	free(q);
	sdallocx(again, m->n, 0);
	settle();
}

ATF_TC_WITHOUT_HEAD(sdallocx_double_free_small);
ATF_TC_BODY(sdallocx_double_free_small, tc)
{
	misuse_tc(SMALL, sdallocx_freed, "sdallocx of a freed pointer",
	    "sdallocx", 0, "free in this thread's cache (double free");
}

/* Correct use must never trip the marker: blocks never written, calloc. */
ATF_TC_WITHOUT_HEAD(unwritten_blocks_ok);
ATF_TC_BODY(unwritten_blocks_ok, tc)
{
	static const size_t sizes[] = { 8, 16, 64, 176, 4096, 16384,
	    32768, 65536, MT_MIB };
	void *p[64];
	unsigned i, k, r;

	for (r = 0; r < 50; r++) {
		for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			for (i = 0; i < 64; i++) {
				p[i] = (r & 1) ? calloc(1, sizes[k]) :
				    malloc(sizes[k]);
				ATF_REQUIRE(p[i] != NULL);
				mt_escape(p[i]);
			}
			for (i = 0; i < 64; i++)
				free(p[(i * 7) % 64]);
		}
	}
}

/* A freed block's marker word read back after reuse: zero, not the key. */
ATF_TC_WITHOUT_HEAD(reuse_clears_marker);
ATF_TC_BODY(reuse_clears_marker, tc)
{
	uint64_t w;
	void *p, *q;

	p = malloc(SMALL);
	ATF_REQUIRE(p != NULL);
	memset(p, 0x33, SMALL);
	free(p);
	q = mt_hide(malloc(SMALL));
	ATF_REQUIRE(q == p);
	memcpy(&w, mt_hide(q), sizeof(w));
	ATF_REQUIRE_EQ_MSG(w, 0, "first word of a fresh block: %#llx",
	    (unsigned long long)w);
	free(q);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, interleaved_small);
	ATF_TP_ADD_TC(tp, interleaved_medium);
	ATF_TP_ADD_TC(tp, interleaved_large);
	ATF_TP_ADD_TC(tp, interleaved_huge);
	ATF_TP_ADD_TC(tp, after_flush_small);
	ATF_TP_ADD_TC(tp, after_flush_medium);
	ATF_TP_ADD_TC(tp, remote_small);
	ATF_TP_ADD_TC(tp, remote_medium);
	ATF_TP_ADD_TC(tp, remote_large);
	ATF_TP_ADD_TC(tp, realloc_freed_small);
	ATF_TP_ADD_TC(tp, realloc_freed_medium);
	ATF_TP_ADD_TC(tp, realloc_freed_large);
	ATF_TP_ADD_TC(tp, never_allocated_small_cached);
	ATF_TP_ADD_TC(tp, never_allocated_small_slab);
	ATF_TP_ADD_TC(tp, never_allocated_small_unmarked_page);
	ATF_TP_ADD_TC(tp, never_allocated_medium);
	ATF_TP_ADD_TC(tp, sdallocx_double_free_small);
	ATF_TP_ADD_TC(tp, unwritten_blocks_ok);
	ATF_TP_ADD_TC(tp, reuse_clears_marker);
	return (atf_no_error());
}
