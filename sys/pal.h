/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * pal.h: the platform abstraction layer (PAL) contract.
 *
 * Everything the allocator needs from the operating system goes through
 * the functions declared here, implemented once per OS (sys/linux/,
 * sys/freebsd/) and once per architecture (sys/<arch>/arch.h).  Core code
 * never tests __linux__ or __FreeBSD__: what differs between systems
 * reaches it as data in struct pal_caps, filled in by pal_init().
 *
 * Rules every implementation keeps:
 * - No function here may call malloc or anything that may call it.
 * - pal_map() returns zero-filled, readable and writable memory aligned to
 *   the requested power-of-two alignment, or NULL with errno ENOMEM.
 * - After pal_purge_forced() the range reads as zeros; after
 *   pal_purge_lazy() it holds either the old bytes or zeros.
 * - pal_write_err() is async-signal-safe.
 * Locking: none; pal_init() runs once, under the allocator's init lock,
 * and pal_caps is read-only afterwards.
 */
#ifndef PAL_H
#define PAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch.h"

/* How the system treats transparent huge pages. */
enum pal_thp {
	PAL_THP_UNSUPPORTED = 0,	/* no THP at all */
	PAL_THP_NEVER,			/* disabled system-wide */
	PAL_THP_MADVISE,		/* only where asked for */
	PAL_THP_ALWAYS			/* everywhere unless refused */
};

#define	PAL_MAX_NODES	64
#define	PAL_MAX_CPUS	1024

/* How pal_bind() places a range. */
enum pal_bind_mode {
	PAL_BIND_PREFER = 0,	/* the node first, others when it is full */
	PAL_BIND_STRICT,	/* the node only */
	PAL_BIND_INTERLEAVE	/* round robin over all nodes */
};

struct pal_caps {
	size_t		page_size;	/* base page, bytes */
	size_t		superpage_size;	/* huge page, bytes */
	unsigned	ncpus;		/* CPUs this process may run on */
	enum pal_thp	thp;		/* system THP mode */
	bool		purge_lazy;	/* pal_purge_lazy() is real */
	bool		collapse;	/* synchronous huge page collapse */
	unsigned	nnodes;		/* NUMA nodes (1 if not NUMA) */
	bool		numa;		/* nnodes > 1 and binding works */
	bool		overcommit;	/* kernel overcommits */
	/* Node of each CPU, and the distances between nodes (10 = local). */
	uint8_t		cpu_node[PAL_MAX_CPUS];
	uint8_t		distance[PAL_MAX_NODES][PAL_MAX_NODES];
};

extern struct pal_caps pal_caps;

/*
 * Fill pal_caps.  Pre: called once, before any other function here but
 * pal_write_err, with the allocator's init lock held; may read files and
 * make system calls, never allocates.
 */
void		pal_init(void);

/*
 * Virtual memory.  Pre for all: addr and size are multiples of
 * pal_caps.page_size, and [addr, addr + size) was returned by pal_map
 * (whole or in part) and not unmapped since.
 * pal_map: size a multiple of the page size, align a power of two, at
 *   least the page size; returns zero-filled memory or NULL (ENOMEM).
 * pal_unmap: the range is gone afterwards; never fails.
 * pal_purge_lazy / pal_purge_forced: the contents may go (lazy: on memory
 *   pressure; forced: at once, the range then reads as zeros); the range
 *   stays mapped.  No-ops where the system cannot (pal_caps.purge_lazy).
 * pal_hugepage: advice only (huge or not), may be ignored.
 * pal_collapse: make the range huge pages now; false if it cannot
 *   (pal_caps.collapse false, or the kernel refused).
 * pal_protect: make the range readable and writable (access true) or
 *   inaccessible, so that any access faults (the hardened library's guard
 *   pages, harden.c); false if the kernel refused.
 */
void		*pal_map(size_t size, size_t align);
void		 pal_unmap(void *addr, size_t size);
void		 pal_purge_lazy(void *addr, size_t size);
void		 pal_purge_forced(void *addr, size_t size);
void		 pal_hugepage(void *addr, size_t size, bool huge);
bool		 pal_collapse(void *addr, size_t size);
bool		 pal_protect(void *addr, size_t size, bool access);

/*
 * Time.  pal_clock_ns: a monotonic clock in nanoseconds, never fails;
 * pal_realtime_ns: wall-clock time (CLOCK_REALTIME), nanoseconds since
 * the epoch (heap profile timestamps).  Both callable from any thread at
 * any time, with or without allocator locks held.
 */
uint64_t	 pal_clock_ns(void);
uint64_t	 pal_realtime_ns(void);
/*
 * 64 unpredictable bits for secrets chosen once per process (the free
 * marker, alloc.c): from the kernel's per-exec random bytes where there
 * are some, else from the kernel's random source, else from the clock
 * and the address space layout.  Never fails; may make a system call.
 */
uint64_t	 pal_random(void);

/*
 * Output and environment.  pal_write_err: s[0 .. len - 1] to standard
 * error, async-signal-safe, any time (before pal_init too).
 * pal_getenv: name's value, or NULL, and NULL for set-id programs (the
 *   secure rule); pre: pal_init has run.
 * pal_readlink: as readlink(2) (no NUL added); -1 on error.
 */
void		 pal_write_err(const char *s, size_t len);
const char	*pal_getenv(const char *name);
ssize_t		 pal_readlink(const char *path, char *buf, size_t len);

/*
 * Blocking primitives for the allocator's own locks (mutex.h).
 * pal_futex_wait: sleep while *addr == val (may return early: the caller
 *   re-checks); pal_futex_wake: wake up to nwake sleepers on addr.  Both
 *   callable with other allocator locks held.
 */
void		 pal_futex_wait(_Atomic uint32_t *addr, uint32_t val);
void		 pal_futex_wake(_Atomic uint32_t *addr, int nwake);
void		 pal_yield(void);

/*
 * Threads for background work (bg.c).  pal_thread_create: start fn(arg)
 * in a detached thread with every signal blocked; false if it cannot.
 * Pre: no allocator lock held (the system's thread creation may
 * allocate).  pal_sleep_ns: sleep about ns nanoseconds, resuming after
 * signals.
 */
bool		 pal_thread_create(void *(*fn)(void *), void *arg);
void		 pal_sleep_ns(uint64_t ns);

/*
 * Identity of the running CPU and its node, or 0 when unknown.  Cheap
 * (a vDSO call or a register on Linux), callable anywhere, but the
 * answer may be stale as soon as it is returned.
 */
unsigned	 pal_getcpu(void);
unsigned	 pal_getnode(void);

/*
 * NUMA placement.  pal_bind() sets the memory policy of a range that has
 * not been touched yet (false without NUMA); pal_node_of() asks which
 * node backs a page, -1 if it is not resident (it does not fault it in).
 */
bool		 pal_bind(void *addr, size_t size, unsigned node,
		    enum pal_bind_mode mode);
int		 pal_node_of(const void *addr);
/*
 * Replace the topology read from the system with a simulated one (tests):
 * nnodes nodes, CPU i on node cpu_node[i].  Call before the allocator
 * starts, or from a whitebox test that then rebuilds its own state.
 */
void		 pal_simulate_topology(unsigned nnodes, unsigned ncpus,
		    const uint8_t *cpu_node);

/*
 * Geometry (sys/<os>/pal_<os>_geom.c).  The kernel's transparent huge page
 * size in bytes, as the kernel states it, or 0 when it does not (no THP,
 * or no way to ask): the core then takes the architecture's default
 * (ARCH_LG_SUPERPAGE_OF, arch.h).  pal_caps.page_size is the kernel's
 * base page.  May read a file; does not allocate; call after pal_init().
 */
size_t		 pal_superpage_kernel(void);

/* Read a small text file into buf (NUL-terminated); -1 on error. */
ssize_t		 pal_read_file(const char *path, char *buf, size_t len);
/*
 * strtoul(p, end, 10) for such files' numbers (leading blanks skipped,
 * saturating), without the C library's locale tables.
 */
unsigned long	 pal_strtoul(const char *p, char **end);

#endif /* !PAL_H */
