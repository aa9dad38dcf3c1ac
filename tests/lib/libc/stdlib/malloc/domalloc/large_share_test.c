/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * large_share_test.c: a page run for a thread's automatic arena comes
 * from memory another automatic arena holds (large_alloc_shared) when its
 * own arena has none, and belongs to that arena; the thread's own memory
 * comes first; explicit arenas and arenas with extent hooks neither
 * borrow nor lend.  Whitebox: reads
 * the page allocators' statistics.  Decay never purges here, so freed
 * pages stay dirty for as long as a case needs them.
 */
#include <atf-c.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <malloc_np.h>

#include "arena.h"
#include "pa.h"

const char *malloc_conf = "narenas:4,dirty_decay_ms:-1,muzzy_decay_ms:-1";

#define	NBLK	16
#define	BLK	(256 * 1024)	/* above tcache_max: never cached */

static struct pa_stats
pa_of(unsigned ind)
{
	struct pa_stats s;

	pa_stats_read(&arena_get(ind, true)->pa, &s);
	return (s);
}

static void
bind_thread(unsigned ind)
{
	ATF_REQUIRE_EQ(mallctl("thread.arena", NULL, NULL, &ind,
	    sizeof(ind)), 0);
}

static unsigned
owner(void *p)
{
	unsigned ind;
	size_t len = sizeof(ind);

	ATF_REQUIRE_EQ(mallctl("arenas.lookup", &ind, &len, &p, sizeof(p)),
	    0);
	return (ind);
}

/*
 * NBLK blocks of arena ind (named, so never lent), written, then freed:
 * dirty pages of arena ind.
 */
static void
make_dirty(unsigned ind)
{
	const int flags = MALLOCX_ARENA(ind) | MALLOCX_TCACHE_NONE;
	void *p[NBLK];
	unsigned i;

	for (i = 0; i < NBLK; i++) {
		p[i] = mallocx(BLK, flags);
		ATF_REQUIRE(p[i] != NULL);
		memset(p[i], 0x11, BLK);
		ATF_REQUIRE_EQ(owner(p[i]), ind);
	}
	for (i = 0; i < NBLK; i++)
		dallocx(p[i], MALLOCX_TCACHE_NONE);
	ATF_REQUIRE(pa_of(ind).ndirty >= NBLK * (BLK / PAGE));
}

ATF_TC_WITHOUT_HEAD(lends_resident_pages);
ATF_TC_BODY(lends_resident_pages, tc)
{
	struct pa_stats before;
	void *p[NBLK];
	unsigned i;

	make_dirty(0);
	bind_thread(1);
	before = pa_of(1);
	for (i = 0; i < NBLK; i++) {
		p[i] = calloc(1, BLK);
		ATF_REQUIRE(p[i] != NULL);
		ATF_CHECK_EQ_MSG(owner(p[i]), 0, "block %u of a thread of "
		    "arena 1 is in arena %u, not in arena 0's dirty pages", i,
		    owner(p[i]));
		/* calloc: the dirty pages lent must read as zero. */
		ATF_CHECK_EQ(((unsigned char *)p[i])[BLK / 2], 0);
		ATF_CHECK_EQ(malloc_usable_size(p[i]), BLK);
		memset(p[i], 0x22, BLK);
	}
	ATF_CHECK_EQ_MSG(pa_of(1).nmapped_sp, before.nmapped_sp,
	    "arena 1 mapped %zu superpages more",
	    pa_of(1).nmapped_sp - before.nmapped_sp);
	ATF_CHECK_EQ(pa_of(1).nactive, before.nactive);
	for (i = 0; i < NBLK; i++)
		free(p[i]);
	/* Freed to the arena that lent them. */
	ATF_CHECK(pa_of(0).ndirty >= NBLK * (BLK / PAGE));
	ATF_CHECK_EQ(pa_of(1).nactive, before.nactive);
}

ATF_TC_WITHOUT_HEAD(own_memory_first);
ATF_TC_BODY(own_memory_first, tc)
{
	void *p[NBLK];
	unsigned i;

	make_dirty(0);
	make_dirty(2);
	bind_thread(2);
	for (i = 0; i < NBLK; i++) {
		p[i] = malloc(BLK);
		ATF_REQUIRE(p[i] != NULL);
		ATF_CHECK_EQ_MSG(owner(p[i]), 2, "block %u is in arena %u "
		    "while its thread's arena 2 had dirty pages", i,
		    owner(p[i]));
	}
	for (i = 0; i < NBLK; i++)
		free(p[i]);
}

/*
 * MALLOCX_ARENA names the arena, and a thread bound to an explicit arena
 * allocates there: neither takes another arena's memory, and an explicit
 * arena's memory is not lent.
 */
ATF_TC_WITHOUT_HEAD(explicit_arenas_apart);
ATF_TC_BODY(explicit_arenas_apart, tc)
{
	unsigned x, y, i;
	size_t len = sizeof(x);
	void *p[NBLK];

	make_dirty(0);
	ATF_REQUIRE_EQ(mallctl("arenas.create", &x, &len, NULL, 0), 0);
	ATF_REQUIRE_EQ(mallctl("arenas.create", &y, &len, NULL, 0), 0);
	for (i = 0; i < NBLK; i++) {
		p[i] = mallocx(BLK, MALLOCX_ARENA(3) | MALLOCX_TCACHE_NONE);
		ATF_REQUIRE(p[i] != NULL);
		ATF_CHECK_EQ_MSG(owner(p[i]), 3, "MALLOCX_ARENA(3) gave a "
		    "block of arena %u", owner(p[i]));
	}
	for (i = 0; i < NBLK; i++)
		dallocx(p[i], MALLOCX_TCACHE_NONE);
	make_dirty(x);
	bind_thread(y);
	for (i = 0; i < NBLK; i++) {
		p[i] = malloc(BLK);
		ATF_REQUIRE(p[i] != NULL);
		ATF_CHECK_EQ_MSG(owner(p[i]), y, "a thread bound to explicit "
		    "arena %u got a block of arena %u", y, owner(p[i]));
	}
	for (i = 0; i < NBLK; i++)
		free(p[i]);
	bind_thread(1);
	p[0] = malloc(BLK);
	ATF_REQUIRE(p[0] != NULL);
	ATF_CHECK_MSG(owner(p[0]) != x, "explicit arena %u lent its pages",
	    x);
	free(p[0]);
}

/*
 * An arena whose memory the program supplies (extent hooks; here the
 * default functions under another address, which counts as hooks) does
 * not borrow, and does not lend.
 */
ATF_TC_WITHOUT_HEAD(hooked_arena_apart);
ATF_TC_BODY(hooked_arena_apart, tc)
{
	static extent_hooks_t wrap;
	extent_hooks_t *dflt, *hp;
	size_t len = sizeof(dflt);
	void *p;

	make_dirty(0);
	ATF_REQUIRE_EQ(mallctl("arena.0.extent_hooks", &dflt, &len, NULL, 0),
	    0);
	wrap = *dflt;
	hp = &wrap;
	bind_thread(1);
	ATF_REQUIRE_EQ(mallctl("arena.1.extent_hooks", NULL, NULL, &hp,
	    sizeof(hp)), 0);
	p = malloc(BLK);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ_MSG(owner(p), 1, "a thread of arena 1, which has "
	    "extent hooks, got a block of arena %u", owner(p));
	free(p);
	make_dirty(1);
	bind_thread(2);
	p = malloc(BLK);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_MSG(owner(p) != 1, "arena 1, which has extent hooks, lent "
	    "its pages");
	free(p);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, lends_resident_pages);
	ATF_TP_ADD_TC(tp, own_memory_first);
	ATF_TP_ADD_TC(tp, explicit_arenas_apart);
	ATF_TP_ADD_TC(tp, hooked_arena_apart);
	return (atf_no_error());
}
