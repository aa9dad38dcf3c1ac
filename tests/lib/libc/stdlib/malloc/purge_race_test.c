/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box tests that purges racing allocation and free in one arena
 * never hand out a page twice nor zero a live block.  Each test case runs
 * the helper purge_stress (see its header) for a few seconds in a child
 * process, with the options that make one race likely in MALLOC_CONF:
 * two threads freeing and allocating large blocks with immediate or
 * short decay in one arena, explicit purges and decays from other
 * threads, run-time decay time writes, a background thread, retain:false
 * (purges unmap), arena reset and destroy, fork, and small blocks freed
 * by other threads (remote frees flushed to the owning arenas; with two
 * and four arenas, fills that take from sibling arenas, bin.h).  Every
 * block's contents are checked before it is freed; the child reports
 * "CORRUPT" and exits 1 on the first wrong byte.
 *
 * The program is also built as purge_race_test_debug (ATF_TESTS_C_DEBUG),
 * which runs purge_stress_debug: the same helper linked with the
 * DOMALLOC_DEBUG build, whose page allocator checks its invariants (pa.h,
 * "Purges in flight") after every purge, reset and fork.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <limits.h>
#include <poll.h>

#include "malloc_test_util.h"

#define	STRESS_SECS	"2.5"
#define	STRESS_TIMEOUT	60	/* seconds, debug build included */
#define	ERRMAX		4096

/* The helper's path: purge_stress, or purge_stress_debug for the twin. */
static void
helper_path(const atf_tc_t *tc, char *buf, size_t len)
{
	char self[PATH_MAX];
	const char *objdir, *base;
	ssize_t n;
	bool debug;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ATF_REQUIRE(n > 0);
	self[n] = '\0';
	base = strrchr(self, '/');
	base = base == NULL ? self : base + 1;
	debug = strstr(base, "_debug") != NULL;
	ATF_REQUIRE_MSG(atf_tc_has_config_var(tc, "objdir"),
	    "configuration variable objdir is not set");
	objdir = atf_tc_get_config_var(tc, "objdir");
	snprintf(buf, len, "%s/tests/lib/libc/stdlib/malloc/purge_stress%s",
	    objdir, debug ? "_debug" : "");
	ATF_REQUIRE_MSG(access(buf, X_OK) == 0, "%s was not built", buf);
}

/*
 * Run the helper in mode with MALLOC_CONF=conf; fail the test case with
 * the helper's standard error unless it exits 0 in time.
 */
static void
stress(const atf_tc_t *tc, const char *mode, const char *conf)
{
	char path[PATH_MAX], err[ERRMAX], conf_env[256];
	char *argv[4], *envp[2];
	struct pollfd pfd;
	size_t errlen = 0;
	double deadline;
	ssize_t r;
	pid_t pid;
	int fds[2], status;

	helper_path(tc, path, sizeof(path));
	snprintf(conf_env, sizeof(conf_env), "MALLOC_CONF=%s", conf);
	argv[0] = path;
	argv[1] = (char *)mode;
	argv[2] = (char *)STRESS_SECS;
	argv[3] = NULL;
	envp[0] = conf_env;
	envp[1] = NULL;
	ATF_REQUIRE(pipe(fds) == 0);
	pid = fork();
	ATF_REQUIRE(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execve(path, argv, envp);
		_exit(127);
	}
	close(fds[1]);
	deadline = mt_now() + STRESS_TIMEOUT;
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	for (;;) {
		if (mt_now() > deadline) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		r = read(fds[0], err + errlen, sizeof(err) - 1 - errlen);
		if (r <= 0)
			break;
		errlen += (size_t)r;
		if (errlen == sizeof(err) - 1)
			break;
	}
	err[errlen] = '\0';
	close(fds[0]);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "purge_stress %s with MALLOC_CONF=%s: status 0x%x: %s", mode, conf,
	    status, err);
}

/* A test case: stress() in mode with MALLOC_CONF=conf. */
#define	PURGE_TC(name, mode, conf)					\
ATF_TC_WITHOUT_HEAD(name);						\
ATF_TC_BODY(name, tc)							\
{									\
	stress(tc, mode, conf);						\
}

/* Every free purges at once; two threads share the arena. */
PURGE_TC(decay0_one_arena, "workers", "dirty_decay_ms:0,narenas:1")

/* Decay purges from the slow path, dirty to muzzy to clean. */
PURGE_TC(decay_short_one_arena, "workers",
    "dirty_decay_ms:5,muzzy_decay_ms:5,narenas:1")

/* Default options; two threads purge every arena in a loop. */
PURGE_TC(explicit_purge, "purge", "")

/* Two threads call arena.<all>.decay while two others work. */
PURGE_TC(concurrent_decay, "decay", "dirty_decay_ms:1,narenas:1")

/* Run-time writes of 0, 1 and 10 to the arenas' decay times. */
PURGE_TC(decay_ms_writes, "decayms", "")

/* The background thread purges while the workers decay too. */
PURGE_TC(background_thread, "workers",
    "background_thread:true,dirty_decay_ms:1,muzzy_decay_ms:1,narenas:1")

/* Purges unmap clean spans while others allocate and free. */
PURGE_TC(retain_false, "purge", "retain:false,dirty_decay_ms:0,narenas:1")

/*
 * Small blocks freed by other threads, all in one arena that
 * returns pages at once, with explicit purges of every arena.
 */
PURGE_TC(remote_decay0_one_arena, "remote",
    "dirty_decay_ms:0,muzzy_decay_ms:0,narenas:1")

/* The same with a background thread purging on short decay. */
PURGE_TC(remote_background, "remote",
    "background_thread:true,dirty_decay_ms:1,muzzy_decay_ms:1,narenas:1")

/* Default options: more threads than arenas (one per CPU). */
PURGE_TC(remote_default, "remote", "")

/*
 * Remote frees with fewer arenas than threads: the fills of one arena
 * take regions of its siblings' slabs and make slabs in them (bin.h), so
 * blocks move between the arenas' bins while they purge.
 */
PURGE_TC(remote_decay0_two_arenas, "remote",
    "dirty_decay_ms:0,muzzy_decay_ms:0,narenas:2")

PURGE_TC(remote_decay0_four_arenas, "remote",
    "dirty_decay_ms:0,muzzy_decay_ms:0,narenas:4")

PURGE_TC(remote_background_two_arenas, "remote",
    "background_thread:true,dirty_decay_ms:1,muzzy_decay_ms:1,narenas:2")

/* Dirty pages stay (but for the purges): slabs made in siblings. */
PURGE_TC(remote_dirty_two_arenas, "remote", "dirty_decay_ms:10000,narenas:2")

/*
 * Slabs made of siblings' dirty pages (bin.h) while decay purges them:
 * three siblings to lend, short decay.
 */
PURGE_TC(remote_dirty_four_arenas, "remote",
    "dirty_decay_ms:100,muzzy_decay_ms:0,narenas:4")

/* Purges of explicit arenas that are reset and destroyed meanwhile. */
PURGE_TC(reset_destroy, "reset", "")

/* A fork while purges are in flight; the child destroys the arena. */
PURGE_TC(fork_during_purge, "fork", "")

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, decay0_one_arena);
	ATF_TP_ADD_TC(tp, decay_short_one_arena);
	ATF_TP_ADD_TC(tp, explicit_purge);
	ATF_TP_ADD_TC(tp, concurrent_decay);
	ATF_TP_ADD_TC(tp, decay_ms_writes);
	ATF_TP_ADD_TC(tp, background_thread);
	ATF_TP_ADD_TC(tp, retain_false);
	ATF_TP_ADD_TC(tp, remote_decay0_one_arena);
	ATF_TP_ADD_TC(tp, remote_background);
	ATF_TP_ADD_TC(tp, remote_default);
	ATF_TP_ADD_TC(tp, remote_decay0_two_arenas);
	ATF_TP_ADD_TC(tp, remote_decay0_four_arenas);
	ATF_TP_ADD_TC(tp, remote_background_two_arenas);
	ATF_TP_ADD_TC(tp, remote_dirty_two_arenas);
	ATF_TP_ADD_TC(tp, remote_dirty_four_arenas);
	ATF_TP_ADD_TC(tp, reset_destroy);
	ATF_TP_ADD_TC(tp, fork_during_purge);
	return (atf_no_error());
}
