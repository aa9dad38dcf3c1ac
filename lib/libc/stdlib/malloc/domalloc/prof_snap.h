/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * prof_snap.h: a heap profile as the writers see it.
 *
 * prof.c takes a snapshot of its tables (under its locks) and hands it
 * to the writers of prof_dump.c, which know nothing of how samples are
 * kept: jemalloc's heap_v2 text for jeprof, pprof's profile.proto, the
 * leak summary, and the JSON of the recent-allocation ring.  Nothing
 * here allocates through malloc; the writers get scratch memory from the
 * platform layer (pal_map) and write with write(2).
 *
 * Counts come in two kinds.  Raw counts are what was sampled: objects and
 * their usable bytes.  Unsampled ("u") counts are estimates of what the
 * program really holds: each sample of usable size S adds 1/p(S) objects
 * and S/p(S) bytes, where p(S) = 1 - exp(-S/period) is the chance that an
 * allocation of S bytes is sampled.  They are exact in expectation
 * whatever the mix of sizes on one stack.
 * Synchronization: a snapshot is owned by the thread that made it.
 */
#ifndef PROF_SNAP_H
#define	PROF_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Backtrace depth limit (as jemalloc's PROF_BT_MAX). */
#define	PROF_BT_MAX	128
/* Longest thread name kept (thread.prof.name), with the NUL. */
#define	PROF_NAME_MAX	64

struct prof_cnt {
	uint64_t	objs;
	uint64_t	bytes;
};

struct prof_ucnt {
	double		objs;
	double		bytes;
};

/* One counter set: in use now, and accumulated since start or reset. */
struct prof_cnts {
	struct prof_cnt		inuse;
	struct prof_cnt		accum;		/* zero unless prof_accum */
	struct prof_ucnt	uinuse;
	struct prof_ucnt	uaccum;		/* zero unless prof_accum */
};

/* One thread's share of a context (in use only; accum zero). */
struct prof_snap_tline {
	uint64_t		uid;
	struct prof_cnts	c;
};

/*
 * One allocation stack (a context).  frames[0] is the return address in
 * the function that called the allocator (the allocation site), then
 * its callers; the allocator's own frames are already gone.  Always at
 * least one frame.  thr[0 .. nthr - 1]: the shares of the threads that
 * allocated its live samples, by uid (none with prof_accum, whose
 * accumulated counts are not kept per thread).
 */
struct prof_snap_ctx {
	struct prof_cnts	c;
	unsigned		nframes;
	const uintptr_t		*frames;
	unsigned		nthr;
	const struct prof_snap_tline *thr;
};

/* One profiled thread (uid: the profiler's own thread number, from 0). */
struct prof_snap_thr {
	uint64_t		uid;
	const char		*name;		/* NULL: none */
	struct prof_cnts	c;
};

struct prof_snap {
	uint64_t		period;		/* 2^lg_prof_sample */
	bool			accum;		/* opt.prof_accum */
	struct prof_cnts	total;
	unsigned		nctx;
	struct prof_snap_ctx	*ctx;
	unsigned		nthr;
	struct prof_snap_thr	*thr;
	uint64_t		time_ns;	/* CLOCK_REALTIME at the snapshot */
};

/* One record of experimental.prof_recent (oldest first in a snapshot). */
struct prof_recent_rec {
	size_t		size;		/* requested */
	size_t		usize;
	bool		released;
	uint64_t	alloc_uid;
	const char	*alloc_name;	/* NULL: none */
	uint64_t	alloc_time_ns;
	unsigned	alloc_nframes;
	const uintptr_t	*alloc_frames;
	/* Only if released: */
	uint64_t	dalloc_uid;
	const char	*dalloc_name;
	uint64_t	dalloc_time_ns;
	unsigned	dalloc_nframes;	/* 0: no free-time trace */
	const uintptr_t	*dalloc_frames;
};

struct prof_recent_snap {
	uint64_t		period;
	int64_t			alloc_max;	/* -1: no limit */
	unsigned		n;
	struct prof_recent_rec	*rec;
};

/* Output formats of a dump (opt.prof_format). */
enum prof_format {
	PROF_FORMAT_HEAPV2 = 0,		/* jemalloc heap_v2 text (jeprof) */
	PROF_FORMAT_PPROF		/* profile.proto, uncompressed */
};

/*
 * Write s to fd in format fmt (the heap_v2 text ends with the
 * MAPPED_LIBRARIES section; the protobuf carries the mappings of
 * /proc/self/maps).  Returns 0, or an errno value (nothing partial is
 * promised: the caller removes the file on error).
 */
int	prof_dump_write(int fd, const struct prof_snap *s, enum prof_format fmt);
/*
 * The leak summary of the final dump, through malloc_message:
 * "<domalloc>: Leak approximation summary: ~B bytes, ~N objects, >= C
 * contexts" and "<domalloc>: Run jeprof on dump output for leak detail",
 * if anything is in use (singular forms when a value is 1).  Returns
 * whether anything was.
 */
bool	prof_dump_leak_report(const struct prof_snap *s);
/*
 * experimental.prof_recent.alloc_dump: compact JSON of r in pieces,
 * each a NUL-terminated string passed to cb(opaque, piece).
 */
void	prof_dump_recent_json(const struct prof_recent_snap *r,
	    void (*cb)(void *, const char *), void *opaque);

#endif /* !PROF_SNAP_H */
