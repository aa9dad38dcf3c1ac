/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * headers_test: a program may include glibc's <malloc.h> and domalloc's
 * <malloc_np.h> together (they used to disagree on malloc_usable_size's
 * parameter), and glibc's declarations of the extensions domalloc
 * provides (mallinfo2, malloc_trim) reach domalloc's definitions with
 * glibc's own structure.  The build of this program is most of the test.
 */
#include <malloc.h>
#include <malloc_np.h>
#include <string.h>

#include <atf-c.h>

ATF_TC_WITHOUT_HEAD(both_headers);
ATF_TC_BODY(both_headers, tc)
{
	struct mallinfo2 mi;
	void *p;

	p = malloc(100);
	ATF_REQUIRE(p != NULL);
	memset(p, 1, 100);
	ATF_CHECK_EQ(malloc_usable_size(p), 112);
	mi = mallinfo2();
	ATF_CHECK(mi.uordblks >= 112);
	free(p);
	ATF_CHECK(malloc_trim(0) == 0 || malloc_trim(0) == 1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, both_headers);
	return (atf_no_error());
}
