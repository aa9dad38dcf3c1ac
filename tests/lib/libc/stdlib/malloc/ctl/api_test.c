/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * api_test: a program written only against jemalloc's public interface,
 * as a user of FreeBSD's malloc writes it: <stdlib.h> and <malloc_np.h>,
 * nothing of domalloc's.  It checks the flag macros bit for bit against
 * jemalloc's definitions, then uses an explicit arena with
 * MALLOCX_ARENA | MALLOCX_ZERO | MALLOCX_ALIGN, rallocx, xallocx,
 * sallocx, sdallocx, nallocx, dallocx, MIB lookups and
 * malloc_stats_print, the way jemalloc's own integration tests do.
 */
#include <stdlib.h>
#include <malloc_np.h>

#include <atf-c.h>
#include <stdint.h>
#include <string.h>

ATF_TC_WITHOUT_HEAD(flag_macros);
ATF_TC_BODY(flag_macros, tc)
{
	ATF_CHECK_EQ(MALLOCX_LG_ALIGN(0), 0);
	ATF_CHECK_EQ(MALLOCX_LG_ALIGN(12), 12);
	ATF_CHECK_EQ(MALLOCX_ALIGN(1), 0);
	ATF_CHECK_EQ(MALLOCX_ALIGN(16), 4);
	ATF_CHECK_EQ(MALLOCX_ALIGN(4096), 12);
	ATF_CHECK_EQ(MALLOCX_ALIGN((size_t)1 << 30), 30);
	ATF_CHECK_EQ(MALLOCX_ALIGN((size_t)1 << 31), 31);
	ATF_CHECK_EQ(MALLOCX_ALIGN((size_t)1 << 40), 40);
	ATF_CHECK_EQ(MALLOCX_ZERO, 0x40);
	ATF_CHECK_EQ(MALLOCX_TCACHE(0), 0x200);
	ATF_CHECK_EQ(MALLOCX_TCACHE(5), 7 << 8);
	ATF_CHECK_EQ(MALLOCX_TCACHE_NONE, 0x100);
	ATF_CHECK_EQ(MALLOCX_ARENA(0), 1 << 20);
	ATF_CHECK_EQ(MALLOCX_ARENA(7), 8 << 20);
	ATF_CHECK_EQ((unsigned)MALLOCX_ARENA(4094), 4095u << 20);
	ATF_CHECK_EQ(MALLCTL_ARENAS_ALL, 4096);
	ATF_CHECK_EQ(MALLCTL_ARENAS_DESTROYED, 4097);
	/* The fields do not overlap. */
	ATF_CHECK_EQ(MALLOCX_LG_ALIGN(63) & MALLOCX_ZERO, 0);
	ATF_CHECK_EQ((MALLOCX_ZERO | MALLOCX_LG_ALIGN(63)) &
	    MALLOCX_TCACHE(4093), 0);
	ATF_CHECK_EQ(MALLOCX_TCACHE(4093) & MALLOCX_ARENA(4094), 0);
}

ATF_TC_WITHOUT_HEAD(explicit_arena);
ATF_TC_BODY(explicit_arena, tc)
{
	unsigned arena_ind, ind;
	size_t sz, usize, rsz, mib[4], miblen, i;
	unsigned char *p, *q;
	int flags;

	sz = sizeof(arena_ind);
	ATF_REQUIRE_EQ(mallctl("arenas.create", &arena_ind, &sz, NULL, 0), 0);
	flags = MALLOCX_ARENA(arena_ind) | MALLOCX_ZERO | MALLOCX_ALIGN(64);
	usize = nallocx(1000, flags);
	ATF_REQUIRE(usize >= 1000);
	p = mallocx(1000, flags);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK(((uintptr_t)p & 63) == 0);
	ATF_CHECK_EQ(sallocx(p, 0), usize);
	for (i = 0; i < usize; i++)
		if (p[i] != 0)
			break;
	ATF_CHECK_EQ(i, usize);
	sz = sizeof(ind);
	ATF_CHECK_EQ(mallctl("arenas.lookup", &ind, &sz, &p, sizeof(p)), 0);
	ATF_CHECK_EQ(ind, arena_ind);
	memset(p, 'x', 1000);
	q = rallocx(p, 100000, flags);
	ATF_REQUIRE(q != NULL);
	ATF_CHECK(q[999] == 'x' && q[1000] == 0 && q[99999] == 0);
	/* Grow in place if it can; the size is at least what it was. */
	rsz = xallocx(q, 200000, 0, flags);
	ATF_CHECK(rsz >= nallocx(100000, flags));
	ATF_CHECK_EQ(rsz, sallocx(q, 0));
	sdallocx(q, rsz, flags);
	/* MIB walk of the large classes, as jemalloc's tests do. */
	miblen = 4;
	ATF_REQUIRE_EQ(mallctlnametomib("arenas.lextent.0.size", mib,
	    &miblen), 0);
	mib[2] = 0;
	sz = sizeof(rsz);
	ATF_REQUIRE_EQ(mallctlbymib(mib, miblen, &rsz, &sz, NULL, 0), 0);
	ATF_CHECK_EQ(rsz, 16384);
	ATF_REQUIRE_EQ(mallctl("arena.0.purge", NULL, NULL, NULL, 0), 0);
	p = mallocx(42, 0);
	dallocx(p, 0);
}

static size_t printed;

static void
count_cb(void *opaque, const char *s)
{
	(void)opaque;
	printed += strlen(s);
}

ATF_TC_WITHOUT_HEAD(stats);
ATF_TC_BODY(stats, tc)
{
	uint64_t epoch = 1;
	size_t sz = sizeof(epoch), allocated;

	ATF_REQUIRE_EQ(mallctl("epoch", &epoch, &sz, &epoch, sz), 0);
	sz = sizeof(allocated);
	ATF_REQUIRE_EQ(mallctl("stats.allocated", &allocated, &sz, NULL, 0),
	    0);
	ATF_CHECK(allocated > 0);
	malloc_stats_print(count_cb, NULL, NULL);
	ATF_CHECK(printed > 1000);
	printed = 0;
	malloc_stats_print(count_cb, NULL, "J");
	ATF_CHECK(printed > 1000);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, flag_macros);
	ATF_TP_ADD_TC(tp, explicit_arena);
	ATF_TP_ADD_TC(tp, stats);
	return (atf_no_error());
}
