/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Shared helpers for the black-box ATF tests of the standard allocation
 * API in this directory.  This header owns: the prototypes of the non-ISO
 * entry points the tests call (taken from <malloc_np.h> when it exists),
 * compiler barriers that stop the optimiser from eliding or reasoning
 * about allocations, a position-dependent byte pattern used to detect
 * corruption, the size class rule the allocator documents, readers for
 * /proc/self/statm, and a runner that executes a function in a forked
 * child with its stderr captured, so that tests can assert that misuse
 * aborts with a "<domalloc>" diagnostic.  It holds no shared state.
 */

#ifndef MALLOC_TEST_UTIL_H
#define	MALLOC_TEST_UTIL_H

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atf-c.h>

#if defined(__has_include)
#if __has_include(<malloc_np.h>)
#include <malloc_np.h>
#define	MT_HAVE_MALLOC_NP	1
#endif
#endif

#ifndef MT_HAVE_MALLOC_NP
/* FreeBSD declares this in <malloc_np.h>; glibc only in <malloc.h>. */
size_t	malloc_usable_size(void *);
#endif

/*
 * Names outside ISO C that neither glibc's <stdlib.h> nor <malloc_np.h>
 * is certain to declare.  Redeclaring a function with the same type is
 * harmless when a system header declares it too.
 */
int	 posix_memalign(void **, size_t, size_t);
void	*aligned_alloc(size_t, size_t);
void	*memalign(size_t, size_t);
void	*valloc(size_t);
void	*pvalloc(size_t);
void	*reallocarray(void *, size_t, size_t);
void	 free_sized(void *, size_t);
void	 free_aligned_sized(void *, size_t, size_t);
void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);
void	 __libc_free(void *);
void	*__libc_memalign(size_t, size_t);
void	*__libc_valloc(size_t);
void	*__libc_pvalloc(size_t);
int	 __posix_memalign(void **, size_t, size_t);

#define	MT_KIB		((size_t)1024)
#define	MT_MIB		(MT_KIB * 1024)
#define	MT_GIB		(MT_MIB * 1024)
#define	MT_HUGE_ALIGN	(2 * MT_MIB)	/* superpage size on x86-64 */
#define	MT_SMALL_MAX	((size_t)14336)
#define	MT_LARGE_MAX	((size_t)1835008)	/* 1.75 MiB */

#ifdef MT_HAVE_MALLOC_NP
/*
 * lg of the page in force when it is larger than 4 KiB, else 0: forced
 * by lg_page on a 4 KiB kernel, or the kernel's own (16 KiB or 64 KiB
 * AArch64 kernels).  Such a page brings a superpage of 2^(2 lg - 3)
 * bytes, 32 MiB or 512 MiB (geom.h).
 */
static inline unsigned
mt_lg_page_forced(void)
{
	size_t page = 0, len = sizeof(page);
	unsigned lg = 0;

	if (mallctl("arenas.page", &page, &len, NULL, 0) != 0 ||
	    page <= 4096)
		return (0);
	while (((size_t)1 << lg) < page)
		lg++;
	return (lg);
}
#endif

#ifdef MT_HAVE_MALLOC_NP
/*
 * Skip a test whose address space budget is set for 2 MiB superpages when
 * lg_page brings larger ones (whole superpages are mapped and kept).
 */
static inline void
mt_need_2m_superpages(void)
{
	unsigned lg = mt_lg_page_forced();

	if (lg > 12)
		atf_tc_skip("lg_page:%u brings superpages of %zu MiB; this "
		    "test's address space budget is set for 2 MiB ones", lg,
		    ((size_t)1 << (2 * lg - 3)) >> 20);
}

/*
 * domalloc's superpage: 2 MiB here, unless lg_page brings a larger one;
 * allocations from there on are huge spans of their own.
 */
static inline size_t
mt_superpage(void)
{
	unsigned lg = mt_lg_page_forced();

	return (lg > 12 ? (size_t)1 << (2 * lg - 3) : 2 * MT_MIB);
}
#endif

/* Monotonic time in seconds. */
static inline double
mt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/*
 * Hide a value from the optimiser, so that it can neither pair up
 * malloc and free and delete them, nor warn about sizes it can prove
 * too large, nor prove that a pointer is not a heap pointer.
 */
static inline void *
mt_hide(void *p)
{

	__asm__ __volatile__("" : "+r" (p));
	return (p);
}

static inline size_t
mt_size(size_t n)
{

	__asm__ __volatile__("" : "+r" (n));
	return (n);
}

/*
 * Make the compiler believe that the memory at p is used.  (Not const:
 * GCC would then assume the memory is read, and warn when it is fresh.)
 */
static inline void
mt_escape(void *p)
{

	__asm__ __volatile__("" : : "r" (p) : "memory");
}

/*
 * malloc_usable_size through a hidden pointer: FreeBSD declares its
 * argument const, and GCC then warns that fresh memory is read.
 */
static inline size_t
mt_usable(void *p)
{

	return (malloc_usable_size(mt_hide(p)));
}

static inline bool
mt_aligned(const void *p, size_t align)
{

	return (((uintptr_t)p & (align - 1)) == 0);
}

/*
 * Pattern: byte i of an object filled with seed s is a function of
 * (s, i) only, so a prefix of an object filled with one seed can be
 * checked after realloc has moved it.  Words are written through memcpy
 * so that any starting alignment works.
 */
static inline uint64_t
mt_pattern_word(uint64_t seed, size_t k)
{
	uint64_t x;

	x = ((seed + 1) * 0x9e3779b97f4a7c15ULL) ^
	    ((uint64_t)k * 0xc2b2ae3d27d4eb4fULL);
	x ^= x >> 29;
	return (x);
}

static inline void
mt_fill(void *p, size_t n, uint64_t seed)
{
	unsigned char *c;
	uint64_t w;
	size_t k;

	c = p;
	for (k = 0; k < n / 8; k++) {
		w = mt_pattern_word(seed, k);
		memcpy(c + k * 8, &w, 8);
	}
	if (n % 8 != 0) {
		w = mt_pattern_word(seed, k);
		memcpy(c + k * 8, &w, n % 8);
	}
}

/* Return the offset of the first wrong byte, or SIZE_MAX if none. */
static inline size_t
mt_check(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *c;
	uint64_t w;
	size_t i, k;

	c = p;
	for (k = 0; k < (n + 7) / 8; k++) {
		w = mt_pattern_word(seed, k);
		if (k * 8 + 8 <= n) {
			if (memcmp(c + k * 8, &w, 8) == 0)
				continue;
		}
		for (i = k * 8; i < n && i < k * 8 + 8; i++)
			if (c[i] != ((const unsigned char *)&w)[i - k * 8])
				return (i);
	}
	return (SIZE_MAX);
}

/* Return the offset of the first byte that is not v, or SIZE_MAX. */
static inline size_t
mt_check_byte(const void *p, size_t n, unsigned char v)
{
	const unsigned char *c;
	size_t i;

	c = p;
	for (i = 0; i < n; i++)
		if (c[i] != v)
			return (i);
	return (SIZE_MAX);
}

/*
 * The documented size class of a request: a 16-byte quantum up to 128,
 * then four classes per doubling (128 < n <= 256 in steps of 32, and so
 * on), but eight from 4 KiB to the largest small class (steps of 512 to
 * 8 KiB, then of 1024 to 14336; 14337 to 16384 is one class), and 1152
 * between 1024 and 1280.  A request of 0 gets the smallest class.
 */
static inline size_t
mt_class_size(size_t n)
{
	size_t lg, step;

	if (n <= 16)
		return (16);
	if (n <= 128)
		return ((n + 15) & ~(size_t)15);
	if (n > MT_SMALL_MAX && n <= 16 * MT_KIB)
		return (16 * MT_KIB);
	if (n > MT_KIB && n <= 1152)
		return (1152);
	lg = 63 - (size_t)__builtin_clzll((unsigned long long)(n - 1));
	step = (size_t)1 << (lg - (n > 4 * MT_KIB && n <= MT_SMALL_MAX ?
	    3 : 2));
	return ((n + step - 1) & ~(step - 1));
}

/* The class that follows class c. */
static inline size_t
mt_next_class(size_t c)
{

	return (mt_class_size(c + 1));
}

static inline size_t
mt_page_size(void)
{

	return ((size_t)sysconf(_SC_PAGESIZE));
}

/*
 * Field f (0 = size, 1 = resident) of /proc/self/statm, in bytes, or 0
 * if it cannot be read.  Usable in a forked child.
 */
static inline size_t
mt_statm_raw(int f)
{
	char buf[256];
	unsigned long v[2];
	ssize_t len;
	int fd;

	fd = open("/proc/self/statm", O_RDONLY);
	if (fd < 0)
		return (0);
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return (0);
	buf[len] = '\0';
	if (sscanf(buf, "%lu %lu", &v[0], &v[1]) != 2)
		return (0);
	return ((size_t)v[f] * mt_page_size());
}

static inline size_t
mt_statm(int f)
{
	size_t v;

	v = mt_statm_raw(f);
	ATF_REQUIRE_MSG(v != 0, "cannot read /proc/self/statm");
	return (v);
}

static inline size_t
mt_rss(void)
{

	return (mt_statm(1));
}

static inline size_t
mt_vmsize(void)
{

	return (mt_statm(0));
}

/*
 * Child side of mt_run_child: report a failure on stderr and exit 1.
 * Only async-signal-safe calls besides vsnprintf, so it works in a child
 * forked from a threaded parent.
 */
static inline void __attribute__((__noreturn__, __format__(__printf__, 1, 2)))
mt_child_fail(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	if (len > (int)sizeof(buf) - 2)
		len = (int)sizeof(buf) - 2;
	buf[len++] = '\n';
	(void)write(STDERR_FILENO, buf, (size_t)len);
	_exit(1);
}

struct mt_child {
	int	status;		/* as returned by waitpid */
	size_t	errlen;
	char	err[8192];	/* the child's stderr, NUL-terminated */
};

/*
 * Run fn(arg) in a forked child whose stderr goes to a pipe that the
 * parent drains into cr->err.  The child exits 0 if fn returns.  An
 * alarm of timeout seconds turns a hang in the child into SIGALRM.
 * Core dumps are disabled in the child: the misuse tests abort on
 * purpose.
 */
static inline void
mt_run_child(struct mt_child *cr, unsigned timeout, void (*fn)(void *),
    void *arg)
{
	struct rlimit rl;
	ssize_t n;
	pid_t pid;
	int fds[2];

	memset(cr, 0, sizeof(*cr));
	ATF_REQUIRE_MSG(pipe(fds) == 0, "pipe: %s", strerror(errno));
	pid = fork();
	ATF_REQUIRE_MSG(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		if (dup2(fds[1], STDERR_FILENO) < 0)
			_exit(125);
		close(fds[1]);
		rl.rlim_cur = rl.rlim_max = 0;
		(void)setrlimit(RLIMIT_CORE, &rl);
		alarm(timeout);
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	for (;;) {
		n = read(fds[0], cr->err + cr->errlen,
		    sizeof(cr->err) - 1 - cr->errlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		cr->errlen += (size_t)n;
		if (cr->errlen == sizeof(cr->err) - 1) {
			/* Keep draining so that the child cannot block. */
			char sink[512];

			while (read(fds[0], sink, sizeof(sink)) > 0)
				continue;
			break;
		}
	}
	cr->err[cr->errlen] = '\0';
	close(fds[0]);
	while (waitpid(pid, &cr->status, 0) < 0)
		ATF_REQUIRE_MSG(errno == EINTR, "waitpid: %s",
		    strerror(errno));
}

/* Describe a wait status for a failure message. */
static inline const char *
mt_status_str(int status, char *buf, size_t len)
{

	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "wait status 0x%x", status);
	return (buf);
}

/* The child must have exited 0; otherwise fail with what it said. */
static inline void
mt_require_child_ok(const struct mt_child *cr, const char *what)
{
	char sbuf[128];

	ATF_REQUIRE_MSG(WIFEXITED(cr->status) && WEXITSTATUS(cr->status) == 0,
	    "%s: child %s; stderr: %s", what,
	    mt_status_str(cr->status, sbuf, sizeof(sbuf)), cr->err);
}

/*
 * The child must have been killed by SIGABRT after printing a
 * diagnostic that names the allocator.
 */
static inline void
mt_require_child_abort(const struct mt_child *cr, const char *what)
{
	char sbuf[128];

	ATF_REQUIRE_MSG(WIFSIGNALED(cr->status) &&
	    WTERMSIG(cr->status) == SIGABRT,
	    "%s was not caught: child %s (expected SIGABRT); stderr: %s",
	    what, mt_status_str(cr->status, sbuf, sizeof(sbuf)), cr->err);
	ATF_REQUIRE_MSG(strstr(cr->err, "<domalloc>") != NULL,
	    "%s aborted without a \"<domalloc>\" diagnostic; stderr: %s",
	    what, cr->err);
}

/* Small deterministic PRNG (xorshift64*), one state per thread. */
static inline uint64_t
mt_rand(uint64_t *state)
{
	uint64_t x;

	x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (x * 0x2545f4914f6cdd1dULL);
}

#endif /* !MALLOC_TEST_UTIL_H */
