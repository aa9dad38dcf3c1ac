/*
 * allocx.c: jemalloc's non-standard allocation interface: mallocx,
 * rallocx, xallocx, sallocx, dallocx, sdallocx, nallocx.  The flags word
 * is decoded exactly as jemalloc encodes it (see malloc_np.h): bits 0-5
 * lg(alignment), bit 6 zero, bits 8-19 thread cache (0 automatic, 1
 * none), bits 20-31 arena index + 1.  No locking here; see alloc.h.
 */
#include <errno.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "init.h"
#include "large.h"
#include "msg.h"
#include "public.h"

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

static size_t
allocx_align(int flags)
{
	unsigned lg = FLAG_LG_ALIGN(flags);

	return (lg == 0 ? 0 : (size_t)1 << lg);
}

/* Decode arena and cache flags; false if the arena does not exist. */
static bool
allocx_target(int flags, struct arena **arena, unsigned *aflags)
{
	unsigned a = FLAG_ARENA(flags), t = FLAG_TCACHE(flags);

	*arena = NULL;
	*aflags = (flags & FLAG_ZERO) ? ALLOC_ZERO : 0;
	if (t == 1)
		*aflags |= ALLOC_NOCACHE;
	if (a != 0) {
		if (!malloc_init_check())
			return (false);
		*arena = arena_get(a - 1, a - 1 < narenas_auto);
		if (*arena == NULL)
			return (false);
	}
	return (true);
}

DM_EXPORT void *
__mallocx(size_t size, int flags)
{
	struct arena *arena;
	unsigned aflags;

	if (likely(flags == 0))
		return (alloc_fast(size));
	if (!allocx_target(flags, &arena, &aflags))
		return (NULL);
	return (alloc_generic(size, allocx_align(flags), aflags, arena));
}

DM_EXPORT void *
__rallocx(void *p, size_t size, int flags)
{
	struct arena *arena;
	unsigned aflags;

	if (!allocx_target(flags, &arena, &aflags))
		return (NULL);
	return (alloc_realloc(p, size, allocx_align(flags), aflags, arena,
	    "rallocx"));
}

DM_EXPORT size_t
__xallocx(void *p, size_t size, size_t extra, int flags)
{
	struct sp *sp;
	size_t old, hi, lo, align = allocx_align(flags);
	unsigned ind;

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
	if (sc_index(hi) >= SC_NBINS && large_resize(sp, p, old, hi,
	    (flags & FLAG_ZERO) != 0))
		return (hi);
	if (hi != lo && sc_index(lo) >= SC_NBINS && large_resize(sp, p, old,
	    lo, (flags & FLAG_ZERO) != 0))
		return (lo);
	return (old);
}

DM_EXPORT size_t
__sallocx(const void *p, int flags)
{
	struct sp *sp;
	unsigned ind;

	(void)flags;
	sp = alloc_lookup(p, &ind, "sallocx");
	return (alloc_usize(p, sp, ind));
}

DM_EXPORT void
__dallocx(void *p, int flags)
{
	struct sp *sp;
	unsigned ind;

	if (likely(flags == 0)) {
		free_fast(p);
		return;
	}
	sp = alloc_lookup(p, &ind, "dallocx");
	free_validated(p, sp, ind,
	    FLAG_TCACHE(flags) == 1 ? ALLOC_NOCACHE : 0);
}

DM_EXPORT void
__sdallocx(void *p, size_t size, int flags)
{
	struct sp *sp;
	size_t usize;
	unsigned ind;

	sp = alloc_lookup(p, &ind, "sdallocx");
	if (config_safety) {
		usize = alloc_usize(p, sp, ind);
		if (size > usize)
			msg_fatal("sdallocx(): size %zu is larger than the "
			    "allocation %p of %zu bytes", size, p, usize);
	}
	free_validated(p, sp, ind,
	    FLAG_TCACHE(flags) == 1 ? ALLOC_NOCACHE : 0);
}

DM_EXPORT size_t
__nallocx(size_t size, int flags)
{
	size_t align = allocx_align(flags);

	if (!malloc_init_check())
		return (0);
	if (size > SC_MAX_SIZE)
		return (0);
	return (align <= SC_QUANTUM ? sc_usize(size) :
	    sc_usize_aligned(size, align));
}

DM_ALIAS(__mallocx, mallocx);
DM_ALIAS(__rallocx, rallocx);
DM_ALIAS(__xallocx, xallocx);
DM_ALIAS(__sallocx, sallocx);
DM_ALIAS(__dallocx, dallocx);
DM_ALIAS(__sdallocx, sdallocx);
DM_ALIAS(__nallocx, nallocx);
