/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * bin.c: small-object bins (see bin.h for what they own and how they
 * lock).
 */
#include <stdatomic.h>
#include <string.h>

#include "amap.h"
#include "arena.h"
#include "bin.h"
#include "mark.h"
#include "msg.h"

/* Slabs emptied by one flush released together. */
#define	BIN_EMPTY_BATCH	64

void
bin_init(struct bin *bin)
{
	memset(bin, 0, sizeof(*bin));
	mutex_init(&bin->lock, RANK_BIN);
	TAILQ_INIT(&bin->nonfull);
}

void
bin_reinit(struct bin *bin)
{
	mutex_lock(&bin->lock);
	bin->cur = NULL;
	TAILQ_INIT(&bin->nonfull);
	memset(&bin->stats, 0, sizeof(bin->stats));
	mutex_unlock(&bin->lock);
}

/*
 * Pages of slab s, from its first, in which every region that starts
 * there lies below nm: free's fast path may take the pages below that
 * (slab.h).  The slabs of small classes end with their last region, so
 * with nm == nregs that is every page.
 */
static unsigned
bin_slab_fast_pages(const struct slab *s, unsigned nm)
{

	if (nm >= s->nregs)
		return (sc_slab_pages[s->sc]);
	return ((unsigned)(((size_t)nm * sc_size[s->sc]) >> LG_PAGE));
}

/*
 * Give pages [p0, p1) of slab s (from its first) the page map entries of
 * its class, which free's fast path takes: as sp_pmap_slab does for a
 * whole slab, a page at a time.
 */
static void
bin_slab_pmap(struct slab *s, unsigned p0, unsigned p1)
{
	struct sp *sp = s->sp;
	struct pmap_ent *pe = sp_pmap_page(sp, sp_page(sp, (void *)s->addr));
	size_t g, off, size = sc_size[s->sc];
	unsigned win = s->arena->win;

	for (g = (size_t)p0 << geom.lg_pmap_per_page;
	    g < (size_t)p1 << geom.lg_pmap_per_page; g++) {
		/* The region holding the granule's first byte (sp.h). */
		off = g << GEOM_LG_PMAP;
		pe[g] = pmap_ent(s->sc, win, (uint32_t)g,
		    s->addr + off / size * size);
	}
}

void
bin_slab_mark(struct slab *s, unsigned r)
{
	size_t size = sc_size[s->sc];
	uintptr_t end;
	unsigned k, lim, p0;

	DM_ASSERT(r < s->nregs);
	if (r < s->nmarked)
		return;
	/* Every region that starts before the end of r's last page. */
	end = ALIGN_UP(s->addr + (size_t)(r + 1) * size, PAGE);
	lim = (unsigned)DM_MIN((end - s->addr + size - 1) / size,
	    (size_t)s->nregs);
	for (k = s->nmarked; k < lim; k++)
		mark_free((void *)(s->addr + (size_t)k * size));
	/*
	 * The markers before the page map entries: a free that finds an
	 * entry fast must find the marker of every region never handed out
	 * in that page.  (The regions go to the filling thread, and to
	 * others only through the program, after this.)
	 */
	p0 = bin_slab_fast_pages(s, s->nmarked);
	s->nmarked = (uint16_t)lim;
	atomic_thread_fence(memory_order_release);
	bin_slab_pmap(s, p0, bin_slab_fast_pages(s, lim));
}

/* Debug builds: the first broken invariant ends the process. */
#define	BIN_CHECK(cond, sc, s, what) do {				\
	if (!(cond))							\
		msg_fatal("bin_check: class %u, slab %p: %s", (sc),	\
		    (s) != NULL ? (void *)(s)->addr : NULL, (what));	\
} while (0)

/*
 * Debug builds: check slab.h's invariants for slab s of class sc, and
 * that the page map and the superpage's slab pointers describe it.
 */
static void
bin_check_slab(const struct slab *s, unsigned sc)
{
	unsigned w, k, n = 0, pidx, fast;
	uint64_t valid;

	BIN_CHECK(s->sc == sc && s->nregs == sc_nregs[sc], sc, s,
	    "its class and region count are its bin's");
	for (w = 0; w < geom.slab_nwords; w++) {
		n += (unsigned)__builtin_popcountll(s->bitmap[w]);
		valid = s->nregs >= w * 64 + 64 ? UINT64_MAX :
		    s->nregs <= w * 64 ? 0 :
		    ((uint64_t)1 << (s->nregs - w * 64)) - 1;
		BIN_CHECK((s->bitmap[w] & ~valid) == 0, sc, s,
		    "no free bit past nregs");
	}
	BIN_CHECK(n == s->nfree && s->nfree <= s->nregs, sc, s,
	    "nfree == popcount(bitmap) <= nregs");
	BIN_CHECK(s->nmarked <= s->nregs, sc, s, "nmarked <= nregs");
	for (k = s->nmarked; k < s->nregs; k++)
		BIN_CHECK((s->bitmap[k >> 6] >> (k & 63)) & 1, sc, s,
		    "every region from nmarked on is free");
	pidx = sp_page(s->sp, (void *)s->addr);
	fast = bin_slab_fast_pages(s, s->nmarked);
	for (k = 0; k < sc_slab_pages[sc]; k++)
		BIN_CHECK(s->sp->slab[pidx + k] == s && (k < fast ?
		    PMAP_CLASS(sp_pmap_page(s->sp, pidx + k)->e) == (int)sc :
		    sp_pmap_page(s->sp, pidx + k)->e == PMAP_UNMARKED), sc, s,
		    "its pages map to it, with its class where every region "
		    "is marked, PMAP_UNMARKED beyond");
}

/*
 * Debug builds: check the bin of class sc, the lock held: its current
 * slab and every slab of its nonfull list (listed, neither full nor
 * empty), and the list's count.
 */
static void
bin_check_locked(struct bin *bin, unsigned sc)
{
	struct slab *s;
	size_t n = 0;

	if (!config_debug)
		return;
	mutex_assert_held(&bin->lock);
	if (bin->cur != NULL)
		bin_check_slab(bin->cur, sc);
	TAILQ_FOREACH(s, &bin->nonfull, link) {
		bin_check_slab(s, sc);
		BIN_CHECK(s->listed && s != bin->cur && s->nfree != 0 &&
		    s->nfree != s->nregs, sc, s, "a slab on the nonfull list "
		    "is listed, not current, neither full nor empty");
		n++;
	}
	BIN_CHECK(n == bin->stats.nonfull, sc, (struct slab *)NULL,
	    "stats.nonfull counts the nonfull list");
}

/*
 * A new slab for class sc; the bin lock is held.  With dirty_only, only
 * of pages known to be dirty (pa_run_alloc_resident's lending rule): NULL
 * rather than touching a page that is not resident yet.
 */
static struct slab *
bin_slab_new(struct arena *arena, unsigned sc, bool dirty_only)
{
	struct pa *pa = &arena->pa;
	struct slab *s;
	struct sp *sp;
	unsigned pidx, k, npages, w, nregs;
	bool dirty, hooked;

	npages = sc_slab_pages[sc];
	if (dirty_only) {
		sp = pa_run_alloc_resident(pa, npages, 1, true, &pidx,
		    &dirty, &hooked);
		if (sp == NULL)
			return (NULL);
		mutex_lock(&pa->lock);
		s = pa_slab_desc_get(pa);
		if (s == NULL) {
			pa_run_free_locked(pa, sp, pidx, npages);
			mutex_unlock(&pa->lock);
			return (NULL);
		}
	} else {
		mutex_lock(&pa->lock);
		s = pa_slab_desc_get(pa);
		if (s == NULL) {
			mutex_unlock(&pa->lock);
			return (NULL);
		}
		sp = pa_run_alloc_locked(pa, npages, 1, &pidx, &dirty);
		if (sp == NULL) {
			pa_slab_desc_put_locked(pa, s);
			mutex_unlock(&pa->lock);
			return (NULL);
		}
	}
	mutex_unlock(&pa->lock);
	memset(s, 0, geom.slab_size);
	s->addr = sp->addr + ((size_t)pidx << LG_PAGE);
	s->sp = sp;
	s->arena = arena;
	s->sc = (uint8_t)sc;
	nregs = sc_nregs[sc];
	s->nregs = (uint16_t)nregs;
	s->nfree = (uint16_t)nregs;
	for (w = 0; w < geom.slab_nwords; w++) {
		if (nregs >= 64) {
			s->bitmap[w] = UINT64_MAX;
			nregs -= 64;
		} else {
			s->bitmap[w] = nregs == 0 ? 0 :
			    ((uint64_t)1 << nregs) - 1;
			nregs = 0;
		}
	}
	for (k = 0; k < npages; k++)
		sp->slab[pidx + k] = s;
	/*
	 * No region is marked yet (nmarked 0) and every page is slow for
	 * free (PMAP_UNMARKED): bin_slab_mark marks the regions as they are
	 * handed out, so that a slab of several pages of which a program
	 * uses a few regions is not made resident whole.
	 */
	sp_pmap_fill(sp, pidx, npages, (struct pmap_ent){ PMAP_UNMARKED,
	    0 });
	/*
	 * The hardened library hands out only zeroed regions and checks
	 * them (harden.h): pages another class used hold its markers.  It
	 * marks every region at once.
	 */
	if (config_hardened) {
		if (dirty)
			memset((void *)s->addr, 0, (size_t)npages << LG_PAGE);
		bin_slab_mark(s, s->nregs - 1);
	}
	return (s);
}

static void
bin_slab_release(struct arena *arena, struct slab *s)
{
	struct pa *pa = &arena->pa;
	unsigned pidx;

	pidx = sp_page(s->sp, (void *)s->addr);
	mutex_lock(&pa->lock);
	pa_run_free_locked(pa, s->sp, pidx, sc_slab_pages[s->sc]);
	pa_slab_desc_put_locked(pa, s);
	mutex_unlock(&pa->lock);
}

/*
 * Take up to n regions from bin's current slab, then its nonfull list,
 * the lock held; never makes a slab.
 */
static unsigned
bin_take_locked(struct bin *bin, void **dst, unsigned n)
{
	struct slab *s;
	unsigned got = 0;

	mutex_assert_held(&bin->lock);
	while (got < n) {
		s = bin->cur;
		if (s == NULL || s->nfree == 0) {
			s = TAILQ_FIRST(&bin->nonfull);
			if (s == NULL)
				break;
			TAILQ_REMOVE(&bin->nonfull, s, link);
			s->listed = false;
			bin->stats.nonfull--;
			bin->cur = s;
			bin->stats.nreslabs++;
		}
		got += slab_take(s, dst + got, n - got);
	}
	return (got);
}

/*
 * Take up to n regions from the nonfull slabs of a sibling's bin, the
 * lock held, leaving its current slab to its own threads; a slab that
 * keeps free regions stays listed.  The regions are counted in the
 * sibling's statistics.
 */
static unsigned
bin_take_nonfull_locked(struct bin *bin, void **dst, unsigned n)
{
	struct slab *s;
	unsigned got = 0;

	mutex_assert_held(&bin->lock);
	while (got < n && (s = TAILQ_FIRST(&bin->nonfull)) != NULL) {
		got += slab_take(s, dst + got, n - got);
		if (s->nfree == 0) {
			TAILQ_REMOVE(&bin->nonfull, s, link);
			s->listed = false;
			bin->stats.nonfull--;
		}
	}
	return (got);
}

/* Count n regions handed out by a bin's fill, the lock held. */
static void
bin_count_fill(struct bin *bin, unsigned n)
{

	mutex_assert_held(&bin->lock);
	bin->stats.nmalloc += n;
	bin->stats.curregs += n;
	bin->stats.nfills++;
}

/* Unused dirty pages of pa, read without its lock: a hint only. */
static size_t
bin_pa_ndirty(struct pa *pa)
{

	return (__atomic_load_n(&pa->stats.ndirty, __ATOMIC_RELAXED));
}

/* Is a hook set on pa?  Read without its lock: a hint only. */
static bool
bin_pa_hooked(struct pa *pa)
{

	return (__atomic_load_n(&pa->hooks, __ATOMIC_RELAXED) != NULL);
}

/*
 * The sibling arenas (bin_fill_sibling) worth a visit by a fill of class
 * sc in arena, stored in sib; returns their count.  Only automatic arenas
 * without extent hooks share: an explicit arena (arenas.create,
 * MALLOCX_ARENA, a thread bound to one) hands out its own memory only.
 * A sibling is worth it if its bin has nonfull slabs or it holds a slab's
 * worth of dirty pages; both read without locks, as hints, so that a fill
 * that would find nothing keeps its bin lock and grows at once.
 */
static unsigned
bin_siblings(struct arena *arena, unsigned sc, struct arena **sib)
{
	struct arena *a;
	size_t need = sc_slab_pages[sc];
	unsigned k, ns = 0, nmax;

	if (narenas_auto < 2 || arena->ind >= narenas_auto ||
	    bin_pa_hooked(&arena->pa))
		return (0);
	nmax = DM_MIN(narenas_auto, BIN_SHARE_ARENAS + 1);
	for (k = 1; k < nmax; k++) {
		a = arena_get((arena->ind + k) % narenas_auto, false);
		if (a == NULL || a == arena || a->node != arena->node ||
		    bin_pa_hooked(&a->pa))
			continue;
		if (__atomic_load_n(&a->bins[sc].stats.nonfull,
		    __ATOMIC_RELAXED) != 0 || bin_pa_ndirty(&a->pa) >= need)
			sib[ns++] = a;
	}
	return (ns);
}

/*
 * Make slabs of class sc in arena for bin (arena's), the lock held, and
 * take regions from them until dst holds n or no slab can be made (with
 * dirty_only: of pages known to be dirty only, bin_slab_new).  Each new
 * slab becomes the current one (the one before it is full), or, with
 * sibling (a fill of another arena's cache, which leaves the current slab
 * to this arena's threads), goes on the nonfull list if regions are left.
 * Returns the count taken; *grew is set if a slab was made.
 */
static unsigned
bin_grow_locked(struct arena *arena, struct bin *bin, unsigned sc,
    void **dst, unsigned n, bool dirty_only, bool sibling, bool *grew)
{
	struct slab *s;
	unsigned got = 0;

	mutex_assert_held(&bin->lock);
	while (got < n && (s = bin_slab_new(arena, sc, dirty_only)) != NULL) {
		*grew = true;
		bin->stats.nslabs++;
		bin->stats.curslabs++;
		got += slab_take(s, dst + got, n - got);
		if (!sibling) {
			bin->cur = s;
			bin->stats.nreslabs++;
		} else if (s->nfree != 0) {
			TAILQ_INSERT_HEAD(&bin->nonfull, s, link);
			s->listed = true;
			bin->stats.nonfull++;
		}
	}
	return (got);
}

/*
 * Regions for the fill of an automatic arena whose bin would make a new
 * slab, from the ns sibling arenas sib (bin_siblings: some of the next
 * BIN_SHARE_ARENAS automatic arenas of the same node, none with extent
 * hooks): free regions of their bins' nonfull slabs, or, with grow, new
 * slabs of pages of theirs known to be dirty (which the caller asks for
 * only when this arena has no dirty run for one).  Returns the count
 * taken; this arena makes the rest.  Called with no lock held; takes one
 * sibling bin lock at a time and, under it, only that arena's page
 * allocator lock (bin_slab_new).
 */
static unsigned
bin_fill_sibling(unsigned sc, struct arena **sib, unsigned ns, void **dst,
    unsigned n, bool grow)
{
	struct arena *a;
	struct bin *bin;
	size_t need = sc_slab_pages[sc];
	unsigned got = 0, t, k;
	bool grew;

	for (k = 0; k < ns && got < n; k++) {
		a = sib[k];
		bin = &a->bins[sc];
		if (grow ? bin_pa_ndirty(&a->pa) < need :
		    __atomic_load_n(&bin->stats.nonfull, __ATOMIC_RELAXED) == 0)
			continue;
		grew = false;
		mutex_lock(&bin->lock);
		/* Its own threads may have freed regions since. */
		t = bin_take_nonfull_locked(bin, dst + got, n - got);
		if (grow && got + t < n)
			t += bin_grow_locked(a, bin, sc, dst + got + t,
			    n - got - t, true, true, &grew);
		if (t != 0)
			bin_count_fill(bin, t);
		bin_check_locked(bin, sc);
		mutex_unlock(&bin->lock);
		if (grew)
			pa_decay_tick(&a->pa);
		got += t;
	}
	return (got);
}

/* Does one of the ns siblings sib hold a slab's worth of dirty pages? */
static bool
bin_siblings_dirty(unsigned sc, struct arena **sib, unsigned ns)
{
	unsigned k;

	for (k = 0; k < ns; k++)
		if (bin_pa_ndirty(&sib[k]->pa) >= sc_slab_pages[sc])
			return (true);
	return (false);
}

/*
 * The fill of bin sc of arena: (1) its current slab and nonfull slabs;
 * with share, before it makes a slab of pages that may not be resident,
 * (2) the siblings' nonfull slabs, (3) a slab of its own dirty pages,
 * (4) a slab of a sibling's dirty pages; then (5) a slab of any memory of
 * its own.  A dirty run that fits is looked for in this arena first and
 * in the siblings next, so that one arena's dirty pages are reused before
 * another faults in fresh ones (issue 16: rptest held 5-8 MiB of dirty
 * pages at its peak on two arenas, 2-3 on one).
 */
static unsigned
bin_fill_impl(struct arena *arena, unsigned sc, void **dst, unsigned n,
    bool share)
{
	struct arena *sib[BIN_SHARE_ARENAS];
	struct bin *bin = &arena->bins[sc];
	unsigned got, mine, t, ns;
	bool grew = false;

	mutex_lock(&bin->lock);
	mine = got = bin_take_locked(bin, dst, n);
	if (got < n && share && (ns = bin_siblings(arena, sc, sib)) != 0) {
		/* Never two bin locks: this one is dropped, then re-read. */
		bin->stats.nmalloc += mine;
		bin->stats.curregs += mine;
		mutex_unlock(&bin->lock);
		got += bin_fill_sibling(sc, sib, ns, dst + got, n - got,
		    false);
		mutex_lock(&bin->lock);
		mine = bin_take_locked(bin, dst + got, n - got);
		got += mine;
		if (got < n && bin_pa_ndirty(&arena->pa) >= sc_slab_pages[sc]) {
			t = bin_grow_locked(arena, bin, sc, dst + got,
			    n - got, true, false, &grew);
			mine += t;
			got += t;
		}
		if (got < n && bin_siblings_dirty(sc, sib, ns)) {
			bin->stats.nmalloc += mine;
			bin->stats.curregs += mine;
			mutex_unlock(&bin->lock);
			got += bin_fill_sibling(sc, sib, ns, dst + got,
			    n - got, true);
			mutex_lock(&bin->lock);
			mine = bin_take_locked(bin, dst + got, n - got);
			got += mine;
		}
	}
	t = bin_grow_locked(arena, bin, sc, dst + got, n - got, false, false,
	    &grew);
	mine += t;
	got += t;
	bin_count_fill(bin, mine);
	bin_check_locked(bin, sc);
	mutex_unlock(&bin->lock);
	/* A heap that only grows must still reach decay and hugify. */
	if (grew)
		pa_decay_tick(&arena->pa);
	return (got);
}

unsigned
bin_fill(struct arena *arena, unsigned sc, void **dst, unsigned n)
{

	return (bin_fill_impl(arena, sc, dst, n, true));
}

unsigned
bin_fill_local(struct arena *arena, unsigned sc, void **dst, unsigned n)
{

	return (bin_fill_impl(arena, sc, dst, n, false));
}

/* Free one region into its slab; returns the slab if it became empty. */
static struct slab *
bin_dalloc_locked(struct bin *bin, struct slab *s, void *p)
{
	size_t off = (uintptr_t)p - s->addr;
	unsigned r, w;
	uint64_t bit;

	mutex_assert_held(&bin->lock);
	r = sc_region(s->sc, off);
	if (r >= s->nregs || (size_t)r * sc_size[s->sc] != off)
		msg_fatal("free(): invalid pointer %p (not the start of "
		    "an object)", p);
	w = r >> 6;
	bit = (uint64_t)1 << (r & 63);
	if (s->bitmap[w] & bit)
		msg_fatal("free(): pointer %p is already free in its slab "
		    "(freed twice, or changed after it was freed)", p);
	s->bitmap[w] |= bit;
	s->nfree++;
	if (s == bin->cur)
		return (NULL);
	if (s->nfree == s->nregs) {
		if (s->listed) {
			TAILQ_REMOVE(&bin->nonfull, s, link);
			s->listed = false;
			bin->stats.nonfull--;
		}
		bin->stats.curslabs--;
		return (s);
	}
	if (!s->listed) {
		TAILQ_INSERT_HEAD(&bin->nonfull, s, link);
		s->listed = true;
		bin->stats.nonfull++;
	}
	return (NULL);
}

void
bin_dalloc_batch(struct arena *hint, unsigned sc, void **ptrs, unsigned n,
    uint64_t nrequests)
{
	struct slab *s, *empty[BIN_EMPTY_BATCH];
	struct arena *a;
	struct bin *bin;
	unsigned i, keep, nempty, k;
	void *p;

	while (n > 0) {
		s = amap_lookup(ptrs[0])->slab[sp_page(amap_lookup(ptrs[0]),
		    ptrs[0])];
		a = s->arena;
		bin = &a->bins[sc];
		nempty = 0;
		keep = 0;
		mutex_lock(&bin->lock);
		for (i = 0; i < n; i++) {
			struct sp *sp;

			p = ptrs[i];
			sp = amap_lookup(p);
			s = sp->slab[sp_page(sp, p)];
			if (s->arena != a || s->sc != sc) {
				if (s->sc != sc)
					msg_fatal("free(): corrupted cache "
					    "entry %p", p);
				ptrs[keep++] = p;
				continue;
			}
			s = bin_dalloc_locked(bin, s, p);
			if (s == NULL)
				continue;
			if (nempty == BIN_EMPTY_BATCH) {
				/*
				 * Release a full batch now, under the bin lock
				 * (the page allocator's lock ranks below it):
				 * an empty slab kept on the nonfull list would
				 * stay resident until it is used again.
				 */
				for (k = 0; k < nempty; k++)
					bin_slab_release(a, empty[k]);
				nempty = 0;
			}
			empty[nempty++] = s;
		}
		bin->stats.ndalloc += n - keep;
		bin->stats.curregs -= n - keep;
		bin->stats.nflushes++;
		bin_check_locked(bin, sc);
		if (a == hint) {
			bin->stats.nrequests += nrequests;
			nrequests = 0;
		}
		mutex_unlock(&bin->lock);
		for (k = 0; k < nempty; k++)
			bin_slab_release(a, empty[k]);
		if (nempty != 0)
			pa_decay_tick(&a->pa);
		n = keep;
	}
	if (nrequests != 0 && hint != NULL) {
		bin = &hint->bins[sc];
		mutex_lock(&bin->lock);
		bin->stats.nrequests += nrequests;
		mutex_unlock(&bin->lock);
	}
}

void
bin_prefork(struct bin *bin)
{
	mutex_lock(&bin->lock);
}

void
bin_postfork_parent(struct bin *bin)
{
	mutex_unlock(&bin->lock);
}

void
bin_postfork_child(struct bin *bin)
{
	mutex_postfork_child(&bin->lock);
}
