/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * thread_exit_test: what a thread leaves behind when it exits, and fork
 * in a process whose threads allocate, seen through mallctl statistics.
 * Written for the musl build (`make test-musl', where the allocator is
 * musl's own malloc and thread exit reaches it only through musl's
 * pthread key destructors) and run on glibc too.
 *
 * - thread_exit_releases: threads that fill their thread caches and exit
 *   leave no thread counted in any arena (stats.arenas.<all>.nthreads
 *   returns to the main thread's 1) and no bytes allocated beyond what
 *   the main thread had (stats.allocated), so their caches went back.
 * - fork_threaded: a parent with four allocating threads forks 40 times;
 *   each child allocates every kind of block, starts and joins a thread,
 *   checks that the thread's exit was accounted, and exits; a child that
 *   hangs is killed by alarm() and reported.  Afterwards the parent's
 *   threads exit and the same accounting as above must hold.
 * Shared state: the hammer threads' stop flag (atomic).
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>
#include <malloc_np.h>

#define	NTHREADS	8
#define	NOBJ		2000
#define	NHAMMER		4
#define	NFORK		40
#define	ALL_ARENAS	4096	/* MALLCTL_ARENAS_ALL */

static atomic_bool stop;

/* Refresh the statistics and read one size_t or unsigned figure. */
static size_t
stat_size(const char *name)
{
	uint64_t epoch = 1;
	size_t v, len = sizeof(v);

	ATF_REQUIRE(mallctl("epoch", NULL, NULL, &epoch, sizeof(epoch)) == 0);
	ATF_REQUIRE_MSG(mallctl(name, &v, &len, NULL, 0) == 0, "%s", name);
	return (v);
}

static unsigned
nthreads(void)
{
	uint64_t epoch = 1;
	unsigned v;
	size_t len = sizeof(v);
	char name[64];

	snprintf(name, sizeof(name), "stats.arenas.%u.nthreads", ALL_ARENAS);
	ATF_REQUIRE(mallctl("epoch", NULL, NULL, &epoch, sizeof(epoch)) == 0);
	ATF_REQUIRE_MSG(mallctl(name, &v, &len, NULL, 0) == 0, "%s", name);
	return (v);
}

/* Allocate NOBJ blocks of mixed small sizes and free them all. */
static void *
fill_cache(void *arg)
{
	void *p[NOBJ];
	size_t i;

	(void)arg;
	for (i = 0; i < NOBJ; i++) {
		p[i] = malloc(16 + (i % 64) * 16);
		if (p[i] == NULL)
			return ((void *)1);
		memset(p[i], 0x5a, 16);
	}
	for (i = 0; i < NOBJ; i++)
		free(p[i]);
	return (NULL);
}

/* Start n threads running fill_cache, one after the other, and join. */
static void
run_threads(int n)
{
	pthread_t t;
	void *ret;
	int i;

	for (i = 0; i < n; i++) {
		ATF_REQUIRE(pthread_create(&t, NULL, fill_cache, NULL) == 0);
		ATF_REQUIRE(pthread_join(t, &ret) == 0);
		ATF_REQUIRE_MSG(ret == NULL, "a thread's malloc failed");
	}
}

static void
check_released(size_t base_allocated)
{
	size_t allocated;
	unsigned n;

	n = nthreads();
	ATF_CHECK_MSG(n == 1, "%u threads counted after the others exited", n);
	allocated = stat_size("stats.allocated");
	/* The statistics' own snapshot may take a little. */
	ATF_CHECK_MSG(allocated <= base_allocated + 64 * 1024,
	    "stats.allocated %zu, %zu before the threads",
	    allocated, base_allocated);
}

ATF_TC_WITHOUT_HEAD(thread_exit_releases);
ATF_TC_BODY(thread_exit_releases, tc)
{
	size_t base;

	free(malloc(1));
	base = stat_size("stats.allocated");
	ATF_REQUIRE_EQ(nthreads(), 1);
	run_threads(NTHREADS);
	check_released(base);
}

static void *
hammer(void *arg)
{
	void *p[64];
	size_t i, k = 0;

	(void)arg;
	memset(p, 0, sizeof(p));
	while (!atomic_load(&stop)) {
		i = k++ % 64;
		free(p[i]);
		p[i] = malloc((k * 37) % (i < 60 ? 4096 : 300000));
	}
	for (i = 0; i < 64; i++)
		free(p[i]);
	return (NULL);
}

/* The child: every kind of block, a thread of its own; exit status. */
static int
child(void)
{
	static const size_t sizes[] = { 1, 24, 1000, 4096, 40000, 300000,
	    3 << 20 };
	unsigned before;
	size_t i;
	void *p;

	alarm(10);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p = malloc(sizes[i]);
		if (p == NULL)
			return (2);
		memset(p, 1, sizes[i]);
		p = realloc(p, sizes[i] * 2);
		if (p == NULL)
			return (3);
		free(p);
	}
	before = nthreads();
	run_threads(1);
	if (nthreads() != before)
		return (4);
	return (0);
}

ATF_TC_WITHOUT_HEAD(fork_threaded);
ATF_TC_BODY(fork_threaded, tc)
{
	pthread_t t[NHAMMER];
	size_t base;
	pid_t pid;
	int i, st;

	free(malloc(1));
	base = stat_size("stats.allocated");
	for (i = 0; i < NHAMMER; i++)
		ATF_REQUIRE(pthread_create(&t[i], NULL, hammer, NULL) == 0);
	for (i = 0; i < NFORK; i++) {
		pid = fork();
		ATF_REQUIRE(pid >= 0);
		if (pid == 0)
			_exit(child());
		ATF_REQUIRE(waitpid(pid, &st, 0) == pid);
		if (WIFSIGNALED(st))
			atf_tc_fail("fork %d: the child died of signal %d%s",
			    i, WTERMSIG(st), WTERMSIG(st) == SIGALRM ?
			    " (hung)" : "");
		ATF_REQUIRE_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "fork %d: the child's check %d failed", i,
		    WEXITSTATUS(st));
	}
	atomic_store(&stop, true);
	for (i = 0; i < NHAMMER; i++)
		ATF_REQUIRE(pthread_join(t[i], NULL) == 0);
	check_released(base);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, thread_exit_releases);
	ATF_TP_ADD_TC(tp, fork_threaded);
	return (atf_no_error());
}
