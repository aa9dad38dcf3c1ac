/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * allocx.c: jemalloc's non-standard allocation interface: mallocx,
 * rallocx, xallocx, sallocx, dallocx, sdallocx, nallocx.  The flags word
 * is decoded exactly as jemalloc encodes it (see malloc_np.h): bits 0-5
 * lg(alignment), bit 6 zero, bits 8-19 thread cache (0 automatic, 1
 * none, tc + 2 the explicit cache tc from tcache.create), bits 20-31
 * arena index + 1.
 *
 * With an explicit cache, small and cached large classes are taken from
 * and given back to that cache instead of the thread's own (fills come
 * from the arena the cache was created in; with MALLOCX_ARENA naming
 * another arena the arena wins and the cache is bypassed).  Such
 * allocations count in the thread's thread.allocated/deallocated as
 * bytes outside its own cache.
 * No locking here: an explicit cache is used by one thread at a time
 * (the program's duty, as in jemalloc); see alloc.h and tcache.h.
 */
#include <errno.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "conf.h"
#include "harden.h"
#include "init.h"
#include "large.h"
#include "msg.h"
#include "prof.h"
#include "public.h"
#include "tcache.h"
#include "tsd.h"

#define	FLAG_LG_ALIGN(f)	((unsigned)(f) & 0x3f)
#define	FLAG_ZERO		0x40
#define	FLAG_TCACHE(f)		(((unsigned)(f) >> 8) & 0xfff)
#define	FLAG_ARENA(f)		(((unsigned)(f) >> 20) & 0xfff)

void	*__mallocx(size_t, int);
void	*__rallocx(void *, size_t, int);
size_t	 __xallocx(void *, size_t, size_t, int);
size_t	 __sallocx(const void *, int);
void	 __dallocx(void *, int);
void	 __sdallocx(void *, size_t, int);
size_t	 __nallocx(size_t, int);

/* A decoded flags word. */
struct allocx_req {
	size_t		 align;		/* 0: natural */
	unsigned	 aflags;	/* ALLOC_ZERO, ALLOC_NOCACHE */
	struct arena	*arena;		/* NULL: automatic */
	struct tcache	*tc;		/* an explicit cache, or NULL */
};

static size_t
allocx_align(int flags)
{
	unsigned lg = FLAG_LG_ALIGN(flags);

	return (lg == 0 ? 0 : (size_t)1 << lg);
}

static size_t
allocx_usize(size_t size, size_t align)
{
	if (size > SC_MAX_SIZE)
		return (0);
	return (align <= SC_QUANTUM ? sc_usize(size) :
	    sc_usize_aligned(size, align));
}

/*
 * Decode flags; false if the arena named does not exist.  An explicit
 * cache that does not exist is a program error and fatal.
 */
static bool
allocx_decode(int flags, struct allocx_req *r, const char *fn)
{
	unsigned a = FLAG_ARENA(flags), t = FLAG_TCACHE(flags);

	r->align = allocx_align(flags);
	r->aflags = (flags & FLAG_ZERO) ? ALLOC_ZERO : 0;
	r->arena = NULL;
	r->tc = NULL;
	if (!malloc_init_check())
		return (false);
	if (t == 1)
		r->aflags |= ALLOC_NOCACHE;
	else if (t >= 2) {
		r->tc = tcache_explicit_get(t - 2);
		if (r->tc == NULL)
			msg_fatal("%s(): MALLOCX_TCACHE(%u) names no thread "
			    "cache (see tcache.create)", fn, t - 2);
		r->aflags |= ALLOC_NOCACHE;
	}
	if (a != 0) {
		r->arena = arena_get(a - 1, a - 1 < narenas_auto);
		if (r->arena == NULL)
			return (false);
	}
	return (true);
}

static struct tsd *
allocx_tsd(void)
{
	struct tsd *tsd = tsd_get();

	if (tsd->state == TSD_UNINIT)
		tsd_boot(tsd);
	return (tsd);
}

/* Can class ind of this request come from the explicit cache? */
static bool
allocx_tc_serves(const struct allocx_req *r, unsigned ind)
{
	return (r->tc != NULL && ind < r->tc->nhbins && r->align <= PAGE &&
	    (r->arena == NULL || r->arena == r->tc->arena));
}

static void *
allocx_alloc(const struct allocx_req *r, size_t size)
{
	size_t usize;
	unsigned ind;
	void *p;

	if (r->tc == NULL)
		return (alloc_generic(size, r->align, r->aflags, r->arena));
	usize = allocx_usize(size, r->align);
	if (usize == 0)
		return (alloc_oom(size));
	ind = sc_index(usize);
	if (!allocx_tc_serves(r, ind))
		return (alloc_generic(size, r->align, r->aflags, r->arena));
	/* Each allocation from an explicit cache passes here: counted. */
	if (opt_prof && prof_sample_due(allocx_tsd(), usize, ind, false))
		return (alloc_generic(size, r->align,
		    r->aflags | ALLOC_SAMPLE, r->arena));
	p = tcache_alloc_slow(r->tc, ind);
	if (p == NULL)
		return (alloc_oom(size));
	if (r->aflags & ALLOC_ZERO || opt_zero)
		memset(p, 0, usize);
	else if (opt_junk & JUNK_ALLOC)
		memset(p, 0xa5, usize);
	allocx_tsd()->large_allocated += usize;
	return (p);
}

/* Free p (validated: sp, ind) as the request says. */
static void
allocx_free(const struct allocx_req *r, void *p, struct sp *sp,
    unsigned ind)
{
	size_t usize;

	if (allocx_tc_serves(r, ind) && sp->kind == SP_RUNS) {
		usize = alloc_usize(p, sp, ind);
		if (opt_junk & JUNK_FREE)
			memset(p, 0x5a, usize);
		mark_free(p);
		tcache_dalloc(r->tc, ind, p);
		allocx_tsd()->large_deallocated += usize;
		return;
	}
	free_validated(p, sp, ind, r->aflags & ALLOC_NOCACHE);
}

/* mallocx with flags: out of line, so the fast path saves no register. */
static void * __attribute__((noinline))
allocx_mallocx_flags(size_t size, int flags)
{
	struct allocx_req r;

	if (!allocx_decode(flags, &r, "mallocx"))
		return (NULL);
	/* Hardened: explicit caches are bypassed, blocks always zeroed. */
	if (config_hardened)
		return (harden_alloc(size, r.align, r.aflags, r.arena,
		    "mallocx"));
	return (allocx_alloc(&r, size));
}

DM_EXPORT void *
__mallocx(size_t size, int flags)
{
	if (likely(flags == 0) && !config_hardened)
		return (alloc_fast(size));
	return (allocx_mallocx_flags(size, flags));
}

/* rallocx through an explicit cache: in place if it can be, else move. */
static void *
allocx_tc_realloc(const struct allocx_req *r, void *p, size_t size)
{
	struct sp *sp;
	size_t oldusize, usize;
	unsigned ind;
	void *q;

	sp = alloc_lookup(p, &ind, "rallocx");
	oldusize = alloc_usize(p, sp, ind);
	usize = allocx_usize(size, r->align);
	if (usize == 0)
		return (alloc_oom(size));
	if ((r->align == 0 || ((uintptr_t)p & (r->align - 1)) == 0) &&
	    (r->arena == NULL || r->arena == sp->arena)) {
		if (usize == oldusize)
			return (p);
		if (ind >= SC_NBINS && sc_index(usize) >= SC_NBINS &&
		    alloc_resize(sp, p, oldusize, usize,
		    (r->aflags & ALLOC_ZERO) != 0, true))
			return (opt_prof && ind != PROF_IND ?
			    alloc_resized_prof(p, sp, usize, size, r->align,
			    r->aflags, r->arena) : p);
	}
	q = allocx_alloc(r, size);
	if (q == NULL)
		return (NULL);
	memcpy(q, p, DM_MIN(oldusize, usize));
	allocx_free(r, p, sp, ind);
	return (q);
}

DM_EXPORT void *
__rallocx(void *p, size_t size, int flags)
{
	struct allocx_req r;
	void *q;

	if (!allocx_decode(flags, &r, "rallocx"))
		return (NULL);
	if (config_hardened)
		return (harden_realloc(p, size, r.align, r.aflags, r.arena,
		    "rallocx"));
	/* No flags: what realloc does, its cached path included. */
	if (flags == 0 && size != 0 && alloc_realloc_cached(p, size, &q))
		return (q);
	if (r.tc != NULL)
		return (allocx_tc_realloc(&r, p, size));
	return (alloc_realloc(p, size, r.align, r.aflags, r.arena,
	    "rallocx"));
}

/*
 * Resize in place to at least size, and to size + extra if that can be
 * had; return the usable size, the old one if nothing could be done.
 * Small classes never change in place.
 */
DM_EXPORT size_t
__xallocx(void *p, size_t size, size_t extra, int flags)
{
	struct sp *sp;
	size_t old, hi, lo, align = allocx_align(flags);
	unsigned ind;

	/* Hardened blocks never change in place. */
	if (config_hardened)
		return (harden_usize(p, "xallocx"));
	sp = alloc_lookup(p, &ind, "xallocx");
	old = alloc_usize(p, sp, ind);
	if (size > SC_MAX_SIZE)
		return (old);
	if (extra > SC_MAX_SIZE - size)
		extra = SC_MAX_SIZE - size;
	if (align != 0 && ((uintptr_t)p & (align - 1)) != 0)
		return (old);
	lo = sc_usize(size);
	hi = sc_usize(size + extra);
	if (ind < SC_NBINS || (old >= lo && old <= hi))
		return (old);
	if (sc_index(hi) >= SC_NBINS && alloc_resize(sp, p, old, hi,
	    (flags & FLAG_ZERO) != 0, false))
		return (hi);
	if (hi != lo && sc_index(lo) >= SC_NBINS && alloc_resize(sp, p, old,
	    lo, (flags & FLAG_ZERO) != 0, false))
		return (lo);
	return (old);
}

DM_EXPORT size_t
__sallocx(const void *p, int flags)
{
	struct sp *sp;
	unsigned ind;

	(void)flags;
	if (config_hardened)
		return (harden_usize(p, "sallocx"));
	sp = alloc_lookup(p, &ind, "sallocx");
	return (alloc_usize(p, sp, ind));
}

/* dallocx with flags: out of line, so the fast path saves no register. */
static void __attribute__((noinline))
allocx_dallocx_flags(void *p, int flags)
{
	struct allocx_req r;
	struct sp *sp;
	unsigned ind;

	(void)allocx_decode(flags, &r, "dallocx");
	if (config_hardened) {
		harden_free(p, false, 0, 0, "dallocx");
		return;
	}
	sp = alloc_lookup(p, &ind, "dallocx");
	allocx_free(&r, p, sp, ind);
}

DM_EXPORT void
__dallocx(void *p, int flags)
{
	if (likely(flags == 0) && !config_hardened)
		free_fast(p);
	else
		allocx_dallocx_flags(p, flags);
}

/*
 * Sized free.  Any size from the one requested up to the usable size is
 * right: with the same flags, each gives the usable size the object has
 * (nallocx).  With safety checks on, any other size is a program error
 * and fatal.
 */
/* sdallocx with flags: out of line, so the fast path saves no register. */
static void __attribute__((noinline))
allocx_sdallocx_flags(void *p, size_t size, int flags)
{
	struct allocx_req r;
	struct sp *sp;
	unsigned ind;

	(void)allocx_decode(flags, &r, "sdallocx");
	if (config_hardened) {
		harden_free(p, true, size, r.align, "sdallocx");
		return;
	}
	sp = alloc_lookup(p, &ind, "sdallocx");
	if (config_safety)
		alloc_check_size(p, sp, ind, size, r.align, "sdallocx");
	allocx_free(&r, p, sp, ind);
}

DM_EXPORT void
__sdallocx(void *p, size_t size, int flags)
{
	if (likely(flags == 0) && !config_hardened)
		free_sized_fast(p, size, "sdallocx");
	else
		allocx_sdallocx_flags(p, size, flags);
}

DM_EXPORT size_t
__nallocx(size_t size, int flags)
{
	if (!malloc_init_check())
		return (0);
	/* Hardened: the usable size is the size requested (harden.h). */
	if (config_hardened)
		return (size > SC_MAX_SIZE ? 0 : DM_MAX(size, 1));
	return (allocx_usize(size, allocx_align(flags)));
}

DM_ALIAS(__mallocx, mallocx);
DM_ALIAS(__rallocx, rallocx);
DM_ALIAS(__xallocx, xallocx);
DM_ALIAS(__sallocx, sallocx);
DM_ALIAS(__dallocx, dallocx);
DM_ALIAS(__sdallocx, sdallocx);
DM_ALIAS(__nallocx, nallocx);

/* This file's functions on the allocation paths, for prof_bt.c. */
const void *const allocx_prof_fns[] = {
	(const void *)allocx_alloc,
	(const void *)allocx_mallocx_flags,
	(const void *)allocx_tc_realloc,
	NULL
};
