/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * tcache.c: thread cache creation (bins set up on first use), fill, flush,
 * garbage collection, the pool of cache stacks reused across threads, and
 * the table of explicit caches (tcache.create) (see tcache.h).
 */
#include <string.h>

#include "amap.h"
#include "arena.h"
#include "base.h"
#include "bg.h"
#include "bin.h"
#include "conf.h"
#include "large.h"
#include "mark.h"
#include "msg.h"
#include "mutex.h"
#include "prof.h"
#include "sort.h"
#include "tcache.h"
#include "tsd.h"

unsigned		tcache_nhbins;
static uint16_t		tcache_max[SC_NTBINS_MAX];	/* starting capacity */
static uint16_t		tcache_cap[SC_NTBINS_MAX];	/* grown capacity */
/* Objects a bin holds at least for the idle sweep to empty it. */
static uint16_t		tcache_idle_min[SC_NTBINS_MAX];
/* A bin's first fill in a cache, in objects (TCACHE_FILL_FIRST). */
static uint16_t		tcache_fill_first[SC_NTBINS_MAX];
/* Where bin i's stack starts in a cache's block, in slots. */
static uint32_t		tcache_stack_off[SC_NTBINS_MAX];
static size_t		tcache_stack_slots;	/* all the bins' stacks */
static size_t		tcache_stack_bytes;	/* the block, staging too */
/*
 * Where the idle sweep's marks start in a cache's block, in bytes: per
 * bin, the low 16 bits of its pops plus pushes at the last sweep
 * (tcache_idle_sig).  In the block, not in struct tcache, because the
 * thread-local image is copied at every thread start (34 instructions
 * more per thread life in tests/bench/threadchurn.c with them there).
 * They are not reset when a block goes back to the pool: a stale mark can
 * at worst make a grown bin look idle once, which costs it a refill, as
 * can a bin that saw a multiple of 65,536 pops and pushes between two
 * sweeps.
 */
static size_t		tcache_marks_off;
const struct tbin	tbin_none;

/* Stacks of exited threads, ready for reuse.  Under tcaches_lock. */
static struct mutex	tcaches_lock = MUTEX_INITIALIZER(RANK_TCACHES);
static void		*tcache_pool;

/*
 * Explicit caches by identifier.  A slot is NULL (free), TCACHE_BUSY
 * (being created) or a cache; published with release stores so that the
 * allocation paths read it without the lock.  Destroyed caches wait in
 * tcaches_spare for reuse (their memory is base memory, never freed).
 * Synchronization: changes under tcaches_lock.
 */
#define	TCACHE_BUSY		((struct tcache *)1)
static struct tcache *_Atomic	tcaches[TCACHES_MAX];
static struct tcache		*tcaches_spare[TCACHES_MAX];
static unsigned			 tcaches_nspare;

void
tcache_boot(void)
{
	uint64_t slots;
	unsigned i, n;

	/*
	 * junk and zero act on every allocation and free, which the cache
	 * fast paths do not look at: with either, run without caches.
	 */
	tcache_nhbins = opt_tcache && !opt_junk && !opt_zero ?
	    sc_index(opt_tcache_max) + 1 : 0;
	if (opt_tcache_max < SC_QUANTUM)
		tcache_nhbins = 0;
	/* Bin 63 of each window is the empty one (see TCACHE_NBINS). */
	if (tcache_nhbins > 63)
		tcache_nhbins = 63;
	tcache_stack_slots = 0;
	for (i = 0; i < tcache_nhbins; i++) {
		if (i < SC_NBINS) {
			/* nregs << opt.lg_tcache_nslots_mul, clamped. */
			if (opt_lg_tcache_nslots_mul >= 0)
				slots = (uint64_t)sc_nregs[i] <<
				    opt_lg_tcache_nslots_mul;
			else
				slots = sc_nregs[i] >>
				    -opt_lg_tcache_nslots_mul;
			slots = DM_MAX(slots, opt_tcache_nslots_small_min);
			slots = DM_MIN(slots, opt_tcache_nslots_small_max);
			n = (unsigned)slots;
		} else
			n = opt_tcache_nslots_large;
		tcache_max[i] = (uint16_t)n;
		tcache_idle_min[i] = (uint16_t)DM_MAX(1, TCACHE_IDLE_BYTES /
		    sc_size[i]);
		tcache_fill_first[i] = (uint16_t)DM_MAX(1,
		    DM_MIN(TCACHE_FILL_FIRST, TCACHE_FILL_FIRST_BYTES /
		    sc_size[i]));
		/*
		 * A small bin that overflows right after being filled grows
		 * (tcache_dalloc_slow) up to TCACHE_GROW_BYTES of objects.
		 */
		slots = i < SC_NBINS ? TCACHE_GROW_BYTES / sc_size[i] : n;
		slots = DM_MIN(slots, TCACHE_GROW_SLOTS);
		tcache_cap[i] = (uint16_t)DM_MAX(slots, n);
		tcache_stack_off[i] = (uint32_t)tcache_stack_slots;
		tcache_stack_slots += tcache_cap[i];
	}
	tcache_stack_bytes = tcache_stack_slots * sizeof(void *);
	/* prof:true: staging bins and their stacks after the stacks. */
	if (opt_prof)
		tcache_stack_bytes += tcache_nhbins * (sizeof(struct tbin) +
		    PROF_STAGE * sizeof(void *));
	/* The idle sweep's marks last. */
	tcache_marks_off = tcache_stack_bytes;
	tcache_stack_bytes += tcache_nhbins * sizeof(uint16_t);
}

/*
 * Debug builds: tc is in its reset state (tcache.h), so that create can
 * leave every bin and counter as it finds it.
 */
static void
tcache_check_reset(const struct tcache *tc)
{
	unsigned i;

	if (!config_debug)
		return;
	if (tc->nhbins != 0 || tc->live != 0 || tc->mem != NULL ||
	    tc->sbins != NULL || tc->nremote != 0 || tc->events != 0 ||
	    tc->gc_bin != 0 || tc->grown != 0)
		msg_fatal("tcache_create: cache %p is not in its reset state",
		    (const void *)tc);
	for (i = 0; i < tcache_nhbins; i++)
		if (tc->bins[i].stack != NULL || tc->bins[i].ncached != 0 ||
		    tc->bins[i].lowwater != 0 || tc->bins[i].max != 0 ||
		    tc->bins[i].magic != 0 || tc->bins[i].nmalloc != 0 ||
		    tc->nfilled[i] != 0 || tc->nflushed[i] != 0 ||
		    tc->nreported[i] != 0 || tc->grow[i] != 0 ||
		    tc->flushmark[i] != 0 || tc->fillmark[i] != 0 ||
		    tc->nquiet[i] != 0)
			msg_fatal("tcache_create: bin %u of cache %p is not "
			    "in its reset state", i, (const void *)tc);
}

bool
tcache_create(struct tcache *tc, struct arena *arena)
{
	void **mem;
	unsigned i;

	/*
	 * Nothing to clear (the reset state), and no bin to set up: a bin is
	 * set up when a slow path first uses it (tcache_bin_init).
	 */
	tcache_check_reset(tc);
	tcache_set_win(tc, tc->win);
	tc->arena = arena;
	if (tcache_nhbins == 0)
		return (true);
	mutex_lock(&tcaches_lock);
	mem = tcache_pool;
	if (mem != NULL)
		tcache_pool = mem[0];
	mutex_unlock(&tcaches_lock);
	if (mem == NULL)
		mem = base_alloc(tcache_stack_bytes);
	if (mem == NULL)
		return (false);
	tc->mem = mem;
	tc->memsize = tcache_stack_bytes;
	/*
	 * Nothing is written to the stacks here (the first word of a reused
	 * block, its pool link, is just the first slot of bin 0): writing
	 * would make one page per class resident for stacks that may never
	 * be used.
	 */
	if (opt_prof) {
		mem += tcache_stack_slots;
		tc->sbins = (struct tbin *)(void *)mem;
		mem = (void **)(tc->sbins + tcache_nhbins);
		for (i = 0; i < tcache_nhbins; i++) {
			memset(&tc->sbins[i], 0, sizeof(tc->sbins[i]));
			tc->sbins[i].stack = mem;
			mem += PROF_STAGE;
		}
	}
	tc->nhbins = tcache_nhbins;
	return (true);
}

void
tcache_bin_init(struct tcache *tc, unsigned ind)
{
	struct tsd *tsd = tsd_get();
	struct tbin *tb = &tc->bins[ind];

	DM_ASSERT(ind < tc->nhbins && (tc->live >> ind & 1) == 0);
	tb->stack = (void **)tc->mem + tcache_stack_off[ind];
	tb->max = tcache_max[ind];
	tb->magic = sc_magic32(ind);
	tc->live |= (uint64_t)1 << ind;
	/* The thread's own cache: malloc's sizes of the class lead here. */
	if (tc == &tsd->tc)
		tsd_route_class(tsd, ind);
}

/* Return the n oldest objects of bin ind to their arenas. */
static void
tcache_bin_flush(struct tcache *tc, unsigned ind, unsigned n)
{
	struct tbin *tb = &tc->bins[ind];
	struct sp *sp;
	unsigned i;

	if (n == 0)
		return;
	if (ind < SC_NBINS)
		bin_dalloc_batch(tc->arena, ind, tb->stack, n,
		    tb->nmalloc - tc->nreported[ind]);
	else {
		for (i = 0; i < n; i++) {
			sp = amap_lookup(tb->stack[i]);
			large_free(sp, tb->stack[i]);
		}
	}
	tc->nflushed[ind] += n;
	tc->nreported[ind] = tb->nmalloc;
	memmove(tb->stack, tb->stack + n, (tb->ncached - n) * sizeof(void *));
	tb->ncached -= n;
	if (tb->lowwater > tb->ncached)
		tb->lowwater = tb->ncached;
}

/*
 * Debug builds: check tcache.h's invariants for every bin of tc: the
 * counts within bounds, every cached object of the bin's class, carrying
 * the free marker (mark.h), and cached once.
 */
static void
tcache_check(struct tcache *tc)
{
	uintptr_t copy[TCACHE_GROW_SLOTS];
	struct tbin *tb;
	struct sp *sp;
	unsigned ind, i, n;
	void *p;

	if (!config_debug)
		return;
	for (ind = 0; ind < tc->nhbins; ind++) {
		tb = &tc->bins[ind];
		if (tb->lowwater > tb->ncached || tb->ncached > tb->max ||
		    tb->max > tcache_cap[ind])
			msg_fatal("tcache_check: bin %u: %s (%p)", ind,
			    "lowwater <= ncached <= max <= capacity",
			    (void *)tb);
		for (i = 0; i < tb->ncached; i++) {
			p = tb->stack[i];
			sp = amap_lookup(p);
			if (sp == NULL || sp->kind != SP_RUNS ||
			    PMAP_CLASS(sp_pmap_of(sp, p)->e) !=
			    (int)ind)
				msg_fatal("tcache_check: bin %u: %s (%p: span "
				    "%p, kind %d, class %d)", ind, "every "
				    "object is of the bin's class", p,
				    (void *)sp, sp == NULL ? -1 : sp->kind,
				    sp == NULL ? -1 :
				    PMAP_CLASS(sp_pmap_of(sp, p)->e));
			if (!mark_is_free(p))
				msg_fatal("tcache_check: bin %u: %s (%p)", ind,
				    "every object carries the free marker", p);
			if (i < TCACHE_GROW_SLOTS)
				copy[i] = (uintptr_t)p;
		}
		/* Staged objects (prof.h): bounded, and free-marked too. */
		if (tc->sbins != NULL) {
			if (tc->sbins[ind].ncached > DM_MIN(PROF_STAGE,
			    tcache_max[ind]))
				msg_fatal("tcache_check: bin %u: %s (%u)", ind,
				    "staged <= min(PROF_STAGE, starting "
				    "capacity)", tc->sbins[ind].ncached);
			for (i = 0; i < tc->sbins[ind].ncached; i++)
				if (!mark_is_free(tc->sbins[ind].stack[i]))
					msg_fatal("tcache_check: bin %u: %s "
					    "(%p)", ind, "every staged object "
					    "carries the free marker",
					    tc->sbins[ind].stack[i]);
		}
		/* (Bins made larger by the options: the first slots only.) */
		n = DM_MIN(tb->ncached, TCACHE_GROW_SLOTS);
		sort_uintptr(copy, n);
		for (i = 1; i < n; i++)
			if (copy[i] == copy[i - 1])
				msg_fatal("tcache_check: bin %u: %s (%p)", ind,
				    "no object is cached twice",
				    (void *)copy[i]);
	}
}

static void
tcache_gc(struct tcache *tc)
{
	struct tbin *tb;
	unsigned ind, n;

	ind = tc->gc_bin;
	tc->gc_bin = (ind + 1) % tc->nhbins;
	tb = &tc->bins[ind];
	n = tb->lowwater - tb->lowwater / 4;
	if (n != 0)
		tcache_bin_flush(tc, ind, n);
	/* A grown bin that did not need to grow again shrinks back. */
	if (!(tc->grow[ind] & TBIN_GREW) && tb->max > tcache_max[ind]) {
		tb->max = DM_MAX(tb->max / 2, tcache_max[ind]);
		if (tb->ncached > tb->max)
			tcache_bin_flush(tc, ind, tb->ncached - tb->max);
	}
	tc->grow[ind] &= ~TBIN_GREW;
	tb->lowwater = tb->ncached;
	tcache_check(tc);
}

/*
 * Pops plus pushes of bin tb since it was set up, modulo 2^16: nmalloc
 * counts the pops, and ncached + nmalloc + nflushed - nfilled the pushes
 * (tcache_nfree); fills and flushes leave it as it is.
 */
static uint16_t
tcache_idle_sig(const struct tcache *tc, unsigned ind)
{
	const struct tbin *tb = &tc->bins[ind];

	return ((uint16_t)(2 * tb->nmalloc + tb->ncached + tc->nflushed[ind] -
	    tc->nfilled[ind]));
}

/*
 * The idle sweep (TCACHE_IDLE_EVENTS): every grown bin but cur (the bin
 * whose slow path runs, which is about to change) that holds more than
 * its starting capacity, at least TCACHE_IDLE_BYTES of objects, and saw
 * no pop and no push since the last sweep gives back all its objects, so
 * that the slabs under them can empty, and drops to its starting
 * capacity.
 */
static void
tcache_idle_sweep(struct tcache *tc, unsigned cur)
{
	uint16_t *mark = (uint16_t *)(void *)((char *)tc->mem +
	    tcache_marks_off);
	struct tbin *tb;
	uint64_t live;
	uint16_t sig;
	unsigned i;

	for (live = tc->grown & ~((uint64_t)1 << cur); live != 0;
	    live &= live - 1) {
		i = (unsigned)__builtin_ctzll(live);
		tb = &tc->bins[i];
		/* Shrunk back since (tcache_gc, free-only): not grown. */
		if (tb->max <= tcache_max[i]) {
			tc->grown &= ~((uint64_t)1 << i);
			continue;
		}
		/*
		 * A bin that holds little is left alone, its mark too: it
		 * cannot grow to hold more without a push, which changes its
		 * signature, so a stale mark never makes a bin look idle.
		 */
		if (tb->ncached < tcache_idle_min[i] ||
		    tb->ncached <= tcache_max[i])
			continue;
		sig = tcache_idle_sig(tc, i);
		if (sig != mark[i]) {
			mark[i] = sig;
			continue;
		}
		tcache_bin_flush(tc, i, tb->ncached);
		tb->max = tcache_max[i];
		tc->grown &= ~((uint64_t)1 << i);
		tc->grow[i] = 0;
	}
}

/* A slow-path event of bin ind: the collector's clock. */
static void
tcache_event(struct tcache *tc, unsigned ind)
{
	struct tsd *tsd = tsd_get();

	++tc->events;
	if ((tc->events & (TCACHE_IDLE_EVENTS - 1)) == 0 && tc->grown != 0)
		tcache_idle_sweep(tc, ind);
	if (tc->events >= TCACHE_GC_EVENTS) {
		tc->events = 0;
		tcache_gc(tc);
		/* Keep thread.allocatedp and thread.deallocatedp current. */
		if (tc == &tsd->tc)
			tsd_stats_refresh(tsd);
	}
}

/*
 * A fill delivers regions in ascending address order and the stack pops
 * from its top: reversed, objects allocated one after another lie one
 * after another in memory, the order in which programs tend to walk them
 * (python3 in tests/bench ran 5-8% faster, mix, larson and
 * fastpath-random no slower).
 */
static void
tcache_reverse(void **stack, unsigned n)
{
	void *t;
	unsigned i;

	for (i = 0; i < n / 2; i++) {
		t = stack[i];
		stack[i] = stack[n - 1 - i];
		stack[n - 1 - i] = t;
	}
}

void *
tcache_alloc_slow(struct tcache *tc, unsigned ind)
{
	struct tbin *tb = &tc->bins[ind];
	size_t usize;
	void *p;
	unsigned n;

	/* Before the bin is read: the start may allocate from it (bg.h). */
	bg_poll();
	if (unlikely((tc->live >> ind & 1) == 0))
		tcache_bin_init(tc, ind);
	if (tb->ncached == 0) {
		tcache_event(tc, ind);
		/* Shrunk as free-only (tcache_dalloc_slow): allocates now. */
		if (tb->max < tcache_max[ind])
			tb->max = tcache_max[ind];
		if (ind < SC_NBINS) {
			n = DM_MAX(tb->max / 2, 1);
			/*
			 * The bin's first fills in this cache: a few, then
			 * doubling (TCACHE_FILL_FIRST).  Not with staging bins
			 * (prof.h), which malloc pops while free pushes here:
			 * each staging moves what was freed since the last, so
			 * as few objects would circulate.
			 */
			if (tc->sbins == NULL)
				n = DM_MIN(n, DM_MAX(tcache_fill_first[ind],
				    tc->nfilled[ind]));
			n = bin_fill(tc->arena, ind, tb->stack, n);
		} else {
			/* Large classes are not batched: one at a time. */
			usize = sc_size[ind];
			p = large_alloc_shared(tc->arena, usize, 0, false);
			if (p != NULL) {
				tb->nmalloc++;
				tc->nfilled[ind]++;
				mark_live(p);
			}
			return (p);
		}
		if (n == 0)
			return (NULL);
		if (config_debug) {
			/* Slab regions that are not live carry the marker. */
			for (unsigned i = 0; i < n; i++)
				DM_ASSERT(mark_is_free(tb->stack[i]));
		}
		tcache_reverse(tb->stack, n);
		tc->grow[ind] |= TBIN_FILLED;
		tc->fillmark[ind] = (uint32_t)tb->nmalloc;
		tc->nfilled[ind] += n;
		tb->ncached = n;
		tb->lowwater = 0;
	}
	tb->ncached--;
	if (tb->lowwater > tb->ncached)
		tb->lowwater = tb->ncached;
	tb->nmalloc++;
	DM_ASSERT(tb->lowwater <= tb->ncached && tb->ncached < tb->max);
	return (mark_live(tb->stack[tb->ncached]));
}

void
tcache_dalloc_slow(struct tcache *tc, unsigned ind, void *p)
{
	struct tbin *tb = &tc->bins[ind];

	/* alloc_lookup saw the marker of a second free (mark.h). */
	DM_ASSERT(mark_is_free(p));
	/* >=: ncached never exceeds max, but a slip must not overrun. */
	if (tb->ncached >= tb->max) {
		uint32_t mark = (uint32_t)(tb->nmalloc + tc->nfilled[ind]);

		/* No pop and no fill since the last overflow: quiet. */
		if (mark != tc->flushmark[ind])
			tc->nquiet[ind] = 0;
		else if (tc->nquiet[ind] < TCACHE_FREEONLY_QUIET)
			tc->nquiet[ind]++;
		tc->flushmark[ind] = mark;
		tcache_event(tc, ind);
		/*
		 * Filled and now full again with few pops between: the
		 * thread's working set is larger than the bin, and flushing
		 * would only make the next fill take the objects back.  Grow
		 * instead, up to the cap.  (Many pops since the fill: a drift,
		 * not a swing; see TCACHE_GROW_BYTES.)
		 */
		if ((tc->grow[ind] & TBIN_FILLED) &&
		    tb->max < tcache_cap[ind] &&
		    (uint32_t)tb->nmalloc - tc->fillmark[ind] <= tb->max / 2) {
			tb->max = DM_MIN(tb->max * 2, tcache_cap[ind]);
			tc->grown |= (uint64_t)1 << ind;
			/* Still filled: the same swing may grow it again. */
			tc->grow[ind] = TBIN_GREW | TBIN_FILLED;
		} else if (tc->nquiet[ind] >= TCACHE_FREEONLY_QUIET &&
		    ind < SC_NBINS) {
			/* Free-only: keep nothing, hold less next time. */
			tcache_bin_flush(tc, ind, tb->ncached);
			tb->max = DM_MAX(tb->max / 2, DM_MIN(tb->max,
			    TCACHE_FREEONLY_MIN));
		} else {
			tcache_bin_flush(tc, ind, tb->ncached - tb->max / 2);
			tc->grow[ind] &= ~TBIN_FILLED;
		}
	}
	DM_ASSERT(tb->ncached < tb->max);
	tb->stack[tb->ncached++] = p;
}

uint64_t
tcache_nfree(const struct tcache *tc, unsigned i)
{
	const struct tbin *tb = &tc->bins[i];

	return (tb->ncached + tb->nmalloc + tc->nflushed[i] - tc->nfilled[i]);
}

unsigned
tcache_stage(struct tcache *tc, unsigned ind, unsigned n)
{
	struct tbin *tb = &tc->bins[ind], *sb = &tc->sbins[ind];
	unsigned m;

	/*
	 * At most the bin's starting capacity in all, so that tcache_unstage
	 * can always put them back (a 5 KiB class holds 20, not 64).
	 */
	m = DM_MIN(PROF_STAGE, tcache_max[ind]);
	m = sb->ncached >= m ? 0 : m - sb->ncached;
	m = DM_MIN(n, DM_MIN(tb->ncached, m));
	if (m == 0)
		return (0);
	/* The top m, in the order the bin would have popped them. */
	memcpy(sb->stack + sb->ncached, tb->stack + tb->ncached - m,
	    m * sizeof(void *));
	tb->ncached -= m;
	if (tb->lowwater > tb->ncached)
		tb->lowwater = tb->ncached;
	tb->nmalloc += m;
	sb->ncached += m;
	sb->lowwater = 0;
	return (m);
}

void
tcache_unstage(struct tcache *tc)
{
	struct tbin *tb, *sb;
	unsigned i, m, cap;

	if (tc->sbins == NULL)
		return;
	for (i = 0; i < tc->nhbins; i++) {
		sb = &tc->sbins[i];
		if ((m = sb->ncached) == 0)
			continue;
		tb = &tc->bins[i];
		cap = DM_MAX(tb->max, tcache_cap[i]);
		/* m <= tcache_max[i] <= cap (tcache_stage). */
		DM_ASSERT(m <= cap);
		if (tb->ncached + m > cap)
			tcache_bin_flush(tc, i, tb->ncached + m - cap);
		memcpy(tb->stack + tb->ncached, sb->stack,
		    m * sizeof(void *));
		tb->ncached += m;
		tb->nmalloc -= m;
		sb->ncached = sb->lowwater = 0;
		/* Over max now perhaps: the next free flushes the excess. */
		if (tb->ncached > tb->max)
			tcache_bin_flush(tc, i, tb->ncached - tb->max);
	}
}

void
tcache_flush(struct tcache *tc)
{
	uint64_t live;
	unsigned i;

	tcache_unstage(tc);
	/* Bins not set up hold nothing. */
	for (live = tc->live; live != 0; live &= live - 1) {
		i = (unsigned)__builtin_ctzll(live);
		tcache_bin_flush(tc, i, tc->bins[i].ncached);
	}
	tcache_remote_flush(tc);
}

void
tcache_set_win(struct tcache *tc, unsigned win)
{
	tc->win = win % PMAP_NWIN;
	tc->nodexor = TCACHE_NODEXOR(tc->win);
}

void
tcache_remote(struct tcache *tc, void *p)
{
	if (tc->nremote == TCACHE_NREMOTE)
		tcache_remote_flush(tc);
	tc->remote[tc->nremote++] = p;
}

/* Return the remote buffer to the owning arenas, one class at a time. */
void
tcache_remote_flush(struct tcache *tc)
{
	void *batch[TCACHE_NREMOTE];
	struct sp *sp;
	unsigned i, n, k, keep;
	int c, first;

	n = tc->nremote;
	while (n > 0) {
		first = PMAP_CLASS(sp_pmap_of(amap_lookup(tc->remote[0]),
		    tc->remote[0])->e);
		k = keep = 0;
		for (i = 0; i < n; i++) {
			sp = amap_lookup(tc->remote[i]);
			c = PMAP_CLASS(sp_pmap_of(sp, tc->remote[i])->e);
			if (c == first)
				batch[k++] = tc->remote[i];
			else
				tc->remote[keep++] = tc->remote[i];
		}
		if (first < SC_NBINS)
			bin_dalloc_batch(NULL, (unsigned)first, batch, k, 0);
		else
			for (i = 0; i < k; i++)
				large_free(amap_lookup(batch[i]), batch[i]);
		n = keep;
	}
	tc->nremote = 0;
}

void
tcache_destroy(struct tcache *tc)
{
	void **mem = tc->mem;
	uint64_t live;
	unsigned i;

	tcache_flush(tc);
	/*
	 * Only the bins that were set up hold counts; clearing them, and
	 * nothing else, puts the cache back in its reset state (tcache.h).
	 */
	for (live = tc->live; live != 0; live &= live - 1) {
		i = (unsigned)__builtin_ctzll(live);
		tc->allocated_before += tc->bins[i].nmalloc * sc_size[i];
		tc->deallocated_before += tcache_nfree(tc, i) * sc_size[i];
		memset(&tc->bins[i], 0, sizeof(tc->bins[i]));
		tc->nfilled[i] = tc->nflushed[i] = tc->nreported[i] = 0;
		tc->grow[i] = tc->nquiet[i] = 0;
		tc->flushmark[i] = tc->fillmark[i] = 0;
	}
	tc->live = tc->grown = 0;
	tc->nhbins = 0;
	tc->sbins = NULL;
	tc->gc_bin = tc->events = 0;
	if (mem != NULL && tc->memsize == tcache_stack_bytes) {
		mutex_lock(&tcaches_lock);
		mem[0] = tcache_pool;
		tcache_pool = mem;
		mutex_unlock(&tcaches_lock);
	}
	tc->mem = NULL;
	tc->memsize = 0;
}

bool
tcache_explicit_create(struct arena *arena, unsigned *indp)
{
	struct tcache *tc;
	unsigned ind;

	mutex_lock(&tcaches_lock);
	for (ind = 0; ind < TCACHES_MAX; ind++)
		if (atomic_load_explicit(&tcaches[ind],
		    memory_order_relaxed) == NULL)
			break;
	if (ind == TCACHES_MAX) {
		mutex_unlock(&tcaches_lock);
		return (false);
	}
	atomic_store_explicit(&tcaches[ind], TCACHE_BUSY,
	    memory_order_relaxed);
	tc = tcaches_nspare > 0 ? tcaches_spare[--tcaches_nspare] : NULL;
	mutex_unlock(&tcaches_lock);
	/* tcache_create and base_alloc take locks of their own. */
	if (tc == NULL)
		tc = base_alloc(sizeof(*tc));
	if (tc == NULL || !tcache_create(tc, arena)) {
		mutex_lock(&tcaches_lock);
		if (tc != NULL)
			tcaches_spare[tcaches_nspare++] = tc;
		atomic_store_explicit(&tcaches[ind], NULL,
		    memory_order_relaxed);
		mutex_unlock(&tcaches_lock);
		return (false);
	}
	atomic_store_explicit(&tcaches[ind], tc, memory_order_release);
	*indp = ind;
	return (true);
}

struct tcache *
tcache_explicit_get(unsigned ind)
{
	struct tcache *tc;

	if (ind >= TCACHES_MAX)
		return (NULL);
	tc = atomic_load_explicit(&tcaches[ind], memory_order_acquire);
	return (tc == TCACHE_BUSY ? NULL : tc);
}

bool
tcache_explicit_flush(unsigned ind)
{
	struct tcache *tc = tcache_explicit_get(ind);

	if (tc == NULL)
		return (false);
	tcache_flush(tc);
	return (true);
}

bool
tcache_explicit_destroy(unsigned ind)
{
	struct tcache *tc;

	if (ind >= TCACHES_MAX)
		return (false);
	mutex_lock(&tcaches_lock);
	tc = atomic_load_explicit(&tcaches[ind], memory_order_relaxed);
	if (tc == NULL || tc == TCACHE_BUSY) {
		mutex_unlock(&tcaches_lock);
		return (false);
	}
	atomic_store_explicit(&tcaches[ind], NULL, memory_order_release);
	mutex_unlock(&tcaches_lock);
	/* Returns the objects to their arenas and the stacks to the pool. */
	tcache_destroy(tc);
	mutex_lock(&tcaches_lock);
	tcaches_spare[tcaches_nspare++] = tc;
	mutex_unlock(&tcaches_lock);
	return (true);
}

void
tcache_prefork(void)
{
	mutex_lock(&tcaches_lock);
}

void
tcache_postfork_parent(void)
{
	mutex_unlock(&tcaches_lock);
}

void
tcache_postfork_child(void)
{
	mutex_postfork_child(&tcaches_lock);
}
