/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The frame shared by the multi-threaded stress tests that run their
 * workload in a child: the test case re-executes the program with
 * STRESS_ENV naming the mode and the case's MALLOC_CONF, so the options
 * are read at the first allocation as a user would set them, and the
 * child runs stress(mode) from a constructor, before ATF's main, and
 * exits with its result.  The parent watches it through mt_run_child
 * (malloc_test_util.h), with CHILD_TIMEOUT seconds.
 *
 * A test defines STRESS_ENV, STRESS_PROG (the program's name, argv[0] of
 * the child) and CHILD_TIMEOUT before it includes this header, and
 * defines `static int stress(const char *mode)'.  Its threads report a
 * wrong block with stress_fail() (the first message is kept, the rest
 * counted; stress_err_lock), poll stress_stopped(), true once
 * stress_run_for() has let the run's time pass, and stress_result() ends
 * the child's run.
 */

#ifndef STRESS_CHILD_H
#define	STRESS_CHILD_H

#include <stdatomic.h>
#include <stdbool.h>

#include "malloc_test_util.h"

static int	stress(const char *mode);

static pthread_mutex_t stress_err_lock = PTHREAD_MUTEX_INITIALIZER;
static char	stress_first_error[512];
static _Atomic unsigned stress_nerrors;
static _Atomic bool stress_stop;

static void __attribute__((__format__(__printf__, 1, 2)))
stress_fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&stress_err_lock);
	if (atomic_fetch_add(&stress_nerrors, 1) == 0) {
		va_start(ap, fmt);
		vsnprintf(stress_first_error, sizeof(stress_first_error), fmt,
		    ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&stress_err_lock);
}

static inline bool
stress_stopped(void)
{

	return (atomic_load_explicit(&stress_stop, memory_order_relaxed));
}

/* Let the threads run for secs seconds, then tell them to stop. */
static void
stress_run_for(double secs)
{
	struct timespec ts;

	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
	atomic_store(&stress_stop, true);
}

/* The child's exit status: 1 and the first error when any was seen. */
static int
stress_result(void)
{

	if (atomic_load(&stress_nerrors) != 0) {
		fprintf(stderr, "%u errors, the first: %s\n",
		    atomic_load(&stress_nerrors), stress_first_error);
		return (1);
	}
	return (0);
}

/* The re-executed child runs here, before main. */
__attribute__((constructor)) static void
stress_child_ctor(void)
{
	const char *mode = getenv(STRESS_ENV);

	if (mode != NULL)
		_exit(stress(mode));
}

struct stress_run {
	const char	*mode;
	const char	*conf;
};

static void
stress_reexec(void *arg)
{
	const struct stress_run *r = arg;
	char *const argv[] = { STRESS_PROG, NULL };

	setenv(STRESS_ENV, r->mode, 1);
	setenv("MALLOC_CONF", r->conf, 1);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "execv: %s\n", strerror(errno));
	_exit(126);
}

/* One test case: the child in mode with MALLOC_CONF=conf must pass. */
static void
stress_case(const char *mode, const char *conf)
{
	struct mt_child cr;
	struct stress_run r = { mode, conf };
	char what[160];

	snprintf(what, sizeof(what), "%s with MALLOC_CONF=%s", mode, conf);
	mt_run_child(&cr, CHILD_TIMEOUT, stress_reexec, &r);
	mt_require_child_ok(&cr, what);
	ATF_CHECK_MSG(strstr(cr.err, "MALLOC_CONF error") == NULL,
	    "options rejected: %s", cr.err);
}

/* A test case of the program: name, mode, MALLOC_CONF, description. */
#define	STRESS_TC(name, mode, conf, descr)				\
ATF_TC(name);								\
ATF_TC_HEAD(name, tc)							\
{									\
	atf_tc_set_md_var(tc, "descr", descr);				\
	atf_tc_set_md_var(tc, "timeout", "60");				\
}									\
ATF_TC_BODY(name, tc)							\
{									\
	stress_case(mode, conf);					\
}

#endif /* !STRESS_CHILD_H */
