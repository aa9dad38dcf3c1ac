/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * prof_dump_test.c: the heap profile writers (prof_dump.c, prof_pb.c)
 * on synthetic snapshots, without the profiler: the exact heap_v2 text,
 * the back-solved numbers as jeprof unsamples them, Debian's jeprof and
 * `go tool pprof` naming three functions of this program with the bytes
 * the snapshot says, the protobuf plain and gzip-wrapped (small and
 * large), the leak summary's wording, and the recent allocations' JSON.
 * Whitebox.
 *
 * jeprof (libjemalloc-dev), go (golang-go) and python3 are test
 * dependencies (DEPS_PKGS in this directory's Makefile.inc): once the
 * dependencies are installed, a missing tool is a failure, not a skip.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "prof_dump_int.h"
#include "prof_snap.h"

#define	R19	((uint64_t)1 << 19)
#define	MIB	((uint64_t)1 << 20)

/* p(S): the chance that an allocation of S bytes is sampled. */
static double
psamp(double size, uint64_t period)
{
	return (1 - exp(-size / (double)period));
}

/* Counters of n samples of size bytes each (in use; accum if asked). */
static struct prof_cnts
cnts(uint64_t n, uint64_t size, uint64_t period, bool accum)
{
	struct prof_cnts c;
	double p = psamp((double)size, period);

	memset(&c, 0, sizeof(c));
	c.inuse.objs = n;
	c.inuse.bytes = n * size;
	c.uinuse.objs = (double)n / p;
	c.uinuse.bytes = (double)(n * size) / p;
	if (accum) {
		c.accum = c.inuse;
		c.uaccum = c.uinuse;
	}
	return (c);
}

static void
cnts_add(struct prof_cnts *t, const struct prof_cnts *c)
{
	t->inuse.objs += c->inuse.objs;
	t->inuse.bytes += c->inuse.bytes;
	t->accum.objs += c->accum.objs;
	t->accum.bytes += c->accum.bytes;
	t->uinuse.objs += c->uinuse.objs;
	t->uinuse.bytes += c->uinuse.bytes;
	t->uaccum.objs += c->uaccum.objs;
	t->uaccum.bytes += c->uaccum.bytes;
}

/* The back-solve of prof_dump.c, with libm, for expected lines. */
static void
backsolve(const struct prof_ucnt *u, uint64_t period, uint64_t *c,
    uint64_t *s)
{
	double x, y;

	*c = *s = 0;
	if (!(u->objs > 0) || !(u->bytes > 0))
		return;
	x = u->bytes / u->objs;
	y = u->bytes * (1 - exp(-x / (double)period));
	*c = (uint64_t)llround(y / x);
	*s = (uint64_t)llround(y);
}

/* Write s to path in format fmt; returns the file's text (malloc'd). */
static char *
dump_to(const char *path, const struct prof_snap *s, enum prof_format fmt,
    size_t *lenp)
{
	char *buf;
	size_t cap, len;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ATF_REQUIRE_MSG(fd >= 0, "open %s", path);
	ATF_REQUIRE_EQ(prof_dump_write(fd, s, fmt), 0);
	ATF_REQUIRE_EQ(close(fd), 0);
	fd = open(path, O_RDONLY);
	ATF_REQUIRE(fd >= 0);
	cap = 1 << 16;
	len = 0;
	buf = malloc(cap + 1);
	ATF_REQUIRE(buf != NULL);
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			ATF_REQUIRE(buf != NULL);
		}
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return (buf);
}

/* Line i (from 0) of text, in a static buffer. */
static const char *
line_of(const char *text, unsigned i)
{
	static char line[4096];
	const char *e;
	size_t n;

	for (; i > 0; i--) {
		text = strchr(text, '\n');
		if (text == NULL)
			return ("<no such line>");
		text++;
	}
	e = strchr(text, '\n');
	n = e != NULL ? (size_t)(e - text) : strlen(text);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, text, n);
	line[n] = '\0';
	return (line);
}

static void
self_exe(char *buf, size_t len)
{
	ssize_t n;

	n = readlink("/proc/self/exe", buf, len - 1);
	ATF_REQUIRE(n > 0);
	buf[n] = '\0';
}

/* Run a shell command; its stdout+stderr (malloc'd) and exit status. */
static char *
run(const char *cmd, int *status)
{
	char *out;
	size_t cap, len, n;
	FILE *f;
	int st;

	f = popen(cmd, "r");
	ATF_REQUIRE_MSG(f != NULL, "popen %s", cmd);
	cap = 1 << 16;
	len = 0;
	out = malloc(cap + 1);
	ATF_REQUIRE(out != NULL);
	while ((n = fread(out + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			out = realloc(out, cap + 1);
			ATF_REQUIRE(out != NULL);
		}
	}
	out[len] = '\0';
	st = pclose(f);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	return (out);
}

/* A tool from the test dependencies: missing is a failure (see top). */
static void
require_tool(const char *name)
{
	char cmd[256];
	int st;

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	st = system(cmd);
	ATF_REQUIRE_MSG(st == 0, "%s is missing: it is in DEPS_PKGS "
	    "(make deps)", name);
}

/*
 * Three allocation sites of this program, and their caller: each records
 * a real return address inside itself (frame 0) and one in sites_root
 * (frame 1), as a backtrace taken in the allocator would.  Their bodies
 * differ (site_mark), or gcc would fold them into one (-fipa-icf); they
 * are extern so that no clone (site_a.constprop.0) takes their name.
 */
void	capture(uintptr_t *);
void	site_a(uintptr_t *);
void	site_b(uintptr_t *);
void	site_c(uintptr_t *);
void	sites_root(uintptr_t [4][2]);

static volatile int site_mark;

__attribute__((noinline)) void
capture(uintptr_t *f)
{
	f[0] = (uintptr_t)__builtin_return_address(0);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void
site_a(uintptr_t *f)
{
	f[1] = (uintptr_t)__builtin_return_address(0);
	capture(f);
	site_mark = 1;
}

__attribute__((noinline)) void
site_b(uintptr_t *f)
{
	f[1] = (uintptr_t)__builtin_return_address(0);
	capture(f);
	site_mark = 2;
}

__attribute__((noinline)) void
site_c(uintptr_t *f)
{
	f[1] = (uintptr_t)__builtin_return_address(0);
	capture(f);
	site_mark = 3;
}

__attribute__((noinline)) void
sites_root(uintptr_t f[4][2])
{
	site_a(f[0]);
	site_b(f[1]);
	site_c(f[2]);
	site_a(f[3]);
	site_mark = 0;
}

/*
 * The snapshot of the tool tests: site_a holds 40 objects of 1 MiB
 * sampled, site_b 40 of 4 KiB, site_c 10 of 64 bytes; a fourth context
 * (site_a again, another return address in sites_root) is all freed.
 */
static uintptr_t tool_frames[4][2];
static struct prof_snap_ctx tool_ctx[4];
static struct prof_snap_thr tool_thr[1];

static void
tool_snap(struct prof_snap *s)
{
	static const uint64_t n[4] = { 40, 40, 10, 0 };
	static const uint64_t size[4] = { MIB, 4096, 64, 128 };
	unsigned i;

	sites_root(tool_frames);
	memset(s, 0, sizeof(*s));
	s->period = R19;
	s->time_ns = 1700000000000000000ULL;
	for (i = 0; i < 4; i++) {
		tool_ctx[i].c = cnts(n[i], size[i], R19, false);
		tool_ctx[i].nframes = 2;
		tool_ctx[i].frames = tool_frames[i];
		cnts_add(&s->total, &tool_ctx[i].c);
	}
	tool_thr[0].uid = 0;
	tool_thr[0].name = "main";
	tool_thr[0].c = s->total;
	s->nctx = 4;
	s->ctx = tool_ctx;
	s->nthr = 1;
	s->thr = tool_thr;
}

ATF_TC_WITHOUT_HEAD(heapv2_text);
ATF_TC_BODY(heapv2_text, tc)
{
	static const uintptr_t f1[] = { 0x55584790c207, 0x7fa57704524a };
	static const uintptr_t f2[] = { 0x1000 };
	static const uintptr_t f3[] = { 0xabcdef };
	struct prof_snap_ctx ctx[3];
	struct prof_snap_thr thr[2];
	struct prof_snap s;
	char exe[PATH_MAX], want[512], *text, *maps;
	uint64_t c, b;

	free(malloc(1));
	memset(&s, 0, sizeof(s));
	memset(ctx, 0, sizeof(ctx));
	memset(thr, 0, sizeof(thr));
	s.period = R19;
	ctx[0].c = cnts(36, MIB, R19, false);
	ctx[0].nframes = 2;
	ctx[0].frames = f1;
	ctx[1].c = cnts(0, 64, R19, false);	/* all freed: left out */
	ctx[1].nframes = 1;
	ctx[1].frames = f2;
	ctx[2].c = cnts(1, 64, R19, false);
	ctx[2].nframes = 1;
	ctx[2].frames = f3;
	cnts_add(&s.total, &ctx[0].c);
	cnts_add(&s.total, &ctx[2].c);
	thr[0].uid = 0;
	thr[0].name = "main thr";
	thr[0].c = ctx[0].c;
	thr[1].uid = 3;
	thr[1].c = ctx[2].c;
	s.nctx = 3;
	s.ctx = ctx;
	s.nthr = 2;
	s.thr = thr;

	text = dump_to("v2.heap", &s, PROF_FORMAT_HEAPV2, NULL);
	ATF_CHECK_STREQ(line_of(text, 0), "heap_v2/524288");
	/* Header totals are back-solved from the aggregate estimate. */
	backsolve(&s.total.uinuse, R19, &c, &b);
	snprintf(want, sizeof(want), "  t*: %llu: %llu [0: 0]",
	    (unsigned long long)c, (unsigned long long)b);
	ATF_CHECK_STREQ(line_of(text, 1), want);
	ATF_CHECK_STREQ(line_of(text, 2),
	    "  t0: 36: 37748736 [0: 0] main thr");
	ATF_CHECK_STREQ(line_of(text, 3), "  t3: 1: 64 [0: 0]");
	ATF_CHECK_STREQ(line_of(text, 4), "@ 0x55584790c207 0x7fa57704524a");
	ATF_CHECK_STREQ(line_of(text, 5), "  t*: 36: 37748736 [0: 0]");
	ATF_CHECK_STREQ(line_of(text, 6), "@ 0xabcdef");
	ATF_CHECK_STREQ(line_of(text, 7), "  t*: 1: 64 [0: 0]");
	ATF_CHECK_STREQ(line_of(text, 8), "");
	ATF_CHECK_STREQ(line_of(text, 9), "MAPPED_LIBRARIES:");
	ATF_CHECK(strstr(text, "0x1000") == NULL);
	/* The maps follow as they are; the program's own lines are there. */
	maps = strstr(text, "MAPPED_LIBRARIES:\n");
	ATF_REQUIRE(maps != NULL);
	self_exe(exe, sizeof(exe));
	ATF_CHECK_MSG(strstr(maps, exe) != NULL, "%s not in the maps", exe);
	ATF_CHECK(strstr(maps, "[stack]\n") != NULL);
	ATF_CHECK(text[strlen(text) - 1] == '\n');
	free(text);

	/* prof_accum: the bracket pair, and freed contexts kept. */
	s.accum = true;
	memset(&s.total, 0, sizeof(s.total));
	ctx[0].c = cnts(36, MIB, R19, true);
	ctx[1].c = cnts(56, 256, R19, true);
	ctx[1].c.inuse.objs = ctx[1].c.inuse.bytes = 0;
	ctx[1].c.uinuse.objs = ctx[1].c.uinuse.bytes = 0;
	ctx[2].c = cnts(0, 64, R19, false);
	s.nthr = 0;
	cnts_add(&s.total, &ctx[0].c);
	text = dump_to("accum.heap", &s, PROF_FORMAT_HEAPV2, NULL);
	ATF_CHECK_STREQ(line_of(text, 0), "heap_v2/524288");
	ATF_CHECK_STREQ(line_of(text, 1),
	    "  t*: 36: 37748736 [36: 37748736]");
	ATF_CHECK_STREQ(line_of(text, 2), "@ 0x55584790c207 0x7fa57704524a");
	ATF_CHECK_STREQ(line_of(text, 3), "  t*: 36: 37748736 [36: 37748736]");
	ATF_CHECK_STREQ(line_of(text, 4), "@ 0x1000");
	ATF_CHECK_STREQ(line_of(text, 5), "  t*: 0: 0 [56: 14336]");
	ATF_CHECK_STREQ(line_of(text, 6), "");
	ATF_CHECK_STREQ(line_of(text, 7), "MAPPED_LIBRARIES:");
	ATF_CHECK(strstr(text, "0xabcdef") == NULL);
	free(text);
}

/* jeprof's AdjustSamples on one "N: N" pair. */
static void
jeprof_unsample(double n, double b, uint64_t period, double *un, double *ub)
{
	double scale;

	*un = n;
	*ub = b;
	if (n == 0)
		return;
	scale = 1 / (1 - exp(-(b / n) / (double)period));
	*un = n * scale;
	*ub = b * scale;
}

ATF_TC_WITHOUT_HEAD(backsolve_unsamples);
ATF_TC_BODY(backsolve_unsamples, tc)
{
	static const uint64_t sizes[] = { 16, 48, 112, 1024, 4096, 40960,
	    229376, MIB, 3 * MIB, 64 * MIB };
	static const uint64_t counts[] = { 1, 2, 7, 100, 5000 };
	static const double fuzz[] = { 1.0, 1.004, 0.996 };
	enum { NS = sizeof(sizes) / sizeof(sizes[0]),
	    NC = sizeof(counts) / sizeof(counts[0]),
	    NF = sizeof(fuzz) / sizeof(fuzz[0]), NCTX = NS * NC * NF };
	static struct prof_snap_ctx ctx[NCTX];
	static uintptr_t frames[NCTX];
	const uint64_t periods[] = { 1, 4096, R19 };
	struct prof_snap s;
	double n, b, un, ub;
	unsigned i, j, k, p, nctx;
	char *text, *l;

	free(malloc(1));
	for (p = 0; p < 3; p++) {
		memset(&s, 0, sizeof(s));
		s.period = periods[p];
		s.accum = true;
		nctx = 0;
		for (i = 0; i < NS; i++)
			for (j = 0; j < NC; j++)
				for (k = 0; k < NF; k++) {
					ctx[nctx].c = cnts(counts[j], sizes[i],
					    s.period, true);
					/*
					 * Unbiased counters are not exact
					 * multiples of a sample's weight.
					 */
					ctx[nctx].c.uinuse.objs *= fuzz[k];
					ctx[nctx].c.uinuse.bytes *= fuzz[k];
					ctx[nctx].c.uaccum.objs *= fuzz[k];
					ctx[nctx].c.uaccum.bytes *= fuzz[k];
					frames[nctx] = 0x400000 + nctx;
					ctx[nctx].nframes = 1;
					ctx[nctx].frames = &frames[nctx];
					nctx++;
				}
		s.nctx = nctx;
		s.ctx = ctx;
		text = dump_to("bs.heap", &s, PROF_FORMAT_HEAPV2, NULL);
		/* Contexts' t* lines: those after an "@" line. */
		i = 0;
		for (l = strstr(text, "\n@ "); l != NULL;
		    l = strstr(l + 1, "\n@ ")) {
			unsigned long long c1, b1, c2, b2;
			const struct prof_cnts *c;

			ATF_REQUIRE(i < nctx);
			c = &ctx[i].c;
			l = strchr(l + 1, '\n');
			ATF_REQUIRE(sscanf(l + 1,
			    "  t*: %llu: %llu [%llu: %llu]",
			    &c1, &b1, &c2, &b2) == 4);
			n = (double)c1;
			b = (double)b1;
			jeprof_unsample(n, b, s.period, &un, &ub);
			ATF_CHECK_MSG(fabs(un / c->uinuse.objs - 1) < 0.01 &&
			    fabs(ub / c->uinuse.bytes - 1) < 0.01,
			    "period %llu ctx %u: %llu: %llu gives %.1f: %.1f, "
			    "want %.1f: %.1f", (unsigned long long)s.period, i,
			    c1, b1, un, ub, c->uinuse.objs, c->uinuse.bytes);
			jeprof_unsample((double)c2, (double)b2, s.period, &un,
			    &ub);
			ATF_CHECK_MSG(fabs(un / c->uaccum.objs - 1) < 0.01 &&
			    fabs(ub / c->uaccum.bytes - 1) < 0.01,
			    "accum: period %llu ctx %u: %llu: %llu gives "
			    "%.1f: %.1f, want %.1f: %.1f",
			    (unsigned long long)s.period, i, c2, b2, un, ub,
			    c->uaccum.objs, c->uaccum.bytes);
			i++;
		}
		ATF_CHECK_EQ(i, nctx);
		free(text);
	}
}

/* Flat MB of function fn in jeprof --text output (-1: not there). */
static double
jeprof_flat(const char *out, const char *fn)
{
	const char *l;
	char name[256];
	double flat;

	for (l = out; l != NULL && *l != '\0'; l = strchr(l, '\n'),
	    l = l != NULL ? l + 1 : NULL) {
		if (sscanf(l, " %lf %*f%% %*f%% %*f %*f%% %255s", &flat,
		    name) == 2 && strcmp(name, fn) == 0)
			return (flat);
	}
	return (-1);
}

static void
check_near(const char *what, double got, double want, double tol)
{
	ATF_CHECK_MSG(fabs(got - want) <= tol, "%s: %.3f, want %.3f", what,
	    got, want);
}

ATF_TC(jeprof_names_sites);
ATF_TC_HEAD(jeprof_names_sites, tc)
{
	atf_tc_set_md_var(tc, "descr", "jeprof --text names the three "
	    "sites of this program with their unsampled bytes");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(jeprof_names_sites, tc)
{
	struct prof_snap s;
	char exe[PATH_MAX], cmd[PATH_MAX + 128], *text, *out;
	double mb;
	int st;

	free(malloc(1));
	require_tool("jeprof");
	tool_snap(&s);
	self_exe(exe, sizeof(exe));
	text = dump_to("sites.heap", &s, PROF_FORMAT_HEAPV2, NULL);
	free(text);
	snprintf(cmd, sizeof(cmd), "jeprof --text '%s' sites.heap 2>&1", exe);
	out = run(cmd, &st);
	printf("%s\n", out);
	ATF_REQUIRE_EQ_MSG(st, 0, "%s", out);
	/* jeprof prints MB (2^20 bytes) with one decimal. */
	mb = jeprof_flat(out, "site_a");
	check_near("site_a MB", mb, tool_ctx[0].c.uinuse.bytes / MIB, 0.1);
	mb = jeprof_flat(out, "site_b");
	check_near("site_b MB", mb, tool_ctx[1].c.uinuse.bytes / MIB, 0.1);
	mb = jeprof_flat(out, "site_c");
	check_near("site_c MB", mb, tool_ctx[2].c.uinuse.bytes / MIB, 0.1);
	ATF_CHECK_MSG(strstr(out, "sites_root") != NULL, "%s", out);
	free(out);
}

/* Flat bytes of fn in `go tool pprof -top -unit=B` output (-1: none). */
static double
pprof_flat(const char *out, const char *fn)
{
	const char *l;
	char name[256];
	double flat;

	for (l = out; l != NULL && *l != '\0'; l = strchr(l, '\n'),
	    l = l != NULL ? l + 1 : NULL) {
		if (sscanf(l, " %lfB %*f%% %*f%% %*fB %*f%% %255s", &flat,
		    name) == 2 && strcmp(name, fn) == 0)
			return (flat);
	}
	return (-1);
}

ATF_TC(pprof_names_sites);
ATF_TC_HEAD(pprof_names_sites, tc)
{
	atf_tc_set_md_var(tc, "descr", "go tool pprof -top names the three "
	    "sites of this program with their unsampled bytes and counts");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(pprof_names_sites, tc)
{
	static const char *const fn[3] = { "site_a", "site_b", "site_c" };
	struct prof_snap s;
	char exe[PATH_MAX], cmd[PATH_MAX + 256], *text, *out;
	double v;
	unsigned i;
	int st;

	free(malloc(1));
	require_tool("go");
	tool_snap(&s);
	self_exe(exe, sizeof(exe));
	text = dump_to("sites.pb", &s, PROF_FORMAT_PPROF, NULL);
	free(text);
	/* HOME: go wants one; kyua's work directory will do. */
	snprintf(cmd, sizeof(cmd), "HOME=$PWD go tool pprof -top -unit=B "
	    "-nodefraction=0 '%s' sites.pb 2>&1", exe);
	out = run(cmd, &st);
	printf("%s\n", out);
	ATF_REQUIRE_EQ_MSG(st, 0, "%s", out);
	ATF_CHECK_MSG(strstr(out, "Type: inuse_space") != NULL, "%s", out);
	for (i = 0; i < 3; i++) {
		v = pprof_flat(out, fn[i]);
		check_near(fn[i], v, tool_ctx[i].c.uinuse.bytes, 1);
	}
	free(out);

	/* The object counts, and the same with the alloc pair. */
	snprintf(cmd, sizeof(cmd), "HOME=$PWD go tool pprof -top "
	    "-sample_index=alloc_objects -nodefraction=0 '%s' sites.pb 2>&1",
	    exe);
	out = run(cmd, &st);
	printf("%s\n", out);
	ATF_REQUIRE_EQ_MSG(st, 0, "%s", out);
	for (i = 0; i < 3; i++) {
		const char *l;
		char name[256];
		double flat = -1;

		for (l = out; l != NULL && *l != '\0'; l = strchr(l, '\n'),
		    l = l != NULL ? l + 1 : NULL)
			if (sscanf(l, " %lf %*f%% %*f%% %*f %*f%% %255s",
			    &v, name) == 2 && strcmp(name, fn[i]) == 0)
				flat = v;
		check_near(fn[i], flat, tool_ctx[i].c.uinuse.objs, 1);
	}
	free(out);
}

ATF_TC(pprof_gzip);
ATF_TC_HEAD(pprof_gzip, tc)
{
	atf_tc_set_md_var(tc, "descr", "the gzip-wrapped protobuf holds the "
	    "same bytes as the plain one, and pprof reads it");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(pprof_gzip, tc)
{
	struct prof_snap s;
	char exe[PATH_MAX], cmd[PATH_MAX + 256], *plain, *unz, *out;
	size_t plen, ulen;
	int fd, st;

	free(malloc(1));
	require_tool("go");
	require_tool("gzip");
	tool_snap(&s);
	self_exe(exe, sizeof(exe));
	plain = dump_to("plain.pb", &s, PROF_FORMAT_PPROF, &plen);
	fd = open("sites.pb.gz", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ATF_REQUIRE(fd >= 0);
	ATF_REQUIRE_EQ(prof_pb_write(fd, &s, true), 0);
	ATF_REQUIRE_EQ(close(fd), 0);
	out = run("gzip -t sites.pb.gz && gzip -dc sites.pb.gz > unz.pb && "
	    "echo ok", &st);
	ATF_REQUIRE_EQ_MSG(st, 0, "%s", out);
	free(out);
	/* The executable mappings do not change between the two dumps. */
	fd = open("unz.pb", O_RDONLY);
	ATF_REQUIRE(fd >= 0);
	unz = malloc(plen + 1);
	ATF_REQUIRE(unz != NULL);
	ulen = (size_t)read(fd, unz, plen + 1);
	close(fd);
	ATF_CHECK_EQ(ulen, plen);
	ATF_CHECK(memcmp(unz, plain, plen) == 0);
	free(unz);
	free(plain);
	snprintf(cmd, sizeof(cmd), "HOME=$PWD go tool pprof -top -unit=B "
	    "-nodefraction=0 '%s' sites.pb.gz 2>&1", exe);
	out = run(cmd, &st);
	printf("%s\n", out);
	ATF_REQUIRE_EQ_MSG(st, 0, "%s", out);
	check_near("site_a", pprof_flat(out, "site_a"),
	    tool_ctx[0].c.uinuse.bytes, 1);
	check_near("site_c", pprof_flat(out, "site_c"),
	    tool_ctx[2].c.uinuse.bytes, 1);
	free(out);
}

ATF_TC(pprof_many);
ATF_TC_HEAD(pprof_many, tc)
{
	atf_tc_set_md_var(tc, "descr", "a large profile (3000 stacks up to "
	    "PROF_BT_MAX deep over 5000 addresses), plain and gzip: pprof "
	    "reads both with the same total");
	atf_tc_set_md_var(tc, "timeout", "120");
}
ATF_TC_BODY(pprof_many, tc)
{
	enum { NCTX = 3000, NADDR = 5000 };
	static struct prof_snap_ctx ctx[NCTX];
	static uintptr_t frames[NCTX][PROF_BT_MAX];
	struct prof_snap s;
	char cmd[256], *out, *p;
	unsigned i, j, seed;
	int64_t total;
	int fd, st;

	free(malloc(1));
	require_tool("go");
	memset(&s, 0, sizeof(s));
	s.period = R19;
	seed = 12345;
	total = 0;
	for (i = 0; i < NCTX; i++) {
		ctx[i].nframes = 1 + i % PROF_BT_MAX;
		for (j = 0; j < ctx[i].nframes; j++) {
			seed = seed * 1103515245 + 12345;
			frames[i][j] = 0x10000000 + 16 * ((seed >> 8) % NADDR);
		}
		ctx[i].frames = frames[i];
		ctx[i].c = cnts(1 + i % 7, 16 << (i % 12), R19, false);
		if (i % 10 == 3)
			ctx[i].c = cnts(0, 64, R19, false);	/* left out */
		if (ctx[i].c.inuse.objs != 0)
			total += llround(ctx[i].c.uinuse.bytes);
	}
	s.nctx = NCTX;
	s.ctx = ctx;
	free(dump_to("many.pb", &s, PROF_FORMAT_PPROF, NULL));
	fd = open("many.pb.gz", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ATF_REQUIRE(fd >= 0);
	ATF_REQUIRE_EQ(prof_pb_write(fd, &s, true), 0);
	ATF_REQUIRE_EQ(close(fd), 0);
	out = run("gzip -dc many.pb.gz | cmp - many.pb && echo same", &st);
	ATF_CHECK_EQ_MSG(st, 0, "%s", out);
	free(out);
	for (i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd), "HOME=$PWD go tool pprof -top "
		    "-unit=B -nodecount=1 %s 2>&1",
		    i == 0 ? "many.pb" : "many.pb.gz");
		out = run(cmd, &st);
		ATF_REQUIRE_EQ_MSG(st, 0, "%s", out);
		p = strstr(out, "% of ");
		ATF_REQUIRE_MSG(p != NULL, "%s", out);
		ATF_CHECK_EQ_MSG(strtoll(p + 5, NULL, 10), total,
		    "total %lld, want %lld: %s", strtoll(p + 5, NULL, 10),
		    (long long)total, out);
		free(out);
	}
}

/* malloc_message capture for the leak summary. */
static char leak_out[1024];

static void
leak_capture(void *opaque, const char *s)
{
	(void)opaque;
	strncat(leak_out, s, sizeof(leak_out) - strlen(leak_out) - 1);
}

static bool
leak_report(const struct prof_snap *s)
{
	void (*saved)(void *, const char *);
	bool r;

	leak_out[0] = '\0';
	saved = malloc_message;
	malloc_message = leak_capture;
	r = prof_dump_leak_report(s);
	malloc_message = saved;
	return (r);
}

ATF_TC_WITHOUT_HEAD(leak_summary);
ATF_TC_BODY(leak_summary, tc)
{
	static const uintptr_t f[] = { 0x1234 };
	struct prof_snap_ctx ctx[3];
	struct prof_snap s;
	char want[512];
	double scale;

	free(malloc(1));
	memset(&s, 0, sizeof(s));
	memset(ctx, 0, sizeof(ctx));
	s.period = R19;
	ctx[0].c = cnts(36, MIB, R19, false);
	ctx[1].c = cnts(0, 64, R19, false);
	ctx[2].c = cnts(3, 64, R19, false);
	for (unsigned i = 0; i < 3; i++) {
		ctx[i].nframes = 1;
		ctx[i].frames = f;
		cnts_add(&s.total, &ctx[i].c);
	}
	s.nctx = 3;
	s.ctx = ctx;
	/* jemalloc's aggregate scale from raw totals. */
	scale = 1 / (1 - exp(-((double)s.total.inuse.bytes /
	    (double)s.total.inuse.objs) / (double)R19));
	snprintf(want, sizeof(want), "<domalloc>: Leak approximation summary: "
	    "~%llu bytes, ~%llu objects, >= 2 contexts\n"
	    "<domalloc>: Run jeprof on dump output for leak detail\n",
	    (unsigned long long)llround((double)s.total.inuse.bytes * scale),
	    (unsigned long long)llround((double)s.total.inuse.objs * scale));
	ATF_CHECK(leak_report(&s));
	ATF_CHECK_STREQ(leak_out, want);

	/* Singular forms: 1 object (scale 1.16 at R = 1), 1 context. */
	memset(&s, 0, sizeof(s));
	s.period = 1;
	ctx[0].c = cnts(1, 2, 1, false);
	s.total = ctx[0].c;
	s.nctx = 1;
	s.ctx = ctx;
	ATF_CHECK(leak_report(&s));
	ATF_CHECK_STREQ(leak_out, "<domalloc>: Leak approximation summary: "
	    "~2 bytes, ~1 object, >= 1 context\n"
	    "<domalloc>: Run jeprof on dump output for leak detail\n");

	/* Nothing in use: nothing said. */
	memset(&s.total, 0, sizeof(s.total));
	ctx[0].c = cnts(0, 2, 1, false);
	ATF_CHECK(!leak_report(&s));
	ATF_CHECK_STREQ(leak_out, "");
}

/* JSON pieces gathered. */
struct json_buf {
	char		text[8192];
	unsigned	npieces;
};

static void
json_cb(void *opaque, const char *s)
{
	struct json_buf *j = opaque;

	j->npieces++;
	strncat(j->text, s, sizeof(j->text) - strlen(j->text) - 1);
}

ATF_TC_WITHOUT_HEAD(recent_json);
ATF_TC_BODY(recent_json, tc)
{
	static const uintptr_t fa[] = { 0x7f180baa2630, 0x55d32e5db0b1 };
	static const uintptr_t fd[] = { 0xdeadbeef };
	static uintptr_t many[PROF_BT_MAX];
	struct prof_recent_rec rec[3];
	struct prof_recent_snap r;
	struct json_buf j;
	char cmd[9000];
	FILE *f;
	unsigned i;
	int st;

	free(malloc(1));
	memset(rec, 0, sizeof(rec));
	rec[0].size = 1048576;
	rec[0].usize = 1048576;
	rec[0].alloc_uid = 0;
	rec[0].alloc_name = "mainthr";
	rec[0].alloc_time_ns = 6848662203937ULL;
	rec[0].alloc_nframes = 2;
	rec[0].alloc_frames = fa;
	rec[1].size = 3000000;
	rec[1].usize = 3145728;
	rec[1].released = true;
	rec[1].alloc_uid = 7;
	rec[1].alloc_time_ns = 5;
	rec[1].alloc_nframes = 1;
	rec[1].alloc_frames = fd;
	rec[1].dalloc_uid = 2;
	rec[1].dalloc_name = "a \"q\"\\\n\x01";
	rec[1].dalloc_time_ns = 6;
	rec[1].dalloc_nframes = 2;
	rec[1].dalloc_frames = fa;
	rec[2].size = 10;
	rec[2].usize = 16;
	rec[2].released = true;		/* freed, no free-time trace */
	rec[2].alloc_nframes = 1;
	rec[2].alloc_frames = fd;
	r.period = 65536;
	r.alloc_max = -1;
	r.n = 3;
	r.rec = rec;
	memset(&j, 0, sizeof(j));
	prof_dump_recent_json(&r, json_cb, &j);
	ATF_CHECK_STREQ(j.text, "{\"sample_interval\":65536,"
	    "\"recent_alloc_max\":-1,\"recent_alloc\":["
	    "{\"size\":1048576,\"usize\":1048576,\"released\":false,"
	    "\"alloc_thread_uid\":0,\"alloc_thread_name\":\"mainthr\","
	    "\"alloc_time\":6848662203937,\"alloc_trace\":[\"0x7f180baa2630\","
	    "\"0x55d32e5db0b1\"]},"
	    "{\"size\":3000000,\"usize\":3145728,\"released\":true,"
	    "\"alloc_thread_uid\":7,\"alloc_time\":5,"
	    "\"alloc_trace\":[\"0xdeadbeef\"],\"dalloc_thread_uid\":2,"
	    "\"dalloc_thread_name\":\"a \\\"q\\\"\\\\\\n\\u0001\","
	    "\"dalloc_time\":6,\"dalloc_trace\":[\"0x7f180baa2630\","
	    "\"0x55d32e5db0b1\"]},"
	    "{\"size\":10,\"usize\":16,\"released\":true,"
	    "\"alloc_thread_uid\":0,\"alloc_time\":0,"
	    "\"alloc_trace\":[\"0xdeadbeef\"]}]}");

	/* Long output comes in several pieces; python3 parses it. */
	for (i = 0; i < PROF_BT_MAX; i++)
		many[i] = 0x7f0000000000 + i * 0x1000;
	rec[0].alloc_nframes = PROF_BT_MAX;
	rec[0].alloc_frames = many;
	r.alloc_max = 4;
	memset(&j, 0, sizeof(j));
	prof_dump_recent_json(&r, json_cb, &j);
	ATF_CHECK_MSG(j.npieces > 1, "%u pieces", j.npieces);
	require_tool("python3");
	f = fopen("recent.json", "w");
	ATF_REQUIRE(f != NULL);
	fputs(j.text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 -c 'import json; "
	    "d = json.load(open(\"recent.json\")); "
	    "a = d[\"recent_alloc\"]; "
	    "assert d[\"sample_interval\"] == 65536; "
	    "assert d[\"recent_alloc_max\"] == 4; "
	    "assert len(a) == 3; "
	    "assert len(a[0][\"alloc_trace\"]) == 128; "
	    "assert a[0][\"alloc_trace\"][1] == \"0x7f0000001000\"; "
	    "assert a[1][\"dalloc_thread_name\"] == "
	    "\"a \\\"q\\\"\\\\\\n\\x01\"; "
	    "assert \"dalloc_time\" not in a[2]'");
	st = system(cmd);
	ATF_CHECK_EQ_MSG(st, 0, "python3 rejected: %s", j.text);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, heapv2_text);
	ATF_TP_ADD_TC(tp, backsolve_unsamples);
	ATF_TP_ADD_TC(tp, jeprof_names_sites);
	ATF_TP_ADD_TC(tp, pprof_names_sites);
	ATF_TP_ADD_TC(tp, pprof_gzip);
	ATF_TP_ADD_TC(tp, pprof_many);
	ATF_TP_ADD_TC(tp, leak_summary);
	ATF_TP_ADD_TC(tp, recent_json);
	return (atf_no_error());
}
