/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * pagecache: a page cache of fixed-size pages, as sqlite's page cache
 * keeps its pages (4096 bytes of page and 272 of header: 4368 bytes per
 * allocation, the default "page").  The cache holds up to "mib" MiB of
 * pages; an access names a random page of a file "keys" times larger
 * than the cache, with a hot tenth of the file taking "hot" percent of
 * the accesses.  A hit checks the page and moves it to the front of the
 * LRU list; a miss evicts the least recently used page (checked and
 * freed) and allocates, fills and inserts the new one.  So the heap is
 * almost all objects of one size between the usual size classes, churned
 * in LRU order, and the figure of interest is peak RSS against the live
 * data (live_kib in the result line): how much of each page the size
 * class rounds away and how well freed pages are reused.
 *
 * Single thread, no locking.
 */

#include "bench.h"

static long page = 4368;
static long mib = 64;
static long keys = 3;
static long hot = 80;
static long ops = 3000000;
static long seed = 1;

static const struct bench_opt opts[] = {
	{ "page", &page, "bytes per page allocation (at least 8)" },
	{ "mib", &mib, "cache capacity in MiB of pages" },
	{ "keys", &keys, "file size as a multiple of the cache capacity" },
	{ "hot", &hot, "percent of accesses to the hottest tenth" },
	{ "ops", &ops, "accesses" },
	{ "seed", &seed, "PRNG seed" },
	{ NULL, NULL, NULL }
};

/* A cached page: its key and its place in the LRU list (indices). */
struct entry {
	void		*page;
	long		 key;
	long		 prev, next;
};

static struct entry *ent;
static long head = -1, tail = -1;

static void
lru_unlink(long e)
{

	if (ent[e].prev != -1)
		ent[ent[e].prev].next = ent[e].next;
	else
		head = ent[e].next;
	if (ent[e].next != -1)
		ent[ent[e].next].prev = ent[e].prev;
	else
		tail = ent[e].prev;
}

static void
lru_front(long e)
{

	ent[e].prev = -1;
	ent[e].next = head;
	if (head != -1)
		ent[head].prev = e;
	head = e;
	if (tail == -1)
		tail = e;
}

int
main(int argc, char **argv)
{
	struct bench_rng rng;
	uint64_t t0, hits, misses;
	long *where, cap, nkeys, used, i, k, e;
	char extra[160];

	bench_args(argc, argv, opts, NULL);
	if (page < 8 || mib < 1 || keys < 1 || hot < 0 || hot > 100 ||
	    ops < 1)
		bench_die(2, "bad parameters (page must be at least 8)");
	cap = (long)((uint64_t)mib * 1048576 / (uint64_t)page);
	if (cap < 1)
		cap = 1;
	nkeys = cap * keys;
	bench_rng_seed(&rng, (uint64_t)seed);
	t0 = bench_now_ns();
	ent = bench_nonnull(calloc((size_t)cap, sizeof(*ent)),
	    (size_t)cap * sizeof(*ent));
	where = bench_nonnull(malloc((size_t)nkeys * sizeof(*where)),
	    (size_t)nkeys * sizeof(*where));
	for (k = 0; k < nkeys; k++)
		where[k] = -1;
	used = 0;
	hits = misses = 0;
	for (i = 0; i < ops; i++) {
		if ((long)bench_rng_below(&rng, 100) < hot)
			k = (long)bench_rng_below(&rng,
			    (uint64_t)(nkeys / 10 > 0 ? nkeys / 10 : 1));
		else
			k = (long)bench_rng_below(&rng, (uint64_t)nkeys);
		if ((e = where[k]) != -1) {
			bench_check(ent[e].page, (size_t)page, (uint32_t)k,
			    "pagecache");
			lru_unlink(e);
			lru_front(e);
			hits++;
			continue;
		}
		misses++;
		if (used < cap)
			e = used++;
		else {
			e = tail;
			lru_unlink(e);
			bench_check(ent[e].page, (size_t)page,
			    (uint32_t)ent[e].key, "pagecache");
			free(ent[e].page);
			where[ent[e].key] = -1;
		}
		ent[e].page = bench_nonnull(malloc((size_t)page),
		    (size_t)page);
		bench_fill(ent[e].page, (size_t)page, (uint32_t)k);
		ent[e].key = k;
		where[k] = e;
		lru_front(e);
	}
	for (e = 0; e < used; e++) {
		bench_check(ent[e].page, (size_t)page, (uint32_t)ent[e].key,
		    "pagecache");
		free(ent[e].page);
	}
	free(where);
	free(ent);
	snprintf(extra, sizeof(extra), "page=%ld pages=%ld live_kib=%llu "
	    "hit_pct=%.1f", page, cap, (unsigned long long)((uint64_t)cap *
	    (uint64_t)page / 1024), 100.0 * (double)hits / (double)ops);
	bench_result("pagecache", misses, bench_now_ns() - t0, extra);
	return (0);
}
