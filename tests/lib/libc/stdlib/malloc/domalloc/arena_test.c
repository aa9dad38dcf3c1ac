/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * arena_test.c: explicit arenas: reset and destroy discard everything,
 * extent hooks supply and take back the memory.  Whitebox: drives
 * arena.c and pa.c directly.
 */
#include <sys/mman.h>

#include <atf-c.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <malloc_np.h>

#include "amap.h"
#include "arena.h"
#include "pa.h"

static int
flags_of(struct arena *a)
{
	return (MALLOCX_ARENA(a->ind) | MALLOCX_TCACHE_NONE);
}

static struct pa_stats
pa_of(struct arena *a)
{
	struct pa_stats s;

	pa_stats_read(&a->pa, &s);
	return (s);
}

static void
fill_arena(struct arena *a, void **keep, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		size_t size = i % 3 == 0 ? 100 : i % 3 == 1 ? 70000 : 3 << 20;

		keep[i] = mallocx(size, flags_of(a));
		ATF_REQUIRE(keep[i] != NULL);
		memset(keep[i], 0x5a, size);
	}
}

ATF_TC_WITHOUT_HEAD(reset_discards);
ATF_TC_BODY(reset_discards, tc)
{
	struct arena *a;
	void *p[30], *q;

	free(malloc(1));
	a = arena_create_explicit(NULL);
	ATF_REQUIRE(a != NULL);
	fill_arena(a, p, 30);
	ATF_CHECK(pa_of(a).nactive > 0);
	ATF_REQUIRE(arena_reset(a));
	ATF_CHECK_EQ(pa_of(a).nactive, 0);
	ATF_CHECK_EQ(pa_of(a).nruns_sp, 0);
	ATF_CHECK_EQ(pa_of(a).nhuge_sp, 0);
	/* The arena works again and reuses its memory. */
	q = mallocx(3 << 20, flags_of(a));
	ATF_REQUIRE(q != NULL);
	ATF_CHECK(amap_lookup(q) != NULL);
	memset(q, 1, 3 << 20);
	dallocx(q, flags_of(a));
	/* Automatic arenas cannot be reset. */
	ATF_CHECK(!arena_reset(arena_get(0, false)));
}

ATF_TC_WITHOUT_HEAD(destroy_unmaps);
ATF_TC_BODY(destroy_unmaps, tc)
{
	struct arena *a;
	void *p[30];
	unsigned ind;

	free(malloc(1));
	a = arena_create_explicit(NULL);
	ATF_REQUIRE(a != NULL);
	ind = a->ind;
	fill_arena(a, p, 30);
	ATF_REQUIRE(arena_destroy_begin(a));
	arena_destroy_end(a);
	ATF_CHECK(arena_get(ind, false) == NULL);
	ATF_CHECK(amap_lookup(p[0]) == NULL);
	ATF_CHECK(amap_lookup(p[2]) == NULL);
	ATF_CHECK(!arena_destroy_begin(a));
	ATF_CHECK(mallocx(16, MALLOCX_ARENA(ind)) == NULL);
}

static int nalloc, npurge, ndalloc, nmerge;

static void *
h_alloc(extent_hooks_t *h, void *addr, size_t size, size_t align,
    bool *zero, bool *commit, unsigned ind)
{
	void *p;
	uintptr_t a;

	(void)h; (void)ind;
	if (addr != NULL)
		return (NULL);
	p = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (NULL);
	a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	nalloc++;
	*zero = true;
	*commit = true;
	return ((void *)a);
}

static bool
h_dalloc(extent_hooks_t *h, void *addr, size_t size, bool committed,
    unsigned ind)
{
	(void)h; (void)addr; (void)size; (void)committed; (void)ind;
	ndalloc++;
	return (false);
}

static bool
h_purge(extent_hooks_t *h, void *addr, size_t size, size_t off,
    size_t len, unsigned ind)
{
	(void)h; (void)size; (void)ind;
	npurge++;
	return (madvise((char *)addr + off, len, MADV_DONTNEED) != 0);
}

static bool
h_merge(extent_hooks_t *h, void *a, size_t asize, void *b, size_t bsize,
    bool committed, unsigned ind)
{
	(void)h; (void)a; (void)asize; (void)b; (void)bsize;
	(void)committed; (void)ind;
	nmerge++;
	return (false);
}

static extent_hooks_t hooks = {
	h_alloc, h_dalloc, NULL, NULL, NULL, h_purge, h_purge, NULL, h_merge
};

ATF_TC_WITHOUT_HEAD(hooks_supply_memory);
ATF_TC_BODY(hooks_supply_memory, tc)
{
	struct arena *a;
	void *p[30];
	char *z;
	int i;

	free(malloc(1));
	a = arena_create_explicit(&hooks);
	ATF_REQUIRE(a != NULL);
	ATF_CHECK(pa_hooks_get(&a->pa) == &hooks);
	fill_arena(a, p, 30);
	ATF_CHECK_MSG(nalloc > 0, "the alloc hook was not called");
	for (i = 0; i < 30; i++)
		dallocx(p[i], flags_of(a));
	pa_purge_all(&a->pa);
	ATF_CHECK_MSG(npurge > 0, "the purge hook was not called");
	ATF_CHECK_EQ(pa_of(a).ndirty, 0);
	/* Purged memory comes back zeroed. */
	z = mallocx(3 << 20, flags_of(a) | MALLOCX_ZERO);
	ATF_REQUIRE(z != NULL);
	for (i = 0; i < (3 << 20); i += 4096)
		ATF_REQUIRE_EQ(z[i], 0);
	dallocx(z, flags_of(a));
	ATF_REQUIRE(arena_destroy_begin(a));
	arena_destroy_end(a);
	ATF_CHECK_MSG(ndalloc >= nalloc, "dalloc %d of %d chunks", ndalloc,
	    nalloc);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, reset_discards);
	ATF_TP_ADD_TC(tp, destroy_unmaps);
	ATF_TP_ADD_TC(tp, hooks_supply_memory);
	return (atf_no_error());
}
