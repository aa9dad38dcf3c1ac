/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * slab_test.c: a new slab gives its regions the free marker (mark.h) as
 * it hands them out, a page at a time (bin.c, bin_slab_mark), so that a
 * slab of several pages of which a program uses a few regions is not made
 * resident whole, while every region a free could name in the pages in
 * use still carries the marker.  Whitebox: reads the slab descriptor of a
 * fresh explicit arena's blocks, allocated without a thread cache so that
 * nothing else takes regions of the slab.
 */
#include <sys/mman.h>

#include <atf-c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <malloc_np.h>

#include "amap.h"
#include "mark.h"
#include "slab.h"
#include "sp.h"

/* An 80-byte region: 256 of them in a slab of 5 pages of 4 KiB. */
#define	SIZE	80
#define	NBLK	60

static int
flags_of(unsigned a)
{
	return (MALLOCX_ARENA(a) | MALLOCX_TCACHE_NONE);
}

static unsigned
new_arena(void)
{
	unsigned a;
	size_t len = sizeof(a);

	ATF_REQUIRE(mallctl("arenas.create", &a, &len, NULL, 0) == 0);
	return (a);
}

static struct slab *
slab_of(void *p)
{
	struct sp *sp = amap_lookup(p);

	ATF_REQUIRE(sp != NULL);
	return (sp->slab[sp_page(sp, p)]);
}

/*
 * NBLK blocks from a fresh slab, which reach into its second page: the
 * regions of the first two pages are marked or live, those after are
 * neither marked nor touched, and free in the bitmap.
 */
ATF_TC_WITHOUT_HEAD(marks_pages_in_use);
ATF_TC_BODY(marks_pages_in_use, tc)
{
	void *blk[NBLK];
	struct slab *s;
	unsigned a, k, lim;
	int i;

	if (PAGE != 4096)
		atf_tc_skip("written for 4 KiB pages; here %zu", PAGE);
	a = new_arena();
	for (i = 0; i < NBLK; i++) {
		blk[i] = mallocx(SIZE, flags_of(a));
		ATF_REQUIRE(blk[i] != NULL);
		memset(blk[i], 0x5a, SIZE);
	}
	s = slab_of(blk[0]);
	ATF_REQUIRE_EQ(s->nregs, 256);
	ATF_REQUIRE_MSG(sc_slab_pages[s->sc] == 5, "%u pages",
	    sc_slab_pages[s->sc]);
	for (i = 0; i < NBLK; i++)
		ATF_REQUIRE_MSG(blk[i] == (char *)s->addr + (size_t)i * SIZE,
		    "block %d at %p, slab at %p", i, blk[i], (void *)s->addr);
	/* Regions starting before the end of the second page. */
	lim = (2 * 4096 + SIZE - 1) / SIZE;
	ATF_CHECK_EQ_MSG(s->nmarked, lim, "nmarked %u, expected %u",
	    s->nmarked, lim);
	for (k = NBLK; k < lim; k++)
		ATF_CHECK_MSG(mark_is_free((char *)s->addr + k * SIZE),
		    "region %u, never allocated, has no marker", k);
	for (k = s->nmarked; k < s->nregs; k++)
		ATF_CHECK_MSG((s->bitmap[k >> 6] >> (k & 63)) & 1,
		    "region %u past nmarked is not free", k);
	for (i = 0; i < NBLK; i++)
		dallocx(blk[i], MALLOCX_TCACHE_NONE);
}

/*
 * The pages of a fresh slab past the one its first block lies in are not
 * made resident.  (Unless transparent huge pages back the heap whatever
 * it asks: then the superpage is resident whole.)
 */
ATF_TC_WITHOUT_HEAD(later_pages_untouched);
ATF_TC_BODY(later_pages_untouched, tc)
{
	unsigned char vec[5];
	struct slab *s;
	unsigned a;
	FILE *f;
	char line[128];
	void *p;
	int k;

	if (PAGE != 4096)
		atf_tc_skip("written for 4 KiB pages; here %zu", PAGE);
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f != NULL) {
		if (fgets(line, sizeof(line), f) != NULL &&
		    strstr(line, "[always]") != NULL) {
			fclose(f);
			atf_tc_skip("transparent huge pages: always");
		}
		fclose(f);
	}
	a = new_arena();
	p = mallocx(SIZE, flags_of(a));
	ATF_REQUIRE(p != NULL);
	s = slab_of(p);
	ATF_REQUIRE(p == (void *)s->addr);
	ATF_REQUIRE(sc_slab_pages[s->sc] == 5);
	ATF_REQUIRE(mincore((void *)s->addr, 5 * 4096, vec) == 0);
	ATF_CHECK_MSG(vec[0] & 1, "the first page is not resident");
	for (k = 1; k < 5; k++)
		ATF_CHECK_MSG((vec[k] & 1) == 0, "page %d of the slab is "
		    "resident, though no region in it was handed out", k);
	dallocx(p, MALLOCX_TCACHE_NONE);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, marks_pages_in_use);
	ATF_TP_ADD_TC(tp, later_pages_untouched);
	return (atf_no_error());
}
