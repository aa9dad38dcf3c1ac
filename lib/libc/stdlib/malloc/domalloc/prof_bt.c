/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * prof_bt.c: backtraces of sampled allocations.
 *
 * The unwinder is libgcc's _Unwind_Backtrace (libgcc_s in dynamic
 * programs, libgcc_eh in static ones), chosen over a frame-pointer walk
 * because Debian's libraries are built without frame pointers and over
 * libunwind because it is always there.  With GCC 12 and glibc 2.35 or
 * later it finds unwind tables through _dl_find_object, which takes no
 * lock and allocates nothing; older pairs go through dl_iterate_phdr and
 * the loader's lock (never held by us: the backtrace is taken before any
 * allocator lock).  An unwind that allocates anyway (a static program's
 * first unwind registers its tables) comes back to malloc with the
 * thread's reentrant flag set, and that allocation is not sampled.
 *
 * In a static program the unwind tables are registered by a constructor
 * of the C runtime, and an unwind before that aborts; allocations made
 * before constructors run (the C library's own start-up) are therefore
 * sampled with one pseudo frame, prof_before_constructors, until this
 * file's constructor (which runs after the runtime's) says the unwinder
 * is ready.  Sampling itself starts with the first allocation.  The
 * first backtrace after that asks libgcc whether it can find the unwind
 * tables of this very file (_Unwind_Find_FDE): where it cannot (a static
 * program linked without --eh-frame-hdr and without frame registration,
 * as some musl-gcc setups), unwinding would abort, so samples keep one
 * pseudo frame, prof_no_unwind_tables, for the life of the process.  The
 * question waits for a backtrace, not the constructor, because asking it
 * makes the unwinder's code and the library's unwind tables resident
 * (about 80 KiB with fault-around) in every process, profiled or not.
 *
 * The allocator's own frames are cut off: the frames up to the outermost
 * one (within the first PROF_BT_SKIP) whose function is one of the entry
 * points or slow paths listed in prof_bt_boot, found by the function
 * start the unwinder reports (_Unwind_GetRegionStart).  What is left
 * starts at the program's call of malloc.  At most PROF_BT_MAX frames.
 * Synchronization: prof_bt_fns is written once, in prof_bt_boot (called
 * by malloc_init under the init lock), before any sample is taken.
 * prof_bt_state is atomic: threads that take their first backtraces at
 * the same time may all ask libgcc, and all store the same answer.
 */
#include <unwind.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prof.h"
#include "util.h"

/* The entry points and slow paths whose frames are cut off. */
void	*__malloc(size_t);
void	*__calloc(size_t, size_t);
void	*__realloc(void *, size_t);
int	 __posix_memalign(void **, size_t, size_t);
void	*__aligned_alloc(size_t, size_t);
void	*__memalign(size_t, size_t);
void	*__valloc(size_t);
void	*__pvalloc(size_t);
void	*__reallocarray(void *, size_t, size_t);
void	*__mallocx(size_t, int);
void	*__rallocx(void *, size_t, int);
int	 __allocm(void **, size_t *, size_t, int);
int	 __rallocm(void **, size_t *, size_t, size_t, int);
void	*alloc_slow(size_t);
void	*alloc_generic(size_t, size_t, unsigned, struct arena *);
void	*alloc_realloc(void *, size_t, size_t, unsigned, struct arena *,
	    const char *);
extern const void *const allocx_prof_fns[];
/* A libc's own entry points around ours (musl's glue), if linked. */
extern void *__libc_malloc_impl(size_t) __attribute__((weak));
extern void *__libc_realloc(void *, size_t) __attribute__((weak));

#define	PROF_BT_SKIP	24	/* allocator frames looked at, at most */
#define	PROF_BT_NFNS	40

static uintptr_t	prof_bt_fns[PROF_BT_NFNS];
static unsigned		prof_bt_nfns;
enum {
	PROF_BT_EARLY = 0,	/* before constructors */
	PROF_BT_OK,		/* unwinding works */
	PROF_BT_NO_TABLES,	/* no unwind tables for this file */
	PROF_BT_UNCHECKED	/* after constructors, tables not looked up */
};
static _Atomic int	prof_bt_state;

/* libgcc's lookup of an address's unwind table entry (unwind-dw2-fde.h). */
struct dwarf_eh_bases {
	void	*tbase;
	void	*dbase;
	void	*func;
};
const void *_Unwind_Find_FDE(void *, struct dwarf_eh_bases *);

/* The pseudo frames of samples taken without a backtrace. */
void __attribute__((noinline, used))
prof_before_constructors(void)
{
	__asm__ volatile("" ::: "memory");
}

void __attribute__((noinline, used))
prof_no_unwind_tables(void)
{
	__asm__ volatile("" ::: "memory");
}

/*
 * In .text.startup, which the linker puts before all other text, as gcc
 * does with constructors by itself: clang leaves them in .text, which
 * for this cold file lies in a window of the library's text that no
 * other start-up code touches (domalloc(7), Start-up and footprint).
 */
__attribute__((constructor, section(".text.startup"))) static void
prof_bt_constructor(void)
{
	atomic_store_explicit(&prof_bt_state, PROF_BT_UNCHECKED,
	    memory_order_relaxed);
}

/* Whether backtraces can be taken; looks the tables up the first time. */
static int
prof_bt_check(void)
{
	struct dwarf_eh_bases bases;
	int state;

	state = atomic_load_explicit(&prof_bt_state, memory_order_relaxed);
	if (state == PROF_BT_UNCHECKED) {
		state = _Unwind_Find_FDE((char *)(uintptr_t)prof_bt_capture +
		    1, &bases) != NULL ? PROF_BT_OK : PROF_BT_NO_TABLES;
		atomic_store_explicit(&prof_bt_state, state,
		    memory_order_relaxed);
	}
	return (state);
}

static void
prof_bt_add(const void *fn)
{
	if (fn != NULL && prof_bt_nfns < PROF_BT_NFNS)
		prof_bt_fns[prof_bt_nfns++] = (uintptr_t)fn;
}

void
prof_bt_boot(void)
{
	unsigned i;

	prof_bt_nfns = 0;
	prof_bt_add((const void *)__malloc);
	prof_bt_add((const void *)__calloc);
	prof_bt_add((const void *)__realloc);
	prof_bt_add((const void *)__posix_memalign);
	prof_bt_add((const void *)__aligned_alloc);
	prof_bt_add((const void *)__memalign);
	prof_bt_add((const void *)__valloc);
	prof_bt_add((const void *)__pvalloc);
	prof_bt_add((const void *)__reallocarray);
	prof_bt_add((const void *)__mallocx);
	prof_bt_add((const void *)__rallocx);
	prof_bt_add((const void *)__allocm);
	prof_bt_add((const void *)__rallocm);
	prof_bt_add((const void *)alloc_slow);
	prof_bt_add((const void *)alloc_generic);
	prof_bt_add((const void *)alloc_realloc);
	prof_bt_add((const void *)prof_alloc);
	prof_bt_add((const void *)prof_bt_capture);
	prof_bt_add((const void *)__libc_malloc_impl);
	prof_bt_add((const void *)__libc_realloc);
	for (i = 0; allocx_prof_fns[i] != NULL; i++)
		prof_bt_add(allocx_prof_fns[i]);
}

static bool
prof_bt_ours(uintptr_t start)
{
	unsigned i;

	for (i = 0; i < prof_bt_nfns; i++)
		if (prof_bt_fns[i] == start)
			return (true);
	return (false);
}

struct prof_bt_walk {
	uintptr_t	*frames;
	unsigned	 max;
	unsigned	 n;		/* frames stored */
	unsigned	 seen;		/* frames visited */
	unsigned	 cut;		/* frames[0 .. cut - 1] are ours */
};

static _Unwind_Reason_Code
prof_bt_frame(struct _Unwind_Context *ctx, void *arg)
{
	struct prof_bt_walk *w = arg;
	uintptr_t ip;

	ip = (uintptr_t)_Unwind_GetIP(ctx);
	if (ip == 0)
		return (_URC_END_OF_STACK);
	if (w->seen < PROF_BT_SKIP &&
	    prof_bt_ours((uintptr_t)_Unwind_GetRegionStart(ctx)))
		w->cut = w->n + 1;
	w->seen++;
	if (w->n < w->max)
		w->frames[w->n++] = ip;
	return (w->n < w->max ? _URC_NO_REASON : _URC_END_OF_STACK);
}

unsigned
prof_bt_capture(uintptr_t *frames, unsigned max)
{
	uintptr_t buf[PROF_BT_MAX + PROF_BT_SKIP];
	struct prof_bt_walk w;
	unsigned i, n;
	int state;

	state = prof_bt_check();
	if (state != PROF_BT_OK || max == 0) {
		frames[0] = state == PROF_BT_EARLY ?
		    (uintptr_t)prof_before_constructors + 1 :
		    (uintptr_t)prof_no_unwind_tables + 1;
		return (1);
	}
	w.frames = buf;
	w.max = DM_MIN(max, PROF_BT_MAX) + PROF_BT_SKIP;
	w.n = w.seen = w.cut = 0;
	_Unwind_Backtrace(prof_bt_frame, &w);
	n = w.n > w.cut ? w.n - w.cut : 0;
	n = DM_MIN(n, DM_MIN(max, PROF_BT_MAX));
	for (i = 0; i < n; i++)
		frames[i] = buf[w.cut + i];
	if (n == 0) {
		/* No frame outside the allocator: keep the last one seen. */
		frames[0] = w.n > 0 ? buf[w.n - 1] :
		    (uintptr_t)prof_before_constructors + 1;
		n = 1;
	}
	return (n);
}
