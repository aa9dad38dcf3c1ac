/*
 * pal_linux.c: the platform layer on Linux (see pal.h for the contract).
 *
 * Memory comes from anonymous private mmap(2); purging uses madvise(2)
 * (MADV_FREE when the kernel has it, MADV_DONTNEED otherwise); huge page
 * advice is MADV_HUGEPAGE / MADV_NOHUGEPAGE, and MADV_COLLAPSE where the
 * kernel knows it.  The THP mode and the NUMA node count are read from
 * /sys with open/read, never stdio, so nothing here allocates.  Locks are
 * futex(2) based.  Locking: pal_caps is written once by pal_init() under
 * the allocator's init lock and only read afterwards.
 */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/futex.h>

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

/* Nodes listed in /sys/devices/system/node/online ("0" or "0-1,3"). */
static unsigned
pal_count_nodes(void)
{
	char buf[256], *p;
	unsigned count, lo, hi;

	if (pal_read_file("/sys/devices/system/node/online", buf,
	    sizeof(buf)) <= 0)
		return (1);
	count = 0;
	p = buf;
	while (*p >= '0' && *p <= '9') {
		lo = (unsigned)strtoul(p, &p, 10);
		hi = lo;
		if (*p == '-')
			hi = (unsigned)strtoul(p + 1, &p, 10);
		if (hi >= lo)
			count += hi - lo + 1;
		if (*p == ',')
			p++;
	}
	if (count == 0)
		count = 1;
	return (count > PAL_MAX_NODES ? PAL_MAX_NODES : count);
}

void
pal_init(void)
{
	char buf[32];
	long pg;

	pg = sysconf(_SC_PAGESIZE);
	pal_caps.page_size = pg > 0 ? (size_t)pg : ((size_t)1 << ARCH_LG_PAGE);
	pal_caps.superpage_size = (size_t)1 << ARCH_LG_SUPERPAGE;
	pal_caps.ncpus = pal_count_cpus();
	pal_caps.thp = pal_thp_mode();
	pal_caps.purge_lazy = true;
	pal_caps.collapse = false;
	pal_caps.nnodes = pal_count_nodes();
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

uint64_t
pal_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
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
	return (secure_getenv(name));
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

unsigned
pal_getcpu(void)
{
	int c;

	c = sched_getcpu();
	return (c < 0 ? 0 : (unsigned)c);
}
