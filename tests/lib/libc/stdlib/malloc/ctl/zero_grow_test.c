/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * zero_grow_test: with opt.zero (zero:true in this program's
 * malloc_conf) the bytes a block gains by growing in place are zero, as
 * in jemalloc, even where the pages it grows into held other data.
 */
#include "ctl_test_util.h"

const char *malloc_conf = "zero:true";

ATF_TC_WITHOUT_HEAD(xallocx_grow_zeroed);
ATF_TC_BODY(xallocx_grow_zeroed, tc)
{
	unsigned a = ct_new_arena();
	int flags = ct_arena_flags(a);
	unsigned char *p, *q;
	size_t r, i, pg = ct_size("arenas.page");

	/*
	 * In a fresh arena q follows p (after p's whole pages); its pages
	 * stay dirty when freed.  With 64 KiB pages p grows within its own.
	 */
	p = mallocx(16384, flags);
	q = mallocx(49152, flags);
	ATF_REQUIRE(p != NULL && q != NULL);
	ATF_REQUIRE_MSG(q == p + (16384 + pg - 1) / pg * pg,
	    "q (%p) does not follow p (%p)", (void *)q, (void *)p);
	memset(p, 0x11, 16384);
	memset(q, 0xee, 49152);
	dallocx(q, flags);
	r = xallocx(p, 65536, 0, flags);
	ATF_REQUIRE_EQ_MSG(r, 65536, "xallocx did not grow in place (%zu)",
	    r);
	for (i = 0; i < 16384; i++)
		ATF_REQUIRE(p[i] == 0x11);
	for (i = 16384; i < 65536; i++)
		ATF_REQUIRE_MSG(p[i] == 0, "byte %zu gained in place is %#x, "
		    "not 0", i, p[i]);
	dallocx(p, flags);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, xallocx_grow_zeroed);
	return (atf_no_error());
}
