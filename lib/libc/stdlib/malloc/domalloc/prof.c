/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * prof.c: heap profiling: the sampling count, sampled objects, the tables
 * of stacks (contexts), samples and threads, dumps, reset, thread exit
 * and fork (see prof.h for the design and the locking).
 *
 * Tables live in base memory and are reused, never returned: a context
 * (one distinct stack) stays until the process ends, its counts zeroed by
 * prof.reset; sample records and thread records go to free lists.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "arena.h"
#include "base.h"
#include "conf.h"
#include "large.h"
#include "mark.h"
#include "msg.h"
#include "mutex.h"
#include "pa.h"
#include "pal.h"
#include "prof.h"
#include "prof_math.h"
#include "sc.h"
#include "sp.h"
#include "tcache.h"
#include "tsd.h"

bool		opt_prof = false;
bool		opt_prof_active = true;
bool		opt_prof_thread_active_init = true;
char		opt_prof_prefix[256] = "jeprof";
size_t		opt_lg_prof_sample = 19;
int64_t		opt_lg_prof_interval = -1;
bool		opt_prof_gdump = false;
bool		opt_prof_final = false;
bool		opt_prof_leak = false;
bool		opt_prof_accum = false;
int64_t		opt_prof_recent_alloc_max = 0;
unsigned	opt_prof_format = PROF_FORMAT_HEAPV2;
const char *const prof_format_names[] = { "jeprof", "pprof", NULL };

struct prof_ctx {
	struct prof_ctx		*next;		/* hash chain */
	uint64_t		 hash;
	unsigned		 snap;		/* index in a snapshot + 1 */
	struct prof_cnts	 c;
	unsigned		 nframes;
	uintptr_t		 frames[];
};

struct prof_tdata {
	struct prof_tdata	*next;		/* all threads, or free list */
	uint64_t		 uid;
	bool			 dead;		/* its thread has exited */
	bool			 listed;	/* on prof_threads */
	char			 name[PROF_NAME_MAX];
	struct prof_cnts	 c;
};

struct prof_recent;

struct prof_sample {
	struct prof_sample	*next;		/* hash chain, or free list */
	uintptr_t		 addr;
	struct prof_ctx		*ctx;
	struct prof_tdata	*td;
	struct arena		*arena;
	struct prof_recent	*recent;
	size_t			 usize;
	uint32_t		 npages;	/* 0: a huge span */
	uint64_t		 epoch;
	double			 uobjs;		/* unsampling weight */
};

struct prof_recent {
	struct prof_recent	*next;		/* newer, or free list */
	struct prof_sample	*s;		/* NULL once released */
	size_t			 size;
	size_t			 usize;
	bool			 released;
	uint64_t		 alloc_uid;
	uint64_t		 alloc_ns;
	struct prof_ctx		*alloc_ctx;
	char			 alloc_name[PROF_NAME_MAX];
	uint64_t		 dalloc_uid;
	uint64_t		 dalloc_ns;
	struct prof_ctx		*dalloc_ctx;	/* NULL: no trace */
	char			 dalloc_name[PROF_NAME_MAX];
};

#define	PROF_CTX_BUCKETS	4096
#define	PROF_SAMPLE_BUCKETS	65536

static struct mutex		prof_lock = MUTEX_INITIALIZER(RANK_PROF);
static struct mutex		prof_dump_lock =
				    MUTEX_INITIALIZER(RANK_PROF_DUMP);
/* Synchronization: the tables below are under prof_lock. */
static struct prof_ctx		**prof_ctxs;
static struct prof_sample	**prof_samples;
static struct prof_sample	*prof_sample_free;
static struct prof_tdata	*prof_threads;
static struct prof_tdata	*prof_tdata_free;
static struct prof_recent	*prof_recent_old, *prof_recent_new;
static struct prof_recent	*prof_recent_free;
static uint64_t			 prof_nrecent;
static int64_t			 prof_recent_max;
static struct prof_cnts		 prof_total;
static uint64_t			 prof_epoch;
static uint64_t			 prof_next_uid;
static struct prof_stats	 prof_st;
/* Dump naming; under prof_dump_lock. */
static char			 prof_prefix[256];
static uint64_t			 prof_seq, prof_seq_i, prof_seq_m, prof_seq_u;

static bool			 prof_booted;
static _Atomic bool		 prof_on;		/* prof.active */
static _Atomic bool		 prof_tinit;		/* thread_active_init */
static _Atomic bool		 prof_gdump_on;
static _Atomic size_t		 prof_lg_sample;
static _Atomic uint64_t		 prof_interval_acc;
static _Atomic bool		 prof_interval_due;
static size_t			 prof_mapped_max;

static void	prof_fill_cnt(struct prof_cnts *c, size_t usize, double w,
		    int sign);
static void	prof_free_unrecorded(void *p, struct sp *sp, unsigned npages,
		    size_t usize);
static void	prof_sample_count(struct prof_sample *s, int sign);

/* xorshift64*: the thread's generator for sampling intervals. */
static uint64_t
prof_prng(struct prof_tsd *pt)
{
	uint64_t x = pt->prng;

	if (x == 0)
		x = pal_random() | 1;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	pt->prng = x;
	return (x * 0x2545f4914f6cdd1dULL);
}

/* Bytes to the next sample: geometric with mean 2^lg_prof_sample. */
static int64_t
prof_draw(struct prof_tsd *pt)
{
	size_t lg = atomic_load_explicit(&prof_lg_sample,
	    memory_order_relaxed);
	double u, r, d;
	uint64_t w;

	if (lg == 0) {
		pt->last_wait = 1;
		return (1);
	}
	/* u uniform on (0, 1], 53 bits. */
	u = (double)((prof_prng(pt) >> 11) + 1) * (1.0 / 9007199254740992.0);
	r = (double)((uint64_t)1 << lg);
	/*
	 * floor(ln u / ln(1 - 1/R)) + 1.  ln(1 - 1/R) by its series: for R
	 * above 2^53, 1 - 1/R is 1 in a double.  The quotient may pass
	 * 2^64 at large R: clamp it before the conversion.
	 */
	d = prof_ln(u) / prof_ln1m(1.0 / r);
	w = d < (double)((uint64_t)1 << 62) ? (uint64_t)d + 1 :
	    (uint64_t)1 << 62;
	pt->last_wait = w;
	return ((int64_t)w);
}

/* The chance that an allocation of usize bytes is sampled. */
static double
prof_prob(size_t usize)
{
	size_t lg = atomic_load_explicit(&prof_lg_sample,
	    memory_order_relaxed);
	double r = (double)((uint64_t)1 << lg);

	if (lg == 0)
		return (1);
	return (prof_one_minus_exp((double)usize * prof_ln1m(1.0 / r)));
}

static void
prof_tsd_boot(struct prof_tsd *pt)
{
	pt->booted = true;
	pt->active = atomic_load_explicit(&prof_tinit, memory_order_relaxed);
	pt->countdown = prof_draw(pt);
}

/*
 * One sampling event: count the bytes allocated since the last one (the
 * count drawn, plus what the sampled allocation went past it) towards
 * lg_prof_interval.  left: the count after them (zero or less).
 */
static void
prof_event(struct prof_tsd *pt, int64_t left)
{
	uint64_t acc, bytes = pt->last_wait + (uint64_t)-left;

	if (opt_lg_prof_interval < 0)
		return;
	acc = atomic_fetch_add_explicit(&prof_interval_acc, bytes,
	    memory_order_relaxed) + bytes;
	if (acc >= ((uint64_t)1 << opt_lg_prof_interval)) {
		atomic_store_explicit(&prof_interval_acc, 0,
		    memory_order_relaxed);
		atomic_store_explicit(&prof_interval_due, true,
		    memory_order_relaxed);
	}
}

bool
prof_sample_due(struct tsd *tsd, size_t usize, unsigned ind, bool cached)
{
	struct prof_tsd *pt = &tsd->prof;

	if (pt->reentrant || tsd->state != TSD_NOMINAL)
		return (false);
	if (!pt->booted)
		prof_tsd_boot(pt);
	if (cached && (pt->armed >> ind & 1)) {
		pt->armed &= ~((uint64_t)1 << ind);
		/* Due since staging; its count is drawn already. */
		return (atomic_load_explicit(&prof_on, memory_order_relaxed) &&
		    pt->active);
	}
	if (!atomic_load_explicit(&prof_on, memory_order_relaxed) ||
	    !pt->active)
		return (false);
	pt->countdown -= (int64_t)usize;
	if (pt->countdown > 0)
		return (false);
	prof_event(pt, pt->countdown);
	pt->countdown = prof_draw(pt);
	return (true);
}

void
prof_stage(struct tsd *tsd, unsigned ind)
{
	struct prof_tsd *pt = &tsd->prof;
	struct tcache *tc = &tsd->tc;
	size_t usize = sc_size[ind];
	int64_t k;
	unsigned m;

	if (tc->sbins == NULL || pt->reentrant)
		return;
	if (!pt->booted)
		prof_tsd_boot(pt);
	if (!atomic_load_explicit(&prof_on, memory_order_relaxed) ||
	    !pt->active || (pt->armed >> ind & 1)) {
		tcache_stage(tc, ind, PROF_STAGE);
		return;
	}
	/* Stage the objects that stay before the next threshold. */
	k = (pt->countdown - 1) / (int64_t)usize;
	m = tcache_stage(tc, ind, (unsigned)DM_MIN(k, PROF_STAGE));
	pt->countdown -= (int64_t)m * (int64_t)usize;
	if (k < PROF_STAGE && (int64_t)m == k) {
		/*
		 * The threshold lies in the object after them: that one is
		 * the sample, and the count starts again after it.
		 */
		pt->armed |= (uint64_t)1 << ind;
		prof_event(pt, pt->countdown - (int64_t)usize);
		pt->countdown = prof_draw(pt);
	}
}

/* Tables. */

static void *
prof_meta(size_t size)
{
	void *p = base_alloc(size);

	if (p != NULL)
		prof_st.metadata += size;
	return (p);
}

static uint64_t
prof_hash_frames(const uintptr_t *frames, unsigned n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned i;

	for (i = 0; i < n; i++) {
		h ^= frames[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return (h);
}

/* The context of a stack, made if new.  Under prof_lock. */
static struct prof_ctx *
prof_ctx_get(const uintptr_t *frames, unsigned n)
{
	uint64_t h = prof_hash_frames(frames, n);
	struct prof_ctx *c, **b;

	b = &prof_ctxs[h % PROF_CTX_BUCKETS];
	for (c = *b; c != NULL; c = c->next)
		if (c->hash == h && c->nframes == n &&
		    memcmp(c->frames, frames, n * sizeof(frames[0])) == 0)
			return (c);
	c = prof_meta(sizeof(*c) + n * sizeof(frames[0]));
	if (c == NULL)
		return (NULL);
	memset(c, 0, sizeof(*c));
	c->hash = h;
	c->nframes = n;
	memcpy(c->frames, frames, n * sizeof(frames[0]));
	c->next = *b;
	*b = c;
	prof_st.nctx++;
	return (c);
}

/* The calling thread's record, made if needed.  Under prof_lock. */
static struct prof_tdata *
prof_tdata_get(struct prof_tsd *pt)
{
	struct prof_tdata *td = pt->tdata;

	if (td != NULL)
		return (td);
	if (prof_tdata_free != NULL) {
		td = prof_tdata_free;
		prof_tdata_free = td->next;
	} else if ((td = prof_meta(sizeof(*td))) == NULL)
		return (NULL);
	memset(td, 0, sizeof(*td));
	td->uid = prof_next_uid++;
	td->listed = true;
	td->next = prof_threads;
	prof_threads = td;
	pt->tdata = td;
	return (td);
}

/*
 * Take a dead thread's record off the list once nothing counts in it.
 * Samples taken before a prof.reset still point at it (they no longer
 * count): their frees come here after it went to the free list, or
 * after another thread took it, and must leave it alone.
 */
static void
prof_tdata_maybe_free(struct prof_tdata *td)
{
	struct prof_tdata **pp;

	if (!td->listed || !td->dead || td->c.inuse.objs != 0 ||
	    td->c.accum.objs != 0)
		return;
	for (pp = &prof_threads; *pp != NULL; pp = &(*pp)->next)
		if (*pp == td) {
			*pp = td->next;
			break;
		}
	td->listed = false;
	td->next = prof_tdata_free;
	prof_tdata_free = td;
}

static void
prof_fill_cnt(struct prof_cnts *c, size_t usize, double w, int sign)
{
	if (sign > 0) {
		c->inuse.objs++;
		c->inuse.bytes += usize;
		c->uinuse.objs += w;
		c->uinuse.bytes += w * (double)usize;
		if (opt_prof_accum) {
			c->accum.objs++;
			c->accum.bytes += usize;
			c->uaccum.objs += w;
			c->uaccum.bytes += w * (double)usize;
		}
	} else {
		c->inuse.objs--;
		c->inuse.bytes -= usize;
		c->uinuse.objs -= w;
		c->uinuse.bytes -= w * (double)usize;
		if (c->inuse.objs == 0) {
			/* No drift: empty is exactly empty. */
			c->uinuse.objs = 0;
			c->uinuse.bytes = 0;
		}
	}
}

static void
prof_recent_drop_old(void)
{
	struct prof_recent *r;

	while (prof_recent_max >= 0 &&
	    prof_nrecent > (uint64_t)prof_recent_max) {
		r = prof_recent_old;
		prof_recent_old = r->next;
		if (prof_recent_old == NULL)
			prof_recent_new = NULL;
		if (r->s != NULL)
			r->s->recent = NULL;
		r->next = prof_recent_free;
		prof_recent_free = r;
		prof_nrecent--;
	}
}

static void
prof_recent_add(struct prof_sample *s, struct prof_tdata *td, size_t size)
{
	struct prof_recent *r;

	if (prof_recent_max == 0)
		return;
	if (prof_recent_free != NULL) {
		r = prof_recent_free;
		prof_recent_free = r->next;
	} else if ((r = prof_meta(sizeof(*r))) == NULL)
		return;
	memset(r, 0, sizeof(*r));
	r->s = s;
	r->size = size;
	r->usize = s->usize;
	r->alloc_uid = td->uid;
	memcpy(r->alloc_name, td->name, sizeof(r->alloc_name));
	r->alloc_ns = pal_clock_ns();
	r->alloc_ctx = s->ctx;
	s->recent = r;
	if (prof_recent_new != NULL)
		prof_recent_new->next = r;
	else
		prof_recent_old = r;
	prof_recent_new = r;
	prof_nrecent++;
	prof_recent_drop_old();
}

/* Sampled objects. */

void *
prof_alloc(struct tsd *tsd, size_t size, size_t usize, size_t align,
    unsigned flags, struct arena *arena)
{
	uintptr_t frames[PROF_BT_MAX];
	struct prof_tsd *pt = &tsd->prof;
	struct prof_sample *s;
	struct prof_tdata *td;
	struct prof_ctx *ctx;
	struct sp *sp;
	uint64_t t0;
	unsigned n, pidx, npages = 0;
	bool dirty, zero = (flags & ALLOC_ZERO) != 0;
	void *p;

	pt->reentrant = true;
	t0 = pal_clock_ns();
	n = prof_bt_capture(frames, PROF_BT_MAX);
	t0 = pal_clock_ns() - t0;
	if (arena == NULL)
		arena = tsd_arena(tsd);
	if (arena == NULL) {
		pt->reentrant = false;
		return (NULL);
	}
	/*
	 * Pages of its own, so that every free comes here (prof.h): a run
	 * of whole pages if it fits in a superpage (geom.h: up to 512 MiB),
	 * else a huge span.
	 */
	if (usize < SUPERPAGE && align <= SUPERPAGE / 2) {
		npages = (unsigned)((DM_MAX(usize, PAGE) + PAGE - 1) >>
		    LG_PAGE);
		sp = pa_run_alloc(&arena->pa, npages,
		    align > PAGE ? align >> LG_PAGE : 1, &pidx, &dirty);
		if (sp == NULL) {
			pt->reentrant = false;
			return (NULL);
		}
		p = (void *)(sp->addr + ((size_t)pidx << LG_PAGE));
		/* Every granule slow; the first says "sampled" (sp.h). */
		sp_pmap_fill(sp, pidx, npages, PMAP_SLOW_ENT);
		*sp_pmap_page(sp, pidx) = (struct pmap_ent){ PMAP_SLOW |
		    PMAP_SAMPLED, 0 };
		if (zero && dirty)
			memset(p, 0, usize);
		atomic_fetch_add_explicit(&arena->prof_allocated, usize,
		    memory_order_relaxed);
		pa_decay_tick(&arena->pa);
	} else {
		p = large_alloc(arena, usize, align, zero);
		if (p == NULL) {
			pt->reentrant = false;
			return (NULL);
		}
		sp = amap_lookup(p);
		DM_ASSERT(sp->kind == SP_HUGE);
		sp->sampled = true;
	}
	mark_live(p);
	tsd->large_allocated += usize;

	mutex_lock(&prof_lock);
	prof_st.bt_ns += t0;
	prof_st.nsamples++;
	ctx = prof_ctx_get(frames, n);
	td = prof_tdata_get(pt);
	if (prof_sample_free != NULL) {
		s = prof_sample_free;
		prof_sample_free = s->next;
	} else
		s = prof_meta(sizeof(*s));
	if (ctx == NULL || td == NULL || s == NULL) {
		/* No metadata: keep the object, unrecorded and unsampled. */
		if (s != NULL) {
			s->next = prof_sample_free;
			prof_sample_free = s;
		}
		mutex_unlock(&prof_lock);
		prof_free_unrecorded(p, sp, npages, usize);
		p = alloc_generic(size, align, (flags & ~ALLOC_SAMPLE) |
		    ALLOC_NOCACHE, arena);
		pt->reentrant = false;
		return (p);
	}
	memset(s, 0, sizeof(*s));
	s->addr = (uintptr_t)p;
	s->ctx = ctx;
	s->td = td;
	s->arena = arena;
	s->usize = usize;
	s->npages = npages;
	s->epoch = prof_epoch;
	s->uobjs = 1.0 / prof_prob(usize);
	prof_sample_count(s, 1);
	s->next = prof_samples[(s->addr >> LG_PAGE) % PROF_SAMPLE_BUCKETS];
	prof_samples[(s->addr >> LG_PAGE) % PROF_SAMPLE_BUCKETS] = s;
	prof_st.nlive++;
	prof_recent_add(s, td, size);
	mutex_unlock(&prof_lock);
	pt->reentrant = false;
	return (p);
}

/* Give back the pages of a sampled object (its record is gone). */
static void
prof_free_unrecorded(void *p, struct sp *sp, unsigned npages, size_t usize)
{
	struct arena *arena = sp->arena;

	tsd_get()->large_deallocated += usize;
	if (npages == 0) {
		sp->sampled = false;
		large_free(sp, p);
		return;
	}
	atomic_fetch_sub_explicit(&arena->prof_allocated, usize,
	    memory_order_relaxed);
	pa_run_free(&arena->pa, sp, sp_page(sp, p), npages);
	pa_decay_tick(&arena->pa);
}

/* The record of p, unlinked if unlink.  Under prof_lock. */
static struct prof_sample *
prof_sample_find(uintptr_t a, bool unlink)
{
	struct prof_sample **pp, *s;

	for (pp = &prof_samples[(a >> LG_PAGE) % PROF_SAMPLE_BUCKETS];
	    (s = *pp) != NULL; pp = &s->next)
		if (s->addr == a) {
			if (unlink)
				*pp = s->next;
			return (s);
		}
	return (NULL);
}

/*
 * Count s in (sign 1) or out (-1) of its stack's, its thread's and the
 * process's counts, unless it was sampled before the last prof.reset.
 * Under prof_lock.
 */
static void
prof_sample_count(struct prof_sample *s, int sign)
{
	if (s->epoch != prof_epoch)
		return;
	prof_fill_cnt(&s->ctx->c, s->usize, s->uobjs, sign);
	prof_fill_cnt(&s->td->c, s->usize, s->uobjs, sign);
	prof_fill_cnt(&prof_total, s->usize, s->uobjs, sign);
}

/* Give back the record s, counted out already.  Under prof_lock. */
static void
prof_sample_release(struct prof_sample *s)
{
	prof_tdata_maybe_free(s->td);
	prof_st.nlive--;
	s->next = prof_sample_free;
	prof_sample_free = s;
}

/* Take s out of the counts and give its record back.  Under prof_lock. */
static void
prof_sample_forget(struct prof_sample *s)
{
	prof_sample_count(s, -1);
	prof_sample_release(s);
}

void
prof_free(void *p, struct sp *sp)
{
	uintptr_t frames[PROF_BT_MAX];
	struct tsd *tsd = tsd_get();
	struct prof_tsd *pt = &tsd->prof;
	struct prof_sample *s;
	struct prof_recent *r;
	struct prof_tdata *td;
	unsigned n = 0, npages;
	size_t usize;
	bool was = pt->reentrant;

	pt->reentrant = true;
	/* The free-time trace, for the recent-allocation ring only. */
	if (prof_recent_max != 0 && tsd->state == TSD_NOMINAL)
		n = prof_bt_capture(frames, PROF_BT_MAX);
	mutex_lock(&prof_lock);
	s = prof_sample_find((uintptr_t)p, true);
	if (s == NULL) {
		mutex_unlock(&prof_lock);
		msg_fatal("free(): pointer %p is not allocated (a sampled "
		    "object freed twice?)", p);
	}
	if ((r = s->recent) != NULL) {
		r->s = NULL;
		r->released = true;
		r->dalloc_ns = pal_clock_ns();
		td = tsd->state == TSD_NOMINAL ? prof_tdata_get(pt) : NULL;
		if (td != NULL) {
			r->dalloc_uid = td->uid;
			memcpy(r->dalloc_name, td->name,
			    sizeof(r->dalloc_name));
		}
		if (n != 0)
			r->dalloc_ctx = prof_ctx_get(frames, n);
	}
	usize = s->usize;
	npages = s->npages;
	prof_sample_forget(s);
	mutex_unlock(&prof_lock);
	if (opt_junk & JUNK_FREE)
		memset(p, 0x5a, usize);
	prof_free_unrecorded(p, sp, npages, usize);
	pt->reentrant = was;
}

bool
prof_resize(void *p, struct sp *sp, size_t usize, bool zero, bool movable)
{
	uintptr_t frames[PROF_BT_MAX];
	struct tsd *tsd = tsd_get();
	struct prof_tsd *pt = &tsd->prof;
	struct arena *arena = sp->arena;
	struct prof_sample *s;
	struct prof_tdata *td;
	struct prof_ctx *ctx = NULL;
	size_t old;
	unsigned ind = sc_index(usize), npages, newpages = 0, pidx = 0, n = 0;
	bool due, dirty;

	/* Small classes live in slabs: such a size moves the object. */
	if (ind < SC_NBINS || pt->reentrant || tsd->state != TSD_NOMINAL)
		return (false);
	mutex_lock(&prof_lock);
	s = prof_sample_find((uintptr_t)p, false);
	old = s != NULL ? s->usize : 0;
	npages = s != NULL ? s->npages : 0;
	mutex_unlock(&prof_lock);
	if (s == NULL || usize == old)
		return (s != NULL);
	if (npages == 0) {
		/* A huge span: large_resize keeps its statistics. */
		if (ind < geom.huge_ind || !large_resize(sp, p, old, usize,
		    zero || opt_zero, movable))
			return (false);
	} else {
		if (ind >= geom.huge_ind)
			return (false);
		pidx = sp_page(sp, p);
		newpages = large_npages(usize);
		if (newpages > npages) {
			if (!pa_run_grow(&arena->pa, sp, pidx, npages,
			    newpages, &dirty))
				return (false);
		} else if (newpages < npages)
			pa_run_shrink(&arena->pa, sp, pidx, npages, newpages);
		if ((zero || opt_zero) && usize > old)
			memset((char *)p + old, 0, usize - old);
		atomic_fetch_add_explicit(&arena->prof_allocated,
		    usize - old, memory_order_relaxed);
	}
	tsd->large_allocated += usize;
	tsd->large_deallocated += old;
	/* The new size is an allocation, as a move would have made it. */
	due = prof_sample_due(tsd, usize, ind, false);
	pt->reentrant = true;
	if (due)
		n = prof_bt_capture(frames, PROF_BT_MAX);
	mutex_lock(&prof_lock);
	if (due)
		ctx = prof_ctx_get(frames, n);
	s = prof_sample_find((uintptr_t)p, due && ctx != NULL ? false : true);
	prof_sample_count(s, -1);
	if (due && ctx != NULL && (td = prof_tdata_get(pt)) != NULL) {
		/* Still a sample: of the new size, at the new stack. */
		prof_st.nsamples++;
		s->ctx = ctx;
		s->td = td;
		s->usize = usize;
		s->npages = npages == 0 ? 0 : newpages;
		s->epoch = prof_epoch;
		s->uobjs = 1.0 / prof_prob(usize);
		prof_sample_count(s, 1);
		if (s->recent != NULL)
			s->recent->usize = usize;
		mutex_unlock(&prof_lock);
		if (npages != 0) {
			sp_pmap_fill(sp, pidx, newpages, PMAP_SLOW_ENT);
			*sp_pmap_page(sp, pidx) = (struct pmap_ent){
			    PMAP_SLOW | PMAP_SAMPLED, 0 };
		}
		pt->reentrant = false;
		return (true);
	}
	if (due && ctx != NULL)
		(void)prof_sample_find((uintptr_t)p, true);
	/* Not a sample any more: an ordinary large run or huge span. */
	if (s->recent != NULL) {
		s->recent->s = NULL;
		s->recent->released = true;
		s->recent->dalloc_ns = pal_clock_ns();
	}
	prof_sample_release(s);
	mutex_unlock(&prof_lock);
	if (npages == 0)
		sp->sampled = false;
	else {
		atomic_fetch_sub_explicit(&arena->prof_allocated, usize,
		    memory_order_relaxed);
		sp_pmap_large(sp, pidx, newpages, ind, arena->win);
		large_stat(arena, ind, true);
	}
	pt->reentrant = false;
	return (true);
}

size_t
prof_usize(const void *p, const char *fn)
{
	struct prof_sample *s;
	size_t usize;

	mutex_lock(&prof_lock);
	s = prof_sample_find((uintptr_t)p, false);
	usize = s != NULL ? s->usize : 0;
	mutex_unlock(&prof_lock);
	if (s == NULL)
		msg_fatal("%s(): pointer %p is not allocated (a sampled "
		    "object's page, but no sample)", fn, p);
	return (usize);
}

bool
prof_is_sampled(const struct sp *sp, const void *p)
{
	if (!opt_prof)
		return (false);
	if (sp->kind == SP_HUGE)
		return (sp->sampled);
	return ((sp_pmap_of(sp, p)->e & PMAP_SAMPLED) != 0);
}

void
prof_arena_reset(struct arena *arena)
{
	struct prof_sample *s, **pp;
	struct sp *sp;
	unsigned b;

	if (!prof_booted)
		return;
	mutex_lock(&prof_lock);
	for (b = 0; b < PROF_SAMPLE_BUCKETS; b++) {
		pp = &prof_samples[b];
		while ((s = *pp) != NULL) {
			if (s->arena != arena) {
				pp = &s->next;
				continue;
			}
			*pp = s->next;
			if (s->npages == 0 &&
			    (sp = amap_lookup((void *)s->addr)) != NULL)
				sp->sampled = false;
			if (s->npages != 0)
				atomic_fetch_sub_explicit(
				    &arena->prof_allocated, s->usize,
				    memory_order_relaxed);
			if (s->recent != NULL) {
				s->recent->s = NULL;
				s->recent->released = true;
			}
			prof_sample_forget(s);
		}
	}
	mutex_unlock(&prof_lock);
}

void
prof_thread_cleanup(struct tsd *tsd)
{
	struct prof_tdata *td = tsd->prof.tdata;

	if (td == NULL)
		return;
	mutex_lock(&prof_lock);
	td->dead = true;
	prof_tdata_maybe_free(td);
	mutex_unlock(&prof_lock);
	tsd->prof.tdata = NULL;
}

/* Dumps. */

struct prof_snapbuf {
	struct prof_snap	 s;
	void			*mem;
	size_t			 size;
};

/* A copy of the tables (frames are shared: contexts are never freed). */
static bool
prof_snapshot(struct prof_snapbuf *b)
{
	struct prof_snap_tline *tl, *tlines;
	struct prof_snap_ctx *sc;
	struct prof_snap_thr *st;
	struct prof_sample *smp;
	struct prof_tdata *td;
	struct prof_ctx *c;
	unsigned i, j, k, nctx, nthr, *tcount;
	size_t nlive, pos;
	char *names;

	memset(b, 0, sizeof(*b));
	mutex_lock(&prof_lock);
	nctx = (unsigned)prof_st.nctx;
	nlive = opt_prof_accum ? 0 : (size_t)prof_st.nlive;
	nthr = 0;
	for (td = prof_threads; td != NULL; td = td->next)
		nthr++;
	b->size = nctx * sizeof(*sc) + nthr * (sizeof(*st) + PROF_NAME_MAX) +
	    nlive * sizeof(*tl) + nctx * sizeof(*tcount);
	b->size = (b->size + PAGE) & ~(PAGE - 1);
	b->mem = pal_map(b->size, PAGE);
	if (b->mem == NULL) {
		mutex_unlock(&prof_lock);
		return (false);
	}
	sc = b->mem;
	tlines = (struct prof_snap_tline *)(sc + nctx);
	st = (struct prof_snap_thr *)(tlines + nlive);
	tcount = (unsigned *)(st + nthr);
	names = (char *)(tcount + nctx);
	b->s.period = (uint64_t)1 << atomic_load_explicit(&prof_lg_sample,
	    memory_order_relaxed);
	b->s.accum = opt_prof_accum;
	b->s.total = prof_total;
	b->s.ctx = sc;
	b->s.thr = st;
	for (i = 0; i < PROF_CTX_BUCKETS; i++)
		for (c = prof_ctxs[i]; c != NULL; c = c->next) {
			if (c->c.inuse.objs == 0 && c->c.accum.objs == 0)
				continue;
			sc[b->s.nctx].c = c->c;
			sc[b->s.nctx].nframes = c->nframes;
			sc[b->s.nctx].frames = c->frames;
			c->snap = ++b->s.nctx;
			tcount[c->snap - 1] = 0;
		}
	/*
	 * Per-thread lines: the live samples of this epoch, grouped by
	 * context and then thread (each context gets as many slots as it has
	 * samples, so the lines always fit).
	 */
	for (i = 0; nlive != 0 && i < PROF_SAMPLE_BUCKETS; i++)
		for (smp = prof_samples[i]; smp != NULL; smp = smp->next)
			if (smp->epoch == prof_epoch && smp->ctx->snap != 0)
				tcount[smp->ctx->snap - 1]++;
	for (pos = 0, k = 0; nlive != 0 && k < b->s.nctx; k++) {
		sc[k].thr = tlines + pos;
		pos += tcount[k];
	}
	for (i = 0; nlive != 0 && i < PROF_SAMPLE_BUCKETS; i++)
		for (smp = prof_samples[i]; smp != NULL; smp = smp->next) {
			if (smp->epoch != prof_epoch || smp->ctx->snap == 0)
				continue;
			k = smp->ctx->snap - 1;
			tl = (struct prof_snap_tline *)(uintptr_t)sc[k].thr;
			for (j = 0; j < sc[k].nthr; j++)
				if (tl[j].uid == smp->td->uid)
					break;
			if (j == sc[k].nthr) {
				memset(&tl[j], 0, sizeof(tl[j]));
				tl[j].uid = smp->td->uid;
				sc[k].nthr++;
			}
			prof_fill_cnt(&tl[j].c, smp->usize, smp->uobjs, 1);
		}
	for (i = 0; i < PROF_CTX_BUCKETS; i++)
		for (c = prof_ctxs[i]; c != NULL; c = c->next)
			c->snap = 0;
	for (td = prof_threads; td != NULL; td = td->next) {
		st[b->s.nthr].uid = td->uid;
		st[b->s.nthr].c = td->c;
		memcpy(names, td->name, PROF_NAME_MAX);
		st[b->s.nthr].name = names[0] != '\0' ? names : NULL;
		names += PROF_NAME_MAX;
		b->s.nthr++;
	}
	mutex_unlock(&prof_lock);
	b->s.time_ns = pal_realtime_ns();
	return (true);
}

static void
prof_snap_release(struct prof_snapbuf *b)
{
	if (b->mem != NULL)
		pal_unmap(b->mem, b->size);
}

static int
prof_dump_file(const char *name, const struct prof_snap *s,
    enum prof_format fmt)
{
	int fd, err;

	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return (errno);
	err = prof_dump_write(fd, s, fmt);
	if (close(fd) != 0 && err == 0)
		err = errno;
	if (err != 0)
		unlink(name);
	return (err);
}

/*
 * Write a dump: to name, or (name NULL) to the next automatic name of
 * kind ('i', 'm', 'u', or 'f' for the final one).  leak: the final
 * dump's leak report.
 */
static int
prof_dump_impl(const char *name, char kind, enum prof_format fmt, bool leak)
{
	struct tsd *tsd = tsd_get();
	struct prof_snapbuf b;
	char path[512];
	const char *ext = fmt == PROF_FORMAT_PPROF ? "pb" : "heap";
	bool was = tsd->prof.reentrant;
	uint64_t *kseq;
	int err;

	if (!prof_booted)
		return (ENOENT);
	tsd->prof.reentrant = true;
	mutex_lock(&prof_dump_lock);
	if (name == NULL) {
		if (prof_prefix[0] == '\0') {
			mutex_unlock(&prof_dump_lock);
			tsd->prof.reentrant = was;
			return (EFAULT);
		}
		kseq = kind == 'i' ? &prof_seq_i : kind == 'u' ? &prof_seq_u :
		    &prof_seq_m;
		if (kind == 'f')
			fmt_snprintf(path, sizeof(path), "%s.%d.%llu.f.%s",
			    prof_prefix, (int)getpid(),
			    (unsigned long long)prof_seq, ext);
		else
			fmt_snprintf(path, sizeof(path), "%s.%d.%llu.%c%llu.%s",
			    prof_prefix, (int)getpid(),
			    (unsigned long long)prof_seq, kind,
			    (unsigned long long)(*kseq)++, ext);
		prof_seq++;
		name = path;
	}
	if (!prof_snapshot(&b))
		err = ENOMEM;
	else {
		err = prof_dump_file(name, &b.s, fmt);
		if (leak && opt_prof_leak)
			prof_dump_leak_report(&b.s);
		prof_snap_release(&b);
	}
	if (err == 0) {
		mutex_lock(&prof_lock);
		prof_st.ndumps++;
		mutex_unlock(&prof_lock);
	}
	mutex_unlock(&prof_dump_lock);
	tsd->prof.reentrant = was;
	return (err);
}

int
prof_dump(const char *name, enum prof_format fmt)
{
	return (prof_dump_impl(name, 'm', fmt, false));
}

/* Mapped memory now, for prof_gdump. */
static size_t
prof_mapped(void)
{
	struct arena *a;
	size_t m = 0;
	unsigned i, n;

	n = atomic_load_explicit(&narenas_total, memory_order_acquire);
	for (i = 0; i < n && i < ARENA_LIMIT; i++) {
		a = atomic_load_explicit(&arenas[i], memory_order_acquire);
		if (a != NULL)
			m += a->pa.stats.nmapped_sp;
	}
	return (m * SUPERPAGE);
}

void
prof_poll(void)
{
	size_t m;

	if (!prof_booted || tsd_get()->prof.reentrant)
		return;
	if (atomic_load_explicit(&prof_gdump_on, memory_order_relaxed)) {
		m = prof_mapped();
		if (m > prof_mapped_max) {
			prof_mapped_max = m;
			(void)prof_dump_impl(NULL, 'u',
			    (enum prof_format)opt_prof_format, false);
		}
	}
	if (atomic_load_explicit(&prof_interval_due, memory_order_relaxed)) {
		atomic_store_explicit(&prof_interval_due, false,
		    memory_order_relaxed);
		(void)prof_dump_impl(NULL, 'i',
		    (enum prof_format)opt_prof_format, false);
	}
}

__attribute__((destructor)) static void
prof_final(void)
{
	if (!prof_booted || !opt_prof_final)
		return;
	(void)prof_dump_impl(NULL, 'f', (enum prof_format)opt_prof_format,
	    true);
}

/* Control plane. */

void
prof_reset(size_t lg_sample)
{
	struct prof_tdata *td;
	struct prof_ctx *c;
	unsigned i;

	mutex_lock(&prof_dump_lock);
	mutex_lock(&prof_lock);
	atomic_store_explicit(&prof_lg_sample, lg_sample,
	    memory_order_relaxed);
	prof_epoch++;
	for (i = 0; i < PROF_CTX_BUCKETS; i++)
		for (c = prof_ctxs[i]; c != NULL; c = c->next)
			memset(&c->c, 0, sizeof(c->c));
	for (td = prof_threads; td != NULL; td = td->next)
		memset(&td->c, 0, sizeof(td->c));
	memset(&prof_total, 0, sizeof(prof_total));
	mutex_unlock(&prof_lock);
	mutex_unlock(&prof_dump_lock);
}

bool
prof_active_get(void)
{
	return (atomic_load_explicit(&prof_on, memory_order_relaxed));
}

/*
 * Objects staged while sampling was off were not counted: put the
 * calling thread's back in its cache when sampling turns on, so that
 * its next allocations are counted (other threads' staged objects, at
 * most PROF_STAGE per class, go uncounted).
 */
static void
prof_unstage_self(void)
{
	struct tsd *tsd = tsd_get();

	if (tsd->state == TSD_NOMINAL)
		tcache_unstage(&tsd->tc);
}

void
prof_active_set(bool on)
{
	if (on && !atomic_load_explicit(&prof_on, memory_order_relaxed))
		prof_unstage_self();
	atomic_store_explicit(&prof_on, on, memory_order_relaxed);
}

bool
prof_thread_active_init_get(void)
{
	return (atomic_load_explicit(&prof_tinit, memory_order_relaxed));
}

void
prof_thread_active_init_set(bool on)
{
	atomic_store_explicit(&prof_tinit, on, memory_order_relaxed);
}

bool
prof_gdump_get(void)
{
	return (atomic_load_explicit(&prof_gdump_on, memory_order_relaxed));
}

void
prof_gdump_set(bool on)
{
	atomic_store_explicit(&prof_gdump_on, on, memory_order_relaxed);
}

size_t
prof_lg_sample_get(void)
{
	return (atomic_load_explicit(&prof_lg_sample, memory_order_relaxed));
}

int
prof_prefix_set(const char *prefix)
{
	if (prefix == NULL || strlen(prefix) >= sizeof(prof_prefix))
		return (EINVAL);
	mutex_lock(&prof_dump_lock);
	strcpy(prof_prefix, prefix);
	mutex_unlock(&prof_dump_lock);
	return (0);
}

const char *
prof_thread_name_get(void)
{
	struct prof_tdata *td = tsd_get()->prof.tdata;

	return (td != NULL ? td->name : "");
}

int
prof_thread_name_set(const char *name)
{
	struct tsd *tsd = tsd_get();
	struct prof_tdata *td;
	size_t i;

	if (name == NULL || strlen(name) >= PROF_NAME_MAX)
		return (EFAULT);
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] < 0x20 || name[i] == 0x7f)
			return (EFAULT);
	/* A thread's first call into the allocator may be this one. */
	if (tsd->state == TSD_UNINIT)
		tsd_boot(tsd);
	if (tsd->state != TSD_NOMINAL)
		return (EAGAIN);
	mutex_lock(&prof_lock);
	td = prof_tdata_get(&tsd->prof);
	if (td != NULL)
		strcpy(td->name, name);
	mutex_unlock(&prof_lock);
	return (td != NULL ? 0 : EAGAIN);
}

bool
prof_thread_active_get(void)
{
	struct prof_tsd *pt = &tsd_get()->prof;

	if (!pt->booted)
		prof_tsd_boot(pt);
	return (pt->active);
}

void
prof_thread_active_set(bool on)
{
	struct prof_tsd *pt = &tsd_get()->prof;

	if (!pt->booted)
		prof_tsd_boot(pt);
	if (on && !pt->active)
		prof_unstage_self();
	pt->active = on;
}

int64_t
prof_recent_max_get(void)
{
	return (prof_recent_max);
}

void
prof_recent_max_set(int64_t max)
{
	mutex_lock(&prof_lock);
	prof_recent_max = max;
	prof_recent_drop_old();
	mutex_unlock(&prof_lock);
}

void
prof_recent_dump(void (*cb)(void *, const char *), void *opaque)
{
	struct tsd *tsd = tsd_get();
	struct prof_recent_snap rs;
	struct prof_recent_rec *rec;
	struct prof_recent *r;
	size_t size;
	void *mem;
	bool was = tsd->prof.reentrant;

	tsd->prof.reentrant = true;
	mutex_lock(&prof_dump_lock);
	mutex_lock(&prof_lock);
	memset(&rs, 0, sizeof(rs));
	rs.period = (uint64_t)1 << atomic_load_explicit(&prof_lg_sample,
	    memory_order_relaxed);
	rs.alloc_max = prof_recent_max;
	size = (prof_nrecent * (sizeof(*rec) + 2 * PROF_NAME_MAX) + PAGE) &
	    ~(PAGE - 1);
	mem = pal_map(size, PAGE);
	if (mem != NULL) {
		char *names = (char *)((struct prof_recent_rec *)mem +
		    prof_nrecent);

		rs.rec = mem;
		for (r = prof_recent_old; r != NULL; r = r->next) {
			rec = &rs.rec[rs.n++];
			rec->size = r->size;
			rec->usize = r->usize;
			rec->released = r->released;
			rec->alloc_uid = r->alloc_uid;
			memcpy(names, r->alloc_name, PROF_NAME_MAX);
			rec->alloc_name = names[0] != '\0' ? names : NULL;
			names += PROF_NAME_MAX;
			rec->alloc_time_ns = r->alloc_ns;
			rec->alloc_nframes = r->alloc_ctx->nframes;
			rec->alloc_frames = r->alloc_ctx->frames;
			if (!r->released)
				continue;
			rec->dalloc_uid = r->dalloc_uid;
			memcpy(names, r->dalloc_name, PROF_NAME_MAX);
			rec->dalloc_name = names[0] != '\0' ? names : NULL;
			names += PROF_NAME_MAX;
			rec->dalloc_time_ns = r->dalloc_ns;
			if (r->dalloc_ctx != NULL) {
				rec->dalloc_nframes = r->dalloc_ctx->nframes;
				rec->dalloc_frames = r->dalloc_ctx->frames;
			}
		}
	}
	mutex_unlock(&prof_lock);
	prof_dump_recent_json(&rs, cb, opaque);
	if (mem != NULL)
		pal_unmap(mem, size);
	mutex_unlock(&prof_dump_lock);
	tsd->prof.reentrant = was;
}

void
prof_stats_get(struct prof_stats *st)
{
	mutex_lock(&prof_lock);
	*st = prof_st;
	mutex_unlock(&prof_lock);
}

void
prof_boot(void)
{
	if (!opt_prof)
		return;
	prof_ctxs = base_alloc(PROF_CTX_BUCKETS * sizeof(prof_ctxs[0]));
	prof_samples = base_alloc(PROF_SAMPLE_BUCKETS *
	    sizeof(prof_samples[0]));
	if (prof_ctxs == NULL || prof_samples == NULL) {
		msg_warn("prof:true: no memory for the profiler's tables; "
		    "profiling is off");
		opt_prof = false;
		return;
	}
	prof_st.metadata = PROF_CTX_BUCKETS * sizeof(prof_ctxs[0]) +
	    PROF_SAMPLE_BUCKETS * sizeof(prof_samples[0]);
	strcpy(prof_prefix, opt_prof_prefix);
	prof_recent_max = opt_prof_recent_alloc_max;
	atomic_store_explicit(&prof_lg_sample, opt_lg_prof_sample,
	    memory_order_relaxed);
	atomic_store_explicit(&prof_on, opt_prof_active, memory_order_relaxed);
	atomic_store_explicit(&prof_tinit, opt_prof_thread_active_init,
	    memory_order_relaxed);
	atomic_store_explicit(&prof_gdump_on, opt_prof_gdump,
	    memory_order_relaxed);
	prof_bt_boot();
	prof_booted = true;
}

void
prof_prefork(void)
{
	if (!prof_booted)
		return;
	mutex_lock(&prof_dump_lock);
	mutex_lock(&prof_lock);
}

void
prof_postfork_parent(void)
{
	if (!prof_booted)
		return;
	mutex_unlock(&prof_lock);
	mutex_unlock(&prof_dump_lock);
}

void
prof_postfork_child(void)
{
	if (!prof_booted)
		return;
	mutex_postfork_child(&prof_lock);
	mutex_postfork_child(&prof_dump_lock);
}
