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

void		pal_init(void);

/* Virtual memory. */
void		*pal_map(size_t size, size_t align);
void		 pal_unmap(void *addr, size_t size);
void		 pal_purge_lazy(void *addr, size_t size);
void		 pal_purge_forced(void *addr, size_t size);
void		 pal_hugepage(void *addr, size_t size, bool huge);
bool		 pal_collapse(void *addr, size_t size);

/* Time, in nanoseconds of a monotonic clock. */
uint64_t	 pal_clock_ns(void);
/* Wall-clock time (CLOCK_REALTIME), nanoseconds since the epoch. */
uint64_t	 pal_realtime_ns(void);
/*
 * 64 unpredictable bits for secrets chosen once per process (the free
 * marker, alloc.c): from the kernel's per-exec random bytes where there
 * are some, else from the kernel's random source, else from the clock
 * and the address space layout.  Never fails; may make a system call.
 */
uint64_t	 pal_random(void);

/* Output and environment. */
void		 pal_write_err(const char *s, size_t len);
const char	*pal_getenv(const char *name);
ssize_t		 pal_readlink(const char *path, char *buf, size_t len);

/* Blocking primitives for the allocator's own locks. */
void		 pal_futex_wait(_Atomic uint32_t *addr, uint32_t val);
void		 pal_futex_wake(_Atomic uint32_t *addr, int nwake);
void		 pal_yield(void);

/* Identity of the running CPU and its node, or 0 when unknown. */
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

#endif /* !PAL_H */
