/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Black-box tests of glibc's malloc extensions as domalloc provides them
 * (lib/libc/stdlib/malloc/domalloc/glibc.c): mallinfo2 and mallinfo
 * report domalloc's own figures, malloc_trim returns unused pages,
 * mallopt accepts glibc's parameters and refuses others, malloc_info
 * writes glibc's XML form.  Before, a program linked with domalloc got
 * glibc's idle heap from these (mallinfo2 said 0 bytes in use).  The
 * structures are declared here as glibc lays them out, so that the test
 * needs no <malloc.h>.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include "malloc_test_util.h"

struct mallinfo2 {
	size_t	arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks;
	size_t	uordblks, fordblks, keepcost;
};
struct mallinfo {
	int	arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks;
	int	uordblks, fordblks, keepcost;
};

struct mallinfo2 mallinfo2(void);
struct mallinfo mallinfo(void);
int	malloc_trim(size_t);
int	mallopt(int, int);
int	malloc_info(int, FILE *);

ATF_TC_WITHOUT_HEAD(mallinfo2_counts);
ATF_TC_BODY(mallinfo2_counts, tc)
{
	struct mallinfo2 a, b;
	struct mallinfo c;
	void *p[100], *h;
	size_t hs;
	int i;

	a = mallinfo2();
	for (i = 0; i < 100; i++) {
		p[i] = malloc(100000);
		ATF_REQUIRE(p[i] != NULL);
		memset(p[i], 1, 100000);
	}
	/* A huge allocation: at least a superpage (not touched). */
	hs = mt_superpage() + 6 * MT_MIB;
	h = malloc(hs);
	ATF_REQUIRE(h != NULL);
	b = mallinfo2();
	ATF_CHECK_MSG(b.uordblks >= a.uordblks + 100 * 100000 + hs,
	    "uordblks %zu -> %zu", a.uordblks, b.uordblks);
	ATF_CHECK(b.hblks >= a.hblks + 1);
	ATF_CHECK(b.hblkhd >= a.hblkhd + hs);
	ATF_CHECK_MSG(b.arena >= b.uordblks, "arena %zu < uordblks %zu",
	    b.arena, b.uordblks);
	c = mallinfo();
	ATF_CHECK_EQ((size_t)c.uordblks, b.uordblks);
	for (i = 0; i < 100; i++)
		free(p[i]);
	free(h);
}

ATF_TC_WITHOUT_HEAD(malloc_trim_purges);
ATF_TC_BODY(malloc_trim_purges, tc)
{
	struct mallinfo2 mi;
	void *p[64];
	int i;

	for (i = 0; i < 64; i++) {
		p[i] = malloc(256 * 1024);
		ATF_REQUIRE(p[i] != NULL);
		memset(p[i], 1, 256 * 1024);
	}
	for (i = 0; i < 64; i++)
		free(p[i]);
	mi = mallinfo2();
	ATF_REQUIRE_MSG(mi.keepcost > 0, "no unused pages to trim (decay "
	    "purged them already?)");
	ATF_CHECK_EQ(malloc_trim(0), 1);
	mi = mallinfo2();
	ATF_CHECK_EQ_MSG(mi.keepcost, 0, "keepcost %zu after malloc_trim",
	    mi.keepcost);
	ATF_CHECK_EQ(malloc_trim(0), 0);
}

ATF_TC_WITHOUT_HEAD(mallopt_params);
ATF_TC_BODY(mallopt_params, tc)
{
	static const int known[] = { 1, 2, 3, 4, -1, -2, -3, -4, -5, -6, -7,
	    -8 };
	unsigned i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		ATF_CHECK_EQ_MSG(mallopt(known[i], 1), 1, "mallopt(%d) refused",
		    known[i]);
	ATF_CHECK_EQ(mallopt(12345, 1), 0);
	ATF_CHECK_EQ(mallopt(-100, 1), 0);
}

ATF_TC_WITHOUT_HEAD(malloc_info_xml);
ATF_TC_BODY(malloc_info_xml, tc)
{
	char buf[65536];
	size_t n;
	FILE *f;

	free(malloc(1000));
	f = tmpfile();
	ATF_REQUIRE(f != NULL);
	ATF_REQUIRE_EQ(malloc_info(0, f), 0);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	ATF_CHECK_MSG(strncmp(buf, "<malloc version=\"1\">\n", 21) == 0,
	    "starts: %.40s", buf);
	ATF_CHECK(strstr(buf, "<heap nr=\"0\">") != NULL);
	ATF_CHECK(strstr(buf, "<total type=\"mmap\"") != NULL);
	ATF_CHECK(n > 9 && strcmp(buf + n - 10, "</malloc>\n") == 0);
	errno = 0;
	ATF_CHECK_EQ(malloc_info(1, stdout), -1);
	ATF_CHECK_EQ(errno, EINVAL);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mallinfo2_counts);
	ATF_TP_ADD_TC(tp, malloc_trim_purges);
	ATF_TP_ADD_TC(tp, mallopt_params);
	ATF_TP_ADD_TC(tp, malloc_info_xml);
	return (atf_no_error());
}
