/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * numa_test.c: the NUMA logic on a simulated two-node topology: arena
 * placement, the page map windows that keep other nodes' objects out of
 * a thread's cache, migration between nodes, and node-bound explicit
 * arenas.  Whitebox: pal_simulate_topology() makes CPU 0 node 0 and
 * CPU 1 node 1 (this test needs two CPUs); each test case runs in its own
 * process, so the simulation does not leak.
 */
#ifndef _GNU_SOURCE
#define	_GNU_SOURCE
#endif
#include <sched.h>

#include <atf-c.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <malloc_np.h>

#include "amap.h"
#include "arena.h"
#include "pal.h"
#include "sp.h"
#include "tcache.h"
#include "tsd.h"

static void
simulate_two_nodes(const atf_tc_t *tc)
{
	static const uint8_t cpu_node[2] = { 0, 1 };

	(void)tc;
	free(malloc(1));
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		atf_tc_skip("needs two CPUs");
	pal_simulate_topology(2, 2, cpu_node);
	arena_numa_reconfigure();
	ATF_REQUIRE(arena_numa());
}

static void
run_on(unsigned cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ATF_REQUIRE(sched_setaffinity(0, sizeof(set), &set) == 0);
	ATF_REQUIRE_EQ(pal_getnode(), cpu);
	tsd_numa_check(tsd_get());
	ATF_REQUIRE_EQ(tsd_get()->node, cpu);
}

ATF_TC_WITHOUT_HEAD(placement);
ATF_TC_BODY(placement, tc)
{
	unsigned i;

	(void)tc;
	ATF_CHECK_EQ(arena_count(0, 2, 2), 2);
	ATF_CHECK_EQ(arena_count(0, 3, 2), 4);
	ATF_CHECK_EQ(arena_count(0, 8, 1), 8);
	ATF_CHECK_EQ(arena_count(5, 2, 2), 6);
	ATF_CHECK_EQ(arena_count(1, 64, 4), 4);
	ATF_CHECK_EQ(arena_count(0, 1, 1), 1);
	ATF_CHECK(arena_count(100000, 2, 3) <= ARENA_LIMIT);
	ATF_CHECK_EQ(arena_count(100000, 2, 3) % 3, 0);
	for (i = 0; i < 16; i++) {
		ATF_CHECK_EQ(arena_node_of(i, 2), i % 2);
		ATF_CHECK_EQ(arena_node_of(i, 1), 0);
	}
}

ATF_TC_WITHOUT_HEAD(page_map_windows);
ATF_TC_BODY(page_map_windows, tc)
{
	unsigned sc, w, t, ind;
	uint32_t e;

	(void)tc;
	for (sc = 0; sc < 63; sc++) {
		for (w = 0; w < PMAP_NWIN; w++) {
			e = PMAP_ENTRY(sc, w, 0);
			ATF_REQUIRE_EQ(PMAP_CLASS(e), (int)sc);
			for (t = 0; t < PMAP_NWIN; t++) {
				ind = TCACHE_BIN_OFF(e, TCACHE_NODEXOR(t)) /
				    sizeof(struct tbin);
				if (w == t)
					ATF_REQUIRE_EQ(ind, sc);
				else
					ATF_REQUIRE(ind >= 64);
			}
		}
	}
	/* Free pages and slow pages land on the empty bin 63. */
	for (t = 0; t < PMAP_NWIN; t++) {
		ATF_CHECK_EQ(TCACHE_BIN_OFF((uint32_t)0, TCACHE_NODEXOR(t)) /
		    sizeof(struct tbin) % 64, 63);
		ATF_CHECK_EQ(TCACHE_BIN_OFF(PMAP_SLOW, TCACHE_NODEXOR(t)) /
		    sizeof(struct tbin) % 64, 63);
		ATF_CHECK_EQ(TCACHE_BIN_OFF(PMAP_SLOW_BYTE * 0x01010101u,
		    TCACHE_NODEXOR(t)) / sizeof(struct tbin) % 64, 63);
	}
	ATF_CHECK_EQ(PMAP_CLASS(0), -1);
	ATF_CHECK_EQ(PMAP_CLASS(PMAP_SLOW), -1);
	ATF_CHECK_EQ(PMAP_CLASS(PMAP_SLOW_BYTE * 0x01010101u), -1);
}

ATF_TC_WITHOUT_HEAD(threads_follow_their_node);
ATF_TC_BODY(threads_follow_their_node, tc)
{
	struct arena *a;

	simulate_two_nodes(tc);
	run_on(1);
	a = tsd_get()->arena;
	ATF_REQUIRE(a != NULL);
	ATF_CHECK_EQ(a->node, 1);
	ATF_CHECK_EQ(tsd_get()->tc.win, 1);
	run_on(0);
	ATF_CHECK_EQ(tsd_get()->arena->node, 0);
	ATF_CHECK_EQ(tsd_get()->tc.win, 0);
}

static uint64_t
thread_deallocated(void)
{
	uint64_t v;
	size_t len = sizeof(v);

	ATF_REQUIRE_EQ(mallctl("thread.deallocated", &v, &len, NULL, 0), 0);
	return (v);
}

ATF_TC_WITHOUT_HEAD(remote_frees_go_home);
ATF_TC_BODY(remote_frees_go_home, tc)
{
	void *p[50], *q;
	uint64_t d0;
	unsigned i;

	simulate_two_nodes(tc);
	run_on(1);
	for (i = 0; i < 50; i++) {
		p[i] = malloc(64);
		ATF_REQUIRE(p[i] != NULL);
		ATF_REQUIRE_EQ(((struct sp *)amap_lookup(p[i]))->arena->node,
		    1);
	}
	run_on(0);
	d0 = thread_deallocated();
	for (i = 0; i < 50; i++)
		free(p[i]);
	/* Counted in thread.deallocated like every other free. */
	ATF_CHECK_MSG(thread_deallocated() - d0 >= 50 * 64,
	    "thread.deallocated grew by %llu for 50 frees of 64 bytes",
	    (unsigned long long)(thread_deallocated() - d0));
	/* Node 1's objects are batched, not cached on node 0. */
	ATF_CHECK_EQ(tsd_get()->tc.bins[sc_index(64)].ncached, 0);
	ATF_CHECK_MSG(tsd_get()->tc.nremote == 50, "remote %u",
	    tsd_get()->tc.nremote);
	for (i = 0; i < 100; i++) {
		q = malloc(64);
		ATF_REQUIRE_EQ(((struct sp *)amap_lookup(q))->arena->node, 0);
	}
	tcache_remote_flush(&tsd_get()->tc);
	ATF_CHECK_EQ(tsd_get()->tc.nremote, 0);
}

ATF_TC_WITHOUT_HEAD(explicit_bound_arena);
ATF_TC_BODY(explicit_bound_arena, tc)
{
	struct arena *a;
	void *p;

	simulate_two_nodes(tc);
	a = arena_create_explicit(NULL);
	ATF_REQUIRE(a != NULL);
	ATF_CHECK_EQ(a->node, ARENA_NODE_NONE);
	ATF_REQUIRE(arena_set_node(a, 1));
	ATF_CHECK(!arena_set_node(a, 7));
	p = mallocx(100, MALLOCX_ARENA(a->ind) | MALLOCX_TCACHE_NONE);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ(PMAP_WIN(amap_lookup(p)->pmap[sp_page(amap_lookup(p),
	    p)].e), 1);
	dallocx(p, MALLOCX_TCACHE_NONE);
}

ATF_TC_WITHOUT_HEAD(node_statistics);
ATF_TC_BODY(node_statistics, tc)
{
	size_t active, kernel, resident, len;
	char *p;

	(void)tc;
	p = malloc(32 << 20);
	ATF_REQUIRE(p != NULL);
	memset(p, 1, 32 << 20);
	/* The pages must really be touched before the statistics are read. */
	__asm__ __volatile__("" : : "r" (p) : "memory");
	len = sizeof(active);
	ATF_REQUIRE_EQ(mallctl("stats.nodes.0.active", &active, &len, NULL,
	    0), 0);
	ATF_REQUIRE_EQ(mallctl("stats.nodes.0.resident", &resident, &len,
	    NULL, 0), 0);
	ATF_REQUIRE_EQ(mallctl("stats.nodes.0.kernel", &kernel, &len, NULL,
	    0), 0);
	ATF_CHECK_MSG(active >= (32 << 20), "active %zu", active);
	ATF_CHECK(resident >= active);
	/* Sampled: the 32 MiB just touched are seen on node 0. */
	ATF_CHECK_MSG(kernel >= (24 << 20), "kernel %zu", kernel);
	ATF_CHECK_EQ(mallctl("stats.nodes.1.active", &active, &len, NULL, 0),
	    ENOENT);
	ATF_CHECK_EQ(mallctl("stats.nodes.0.active", NULL, NULL, &active,
	    sizeof(active)), EPERM);
	free(p);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, node_statistics);
	ATF_TP_ADD_TC(tp, placement);
	ATF_TP_ADD_TC(tp, page_map_windows);
	ATF_TP_ADD_TC(tp, threads_follow_their_node);
	ATF_TP_ADD_TC(tp, remote_frees_go_home);
	ATF_TP_ADD_TC(tp, explicit_bound_arena);
	return (atf_no_error());
}
