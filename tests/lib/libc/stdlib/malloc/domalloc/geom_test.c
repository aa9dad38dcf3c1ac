/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * geom_test.c: the run-time geometry (geom.h).  geom_compute() for the
 * kernels domalloc serves (4, 16 and 64 KiB pages with their huge pages),
 * for a page raised by lg_page, and its refusals; then the geometry of
 * this process against the slabs, the page map and the address map.
 * Whitebox.  Passes under any MALLOC_CONF=lg_page:N.
 */
#include <atf-c.h>
#include <malloc_np.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "amap.h"
#include "geom.h"
#include "pal.h"
#include "sc.h"
#include "slab.h"
#include "sp.h"

#define	MIB	((size_t)1 << 20)

ATF_TC_WITHOUT_HEAD(kernel_geometries);
ATF_TC_BODY(kernel_geometries, tc)
{
	struct geom g;

	free(malloc(1));	/* sc_size[] */
	/* x86-64, and AArch64 with 4 KiB pages. */
	ATF_REQUIRE(geom_compute(&g, 12, 12, 2 * MIB) == NULL);
	ATF_CHECK_EQ(g.page, 4096);
	ATF_CHECK_EQ(g.superpage, 2 * MIB);
	ATF_CHECK_EQ(g.sp_npages, 512);
	ATF_CHECK_EQ(g.sp_nwords, 8);
	ATF_CHECK_EQ(g.npmap, 512);
	ATF_CHECK_EQ(g.amap_per_sp, 1);
	ATF_CHECK_EQ(g.slab_nwords, 4);		/* 256 regions */
	ATF_CHECK_EQ(g.hpage_dense, 448);
	ATF_CHECK_EQ(g.grow_max_sp, 256);	/* 512 MiB */
	ATF_CHECK_EQ(g.huge_ind, SC_HUGE_IND);	/* huge from 2 MiB */
	/* AArch64 with 16 KiB pages. */
	ATF_REQUIRE(geom_compute(&g, 14, 14, 32 * MIB) == NULL);
	ATF_CHECK_EQ(g.superpage, 32 * MIB);
	ATF_CHECK_EQ(g.sp_npages, 2048);
	ATF_CHECK_EQ(g.npmap, 8192);
	ATF_CHECK_EQ(g.amap_per_sp, 16);
	ATF_CHECK_EQ(g.slab_nwords, 16);	/* 1024 regions */
	ATF_CHECK_EQ(g.grow_max_sp, 16);
	ATF_CHECK_EQ(sc_size[g.huge_ind], 32 * MIB);
	/* AArch64 with 64 KiB pages. */
	ATF_REQUIRE(geom_compute(&g, 16, 16, 512 * MIB) == NULL);
	ATF_CHECK_EQ(g.superpage, 512 * MIB);
	ATF_CHECK_EQ(g.sp_npages, 8192);
	ATF_CHECK_EQ(g.sp_nwords, GEOM_SP_NWORDS_MAX);
	ATF_CHECK_EQ(g.npmap, GEOM_NPMAP_MAX);
	ATF_CHECK_EQ(g.slab_nwords, GEOM_SLAB_NWORDS_MAX);	/* 4096 */
	ATF_CHECK_EQ(g.grow_min_sp, 2);
	ATF_CHECK_EQ(g.grow_max_sp, 2);
	ATF_CHECK_EQ(sc_size[g.huge_ind], 512 * MIB);
	/* A kernel that does not say: the architecture's default. */
	ATF_REQUIRE(geom_compute(&g, 12, 12, 0) == NULL);
	ATF_CHECK_EQ(g.lg_superpage, ARCH_LG_SUPERPAGE_OF(12));
}

ATF_TC_WITHOUT_HEAD(raised_page);
ATF_TC_BODY(raised_page, tc)
{
	struct geom g;

	/* On a 4 KiB kernel: the superpage of a 16 or 64 KiB kernel. */
	ATF_REQUIRE(geom_compute(&g, 14, 12, 2 * MIB) == NULL);
	ATF_CHECK_EQ(g.page, 16384);
	ATF_CHECK_EQ(g.superpage, 32 * MIB);
	ATF_REQUIRE(geom_compute(&g, 16, 12, 2 * MIB) == NULL);
	ATF_CHECK_EQ(g.page, 65536);
	ATF_CHECK_EQ(g.superpage, 512 * MIB);
	/* Never below the kernel's own huge page. */
	ATF_REQUIRE(geom_compute(&g, 14, 12, 64 * MIB) == NULL);
	ATF_CHECK_EQ(g.superpage, 64 * MIB);
}

ATF_TC_WITHOUT_HEAD(refusals);
ATF_TC_BODY(refusals, tc)
{
	struct geom g;

	memset(&g, 0, sizeof(g));
	ATF_CHECK(geom_compute(&g, 11, 11, 2 * MIB) != NULL);	/* 2 KiB */
	ATF_CHECK(geom_compute(&g, 17, 17, 512 * MIB) != NULL);
	ATF_CHECK(geom_compute(&g, 12, 14, 32 * MIB) != NULL);	/* below */
	ATF_CHECK(geom_compute(&g, 17, 12, 2 * MIB) != NULL);
	ATF_CHECK(geom_compute(&g, 12, 12, 3 * MIB) != NULL);
	ATF_CHECK(geom_compute(&g, 12, 12, 1024 * MIB) != NULL);
	ATF_CHECK(geom_compute(&g, 12, 12, MIB) != NULL);	/* < 2 MiB */
	/* 8192 pages is the most (16-bit counts): 4 KiB in 64 MiB is not. */
	ATF_CHECK(geom_compute(&g, 12, 12, 64 * MIB) != NULL);
	ATF_CHECK(geom_compute(&g, 12, 12, 32 * MIB) == NULL);
	/* A refusal writes nothing: g is still the last accepted one. */
	ATF_CHECK(geom_compute(&g, 16, 12, 1024 * MIB) != NULL);
	ATF_CHECK_EQ(g.sp_npages, 8192);
	ATF_CHECK_EQ(g.page, 4096);
}

/* This process: the geometry in force and what it sizes. */
ATF_TC_WITHOUT_HEAD(running_geometry);
ATF_TC_BODY(running_geometry, tc)
{
	const char *conf = getenv("MALLOC_CONF");
	struct sp *sp;
	unsigned i, lg_opt = 0;
	char *p, *q;

	free(malloc(1));
	if (conf != NULL && (p = strstr(conf, "lg_page:")) != NULL)
		lg_opt = (unsigned)atoi(p + strlen("lg_page:"));
	ATF_CHECK_EQ(PAGE, lg_opt != 0 ? (size_t)1 << lg_opt :
	    pal_caps.page_size);
	ATF_CHECK_EQ((size_t)SP_NPAGES << LG_PAGE, SUPERPAGE);
	ATF_CHECK_EQ(geom.npmap << GEOM_LG_PMAP, SUPERPAGE);
	for (i = 0; i < SC_NBINS; i++) {
		ATF_CHECK_EQ((size_t)sc_slab_pages[i] * PAGE,
		    (size_t)sc_nregs[i] * sc_size[i]);
		ATF_CHECK(sc_nregs[i] <= geom.slab_nwords * 64);
	}
	/*
	 * Every 2 MiB of a superpage finds its descriptor, and every granule
	 * of a slab page names the class.
	 */
	p = malloc(48);
	ATF_REQUIRE(p != NULL);
	sp = amap_lookup(p);
	ATF_REQUIRE(sp != NULL && sp->kind == SP_RUNS);
	for (i = 0; i < geom.amap_per_sp; i++)
		ATF_CHECK(amap_lookup((char *)sp->addr + i * GEOM_AMAP) == sp);
	q = (char *)ALIGN_DOWN((uintptr_t)p, PAGE);
	for (i = 0; i < PAGE / GEOM_PMAP; i++)
		ATF_CHECK_EQ(PMAP_CLASS(sp_pmap_of(sp, q + i * GEOM_PMAP)->e),
		    (int)sc_index(48));
	free(p);
	/*
	 * From 512 KiB, the first class past the page map's class field,
	 * to below the superpage: a page run whose class is in rclass[]
	 * (sp.h), found again by free and realloc; from one superpage on,
	 * a huge span.  Every such class of a 2 MiB superpage, every third
	 * above.
	 */
	ATF_CHECK_EQ(sc_size[SC_FIELD_END], 512 * 1024);
	for (i = SC_FIELD_END; i < geom.huge_ind;
	    i += i < SC_HUGE_IND ? 1 : 3) {
		p = malloc(sc_size[i] - 1);
		ATF_REQUIRE(p != NULL);
		sp = amap_lookup(p);
		ATF_REQUIRE(sp != NULL);
		ATF_CHECK_EQ(sp->kind, SP_RUNS);
		ATF_CHECK_EQ(sp_pmap_of(sp, p)->e, PMAP_BIGRUN);
		ATF_CHECK_EQ(malloc_usable_size(p), sc_size[i]);
		q = realloc(p, sc_size[i] + 1);
		ATF_REQUIRE(q != NULL);
		ATF_CHECK_EQ(malloc_usable_size(q), sc_size[i + 1]);
		free(q);
	}
	p = malloc(SUPERPAGE);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ(amap_lookup(p)->kind, SP_HUGE);
	free(p);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, kernel_geometries);
	ATF_TP_ADD_TC(tp, raised_page);
	ATF_TP_ADD_TC(tp, refusals);
	ATF_TP_ADD_TC(tp, running_geometry);
	return (atf_no_error());
}
