/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * static_prog: a base-system-style program linked statically with
 * libdomalloc.a, run by static_test.sh.
 *
 * It owns the run-time proof that domalloc, not the C library's own malloc,
 * serves every allocation of a static binary: the program's calls, the
 * glibc entry points (__libc_malloc and friends) and the allocations glibc
 * makes internally (stdio buffers, strdup, getline).  Each check is a
 * sub-command so the shell test can report them one by one; a check prints
 * "ok <name>" and exits 0, or prints what went wrong and exits 1.
 * The sizes used rely on domalloc's size classes (16-byte quantum, four
 * classes per doubling): glibc would round 100 up to 104 and 1 to 24.
 */

#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include(<malloc_np.h>)
#include <malloc_np.h>
#define	HAVE_MALLOC_NP_H	1
#endif
#endif

#ifndef HAVE_MALLOC_NP_H
/* Until the public header exists, declare the few names we use. */
int	mallctl(const char *, void *, size_t *, void *, size_t);
size_t	malloc_usable_size(void *);
#endif

/* glibc's internal entry points; domalloc defines them too. */
void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);
void	 __libc_free(void *);
void	*__libc_memalign(size_t, size_t);

#define	NTHREADS	8
#define	NITER		20000
#define	NSLOTS		64

static const char *check;
static int failures;

static void
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "static_prog: %s: ", check);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	failures++;
}

static void
check_version(void)
{
	const char *v;
	size_t len;
	int error;

	v = NULL;
	len = sizeof(v);
	error = mallctl("domalloc.version", &v, &len, NULL, 0);
	if (error != 0) {
		fail("mallctl(\"domalloc.version\") returned %d", error);
		return;
	}
	if (len != sizeof(v) || v == NULL) {
		fail("mallctl(\"domalloc.version\") gave no string");
		return;
	}
	if (strncmp(v, "domalloc", 8) != 0)
		fail("domalloc.version is \"%s\", not domalloc's", v);
	else
		printf("version %s\n", v);
}

static void
expect_usable(const char *what, void *p, size_t want)
{
	size_t got;

	if (p == NULL) {
		fail("%s returned NULL", what);
		return;
	}
	got = malloc_usable_size(p);
	if (got != want)
		fail("%s: usable size %zu, expected %zu", what, got, want);
}

static void
check_usable(void)
{
	static const struct {
		size_t	req;
		size_t	usable;
	} table[] = {
		{ 0, 16 }, { 1, 16 }, { 16, 16 }, { 17, 32 }, { 100, 112 },
		{ 129, 160 }, { 1025, 1152 }, { 1153, 1280 }, { 14336, 14336 },
		{ 14337, 16384 }, { 20000, 20480 },
	};
	char what[64];
	void *p;
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		p = malloc(table[i].req);
		snprintf(what, sizeof(what), "malloc(%zu)", table[i].req);
		expect_usable(what, p, table[i].usable);
		free(p);
	}
	if (malloc_usable_size(NULL) != 0)
		fail("malloc_usable_size(NULL) != 0");
}

static void
check_libc_entry(void)
{
	void *p, *q;

	/* The glibc names must reach the same allocator. */
	p = __libc_malloc(100);
	expect_usable("__libc_malloc(100)", p, 112);
	free(p);

	p = malloc(100);
	__libc_free(p);

	p = __libc_calloc(10, 10);
	expect_usable("__libc_calloc(10, 10)", p, 112);
	q = __libc_realloc(p, 150);
	expect_usable("__libc_realloc(p, 150)", q, 160);
	free(q);

	p = __libc_memalign(4096, 100);
	if (p == NULL || ((uintptr_t)p & 4095) != 0)
		fail("__libc_memalign(4096, 100) gave %p", p);
	free(p);
}

static void
check_libc_internal(void)
{
	FILE *f;
	char *line, *s;
	size_t cap;
	ssize_t n;

	/* Allocations glibc makes for us are freed by us, and vice versa. */
	s = strdup("x");
	expect_usable("strdup(\"x\")", s, 16);
	free(s);

	line = NULL;
	cap = 0;
	f = fopen("/proc/self/maps", "r");
	if (f == NULL) {
		fail("fopen /proc/self/maps: %s", strerror(errno));
		return;
	}
	while ((n = getline(&line, &cap, f)) > 0)
		;
	if (line == NULL || malloc_usable_size(line) < cap)
		fail("getline buffer (cap %zu) is not a domalloc block", cap);
	free(line);
	if (fclose(f) != 0)
		fail("fclose: %s", strerror(errno));

	if (asprintf(&s, "%0100d", 7) != 100)
		fail("asprintf");
	else
		expect_usable("asprintf of 100 characters", s, 112);
	free(s);
}

static void
check_memalign(void)
{
	size_t align, sizes[3];
	void *p;
	int error, i;

	for (align = sizeof(void *); align <= (4UL << 20); align <<= 1) {
		sizes[0] = 1;
		sizes[1] = align;
		sizes[2] = align + align / 2;
		for (i = 0; i < 3; i++) {
			p = NULL;
			error = posix_memalign(&p, align, sizes[i]);
			if (error != 0) {
				fail("posix_memalign(%zu, %zu) = %d", align,
				    sizes[i], error);
				continue;
			}
			if (((uintptr_t)p & (align - 1)) != 0)
				fail("posix_memalign(%zu, %zu) = %p", align,
				    sizes[i], p);
			if (malloc_usable_size(p) < sizes[i])
				fail("posix_memalign(%zu, %zu): usable %zu",
				    align, sizes[i], malloc_usable_size(p));
			memset(p, 0xa5, sizes[i]);
			free(p);
		}
	}
	p = &error;
	if (posix_memalign(&p, 3, 16) != EINVAL)
		fail("posix_memalign with alignment 3 did not fail EINVAL");
	if (p != &error)
		fail("posix_memalign changed *memptr on error");
	p = aligned_alloc(64, 128);
	if (p == NULL || ((uintptr_t)p & 63) != 0)
		fail("aligned_alloc(64, 128) = %p", p);
	free(p);
}

static void
check_calloc(void)
{
	unsigned char *p;
	size_t sizes[] = { 1, 100, 4000, 70000, 1 << 20, 3 << 20 };
	volatile size_t half;
	size_t i, j, k;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (k = 0; k < 4; k++) {
			/* Dirty a block, free it, then calloc the size. */
			p = malloc(sizes[i]);
			if (p == NULL) {
				fail("malloc(%zu) = NULL", sizes[i]);
				return;
			}
			memset(p, 0xff, sizes[i]);
			free(p);
			p = calloc(1, sizes[i]);
			if (p == NULL) {
				fail("calloc(1, %zu) = NULL", sizes[i]);
				return;
			}
			for (j = 0; j < sizes[i]; j++)
				if (p[j] != 0)
					break;
			if (j != sizes[i])
				fail("calloc(1, %zu): byte %zu is %#x",
				    sizes[i], j, p[j]);
			free(p);
		}
	}
	/* Hide the overflow from the compiler, which would warn. */
	errno = 0;
	half = SIZE_MAX / 2;
	p = calloc(half, 3);
	if (p != NULL || errno != ENOMEM)
		fail("overflowing calloc gave %p, errno %d", (void *)p, errno);
}

static void
check_realloc(void)
{
	unsigned char *p, *q;
	size_t size, old, i;

	p = NULL;
	old = 0;
	for (size = 1; size <= (4UL << 20); size += size / 3 + 1) {
		q = realloc(p, size);
		if (q == NULL) {
			fail("realloc(%p, %zu) = NULL", (void *)p, size);
			free(p);
			return;
		}
		for (i = 0; i < old; i++)
			if (q[i] != (unsigned char)(i * 7))
				break;
		if (i != old)
			fail("realloc to %zu lost byte %zu", size, i);
		for (i = old; i < size; i++)
			q[i] = (unsigned char)(i * 7);
		if (malloc_usable_size(q) < size)
			fail("realloc(%zu): usable %zu", size,
			    malloc_usable_size(q));
		p = q;
		old = size;
	}
	/* And back down, keeping the prefix. */
	for (size = old; size > 0; size /= 3) {
		q = realloc(p, size);
		if (q == NULL) {
			fail("shrinking realloc to %zu = NULL", size);
			break;
		}
		for (i = 0; i < size; i++)
			if (q[i] != (unsigned char)(i * 7))
				break;
		if (i != size)
			fail("shrinking realloc to %zu lost byte %zu", size, i);
		p = q;
	}
	free(p);
}

struct worker {
	pthread_t	 thr;
	unsigned	 id;
	void		*handoff[NSLOTS];	/* freed by the next thread */
	size_t		 handsize[NSLOTS];
	struct worker	*next;
	int		 bad;
	char		 msg[128];
};

static pthread_barrier_t barrier;

static uint64_t
rng(uint64_t *s)
{

	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

static int
pattern_ok(const unsigned char *p, size_t size, unsigned char c)
{
	size_t i;

	for (i = 0; i < size; i++)
		if (p[i] != c)
			return (0);
	return (1);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	void *live[NSLOTS];
	size_t lsize[NSLOTS], size;
	uint64_t s;
	unsigned char c;
	void *p;
	int i, slot;

	s = 0x9e3779b97f4a7c15ULL * (w->id + 1);
	memset(live, 0, sizeof(live));
	memset(lsize, 0, sizeof(lsize));

	/* Written first: gcc treats the const argument as a read. */
	p = calloc(1, 100);
	if (p == NULL || malloc_usable_size(p) != 112) {
		w->bad = 1;
		snprintf(w->msg, sizeof(w->msg),
		    "thread malloc(100) usable %zu",
		    p == NULL ? 0 : malloc_usable_size(p));
	}
	free(p);

	for (i = 0; i < NITER && !w->bad; i++) {
		slot = rng(&s) % NSLOTS;
		c = (unsigned char)(slot + w->id);
		if (live[slot] != NULL) {
			if (!pattern_ok(live[slot], lsize[slot], c)) {
				w->bad = 1;
				snprintf(w->msg, sizeof(w->msg),
				    "pattern of a %zu-byte block changed",
				    lsize[slot]);
			}
			free(live[slot]);
		}
		size = (i % 512 == 0) ? (rng(&s) % (2U << 20)) + 1 :
		    (rng(&s) % 4096) + 1;
		live[slot] = malloc(size);
		if (live[slot] == NULL) {
			w->bad = 1;
			snprintf(w->msg, sizeof(w->msg), "malloc(%zu) = NULL",
			    size);
			break;
		}
		lsize[slot] = size;
		memset(live[slot], c, size);
	}
	/* Leave blocks for the next thread to check and free. */
	for (i = 0; i < NSLOTS; i++) {
		w->handoff[i] = live[i];
		w->handsize[i] = lsize[i];
	}
	pthread_barrier_wait(&barrier);
	for (i = 0; i < NSLOTS; i++) {
		p = w->next->handoff[i];
		if (p == NULL)
			continue;
		c = (unsigned char)(i + w->next->id);
		if (!pattern_ok(p, w->next->handsize[i], c) && !w->bad) {
			w->bad = 1;
			snprintf(w->msg, sizeof(w->msg),
			    "handed-off block changed before remote free");
		}
		free(p);
	}
	return (NULL);
}

static void
check_threads(void)
{
	static struct worker w[NTHREADS];
	int error, i;

	pthread_barrier_init(&barrier, NULL, NTHREADS);
	for (i = 0; i < NTHREADS; i++) {
		w[i].id = i;
		w[i].next = &w[(i + 1) % NTHREADS];
	}
	for (i = 0; i < NTHREADS; i++) {
		error = pthread_create(&w[i].thr, NULL, worker_main, &w[i]);
		if (error != 0) {
			/* The barrier would never open; give up now. */
			fail("pthread_create: %s", strerror(error));
			exit(1);
		}
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(w[i].thr, NULL);
		if (w[i].bad)
			fail("thread %d: %s", i, w[i].msg);
	}
	pthread_barrier_destroy(&barrier);
}

/*
 * glibc's extensions, laid out as in its <malloc.h>: domalloc's archive
 * defines them, so the static link takes none of glibc's malloc object
 * (which would clash with domalloc's malloc), and they report domalloc.
 */
struct dm_mallinfo2 {
	size_t	arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks;
	size_t	uordblks, fordblks, keepcost;
};
struct dm_mallinfo2 mallinfo2(void);
int	malloc_trim(size_t);

static void
check_glibc_ext(void)
{
	struct dm_mallinfo2 mi;
	void *p;

	p = malloc(1 << 20);
	if (p == NULL) {
		fail("malloc(1 MiB) failed");
		return;
	}
	memset(p, 1, 1 << 20);
	mi = mallinfo2();
	free(p);
	if (mi.uordblks < (1 << 20))
		fail("mallinfo2 says %zu bytes in use, not >= 1 MiB",
		    mi.uordblks);
	else if (malloc_trim(0) != 1)
		fail("malloc_trim released nothing");
}

static const struct {
	const char	*name;
	void		(*fn)(void);
} checks[] = {
	{ "version",		check_version },
	{ "usable",		check_usable },
	{ "libc_entry",		check_libc_entry },
	{ "libc_internal",	check_libc_internal },
	{ "memalign",		check_memalign },
	{ "calloc",		check_calloc },
	{ "realloc",		check_realloc },
	{ "threads",		check_threads },
	{ "glibc_ext",		check_glibc_ext },
};

int
main(int argc, char **argv)
{
	size_t i;
	int all, found;

	if (argc != 2) {
		fprintf(stderr, "usage: static_prog all | check\n");
		return (2);
	}
	all = strcmp(argv[1], "all") == 0;
	found = 0;
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (!all && strcmp(argv[1], checks[i].name) != 0)
			continue;
		found = 1;
		check = checks[i].name;
		failures = 0;
		checks[i].fn();
		if (failures != 0)
			break;
		printf("ok %s\n", check);
	}
	if (!found) {
		fprintf(stderr, "static_prog: unknown check %s\n", argv[1]);
		return (2);
	}
	return (failures == 0 ? 0 : 1);
}
