/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The profiler's first backtrace when it comes late.  Whether libgcc can
 * find the library's unwind tables is asked at the first backtrace, not
 * at start-up (prof_bt.c), so that a process that never samples never
 * faults in the unwinder.  These cases make that first backtrace happen
 * in the unusual places: in several threads at once, none of them the
 * main one, and in a child forked before any sample was taken.  Each
 * sample's first frame must lie in the function that called the
 * allocator, as in prof_test's backtraces case; a failed or skipped
 * look-up would leave a pseudo frame there instead.
 *
 * The program starts with sampling off (prof_active:false), so no
 * backtrace is taken before the case turns it on with prof.active; every
 * allocation is sampled from then on (lg_prof_sample:0).  Each ATF case
 * runs in a process of its own.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <pthread.h>
#include <sys/stat.h>

#include "../malloc_test_util.h"

const char *malloc_conf = "prof:true,prof_active:false,lg_prof_sample:0";

#define	NSITES		4
#define	CHILD_TIMEOUT	60

static void *volatile lazy_sink[NSITES];

#define	LAZY_SITE(name, i)						\
static void __attribute__((noinline))					\
name(size_t n)								\
{									\
	lazy_sink[i] = malloc(n);					\
	__asm__ volatile("" ::: "memory");				\
}

LAZY_SITE(lazy_site0, 0)
LAZY_SITE(lazy_site1, 1)
LAZY_SITE(lazy_site2, 2)
LAZY_SITE(lazy_site3, 3)

static void (*const lazy_sites[NSITES])(size_t) = {
	lazy_site0, lazy_site1, lazy_site2, lazy_site3
};

/* A large size class of its own for each site, so its stack is known. */
static void
site_sizes(size_t usize[NSITES])
{
	size_t n;
	unsigned i;

	for (n = 100000, i = 0; i < NSITES; i++, n = usize[i - 1] + 1)
		usize[i] = nallocx(n, 0);
}

static void
set_active(bool on)
{
	ATF_REQUIRE_EQ(mallctl("prof.active", NULL, NULL, &on, sizeof(on)),
	    0);
}

/* The whole of a file, NUL-terminated (caller frees); NULL on error. */
static char *
read_all(const char *path)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0)
		return (NULL);
	if (fstat(fd, &st) != 0 || (buf = malloc((size_t)st.st_size + 1)) ==
	    NULL) {
		close(fd);
		return (NULL);
	}
	while (len < (size_t)st.st_size &&
	    (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
	return (buf);
}

/*
 * Dump to path and check the sites in [0, nsites): one stack of one
 * object of the site's size, whose first frame is in the site.  Returns
 * NULL when all is well, else what is wrong (a static string or msg).
 */
static const char *
check_dump(const char *path, const size_t usize[NSITES], unsigned nsites,
    char *msg, size_t msglen)
{
	unsigned long long c, b, f0;
	uintptr_t start;
	unsigned i, found[NSITES] = { 0 };
	char *text, *l, *nl;

	if (mallctl("prof.dump", NULL, NULL, &path, sizeof(path)) != 0)
		return ("prof.dump failed");
	if ((text = read_all(path)) == NULL)
		return ("cannot read the dump");
	for (l = strstr(text, "\n@ "); l != NULL; l = strstr(l + 1, "\n@ ")) {
		if (sscanf(l + 3, "%llx", &f0) != 1 ||
		    (nl = strchr(l + 1, '\n')) == NULL ||
		    sscanf(nl + 1, "  t*: %llu: %llu", &c, &b) != 2 || c != 1)
			continue;
		for (i = 0; i < nsites; i++) {
			if (b != usize[i])
				continue;
			found[i]++;
			start = (uintptr_t)lazy_sites[i];
			/* A return address: after the call, in the function. */
			if (f0 <= start || f0 >= start + 256) {
				snprintf(msg, msglen, "site %u: first frame "
				    "0x%llx, not in its caller at %p", i, f0,
				    (void *)start);
				free(text);
				return (msg);
			}
		}
	}
	free(text);
	for (i = 0; i < nsites; i++)
		if (found[i] != 1) {
			snprintf(msg, msglen, "site %u: %u stacks of its size",
			    i, found[i]);
			return (msg);
		}
	return (NULL);
}

static pthread_barrier_t lazy_barrier;
static size_t lazy_usize[NSITES];

static void *
lazy_thread(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg;

	pthread_barrier_wait(&lazy_barrier);
	lazy_sites[i](lazy_usize[i]);
	return (NULL);
}

ATF_TC_WITHOUT_HEAD(first_in_threads);
ATF_TC_BODY(first_in_threads, tc)
{
	pthread_t t[NSITES];
	const char *err;
	char msg[256];
	unsigned i;

	site_sizes(lazy_usize);
	ATF_REQUIRE(pthread_barrier_init(&lazy_barrier, NULL, NSITES + 1) ==
	    0);
	for (i = 0; i < NSITES; i++)
		ATF_REQUIRE(pthread_create(&t[i], NULL, lazy_thread,
		    (void *)(uintptr_t)i) == 0);
	/* The threads exist before sampling starts. */
	set_active(true);
	pthread_barrier_wait(&lazy_barrier);
	for (i = 0; i < NSITES; i++)
		ATF_REQUIRE(pthread_join(t[i], NULL) == 0);
	set_active(false);
	err = check_dump("threads.heap", lazy_usize, NSITES, msg,
	    sizeof(msg));
	ATF_CHECK_MSG(err == NULL, "%s", err);
	for (i = 0; i < NSITES; i++)
		free(lazy_sink[i]);
	pthread_barrier_destroy(&lazy_barrier);
}

static void
fork_child(void *arg)
{
	const char *err;
	char msg[256];
	bool on = true;

	(void)arg;
	if (mallctl("prof.active", NULL, NULL, &on, sizeof(on)) != 0)
		mt_child_fail("prof.active in the child failed");
	lazy_sites[0](lazy_usize[0]);
	on = false;
	(void)mallctl("prof.active", NULL, NULL, &on, sizeof(on));
	if ((err = check_dump("child.heap", lazy_usize, 1, msg,
	    sizeof(msg))) != NULL)
		mt_child_fail("%s", err);
	free(lazy_sink[0]);
}

ATF_TC_WITHOUT_HEAD(first_after_fork);
ATF_TC_BODY(first_after_fork, tc)
{
	struct mt_child cr;
	void *p;

	site_sizes(lazy_usize);
	p = malloc(lazy_usize[1]);	/* allocated, not sampled */
	ATF_REQUIRE(p != NULL);
	mt_run_child(&cr, CHILD_TIMEOUT, fork_child, NULL);
	mt_require_child_ok(&cr, "first backtrace in a fork child");
	free(p);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, first_in_threads);
	ATF_TP_ADD_TC(tp, first_after_fork);
	return (atf_no_error());
}
