/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * allocx_test: mallocx, rallocx, xallocx, sallocx, dallocx, sdallocx and
 * nallocx with every flag (MALLOCX_LG_ALIGN/ALIGN, ZERO, ARENA,
 * TCACHE_NONE), and jemalloc 3's allocm, rallocm, sallocm, dallocm and
 * nallocm with theirs.  Misuse that must abort (a wrong sdallocx size,
 * an explicit cache that does not exist) runs in a child process.
 */
#include <sys/wait.h>

#include "ctl_test_util.h"

/* jemalloc 3's header, which old callers of *allocm were built with. */
#define	OLD_ALLOCM_ARENA(a)	((int)(((a) + 1) << 8))

static void
fill(void *p, size_t n, unsigned char v)
{
	memset(p, v, n);
}

static bool
all_bytes(const void *p, size_t n, unsigned char v)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] != v)
			return (false);
	return (true);
}

static const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 112, 113, 1000,
    4096, 4097, 14336, 14337, 16384, 20000, 100000, 1835008, 1835009,
    2 << 20, (3 << 20) + 1, 9 << 20 };
#define	NSIZES	(sizeof(sizes) / sizeof(sizes[0]))

ATF_TC_WITHOUT_HEAD(mallocx_sizes_and_nallocx);
ATF_TC_BODY(mallocx_sizes_and_nallocx, tc)
{
	size_t i, us;
	int lg, flags;
	void *p;

	for (i = 0; i < NSIZES; i++) {
		for (lg = 0; lg <= 22; lg += 2) {
			flags = lg == 0 ? 0 : MALLOCX_LG_ALIGN(lg);
			us = nallocx(sizes[i], flags);
			ATF_REQUIRE_MSG(us >= sizes[i] && us != 0,
			    "nallocx(%zu, lg %d) = %zu", sizes[i], lg, us);
			p = mallocx(sizes[i], flags);
			ATF_REQUIRE(p != NULL);
			ATF_CHECK_MSG(((uintptr_t)p & (((size_t)1 << lg) - 1))
			    == 0, "mallocx(%zu, lg %d) = %p", sizes[i], lg, p);
			ATF_CHECK_EQ_MSG(sallocx(p, 0), us, "size %zu lg %d",
			    sizes[i], lg);
			ATF_CHECK_EQ(malloc_usable_size(p), us);
			fill(p, sizes[i], 0x77);
			dallocx(p, flags);
		}
	}
	ATF_CHECK_EQ(nallocx(0, 0), 16);
	ATF_CHECK_EQ(nallocx(100, 0), 112);
	ATF_CHECK_EQ(nallocx(100, MALLOCX_ALIGN(64)), 128);
	/* A small class if the page is at least the alignment. */
	ATF_CHECK_EQ(nallocx(1, MALLOCX_ALIGN(8192)),
	    ct_size("arenas.page") >= 8192 ? 8192 : 16384);
	ATF_CHECK_EQ(nallocx(SIZE_MAX, 0), 0);
	ATF_CHECK_EQ(nallocx(((size_t)1 << 62) + 1, 0), 0);
	ATF_CHECK_EQ(nallocx(1, MALLOCX_LG_ALIGN(63)), 0);
	ATF_CHECK(mallocx(SIZE_MAX, 0) == NULL);
	ATF_CHECK(mallocx((size_t)1 << 62, 0) == NULL);
}

ATF_TC_WITHOUT_HEAD(mallocx_zero);
ATF_TC_BODY(mallocx_zero, tc)
{
	size_t i, n;
	void *p;
	int k;

	for (i = 0; i < NSIZES; i++) {
		n = sizes[i] == 0 ? 1 : sizes[i];
		/* Dirty the memory first, so that zero is not luck. */
		for (k = 0; k < 3; k++) {
			p = mallocx(n, 0);
			ATF_REQUIRE(p != NULL);
			fill(p, n, 0xa5);
			dallocx(p, 0);
		}
		p = mallocx(n, MALLOCX_ZERO);
		ATF_REQUIRE(p != NULL);
		ATF_CHECK_MSG(all_bytes(p, sallocx(p, 0), 0),
		    "mallocx(%zu, MALLOCX_ZERO) is not zeroed", n);
		dallocx(p, 0);
		p = mallocx(n, MALLOCX_ZERO | MALLOCX_ALIGN(64) |
		    MALLOCX_TCACHE_NONE);
		ATF_REQUIRE(p != NULL);
		ATF_CHECK(all_bytes(p, n, 0));
		dallocx(p, MALLOCX_TCACHE_NONE);
	}
}

ATF_TC_WITHOUT_HEAD(mallocx_arena);
ATF_TC_BODY(mallocx_arena, tc)
{
	unsigned a, ind;
	size_t i, len = sizeof(ind);
	void *p;

	a = ct_new_arena();
	for (i = 0; i < NSIZES; i++) {
		p = mallocx(sizes[i], MALLOCX_ARENA(a));
		ATF_REQUIRE(p != NULL);
		ATF_CHECK_EQ(mallctl("arenas.lookup", &ind, &len, &p,
		    sizeof(p)), 0);
		ATF_CHECK_EQ_MSG(ind, a, "mallocx(%zu) from arena %u",
		    sizes[i], ind);
		dallocx(p, MALLOCX_ARENA(a));
	}
	/* An arena that does not exist: no allocation. */
	ATF_CHECK(mallocx(10, MALLOCX_ARENA(4000)) == NULL);
	ATF_CHECK(rallocx(mallocx(10, 0), 10, MALLOCX_ARENA(4000)) == NULL);
}

ATF_TC_WITHOUT_HEAD(rallocx_data_and_zero);
ATF_TC_BODY(rallocx_data_and_zero, tc)
{
	static const size_t starts[] = { 1, 3 << 10, 63 << 10, 4095 << 10 };
	size_t i, n, m, old;
	unsigned char *p, *q;

	/* Grow with MALLOCX_ZERO: exactly the new tail is zeroed. */
	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		n = starts[i];
		p = mallocx(n, 0);
		ATF_REQUIRE(p != NULL);
		old = sallocx(p, 0);
		fill(p, old, 0x3c);
		for (m = n * 2; m <= n * 16; m *= 2) {
			q = rallocx(p, m, MALLOCX_ZERO);
			ATF_REQUIRE(q != NULL);
			ATF_CHECK_MSG(all_bytes(q, old, 0x3c), "rallocx %zu to "
			    "%zu lost data", n, m);
			ATF_CHECK_MSG(all_bytes(q + old, sallocx(q, 0) - old,
			    0), "rallocx %zu to %zu: tail not zeroed", n, m);
			old = sallocx(q, 0);
			fill(q, old, 0x3c);
			p = q;
		}
		/* Shrink keeps the head. */
		q = rallocx(p, n, 0);
		ATF_REQUIRE(q != NULL);
		ATF_CHECK(all_bytes(q, n, 0x3c));
		ATF_CHECK_EQ(sallocx(q, 0), nallocx(n, 0));
		dallocx(q, 0);
	}
	/* Alignment is honoured on a move. */
	p = mallocx(100, 0);
	fill(p, 100, 0x11);
	q = rallocx(p, 200, MALLOCX_ALIGN(4096));
	ATF_REQUIRE(q != NULL);
	ATF_CHECK(((uintptr_t)q & 4095) == 0);
	ATF_CHECK(all_bytes(q, 100, 0x11));
	dallocx(q, 0);
	ATF_CHECK(rallocx(mallocx(16, 0), SIZE_MAX, 0) == NULL);
}

ATF_TC_WITHOUT_HEAD(xallocx_in_place);
ATF_TC_BODY(xallocx_in_place, tc)
{
	unsigned a;
	size_t us;
	void *p, *q, *blocker;
	int f;

	/* Small: no change of class in place; the same class is fine. */
	p = mallocx(100, 0);
	ATF_CHECK_EQ(xallocx(p, 100, 0, 0), 112);
	ATF_CHECK_EQ(xallocx(p, 110, 2, 0), 112);
	ATF_CHECK_EQ(xallocx(p, 200, 0, 0), 112);
	ATF_CHECK_EQ(xallocx(p, 50, 0, 0), 112);
	dallocx(p, 0);
	/* Large in a fresh arena: grow into free pages, extra honoured. */
	a = ct_new_arena();
	f = ct_arena_flags(a);
	p = mallocx(16384, f);
	ATF_REQUIRE(p != NULL);
	fill(p, 16384, 0x42);
	us = xallocx(p, 32768, 0, f);
	ATF_CHECK_EQ(us, 32768);
	us = xallocx(p, 40000, 8000, f);
	ATF_CHECK_EQ(us, 49152);
	ATF_CHECK_EQ(sallocx(p, 0), 49152);
	ATF_CHECK(all_bytes(p, 16384, 0x42));
	/* Shrink in place. */
	ATF_CHECK_EQ(xallocx(p, 20000, 0, f), 20480);
	ATF_CHECK_EQ(sallocx(p, 0), 20480);
	/* Blocked by a neighbour: the size stays. */
	blocker = mallocx(16384, f);
	ATF_REQUIRE(blocker != NULL);
	if ((char *)blocker == (char *)p + 20480) {
		ATF_CHECK_EQ(xallocx(p, 65536, 0, f), 20480);
	}
	/* Growing with zero: the new bytes are zero. */
	q = mallocx(16384, f);
	ATF_REQUIRE(q != NULL);
	fill(q, 16384, 0xff);
	dallocx(q, f);
	q = mallocx(16384, f);
	us = xallocx(q, 65536, 0, f | MALLOCX_ZERO);
	if (us == 65536)
		ATF_CHECK(all_bytes((char *)q + 16384, 65536 - 16384, 0));
	dallocx(q, f);
	dallocx(blocker, f);
	dallocx(p, f);
	/* Sizes past the largest class: unchanged. */
	p = mallocx(20000, 0);
	ATF_CHECK_EQ(xallocx(p, SIZE_MAX, 0, 0), 20480);
	ATF_CHECK_EQ(xallocx(p, 20000, SIZE_MAX, 0) >= 20480, true);
	dallocx(p, 0);
}

ATF_TC_WITHOUT_HEAD(sdallocx_sizes);
ATF_TC_BODY(sdallocx_sizes, tc)
{
	size_t i, s, us, step;
	int lg, flags;
	void *p;

	for (i = 0; i < NSIZES; i++) {
		for (lg = 0; lg <= 16; lg += 4) {
			flags = lg == 0 ? 0 : MALLOCX_LG_ALIGN(lg);
			us = nallocx(sizes[i], flags);
			step = (us - sizes[i]) / 7 + 1;
			/* Every size from the request to the usable size. */
			for (s = sizes[i]; s <= us; s += step) {
				p = mallocx(sizes[i], flags);
				ATF_REQUIRE(p != NULL);
				sdallocx(p, s, flags);
			}
			p = mallocx(sizes[i], flags);
			sdallocx(p, us, flags | MALLOCX_TCACHE_NONE);
		}
	}
}

/* In a child: sdallocx with a wrong size must abort with a message. */
static void
expect_abort(void (*fn)(void), const char *what, const char *msg)
{
	static struct ct_run r;
	int fds[2];
	pid_t pid;

	memset(&r, 0, sizeof(r));
	ATF_REQUIRE(pipe(fds) == 0);
	pid = fork();
	ATF_REQUIRE(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 0, 0 };

		(void)setrlimit(RLIMIT_CORE, &rl);
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		fn();
		_exit(0);
	}
	close(fds[1]);
	while (ct_drain(fds[0], r.err, &r.errlen))
		continue;
	r.err[r.errlen] = '\0';
	close(fds[0]);
	ATF_REQUIRE(waitpid(pid, &r.status, 0) == pid);
	ATF_CHECK_MSG(ct_aborted(&r), "%s did not abort (status 0x%x)", what,
	    r.status);
	ATF_CHECK_MSG(strstr(r.err, msg) != NULL, "%s: wanted \"%s\", got %s",
	    what, msg, r.err);
}

static void
sdallocx_too_big(void)
{
	sdallocx(mallocx(100, 0), 113, 0);
}

static void
sdallocx_too_small(void)
{
	sdallocx(mallocx(100, 0), 90, 0);
}

static void
sdallocx_wrong_align(void)
{
	/* 100 with alignment 64 is class 128; without, 112. */
	sdallocx(mallocx(100, MALLOCX_ALIGN(64)), 100, 0);
}

static void
sdallocx_large(void)
{
	sdallocx(mallocx(40000, 0), 30000, 0);
}

static void
tcache_missing(void)
{
	(void)mallocx(10, MALLOCX_TCACHE(77));
}

ATF_TC_WITHOUT_HEAD(misuse_aborts);
ATF_TC_BODY(misuse_aborts, tc)
{
	expect_abort(sdallocx_too_big, "sdallocx(113) of 100 bytes",
	    "<domalloc>: sdallocx(): size 113 does not match");
	expect_abort(sdallocx_too_small, "sdallocx(90) of 100 bytes",
	    "<domalloc>: sdallocx(): size 90 does not match");
	expect_abort(sdallocx_wrong_align, "sdallocx without the alignment",
	    "<domalloc>: sdallocx(): size 100 does not match");
	expect_abort(sdallocx_large, "sdallocx(30000) of 40000 bytes",
	    "<domalloc>: sdallocx(): size 30000 does not match");
	expect_abort(tcache_missing, "MALLOCX_TCACHE(77) with no such cache",
	    "<domalloc>: mallocx(): MALLOCX_TCACHE(77) names no thread cache");
}

ATF_TC_WITHOUT_HEAD(allocm_legacy);
ATF_TC_BODY(allocm_legacy, tc)
{
	size_t rsize, len = sizeof(unsigned);
	unsigned a, ind;
	void *p, *q;

	ATF_CHECK_EQ(allocm(&p, &rsize, 100, 0), ALLOCM_SUCCESS);
	ATF_CHECK_EQ(rsize, 112);
	ATF_CHECK_EQ(sallocm(p, &rsize, 0), ALLOCM_SUCCESS);
	ATF_CHECK_EQ(rsize, 112);
	/* In place: within the class only, for small. */
	q = p;
	ATF_CHECK_EQ(rallocm(&q, &rsize, 112, 0, ALLOCM_NO_MOVE),
	    ALLOCM_SUCCESS);
	ATF_CHECK(q == p);
	ATF_CHECK_EQ(rallocm(&q, &rsize, 500, 0, ALLOCM_NO_MOVE),
	    ALLOCM_ERR_NOT_MOVED);
	ATF_CHECK(q == p);
	ATF_CHECK_EQ(rsize, 112);
	memset(p, 0x6d, 112);
	ATF_CHECK_EQ(rallocm(&q, &rsize, 500, 100, ALLOCM_ZERO),
	    ALLOCM_SUCCESS);
	ATF_CHECK_EQ(rsize, 640);
	ATF_CHECK(all_bytes(q, 112, 0x6d));
	ATF_CHECK(all_bytes((char *)q + 112, 640 - 112, 0));
	ATF_CHECK_EQ(dallocm(q, 0), ALLOCM_SUCCESS);
	/* Alignment and zero. */
	ATF_CHECK_EQ(allocm(&p, NULL, 5000, ALLOCM_ALIGN(4096) | ALLOCM_ZERO),
	    ALLOCM_SUCCESS);
	ATF_CHECK(((uintptr_t)p & 4095) == 0);
	ATF_CHECK(all_bytes(p, 5000, 0));
	ATF_CHECK_EQ(dallocm(p, 0), ALLOCM_SUCCESS);
	/* jemalloc 3's arena bits (8 and up) choose the arena. */
	a = ct_new_arena();
	ATF_CHECK_EQ(allocm(&p, NULL, 300, OLD_ALLOCM_ARENA(a)),
	    ALLOCM_SUCCESS);
	ATF_CHECK_EQ(mallctl("arenas.lookup", &ind, &len, &p, sizeof(p)), 0);
	ATF_CHECK_EQ(ind, a);
	ATF_CHECK_EQ(dallocm(p, OLD_ALLOCM_ARENA(a)), ALLOCM_SUCCESS);
	ATF_CHECK_EQ(nallocm(&rsize, 100, 0), ALLOCM_SUCCESS);
	ATF_CHECK_EQ(rsize, 112);
	ATF_CHECK_EQ(nallocm(&rsize, SIZE_MAX, 0), ALLOCM_ERR_OOM);
	ATF_CHECK_EQ(allocm(&p, NULL, SIZE_MAX, 0), ALLOCM_ERR_OOM);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mallocx_sizes_and_nallocx);
	ATF_TP_ADD_TC(tp, mallocx_zero);
	ATF_TP_ADD_TC(tp, mallocx_arena);
	ATF_TP_ADD_TC(tp, rallocx_data_and_zero);
	ATF_TP_ADD_TC(tp, xallocx_in_place);
	ATF_TP_ADD_TC(tp, sdallocx_sizes);
	ATF_TP_ADD_TC(tp, misuse_aborts);
	ATF_TP_ADD_TC(tp, allocm_legacy);
	return (atf_no_error());
}
