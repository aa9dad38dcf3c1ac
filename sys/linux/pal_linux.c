/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * pal_linux.c: the platform layer on Linux (see pal.h for the contract).
 *
 * Memory comes from anonymous private mmap(2); purging uses madvise(2)
 * (MADV_FREE when the kernel has it, MADV_DONTNEED otherwise); huge page
 * advice is MADV_HUGEPAGE / MADV_NOHUGEPAGE, and MADV_COLLAPSE where the
 * kernel knows it.  The THP mode and the NUMA node count are read from
 * /sys with open/read, never stdio, so nothing here allocates.  Locks are
 * futex(2) based.  Locking: pal_caps is written once by pal_init() under
 * the allocator's init lock and only read afterwards.
 *
 * Only calls that glibc and musl both have are used (the musl build of
 * share/mk/musl.mk compiles this file against musl's headers): the secure
 * environment test is getauxval(AT_SECURE) rather than glibc's
 * secure_getenv, and the futex constants have a fallback for a libc
 * installation without the kernel's <linux/futex.h>.
 */
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if __has_include(<linux/futex.h>)
#include <linux/futex.h>
#else
#define	FUTEX_WAIT_PRIVATE	128	/* FUTEX_WAIT | FUTEX_PRIVATE_FLAG */
#define	FUTEX_WAKE_PRIVATE	129	/* FUTEX_WAKE | FUTEX_PRIVATE_FLAG */
#endif

#include "pal.h"

#ifndef MADV_FREE
#define	MADV_FREE	8
#endif
#ifndef MADV_COLLAPSE
#define	MADV_COLLAPSE	25
#endif

struct pal_caps pal_caps;

ssize_t
pal_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n, got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return (-1);
	got = 0;
	while ((size_t)got + 1 < len) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return (got);
}

static enum pal_thp
pal_thp_mode(void)
{
	char buf[128];

	if (pal_read_file("/sys/kernel/mm/transparent_hugepage/enabled",
	    buf, sizeof(buf)) <= 0)
		return (PAL_THP_UNSUPPORTED);
	if (strstr(buf, "[always]") != NULL)
		return (PAL_THP_ALWAYS);
	if (strstr(buf, "[madvise]") != NULL)
		return (PAL_THP_MADVISE);
	return (PAL_THP_NEVER);
}

/* Count the CPUs of our affinity mask without allocating. */
static unsigned
pal_count_cpus(void)
{
	unsigned long mask[64];
	long n;
	unsigned c;
	size_t i;

	n = syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask);
	if (n <= 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		return (n > 0 ? (unsigned)n : 1);
	}
	c = 0;
	for (i = 0; i < (size_t)n / sizeof(mask[0]); i++)
		c += __builtin_popcountl(mask[i]);
	return (c > 0 ? c : 1);
}

/*
 * strtoul(p, end, 10) for the numbers of /sys files.  Ours because
 * glibc's reads the locale's character class table: start-up would fault
 * in 64 KiB of the C library's text and 16 KiB of its tables that a small
 * program otherwise never touches.  Saturates instead of overflowing.
 */
unsigned long
pal_strtoul(const char *p, char **end)
{
	const char *s = p;
	unsigned long v = 0;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (*s < '0' || *s > '9') {
		*end = (char *)(uintptr_t)p;
		return (0);
	}
	for (; *s >= '0' && *s <= '9'; s++)
		v = v > (ULONG_MAX - 9) / 10 ? ULONG_MAX :
		    v * 10 + (unsigned long)(*s - '0');
	*end = (char *)(uintptr_t)s;
	return (v);
}

/*
 * Walk a kernel list such as "0-3,8,10-11", calling fn for each number.
 * Returns how many numbers there were.
 */
static unsigned
pal_parse_list(const char *p, void (*fn)(unsigned, void *), void *arg)
{
	char *end;
	unsigned count = 0, lo, hi, i;

	while (*p >= '0' && *p <= '9') {
		lo = (unsigned)pal_strtoul(p, &end);
		p = end;
		hi = lo;
		if (*p == '-') {
			hi = (unsigned)pal_strtoul(p + 1, &end);
			p = end;
		}
		for (i = lo; i <= hi && i < 65536; i++) {
			if (fn != NULL)
				fn(i, arg);
			count++;
		}
		if (*p == ',')
			p++;
	}
	return (count);
}

/* "/sys/devices/system/node/node<i>/<leaf>" without stdio. */
static void
pal_node_path(char *buf, size_t len, unsigned i, const char *leaf)
{
	static const char pre[] = "/sys/devices/system/node/node";
	char num[12];
	size_t n = 0, k;

	do {
		num[n++] = (char)('0' + i % 10);
		i /= 10;
	} while (i != 0 && n < sizeof(num));
	k = sizeof(pre) - 1;
	if (k + n + 1 + strlen(leaf) + 1 > len) {
		buf[0] = '\0';
		return;
	}
	memcpy(buf, pre, k);
	while (n > 0)
		buf[k++] = num[--n];
	buf[k++] = '/';
	memcpy(buf + k, leaf, strlen(leaf) + 1);
}

static void
pal_note_cpu(unsigned cpu, void *arg)
{
	if (cpu < PAL_MAX_CPUS)
		pal_caps.cpu_node[cpu] = (uint8_t)(uintptr_t)arg;
}

/*
 * The topology from /sys/devices/system/node: which nodes exist, the CPUs
 * of each and the distance table.  Nodes are numbered as the kernel does;
 * a machine whose node numbers are not 0..n-1 is treated as one node.
 */
static void
pal_read_topology(void)
{
	char path[96], buf[1024], *p, *end;
	unsigned n, i, j;

	pal_caps.nnodes = 1;
	pal_caps.distance[0][0] = 10;
	if (pal_read_file("/sys/devices/system/node/online", buf,
	    sizeof(buf)) <= 0)
		return;
	n = pal_parse_list(buf, NULL, NULL);
	if (n <= 1 || n > PAL_MAX_NODES)
		return;
	for (i = 0; i < n; i++) {
		pal_node_path(path, sizeof(path), i, "cpulist");
		if (pal_read_file(path, buf, sizeof(buf)) < 0)
			return;		/* numbering with holes */
	}
	for (i = 0; i < n; i++) {
		pal_node_path(path, sizeof(path), i, "cpulist");
		pal_read_file(path, buf, sizeof(buf));
		pal_parse_list(buf, pal_note_cpu, (void *)(uintptr_t)i);
		pal_node_path(path, sizeof(path), i, "distance");
		if (pal_read_file(path, buf, sizeof(buf)) <= 0)
			continue;
		p = buf;
		for (j = 0; j < n; j++) {
			pal_caps.distance[i][j] =
			    (uint8_t)pal_strtoul(p, &end);
			if (end == p)
				break;
			p = end;
		}
	}
	pal_caps.nnodes = n;
	pal_caps.numa = true;
}

void
pal_simulate_topology(unsigned nnodes, unsigned ncpus,
    const uint8_t *cpu_node)
{
	unsigned i, j;

	if (nnodes == 0 || nnodes > PAL_MAX_NODES)
		nnodes = 1;
	pal_caps.nnodes = nnodes;
	pal_caps.numa = nnodes > 1;
	pal_caps.ncpus = ncpus;
	for (i = 0; i < ncpus && i < PAL_MAX_CPUS; i++)
		pal_caps.cpu_node[i] = cpu_node[i];
	for (i = 0; i < nnodes; i++)
		for (j = 0; j < nnodes; j++)
			pal_caps.distance[i][j] = i == j ? 10 : 20;
}

void
pal_init(void)
{
	char buf[32];
	long pg;

	/* The auxiliary vector, not sysconf: see pal_strtoul. */
	pg = (long)getauxval(AT_PAGESZ);
	if (pg <= 0)
		pg = sysconf(_SC_PAGESIZE);
	pal_caps.page_size = pg > 0 ? (size_t)pg : ((size_t)1 << ARCH_LG_PAGE);
	pal_caps.superpage_size = (size_t)1 << ARCH_LG_SUPERPAGE;
	pal_caps.ncpus = pal_count_cpus();
	pal_caps.thp = pal_thp_mode();
	pal_caps.purge_lazy = true;
	pal_caps.collapse = false;
	pal_read_topology();
	pal_caps.overcommit = true;
	if (pal_read_file("/proc/sys/vm/overcommit_memory", buf,
	    sizeof(buf)) > 0 && buf[0] == '2')
		pal_caps.overcommit = false;
}

void *
pal_map(size_t size, size_t align)
{
	uintptr_t a, lead, aligned;
	size_t total, trail;
	void *p;

	if (size == 0 || size + align < size) {
		errno = ENOMEM;
		return (NULL);
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		errno = ENOMEM;
		return (NULL);
	}
	if (((uintptr_t)p & (align - 1)) == 0)
		return (p);
	/* Misaligned: map a larger range and trim both ends. */
	munmap(p, size);
	total = size + align;
	p = mmap(NULL, total, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		errno = ENOMEM;
		return (NULL);
	}
	a = (uintptr_t)p;
	aligned = (a + align - 1) & ~(uintptr_t)(align - 1);
	lead = aligned - a;
	trail = total - lead - size;
	if (lead != 0)
		munmap(p, lead);
	if (trail != 0)
		munmap((void *)(aligned + size), trail);
	return ((void *)aligned);
}

void
pal_unmap(void *addr, size_t size)
{
	munmap(addr, size);
}

void
pal_purge_lazy(void *addr, size_t size)
{
	if (pal_caps.purge_lazy && madvise(addr, size, MADV_FREE) == 0)
		return;
	pal_caps.purge_lazy = false;
	madvise(addr, size, MADV_DONTNEED);
}

void
pal_purge_forced(void *addr, size_t size)
{
	madvise(addr, size, MADV_DONTNEED);
}

void
pal_hugepage(void *addr, size_t size, bool huge)
{
	if (pal_caps.thp == PAL_THP_UNSUPPORTED)
		return;
	madvise(addr, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
}

bool
pal_collapse(void *addr, size_t size)
{
	if (madvise(addr, size, MADV_COLLAPSE) == 0) {
		pal_caps.collapse = true;
		return (true);
	}
	return (false);
}

bool
pal_protect(void *addr, size_t size, bool access)
{
	return (mprotect(addr, size, access ? PROT_READ | PROT_WRITE :
	    PROT_NONE) == 0);
}

uint64_t
pal_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

uint64_t
pal_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

/* splitmix64's finaliser: every input bit moves every output bit. */
static uint64_t
pal_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return (x ^ (x >> 31));
}

uint64_t
pal_random(void)
{
	const unsigned char *r;
	uint64_t v = 0, w[2];
	long n;

	/* Non-blocking: early in boot the pool may not be ready yet. */
	n = syscall(SYS_getrandom, &v, sizeof(v), 0x1 /* GRND_NONBLOCK */);
	if (n == (long)sizeof(v))
		return (pal_mix(v));
	/*
	 * AT_RANDOM: 16 bytes the kernel gave this exec, which the C library
	 * uses for its stack canary and pointer guard: hashed, never used as
	 * they are, so a leak of ours tells nothing of theirs.
	 */
	v = pal_clock_ns() ^ (uint64_t)(uintptr_t)&v;
	r = (const unsigned char *)getauxval(AT_RANDOM);
	if (r != NULL) {
		memcpy(w, r, sizeof(w));
		v = pal_mix(v ^ pal_mix(w[0] ^ pal_mix(w[1])));
	}
	return (pal_mix(v));
}

void
pal_write_err(const char *s, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(STDERR_FILENO, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

const char *
pal_getenv(const char *name)
{
	/* What secure_getenv does, without needing glibc for it. */
	if (getauxval(AT_SECURE) != 0)
		return (NULL);
	return (getenv(name));
}

ssize_t
pal_readlink(const char *path, char *buf, size_t len)
{
	int saved;
	ssize_t n;

	saved = errno;
	n = readlink(path, buf, len - 1);
	errno = saved;
	if (n < 0)
		return (-1);
	buf[n] = '\0';
	return (n);
}

void
pal_futex_wait(_Atomic uint32_t *addr, uint32_t val)
{
	int saved;

	saved = errno;
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
	errno = saved;
}

void
pal_futex_wake(_Atomic uint32_t *addr, int nwake)
{
	int saved;

	saved = errno;
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, nwake, NULL, NULL, 0);
	errno = saved;
}

void
pal_yield(void)
{
	sched_yield();
}

bool
pal_thread_create(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t t;
	int err;

	/* The new thread inherits the mask: every signal blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return (err == 0);
}

void
pal_sleep_ns(uint64_t ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
}

unsigned
pal_getcpu(void)
{
	int c;

	c = sched_getcpu();
	return (c < 0 ? 0 : (unsigned)c);
}

unsigned
pal_getnode(void)
{
	unsigned cpu;

	if (!pal_caps.numa)
		return (0);
	cpu = pal_getcpu();
	return (cpu < PAL_MAX_CPUS ? pal_caps.cpu_node[cpu] : 0);
}

/* The numaif.h constants, kept here so no libnuma header is needed. */
#define	PAL_MPOL_PREFERRED	1
#define	PAL_MPOL_BIND		2
#define	PAL_MPOL_INTERLEAVE	3
#define	PAL_MPOL_F_NODE		(1 << 0)
#define	PAL_MPOL_F_ADDR		(1 << 1)

bool
pal_bind(void *addr, size_t size, unsigned node, enum pal_bind_mode mode)
{
	unsigned long mask[PAL_MAX_NODES / (8 * sizeof(unsigned long)) + 1];
	unsigned i;
	int policy, saved;
	long r;

	if (!pal_caps.numa || node >= pal_caps.nnodes)
		return (false);
	memset(mask, 0, sizeof(mask));
	if (mode == PAL_BIND_INTERLEAVE) {
		for (i = 0; i < pal_caps.nnodes; i++)
			mask[i / (8 * sizeof(long))] |=
			    1UL << (i % (8 * sizeof(long)));
		policy = PAL_MPOL_INTERLEAVE;
	} else {
		mask[node / (8 * sizeof(long))] |=
		    1UL << (node % (8 * sizeof(long)));
		policy = mode == PAL_BIND_STRICT ? PAL_MPOL_BIND :
		    PAL_MPOL_PREFERRED;
	}
	saved = errno;
	r = syscall(SYS_mbind, addr, size, policy, mask,
	    (unsigned long)PAL_MAX_NODES + 1, 0);
	errno = saved;
	return (r == 0);
}

/*
 * move_pages(2) with no target nodes only reports where each page is,
 * and reports a page that is not resident as such without faulting it in.
 */
int
pal_node_of(const void *addr)
{
	void *page = (void *)((uintptr_t)addr &
	    ~(uintptr_t)(pal_caps.page_size - 1));
	unsigned char vec;
	int status = -1, saved;

	saved = errno;
	if (syscall(SYS_move_pages, 0, 1UL, &page, NULL, &status, 0) != 0) {
		/* No NUMA in the kernel: resident pages are on node 0. */
		status = mincore(page, pal_caps.page_size, &vec) == 0 &&
		    (vec & 1) ? 0 : -1;
	}
	errno = saved;
	return (status >= 0 ? status : -1);
}
