/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * decay_test.c: the decay curve (decay.h) and purging in the page
 * allocator.  Whitebox.
 */
#include <atf-c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <malloc_np.h>

#include "arena.h"
#include "decay.h"
#include "pa.h"

ATF_TC_WITHOUT_HEAD(curve_is_smooth);
ATF_TC_BODY(curve_is_smooth, tc)
{
	struct decay d;
	size_t prev, lim;
	uint64_t now = 1000;
	unsigned i;

	free(malloc(1));	/* decay_boot has run */
	decay_init(&d, 10000, now);
	/* 1000 pages become dirty in the first epoch. */
	now += d.interval_ns;
	ATF_REQUIRE(decay_step(&d, now, 1000));
	lim = decay_limit(&d);
	ATF_CHECK_MSG(lim > 990 && lim <= 1000, "limit %zu", lim);
	decay_purged(&d, 1000);
	prev = lim;
	for (i = 1; i < DECAY_NEPOCHS; i++) {
		now += d.interval_ns;
		ATF_REQUIRE(decay_step(&d, now, 1000));
		lim = decay_limit(&d);
		ATF_REQUIRE_MSG(lim <= prev, "epoch %u: %zu after %zu", i,
		    lim, prev);
		if (i == DECAY_NEPOCHS / 2)
			ATF_CHECK_MSG(lim > 400 && lim < 600,
			    "half way: %zu", lim);
		prev = lim;
	}
	now += d.interval_ns;
	decay_step(&d, now, 1000);
	ATF_CHECK_EQ(decay_limit(&d), 0);
}

ATF_TC_WITHOUT_HEAD(immediate_and_never);
ATF_TC_BODY(immediate_and_never, tc)
{
	struct decay d;

	free(malloc(1));
	decay_init(&d, 0, 0);
	ATF_CHECK_EQ(decay_limit(&d), 0);
	decay_init(&d, -1, 0);
	ATF_CHECK_EQ(decay_limit(&d), SIZE_MAX);
	ATF_CHECK(!decay_step(&d, UINT64_MAX / 2, 5));
}

static struct pa_stats
pa_of(unsigned ind)
{
	struct pa_stats s;

	pa_stats_read(&arena_get(ind, false)->pa, &s);
	return (s);
}

ATF_TC_WITHOUT_HEAD(arena_decay_setting);
ATF_TC_BODY(arena_decay_setting, tc)
{
	unsigned a;
	size_t len = sizeof(a);
	ssize_t ms = 0;
	char *p;
	int f;

	ATF_REQUIRE_EQ(mallctl("arenas.create", &a, &len, NULL, 0), 0);
	f = MALLOCX_ARENA(a) | MALLOCX_TCACHE_NONE;
	p = mallocx(8 << 20, f);
	memset(p, 1, 8 << 20);
	dallocx(p, f);
	ATF_CHECK_MSG(pa_of(a).ndirty >= ((size_t)8 << 20) / PAGE,
	    "dirty %zu", pa_of(a).ndirty);
	/* Switching the arena to immediate purging empties it. */
	{
		char name[64];

		snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", a);
		ATF_REQUIRE_EQ(mallctl(name, NULL, NULL, &ms, sizeof(ms)),
		    0);
	}
	ATF_CHECK_EQ(pa_of(a).ndirty, 0);
	ATF_CHECK(pa_of(a).npurged >= ((size_t)8 << 20) / PAGE);
	/* And later frees are purged at once too. */
	p = mallocx(300000, f);
	memset(p, 1, 300000);
	dallocx(p, f);
	ATF_CHECK_EQ(pa_of(a).ndirty, 0);
}

ATF_TC_WITHOUT_HEAD(decays_over_time);
ATF_TC_BODY(decays_over_time, tc)
{
	unsigned a, i;
	size_t len = sizeof(a);
	ssize_t ms = 500;
	char name[64], *p;
	int f;

	ATF_REQUIRE_EQ(mallctl("arenas.create", &a, &len, NULL, 0), 0);
	snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", a);
	ATF_REQUIRE_EQ(mallctl(name, NULL, NULL, &ms, sizeof(ms)), 0);
	f = MALLOCX_ARENA(a) | MALLOCX_TCACHE_NONE;
	p = mallocx(16 << 20, f);
	memset(p, 1, 16 << 20);
	dallocx(p, f);
	ATF_CHECK(pa_of(a).ndirty >= ((size_t)16 << 20) / PAGE);
	/* Drive the slow path for up to 10 s; the decay is 0.5 s. */
	for (i = 0; i < 1000 && pa_of(a).ndirty > 0; i++) {
		usleep(10000);
		dallocx(mallocx(64 * 1024, f), f);
	}
	ATF_CHECK_MSG(pa_of(a).ndirty <= 16, "still %zu dirty pages",
	    pa_of(a).ndirty);
}

ATF_TC_WITHOUT_HEAD(dirty_muzzy_clean);
ATF_TC_BODY(dirty_muzzy_clean, tc)
{
	struct arena *a;
	unsigned i;
	char *p;
	int f;

	free(malloc(1));
	a = arena_create_explicit(NULL);
	ATF_REQUIRE(a != NULL);
	pa_muzzy_decay_set(&a->pa, 300);
	pa_decay_set(&a->pa, 0);
	f = MALLOCX_ARENA(a->ind) | MALLOCX_TCACHE_NONE;
	p = mallocx(8 << 20, f);
	memset(p, 1, 8 << 20);
	dallocx(p, f);
	/* Dirty decay 0: at once lazily purged, so muzzy, not clean. */
	ATF_CHECK_EQ(pa_of(a->ind).ndirty, 0);
	ATF_CHECK_MSG(pa_of(a->ind).nmuzzy >= ((size_t)8 << 20) / PAGE,
	    "muzzy %zu", pa_of(a->ind).nmuzzy);
	/* Step decay as the background thread would. */
	for (i = 0; i < 1000 && pa_of(a->ind).nmuzzy > 0; i++) {
		usleep(10000);
		pa_decay_run(&a->pa);
	}
	ATF_CHECK_MSG(pa_of(a->ind).nmuzzy == 0, "still %zu muzzy pages",
	    pa_of(a->ind).nmuzzy);
	ATF_CHECK(pa_of(a->ind).npurged >= ((size_t)8 << 20) / PAGE);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, dirty_muzzy_clean);
	ATF_TP_ADD_TC(tp, curve_is_smooth);
	ATF_TP_ADD_TC(tp, immediate_and_never);
	ATF_TP_ADD_TC(tp, arena_decay_setting);
	ATF_TP_ADD_TC(tp, decays_over_time);
	return (atf_no_error());
}
