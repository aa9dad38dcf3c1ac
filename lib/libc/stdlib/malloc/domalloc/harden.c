/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * harden.c: the hardened library's checks, quarantines and guarded
 * mappings (see harden.h).  Compiled into every build; only the hardened
 * one calls it.
 *
 * The secrets.  harden_k1 and harden_k2 are drawn at start-up; an
 * address's secret is two rounds of a 64-bit mixer keyed by them.  It
 * encrypts the size trailer and gives the canary bytes, so a program
 * cannot forge a trailer without reading one first.  It is not a
 * cryptographic MAC: the aim is that overflows by accident or by a blind
 * write are caught, every time for a change of one byte.
 *
 * Why per-shard small quarantines rather than per-thread ones: a thread
 * may exit with objects in its quarantine, and a shard outlives it with
 * no clean-up; eight shards chosen by the thread's address keep two
 * threads from sharing a lock most of the time on machines of a few
 * CPUs, and a double free is found by scanning them all, which only the
 * fatal path does.
 *
 * Synchronization: harden_lock guards the registry (hr_*) and the large
 * quarantine (hl_*); each shard's lock guards its slots and its random
 * state.  Neither is held while another lock is taken or memory is
 * checked; the system calls under harden_lock (the registry's table
 * growth) take no lock.  The keys and option values are written once at
 * start-up, under the init lock.
 */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "conf.h"
#include "geom.h"
#include "harden.h"
#include "init.h"
#include "mark.h"
#include "msg.h"
#include "mutex.h"
#include "pal.h"
#include "prof.h"
#include "sc.h"
#include "tcache.h"
#include "tsd.h"

#define	HARDEN_TRAILER	8		/* bytes at the end of small objects */
#define	HARDEN_NSHARDS	8		/* small quarantine shards */
#define	HARDEN_ALIGN	16		/* least alignment of guarded blocks */
#define	HARDEN_EVICT	16		/* large blocks unmapped per batch */
#define	HARDEN_NCACHE	32		/* mappings kept for reuse */
#define	HARDEN_CACHE_MAX ((size_t)32 << 20) /* their bytes at most */

unsigned	opt_harden_quarantine = 256;
unsigned	opt_harden_quarantine_large = 64;
size_t		opt_harden_quarantine_bytes = (size_t)64 << 20;

static uint64_t	harden_k1, harden_k2;

/* One small quarantine slot: the object and what free_validated needs. */
struct hq_slot {
	void		*p;
	struct sp	*sp;
	unsigned	 ind;
};

struct hq_shard {
	struct mutex	 lock;
	struct hq_slot	*slots;		/* opt_harden_quarantine of them */
	unsigned	 n;		/* slots in use */
	uint64_t	 rng;
} __attribute__((aligned(64)));

static struct hq_shard harden_shards[HARDEN_NSHARDS] = {
	[0 ... HARDEN_NSHARDS - 1] = {
		.lock = MUTEX_INITIALIZER(RANK_HARDEN)
	}
};

/* A guarded block in the registry; p 0 marks an empty entry. */
struct hreg {
	uintptr_t	p;
	uintptr_t	map;		/* the mapping, guards included */
	size_t		maplen;
	size_t		size;		/* requested */
	bool		freed;		/* in the large quarantine */
};

static struct mutex	 harden_lock = MUTEX_INITIALIZER(RANK_HARDEN);
static struct hreg	*hr_tab;
static size_t		 hr_lg;		/* lg of the entries in hr_tab */
static size_t		 hr_n;
/* The large quarantine: a ring of block addresses, oldest at hl_head. */
static uintptr_t	*hl_ring;
static size_t		 hl_head, hl_n, hl_bytes;
/* Live guarded blocks: bytes requested, data pages; all mappings. */
static size_t		 hs_live, hs_pages, hs_mapped;
/*
 * Mappings out of the quarantine kept for reuse, inaccessible and purged:
 * a block of the same mapping size then costs one system call (the data
 * made accessible) instead of four (map, two guards, and the unmap).
 */
static struct {
	uintptr_t	map;
	size_t		maplen;
} hc_maps[HARDEN_NCACHE];
static unsigned		 hc_n;
static size_t		 hc_bytes;

/* A thread's random state for the cache shuffle; 0 until seeded. */
static __thread uint64_t harden_tls_rng
    __attribute__((tls_model("initial-exec")));

static uint64_t
harden_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (x);
}

static uint64_t
harden_secret(const void *p)
{
	return (harden_mix(harden_mix((uintptr_t)p ^ harden_k1) ^ harden_k2));
}

/* xorshift64*: enough to make slot choices unpredictable in practice. */
static uint64_t
harden_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return (x * 0x2545f4914f6cdd1dULL);
}

static uint64_t
harden_tls_rand(void)
{
	if (harden_tls_rng == 0)
		harden_tls_rng = harden_mix((uintptr_t)&harden_tls_rng ^
		    harden_k2) | 1;
	return (harden_next(&harden_tls_rng));
}

/*
 * The canary byte at offset i of the block at p (sec its secret): never
 * below 0x80 and never 0xff, so that text, zeros and -1 bytes written
 * past the end never match it.
 */
static unsigned char
harden_canary(uint64_t sec, size_t i)
{
	unsigned c = 0x80 | ((unsigned)(sec >> ((i & 7) << 3)) & 0x7f);

	return ((unsigned char)(c == 0xff ? 0xfe : c));
}

/*
 * The canary repeats every 8 bytes (harden_canary), so whole words are
 * written and compared at once: the word of canary bytes for an 8-aligned
 * offset (objects are 16-aligned, so those are aligned addresses).
 */
static uint64_t
harden_canary_word(uint64_t sec)
{
	uint64_t w = 0;
	unsigned j;

	for (j = 0; j < 8; j++)
		w |= (uint64_t)harden_canary(sec, j) << (j << 3);
	return (w);
}

static void
harden_fill(unsigned char *b, size_t from, size_t to, uint64_t sec)
{
	uint64_t w;
	size_t i = from;

	for (; i < to && (i & 7) != 0; i++)
		b[i] = harden_canary(sec, i);
	if (to - i >= 8) {
		w = harden_canary_word(sec);
		for (; to - i >= 8; i += 8)
			memcpy(b + i, &w, sizeof(w));
	}
	for (; i < to; i++)
		b[i] = harden_canary(sec, i);
}

/* The first offset in [from, to) whose canary changed, or to. */
static size_t
harden_scan(const unsigned char *b, size_t from, size_t to, uint64_t sec)
{
	uint64_t w, x;
	size_t i = from;

	for (; i < to && (i & 7) != 0; i++)
		if (b[i] != harden_canary(sec, i))
			return (i);
	if (to - i >= 8) {
		w = harden_canary_word(sec);
		for (; to - i >= 8; i += 8) {
			memcpy(&x, b + i, sizeof(x));
			if (x != w)
				break;
		}
	}
	for (; i < to; i++)
		if (b[i] != harden_canary(sec, i))
			break;
	return (i);
}

static bool
harden_is_zero(const void *p, size_t n)
{
	const uint64_t *w = p;
	size_t i;

	for (i = 0; i < n / 8; i++)
		if (w[i] != 0)
			return (false);
	return (true);
}

/*
 * Small objects.
 */

/* Write the canary and trailer of a small object of class size usize. */
static void
harden_seal(void *p, size_t usize, size_t size)
{
	uint64_t sec = harden_secret(p), t;

	harden_fill(p, size, usize - HARDEN_TRAILER, sec);
	t = ((uint64_t)size << 32 | size) ^ sec;
	memcpy((char *)p + usize - HARDEN_TRAILER, &t, sizeof(t));
}

/* Check the trailer and canary of p; the size it was allocated with. */
static size_t
harden_unseal(const void *p, size_t usize, const char *fn)
{
	uint64_t sec = harden_secret(p), t;
	size_t size, i;

	memcpy(&t, (const char *)p + usize - HARDEN_TRAILER, sizeof(t));
	t ^= sec;
	size = (uint32_t)t;
	if ((t >> 32) != size || size > usize - HARDEN_TRAILER)
		msg_fatal("%s(): heap overflow past the end of %p (a block of "
		    "at most %zu bytes): size trailer corrupted", fn, p,
		    usize - HARDEN_TRAILER);
	i = harden_scan(p, size, usize - HARDEN_TRAILER, sec);
	if (i != usize - HARDEN_TRAILER)
		msg_fatal("%s(): heap overflow past the end of %p (%zu bytes "
		    "requested): canary corrupted %zu bytes past the end", fn,
		    p, size, i - size + 1);
	return (size);
}

/* Swap the top of the bin with a random entry: the pop is random. */
static void
harden_shuffle(struct tbin *tb)
{
	uint32_t n = tb->ncached, j;
	void *t;

	if (n < 2)
		return;
	j = (uint32_t)(harden_tls_rand() % n);
	t = tb->stack[n - 1];
	tb->stack[n - 1] = tb->stack[j];
	tb->stack[j] = t;
}

static void *
harden_small_alloc(size_t size, size_t need, size_t usize, size_t align,
    unsigned flags, struct arena *arena, const char *fn)
{
	void *p;

	if (align <= SC_QUANTUM && arena == NULL &&
	    (flags & ALLOC_NOCACHE) == 0 && need <= SC_LUT_MAX) {
		harden_shuffle(tsd_get()->bin_of[(need + SC_QUANTUM - 1) >>
		    SC_LG_QUANTUM]);
		p = alloc_fast(need);
	} else
		p = alloc_generic(need, align, flags & ALLOC_NOCACHE, arena);
	if (p == NULL)
		return (NULL);
	/* Word 0 held the free marker; every other byte must be zero. */
	if (!harden_is_zero((char *)p + 8, usize - 8))
		msg_fatal("%s(): write after free to %p: a free %zu-byte block "
		    "was changed before it was handed out again", fn, p,
		    usize);
	mark_live(p);
	harden_seal(p, usize, size);
	return (p);
}

static struct hq_shard *
harden_shard(void)
{
	uint64_t h = ((uintptr_t)tsd_get() >> 12) * 0x9e3779b97f4a7c15ULL;

	return (&harden_shards[h >> 61]);
}

/*
 * Put s in a quarantine; true if s now holds an object to free for good
 * (the one evicted from a random slot, or s itself without a quarantine).
 */
static bool
harden_quarantine(struct hq_slot *s)
{
	struct hq_shard *sh;
	struct hq_slot old;
	unsigned j;

	sh = harden_shard();
	if (opt_harden_quarantine == 0 || sh->slots == NULL)
		return (true);
	mutex_lock(&sh->lock);
	if (sh->n < opt_harden_quarantine) {
		sh->slots[sh->n++] = *s;
		mutex_unlock(&sh->lock);
		return (false);
	}
	j = (unsigned)(harden_next(&sh->rng) % opt_harden_quarantine);
	old = sh->slots[j];
	sh->slots[j] = *s;
	mutex_unlock(&sh->lock);
	*s = old;
	return (true);
}

bool
harden_quarantined(const void *p)
{
	struct hq_shard *sh;
	unsigned i, k;
	bool found = false;

	for (k = 0; k < HARDEN_NSHARDS && !found; k++) {
		sh = &harden_shards[k];
		mutex_lock(&sh->lock);
		for (i = 0; i < sh->n; i++)
			if (sh->slots[i].p == p)
				found = true;
		mutex_unlock(&sh->lock);
	}
	return (found);
}

/* Free for good an object leaving the quarantine, if it is untouched. */
static void
harden_evict(const struct hq_slot *s, const char *fn)
{
	size_t usize = sc_size[s->ind];

	if (!mark_is_free(s->p) || !harden_is_zero((char *)s->p + 8,
	    usize - 8))
		msg_fatal("%s(): write after free to %p: a %zu-byte block "
		    "was changed after it was freed (found when it left the "
		    "quarantine)", fn, s->p, usize);
	free_validated(s->p, s->sp, s->ind, 0);
}

static void
harden_small_free(void *p, struct sp *sp, unsigned ind, bool sized,
    size_t ssize, size_t align, const char *fn)
{
	size_t usize = sc_size[ind], size;
	struct hq_slot s;

	size = harden_unseal(p, usize, fn);
	if (sized && (ssize != size || (align > 1 &&
	    ((uintptr_t)p & (align - 1)) != 0)))
		msg_fatal("%s(): size %zu or alignment %zu does not match the "
		    "allocation %p of %zu bytes", fn, ssize, align, p, size);
	memset(p, 0, usize);
	mark_free(p);
	s.p = p;
	s.sp = sp;
	s.ind = ind;
	if (harden_quarantine(&s))
		harden_evict(&s, fn);
}

/*
 * Guarded blocks: the registry.
 */

/* The home slot of p in a table of 2^lg entries. */
static size_t
hr_slot(uintptr_t p, size_t lg)
{
	return ((size_t)(((p >> 4) * 0x9e3779b97f4a7c15ULL) >> (64 - lg)));
}

/* The entry of p, or NULL; harden_lock is held. */
static struct hreg *
hr_find(uintptr_t p)
{
	size_t i, mask;

	if (hr_tab == NULL)
		return (NULL);
	mask = ((size_t)1 << hr_lg) - 1;
	for (i = hr_slot(p, hr_lg); hr_tab[i].p != 0; i = (i + 1) & mask)
		if (hr_tab[i].p == p)
			return (&hr_tab[i]);
	return (NULL);
}

static void
hr_put(struct hreg *tab, size_t lg, const struct hreg *r)
{
	size_t mask = ((size_t)1 << lg) - 1, i;

	for (i = hr_slot(r->p, lg); tab[i].p != 0; i = (i + 1) & mask)
		;
	tab[i] = *r;
}

/* Add r, growing the table at half full; false if no memory. */
static bool
hr_insert(const struct hreg *r)
{
	struct hreg *tab;
	size_t lg, i;

	if (hr_tab == NULL || (hr_n + 1) * 2 > ((size_t)1 << hr_lg)) {
		lg = hr_tab == NULL ? 10 : hr_lg + 1;
		tab = pal_map(ALIGN_UP(sizeof(*tab) << lg, PAGE), PAGE);
		if (tab == NULL)
			return (false);
		for (i = 0; hr_tab != NULL && i < ((size_t)1 << hr_lg); i++)
			if (hr_tab[i].p != 0)
				hr_put(tab, lg, &hr_tab[i]);
		if (hr_tab != NULL)
			pal_unmap(hr_tab, ALIGN_UP(sizeof(*tab) << hr_lg,
			    PAGE));
		hr_tab = tab;
		hr_lg = lg;
	}
	hr_put(hr_tab, hr_lg, r);
	hr_n++;
	return (true);
}

/* Remove e, shifting back the entries of its probe run. */
static void
hr_delete(struct hreg *e)
{
	size_t mask = ((size_t)1 << hr_lg) - 1, i, j, k;

	i = (size_t)(e - hr_tab);
	for (j = (i + 1) & mask; hr_tab[j].p != 0; j = (j + 1) & mask) {
		k = hr_slot(hr_tab[j].p, hr_lg);
		/* Move j to the hole at i unless its home lies in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		hr_tab[i] = hr_tab[j];
		i = j;
	}
	hr_tab[i].p = 0;
	hr_n--;
}

/* A cached mapping of maplen bytes, or 0; harden_lock is held. */
static uintptr_t
hc_take(size_t maplen)
{
	uintptr_t map;
	unsigned i;

	for (i = 0; i < hc_n; i++) {
		if (hc_maps[i].maplen != maplen)
			continue;
		map = hc_maps[i].map;
		hc_maps[i] = hc_maps[--hc_n];
		hc_bytes -= maplen;
		return (map);
	}
	return (0);
}

/* Keep a mapping leaving the quarantine; false: unmap it. */
static bool
hc_put(uintptr_t map, size_t maplen)
{
	if (hc_n == HARDEN_NCACHE || hc_bytes + maplen > HARDEN_CACHE_MAX)
		return (false);
	hc_maps[hc_n].map = map;
	hc_maps[hc_n].maplen = maplen;
	hc_n++;
	hc_bytes += maplen;
	return (true);
}

/*
 * Guarded blocks: [guard pages][slack, data, slack][guard page], the data
 * ending as near the trailing guard as its alignment allows, so that an
 * overflow faults at once.  With left (a block that realloc grows) the
 * data starts right after the leading guard instead: an underflow still
 * faults at once, an overflow into the slack is found by its canary on
 * free or the next resize, and the slack lets the block grow in place
 * (harden_large_resize) up to the page end, so that a buffer grown by
 * exact reallocs is copied once a page, not at every step.  With an
 * alignment above the page the leading guard grows to what is not used.
 */
static void *
harden_large_alloc(size_t size, size_t align, bool left)
{
	struct hreg r;
	uintptr_t map, end, p, head;
	size_t a = DM_MAX(align, HARDEN_ALIGN), data, maplen;
	uint64_t sec;
	bool fresh, ok;

	data = ALIGN_UP(size, PAGE);
	maplen = data + (a > PAGE ? a - PAGE : 0) + 2 * PAGE;
	if (size > SC_MAX_SIZE || maplen < size)
		return (NULL);
	mutex_lock(&harden_lock);
	map = hc_take(maplen);
	mutex_unlock(&harden_lock);
	if (map != 0) {
		/* All of it inaccessible and zero: open the data pages. */
		end = map + maplen - PAGE;
		p = left ? ALIGN_UP(map + PAGE, a) : ALIGN_DOWN(end - size, a);
		head = ALIGN_DOWN(p, PAGE);
		fresh = false;
		ok = pal_protect((void *)head, end - head, true);
	} else {
		map = (uintptr_t)pal_map(maplen, PAGE);
		if (map == 0)
			return (NULL);
		end = map + maplen - PAGE;
		p = left ? ALIGN_UP(map + PAGE, a) : ALIGN_DOWN(end - size, a);
		head = ALIGN_DOWN(p, PAGE);
		fresh = true;
		ok = pal_protect((void *)map, head - map, false) &&
		    pal_protect((void *)end, PAGE, false);
	}
	if (!ok) {
		pal_unmap((void *)map, maplen);
		if (!fresh) {
			mutex_lock(&harden_lock);
			hs_mapped -= maplen;
			mutex_unlock(&harden_lock);
		}
		return (NULL);
	}
	sec = harden_secret((void *)p);
	harden_fill((unsigned char *)head, 0, p - head, sec);
	harden_fill((unsigned char *)p, size, end - p, sec);
	r.p = p;
	r.map = map;
	r.maplen = maplen;
	r.size = size;
	r.freed = false;
	mutex_lock(&harden_lock);
	if (!hr_insert(&r)) {
		if (!fresh)
			hs_mapped -= maplen;
		mutex_unlock(&harden_lock);
		pal_unmap((void *)map, maplen);
		return (NULL);
	}
	hs_live += size;
	hs_pages += end - head;
	if (fresh)
		hs_mapped += maplen;
	mutex_unlock(&harden_lock);
	/* thread.allocated: guarded blocks are outside the thread cache. */
	tsd_get()->large_allocated += size;
	return ((void *)p);
}

/* The live guarded block p (else fatal, naming fn); a copy of its entry. */
static struct hreg
harden_large_get(const void *p, bool take, const char *fn)
{
	struct hreg *e, r;

	mutex_lock(&harden_lock);
	e = hr_find((uintptr_t)p);
	if (e == NULL) {
		mutex_unlock(&harden_lock);
		msg_fatal("%s(): invalid pointer %p (not allocated by "
		    "domalloc, or not at the start of an allocation)", fn, p);
	}
	if (e->freed) {
		r = *e;
		mutex_unlock(&harden_lock);
		msg_fatal("%s(): double free of %p (a %zu-byte block freed "
		    "earlier, still in the quarantine)", fn, p, r.size);
	}
	/* Marked freed at once, so that a racing second free is seen. */
	if (take) {
		e->freed = true;
		hs_live -= e->size;
		hs_pages -= e->map + e->maplen - PAGE - ALIGN_DOWN(e->p, PAGE);
	}
	r = *e;
	mutex_unlock(&harden_lock);
	return (r);
}

static void
harden_large_free(void *p, bool sized, size_t ssize, size_t align,
    const char *fn)
{
	struct hreg r, *e;
	uintptr_t head, end, gone[HARDEN_EVICT + 1][2];
	uint64_t sec;
	size_t i, n;

	r = harden_large_get(p, true, fn);
	sec = harden_secret(p);
	head = ALIGN_DOWN(r.p, PAGE);
	end = r.map + r.maplen - PAGE;
	i = harden_scan((unsigned char *)head, 0, r.p - head, sec);
	if (i != r.p - head)
		msg_fatal("%s(): heap underflow before the start of %p (%zu "
		    "bytes requested): canary corrupted %zu bytes before it",
		    fn, p, r.size, (size_t)(r.p - head - i));
	i = harden_scan((unsigned char *)r.p, r.size, end - r.p, sec);
	if (i != end - r.p)
		msg_fatal("%s(): heap overflow past the end of %p (%zu bytes "
		    "requested): canary corrupted %zu bytes past the end", fn,
		    p, r.size, i - r.size + 1);
	if (sized && (ssize != r.size || (align > 1 &&
	    ((uintptr_t)p & (align - 1)) != 0)))
		msg_fatal("%s(): size %zu or alignment %zu does not match the "
		    "allocation %p of %zu bytes", fn, ssize, align, p, r.size);
	tsd_get()->large_deallocated += r.size;
	/* Out of reach and out of memory: a later access faults. */
	(void)pal_protect((void *)r.map, r.maplen, false);
	pal_purge_forced((void *)r.map, r.maplen);
	/*
	 * Make room by unmapping the oldest blocks, a batch at a time with
	 * the lock dropped for the system calls, then queue this one.
	 */
	do {
		n = 0;
		mutex_lock(&harden_lock);
		while (n < HARDEN_EVICT && hl_n != 0 &&
		    (hl_n >= opt_harden_quarantine_large ||
		    hl_bytes + r.maplen > opt_harden_quarantine_bytes)) {
			e = hr_find(hl_ring[hl_head]);
			hl_head = (hl_head + 1) % opt_harden_quarantine_large;
			hl_n--;
			hl_bytes -= e->maplen;
			if (!hc_put(e->map, e->maplen)) {
				hs_mapped -= e->maplen;
				gone[n][0] = e->map;
				gone[n][1] = e->maplen;
				n++;
			}
			hr_delete(e);
		}
		if (n < HARDEN_EVICT) {
			if (hl_ring != NULL) {
				hl_ring[(hl_head + hl_n) %
				    opt_harden_quarantine_large] = r.p;
				hl_n++;
				hl_bytes += r.maplen;
			} else {
				/* No quarantine: the block goes at once. */
				hr_delete(hr_find(r.p));
				hs_mapped -= r.maplen;
				gone[n][0] = r.map;
				gone[n][1] = r.maplen;
				n++;
			}
			r.p = 0;
		}
		mutex_unlock(&harden_lock);
		for (i = 0; i < n; i++)
			pal_unmap((void *)gone[i][0], gone[i][1]);
	} while (r.p != 0);
}

/*
 * Resize the live guarded block p in place to size if its data pages hold
 * it (the slack after the data, which only a block made with left has in
 * any amount): the canary after the old size is checked first, what the
 * block gains is zeroed, what it loses becomes canary.  False if it does
 * not fit.
 */
static bool
harden_large_resize(void *p, size_t size, const char *fn)
{
	struct hreg r, *e;
	uintptr_t end;
	uint64_t sec;
	size_t i;

	r = harden_large_get(p, false, fn);
	end = r.map + r.maplen - PAGE;
	if (size > end - r.p)
		return (false);
	sec = harden_secret(p);
	i = harden_scan((unsigned char *)r.p, r.size, end - r.p, sec);
	if (i != end - r.p)
		msg_fatal("%s(): heap overflow past the end of %p (%zu bytes "
		    "requested): canary corrupted %zu bytes past the end", fn,
		    p, r.size, i - r.size + 1);
	if (size > r.size)
		memset((char *)p + r.size, 0, size - r.size);
	else
		harden_fill((unsigned char *)p, size, r.size, sec);
	mutex_lock(&harden_lock);
	e = hr_find(r.p);
	hs_live = hs_live - e->size + size;
	e->size = size;
	mutex_unlock(&harden_lock);
	if (size > r.size)
		tsd_get()->large_allocated += size - r.size;
	else
		tsd_get()->large_deallocated += r.size - size;
	return (true);
}

/*
 * The entry points.
 */

void *
harden_alloc(size_t size, size_t align, unsigned flags, struct arena *arena,
    const char *fn)
{
	size_t need, usize;
	void *p;

	if (unlikely(!malloc_init()) || size > SC_MAX_SIZE)
		return (alloc_oom(size));
	/* malloc(0) is a block of one byte: one past it is an overflow. */
	if (size == 0)
		size = 1;
	need = size + HARDEN_TRAILER;
	if (need <= SC_SMALL_MAX) {
		usize = align <= SC_QUANTUM ? sc_usize(need) :
		    sc_usize_aligned(need, align);
		if (usize != 0 && usize <= SC_SMALL_MAX)
			return (harden_small_alloc(size, need, usize, align,
			    flags, arena, fn));
	}
	p = harden_large_alloc(size, align, false);
	if (p == NULL)
		return (alloc_oom(size));
	return (p);
}

void
harden_free(void *p, bool sized, size_t size, size_t align, const char *fn)
{
	struct sp *sp;
	unsigned ind;

	if (p == NULL)
		return;
	if (amap_lookup(p) == NULL) {
		harden_large_free(p, sized, size, align, fn);
		return;
	}
	sp = alloc_lookup(p, &ind, fn);
	if (ind >= SC_NBINS) {
		/* Not made here (harden_alloc makes no large runs). */
		free_validated(p, sp, ind, 0);
		return;
	}
	harden_small_free(p, sp, ind, sized, size, align, fn);
}

size_t
harden_usize(const void *p, const char *fn)
{
	struct sp *sp;
	unsigned ind;

	if (p == NULL)
		return (0);
	if (amap_lookup(p) == NULL)
		return (harden_large_get(p, false, fn).size);
	sp = alloc_lookup(p, &ind, fn);
	if (ind >= SC_NBINS)
		return (alloc_usize(p, sp, ind));
	return (harden_unseal(p, sc_size[ind], fn));
}

void *
harden_realloc(void *p, size_t size, size_t align, unsigned flags,
    struct arena *arena, const char *fn)
{
	struct sp *sp;
	size_t old, usize;
	unsigned ind;
	void *q;

	if (p == NULL)
		return (harden_alloc(size, align, flags, arena, fn));
	old = harden_usize(p, fn);
	/*
	 * A small block whose new size still maps to its class (and whose
	 * alignment and arena still hold) changes in place: what it gains
	 * was canary and is zeroed, what it loses becomes canary, and the
	 * trailer is written again.  So strings grown by exact reallocs do
	 * not copy at every step; other resizes move.
	 */
	size = DM_MAX(size, 1);
	if ((sp = amap_lookup(p)) != NULL && size + HARDEN_TRAILER <=
	    SC_SMALL_MAX && arena == NULL && (align <= SC_QUANTUM ||
	    ((uintptr_t)p & (align - 1)) == 0)) {
		(void)alloc_lookup(p, &ind, fn);
		usize = sc_size[ind];
		if (ind < SC_NBINS && sc_usize(size + HARDEN_TRAILER) ==
		    usize) {
			if (size > old)
				memset((char *)p + old, 0, size - old);
			harden_seal(p, usize, size);
			return (p);
		}
	}
	/*
	 * A guarded block changes in place while its pages hold the new
	 * size; one that grows and moves is placed for growing again.
	 */
	if (sp == NULL && (align <= HARDEN_ALIGN ||
	    ((uintptr_t)p & (align - 1)) == 0) &&
	    harden_large_resize(p, size, fn))
		return (p);
	if (size > old && size + HARDEN_TRAILER > SC_SMALL_MAX &&
	    arena == NULL) {
		q = harden_large_alloc(size, align, true);
		if (q == NULL)
			return (alloc_oom(size));
	} else
		q = harden_alloc(size, align, flags, arena, fn);
	if (q == NULL)
		return (NULL);
	memcpy(q, p, DM_MIN(old, size));
	harden_free(p, false, 0, 0, fn);
	return (q);
}

void
harden_stats(size_t *allocated, size_t *active, size_t *resident,
    size_t *mapped)
{
	mutex_lock(&harden_lock);
	*allocated += hs_live;
	*active += hs_pages;
	*resident += hs_pages;
	*mapped += hs_mapped;
	mutex_unlock(&harden_lock);
}

void
harden_boot(void)
{
	size_t n;
	char *m;
	unsigned k;

	harden_k1 = pal_random();
	harden_k2 = harden_mix(pal_random() ^ pal_clock_ns());
	if (!config_hardened)
		return;
	if (opt_prof) {
		msg_warn("prof:true is not supported by the hardened library "
		    "(libdomalloc_hardened); heap profiling stays off");
		opt_prof = false;
	}
	/* Freed blocks are zeroed and checked: junk would defeat that. */
	opt_junk = JUNK_NONE;
	n = (size_t)opt_harden_quarantine * sizeof(struct hq_slot);
	if (n != 0) {
		m = pal_map(ALIGN_UP(n * HARDEN_NSHARDS, PAGE), PAGE);
		for (k = 0; m != NULL && k < HARDEN_NSHARDS; k++) {
			harden_shards[k].slots = (struct hq_slot *)(m + k * n);
			harden_shards[k].rng = harden_mix(harden_k1 + k) | 1;
		}
	}
	if (opt_harden_quarantine_large != 0)
		hl_ring = pal_map(ALIGN_UP((size_t)opt_harden_quarantine_large *
		    sizeof(*hl_ring), PAGE), PAGE);
}

void
harden_prefork(void)
{
	unsigned k;

	for (k = 0; k < HARDEN_NSHARDS; k++)
		mutex_lock(&harden_shards[k].lock);
	mutex_lock(&harden_lock);
}

void
harden_postfork_parent(void)
{
	unsigned k;

	mutex_unlock(&harden_lock);
	for (k = 0; k < HARDEN_NSHARDS; k++)
		mutex_unlock(&harden_shards[k].lock);
}

void
harden_postfork_child(void)
{
	unsigned k;

	mutex_postfork_child(&harden_lock);
	for (k = 0; k < HARDEN_NSHARDS; k++)
		mutex_postfork_child(&harden_shards[k].lock);
}
