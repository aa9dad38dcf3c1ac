/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * alloc.c: the slow allocation and free paths, pointer validation and
 * reallocation (see alloc.h).  Locks are taken only below this layer
 * (bins, page allocators).
 */
#include <errno.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "bg.h"
#include "conf.h"
#include "harden.h"
#include "init.h"
#include "large.h"
#include "msg.h"
#include "prof.h"
#include "slab.h"
#include "tcache.h"
#include "tsd.h"

_Atomic size_t alloc_zero_reallocs;

void *
alloc_oom(size_t size)
{
	if (opt_xmalloc)
		msg_fatal("out of memory allocating %zu bytes (xmalloc)",
		    size);
	errno = ENOMEM;
	return (NULL);
}

static struct tsd *
alloc_tsd(void)
{
	struct tsd *tsd = tsd_get();

	if (unlikely(tsd->state == TSD_UNINIT))
		tsd_boot(tsd);
	else if (++tsd->numa_ticks >= TSD_NUMA_TICKS)
		tsd_numa_check(tsd);
	return (tsd);
}

static void
alloc_fill(void *p, size_t usize, bool zero)
{
	if (zero)
		return;
	if (opt_zero)
		memset(p, 0, usize);
	else if (opt_junk & JUNK_ALLOC)
		memset(p, 0xa5, usize);
}

void *
alloc_generic(size_t size, size_t align, unsigned flags, struct arena *arena)
{
	struct tsd *tsd;
	size_t usize;
	unsigned ind;
	void *p;

	bool cached;

	if (unlikely(!malloc_init()))
		return (alloc_oom(size));
	bg_poll();
	tsd = alloc_tsd();
	if (opt_prof)
		prof_poll();
	/*
	 * Every allocation slow path (a cache refill, a large allocation)
	 * checks the node: it costs a vDSO call, small beside the refill.
	 */
	if (arena_numa() && tsd->state == TSD_NOMINAL)
		tsd_numa_check(tsd);
	usize = align <= SC_QUANTUM ? sc_usize(size) :
	    sc_usize_aligned(size, align);
	if (usize == 0)
		return (alloc_oom(size));
	ind = sc_index(usize);
	cached = arena == NULL && (flags & ALLOC_NOCACHE) == 0 &&
	    ind < tsd->tc.nhbins && align <= PAGE;
	if (opt_prof && ((flags & ALLOC_SAMPLE) ||
	    prof_sample_due(tsd, usize, ind, cached))) {
		p = prof_alloc(tsd, size, usize, align, flags, arena);
		if (p == NULL)
			return (alloc_oom(size));
		if (unlikely(opt_zero || opt_junk))
			alloc_fill(p, usize, (flags & ALLOC_ZERO) != 0);
		return (p);
	}
	if (cached) {
		p = tcache_alloc_slow(&tsd->tc, ind);
		if (p != NULL && (flags & ALLOC_ZERO))
			memset(p, 0, usize);
		if (opt_prof && p != NULL)
			prof_stage(tsd, ind);
	} else if (arena == NULL && (ind >= SC_NBINS || align > PAGE)) {
		/* The thread's arena: others may lend it pages (large.c). */
		arena = tsd_arena(tsd);
		if (arena == NULL)
			return (alloc_oom(size));
		p = large_alloc_shared(arena, usize, align,
		    (flags & ALLOC_ZERO) != 0);
		if (p != NULL) {
			tsd->large_allocated += usize;
			mark_live(p);
		}
	} else {
		if (arena == NULL)
			arena = tsd_arena(tsd);
		if (arena == NULL)
			return (alloc_oom(size));
		p = arena_malloc(arena, usize, align,
		    (flags & ALLOC_ZERO) != 0);
		if (p != NULL) {
			tsd->large_allocated += usize;
			/* A slab region, or dirty pages: the marker goes. */
			mark_live(p);
		}
	}
	if (p == NULL)
		return (alloc_oom(size));
	if (unlikely(opt_zero || opt_junk))
		alloc_fill(p, usize, (flags & ALLOC_ZERO) != 0);
	return (p);
}

/*
 * malloc past the inline fast path.  Sizes above its table (SC_LUT_MAX)
 * up to the cache's largest class are popped here as the fast path pops
 * (alloc.h), with the class computed: they would otherwise take the
 * whole generic path for every allocation, a cached one included (in a
 * churn of mixed sizes, 4 KiB to 32 KiB objects were 5% of the mallocs
 * and half of malloc's instructions).  No cache (junk, zero, tcache off,
 * a thread not set up: nhbins 0) and prof:true (its staging bins, prof.h)
 * go the generic way.
 */
void *
alloc_slow(size_t size)
{
	struct tsd *tsd;
	struct tbin *tb;
	unsigned ind;
	uint32_t n;

	if (size > SC_LUT_MAX && size <= SC_TCACHE_LIMIT) {
		tsd = tsd_get();
		ind = sc_index_compute(size);
		if (ind < tsd->tc.nhbins && tsd->tc.sbins == NULL) {
			tb = &tsd->tc.bins[ind];
			n = tb->ncached;
			if (n > tb->lowwater) {
				tb->ncached = n - 1;
				tb->nmalloc++;
				return (mark_live(tb->stack[n - 1]));
			}
			if (n != 0) {
				tb->lowwater = tb->ncached = --n;
				tb->nmalloc++;
				return (mark_live(tb->stack[n]));
			}
		}
	}
	return (alloc_generic(size, 0, 0, NULL));
}

/*
 * p carries the free marker and its slab does not hold it as free: find
 * where it is, and report it.  A live object whose first word is the
 * marker cannot be told from a freed one (alloc.h), and is reported too.
 */
static void __attribute__((noreturn))
alloc_freed_here(const void *p, const char *fn)
{
	msg_fatal("%s(): pointer %p is not allocated: it is free in this "
	    "thread's cache (double free, or never handed out)", fn, p);
}

static void __attribute__((noreturn))
alloc_freed(const void *p, unsigned ind, const char *fn)
{
	struct tsd *tsd = tsd_get();
	struct tcache *tc = &tsd->tc;
	unsigned i;

	if (config_hardened && harden_quarantined(p))
		msg_fatal("%s(): double free of %p (freed earlier, still in "
		    "the quarantine)", fn, p);
	if (ind < tc->nhbins) {
		for (i = tc->bins[ind].ncached; i-- > 0; )
			if (tc->bins[ind].stack[i] == p)
				alloc_freed_here(p, fn);
		for (i = tc->sbins != NULL ? tc->sbins[ind].ncached : 0;
		    i-- > 0; )
			if (tc->sbins[ind].stack[i] == p)
				alloc_freed_here(p, fn);
	}
	for (i = 0; i < tc->nremote; i++)
		if (tc->remote[i] == p)
			alloc_freed_here(p, fn);
	msg_fatal("%s(): pointer %p is not allocated: it is marked free "
	    "(double free through another thread's or an explicit cache)",
	    fn, p);
}

struct sp *
alloc_lookup(const void *p, unsigned *ind, const char *fn)
{
	struct sp *sp;
	struct slab *s;
	uint32_t e, off;
	unsigned r;

	sp = amap_lookup(p);
	if (sp == NULL)
		msg_fatal("%s(): invalid pointer %p (not allocated by "
		    "domalloc)", fn, p);
	switch (sp->kind) {
	case SP_HUGE:
		if ((uintptr_t)p != sp->addr)
			goto inner;
		*ind = sp->sampled ? PROF_IND : sc_index(sp->usize);
		return (sp);
	case SP_RUNS:
		break;
	default:
		goto unallocated;
	}
	e = sp_pmap_of(sp, p)->e;
	if (e == 0)
		goto unallocated;
	if (sp_class_at(sp, p, e) < 0) {
		/* A page of a slab nothing handed out reaches (slab.h). */
		if (e == PMAP_UNMARKED)
			msg_fatal("%s(): pointer %p is not allocated: it lies "
			    "in a part of its slab never handed out", fn, p);
		/* A sampled object: its first page says so (prof.h). */
		if ((e & PMAP_SAMPLED) && opt_prof &&
		    ((uintptr_t)p & (PAGE - 1)) == 0) {
			*ind = PROF_IND;
			return (sp);
		}
		goto inner;
	}
	*ind = (unsigned)sp_class_at(sp, p, e);
	if (*ind >= SC_FIELD_END)
		goto large;	/* a run that starts at p (sp.h) */
	/* The offset in the slab: the granule's, then within it (sp.h). */
	off = ((e >> 16) << GEOM_LG_PMAP) +
	    (uint32_t)((uintptr_t)p & (GEOM_PMAP - 1));
	if (!sc_divides(*ind, off))
		goto inner;
	if (*ind < SC_NBINS) {
		/*
		 * A region its slab holds as free: freed and returned, or
		 * never handed out.  (Read without the bin lock: a slab
		 * changes only regions that are not live.)
		 */
		s = sp->slab[sp_page(sp, p)];
		r = sc_region(*ind, (uintptr_t)p - s->addr);
		if ((s->bitmap[r >> 6] >> (r & 63)) & 1)
			msg_fatal("%s(): pointer %p is not allocated: it is "
			    "free in its slab (double free, or never "
			    "allocated)", fn, p);
	}
large:
	if (mark_is_free(p))
		alloc_freed(p, *ind, fn);
	return (sp);
inner:
	msg_fatal("%s(): invalid pointer %p (inside an allocation, not at "
	    "its start)", fn, p);
unallocated:
	msg_fatal("%s(): pointer %p is not allocated (double free, or never "
	    "allocated)", fn, p);
}

size_t
alloc_usize(const void *p, struct sp *sp, unsigned ind)
{
	if (ind < SC_NBINS)
		return (sc_size[ind]);
	if (ind == PROF_IND)
		return (prof_usize(p, "free"));
	return (large_usize(sp, p));
}

void
free_validated(void *p, struct sp *sp, unsigned ind, unsigned flags)
{
	struct tsd *tsd = tsd_get();

	/*
	 * A thread whose first call is a free returns that object to its
	 * arena rather than seeding its new cache with it: a thread handed
	 * an object made elsewhere (a neighbour's cache line, perhaps) should
	 * not make it the first thing it allocates.
	 */
	if (tsd->state == TSD_UNINIT)
		flags |= ALLOC_NOCACHE;
	tsd = alloc_tsd();
	if (ind == PROF_IND) {
		prof_free(p, sp);
		return;
	}

	if (opt_junk & JUNK_FREE)
		memset(p, 0x5a, alloc_usize(p, sp, ind));
	if (sp->kind == SP_RUNS)
		mark_free(p);
	if ((flags & ALLOC_NOCACHE) == 0 && ind < tsd->tc.nhbins &&
	    sp->kind == SP_RUNS) {
		if (PMAP_WIN(sp_pmap_of(sp, p)->e) != tsd->tc.win) {
			/* Not counted by a cache bin: thread.deallocated. */
			tsd->large_deallocated += alloc_usize(p, sp, ind);
			tcache_remote(&tsd->tc, p);
		} else
			tcache_dalloc(&tsd->tc, ind, p);
		return;
	}
	tsd->large_deallocated += alloc_usize(p, sp, ind);
	if (ind < SC_NBINS)
		arena_dalloc_small(sp, p);
	else
		large_free(sp, p);
}

void
free_slow(void *p)
{
	struct sp *sp;
	unsigned ind;

	if (p == NULL)
		return;
	sp = alloc_lookup(p, &ind, "free");
	/* Let the next free of this superpage skip the map (tsd.h). */
	if ((uintptr_t)p - sp->addr < SUPERPAGE)
		tsd_get()->sp_last[TSD_SP_SLOT(p)] = sp;
	free_validated(p, sp, ind, 0);
}

bool
alloc_resize(struct sp *sp, void *p, size_t oldusize, size_t usize,
    bool zero, bool movable)
{
	struct tsd *tsd;

	/* A sampled object: a new size is a new allocation (prof.h). */
	if (prof_is_sampled(sp, p))
		return (prof_resize(p, sp, usize, zero, movable));
	if (!large_resize(sp, p, oldusize, usize, zero || opt_zero, movable))
		return (false);
	/* thread.allocated / deallocated: the new size in, the old out. */
	tsd = tsd_get();
	tsd->large_allocated += usize;
	tsd->large_deallocated += oldusize;
	return (true);
}

void *
alloc_resized_prof(void *p, struct sp *sp, size_t usize, size_t size,
    size_t align, unsigned flags, struct arena *arena)
{
	unsigned ind = sc_index(usize);
	void *q;

	/*
	 * As jemalloc counts every reallocation: without this, buffers
	 * grown in place would be sampled at the size they started with.
	 */
	if (!prof_sample_due(alloc_tsd(), usize, ind, false))
		return (p);
	q = alloc_generic(size, align, flags | ALLOC_SAMPLE, arena);
	if (q == NULL)
		return (p);	/* the resized object is still good */
	memcpy(q, p, usize);
	free_validated(p, sp, ind, flags & ALLOC_NOCACHE);
	return (q);
}

void
alloc_check_size(const void *p, struct sp *sp, unsigned ind, size_t size,
    size_t align, const char *fn)
{
	size_t usize = alloc_usize(p, sp, ind), want;

	want = size > SC_MAX_SIZE ? 0 : align <= SC_QUANTUM ? sc_usize(size) :
	    sc_usize_aligned(size, align);
	if (size > usize || want != usize)
		msg_fatal("%s(): size %zu does not match the allocation %p of "
		    "%zu usable bytes", fn, size, p, usize);
	if (align > 1 && ((uintptr_t)p & (align - 1)) != 0)
		msg_fatal("%s(): alignment %zu does not match the allocation "
		    "%p", fn, align, p);
}

/*
 * The page map entry of p found as free's fast path finds it (alloc.h:
 * the thread's last superpage, else the address map, which then becomes
 * the last), or NULL if p lies in no superpage.  For the paths that
 * check p against the thread's cache outside free's fast path, which
 * keeps its own inlined copy for its instruction count.
 */
static const struct pmap_ent *
alloc_cached_pmap(struct tsd *tsd, const void *p)
{
	const struct sp *sp = tsd->sp_last[TSD_SP_SLOT(p)];
	uintptr_t a;

	if ((a = (uintptr_t)p - sp->addr) >= SUPERPAGE) {
		sp = amap_lookup(p);
		if (sp == NULL || (a = (uintptr_t)p - sp->addr) >= SUPERPAGE)
			return (NULL);
		tsd->sp_last[TSD_SP_SLOT(p)] = sp;
	}
	return (&sp->pmap[a >> GEOM_LG_PMAP]);
}

/*
 * prof:true: malloc's size map points at the staging bins (prof.h), and
 * the sized fast path, which compares the object's bin with it, sends
 * every sized free here.  Do what it would have done, against the
 * thread's own bin (the same checks: start of a region of the class
 * size maps to, room, no free marker).  False: take the full path.
 */
static bool
free_sized_staged(void *p, size_t size)
{
	struct tsd *tsd = tsd_get();
	const struct pmap_ent *pe;
	struct tbin *tb;
	uint32_t x;

	if (tsd->tc.sbins == NULL || size > SC_LUT_MAX)
		return (false);
	if ((pe = alloc_cached_pmap(tsd, p)) == NULL)
		return (false);
	tb = (struct tbin *)((char *)tsd->tc.bins +
	    TCACHE_BIN_OFF(pe->e, tsd->tc.nodexor));
	if (tb != &tsd->tc.bins[sc_lut[(size + SC_QUANTUM - 1) >>
	    SC_LG_QUANTUM]])
		return (false);
	x = (uint32_t)(uintptr_t)p * tb->magic + pe->k;
	if (x >= tb->magic || tb->ncached >= tb->max || mark_is_free(p))
		return (false);
	mark_free(p);
	tb->stack[tb->ncached++] = p;
	return (true);
}

void
free_sized_slow(void *p, size_t size, size_t align, const char *fn)
{
	struct sp *sp;
	unsigned ind;

	if (p == NULL)
		return;
	if (opt_prof && align == 0 && free_sized_staged(p, size))
		return;
	sp = alloc_lookup(p, &ind, fn);
	if (config_safety)
		alloc_check_size(p, sp, ind, size, align, fn);
	if ((uintptr_t)p - sp->addr < SUPERPAGE)
		tsd_get()->sp_last[TSD_SP_SLOT(p)] = sp;
	free_validated(p, sp, ind, 0);
}

/*
 * Most reallocations of small objects change the class (a program that
 * grows a buffer by a few bytes at a time stays in one class, one that
 * replaces its contents moves), and the generic path pays for a full
 * validation, the generic allocation (init, background and NUMA polls,
 * the class computed twice) and a validated free around the copy: five
 * times the instructions of the malloc, memcpy and free it amounts to.
 * Here p is validated as free's fast path does (the bin its page map
 * entry names in this thread's window, the region check, the marker),
 * then the new object comes from malloc's paths and p goes back through
 * free's, which checks it again against the cache as it is after the
 * allocation (a refill may have moved the thread to another node).
 * Large objects keep the generic path: they may grow or shrink in place.
 * prof:true keeps it too, since a reallocation is an allocation to
 * sample (alloc_resized_prof).
 */
bool
alloc_realloc_cached(void *p, size_t size, void **qp)
{
	struct tsd *tsd = tsd_get();
	const struct pmap_ent *pe;
	const struct tbin *tb;
	unsigned oind, nind;
	void *q;

	if (opt_prof || size > SC_SMALL_MAX)
		return (false);
	if ((pe = alloc_cached_pmap(tsd, p)) == NULL)
		return (false);
	/* A bin without objects has magic 0: the test fails (tcache.h). */
	tb = (const struct tbin *)((const char *)tsd->tc.bins +
	    TCACHE_BIN_OFF(pe->e, tsd->tc.nodexor));
	if ((uint32_t)(uintptr_t)p * tb->magic + pe->k >= tb->magic ||
	    mark_is_free(p))
		return (false);
	oind = (unsigned)(tb - tsd->tc.bins);
	if (oind >= SC_NBINS)
		return (false);
	nind = sc_index(size);
	if (nind == oind) {
		*qp = p;
		return (true);
	}
	q = size <= SC_LUT_MAX ? alloc_fast(size) : alloc_slow(size);
	if (q != NULL) {
		memcpy(q, p, DM_MIN(sc_size[oind], sc_size[nind]));
		free_fast(p);
	}
	*qp = q;
	return (true);
}

void *
alloc_realloc(void *p, size_t size, size_t align, unsigned flags,
    struct arena *arena, const char *fn)
{
	struct sp *sp;
	size_t oldusize, usize;
	unsigned ind, nind;
	void *q;

	sp = alloc_lookup(p, &ind, fn);
	oldusize = alloc_usize(p, sp, ind);
	usize = align <= SC_QUANTUM ? sc_usize(size) :
	    sc_usize_aligned(size, align);
	if (usize == 0)
		return (alloc_oom(size));
	nind = sc_index(usize);
	if (((uintptr_t)p & (align - 1)) == 0 || align == 0) {
		if (usize == oldusize && (arena == NULL ||
		    arena == sp->arena))
			return (p);
		if (ind >= SC_NBINS && nind >= SC_NBINS &&
		    (arena == NULL || arena == sp->arena) &&
		    alloc_resize(sp, p, oldusize, usize,
		    (flags & ALLOC_ZERO) != 0, true))
			return (opt_prof && ind != PROF_IND ?
			    alloc_resized_prof(p, sp, usize, size, align,
			    flags, arena) : p);
	}
	q = alloc_generic(size, align, flags, arena);
	if (q == NULL)
		return (NULL);
	memcpy(q, p, DM_MIN(oldusize, usize));
	if ((flags & ALLOC_ZERO) && usize > oldusize)
		memset((char *)q + oldusize, 0, usize - oldusize);
	/* MALLOCX_TCACHE_NONE holds for the old object too. */
	free_validated(p, sp, ind, flags & ALLOC_NOCACHE);
	return (q);
}
