/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Correct programs under the hardened library (libdomalloc_hardened.a,
 * harden.h) keep working, and get what the hardened library promises:
 * the usable size is the size requested (malloc_usable_size, sallocx,
 * nallocx agree, and sized frees take exactly it); every block is handed
 * out zeroed, also after a block of the same size was used and freed with
 * data; a freed block is never the next one handed out; and every entry
 * point (realloc, calloc, the aligned family, the *allocx functions,
 * sized frees) keeps its contract.  A stress test runs four threads that
 * allocate small and large blocks, fill each with a pattern, check it
 * before every free and free blocks other threads made.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <pthread.h>

#include "../malloc_test_util.h"

static const size_t sizes[] = { 0, 1, 8, 24, 100, 3000, 14327, 14328,
	14329, 100000, 100 * 1024, 4 * MT_MIB };
#define	NSIZES	(sizeof(sizes) / sizeof(sizes[0]))

static void
require_zero(const void *p, size_t n, const char *what)
{
	size_t off = mt_check_byte(p, n, 0);

	ATF_REQUIRE_MSG(off == SIZE_MAX, "%s: %zu-byte block %p not zero at "
	    "offset %zu", what, n, p, off);
}

ATF_TC_WITHOUT_HEAD(usable_is_request);
ATF_TC_BODY(usable_is_request, tc)
{
	size_t i, n, want;
	void *p;

	for (i = 0; i < NSIZES; i++) {
		n = sizes[i];
		want = n == 0 ? 1 : n;
		p = malloc(mt_size(n));
		ATF_REQUIRE(p != NULL);
		ATF_CHECK_EQ_MSG(mt_usable(p), want, "malloc_usable_size, "
		    "%zu bytes", n);
		ATF_CHECK_EQ_MSG(sallocx(p, 0), want, "sallocx, %zu", n);
		ATF_CHECK_EQ_MSG(nallocx(n, 0), want, "nallocx, %zu", n);
		memset(p, 0x5c, want);
		free_sized(p, want);
	}
}

ATF_TC_WITHOUT_HEAD(fresh_blocks_are_zero);
ATF_TC_BODY(fresh_blocks_are_zero, tc)
{
	size_t i, n, r;
	unsigned char *p;

	for (i = 0; i < NSIZES; i++) {
		n = sizes[i] == 0 ? 1 : sizes[i];
		for (r = 0; r < (n > 65536 ? 20 : 500); r++) {
			p = malloc(mt_size(n));
			ATF_REQUIRE(p != NULL);
			require_zero(p, n, "malloc after a free with data");
			memset(p, 0xee, n);
			free(p);
			p = calloc(1, mt_size(n));
			ATF_REQUIRE(p != NULL);
			require_zero(p, n, "calloc");
			memset(p, 0xdd, n);
			free(p);
		}
	}
}

ATF_TC_WITHOUT_HEAD(no_immediate_reuse);
ATF_TC_BODY(no_immediate_reuse, tc)
{
	static const size_t rs[] = { 16, 24, 3000, 100 * 1024 };
	size_t i, r;
	void *p, *q;

	for (i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
		for (r = 0; r < 2000; r++) {
			p = malloc(mt_size(rs[i]));
			ATF_REQUIRE(p != NULL);
			free(p);
			q = malloc(mt_size(rs[i]));
			ATF_REQUIRE(q != NULL);
			ATF_REQUIRE_MSG(q != p, "%zu bytes, round %zu: the "
			    "block freed last was handed out at once", rs[i],
			    r);
			free(q);
		}
	}
}

ATF_TC_WITHOUT_HEAD(realloc_paths);
ATF_TC_BODY(realloc_paths, tc)
{
	static const size_t steps[] = { 10, 24, 3000, 20000, 100001,
	    5 * MT_MIB, 100001, 3000, 40, 1 };
	unsigned char *p, *q;
	size_t i, old = 1, keep;

	p = malloc(1);
	ATF_REQUIRE(p != NULL);
	mt_fill(p, 1, 7);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		q = realloc(p, mt_size(steps[i]));
		ATF_REQUIRE(q != NULL);
		keep = old < steps[i] ? old : steps[i];
		ATF_REQUIRE_MSG(mt_check(q, keep, 7) == SIZE_MAX,
		    "realloc to %zu lost the contents", steps[i]);
		if (steps[i] > old)
			require_zero(q + old, steps[i] - old, "realloc tail");
		ATF_CHECK_EQ(mt_usable(q), steps[i]);
		mt_fill(q, steps[i], 7);
		p = q;
		old = steps[i];
	}
	/* Within its class a small block grows and shrinks in place. */
	p = malloc(30);
	ATF_REQUIRE(p != NULL);
	mt_fill(p, 30, 9);
	q = realloc(p, 40);
	ATF_REQUIRE_EQ(q, p);
	ATF_CHECK(mt_check(q, 30, 9) == SIZE_MAX);
	require_zero(q + 30, 10, "in-place realloc tail");
	ATF_CHECK_EQ(mt_usable(q), 40);
	mt_fill(q, 40, 9);
	q = realloc(p, 33);
	ATF_REQUIRE_EQ(q, p);
	ATF_CHECK_EQ(mt_usable(q), 33);
	ATF_CHECK(mt_check(q, 33, 9) == SIZE_MAX);
	p = reallocarray(p, 10, 10);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ(mt_usable(p), 100);
	free(p);
	p = realloc(NULL, 50);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ(mt_usable(p), 50);
	free(p);
}

/*
 * A guarded block grown by exact reallocs moves once a page at most, not
 * at every step (harden_large_resize), keeps its contents and reads zero
 * where it grew; shrinking stays in place.
 */
ATF_TC_WITHOUT_HEAD(realloc_grows_in_place);
ATF_TC_BODY(realloc_grows_in_place, tc)
{
	unsigned char *p, *q;
	size_t n, old, moves = 0;

	old = 20000;
	p = malloc(old);
	ATF_REQUIRE(p != NULL);
	mt_fill(p, old, 3);
	for (n = old + 50; n <= 400000; n += 50) {
		q = realloc(p, n);
		ATF_REQUIRE(q != NULL);
		if (q != p)
			moves++;
		require_zero(q + old, n - old, "grown tail");
		ATF_REQUIRE_MSG(mt_check(q, old, 3) == SIZE_MAX,
		    "realloc to %zu lost the contents", n);
		mt_fill(q, n, 3);
		ATF_CHECK_EQ(mt_usable(q), n);
		p = q;
		old = n;
	}
	ATF_CHECK_MSG(moves <= 400000 / 4096 + 2, "%zu moves", moves);
	q = realloc(p, 30000);
	ATF_CHECK_EQ(q, p);
	ATF_CHECK_EQ(mt_usable(q), 30000);
	ATF_CHECK(mt_check(q, 30000, 3) == SIZE_MAX);
	free(q);
}

ATF_TC_WITHOUT_HEAD(aligned_paths);
ATF_TC_BODY(aligned_paths, tc)
{
	static const size_t aligns[] = { 8, 16, 64, 4096, 65536,
	    2 * MT_MIB };
	static const size_t ns[] = { 1, 24, 3000, 100000 };
	size_t a, i;
	void *p;

	for (a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
		for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
			ATF_REQUIRE(posix_memalign(&p, aligns[a], ns[i]) ==
			    0);
			ATF_CHECK_MSG(mt_aligned(p, aligns[a]), "%p, align "
			    "%zu", p, aligns[a]);
			ATF_CHECK_EQ(mt_usable(p), ns[i]);
			require_zero(p, ns[i], "posix_memalign");
			memset(p, 1, ns[i]);
			free_aligned_sized(p, aligns[a], ns[i]);
			p = aligned_alloc(aligns[a], ns[i]);
			ATF_REQUIRE(p != NULL && mt_aligned(p, aligns[a]));
			memset(p, 2, ns[i]);
			free(p);
			p = memalign(aligns[a], ns[i]);
			ATF_REQUIRE(p != NULL && mt_aligned(p, aligns[a]));
			free(p);
		}
	}
	p = valloc(100);
	ATF_REQUIRE(p != NULL && mt_aligned(p, mt_page_size()));
	free(p);
	p = pvalloc(100);
	ATF_REQUIRE(p != NULL && mt_aligned(p, mt_page_size()));
	ATF_CHECK_EQ(mt_usable(p), mt_page_size());
	free(p);
	ATF_CHECK_EQ(posix_memalign(&p, 24, 10), EINVAL);
	errno = 0;
	ATF_CHECK(malloc(mt_size(SIZE_MAX / 2)) == NULL && errno == ENOMEM);
}

ATF_TC_WITHOUT_HEAD(allocx_paths);
ATF_TC_BODY(allocx_paths, tc)
{
	static const size_t ns[] = { 1, 24, 3000, 100000, 4 * MT_MIB };
	unsigned char *p, *q;
	size_t i;

	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		p = mallocx(ns[i], MALLOCX_ALIGN(64) | MALLOCX_ZERO);
		ATF_REQUIRE(p != NULL && mt_aligned(p, 64));
		require_zero(p, ns[i], "mallocx");
		ATF_CHECK_EQ(sallocx(p, 0), ns[i]);
		mt_fill(p, ns[i], 3);
		ATF_CHECK_EQ(xallocx(p, ns[i] * 2, 0, 0), ns[i]);
		q = rallocx(p, ns[i] * 2, MALLOCX_ZERO);
		ATF_REQUIRE(q != NULL);
		ATF_CHECK(mt_check(q, ns[i], 3) == SIZE_MAX);
		require_zero(q + ns[i], ns[i], "rallocx tail");
		sdallocx(q, ns[i] * 2, 0);
		p = mallocx(ns[i], MALLOCX_TCACHE_NONE);
		ATF_REQUIRE(p != NULL);
		dallocx(p, MALLOCX_TCACHE_NONE);
	}
}

static size_t
stat_size(const char *name)
{
	uint64_t epoch = 1;
	size_t v, len = sizeof(v);

	ATF_REQUIRE(mallctl("epoch", NULL, NULL, &epoch, sizeof(epoch)) == 0);
	ATF_REQUIRE_MSG(mallctl(name, &v, &len, NULL, 0) == 0, "%s", name);
	return (v);
}

/*
 * Guarded blocks live in no arena; the statistics add them, and the
 * control plane says which library answers.
 */
ATF_TC_WITHOUT_HEAD(stats_count_guarded_blocks);
ATF_TC_BODY(stats_count_guarded_blocks, tc)
{
	size_t al0, ac0, m0, len = sizeof(bool);
	uint64_t t0, t1;
	bool hardened = false;
	void *p;

	ATF_REQUIRE(mallctl("config.hardened", &hardened, &len, NULL, 0) ==
	    0);
	ATF_REQUIRE(hardened);
	al0 = stat_size("stats.allocated");
	ac0 = stat_size("stats.active");
	m0 = stat_size("stats.mapped");
	len = sizeof(t0);
	ATF_REQUIRE(mallctl("thread.allocated", &t0, &len, NULL, 0) == 0);
	p = malloc(mt_size(4 * MT_MIB));
	ATF_REQUIRE(p != NULL);
	ATF_CHECK(stat_size("stats.allocated") >= al0 + 4 * MT_MIB);
	ATF_CHECK(stat_size("stats.active") >= ac0 + 4 * MT_MIB);
	ATF_CHECK(stat_size("stats.mapped") >= m0 + 4 * MT_MIB);
	ATF_CHECK(stat_size("stats.allocated") <= stat_size("stats.active"));
	ATF_CHECK(stat_size("stats.resident") <= stat_size("stats.mapped"));
	ATF_REQUIRE(mallctl("thread.allocated", &t1, &len, NULL, 0) == 0);
	ATF_CHECK(t1 - t0 >= 4 * MT_MIB);
	free(p);
	ATF_CHECK(stat_size("stats.allocated") < al0 + 4 * MT_MIB);
}

/*
 * prof:true is refused with a warning: the test program runs itself
 * again with it in MALLOC_CONF, and the copy checks opt.prof.
 */
static void
exec_self_prof(void *arg)
{
	char path[4096], *slash;
	ssize_t n;

	(void)arg;
	/* ATF looks for the program in its source directory, -s. */
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0)
		mt_child_fail("readlink /proc/self/exe failed");
	path[n] = '\0';
	setenv("MALLOC_CONF", "prof:true", 1);
	setenv("DM_HARDEN_PROF_CHILD", "1", 1);
	slash = strrchr(path, '/');
	*slash = '\0';
	execl("/proc/self/exe", slash + 1, "-s", path, "prof_refused",
	    (char *)NULL);
	mt_child_fail("execl: %s", strerror(errno));
}

ATF_TC_WITHOUT_HEAD(prof_refused);
ATF_TC_BODY(prof_refused, tc)
{
	struct mt_child cr;
	size_t len = sizeof(bool);
	bool prof = true;

	if (getenv("DM_HARDEN_PROF_CHILD") != NULL) {
		ATF_REQUIRE(mallctl("opt.prof", &prof, &len, NULL, 0) == 0);
		ATF_REQUIRE(!prof);
		free(malloc(100));
		return;
	}
	mt_run_child(&cr, 60, exec_self_prof, NULL);
	mt_require_child_ok(&cr, "the hardened library with prof:true");
	ATF_CHECK_MSG(strstr(cr.err, "prof:true is not supported by the "
	    "hardened library") != NULL, "no warning in: %s", cr.err);
}

/* Four threads; blocks change hands through a shared exchange. */
#define	NTHREADS	4
#define	NSLOTS		256
#define	NEXCH		64
#define	NOPS		30000

struct blk {
	unsigned char	*p;
	size_t		 n;
	uint64_t	 seed;
};

static struct blk exch[NEXCH];
static pthread_mutex_t exch_lock = PTHREAD_MUTEX_INITIALIZER;

static void
blk_free(struct blk *b)
{
	size_t off;

	if (b->p == NULL)
		return;
	off = mt_check(b->p, b->n, b->seed);
	if (off != SIZE_MAX) {
		fprintf(stderr, "block %p (%zu bytes) corrupted at %zu\n",
		    (void *)b->p, b->n, off);
		abort();
	}
	if (malloc_usable_size(b->p) != b->n)
		abort();
	free(b->p);
	b->p = NULL;
}

static void *
stress_thread(void *arg)
{
	struct blk mine[NSLOTS], t;
	uint64_t rng = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1, r;
	size_t i, k;

	memset(mine, 0, sizeof(mine));
	for (i = 0; i < NOPS; i++) {
		r = mt_rand(&rng);
		k = r % NSLOTS;
		blk_free(&mine[k]);
		t.n = (r >> 20) % 64 == 0 ? 16384 + (r >> 32) % 200000 :
		    1 + (r >> 32) % 4000;
		t.p = malloc(t.n);
		if (t.p == NULL || mt_check_byte(t.p, t.n, 0) != SIZE_MAX)
			abort();
		t.seed = r;
		mt_fill(t.p, t.n, t.seed);
		if ((r >> 8) % 4 == 0) {
			/* Swap with the exchange: another thread frees it. */
			pthread_mutex_lock(&exch_lock);
			mine[k] = exch[(r >> 12) % NEXCH];
			exch[(r >> 12) % NEXCH] = t;
			pthread_mutex_unlock(&exch_lock);
		} else
			mine[k] = t;
	}
	for (k = 0; k < NSLOTS; k++)
		blk_free(&mine[k]);
	return (NULL);
}

ATF_TC_WITHOUT_HEAD(thread_stress);
ATF_TC_BODY(thread_stress, tc)
{
	pthread_t th[NTHREADS];
	size_t i;

	for (i = 0; i < NTHREADS; i++)
		ATF_REQUIRE(pthread_create(&th[i], NULL, stress_thread,
		    (void *)(i + 1)) == 0);
	for (i = 0; i < NTHREADS; i++)
		ATF_REQUIRE(pthread_join(th[i], NULL) == 0);
	for (i = 0; i < NEXCH; i++)
		blk_free(&exch[i]);
}

static void
fork_child(void *arg)
{
	void *p;
	size_t i;

	(void)arg;
	for (i = 0; i < 1000; i++) {
		p = malloc(i * 37 % 20000 + 1);
		if (p == NULL)
			_exit(2);
		free(p);
	}
}

ATF_TC_WITHOUT_HEAD(fork_while_threads_run);
ATF_TC_BODY(fork_while_threads_run, tc)
{
	pthread_t th[2];
	struct mt_child cr;
	size_t i;

	for (i = 0; i < 2; i++)
		ATF_REQUIRE(pthread_create(&th[i], NULL, stress_thread,
		    (void *)(i + 11)) == 0);
	for (i = 0; i < 20; i++) {
		mt_run_child(&cr, 30, fork_child, NULL);
		mt_require_child_ok(&cr, "malloc in a fork child");
	}
	for (i = 0; i < 2; i++)
		ATF_REQUIRE(pthread_join(th[i], NULL) == 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, usable_is_request);
	ATF_TP_ADD_TC(tp, fresh_blocks_are_zero);
	ATF_TP_ADD_TC(tp, no_immediate_reuse);
	ATF_TP_ADD_TC(tp, realloc_paths);
	ATF_TP_ADD_TC(tp, realloc_grows_in_place);
	ATF_TP_ADD_TC(tp, aligned_paths);
	ATF_TP_ADD_TC(tp, allocx_paths);
	ATF_TP_ADD_TC(tp, stats_count_guarded_blocks);
	ATF_TP_ADD_TC(tp, prof_refused);
	ATF_TP_ADD_TC(tp, thread_stress);
	ATF_TP_ADD_TC(tp, fork_while_threads_run);
	return (atf_no_error());
}
