/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box test of the background purging thread's start on demand
 * (bg.h): with background_thread not given, the first time an arena
 * holds 32 MiB of dirty pages a thread is started.  The need is seen by
 * the decay tick, which runs inside a thread cache flush; pthread_create
 * allocates (the new thread's TLS vector, a calloc of 304 bytes), and
 * when it was called right there, that allocation entered the cache in
 * the middle of its flush: the debug build found cached objects whose
 * pages had already been given back (found by fuzz_ctl).  Here blocks of
 * that very size class are freed in bulk so that the tick fires inside
 * their flush, then allocated again; every block carries a pattern that
 * is checked before it is freed, and the debug twin checks the caches'
 * invariants on the way.  written_off_stays_off: a program that turns the
 * threads off before any starts keeps them off.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <sys/mman.h>

#include <stdint.h>
#include <time.h>

#include "malloc_test_util.h"

#define	BLOCK		((size_t)304)	/* glibc's dtv: calloc(19, 16) */
#define	NBLOCKS		((size_t)(48 * MT_MIB / 320))
#define	ROUNDS		3

static void
fill(unsigned char *p, size_t i, unsigned round)
{
	size_t k;

	for (k = 0; k < BLOCK; k++)
		p[k] = (unsigned char)(i * 31 + k + round * 7);
}

static size_t
check(const unsigned char *p, size_t i, unsigned round)
{
	size_t k, bad = 0;

	for (k = 0; k < BLOCK; k++)
		if (p[k] != (unsigned char)(i * 31 + k + round * 7))
			bad++;
	return (bad);
}

static unsigned
bg_threads(void)
{
	uint64_t epoch = 1;
	size_t n = 0, sz = sizeof(n);

	(void)mallctl("epoch", NULL, NULL, &epoch, sizeof(epoch));
	if (mallctl("stats.background_thread.num_threads", &n, &sz, NULL,
	    0) != 0)
		return (0);
	return ((unsigned)n);
}

ATF_TC(start_inside_flush);
ATF_TC_HEAD(start_inside_flush, tc)
{
	atf_tc_set_md_var(tc, "descr", "a background thread started on "
	    "demand from a cache flush leaves every block with one owner");
}
ATF_TC_BODY(start_inside_flush, tc)
{
	unsigned char **v;
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	size_t i, bad = 0;
	unsigned round, k;

	v = mmap(NULL, NBLOCKS * sizeof(*v), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ATF_REQUIRE(v != MAP_FAILED);
	ATF_REQUIRE_EQ_MSG(bg_threads(), 0, "a background thread runs "
	    "before any memory was freed");
	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < NBLOCKS; i++) {
			v[i] = malloc(BLOCK);
			ATF_REQUIRE(v[i] != NULL);
			fill(v[i], i, round);
		}
		for (i = 0; i < NBLOCKS; i++) {
			bad += check(v[i], i, round);
			free(v[i]);
		}
	}
	ATF_CHECK_EQ_MSG(bad, 0, "%zu bytes of blocks changed while they "
	    "were live", bad);
	/* The start is made at the next allocation slow path. */
	for (k = 0; k < 100 && bg_threads() == 0; k++) {
		free(malloc(MT_MIB));
		nanosleep(&pause, NULL);
	}
	ATF_CHECK_MSG(bg_threads() > 0, "no background thread was started "
	    "for %zu MiB of dirty pages", NBLOCKS * 320 / MT_MIB);
	munmap(v, NBLOCKS * sizeof(*v));
}

/*
 * background_thread written false while no thread runs keeps the
 * allocator from starting one on demand later (domalloc.3), as a program
 * that forks may need: the same dirty pages as above start none.  (The
 * write used to be ignored when it did not change the running state.)
 */
ATF_TC(written_off_stays_off);
ATF_TC_HEAD(written_off_stays_off, tc)
{
	atf_tc_set_md_var(tc, "descr", "background_thread written false "
	    "before any start keeps the threads from starting on demand");
}
ATF_TC_BODY(written_off_stays_off, tc)
{
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	unsigned char **v;
	bool off = false;
	size_t i;
	unsigned k;

	ATF_REQUIRE_EQ(bg_threads(), 0);
	ATF_REQUIRE_EQ(mallctl("background_thread", NULL, NULL, &off,
	    sizeof(off)), 0);
	v = mmap(NULL, NBLOCKS * sizeof(*v), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ATF_REQUIRE(v != MAP_FAILED);
	for (i = 0; i < NBLOCKS; i++) {
		v[i] = malloc(BLOCK);
		ATF_REQUIRE(v[i] != NULL);
		fill(v[i], i, 0);
	}
	for (i = 0; i < NBLOCKS; i++) {
		ATF_REQUIRE_EQ(check(v[i], i, 0), 0);
		free(v[i]);
	}
	for (k = 0; k < 100; k++) {
		free(malloc(MT_MIB));
		nanosleep(&pause, NULL);
	}
	ATF_CHECK_EQ_MSG(bg_threads(), 0, "a background thread was started "
	    "after background_thread was written false");
	munmap(v, NBLOCKS * sizeof(*v));
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, start_inside_flush);
	ATF_TP_ADD_TC(tp, written_off_stays_off);
	return (atf_no_error());
}
