/*
 * hpage.c: the huge page policy (see hpage.h).
 */
#include "conf.h"
#include "hpage.h"
#include "pa.h"
#include "pal.h"
#include "sp.h"

static bool hpage_on;		/* hugify dense or eager superpages */

void
hpage_boot(void)
{
	hpage_on = opt_thp != THP_NEVER &&
	    (pal_caps.thp == PAL_THP_MADVISE ||
	    pal_caps.thp == PAL_THP_ALWAYS);
}

bool
hpage_enabled(void)
{
	return (hpage_on);
}

void
hpage_fresh(struct pa *pa, void *addr, size_t size)
{
	(void)pa;
	if (opt_thp == THP_ALWAYS)
		pal_hugepage(addr, size, true);
	else if (opt_thp == THP_NEVER)
		pal_hugepage(addr, size, false);
}

static bool
hpage_eager(const struct pa *pa)
{
	return (pa->stats.nactive >= (size_t)HPAGE_EAGER_SP * SP_NPAGES);
}

static void
hpage_advise(struct pa *pa, struct sp *sp, bool collapse)
{
	pal_hugepage((void *)sp->addr, SUPERPAGE, true);
	if (collapse)
		pal_collapse((void *)sp->addr, SUPERPAGE);
	sp->hugified = true;
	pa->stats.nhugify++;
	pa->stats.nhugified_sp++;
}

void
hpage_runs_new(struct pa *pa, struct sp *sp)
{
	sp->hugified = false;
	if (hpage_on && opt_thp == THP_DEFAULT && hpage_eager(pa))
		hpage_advise(pa, sp, false);
}

void
hpage_runs_grew(struct pa *pa, struct sp *sp)
{
	if (hpage_on && opt_thp == THP_DEFAULT && !sp->hugified &&
	    sp->nused >= HPAGE_DENSE_PAGES)
		hpage_advise(pa, sp, true);
}

void
hpage_huge_new(struct pa *pa, struct sp *sp)
{
	size_t whole;

	sp->hugified = false;
	if (!hpage_on || opt_thp != THP_DEFAULT || sp->kind != SP_HUGE)
		return;
	/* Only superpages the allocation covers entirely. */
	whole = sp->usize >> LG_SUPERPAGE;
	if (whole == 0)
		return;
	pal_hugepage((void *)sp->addr, whole << LG_SUPERPAGE, true);
	sp->hugified = true;
	pa->stats.nhugify++;
	pa->stats.nhugified_sp += whole;
}

bool
hpage_may_purge(const struct sp *sp)
{
	return (!sp->hugified || sp->nused < SP_NPAGES / 8);
}
