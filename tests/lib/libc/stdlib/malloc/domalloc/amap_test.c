/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * amap_test.c: the address map (amap.h) says which pointers are domalloc's
 * and finds their descriptors.  Whitebox.
 */
#include <sys/mman.h>

#include <atf-c.h>
#include <stdint.h>
#include <stdlib.h>

#include "amap.h"
#include "prof.h"
#include "sp.h"

static int a_global;

ATF_TC_WITHOUT_HEAD(foreign_pointers);
ATF_TC_BODY(foreign_pointers, tc)
{
	int on_stack;
	void *m;

	free(malloc(1));
	ATF_CHECK(amap_lookup(&on_stack) == NULL);
	ATF_CHECK(amap_lookup(&a_global) == NULL);
	ATF_CHECK(amap_lookup(NULL) == NULL);
	ATF_CHECK(amap_lookup((void *)~(uintptr_t)0) == NULL);
	ATF_CHECK(amap_lookup((void *)((uintptr_t)1 << 62)) == NULL);
	m = mmap(NULL, 1 << 22, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ATF_REQUIRE(m != MAP_FAILED);
	ATF_CHECK(amap_lookup(m) == NULL);
	ATF_CHECK(amap_lookup((char *)m + (1 << 21)) == NULL);
	munmap(m, 1 << 22);
}

static void
check_owned(void *p, size_t size, enum sp_kind kind)
{
	struct sp *sp;
	uintptr_t a = (uintptr_t)p;

	sp = amap_lookup(p);
	ATF_REQUIRE_MSG(sp != NULL, "%p of %zu bytes not in the map", p,
	    size);
	ATF_CHECK_EQ(sp->kind, kind);
	ATF_CHECK_MSG(a >= sp->addr && a + size <= sp->addr +
	    (sp->nsp << LG_SUPERPAGE), "%p outside its span", p);
	ATF_CHECK_EQ(sp->addr % SUPERPAGE, 0);
	/* The last byte maps to the same descriptor. */
	ATF_CHECK(amap_lookup((char *)p + size - 1) == sp);
}

ATF_TC_WITHOUT_HEAD(owned_pointers);
ATF_TC_BODY(owned_pointers, tc)
{
	static const size_t sizes[] = { 1, 16, 100, 4096, 14336, 16384,
	    100000, 1 << 20 };
	void *p;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p = malloc(sizes[i]);
		check_owned(p, sizes[i], SP_RUNS);
		free(p);
	}
	/* Huge from one superpage on (2 MiB, or more under lg_page). */
	p = malloc(2 * SUPERPAGE + ((size_t)1 << 20));
	check_owned(p, 2 * SUPERPAGE + ((size_t)1 << 20), SP_HUGE);
	ATF_CHECK_EQ((uintptr_t)p % SUPERPAGE, 0);
	free(p);
}

ATF_TC_WITHOUT_HEAD(page_map_classes);
ATF_TC_BODY(page_map_classes, tc)
{
	struct sp *sp;
	uint32_t e;
	char *p;

	p = malloc(100);
	sp = amap_lookup(p);
	e = sp_pmap_of(sp, p)->e;
	ATF_CHECK_EQ(sc_size[PMAP_CLASS(e)], 112);
	free(p);
	p = malloc(256 * 1024);		/* 4 pages or more */
	sp = amap_lookup(p);
	ATF_CHECK_EQ(sc_size[PMAP_CLASS(sp_pmap_of(sp, p)->e)], 256 * 1024);
	/*
	 * Inner pages of a large run send free to the slow path: no class,
	 * PMAP_SLOW set (sp.h: the entry or the PMAP_SLOW_BYTE pattern), and
	 * not the mark of a sampled object.
	 */
	e = sp_pmap_of(sp, p + PAGE)->e;
	ATF_CHECK_EQ(PMAP_CLASS(e), -1);
	ATF_CHECK((e & PMAP_SLOW) != 0);
	ATF_CHECK((e & PMAP_SAMPLED) == 0);
	free(p);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, foreign_pointers);
	ATF_TP_ADD_TC(tp, owned_pointers);
	ATF_TP_ADD_TC(tp, page_map_classes);
	return (atf_no_error());
}
