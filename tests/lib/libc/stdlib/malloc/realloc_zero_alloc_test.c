/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box tests of realloc(p, 0) under the FreeBSD/jemalloc behaviour
 * selected by the zero_realloc:alloc option, set here through the
 * program's own malloc_conf: the old block is freed and a new minimal
 * object is returned, which must be usable and freeable.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include "malloc_test_util.h"

const char *malloc_conf = "zero_realloc:alloc";

ATF_TC_WITHOUT_HEAD(zero_returns_object);
ATF_TC_BODY(zero_returns_object, tc)
{
	static const size_t sz[] = { 1, 100, 14336, 100000, 3 * MT_MIB };
	void *p, *q;
	size_t i;

	for (i = 0; i < sizeof(sz) / sizeof(sz[0]); i++) {
		p = malloc(mt_size(sz[i]));
		ATF_REQUIRE(p != NULL);
		memset(p, 1, sz[i]);
		mt_escape(p);
		q = realloc(p, mt_size(0));
		ATF_REQUIRE_MSG(q != NULL, "zero_realloc:alloc: realloc("
		    "malloc(%zu), 0) returned NULL", sz[i]);
		ATF_CHECK_MSG(mt_aligned(q, 16), "result %p not aligned", q);
		/* The minimal object is at least one quantum. */
		ATF_CHECK_MSG(mt_usable(q) >= 1,
		    "usable size of the result is %zu",
		    mt_usable(q));
		memset(q, 2, mt_usable(q));
		mt_escape(q);
		free(q);
	}
}

ATF_TC_WITHOUT_HEAD(zero_results_unique);
ATF_TC_BODY(zero_results_unique, tc)
{
	void *p[64];
	size_t i, j;

	for (i = 0; i < 64; i++) {
		p[i] = malloc(mt_size(32));
		ATF_REQUIRE(p[i] != NULL);
	}
	for (i = 0; i < 64; i++) {
		p[i] = realloc(p[i], mt_size(0));
		ATF_REQUIRE_MSG(p[i] != NULL, "realloc(p, 0) #%zu returned "
		    "NULL", i);
		for (j = 0; j < i; j++)
			ATF_CHECK_MSG(p[i] != p[j], "realloc(p, 0) #%zu and "
			    "#%zu both returned %p", i, j, p[i]);
	}
	for (i = 0; i < 64; i++)
		free(p[i]);
}

/* The old block must be released: repeating must not grow the heap. */
ATF_TC_WITHOUT_HEAD(zero_frees_old_block);
ATF_TC_BODY(zero_frees_old_block, tc)
{
	void *p, *q;
	size_t before, after;
	int i;

	for (i = 0; i < 16; i++) {
		p = malloc(mt_size(8 * MT_MIB));
		ATF_REQUIRE(p != NULL);
		q = realloc(p, mt_size(0));
		ATF_REQUIRE(q != NULL);
		free(q);
	}
	before = mt_vmsize();
	for (i = 0; i < 1000; i++) {
		p = malloc(mt_size(8 * MT_MIB));
		ATF_REQUIRE(p != NULL);
		((volatile char *)p)[0] = 1;
		q = realloc(p, mt_size(0));
		ATF_REQUIRE_MSG(q != NULL, "realloc(p, 0) returned NULL");
		free(q);
	}
	after = mt_vmsize();
	ATF_CHECK_MSG(after < before + 64 * MT_MIB, "address space grew from "
	    "%zu to %zu bytes: realloc(p, 0) seems to leak p", before, after);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, zero_returns_object);
	ATF_TP_ADD_TC(tp, zero_results_unique);
	ATF_TP_ADD_TC(tp, zero_frees_old_block);
	return (atf_no_error());
}
