/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box tests of heap profiling (prof.h): sampled objects behave as
 * unsampled ones, the counts are exact when every allocation is sampled,
 * the prof.*, thread.prof.*, experimental.prof_recent.* and stats.prof.*
 * names do what jemalloc 5.3's do, misuse of a sampled object aborts,
 * thread exit and arena reset or destroy leave consistent records, and
 * at a real sampling rate a dump read with jeprof's unsampling formula
 * gives each site's bytes within 5%.
 *
 * The program runs with prof:true,lg_prof_sample:0 (every allocation is
 * sampled, so stats.prof.live moves by one per live object and a dump's
 * totals are exact); the unbiasedness case changes the rate with
 * prof.reset.  Counts are compared as differences around the code under
 * test, because ATF and stdio allocate too.  Each case runs in its own
 * process and working directory, so dump files start at sequence 0.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../malloc_test_util.h"

const char *malloc_conf = "prof:true,lg_prof_sample:0";

#define	MISUSE_TIMEOUT	30

static uint64_t
stat_u64(const char *name)
{
	uint64_t v;
	size_t len = sizeof(v);

	ATF_REQUIRE_EQ_MSG(mallctl(name, &v, &len, NULL, 0), 0, "%s", name);
	ATF_REQUIRE_EQ(len, sizeof(v));
	return (v);
}

static uint64_t
live(void)
{
	return (stat_u64("stats.prof.live"));
}

static bool
get_bool(const char *name)
{
	bool v;
	size_t len = sizeof(v);

	ATF_REQUIRE_EQ_MSG(mallctl(name, &v, &len, NULL, 0), 0, "%s", name);
	return (v);
}

static void
set_bool(const char *name, bool v)
{
	ATF_REQUIRE_EQ_MSG(mallctl(name, NULL, NULL, &v, sizeof(v)), 0,
	    "%s", name);
}

static size_t
lg_sample(void)
{
	size_t v, len = sizeof(v);

	ATF_REQUIRE_EQ(mallctl("prof.lg_sample", &v, &len, NULL, 0), 0);
	return (v);
}

static void
reset(size_t lg)
{
	ATF_REQUIRE_EQ(mallctl("prof.reset", NULL, NULL, &lg, sizeof(lg)), 0);
}

static void
dump_to(const char *name)
{
	ATF_REQUIRE_EQ_MSG(mallctl("prof.dump", NULL, NULL, &name,
	    sizeof(name)), 0, "prof.dump %s", name);
}

/* The whole of a file, NUL-terminated (caller frees). */
static char *
slurp(const char *path, size_t *lenp)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd;

	fd = open(path, O_RDONLY);
	ATF_REQUIRE_MSG(fd >= 0, "open %s: %s", path, strerror(errno));
	ATF_REQUIRE(fstat(fd, &st) == 0);
	buf = malloc((size_t)st.st_size + 1);
	ATF_REQUIRE(buf != NULL);
	while (len < (size_t)st.st_size &&
	    (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
	if (lenp != NULL)
		*lenp = len;
	return (buf);
}

/* The "  t*: N: N [...]" totals of a heap_v2 dump. */
static void
dump_totals(const char *path, uint64_t *objs, uint64_t *bytes)
{
	unsigned long long o, b;
	char *text, *t;

	text = slurp(path, NULL);
	ATF_REQUIRE_MSG(strncmp(text, "heap_v2/", 8) == 0,
	    "%s is no heap_v2 dump: %.40s", path, text);
	t = strchr(text, '\n');
	ATF_REQUIRE(t != NULL);
	ATF_REQUIRE_MSG(sscanf(t + 1, "  t*: %llu: %llu", &o, &b) == 2,
	    "%s: no totals line: %.80s", path, t + 1);
	*objs = o;
	*bytes = b;
	free(text);
}

/* Dump to name and return its totals. */
static void
dump_counts(const char *name, uint64_t *objs, uint64_t *bytes)
{
	dump_to(name);
	dump_totals(name, objs, bytes);
}

/*
 * Every allocation function at lg_prof_sample:0: each object counts once
 * in stats.prof.live and in a dump's totals, with its class size, and
 * sampled objects have their class size, zeroing, contents and alignment.
 */
#define	NOBJ	64

struct objs {
	void	*p[NOBJ];
	size_t	 usize[NOBJ];
	unsigned n;
};

static void
keep(struct objs *o, void *p, size_t size)
{
	ATF_REQUIRE_MSG(p != NULL, "allocation of %zu failed", size);
	ATF_REQUIRE(o->n < NOBJ);
	ATF_CHECK_EQ_MSG(malloc_usable_size(p), nallocx(size, 0),
	    "usable size %zu of a sampled %zu-byte object, want %zu",
	    malloc_usable_size(p), size, nallocx(size, 0));
	ATF_CHECK_EQ(sallocx(p, 0), malloc_usable_size(p));
	o->usize[o->n] = malloc_usable_size(p);
	o->p[o->n++] = p;
}

static const size_t sizes[] = { 1, 8, 24, 100, 1000, 4096, 5000, 14336,
	20000, 100000, 1835008, 3 << 20 };
#define	NSIZES	(sizeof(sizes) / sizeof(sizes[0]))

ATF_TC_WITHOUT_HEAD(exact_counts);
ATF_TC_BODY(exact_counts, tc)
{
	struct objs o;
	uint64_t l0, o0, b0, o1, b1, want_bytes;
	unsigned i, j;
	void *p;

	memset(&o, 0, sizeof(o));
	ATF_REQUIRE_EQ(lg_sample(), 0);
	dump_counts("before.heap", &o0, &b0);
	l0 = live();
	ATF_REQUIRE_EQ(o0, l0);
	for (i = 0; i < NSIZES; i++)
		keep(&o, malloc(sizes[i]), sizes[i]);
	ATF_CHECK_EQ(live() - l0, o.n);
	dump_counts("after.heap", &o1, &b1);
	for (want_bytes = 0, j = 0; j < o.n; j++)
		want_bytes += o.usize[j];
	ATF_CHECK_EQ_MSG(o1 - o0, o.n, "dump: %ju objects more, want %u",
	    (uintmax_t)(o1 - o0), o.n);
	ATF_CHECK_EQ_MSG(b1 - b0, want_bytes, "dump: %ju bytes more, want %ju",
	    (uintmax_t)(b1 - b0), (uintmax_t)want_bytes);
	ATF_CHECK_EQ(o1, live());
	for (j = 0; j < o.n; j++)
		free(o.p[j]);
	ATF_CHECK_EQ(live(), l0);
	dump_counts("end.heap", &o1, &b1);
	ATF_CHECK_EQ(o1, o0);
	ATF_CHECK_EQ(b1, b0);

	/* Each function once more, freed by its matching function. */
	l0 = live();
	p = calloc(3, 700);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK(mt_check_byte(p, malloc_usable_size(p), 0));
	ATF_CHECK_EQ(live() - l0, 1);
	free_sized(p, 2100);
	ATF_CHECK_EQ(live(), l0);
	ATF_REQUIRE_EQ(posix_memalign(&p, 8192, 300), 0);
	ATF_CHECK(mt_aligned(p, 8192));
	ATF_CHECK_EQ(live() - l0, 1);
	free(p);
	p = aligned_alloc(1 << 16, 1 << 16);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK(mt_aligned(p, 1 << 16));
	ATF_CHECK_EQ(malloc_usable_size(p), nallocx(1 << 16,
	    MALLOCX_ALIGN(1 << 16)));
	free(p);
	p = aligned_alloc(4 << 20, 100);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK(mt_aligned(p, 4 << 20));
	ATF_CHECK_EQ(live() - l0, 1);
	free(p);
	p = mallocx(3000, MALLOCX_ALIGN(4096) | MALLOCX_ZERO);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK(mt_aligned(p, 4096));
	ATF_CHECK(mt_check_byte(p, sallocx(p, 0), 0));
	ATF_CHECK_EQ(sallocx(p, 0), nallocx(3000, MALLOCX_ALIGN(4096)));
	ATF_CHECK_EQ(live() - l0, 1);
	sdallocx(p, 3000, MALLOCX_ALIGN(4096));
	ATF_CHECK_EQ(live(), l0);
	p = mallocx(5 << 20, MALLOCX_ZERO);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK(mt_check_byte(p, 5 << 20, 0));
	sdallocx(p, 5 << 20, 0);
	ATF_CHECK_EQ(live(), l0);
}

/*
 * realloc and rallocx of sampled objects keep their contents, in place
 * or moved.
 */
ATF_TC_WITHOUT_HEAD(realloc_keeps);
ATF_TC_BODY(realloc_keeps, tc)
{
	static const size_t steps[] = { 16, 100, 3000, 20000, 300000,
		3 << 20, 5000, 40 };
	uint64_t l0;
	size_t prev, n, x;
	unsigned i;
	void *p, *q;

	l0 = live();
	prev = 8;
	p = malloc(prev);
	ATF_REQUIRE(p != NULL);
	mt_fill(p, prev, 7);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		n = steps[i];
		q = (i & 1) ? rallocx(p, n, 0) : realloc(p, n);
		ATF_REQUIRE_MSG(q != NULL, "realloc to %zu", n);
		ATF_CHECK_MSG(mt_check(q, (prev < n ? prev : n), 7),
		    "contents lost in realloc from %zu to %zu", prev, n);
		ATF_CHECK_EQ(malloc_usable_size(q), nallocx(n, 0));
		ATF_CHECK_EQ(live() - l0, 1);
		mt_fill(q, n, 7);
		p = q;
		prev = n;
	}
	/* xallocx of a sampled object: whatever it gives is its usable size. */
	x = xallocx(p, 100000, 0, 0);
	ATF_CHECK_EQ(x, malloc_usable_size(p));
	ATF_CHECK(mt_check(p, prev, 7));
	ATF_CHECK_EQ(live() - l0, 1);
	/* MALLOCX_ZERO: zero from the old usable size on. */
	x = malloc_usable_size(p);
	q = rallocx(p, 70000, MALLOCX_ZERO);
	ATF_REQUIRE(q != NULL);
	ATF_CHECK(mt_check(q, prev, 7));
	ATF_CHECK(mt_check_byte((char *)q + x, 70000 - x, 0));
	free(q);
	ATF_CHECK_EQ(live(), l0);
	p = realloc(NULL, 50);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ(live() - l0, 1);
	free(p);
	ATF_CHECK_EQ(live(), l0);
}

/* prof.active and thread.prof.active: off, no new samples. */
ATF_TC_WITHOUT_HEAD(active);
ATF_TC_BODY(active, tc)
{
	uint64_t l0, s0;
	void *p[200];
	unsigned i;

	ATF_CHECK(get_bool("prof.active"));
	ATF_CHECK(get_bool("thread.prof.active"));
	set_bool("prof.active", false);
	ATF_CHECK(!get_bool("prof.active"));
	l0 = live();
	s0 = stat_u64("stats.prof.samples");
	for (i = 0; i < 200; i++)
		ATF_REQUIRE((p[i] = malloc(1 + i * 97)) != NULL);
	ATF_CHECK_EQ(live(), l0);
	ATF_CHECK_EQ(stat_u64("stats.prof.samples"), s0);
	for (i = 0; i < 200; i++)
		free(p[i]);
	set_bool("prof.active", true);
	set_bool("thread.prof.active", false);
	for (i = 0; i < 200; i++)
		ATF_REQUIRE((p[i] = malloc(1 + i * 97)) != NULL);
	ATF_CHECK_EQ(live(), l0);
	for (i = 0; i < 200; i++)
		free(p[i]);
	/* Sampling is back at once, for every allocation at rate 1. */
	set_bool("thread.prof.active", true);
	for (i = 0; i < 200; i++)
		ATF_REQUIRE((p[i] = malloc(1 + i * 97)) != NULL);
	ATF_CHECK_EQ_MSG(live() - l0, 200,
	    "%ju samples of 200 after thread.prof.active on",
	    (uintmax_t)(live() - l0));
	for (i = 0; i < 200; i++)
		free(p[i]);
	set_bool("prof.active", false);
	for (i = 0; i < 200; i++)
		ATF_REQUIRE((p[i] = malloc(1 + i * 97)) != NULL);
	for (i = 0; i < 200; i++)
		free(p[i]);
	set_bool("prof.active", true);
	for (i = 0; i < 200; i++)
		ATF_REQUIRE((p[i] = malloc(1 + i * 97)) != NULL);
	ATF_CHECK_EQ_MSG(live() - l0, 200,
	    "%ju samples of 200 after prof.active on",
	    (uintmax_t)(live() - l0));
	for (i = 0; i < 200; i++)
		free(p[i]);
	ATF_CHECK_EQ(live(), l0);
}

/*
 * The thread's cache flushed or turned off, or the thread moved to
 * another arena, with objects staged (prof.h): every allocation is still
 * sampled once at lg_prof_sample:0.
 */
static void
alloc_n(void **p, unsigned n, size_t size)
{
	unsigned i;

	for (i = 0; i < n; i++)
		ATF_REQUIRE((p[i] = malloc(size)) != NULL);
}

static void
free_n(void **p, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		free(p[i]);
}

ATF_TC_WITHOUT_HEAD(tcache_changes);
ATF_TC_BODY(tcache_changes, tc)
{
	void *p[100];
	uint64_t l0;
	unsigned a;
	size_t len = sizeof(a);
	bool off = false, on = true;

	l0 = live();
	alloc_n(p, 100, 64);
	ATF_CHECK_EQ(live() - l0, 100);
	free_n(p, 100);
	ATF_REQUIRE_EQ(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0), 0);
	alloc_n(p, 100, 64);
	ATF_CHECK_EQ(live() - l0, 100);
	free_n(p, 100);
	ATF_REQUIRE_EQ(mallctl("thread.tcache.enabled", NULL, NULL, &off,
	    sizeof(off)), 0);
	alloc_n(p, 100, 64);
	ATF_CHECK_EQ(live() - l0, 100);
	free_n(p, 100);
	ATF_REQUIRE_EQ(mallctl("thread.tcache.enabled", NULL, NULL, &on,
	    sizeof(on)), 0);
	alloc_n(p, 100, 64);
	ATF_CHECK_EQ(live() - l0, 100);
	free_n(p, 100);
	ATF_REQUIRE_EQ(mallctl("arenas.create", &a, &len, NULL, 0), 0);
	ATF_REQUIRE_EQ(mallctl("thread.arena", NULL, NULL, &a, sizeof(a)), 0);
	alloc_n(p, 100, 64);
	ATF_CHECK_EQ(live() - l0, 100);
	free_n(p, 100);
	ATF_CHECK_EQ(live(), l0);
}

/* stats.allocated counts sampled objects as any other. */
static size_t
stat_size(const char *name)
{
	uint64_t e = 1;
	size_t v, len = sizeof(e);

	ATF_REQUIRE_EQ(mallctl("epoch", &e, &len, &e, sizeof(e)), 0);
	len = sizeof(v);
	ATF_REQUIRE_EQ_MSG(mallctl(name, &v, &len, NULL, 0), 0, "%s", name);
	return (v);
}

ATF_TC_WITHOUT_HEAD(stats_allocated);
ATF_TC_BODY(stats_allocated, tc)
{
	static const size_t sz[] = { 100, 3000, 100000, 3 << 20 };
	void *p[4][50];
	size_t a0, a1, want = 0;
	unsigned i, j;

	a0 = stat_size("stats.allocated");
	for (i = 0; i < 4; i++)
		for (j = 0; j < 50; j++) {
			ATF_REQUIRE((p[i][j] = malloc(sz[i])) != NULL);
			want += malloc_usable_size(p[i][j]);
		}
	a1 = stat_size("stats.allocated");
	ATF_CHECK_MSG(a1 - a0 >= want && a1 - a0 < want + (1 << 20),
	    "stats.allocated grew by %zu for %zu bytes of samples", a1 - a0,
	    want);
	for (i = 0; i < 4; i++)
		for (j = 0; j < 50; j++)
			free(p[i][j]);
	a1 = stat_size("stats.allocated");
	ATF_CHECK_MSG(a1 < a0 + (1 << 20), "stats.allocated %zu after the "
	    "frees, %zu before", a1, a0);
}

/* prof.thread_active_init: threads start with sampling off. */
static void *
thr_inactive(void *arg)
{
	uint64_t *d = arg, l0;
	void *p[20];

	l0 = live();
	alloc_n(p, 10, 200);
	d[0] = live() - l0;
	d[2] = get_bool("thread.prof.active");
	set_bool("thread.prof.active", true);
	alloc_n(p + 10, 10, 200);
	d[1] = live() - l0;
	free_n(p, 20);
	return (NULL);
}

ATF_TC_WITHOUT_HEAD(thread_active_init);
ATF_TC_BODY(thread_active_init, tc)
{
	uint64_t d[3] = { 99, 99, 99 };
	pthread_t th;

	ATF_CHECK(get_bool("prof.thread_active_init"));
	set_bool("prof.thread_active_init", false);
	ATF_CHECK(!get_bool("prof.thread_active_init"));
	ATF_REQUIRE(pthread_create(&th, NULL, thr_inactive, d) == 0);
	ATF_REQUIRE(pthread_join(th, NULL) == 0);
	ATF_CHECK_EQ_MSG(d[0], 0, "%ju samples in an inactive thread",
	    (uintmax_t)d[0]);
	ATF_CHECK_EQ(d[2], 0);
	ATF_CHECK_EQ_MSG(d[1], 10, "%ju samples once active, want 10",
	    (uintmax_t)d[1]);
	/* This thread's own setting does not change. */
	ATF_CHECK(get_bool("thread.prof.active"));
}

/* A fork child's dumps carry its own pid; the child's counts are its. */
static void
fork_dump(void *arg)
{
	char path[64];

	(void)arg;
	if (mallctl("prof.dump", NULL, NULL, NULL, 0) != 0)
		_exit(3);
	snprintf(path, sizeof(path), "jeprof.%d.0.m0.heap", (int)getpid());
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "no %s in the child\n", path);
		_exit(4);
	}
	free(malloc(100));
	_exit(0);
}

ATF_TC_WITHOUT_HEAD(fork_child);
ATF_TC_BODY(fork_child, tc)
{
	struct mt_child cr;
	void *p;

	p = malloc(5000);
	mt_run_child(&cr, MISUSE_TIMEOUT, fork_dump, NULL);
	mt_require_child_ok(&cr, "prof.dump in a fork child");
	free(p);
}

/*
 * Backtraces start at the caller of the allocation function: each API is
 * called from a function of its own with a size of a class of its own,
 * and that sample's first frame must lie in that function (the
 * allocator's frames are cut off, and no more).
 */
static void *volatile bt_sink;

#define	BT_SITE(name, call)						\
static void __attribute__((noinline))					\
name(size_t n)								\
{									\
	void *p = NULL;							\
									\
	call;								\
	bt_sink = p;							\
	__asm__ volatile("" ::: "memory");				\
}

BT_SITE(bt_malloc, p = malloc(n))
BT_SITE(bt_calloc, p = calloc(1, n))
BT_SITE(bt_realloc, p = realloc(NULL, n))
BT_SITE(bt_posix_memalign, (void)posix_memalign(&p, 64, n))
BT_SITE(bt_aligned_alloc, p = aligned_alloc(4096, n))
BT_SITE(bt_memalign, p = memalign(256, n))
BT_SITE(bt_valloc, p = valloc(n))
BT_SITE(bt_mallocx, p = mallocx(n, MALLOCX_ZERO))
BT_SITE(bt_mallocx_tc, p = mallocx(n, MALLOCX_TCACHE_NONE))
BT_SITE(bt_reallocarray, p = reallocarray(NULL, 1, n))
BT_SITE(bt_libc_malloc, p = __libc_malloc(n))
BT_SITE(bt_libc_calloc, p = __libc_calloc(1, n))

static void __attribute__((noinline))
bt_rallocx(size_t n)
{
	void *p = malloc(16);

	p = rallocx(p, n, 0);
	bt_sink = p;
	__asm__ volatile("" ::: "memory");
}

static const struct bt_site {
	const char	*name;
	void		(*fn)(size_t);
} bt_sites[] = {
	{ "malloc", bt_malloc },
	{ "calloc", bt_calloc },
	{ "realloc", bt_realloc },
	{ "posix_memalign", bt_posix_memalign },
	{ "aligned_alloc", bt_aligned_alloc },
	{ "memalign", bt_memalign },
	{ "valloc", bt_valloc },
	{ "mallocx", bt_mallocx },
	{ "mallocx(TCACHE_NONE)", bt_mallocx_tc },
	{ "reallocarray", bt_reallocarray },
	{ "__libc_malloc", bt_libc_malloc },
	{ "__libc_calloc", bt_libc_calloc },
	{ "rallocx", bt_rallocx },
};
#define	NBT	(sizeof(bt_sites) / sizeof(bt_sites[0]))

ATF_TC_WITHOUT_HEAD(backtraces);
ATF_TC_BODY(backtraces, tc)
{
	void *ptrs[NBT];
	size_t usize[NBT], n;
	unsigned long long c, b, f0;
	uintptr_t start;
	unsigned i, found[NBT];
	char *text, *l;

	/* Large classes from 100000 bytes on, one each. */
	for (n = 100000, i = 0; i < NBT; i++, n = usize[i - 1] + 1) {
		usize[i] = nallocx(n, 0);
		bt_sites[i].fn(n);
		ptrs[i] = bt_sink;
		ATF_REQUIRE_MSG(ptrs[i] != NULL, "%s", bt_sites[i].name);
		found[i] = 0;
	}
	dump_to("bt.heap");
	text = slurp("bt.heap", NULL);
	for (l = strstr(text, "\n@ "); l != NULL; l = strstr(l + 1, "\n@ ")) {
		if (sscanf(l + 3, "%llx", &f0) != 1)
			continue;
		if (sscanf(strchr(l + 1, '\n') + 1, "  t*: %llu: %llu", &c,
		    &b) != 2 || c != 1)
			continue;
		for (i = 0; i < NBT; i++) {
			if (b != usize[i])
				continue;
			found[i]++;
			start = (uintptr_t)bt_sites[i].fn;
			/* A return address: after the call, in the function. */
			ATF_CHECK_MSG(f0 > start && f0 < start + 256,
			    "%s: first frame 0x%llx, not in its caller at %p",
			    bt_sites[i].name, f0, (void *)start);
		}
	}
	free(text);
	for (i = 0; i < NBT; i++) {
		ATF_CHECK_EQ_MSG(found[i], 1, "%s: %u stacks of its size",
		    bt_sites[i].name, found[i]);
		free(ptrs[i]);
	}
}

/* thread.prof.name: read back, on the thread's line of a dump. */
ATF_TC_WITHOUT_HEAD(thread_name);
ATF_TC_BODY(thread_name, tc)
{
	const char *name = "main-thread", *got;
	size_t len = sizeof(got);
	char *text;

	ATF_REQUIRE_EQ(mallctl("thread.prof.name", NULL, NULL, &name,
	    sizeof(name)), 0);
	ATF_REQUIRE_EQ(mallctl("thread.prof.name", &got, &len, NULL, 0), 0);
	ATF_CHECK_STREQ(got, "main-thread");
	/* A write with a read asks for the overwritten name. */
	ATF_CHECK_EQ(mallctl("thread.prof.name", &got, &len, &name,
	    sizeof(name)), EPERM);
	dump_to("n.heap");
	text = slurp("n.heap", NULL);
	ATF_CHECK_MSG(strstr(text, "] main-thread\n") != NULL,
	    "no thread line named main-thread in: %.300s", text);
	free(text);
	name = "bad\nname";
	ATF_CHECK_EQ(mallctl("thread.prof.name", NULL, NULL, &name,
	    sizeof(name)), EFAULT);
}

/* prof.reset: counts zeroed, new rate, old samples freed safely. */
ATF_TC_WITHOUT_HEAD(reset);
ATF_TC_BODY(reset, tc)
{
	uint64_t o, b, o2, b2;
	void *p[100], *q;
	unsigned i;

	for (i = 0; i < 100; i++)
		ATF_REQUIRE((p[i] = malloc(100 + i)) != NULL);
	dump_counts("a.heap", &o, &b);
	ATF_CHECK(o >= 100);
	reset(0);
	ATF_CHECK_EQ(lg_sample(), 0);
	dump_counts("b.heap", &o, &b);
	ATF_CHECK_MSG(o == 0 && b == 0, "after prof.reset: %ju: %ju",
	    (uintmax_t)o, (uintmax_t)b);
	q = malloc(1000);
	ATF_REQUIRE(q != NULL);
	dump_counts("c.heap", &o, &b);
	ATF_CHECK_EQ(o, 1);
	ATF_CHECK_EQ(b, 1024);
	/* Frees of samples taken before the reset leave the counts alone. */
	for (i = 0; i < 100; i++)
		free(p[i]);
	dump_counts("d.heap", &o2, &b2);
	ATF_CHECK_MSG(o2 == 1 && b2 == 1024,
	    "after freeing pre-reset samples: %ju: %ju, want 1: 1024",
	    (uintmax_t)o2, (uintmax_t)b2);
	free(q);
	dump_counts("e.heap", &o2, &b2);
	ATF_CHECK_EQ(o2, 0);
	ATF_CHECK_EQ(b2, 0);
	/* A new rate. */
	reset(16);
	ATF_CHECK_EQ(lg_sample(), 16);
	reset(62);
	ATF_CHECK_EQ(lg_sample(), 62);
	reset(0);
	ATF_CHECK_EQ(lg_sample(), 0);
}

/*
 * prof.reset to a large lg_sample while the thread's count is short (it
 * was drawn at rate 1): the next allocation is sampled, and its weight
 * (about 2^60 / 5120 objects) must be finite, so that the dump's
 * back-solved count is that one object.
 */
ATF_TC_WITHOUT_HEAD(reset_large_lg);
ATF_TC_BODY(reset_large_lg, tc)
{
	uint64_t o, b;
	void *p[64];
	unsigned i;

	reset(60);
	for (i = 0; i < 64; i++)
		ATF_REQUIRE((p[i] = malloc(5000)) != NULL);
	dump_counts("big.heap", &o, &b);
	ATF_CHECK_MSG(o >= 1 && o <= 2 && b == o * 5120,
	    "at lg_sample 60: totals %ju: %ju, want 1: 5120",
	    (uintmax_t)o, (uintmax_t)b);
	for (i = 0; i < 64; i++)
		free(p[i]);
	reset(0);
}

/* prof.dump names: given, or <prefix>.<pid>.<seq>.m<mseq>.heap. */
static bool
exists(const char *path)
{
	struct stat st;

	return (stat(path, &st) == 0 && st.st_size > 0);
}

ATF_TC_WITHOUT_HEAD(dump_names);
ATF_TC_BODY(dump_names, tc)
{
	const char *prefix = "pfx", *none = NULL;
	char path[128];
	size_t len;
	char *text;
	int pid = (int)getpid();
	uint64_t d0;

	d0 = stat_u64("stats.prof.dumps");
	ATF_REQUIRE_EQ(mallctl("prof.dump", NULL, NULL, NULL, 0), 0);
	snprintf(path, sizeof(path), "jeprof.%d.0.m0.heap", pid);
	ATF_CHECK_MSG(exists(path), "no %s", path);
	ATF_REQUIRE_EQ(mallctl("prof.dump", NULL, NULL, &none,
	    sizeof(none)), 0);
	snprintf(path, sizeof(path), "jeprof.%d.1.m1.heap", pid);
	ATF_CHECK_MSG(exists(path), "no %s", path);
	ATF_REQUIRE_EQ(mallctl("prof.prefix", NULL, NULL, &prefix,
	    sizeof(prefix)), 0);
	ATF_REQUIRE_EQ(mallctl("prof.dump", NULL, NULL, NULL, 0), 0);
	snprintf(path, sizeof(path), "pfx.%d.2.m2.heap", pid);
	ATF_CHECK_MSG(exists(path), "no %s", path);
	text = slurp(path, &len);
	ATF_CHECK(strncmp(text, "heap_v2/1\n", 10) == 0);
	ATF_CHECK(strstr(text, "\nMAPPED_LIBRARIES:\n") != NULL);
	free(text);
	/* pprof: a protobuf (maybe gzip), not text. */
	ATF_REQUIRE_EQ(mallctl("prof.dump_pprof", NULL, NULL, NULL, 0), 0);
	snprintf(path, sizeof(path), "pfx.%d.3.m3.pb", pid);
	ATF_CHECK_MSG(exists(path), "no %s", path);
	prefix = "named.pb";
	ATF_REQUIRE_EQ(mallctl("prof.dump_pprof", NULL, NULL, &prefix,
	    sizeof(prefix)), 0);
	text = slurp("named.pb", &len);
	ATF_CHECK(len > 16);
	ATF_CHECK(strncmp(text, "heap_v2", 7) != 0);
	free(text);
	ATF_CHECK_EQ(stat_u64("stats.prof.dumps") - d0, 5);
	/* A directory that does not exist: an error, nothing counted. */
	prefix = "no/such/dir/x.heap";
	ATF_CHECK_EQ(mallctl("prof.dump", NULL, NULL, &prefix,
	    sizeof(prefix)), EFAULT);
	ATF_CHECK_EQ(stat_u64("stats.prof.dumps") - d0, 5);
}

/* Error codes of the prof.* names. */
ATF_TC_WITHOUT_HEAD(errors);
ATF_TC_BODY(errors, tc)
{
	size_t lg = 63, len;
	uint64_t u;
	bool b = true;
	int i = 1;
	const char *s = "x";

	ATF_CHECK_EQ(mallctl("prof.reset", NULL, NULL, &lg, sizeof(lg)),
	    EINVAL);
	ATF_CHECK_EQ(lg_sample(), 0);
	ATF_CHECK_EQ(mallctl("prof.reset", NULL, NULL, &i, sizeof(i)),
	    EINVAL);
	ATF_CHECK_EQ(mallctl("prof.active", NULL, NULL, &i, sizeof(i)),
	    EINVAL);
	ATF_CHECK(get_bool("prof.active"));
	ATF_CHECK_EQ(mallctl("thread.prof.active", NULL, NULL, &i,
	    sizeof(i)), EINVAL);
	ATF_CHECK_EQ(mallctl("prof.dump", NULL, NULL, &i, sizeof(i)),
	    EINVAL);
	ATF_CHECK_EQ(mallctl("prof.prefix", NULL, NULL, &i, sizeof(i)),
	    EINVAL);
	len = sizeof(s);
	ATF_CHECK_EQ(mallctl("prof.dump", &s, &len, NULL, 0), EPERM);
	ATF_CHECK_EQ(mallctl("prof.reset", &lg, &len, NULL, 0), EPERM);
	ATF_CHECK_EQ(mallctl("prof.prefix", &s, &len, NULL, 0), EPERM);
	len = sizeof(lg);
	ATF_CHECK_EQ(mallctl("prof.lg_sample", NULL, NULL, &lg, sizeof(lg)),
	    EPERM);
	len = sizeof(u);
	ATF_CHECK_EQ(mallctl("prof.interval", &u, &len, NULL, 0), 0);
	ATF_CHECK_EQ(u, 0);
	ATF_CHECK_EQ(mallctl("prof.interval", NULL, NULL, &u, sizeof(u)),
	    EPERM);
	ATF_CHECK_EQ(mallctl("stats.prof.live", NULL, NULL, &u, sizeof(u)),
	    EPERM);
	len = 1;
	ATF_CHECK_EQ(mallctl("stats.prof.live", &u, &len, NULL, 0), EINVAL);
	len = sizeof(b);
	ATF_CHECK_EQ(mallctl("opt.prof", &b, &len, NULL, 0), 0);
	ATF_CHECK(b);
	ATF_CHECK_EQ(mallctl("experimental.prof_recent.alloc_dump", NULL,
	    NULL, NULL, 0), EINVAL);
}

/* experimental.prof_recent: the last allocations, as JSON. */
struct jbuf {
	char	buf[1 << 16];
	size_t	len;
};

static void
jwrite(void *opaque, const char *s)
{
	struct jbuf *j = opaque;
	size_t n = strlen(s);

	if (j->len + n < sizeof(j->buf)) {
		memcpy(j->buf + j->len, s, n);
		j->len += n;
		j->buf[j->len] = '\0';
	}
}

static unsigned
count_str(const char *hay, const char *needle)
{
	unsigned n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return (n);
}

ATF_TC_WITHOUT_HEAD(recent);
ATF_TC_BODY(recent, tc)
{
	static struct jbuf j;
	struct {
		void	(*cb)(void *, const char *);
		void	*opaque;
	} arg = { jwrite, &j };
	ssize_t max = 3, got;
	size_t len = sizeof(got);
	void *p[5];
	unsigned i;

	ATF_REQUIRE_EQ(mallctl("experimental.prof_recent.alloc_max", &got,
	    &len, &max, sizeof(max)), 0);
	ATF_CHECK_EQ(got, 0);
	ATF_REQUIRE_EQ(mallctl("experimental.prof_recent.alloc_max", &got,
	    &len, NULL, 0), 0);
	ATF_CHECK_EQ(got, 3);
	max = -2;
	ATF_CHECK_EQ(mallctl("experimental.prof_recent.alloc_max", NULL,
	    NULL, &max, sizeof(max)), EINVAL);
	for (i = 0; i < 5; i++)
		ATF_REQUIRE((p[i] = malloc(1000 + i)) != NULL);
	free(p[4]);
	ATF_REQUIRE_EQ(mallctl("experimental.prof_recent.alloc_dump", NULL,
	    NULL, &arg, sizeof(arg)), 0);
	ATF_CHECK_MSG(strstr(j.buf, "\"recent_alloc_max\":3") != NULL,
	    "%.400s", j.buf);
	ATF_CHECK_EQ_MSG(count_str(j.buf, "\"size\":"), 3, "%.600s", j.buf);
	ATF_CHECK_MSG(strstr(j.buf, "\"size\":1002,") != NULL, "%.600s",
	    j.buf);
	ATF_CHECK_MSG(strstr(j.buf, "\"size\":1004,\"usize\":1024,"
	    "\"released\":true") != NULL, "%.600s", j.buf);
	ATF_CHECK_MSG(strstr(j.buf, "\"size\":1003,\"usize\":1024,"
	    "\"released\":false") != NULL, "%.600s", j.buf);
	ATF_CHECK_EQ(count_str(j.buf, "\"dalloc_time\""), 1);
	for (i = 0; i < 4; i++)
		free(p[i]);
	j.len = 0;
	j.buf[0] = '\0';
	ATF_REQUIRE_EQ(mallctl("experimental.prof_recent.alloc_dump", NULL,
	    NULL, &arg, sizeof(arg)), 0);
	ATF_CHECK_EQ_MSG(count_str(j.buf, "\"released\":true"), 3, "%.600s",
	    j.buf);
	max = 0;
	ATF_REQUIRE_EQ(mallctl("experimental.prof_recent.alloc_max", NULL,
	    NULL, &max, sizeof(max)), 0);
	j.len = 0;
	j.buf[0] = '\0';
	ATF_REQUIRE_EQ(mallctl("experimental.prof_recent.alloc_dump", NULL,
	    NULL, &arg, sizeof(arg)), 0);
	ATF_CHECK_EQ_MSG(count_str(j.buf, "\"size\":"), 0, "%.600s", j.buf);
}

/* Misuse of a sampled object aborts with a diagnostic. */
static void
double_free(void *arg)
{
	void *p = malloc(*(size_t *)arg);

	free(p);
	free(mt_hide(p));
}

static void
interior_free(void *arg)
{
	char *p = malloc(*(size_t *)arg);

	free(mt_hide(p + 16));
}

static void
interior_page_free(void *arg)
{
	char *p = malloc(*(size_t *)arg);

	free(mt_hide(p + 4096));
}

static void
misuse(void (*fn)(void *), size_t n, const char *what, const char *want)
{
	struct mt_child cr;

	mt_run_child(&cr, MISUSE_TIMEOUT, fn, &n);
	mt_require_child_abort(&cr, what);
	ATF_CHECK_MSG(strstr(cr.err, want) != NULL,
	    "%s: expected \"%s\" in: %s", what, want, cr.err);
}

ATF_TC_WITHOUT_HEAD(double_free_sampled);
ATF_TC_BODY(double_free_sampled, tc)
{
	misuse(double_free, 100, "double free of a small sample",
	    "is not allocated");
	misuse(double_free, 40000, "double free of a large sample",
	    "is not allocated");
	misuse(double_free, 5 << 20, "double free of a huge sample",
	    "is not allocated");
}

ATF_TC_WITHOUT_HEAD(interior_free_sampled);
ATF_TC_BODY(interior_free_sampled, tc)
{
	misuse(interior_free, 100, "free inside a small sample",
	    "inside an allocation");
	misuse(interior_page_free, 10000, "free of a sample's second page",
	    "inside an allocation");
	misuse(interior_free, 5 << 20, "free inside a huge sample",
	    "inside an allocation");
}

/* Threads that exit with live samples; records reused afterwards. */
struct thr {
	const char	*name;
	unsigned	 n;
	void		*p[16];
	pthread_barrier_t *bar;
};

static void *
thr_alloc(void *arg)
{
	struct thr *t = arg;
	unsigned i;

	if (t->name != NULL)
		ATF_REQUIRE_EQ(mallctl("thread.prof.name", NULL, NULL,
		    &t->name, sizeof(t->name)), 0);
	for (i = 0; i < t->n; i++)
		t->p[i] = malloc(3000);
	if (t->bar != NULL) {
		/* All named and allocated; then main has dumped. */
		pthread_barrier_wait(t->bar);
		pthread_barrier_wait(t->bar);
	}
	return (NULL);
}

static void
run_thr(struct thr *t)
{
	pthread_t th;

	ATF_REQUIRE(pthread_create(&th, NULL, thr_alloc, t) == 0);
	ATF_REQUIRE(pthread_join(th, NULL) == 0);
}

/* The thread line of name: its in-use count, or -1 if none. */
static long
thread_line(const char *text, const char *name)
{
	char want[64];
	const char *l, *e;
	unsigned long o;

	snprintf(want, sizeof(want), "] %s\n", name);
	if ((e = strstr(text, want)) == NULL)
		return (-1);
	for (l = e; l > text && l[-1] != '\n'; l--)
		continue;
	if (sscanf(l, "  t%*u: %lu:", &o) != 1)
		return (-2);
	return ((long)o);
}

ATF_TC_WITHOUT_HEAD(thread_exit);
ATF_TC_BODY(thread_exit, tc)
{
	struct thr t = { "exiting", 10, { NULL }, NULL };
	uint64_t l0;
	unsigned i;
	char *text;

	l0 = live();
	run_thr(&t);
	ATF_CHECK(live() - l0 >= 10);
	dump_to("x.heap");
	text = slurp("x.heap", NULL);
	ATF_CHECK_EQ_MSG(thread_line(text, "exiting"), 10,
	    "the exited thread's line: %ld", thread_line(text, "exiting"));
	free(text);
	for (i = 0; i < 10; i++)
		free(t.p[i]);
	dump_to("y.heap");
	text = slurp("y.heap", NULL);
	ATF_CHECK_EQ(thread_line(text, "exiting"), -1);
	free(text);
}

/*
 * A thread exits with samples taken before a prof.reset, which are freed
 * after it: its record must be freed once, and two later threads must
 * get records of their own.
 */
ATF_TC_WITHOUT_HEAD(thread_exit_reset);
ATF_TC_BODY(thread_exit_reset, tc)
{
	struct thr t = { "old", 10, { NULL }, NULL };
	struct thr a = { "alpha", 2, { NULL }, NULL };
	struct thr b = { "beta", 3, { NULL }, NULL };
	pthread_barrier_t bar;
	pthread_t ta, tb;
	unsigned i;
	char *text;

	run_thr(&t);
	reset(0);
	for (i = 0; i < 10; i++)
		free(t.p[i]);
	ATF_REQUIRE(pthread_barrier_init(&bar, NULL, 3) == 0);
	a.bar = b.bar = &bar;
	ATF_REQUIRE(pthread_create(&ta, NULL, thr_alloc, &a) == 0);
	ATF_REQUIRE(pthread_create(&tb, NULL, thr_alloc, &b) == 0);
	pthread_barrier_wait(&bar);
	dump_to("r.heap");
	pthread_barrier_wait(&bar);
	ATF_REQUIRE(pthread_join(ta, NULL) == 0);
	ATF_REQUIRE(pthread_join(tb, NULL) == 0);
	text = slurp("r.heap", NULL);
	ATF_CHECK_EQ_MSG(thread_line(text, "alpha"), 2, "alpha: %ld",
	    thread_line(text, "alpha"));
	ATF_CHECK_EQ_MSG(thread_line(text, "beta"), 3, "beta: %ld",
	    thread_line(text, "beta"));
	free(text);
	for (i = 0; i < 2; i++)
		free(a.p[i]);
	for (i = 0; i < 3; i++)
		free(b.p[i]);
	dump_to("s.heap");
	pthread_barrier_destroy(&bar);
}

/* arena.<i>.reset and .destroy of an arena holding samples. */
static unsigned
arena_create(void)
{
	unsigned a;
	size_t len = sizeof(a);

	ATF_REQUIRE_EQ(mallctl("arenas.create", &a, &len, NULL, 0), 0);
	return (a);
}

static void
arena_fill(unsigned a, unsigned n)
{
	unsigned i;
	void *p;

	for (i = 0; i < n; i++) {
		p = mallocx(sizes[i % NSIZES], MALLOCX_ARENA(a) |
		    MALLOCX_TCACHE_NONE);
		ATF_REQUIRE(p != NULL);
		memset(p, 0x33, sizes[i % NSIZES]);
	}
}

static void
arena_op(unsigned a, const char *op)
{
	char name[64];

	snprintf(name, sizeof(name), "arena.%u.%s", a, op);
	ATF_REQUIRE_EQ_MSG(mallctl(name, NULL, NULL, NULL, 0), 0, "%s",
	    name);
}

ATF_TC_WITHOUT_HEAD(arena_reset_destroy);
ATF_TC_BODY(arena_reset_destroy, tc)
{
	uint64_t l0, o, b, o0, b0;
	unsigned a;
	void *p;

	a = arena_create();
	dump_counts("0.heap", &o0, &b0);
	l0 = live();
	arena_fill(a, 30);
	ATF_CHECK_EQ(live() - l0, 30);
	arena_op(a, "reset");
	ATF_CHECK_EQ(live(), l0);
	dump_counts("1.heap", &o, &b);
	ATF_CHECK_EQ(o, o0);
	ATF_CHECK_EQ(b, b0);
	arena_fill(a, 30);
	ATF_CHECK_EQ(live() - l0, 30);
	arena_op(a, "destroy");
	ATF_CHECK_EQ(live(), l0);
	dump_counts("2.heap", &o, &b);
	ATF_CHECK_EQ(o, o0);
	ATF_CHECK_EQ(b, b0);
	/* The allocator goes on, the destroyed arena's index reused. */
	a = arena_create();
	arena_fill(a, 12);
	ATF_CHECK_EQ(live() - l0, 12);
	arena_op(a, "destroy");
	p = malloc(100);
	ATF_REQUIRE(p != NULL);
	free(p);
	ATF_CHECK_EQ(live(), l0);
	dump_to("3.heap");
}

/*
 * Unbiasedness at lg_prof_sample:12: jeprof's unsampling of a dump gives
 * each site's bytes within 5%.
 */
#define	UB_SMALL	48
#define	UB_BIG		(40 * 1024)
#define	UB_BYTES	((size_t)32 << 20)

static void
ub_site(size_t size, void **out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[i] = malloc(size);
		ATF_REQUIRE(out[i] != NULL);
	}
}

/*
 * jeprof's estimate of the bytes of the stacks of a heap_v2 dump whose
 * mean object size (bytes / count) lies in [lo, hi].
 */
static double
estimate(const char *path, double lo, double hi)
{
	unsigned long long c, b, period;
	double est = 0, ratio;
	char *text, *l;

	text = slurp(path, NULL);
	ATF_REQUIRE(sscanf(text, "heap_v2/%llu", &period) == 1);
	for (l = strstr(text, "\n@"); l != NULL; l = strstr(l + 1, "\n@")) {
		l = strchr(l + 1, '\n');
		if (l == NULL ||
		    sscanf(l + 1, "  t*: %llu: %llu", &c, &b) != 2)
			break;
		if (c == 0)
			continue;
		ratio = (double)b / (double)c;
		if (ratio >= lo && ratio <= hi)
			est += (double)b / (1 - exp(-ratio / (double)period));
	}
	free(text);
	return (est);
}

/*
 * Buffers grown by realloc in place (a vector's growth): each
 * reallocation counts as an allocation of the new size, so the grown
 * buffers are seen at their final size.  32 buffers each grow from
 * 16 KiB to 512 KiB in 16 KiB steps, at lg_prof_sample:16.
 */
ATF_TC_WITHOUT_HEAD(realloc_grow_unbiased);
ATF_TC_BODY(realloc_grow_unbiased, tc)
{
	void *v[32], *p, *q;
	unsigned i, inplace = 0;
	size_t n;
	double est;

	reset(16);
	for (i = 0; i < 32; i++) {
		p = malloc(16384);
		ATF_REQUIRE(p != NULL);
		for (n = 32768; n <= 512 * 1024; n += 16384) {
			q = (n & 32768) ? realloc(p, n) : rallocx(p, n, 0);
			ATF_REQUIRE(q != NULL);
			inplace += q == p;
			p = q;
		}
		v[i] = p;
	}
	dump_to("g.heap");
	est = estimate("g.heap", 512 * 1024 - 0.5, 512 * 1024 + 0.5);
	ATF_CHECK_MSG(fabs(est / (32 << 19) - 1) < 0.05,
	    "%.0f bytes estimated of %d in 512 KiB buffers (%u in-place "
	    "reallocations)", est, 32 << 19, inplace);
	for (i = 0; i < 32; i++)
		free(v[i]);
	reset(0);
}

ATF_TC_WITHOUT_HEAD(unbiased);
ATF_TC_BODY(unbiased, tc)
{
	size_t nsmall = UB_BYTES / UB_SMALL, nbig = UB_BYTES / UB_BIG, i;
	double est_small = 0, est_big = 0, r, ratio, scale;
	unsigned long long c, bb, period;
	void **small, **big;
	char *text, *l;

	small = mmap(NULL, nsmall * sizeof(void *), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	big = mmap(NULL, nbig * sizeof(void *), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ATF_REQUIRE(small != MAP_FAILED && big != MAP_FAILED);
	reset(12);
	ub_site(UB_SMALL, small, nsmall);
	ub_site(UB_BIG, big, nbig);
	dump_to("u.heap");
	text = slurp("u.heap", NULL);
	ATF_REQUIRE(sscanf(text, "heap_v2/%llu", &period) == 1);
	ATF_REQUIRE_EQ(period, 4096);
	r = (double)period;
	/* Each stack: "@ ..." then "  t*: count: bytes [...]". */
	for (l = strstr(text, "\n@"); l != NULL; l = strstr(l + 1, "\n@")) {
		l = strchr(l + 1, '\n');
		if (l == NULL ||
		    sscanf(l + 1, "  t*: %llu: %llu", &c, &bb) != 2)
			break;
		if (c == 0)
			continue;
		ratio = (double)bb / (double)c;
		scale = 1 / (1 - exp(-ratio / r));
		if (fabs(ratio - UB_SMALL) < 0.5)
			est_small += (double)bb * scale;
		else if (fabs(ratio - UB_BIG) < 0.5)
			est_big += (double)bb * scale;
	}
	free(text);
	ATF_CHECK_MSG(fabs(est_small / UB_BYTES - 1) < 0.05,
	    "48-byte site: %.0f bytes estimated, %zu allocated", est_small,
	    UB_BYTES);
	ATF_CHECK_MSG(fabs(est_big / UB_BYTES - 1) < 0.05,
	    "40 KiB site: %.0f bytes estimated, %zu allocated", est_big,
	    UB_BYTES);
	for (i = 0; i < nsmall; i++)
		free(small[i]);
	for (i = 0; i < nbig; i++)
		free(big[i]);
	reset(0);
}

/*
 * Automatic dumps (lg_prof_interval, prof_gdump, prof_final with
 * prof_leak): the program runs itself again with MALLOC_CONF adding
 * them (the environment is read after malloc_conf), and the child does
 * its allocations from a constructor, before main.  It allocates 16 MiB
 * in 64 KiB objects, frees them and leaves one object for the leak
 * report.
 */
#define	CHILD_ENV	"PROF_TEST_CHILD"

__attribute__((constructor)) static void
auto_child(void)
{
	static void *p[256];
	unsigned i;

	if (getenv(CHILD_ENV) == NULL)
		return;
	for (i = 0; i < 256; i++)
		if ((p[i] = malloc(64 << 10)) == NULL)
			_exit(2);
	for (i = 1; i < 256; i++)
		free(p[i]);
	exit(0);	/* the final dump is made at exit */
}

static void
auto_exec(void *arg)
{
	char *const argv[] = { "prof_test", NULL };

	setenv(CHILD_ENV, "1", 1);
	setenv("MALLOC_CONF", (const char *)arg, 1);
	execv("/proc/self/exe", argv);
	fprintf(stderr, "execv: %s\n", strerror(errno));
	_exit(126);
}

/* Files in the working directory named ch.<pid>.<seq>.<kind>... */
static unsigned
count_dumps(char kind)
{
	struct dirent *de;
	unsigned n = 0;
	char k;
	DIR *d;

	ATF_REQUIRE((d = opendir(".")) != NULL);
	while ((de = readdir(d)) != NULL)
		if (sscanf(de->d_name, "ch.%*d.%*u.%c", &k) == 1 && k == kind)
			n++;
	closedir(d);
	return (n);
}

static void
auto_dumps(const char *conf)
{
	struct mt_child cr;

	mt_run_child(&cr, MISUSE_TIMEOUT, auto_exec, (void *)(uintptr_t)conf);
	mt_require_child_ok(&cr, conf);
	ATF_CHECK_MSG(strstr(cr.err, "MALLOC_CONF error") == NULL, "%s",
	    cr.err);
	ATF_CHECK_MSG(count_dumps('i') >= 8, "%u interval dumps for 16 MiB "
	    "at lg_prof_interval:20 (%s)", count_dumps('i'), conf);
	ATF_CHECK_MSG(count_dumps('u') >= 1, "no gdump dump (%s)", conf);
	ATF_CHECK_EQ_MSG(count_dumps('f'), 1, "%u final dumps (%s)",
	    count_dumps('f'), conf);
	ATF_CHECK_MSG(strstr(cr.err, "Leak approximation") != NULL,
	    "no leak summary (%s): %s", conf, cr.err);
}

ATF_TC_WITHOUT_HEAD(auto_dumps_lg0);
ATF_TC_BODY(auto_dumps_lg0, tc)
{
	auto_dumps("lg_prof_interval:20,prof_gdump:true,prof_final:true,"
	    "prof_leak:true,prof_prefix:ch");
}

ATF_TC_WITHOUT_HEAD(auto_dumps_lg10);
ATF_TC_BODY(auto_dumps_lg10, tc)
{
	auto_dumps("lg_prof_sample:10,lg_prof_interval:20,prof_gdump:true,"
	    "prof_final:true,prof_leak:true,prof_prefix:ch");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, exact_counts);
	ATF_TP_ADD_TC(tp, realloc_keeps);
	ATF_TP_ADD_TC(tp, active);
	ATF_TP_ADD_TC(tp, tcache_changes);
	ATF_TP_ADD_TC(tp, stats_allocated);
	ATF_TP_ADD_TC(tp, thread_active_init);
	ATF_TP_ADD_TC(tp, fork_child);
	ATF_TP_ADD_TC(tp, backtraces);
	ATF_TP_ADD_TC(tp, thread_name);
	ATF_TP_ADD_TC(tp, reset);
	ATF_TP_ADD_TC(tp, reset_large_lg);
	ATF_TP_ADD_TC(tp, dump_names);
	ATF_TP_ADD_TC(tp, errors);
	ATF_TP_ADD_TC(tp, recent);
	ATF_TP_ADD_TC(tp, double_free_sampled);
	ATF_TP_ADD_TC(tp, interior_free_sampled);
	ATF_TP_ADD_TC(tp, thread_exit);
	ATF_TP_ADD_TC(tp, thread_exit_reset);
	ATF_TP_ADD_TC(tp, arena_reset_destroy);
	ATF_TP_ADD_TC(tp, unbiased);
	ATF_TP_ADD_TC(tp, realloc_grow_unbiased);
	ATF_TP_ADD_TC(tp, auto_dumps_lg0);
	ATF_TP_ADD_TC(tp, auto_dumps_lg10);
	return (atf_no_error());
}
