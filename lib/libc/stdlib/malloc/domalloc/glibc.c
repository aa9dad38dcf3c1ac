/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * glibc.c: glibc's malloc extensions with domalloc's meaning, for the
 * programs that call them: malloc_trim, mallinfo, mallinfo2, mallopt and
 * malloc_info.  Without them a preloaded domalloc left these calls to
 * glibc's idle heap (mallinfo2 said 0 bytes in use), and a static link
 * that used one pulled in glibc's malloc object and failed with duplicate
 * symbols.  The structures are laid out as glibc's <malloc.h> has them
 * (mallinfo: ten ints; mallinfo2, glibc 2.33: ten size_t); the header is
 * not included, so the file builds against any C library.  Not in the
 * libc build (DOMALLOC_LIBC): a BSD libc has none of these names.
 *
 * The figures come from one statistics snapshot (stats.h) of the merged
 * arenas; see domalloc(3) for what each field means here.
 * Synchronization: the snapshot's lock, held only while copying figures
 * out (nothing is printed under it).
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "init.h"
#include "pa.h"
#include "public.h"
#include "stats.h"

#if !DOMALLOC_LIBC

struct dm_mallinfo {
	int	arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks;
	int	uordblks, fordblks, keepcost;
};

struct dm_mallinfo2 {
	size_t	arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks;
	size_t	uordblks, fordblks, keepcost;
};

/* glibc's mallopt parameters (<malloc.h>). */
#define	GLIBC_M_MXFAST		1
#define	GLIBC_M_NLBLKS		2
#define	GLIBC_M_GRAIN		3
#define	GLIBC_M_KEEP		4
#define	GLIBC_M_ARENA_MAX	(-8)	/* down to M_TRIM_THRESHOLD, -1 */

int			 __malloc_trim(size_t);
struct dm_mallinfo	 __mallinfo(void);
struct dm_mallinfo2	 __mallinfo2(void);
int			 __mallopt(int, int);
int			 __malloc_info(int, FILE *);

/* The figures of arena ind of a fresh snapshot (STATS_MERGED: all). */
static bool
glibc_figures(size_t ind, struct dm_mallinfo2 *mi)
{
	const struct stats_global *g;
	const struct stats_arena *sa;
	size_t i, n;

	memset(mi, 0, sizeof(*mi));
	if (!malloc_init())
		return (false);
	stats_snapshot_refresh();
	g = stats_snapshot_lock();
	sa = stats_snapshot_arena(ind);
	if (sa == NULL) {
		stats_snapshot_unlock();
		return (false);
	}
	for (i = geom.huge_ind - SC_NBINS; i < STATS_NLEXTENTS; i++) {
		n = (size_t)(sa->lmalloc[i] - sa->ldalloc[i]);
		mi->hblks += n;
		mi->hblkhd += n * sc_size[SC_NBINS + i];
	}
	mi->arena = sa->mapped;
	mi->uordblks = sa->small_allocated + sa->large_allocated;
	mi->keepcost = (sa->pa.ndirty + sa->pa.nmuzzy) << LG_PAGE;
	mi->fordblks = (sa->pa.nactive << LG_PAGE) - DM_MIN(sa->pa.nactive <<
	    LG_PAGE, mi->uordblks) + mi->keepcost;
	if (ind == STATS_MERGED)
		mi->arena = g->mapped;
	stats_snapshot_unlock();
	return (true);
}

static int
glibc_int(size_t v)
{
	return (v > INT_MAX ? INT_MAX : (int)v);
}

DM_EXPORT struct dm_mallinfo2
__mallinfo2(void)
{
	struct dm_mallinfo2 mi;

	(void)glibc_figures(STATS_MERGED, &mi);
	return (mi);
}

DM_EXPORT struct dm_mallinfo
__mallinfo(void)
{
	struct dm_mallinfo2 m2;
	struct dm_mallinfo mi;

	(void)glibc_figures(STATS_MERGED, &m2);
	mi.arena = glibc_int(m2.arena);
	mi.ordblks = glibc_int(m2.ordblks);
	mi.smblks = glibc_int(m2.smblks);
	mi.hblks = glibc_int(m2.hblks);
	mi.hblkhd = glibc_int(m2.hblkhd);
	mi.usmblks = glibc_int(m2.usmblks);
	mi.fsmblks = glibc_int(m2.fsmblks);
	mi.uordblks = glibc_int(m2.uordblks);
	mi.fordblks = glibc_int(m2.fordblks);
	mi.keepcost = glibc_int(m2.keepcost);
	return (mi);
}

/*
 * Purge every arena's unused pages (arena.<all>.purge); pad is ignored.
 * 1 if any page went back to the system, as glibc says.
 */
DM_EXPORT int
__malloc_trim(size_t pad)
{
	struct dm_mallinfo2 before, after;
	unsigned i, n;
	struct arena *a;

	(void)pad;
	if (!glibc_figures(STATS_MERGED, &before))
		return (0);
	n = atomic_load_explicit(&narenas_total, memory_order_acquire);
	for (i = 0; i < n; i++) {
		a = arena_get(i, false);
		if (a != NULL)
			pa_purge_all(&a->pa);
	}
	(void)glibc_figures(STATS_MERGED, &after);
	return (after.keepcost < before.keepcost);
}

/*
 * glibc's tuning parameters are accepted (1) and have no effect: domalloc
 * is tuned through MALLOC_CONF and mallctl.  Anything else is refused (0),
 * as glibc refuses a parameter it does not know.
 */
DM_EXPORT int
__mallopt(int param, int value)
{
	(void)value;
	if ((param >= GLIBC_M_ARENA_MAX && param <= -1) ||
	    (param >= GLIBC_M_MXFAST && param <= GLIBC_M_KEEP))
		return (1);
	return (0);
}

/* One <heap> element, or the totals, in glibc's malloc_info form. */
static void
glibc_info_heap(FILE *fp, const struct dm_mallinfo2 *mi, long nr)
{
	if (nr >= 0)
		fprintf(fp, "<heap nr=\"%ld\">\n<sizes>\n</sizes>\n", nr);
	fprintf(fp, "<total type=\"fast\" count=\"0\" size=\"0\"/>\n"
	    "<total type=\"rest\" count=\"%zu\" size=\"%zu\"/>\n",
	    mi->keepcost >> LG_PAGE, mi->fordblks);
	if (nr < 0)
		fprintf(fp, "<total type=\"mmap\" count=\"%zu\" size=\"%zu\"/>\n",
		    mi->hblks, mi->hblkhd);
	fprintf(fp, "<system type=\"current\" size=\"%zu\"/>\n"
	    "<system type=\"max\" size=\"%zu\"/>\n"
	    "<aspace type=\"total\" size=\"%zu\"/>\n"
	    "<aspace type=\"mprotect\" size=\"%zu\"/>\n", mi->arena, mi->arena,
	    mi->arena, mi->arena);
	if (nr >= 0)
		fprintf(fp, "</heap>\n");
}

/*
 * XML as glibc writes it: one <heap> per arena, then the totals; options
 * must be 0 (EINVAL otherwise).
 */
DM_EXPORT int
__malloc_info(int options, FILE *fp)
{
	struct dm_mallinfo2 mi;
	unsigned i, n;

	if (options != 0 || fp == NULL) {
		errno = EINVAL;
		return (-1);
	}
	fprintf(fp, "<malloc version=\"1\">\n");
	n = atomic_load_explicit(&narenas_total, memory_order_acquire);
	for (i = 0; i < n; i++) {
		if (glibc_figures(i, &mi))
			glibc_info_heap(fp, &mi, (long)i);
	}
	(void)glibc_figures(STATS_MERGED, &mi);
	glibc_info_heap(fp, &mi, -1);
	fprintf(fp, "</malloc>\n");
	return (0);
}

DM_ALIAS(__malloc_trim, malloc_trim);
DM_ALIAS(__mallinfo, mallinfo);
DM_ALIAS(__mallinfo2, mallinfo2);
DM_ALIAS(__mallopt, mallopt);
DM_ALIAS(__malloc_info, malloc_info);

#endif /* !DOMALLOC_LIBC */
