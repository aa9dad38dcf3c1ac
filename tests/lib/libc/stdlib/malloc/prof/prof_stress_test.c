/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Stress test of heap profiling under prof:true,lg_prof_sample:10 (about
 * one allocation in eight of the sizes below is sampled, so sampled and
 * unsampled objects mix everywhere): eight threads allocate and free
 * random sizes from 16 bytes to 64 KiB, with some of 1 MiB, through
 * malloc, calloc, realloc, mallocx and posix_memalign, each block filled
 * with a pattern of its own that is checked before it is freed or grown;
 * one thread dumps (heap_v2 and pprof) in a loop to files in the working
 * directory and checks each file's header; one forks again and again (the
 * child allocates, frees, dumps once and exits 0; the parent checks its
 * status); one turns prof.active off and on and calls prof.reset.  The
 * workers exit with blocks still live, which the main thread frees
 * after them (samples of dead threads, some from before a reset).
 *
 * Each case runs the workload in a child with an alarm, so that a
 * deadlock (in a fork child too) fails the case rather than hanging it;
 * the second case re-executes the program with MALLOC_CONF adding
 * immediate decay and a background thread (the environment is read after
 * malloc_conf), and the child runs the workload from a constructor.
 * The program is also built as prof_stress_test_debug (the debug build's
 * assertions, lock order and invariant checkers).
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <pthread.h>
#include <stdatomic.h>

#include "../malloc_test_util.h"

const char *malloc_conf = "prof:true,lg_prof_sample:10";

#define	NWORKERS	8
#define	NSLOTS		128
#define	RUN_SECS	2.0		/* seconds of each worker */
#define	CHILD_TIMEOUT	50		/* seconds, below the case timeout */
#define	FORK_TIMEOUT	20
#define	STRESS_ENV	"PROF_STRESS_CHILD"

static atomic_uint	nerrors;
static atomic_bool	stop;
/* What was done, reported on standard output. */
static atomic_ulong	nallocs, ndumps, nforks, nresets;
static char		first_error[512];

static void
fail(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&nerrors, 1) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(first_error, sizeof(first_error), fmt, ap);
	va_end(ap);
}

static uint64_t
rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return (x * 0x2545f4914f6cdd1dULL);
}

/* 16 B .. 64 KiB, log-uniform, and one in 200 of 1 MiB. */
static size_t
rnd_size(uint64_t *s)
{
	uint64_t r = rnd(s);
	unsigned lg;

	if (r % 200 == 0)
		return ((size_t)1 << 20);
	lg = 4 + (unsigned)((r >> 8) % 13);		/* 2^4 .. 2^16 */
	return (16 + (size_t)((r >> 16) & (((size_t)1 << lg) - 1)));
}

struct block {
	void		*p;
	size_t		 n;
	uint64_t	 seed;
	int		 flags;		/* alignment, for sdallocx */
};

struct worker {
	unsigned	 id;
	uint64_t	 rng;
	struct block	 b[NSLOTS];
};

static bool
check_block(const struct block *b, const char *when)
{
	if (b->p == NULL)
		return (true);
	if (!mt_check(b->p, b->n, b->seed)) {
		fail("block %p of %zu bytes corrupt %s", b->p, b->n, when);
		return (false);
	}
	return (true);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct block *b;
	double end = mt_now() + RUN_SECS;
	uint64_t k = 0, r;
	char name[32];
	const char *np = name;
	size_t n;
	void *q;

	snprintf(name, sizeof(name), "worker-%u", w->id);
	if (mallctl("thread.prof.name", NULL, NULL, &np, sizeof(np)) != 0)
		fail("thread.prof.name %s", name);
	while (mt_now() < end && atomic_load(&nerrors) == 0) {
		b = &w->b[rnd(&w->rng) % NSLOTS];
		r = rnd(&w->rng);
		n = rnd_size(&w->rng);
		if (b->p != NULL && r % 5 == 0) {
			/* Grow or shrink: the common prefix stays. */
			if (!check_block(b, "before realloc"))
				break;
			q = (r & 32) ? rallocx(b->p, n, 0) : realloc(b->p, n);
			if (q == NULL) {
				fail("realloc to %zu failed", n);
				break;
			}
			if (!mt_check(q, b->n < n ? b->n : n, b->seed)) {
				fail("realloc %zu -> %zu lost contents", b->n,
				    n);
				break;
			}
			b->p = q;
			b->n = n;
			b->flags = 0;
			mt_fill(b->p, b->n, b->seed);
			continue;
		}
		if (b->p != NULL) {
			if (!check_block(b, "before free"))
				break;
			if (r & 64)
				sdallocx(b->p, b->n, b->flags);
			else
				free(b->p);
			b->p = NULL;
		}
		b->flags = 0;
		switch ((r >> 8) % 4) {
		case 0:
			b->p = calloc(1, n);
			if (b->p != NULL && !mt_check_byte(b->p, n, 0)) {
				fail("calloc(%zu) not zero", n);
				return (NULL);
			}
			break;
		case 1:
			b->flags = MALLOCX_ALIGN(64 << (r >> 12) % 8);
			b->p = mallocx(n, b->flags);
			if (b->p != NULL &&
			    !mt_aligned(b->p, 64 << (r >> 12) % 8)) {
				fail("mallocx alignment");
				return (NULL);
			}
			break;
		case 2:
			b->flags = MALLOCX_ALIGN(4096);
			if (posix_memalign(&b->p, 4096, n) != 0)
				b->p = NULL;
			break;
		default:
			b->p = malloc(n);
			break;
		}
		if (b->p == NULL) {
			fail("allocation of %zu failed", n);
			break;
		}
		b->n = n;
		b->seed = ((uint64_t)w->id << 48) ^ k++;
		atomic_fetch_add_explicit(&nallocs, 1, memory_order_relaxed);
		mt_fill(b->p, b->n, b->seed);
	}
	/* Half the blocks go now; the rest outlive the thread. */
	for (n = 0; n < NSLOTS; n += 2) {
		b = &w->b[n];
		if (b->p != NULL && check_block(b, "at thread end")) {
			free(b->p);
			b->p = NULL;
		}
	}
	return (NULL);
}

/* A dump's file must start with its format's header. */
static void
check_dump(const char *path, bool pprof)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fail("dump %s missing: %s", path, strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		fail("dump %s empty", path);
		return;
	}
	buf[n] = '\0';
	if (!pprof && strncmp(buf, "heap_v2/", 8) != 0)
		fail("dump %s: bad header %.16s", path, buf);
	if (pprof && strncmp(buf, "heap_v2/", 8) == 0)
		fail("pprof dump %s is heap_v2 text", path);
}

static void *
dumper_main(void *arg)
{
	char path[64];
	const char *p = path;
	unsigned k;
	bool pprof;
	int err;

	(void)arg;
	for (k = 0; !atomic_load(&stop); k++) {
		pprof = k % 4 == 3;
		snprintf(path, sizeof(path), "stress.%u.%s", k % 4,
		    pprof ? "pb" : "heap");
		err = mallctl(pprof ? "prof.dump_pprof" : "prof.dump", NULL,
		    NULL, &p, sizeof(p));
		if (err != 0) {
			fail("prof.dump %s: %d", path, err);
			break;
		}
		check_dump(path, pprof);
		atomic_fetch_add(&ndumps, 1);
		usleep(2000);
	}
	return (NULL);
}

static int
fork_child_work(unsigned k)
{
	char path[64];
	const char *p = path;
	void *v[64];
	unsigned i;

	alarm(FORK_TIMEOUT);
	for (i = 0; i < 64; i++) {
		v[i] = malloc(16 + (size_t)i * 997);
		if (v[i] == NULL)
			return (2);
		memset(v[i], (int)i, 16 + (size_t)i * 997);
	}
	for (i = 0; i < 64; i++)
		free(v[i]);
	snprintf(path, sizeof(path), "child.%u.heap", k % 8);
	if (mallctl("prof.dump", NULL, NULL, &p, sizeof(p)) != 0)
		return (3);
	return (0);
}

static void *
forker_main(void *arg)
{
	unsigned k;
	pid_t pid;
	int status;

	(void)arg;
	for (k = 0; !atomic_load(&stop); k++) {
		pid = fork();
		if (pid < 0) {
			fail("fork: %s", strerror(errno));
			break;
		}
		if (pid == 0)
			_exit(fork_child_work(k));
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR) {
				fail("waitpid: %s", strerror(errno));
				return (NULL);
			}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fail("fork child %u: %s %d", k, WIFEXITED(status) ?
			    "exit status" : "killed by signal",
			    WIFEXITED(status) ? WEXITSTATUS(status) :
			    WTERMSIG(status));
			break;
		}
		atomic_fetch_add(&nforks, 1);
		usleep(5000);
	}
	return (NULL);
}

static void *
toggler_main(void *arg)
{
	size_t lg;
	unsigned k;
	bool on;

	(void)arg;
	for (k = 0; !atomic_load(&stop); k++) {
		on = k % 2 == 1;
		if (mallctl("prof.active", NULL, NULL, &on, sizeof(on)) != 0)
			fail("prof.active");
		if (k % 8 == 7) {
			lg = k % 16 == 7 ? 9 : 10;
			if (mallctl("prof.reset", NULL, NULL, &lg,
			    sizeof(lg)) != 0)
				fail("prof.reset");
			atomic_fetch_add(&nresets, 1);
		}
		usleep(1000);
	}
	on = true;
	(void)mallctl("prof.active", NULL, NULL, &on, sizeof(on));
	return (NULL);
}

/* The workload; 0 if all went well (else the first error on stderr). */
static int
stress(void)
{
	static struct worker w[NWORKERS];
	pthread_t tw[NWORKERS], td, tf, tt;
	unsigned i, j;
	bool on;
	size_t len = sizeof(on);

	if (mallctl("opt.prof", &on, &len, NULL, 0) != 0 || !on) {
		fprintf(stderr, "prof is not on\n");
		return (1);
	}
	for (i = 0; i < NWORKERS; i++) {
		w[i].id = i;
		w[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1);
		if (pthread_create(&tw[i], NULL, worker_main, &w[i]) != 0)
			return (1);
	}
	if (pthread_create(&td, NULL, dumper_main, NULL) != 0 ||
	    pthread_create(&tf, NULL, forker_main, NULL) != 0 ||
	    pthread_create(&tt, NULL, toggler_main, NULL) != 0)
		return (1);
	for (i = 0; i < NWORKERS; i++)
		pthread_join(tw[i], NULL);
	atomic_store(&stop, true);
	pthread_join(td, NULL);
	pthread_join(tf, NULL);
	pthread_join(tt, NULL);
	/* What the dead workers left. */
	for (i = 0; i < NWORKERS; i++)
		for (j = 0; j < NSLOTS; j++)
			if (w[i].b[j].p != NULL &&
			    check_block(&w[i].b[j], "after thread exit"))
				free(w[i].b[j].p);
	check_dump("stress.0.heap", false);
	if (mallctl("prof.dump", NULL, NULL, NULL, 0) != 0)
		fail("final prof.dump");
	printf("%lu allocations, %lu dumps, %lu forks, %lu resets\n",
	    atomic_load(&nallocs), atomic_load(&ndumps), atomic_load(&nforks),
	    atomic_load(&nresets));
	fflush(stdout);
	if (atomic_load(&nerrors) != 0) {
		fprintf(stderr, "%u errors, the first: %s\n",
		    atomic_load(&nerrors), first_error);
		return (1);
	}
	return (0);
}

/* The re-executed child of the second case runs here, before main. */
__attribute__((constructor)) static void
stress_child_ctor(void)
{
	if (getenv(STRESS_ENV) != NULL)
		_exit(stress());
}

static void
run_stress(void *arg)
{
	(void)arg;
	_exit(stress());
}

static void
run_reexec(void *arg)
{
	char *const argv[] = { "prof_stress_test", NULL };

	setenv(STRESS_ENV, "1", 1);
	setenv("MALLOC_CONF", (const char *)arg, 1);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "execv: %s\n", strerror(errno));
	_exit(126);
}

ATF_TC(stress);
ATF_TC_HEAD(stress, tc)
{
	atf_tc_set_md_var(tc, "descr", "prof:true,lg_prof_sample:10: "
	    "threads allocate, dump, fork, toggle and reset");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(stress, tc)
{
	struct mt_child cr;

	mt_run_child(&cr, CHILD_TIMEOUT, run_stress, NULL);
	mt_require_child_ok(&cr, "stress");
}

ATF_TC(stress_decay0_bg);
ATF_TC_HEAD(stress_decay0_bg, tc)
{
	atf_tc_set_md_var(tc, "descr", "the stress with immediate decay "
	    "and a background thread");
	atf_tc_set_md_var(tc, "timeout", "60");
}
ATF_TC_BODY(stress_decay0_bg, tc)
{
	struct mt_child cr;

	mt_run_child(&cr, CHILD_TIMEOUT, run_reexec,
	    "dirty_decay_ms:0,muzzy_decay_ms:0,background_thread:true");
	mt_require_child_ok(&cr, "stress (decay 0, background thread)");
	ATF_CHECK_MSG(strstr(cr.err, "MALLOC_CONF error") == NULL,
	    "options rejected: %s", cr.err);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, stress);
	ATF_TP_ADD_TC(tp, stress_decay0_bg);
	return (atf_no_error());
}
