/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box tests of fork(2) in a program whose threads are busy in the
 * allocator: the child must be able to allocate and free every kind of
 * block (and free blocks inherited from the parent, and start threads of
 * its own) without deadlock, and the parent's allocator must keep
 * working after each fork.  A deadlocked child is killed by alarm() and
 * reported.  Shared state: the hammer threads' stop flag (atomic) and
 * the failure record (its own mutex, never touched in a child).
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <pthread.h>
#include <stdatomic.h>

#include "malloc_test_util.h"

#define	NHAMMER		4
#define	CHILD_TIMEOUT	10	/* seconds before a child counts as hung */

static pthread_mutex_t fail_mtx = PTHREAD_MUTEX_INITIALIZER;
static int fail_count;
static char fail_msg[512];

static void __attribute__((__format__(__printf__, 1, 2)))
record_failure(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&fail_mtx);
	if (fail_count++ == 0) {
		va_start(ap, fmt);
		vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&fail_mtx);
}

static atomic_bool stop;

/* Busy malloc/free with checked patterns, until stop is set. */
static void *
hammer(void *varg)
{
	unsigned char *slot[256];
	size_t sz[256];
	uint64_t rs, seed, r;
	size_t i, bad;

	memset(slot, 0, sizeof(slot));
	rs = (uintptr_t)varg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		i = mt_rand(&rs) % 256;
		seed = i + (uintptr_t)varg;
		if (slot[i] != NULL) {
			bad = mt_check(slot[i], sz[i], seed);
			if (bad != SIZE_MAX)
				record_failure("hammer: %zu-byte object "
				    "corrupted at %zu", sz[i], bad);
			free(slot[i]);
			slot[i] = NULL;
			continue;
		}
		r = mt_rand(&rs) % 1000;
		if (r == 0)
			sz[i] = 2 * MT_MIB + mt_rand(&rs) % MT_MIB;
		else if (r < 20)
			sz[i] = 16384 + mt_rand(&rs) % 100000;
		else
			sz[i] = 1 + mt_rand(&rs) % 2048;
		slot[i] = malloc(sz[i]);
		if (slot[i] == NULL) {
			record_failure("hammer: malloc(%zu) failed", sz[i]);
			break;
		}
		mt_fill(slot[i], sz[i], seed);
	}
	for (i = 0; i < 256; i++)
		free(slot[i]);
	return (NULL);
}

static pthread_t hammers[NHAMMER];

static void
start_hammers(void)
{
	bool off = false;
	int i;

	/*
	 * qemu-user 7.2 aborts when a forked child of a threaded process
	 * starts a thread (see fork_child_threads); the allocator starts its
	 * background threads on its own once an arena holds enough dirty
	 * pages, which with one arena per CPU the children's frees reach.
	 * Under the AArch64 wrappers they stay off, so that the children
	 * test the allocator and not that emulator limit.
	 */
	if (getenv("DM_QEMU_USER") != NULL)
		ATF_REQUIRE_EQ(mallctl("background_thread", NULL, NULL, &off,
		    sizeof(off)), 0);
	atomic_store(&stop, false);
	for (i = 0; i < NHAMMER; i++)
		ATF_REQUIRE(pthread_create(&hammers[i], NULL, hammer,
		    (void *)(uintptr_t)(1000 + i)) == 0);
	usleep(20000);
}

static void
stop_hammers(void)
{
	int i;

	atomic_store(&stop, true);
	for (i = 0; i < NHAMMER; i++)
		ATF_REQUIRE(pthread_join(hammers[i], NULL) == 0);
	ATF_REQUIRE_MSG(fail_count == 0, "%d failure(s) in the parent; "
	    "first: %s", fail_count, fail_msg);
}

/* The parent still has a working allocator after the forks. */
static void
parent_still_works(void)
{
	static const size_t sz[] = { 1, 100, 5000, 100000, 3 * MT_MIB };
	void *p;
	size_t i;

	for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
		p = malloc(sz[i]);
		ATF_REQUIRE_MSG(p != NULL, "parent: malloc(%zu) failed after "
		    "fork", sz[i]);
		mt_fill(p, sz[i], i);
		ATF_REQUIRE(mt_check(p, sz[i], i) == SIZE_MAX);
		free(p);
	}
}

/*
 * How much of a child's block to fill: the whole of small ones, a prefix
 * of big ones (the child competes for the CPU with the hammer threads).
 */
static size_t
child_fill_len(size_t n)
{

	return (n < 256 * MT_KIB ? n : 256 * MT_KIB);
}

/* Child: allocate, check and free a variety of blocks. */
static void
child_variety(void *arg)
{
	static const size_t sz[] = { 0, 1, 16, 100, 1000, 4096, 14336,
	    16384, 65536, 100000, MT_MIB, MT_LARGE_MAX, 2 * MT_MIB,
	    3 * MT_MIB + 1, 8 * MT_MIB, 40 * MT_MIB };
	void *p[sizeof(sz) / sizeof(sz[0])], *q;
	size_t i, bad;
	int round;

	(void)arg;
	for (round = 0; round < 2; round++) {
		for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
			p[i] = malloc(sz[i]);
			if (p[i] == NULL)
				mt_child_fail("child: malloc(%zu) failed",
				    sz[i]);
			mt_fill(p[i], child_fill_len(sz[i]), i);
			if (sz[i] > child_fill_len(sz[i]))
				((volatile char *)p[i])[sz[i] - 1] = 1;
		}
		for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
			bad = mt_check(p[i], child_fill_len(sz[i]), i);
			if (bad != SIZE_MAX)
				mt_child_fail("child: %zu-byte block changed "
				    "at %zu", sz[i], bad);
			free(p[i]);
		}
	}
	q = calloc(1000, 100);
	if (q == NULL || mt_check_byte(q, 100000, 0) != SIZE_MAX)
		mt_child_fail("child: calloc failed or not zeroed");
	q = realloc(q, 5 * MT_MIB);
	if (q == NULL)
		mt_child_fail("child: realloc to 5 MiB failed");
	free(q);
	if (posix_memalign(&q, MT_HUGE_ALIGN, 100) != 0 ||
	    !mt_aligned(q, MT_HUGE_ALIGN))
		mt_child_fail("child: posix_memalign(2 MiB) failed");
	free(q);
}

ATF_TC_WITHOUT_HEAD(fork_while_threads_allocate);
ATF_TC_BODY(fork_while_threads_allocate, tc)
{
	struct mt_child cr;
	char what[64];
	int i;

	start_hammers();
	for (i = 0; i < 30; i++) {
		mt_run_child(&cr, CHILD_TIMEOUT, child_variety, NULL);
		snprintf(what, sizeof(what), "fork #%d", i);
		if (WIFSIGNALED(cr.status) && WTERMSIG(cr.status) == SIGALRM)
			atf_tc_fail("%s: child deadlocked in the allocator "
			    "(killed by alarm after %d s); stderr: %s", what,
			    CHILD_TIMEOUT, cr.err);
		mt_require_child_ok(&cr, what);
		usleep(5000);
	}
	stop_hammers();
	parent_still_works();
}

/* Child: start threads that allocate, join them. */
static void *
child_thread(void *varg)
{
	uint64_t rs;
	void *p;
	size_t n;
	int i;

	rs = (uintptr_t)varg;
	for (i = 0; i < 10000; i++) {
		n = 1 + mt_rand(&rs) % (i % 100 == 0 ? 200000 : 2000);
		p = malloc(n);
		if (p == NULL)
			mt_child_fail("child thread: malloc(%zu) failed", n);
		mt_fill(p, n, n);
		if (mt_check(p, n, n) != SIZE_MAX)
			mt_child_fail("child thread: block changed");
		free(p);
	}
	return (NULL);
}

static void
child_threads(void *arg)
{
	pthread_t t[4];
	int i;

	(void)arg;
	for (i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, child_thread,
		    (void *)(uintptr_t)(i + 1)) != 0)
			mt_child_fail("child: pthread_create failed");
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
}

ATF_TC_WITHOUT_HEAD(fork_child_threads);
ATF_TC_BODY(fork_child_threads, tc)
{
	struct mt_child cr;
	char what[64];
	int i;

	/* Set by the AArch64 wrappers (sys/aarch64/Makefile.inc). */
	if (getenv("DM_QEMU_USER") != NULL)
		atf_tc_skip("qemu-user 7.2 aborts when a forked child of a "
		    "threaded process starts a thread (its assertion in "
		    "plugins/core.c), before domalloc runs there");
	start_hammers();
	for (i = 0; i < 20; i++) {
		mt_run_child(&cr, CHILD_TIMEOUT, child_threads, NULL);
		snprintf(what, sizeof(what), "fork #%d (threads in child)", i);
		if (WIFSIGNALED(cr.status) && WTERMSIG(cr.status) == SIGALRM)
			atf_tc_fail("%s: child deadlocked (killed by alarm "
			    "after %d s); stderr: %s", what, CHILD_TIMEOUT,
			    cr.err);
		mt_require_child_ok(&cr, what);
	}
	stop_hammers();
	parent_still_works();
}

/* Blocks the parent allocated before forking; the child frees them. */
#define	NINHERIT	600

static struct {
	unsigned char	*p;
	size_t		 n;
} inherit[NINHERIT];

static void
child_frees_inherited(void *arg)
{
	size_t i, bad;
	void *q;

	(void)arg;
	for (i = 0; i < NINHERIT; i++) {
		bad = mt_check(inherit[i].p, inherit[i].n, i);
		if (bad != SIZE_MAX)
			mt_child_fail("child: inherited block %zu changed at "
			    "%zu", i, bad);
		if (i % 3 == 0) {
			q = realloc(inherit[i].p, inherit[i].n * 2 + 1);
			if (q == NULL)
				mt_child_fail("child: realloc failed");
			free(q);
		} else
			free(inherit[i].p);
	}
	child_variety(NULL);
}

ATF_TC_WITHOUT_HEAD(fork_child_frees_parent_blocks);
ATF_TC_BODY(fork_child_frees_parent_blocks, tc)
{
	struct mt_child cr;
	char what[64];
	size_t i;
	int f;

	for (i = 0; i < NINHERIT; i++) {
		inherit[i].n = i % 100 == 0 ? 2 * MT_MIB + i :
		    i % 10 == 0 ? 20000 + i * 13 : 1 + i * 7 % 3000;
		inherit[i].p = malloc(inherit[i].n);
		ATF_REQUIRE(inherit[i].p != NULL);
		mt_fill(inherit[i].p, inherit[i].n, i);
	}
	start_hammers();
	for (f = 0; f < 10; f++) {
		mt_run_child(&cr, CHILD_TIMEOUT, child_frees_inherited, NULL);
		snprintf(what, sizeof(what), "fork #%d (inherited blocks)", f);
		mt_require_child_ok(&cr, what);
	}
	stop_hammers();
	/* The children's frees must not have touched the parent's copy. */
	for (i = 0; i < NINHERIT; i++) {
		ATF_CHECK_MSG(mt_check(inherit[i].p, inherit[i].n, i) ==
		    SIZE_MAX, "parent block %zu changed", i);
		free(inherit[i].p);
	}
	parent_still_works();
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, fork_while_threads_allocate);
	ATF_TP_ADD_TC(tp, fork_child_threads);
	ATF_TP_ADD_TC(tp, fork_child_frees_parent_blocks);
	return (atf_no_error());
}
