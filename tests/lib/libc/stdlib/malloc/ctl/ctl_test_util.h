/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * ctl_test_util.h: helpers shared by the control plane tests in this
 * directory: typed mallctl reads and writes that fail the test case on an
 * error, a fresh explicit arena, the epoch, and a runner that executes the
 * helper program ctl_helper (or any program) with a given environment and
 * collects its exit status, standard output and standard error.  Only
 * the public interface (<malloc_np.h>) is used.  No shared state.
 */
#ifndef CTL_TEST_UTIL_H
#define	CTL_TEST_UTIL_H

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>
#include <malloc_np.h>

/* Hide a pointer from the optimiser (no elision of malloc/free pairs). */
static inline void *
ct_hide(void *p)
{
	__asm__ __volatile__("" : "+r" (p));
	return (p);
}

static inline uint64_t
ct_u64(const char *name)
{
	uint64_t v = 0;
	size_t len = sizeof(v);
	int err;

	err = mallctl(name, &v, &len, NULL, 0);
	ATF_REQUIRE_MSG(err == 0, "mallctl(\"%s\"): %s", name, strerror(err));
	ATF_REQUIRE_EQ(len, sizeof(v));
	return (v);
}

static inline size_t
ct_size(const char *name)
{
	size_t v = 0, len = sizeof(v);
	int err;

	err = mallctl(name, &v, &len, NULL, 0);
	ATF_REQUIRE_MSG(err == 0, "mallctl(\"%s\"): %s", name, strerror(err));
	return (v);
}

static inline unsigned
ct_unsigned(const char *name)
{
	unsigned v = 0;
	size_t len = sizeof(v);
	int err;

	err = mallctl(name, &v, &len, NULL, 0);
	ATF_REQUIRE_MSG(err == 0, "mallctl(\"%s\"): %s", name, strerror(err));
	return (v);
}

static inline bool
ct_bool(const char *name)
{
	size_t len = sizeof(bool);
	bool v = false;
	int err;

	err = mallctl(name, &v, &len, NULL, 0);
	ATF_REQUIRE_MSG(err == 0, "mallctl(\"%s\"): %s", name, strerror(err));
	return (v);
}

static inline ssize_t
ct_ssize(const char *name)
{
	size_t len = sizeof(ssize_t);
	ssize_t v = 0;
	int err;

	err = mallctl(name, &v, &len, NULL, 0);
	ATF_REQUIRE_MSG(err == 0, "mallctl(\"%s\"): %s", name, strerror(err));
	return (v);
}

static inline const char *
ct_str(const char *name)
{
	const char *v = NULL;
	size_t len = sizeof(v);
	int err;

	err = mallctl(name, &v, &len, NULL, 0);
	ATF_REQUIRE_MSG(err == 0, "mallctl(\"%s\"): %s", name, strerror(err));
	ATF_REQUIRE(v != NULL);
	return (v);
}

/* mallctl with a printf-style name. */
static inline int __attribute__((format(printf, 1, 6)))
ct_ctlf(const char *fmt, void *oldp, size_t *oldlenp, void *newp,
    size_t newlen, ...)
{
	char name[256];
	va_list ap;

	va_start(ap, newlen);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	return (mallctl(name, oldp, oldlenp, newp, newlen));
}

/* A stats.arenas.<a>.<rest> value of size_t or uint64_t (same size). */
static inline uint64_t
ct_astat(unsigned a, const char *rest)
{
	char name[256];
	uint64_t v = 0;
	size_t len = sizeof(v);
	int err;

	snprintf(name, sizeof(name), "stats.arenas.%u.%s", a, rest);
	err = mallctl(name, &v, &len, NULL, 0);
	if (err == EINVAL && len == sizeof(unsigned)) {
		/* nthreads is an unsigned. */
		unsigned u = 0;

		len = sizeof(u);
		err = mallctl(name, &u, &len, NULL, 0);
		v = u;
	}
	ATF_REQUIRE_MSG(err == 0, "mallctl(\"%s\"): %s", name, strerror(err));
	return (v);
}

static inline uint64_t
ct_epoch(void)
{
	uint64_t e = 1;
	size_t len = sizeof(e);

	ATF_REQUIRE_EQ(mallctl("epoch", &e, &len, &e, sizeof(e)), 0);
	return (e);
}

static inline unsigned
ct_new_arena(void)
{
	unsigned a = 0;
	size_t len = sizeof(a);

	ATF_REQUIRE_EQ(mallctl("arenas.create", &a, &len, NULL, 0), 0);
	return (a);
}

/* The flags of an uncached allocation from arena a. */
static inline int
ct_arena_flags(unsigned a)
{
	return (MALLOCX_ARENA(a) | MALLOCX_TCACHE_NONE);
}

/* The class index of a small size (arenas.bin.<i>.size). */
static inline unsigned
ct_bin_index(size_t size)
{
	unsigned i, n = ct_unsigned("arenas.nbins");
	size_t s, len;
	char name[64];

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "arenas.bin.%u.size", i);
		len = sizeof(s);
		ATF_REQUIRE_EQ(mallctl(name, &s, &len, NULL, 0), 0);
		if (s >= size)
			return (i);
	}
	atf_tc_fail("no bin holds %zu bytes", size);
	return (0);
}

/* The path of a program built in this directory. */
static inline void
ct_prog(const atf_tc_t *tc, const char *name, char *buf, size_t len)
{
	const char *objdir;

	ATF_REQUIRE_MSG(atf_tc_has_config_var(tc, "objdir"),
	    "configuration variable objdir is not set");
	objdir = atf_tc_get_config_var(tc, "objdir");
	snprintf(buf, len, "%s/tests/lib/libc/stdlib/malloc/ctl/%s", objdir,
	    name);
	ATF_REQUIRE_MSG(access(buf, X_OK) == 0, "%s was not built", buf);
}

#define	CT_OUTMAX	(1024 * 1024)

struct ct_run {
	int	status;
	size_t	outlen;
	size_t	errlen;
	char	out[CT_OUTMAX];	/* standard output, NUL-terminated */
	char	err[CT_OUTMAX];	/* standard error, NUL-terminated */
};

/*
 * Read what is ready on fd into buf (keeping at most CT_OUTMAX - 1
 * bytes); false at end of file.
 */
static inline bool
ct_drain(int fd, char *buf, size_t *n)
{
	char sink[4096];
	ssize_t r;

	if (*n < CT_OUTMAX - 1)
		r = read(fd, buf + *n, CT_OUTMAX - 1 - *n);
	else
		r = read(fd, sink, sizeof(sink));
	if (r < 0 && errno == EINTR)
		return (true);
	if (r <= 0)
		return (false);
	if (*n < CT_OUTMAX - 1)
		*n += (size_t)r;
	return (true);
}

/* Read both pipes until both are at end of file, then close them. */
static inline void
ct_collect(struct ct_run *r, int outfd, int errfd)
{
	struct pollfd pfd[2];
	bool open0 = true, open1 = true;

	while (open0 || open1) {
		pfd[0].fd = open0 ? outfd : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = open1 ? errfd : -1;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) < 0) {
			ATF_REQUIRE(errno == EINTR);
			continue;
		}
		if (open0 && pfd[0].revents != 0)
			open0 = ct_drain(outfd, r->out, &r->outlen);
		if (open1 && pfd[1].revents != 0)
			open1 = ct_drain(errfd, r->err, &r->errlen);
	}
	r->out[r->outlen] = '\0';
	r->err[r->errlen] = '\0';
	close(outfd);
	close(errfd);
}

/*
 * Run argv with the environment variable MALLOC_CONF set to conf (unset
 * if conf is NULL), standard output and error captured.  Core dumps are
 * off (some runs abort on purpose) and a 30 s alarm stops a hang.
 */
static inline void
ct_run(struct ct_run *r, const char *conf, char *const argv[])
{
	struct rlimit rl;
	int out[2], err[2];
	pid_t pid;

	memset(r, 0, sizeof(*r));
	ATF_REQUIRE(pipe(out) == 0 && pipe(err) == 0);
	pid = fork();
	ATF_REQUIRE(pid >= 0);
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		rl.rlim_cur = rl.rlim_max = 0;
		(void)setrlimit(RLIMIT_CORE, &rl);
		if (conf != NULL)
			setenv("MALLOC_CONF", conf, 1);
		else
			unsetenv("MALLOC_CONF");
		alarm(30);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	ct_collect(r, out[0], err[0]);
	while (waitpid(pid, &r->status, 0) < 0)
		ATF_REQUIRE(errno == EINTR);
}

static inline bool
ct_exited_ok(const struct ct_run *r)
{
	return (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0);
}

static inline bool
ct_aborted(const struct ct_run *r)
{
	return (WIFSIGNALED(r->status) && WTERMSIG(r->status) == SIGABRT);
}

#endif /* !CTL_TEST_UTIL_H */
