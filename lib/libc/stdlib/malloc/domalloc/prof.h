/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * prof.h: heap profiling (jemalloc's prof.* interface): which stacks
 * hold how much memory, from allocations sampled by bytes.
 *
 * Always compiled in, off unless MALLOC_CONF has prof:true (opt_prof,
 * fixed at initialisation).  With it off nothing here runs and the fast
 * paths are those of a build without a profiler.
 *
 * Sampling (see domalloc.7): each thread counts down the bytes it
 * allocates; the allocation that takes the count to zero or below is
 * sampled whole and a new count is drawn from a geometric distribution
 * of mean 2^lg_prof_sample bytes, so that an object of usable size S is
 * sampled with probability 1 - (1 - 1/R)^S, about 1 - exp(-S/R).  The
 * count is kept on the slow paths only.  With prof:true, malloc's fast
 * path pops from a staging bin per size class (tcache.h: sbins) that is
 * refilled on the slow path from the thread's cache with at most as many
 * objects as the count allows; when the next threshold falls inside the
 * object after the staged ones, the class is armed and its next slow-path
 * allocation is the sample.  Frees go to the thread's cache as always.
 * Every allocation is thus counted in the order the count sees them, and
 * no fast path tests anything.  A reallocation counts as an allocation
 * of its new size, in place too (alloc_resized_prof: a grown buffer that
 * is the sample moves to pages of its own), as in jemalloc; xallocx of
 * an unsampled object does not count.  A sampled object resized to a
 * large or huge size stays in place where its pages allow (prof_resize):
 * a sample of the new size if that allocation is due, else an ordinary
 * run or span.  Turning sampling on (prof.active, thread.prof.active)
 * puts the calling thread's staged objects (staged uncounted) back.
 *
 * A sampled object gets pages of its own (a run of whole pages, or its
 * huge span), so that free reaches the profiler: its first page's map
 * entry is PMAP_SLOW | PMAP_SAMPLED (a huge span has sp->sampled), which
 * sends every free, realloc and usable-size query to the slow path,
 * where alloc_lookup returns the class PROF_IND.  The sample's record
 * (stack, thread, sizes) is found by address in a hash table.
 *
 * Synchronization: prof_lock (RANK_PROF) protects the tables of stacks,
 * samples and threads and the recent-allocation ring; nothing is called
 * with it held but base_alloc.  Backtraces are taken and pages allocated
 * or freed before it is taken.  prof_dump_lock (RANK_PROF_DUMP) orders
 * dumps; it is taken before prof_lock.  Per-thread state (struct
 * prof_tsd) belongs to its thread.
 */
#ifndef PROF_H
#define	PROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prof_snap.h"

struct arena;
struct sp;
struct tsd;
struct prof_tdata;

/* The class index alloc_lookup returns for a sampled object. */
#define	PROF_IND	0x7fffffffu
/* Page map flag of a sampled object's first page (with PMAP_SLOW). */
#define	PMAP_SAMPLED	0x04u
/* Objects a staging bin holds at most. */
#define	PROF_STAGE	64

struct prof_tsd {
	int64_t			countdown;	/* bytes to the next sample */
	uint64_t		prng;		/* xorshift64* state */
	uint64_t		last_wait;	/* the count last drawn */
	uint64_t		armed;		/* bit i: class i is due */
	bool			booted;
	bool			reentrant;	/* inside the profiler */
	bool			active;		/* thread.prof.active */
	struct prof_tdata	*tdata;		/* NULL until needed */
};

extern bool		opt_prof;
extern bool		opt_prof_active;
extern bool		opt_prof_thread_active_init;
extern char		opt_prof_prefix[256];
extern size_t		opt_lg_prof_sample;
extern int64_t		opt_lg_prof_interval;
extern bool		opt_prof_gdump;
extern bool		opt_prof_final;
extern bool		opt_prof_leak;
extern bool		opt_prof_accum;
extern int64_t		opt_prof_recent_alloc_max;
extern unsigned		opt_prof_format;
extern const char *const prof_format_names[];

/* Called by malloc_init after the options are read. */
void	prof_boot(void);

/*
 * The allocation slow path: should this allocation of usable size usize
 * (class ind) be sampled?  cached: it comes from the thread's own cache
 * (then the class may be armed).  Only with opt_prof.
 */
bool	prof_sample_due(struct tsd *tsd, size_t usize, unsigned ind,
	    bool cached);
/*
 * After a pop from the thread's cache of class ind on the slow path:
 * stage objects for the fast path (only with opt_prof).
 */
void	prof_stage(struct tsd *tsd, unsigned ind);
/* Allocate and record a sampled object (flags: ALLOC_ZERO). */
void	*prof_alloc(struct tsd *tsd, size_t size, size_t usize, size_t align,
	    unsigned flags, struct arena *arena);
/*
 * Resize the sampled object p (in sp) in place to usable size usize (a
 * large or huge class), zeroing what it gains if zero: the new size is
 * counted as an allocation, and the object stays a sample (of the new
 * size and stack) if that allocation is due, else becomes an ordinary
 * large run or huge span.  False (nothing changed, nothing counted) if
 * its pages cannot: the caller moves it.
 */
bool	 prof_resize(void *p, struct sp *sp, size_t usize, bool zero,
	    bool movable);
/* Free a sampled object (alloc_lookup gave PROF_IND). */
void	 prof_free(void *p, struct sp *sp);
/* The usable size of a sampled object; aborts (naming fn) if p is none. */
size_t	 prof_usize(const void *p, const char *fn);
/* Is p (in sp) a sampled object? */
bool	 prof_is_sampled(const struct sp *sp, const void *p);
/* An arena's memory is gone (reset, destroy): forget its samples. */
void	 prof_arena_reset(struct arena *arena);
/* Thread exit. */
void	 prof_thread_cleanup(struct tsd *tsd);
/* Dumps and leak report asked for at a point where nothing is locked. */
void	 prof_poll(void);

/* Control plane (ctl_prof.c). */
bool	 prof_active_get(void);
void	 prof_active_set(bool on);
bool	 prof_thread_active_init_get(void);
void	 prof_thread_active_init_set(bool on);
bool	 prof_gdump_get(void);
void	 prof_gdump_set(bool on);
size_t	 prof_lg_sample_get(void);
/* prof.dump: name NULL gives <prefix>.<pid>.<seq>.m<mseq>.heap. */
int	 prof_dump(const char *name, enum prof_format fmt);
void	 prof_reset(size_t lg_sample);
int	 prof_prefix_set(const char *prefix);
const char *prof_thread_name_get(void);
int	 prof_thread_name_set(const char *name);
bool	 prof_thread_active_get(void);
void	 prof_thread_active_set(bool on);
int64_t	 prof_recent_max_get(void);
void	 prof_recent_max_set(int64_t max);
void	 prof_recent_dump(void (*cb)(void *, const char *), void *opaque);
/* stats.prof.*: the profiler's own cost. */
struct prof_stats {
	uint64_t	nsamples;	/* samples taken */
	uint64_t	nlive;		/* sampled objects alive */
	uint64_t	nctx;		/* distinct stacks */
	uint64_t	bt_ns;		/* time in backtrace capture */
	uint64_t	ndumps;
	size_t		metadata;	/* bytes of the profiler's tables */
};
void	 prof_stats_get(struct prof_stats *st);

/* prof_bt.c: the backtrace of the calling allocation, frames[0] first. */
void	 prof_bt_boot(void);
unsigned prof_bt_capture(uintptr_t *frames, unsigned max);

void	 prof_prefork(void);
void	 prof_postfork_parent(void);
void	 prof_postfork_child(void);

#endif /* !PROF_H */
