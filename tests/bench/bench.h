/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * bench.h: helpers shared by the benchmark workload programs in tests/bench.
 * It owns the small pieces every workload needs and nothing else: a fast
 * per-thread PRNG, a monotonic clock, key=value argument parsing, reading
 * the resident set size and other /proc files (with open and read, never
 * stdio), the pattern with which workloads tag the objects they allocate
 * (and the check that finds corruption), and the one fatal-error exit.
 * The workloads are ordinary programs linked against the system C library,
 * so the same binary runs under every allocator that the runner puts in
 * LD_PRELOAD; nothing in this header allocates memory.  There is no shared
 * state here, so there is no locking.
 */

#ifndef BENCH_H
#define BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Exit status of a workload that found a corrupted object. */
#define	BENCH_EXIT_CORRUPT	3
/* Exit status of a workload whose allocation failed. */
#define	BENCH_EXIT_NOMEM	4

static void bench_die(int, const char *, ...)
    __attribute__((noreturn, unused, format(printf, 2, 3)));

static void
bench_die(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(status);
}

/*
 * Keep the compiler from proving that an object is dead: without this,
 * gcc may delete a malloc/free pair whose pointer never escapes.
 */
static inline void
bench_escape(void *p)
{

	__asm__ volatile("" : : "g"(p) : "memory");
}

static inline void *
bench_nonnull(void *p, size_t size)
{

	if (p == NULL)
		bench_die(BENCH_EXIT_NOMEM, "allocation of %zu bytes failed",
		    size);
	return (p);
}

/* splitmix64: one state word per thread, good enough for workloads. */
struct bench_rng {
	uint64_t	s;
};

static inline void
bench_rng_seed(struct bench_rng *r, uint64_t seed)
{

	r->s = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
}

static inline uint64_t
bench_rng_next(struct bench_rng *r)
{
	uint64_t z;

	z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Uniform in [0, n), n > 0; the bias of the multiply is irrelevant here. */
static inline uint64_t
bench_rng_below(struct bench_rng *r, uint64_t n)
{

	return ((uint64_t)(((unsigned __int128)bench_rng_next(r) * n) >> 64));
}

/* Uniform in [lo, hi]. */
static inline size_t
bench_rng_range(struct bench_rng *r, size_t lo, size_t hi)
{

	return (lo + (size_t)bench_rng_below(r, hi - lo + 1));
}

/*
 * Log-uniform in [lo, hi]: every doubling is equally likely, which is how
 * object sizes of real programs tend to spread over the size classes.
 */
static inline size_t
bench_rng_logsize(struct bench_rng *r, size_t lo, size_t hi)
{
	size_t a, b;
	int bits;

	bits = 0;
	while ((lo << (bits + 1)) <= hi && bits < 62)
		bits++;
	a = lo << bench_rng_below(r, (uint64_t)bits + 1);
	b = a * 2 - 1;
	if (b > hi)
		b = hi;
	return (bench_rng_range(r, a, b));
}

static inline uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

/*
 * Read a small /proc file into buf (NUL-terminated) with open and read, not
 * stdio, so that reading it never calls malloc: the memory-return
 * workloads read /proc while the process must stay out of the allocator.
 * Returns the length, or -1.
 */
static inline ssize_t
bench_read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return (-1);
	got = 0;
	while ((size_t)got < size - 1) {
		n = read(fd, buf + got, size - 1 - (size_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return (got);
}

/* Resident set size of this process in KiB, from /proc/self/statm. */
static inline long
bench_rss_kib(void)
{
	char buf[128], *end;
	long rss;

	if (bench_read_file("/proc/self/statm", buf, sizeof(buf)) <= 0)
		return (-1);
	/* The fields are size, resident, shared, ... in pages. */
	(void)strtol(buf, &end, 10);
	rss = strtol(end, &end, 10);
	if (rss <= 0)
		return (-1);
	return (rss * (sysconf(_SC_PAGESIZE) / 1024));
}

/*
 * Arguments are key=value words, each key naming a long in a table.
 * An unknown key or a malformed number is a usage error.
 */
struct bench_opt {
	const char	*name;
	long		*val;
	const char	*help;
};

static inline const char *
bench_args(int argc, char **argv, const struct bench_opt *opts,
    const char **modes)
{
	const struct bench_opt *o;
	const char *mode, *eq;
	char *end;
	size_t klen;
	int i, j;

	mode = modes != NULL ? modes[0] : NULL;
	for (i = 1; i < argc; i++) {
		eq = strchr(argv[i], '=');
		if (eq == NULL)
			goto usage;
		klen = (size_t)(eq - argv[i]);
		if (modes != NULL && klen == 4 &&
		    strncmp(argv[i], "mode", 4) == 0) {
			for (j = 0; modes[j] != NULL; j++)
				if (strcmp(eq + 1, modes[j]) == 0)
					break;
			if (modes[j] == NULL)
				goto usage;
			mode = modes[j];
			continue;
		}
		for (o = opts; o->name != NULL; o++)
			if (strlen(o->name) == klen &&
			    strncmp(argv[i], o->name, klen) == 0)
				break;
		if (o->name == NULL)
			goto usage;
		errno = 0;
		*o->val = strtol(eq + 1, &end, 0);
		if (errno != 0 || *end != '\0' || end == eq + 1)
			goto usage;
	}
	return (mode);
usage:
	fprintf(stderr, "usage: %s", argv[0]);
	if (modes != NULL) {
		fprintf(stderr, " [mode=%s", modes[0]);
		for (j = 1; modes[j] != NULL; j++)
			fprintf(stderr, "|%s", modes[j]);
		fprintf(stderr, "]");
	}
	for (o = opts; o->name != NULL; o++)
		fprintf(stderr, " [%s=%ld]", o->name, *o->val);
	fprintf(stderr, "\n");
	for (o = opts; o->name != NULL; o++)
		fprintf(stderr, "  %-10s %s\n", o->name, o->help);
	exit(2);
}

/*
 * Object tagging.  Every object of 8 bytes or more starts with a header of
 * its size and a tag (two 32-bit words), followed by pattern words: one per
 * 8 bytes in the first 256 bytes, then one per 4096 bytes (so every page of
 * a large object is touched), then a last word that ends at the object's
 * end.  The words never overlap, so a check recomputes them exactly.  The
 * pattern depends on the tag and the offset, so an object that was handed
 * out twice, or overwritten by a neighbour, does not check.
 */
static inline uint64_t
bench_pat(uint32_t tag, size_t off)
{

	return (((uint64_t)tag << 32 ^ off ^ 0x5bd1e995U) *
	    0x9e3779b97f4a7c15ULL);
}

static inline size_t
bench_pat_step(size_t off)
{

	return (off < 256 ? 8 : 4096);
}

static inline void
bench_fill(void *p, size_t n, uint32_t tag)
{
	unsigned char *b;
	uint32_t hdr[2];
	uint64_t w;
	size_t off;

	b = p;
	if (n < 8) {
		for (off = 0; off < n; off++)
			b[off] = (unsigned char)(tag + off);
		return;
	}
	hdr[0] = (uint32_t)n;
	hdr[1] = tag;
	memcpy(b, hdr, sizeof(hdr));
	for (off = 8; off + 16 <= n; off += bench_pat_step(off)) {
		w = bench_pat(tag, off);
		memcpy(b + off, &w, sizeof(w));
	}
	if (n >= 16) {
		w = bench_pat(tag, n - 8);
		memcpy(b + n - 8, &w, sizeof(w));
	}
}

/*
 * Check an object filled by bench_fill.  If n is 0 the size is taken from
 * the header.  Returns the size; exits with BENCH_EXIT_CORRUPT on a
 * mismatch.
 */
static inline size_t
bench_check(const void *p, size_t n, uint32_t tag, const char *where)
{
	const unsigned char *b;
	uint32_t hdr[2];
	uint64_t w;
	size_t off;

	b = p;
	if (n != 0 && n < 8) {
		for (off = 0; off < n; off++)
			if (b[off] != (unsigned char)(tag + off))
				goto bad;
		return (n);
	}
	memcpy(hdr, b, sizeof(hdr));
	if (n == 0) {
		n = hdr[0];
		tag = hdr[1];
		if (n < 8)
			goto bad;
	}
	if (hdr[0] != (uint32_t)n || hdr[1] != tag)
		goto bad;
	for (off = 8; off + 16 <= n; off += bench_pat_step(off)) {
		memcpy(&w, b + off, sizeof(w));
		if (w != bench_pat(tag, off))
			goto bad;
	}
	if (n >= 16) {
		memcpy(&w, b + n - 8, sizeof(w));
		if (w != bench_pat(tag, n - 8))
			goto bad;
	}
	return (n);
bad:
	bench_die(BENCH_EXIT_CORRUPT,
	    "%s: object %p (size %zu, tag %#x) is corrupt", where, p, n,
	    (unsigned)tag);
}

/*
 * Check only the part of a tagged object that survives a realloc from
 * size "old" to a larger or smaller size: the header and the pattern words
 * that lie wholly inside both sizes (the last word is not among them).
 */
static inline void
bench_check_prefix(const void *p, size_t old, size_t keep, uint32_t tag,
    const char *where)
{
	const unsigned char *b;
	uint32_t hdr[2];
	uint64_t w;
	size_t off;

	b = p;
	memcpy(hdr, b, sizeof(hdr));
	if (hdr[0] != (uint32_t)old || hdr[1] != tag)
		goto bad;
	for (off = 8; off + 16 <= old && off + 8 <= keep;
	    off += bench_pat_step(off)) {
		memcpy(&w, b + off, sizeof(w));
		if (w != bench_pat(tag, off))
			goto bad;
	}
	return;
bad:
	bench_die(BENCH_EXIT_CORRUPT,
	    "%s: object %p lost its contents in realloc (%zu -> %zu)", where,
	    p, old, keep);
}

/* The line the runner looks for; extra key=value fields may follow. */
static inline void
bench_result(const char *workload, uint64_t ops, uint64_t ns,
    const char *extra)
{
	double secs;

	secs = (double)ns / 1e9;
	printf("RESULT workload=%s ops=%llu secs=%.3f mops=%.3f%s%s "
	    "check=ok\n", workload, (unsigned long long)ops, secs,
	    secs > 0 ? (double)ops / secs / 1e6 : 0.0,
	    extra != NULL && *extra != '\0' ? " " : "",
	    extra != NULL ? extra : "");
	fflush(stdout);
}

#endif /* !BENCH_H */
