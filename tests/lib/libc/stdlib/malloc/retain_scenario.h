/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * retain_scenario.h: the address space scenario that retain_test (with
 * retain:false) and enomem_test (default options) share, run in a child
 * by mt_run_child.  Under an RLIMIT_AS of 300 MiB above the process's
 * size, 4 MiB blocks are allocated until one fails; every eighth stays,
 * the others are freed and purged, so the address space is all domalloc's
 * but no 64 MiB of it is free in one piece.  A 64 MiB malloc then needs a
 * new mapping, and succeeds only if domalloc gives back the address space
 * it no longer uses; it used to fail for good (glibc succeeds).
 */
#ifndef RETAIN_SCENARIO_H
#define	RETAIN_SCENARIO_H

#include "malloc_test_util.h"

#define	RS_MAX		256
#define	RS_BLOCK	(4 * MT_MIB)

static void
retain_scenario(void *arg)
{
	void *p[RS_MAX], *big;
	struct rlimit rl;
	int i, n;

	(void)arg;
	free(malloc(64));
	rl.rlim_cur = rl.rlim_max = mt_vmsize() + 300 * MT_MIB;
	if (setrlimit(RLIMIT_AS, &rl) != 0)
		mt_child_fail("setrlimit(RLIMIT_AS): %s", strerror(errno));
	for (n = 0; n < RS_MAX; n++) {
		if ((p[n] = malloc(RS_BLOCK)) == NULL)
			break;
		memset(p[n], 1, RS_BLOCK);
	}
	if (n < 40 || n == RS_MAX)
		mt_child_fail("%d blocks of 4 MiB under a 300 MiB limit", n);
	for (i = 0; i < n; i++)
		if (i % 8 != 0)
			free(p[i]);
	if (mallctl("arena.4096.purge", NULL, NULL, NULL, 0) != 0)
		mt_child_fail("arena.4096.purge failed");
	big = malloc(64 * MT_MIB);
	if (big == NULL)
		mt_child_fail("malloc(64 MiB) failed under RLIMIT_AS with %d "
		    "of %d blocks of 4 MiB freed", n - (n + 7) / 8, n);
	memset(big, 2, 64 * MT_MIB);
	for (i = 0; i < n; i += 8)
		if (mt_check_byte(p[i], RS_BLOCK, 1) != SIZE_MAX)
			mt_child_fail("live block %d changed", i);
	free(big);
}

/* The scenario in a child, which must exit 0. */
static void
retain_scenario_run(void)
{
	struct mt_child cr;

	if (mt_lg_page_forced() != 0)
		atf_tc_skip("lg_page:%u brings superpages of %zu MiB: a kept "
		    "4 MiB block holds its whole superpage's address space, "
		    "and the 300 MiB limit is set for 2 MiB superpages",
		    mt_lg_page_forced(),
		    ((size_t)1 << (2 * mt_lg_page_forced() - 3)) / MT_MIB);
	mt_run_child(&cr, 60, retain_scenario, NULL);
	mt_require_child_ok(&cr, "64 MiB under RLIMIT_AS after frees");
}

#endif /* !RETAIN_SCENARIO_H */
