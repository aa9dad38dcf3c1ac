/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * hpage.c: the huge page policy (see hpage.h).
 */
#include <stdatomic.h>

#include "conf.h"
#include "hpage.h"
#include "pa.h"
#include "pal.h"
#include "sp.h"

static bool hpage_on;		/* hugify dense or eager superpages */
static uint64_t hpage_delay_ns;	/* opt.hugify_delay_ms */
/*
 * What one superpage's MADV_COLLAPSE took, a running average over all
 * arenas (0: none measured yet).  Written under any arena's lock, so
 * relaxed atomics: a lost update only slows the average down.
 */
static _Atomic uint64_t hpage_cost;

void
hpage_boot(void)
{
	hpage_on = opt_thp != THP_NEVER &&
	    (pal_caps.thp == PAL_THP_MADVISE ||
	    pal_caps.thp == PAL_THP_ALWAYS);
	hpage_delay_ns = (uint64_t)opt_hugify_delay_ms * 1000000;
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

uint64_t
hpage_cost_ns(void)
{
	return (atomic_load_explicit(&hpage_cost, memory_order_relaxed));
}

/* The delay in force: the option, or longer where huge pages are dear. */
static uint64_t
hpage_delay(void)
{
	uint64_t d = HPAGE_AMORTIZE * hpage_cost_ns();

	return (d > hpage_delay_ns ? d : hpage_delay_ns);
}

uint64_t
hpage_delay_ms(void)
{
	return (hpage_delay() / 1000000);
}

/* Large now, and for the delay, where huge pages are known cheap? */
static bool
hpage_eager(struct pa *pa)
{
	uint64_t now, cost;

	if (pa->stats.nactive < (size_t)HPAGE_EAGER_SP * SP_NPAGES)
		return (false);
	if (hpage_delay_ns == 0)
		return (true);
	cost = hpage_cost_ns();
	if (cost == 0 || cost > HPAGE_CHEAP_NS)
		return (false);
	now = pal_clock_ns();
	if (pa->large_ns == 0)
		pa->large_ns = now;
	return (now - pa->large_ns >= hpage_delay());
}

/* The superpages of sp that hugifying covers (huge: only whole ones). */
static size_t
hpage_nsp(const struct sp *sp)
{
	return (sp->kind == SP_HUGE ? sp->usize >> LG_SUPERPAGE : 1);
}

static void
hpage_advise(struct pa *pa, struct sp *sp, bool collapse)
{
	size_t n = hpage_nsp(sp);
	uint64_t t0, c, old;

	pal_hugepage((void *)sp->addr, n << LG_SUPERPAGE, true);
	if (collapse) {
		t0 = pal_clock_ns();
		pal_collapse((void *)sp->addr, n << LG_SUPERPAGE);
		c = (pal_clock_ns() - t0) / n;
		old = hpage_cost_ns();
		atomic_store_explicit(&hpage_cost, old == 0 ? c + 1 :
		    (old * 7 + c) / 8 + 1, memory_order_relaxed);
	}
	sp->hugified = true;
	pa->stats.nhugify++;
	pa->stats.nhugified_sp += n;
}

/* sp qualifies: hugify it now, or queue it for the delay. */
static void
hpage_qualified(struct pa *pa, struct sp *sp, bool collapse)
{
	if (hpage_delay_ns == 0) {
		hpage_advise(pa, sp, collapse);
		return;
	}
	if (sp->hpending)
		return;
	sp->hpending = true;
	sp->hpend_ns = pal_clock_ns();
	TAILQ_INSERT_TAIL(&pa->hpend, sp, hlink);
	pa->nhpend += hpage_nsp(sp);
}

void
hpage_unpend(struct pa *pa, struct sp *sp)
{
	if (!sp->hpending)
		return;
	TAILQ_REMOVE(&pa->hpend, sp, hlink);
	sp->hpending = false;
	pa->nhpend -= DM_MIN(pa->nhpend, hpage_nsp(sp));
}

void
hpage_forget(struct pa *pa, struct sp *sp)
{
	hpage_unpend(pa, sp);
	if (sp->hugified) {
		pa->stats.nhugified_sp -= DM_MIN(pa->stats.nhugified_sp,
		    hpage_nsp(sp));
		sp->hugified = false;
	}
}

uint64_t
hpage_tick(struct pa *pa, uint64_t now, unsigned budget)
{
	struct sp *sp;
	uint64_t delay = hpage_delay();
	size_t n;

	while ((sp = TAILQ_FIRST(&pa->hpend)) != NULL) {
		if (now - sp->hpend_ns < delay)
			return (sp->hpend_ns + delay - now);
		if (budget == 0)
			return (1);
		hpage_unpend(pa, sp);
		if (sp->hugified)
			continue;
		if ((sp->kind == SP_RUNS && sp->nused >= geom.hpage_dense) ||
		    (sp->kind == SP_HUGE && hpage_nsp(sp) != 0)) {
			n = hpage_nsp(sp);
			hpage_advise(pa, sp, true);
			budget = budget > n ? budget - (unsigned)n : 0;
			/*
			 * The cost just measured may lengthen the delay: the
			 * first collapse of a process is a probe, and the
			 * rest of the queue waits as long as it then says.
			 */
			delay = hpage_delay();
		}
	}
	return (0);
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
	    sp->nused >= geom.hpage_dense)
		hpage_qualified(pa, sp, true);
}

void
hpage_huge_new(struct pa *pa, struct sp *sp)
{
	sp->hugified = false;
	if (!hpage_on || opt_thp != THP_DEFAULT || sp->kind != SP_HUGE)
		return;
	/* Only superpages the allocation covers entirely. */
	if (hpage_nsp(sp) == 0)
		return;
	/* Advised before the first touch when there is no delay. */
	hpage_qualified(pa, sp, hpage_delay_ns != 0);
}

bool
hpage_may_purge(const struct sp *sp)
{
	return (!sp->hugified || sp->nused < SP_NPAGES / 8);
}
