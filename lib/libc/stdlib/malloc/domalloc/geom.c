/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * geom.c: the run-time geometry (see geom.h).  The one place that turns
 * a page size and a superpage size into the sizes the other modules use;
 * a new page size or size-class grid is a change here and in the
 * GEOM_*_MAX bounds.  geom_boot() runs once under the init lock.
 */
#include "conf.h"
#include "geom.h"
#include "msg.h"
#include "pal.h"
#include "slab.h"
#include "sp.h"

struct geom	geom;

/*
 * The superpage of a kernel with pages of 2^lg bytes when the kernel does
 * not say: the architecture's (arch.h).  When lg_page raises the page,
 * the superpage is the one a kernel with that page would have, where a
 * page-table page of 8-byte entries maps it (2^(2 lg - 3): 2 MiB for 4
 * KiB pages, 32 MiB for 16 KiB, 512 MiB for 64 KiB, as on AArch64), and
 * never smaller than the real one, so that huge pages still fit in it.
 */
static unsigned
geom_lg_superpage(unsigned lg_page, unsigned lg_kernel, size_t kernel_sp)
{
	unsigned lg;

	if (lg_page == lg_kernel)
		return (kernel_sp != 0 ? util_lg_floor(kernel_sp) :
		    ARCH_LG_SUPERPAGE_OF(lg_kernel));
	lg = 2 * lg_page - 3;
	if (kernel_sp != 0 && util_lg_floor(kernel_sp) > lg)
		lg = util_lg_floor(kernel_sp);
	return (lg);
}

const char *
geom_compute(struct geom *g, unsigned lg_page, unsigned lg_kernel,
    size_t kernel_sp)
{
	unsigned lg_sp, lg_np;

	if (lg_kernel < GEOM_LG_PAGE_MIN || lg_kernel > GEOM_LG_PAGE_MAX)
		return ("the kernel's page size is not served (4 KiB to "
		    "64 KiB)");
	if (lg_page < lg_kernel)
		return ("lg_page is below the kernel's page size");
	if (lg_page > GEOM_LG_PAGE_MAX)
		return ("lg_page is above 16 (64 KiB)");
	if (kernel_sp != 0 && !util_is_pow2(kernel_sp))
		return ("the kernel's huge page size is not a power of two");
	lg_sp = geom_lg_superpage(lg_page, lg_kernel, kernel_sp);
	if (lg_sp < GEOM_LG_SP_MIN || lg_sp > GEOM_LG_SP_MAX)
		return ("the superpage size is not served (2 MiB to 512 MiB)");
	lg_np = lg_sp - lg_page;
	if (lg_np < GEOM_LG_SP_NPAGES_MIN || lg_np > GEOM_LG_SP_NPAGES_MAX)
		return ("pages per superpage not served (64 to 8192)");

	g->lg_page = lg_page;
	g->page = (size_t)1 << lg_page;
	g->lg_superpage = lg_sp;
	g->superpage = (size_t)1 << lg_sp;
	g->lg_kernel_page = lg_kernel;
	g->kernel_superpage = kernel_sp;
	g->sp_npages = 1u << lg_np;
	g->sp_nwords = g->sp_npages / 64;
	g->lg_pmap_per_page = lg_page - GEOM_LG_PMAP;
	g->npmap = (size_t)1 << (lg_sp - GEOM_LG_PMAP);
	g->amap_per_sp = 1u << (lg_sp - GEOM_LG_AMAP);
	/*
	 * The descriptor: its header, pmap[], three page bitmaps, lenmap,
	 * slab[], nrun[] and rclass[] (sp_desc_init, sp.h).
	 */
	g->sp_size = ALIGN_UP(sizeof(struct sp) +
	    g->npmap * sizeof(struct pmap_ent) +
	    3 * (size_t)g->sp_nwords * sizeof(uint64_t) +
	    SP_LENMAP_NWORDS((size_t)g->sp_npages) * sizeof(uint64_t) +
	    (size_t)g->sp_npages * sizeof(struct slab *) +
	    ((size_t)g->sp_npages / 4 + 1) * sizeof(uint16_t) +
	    (size_t)g->sp_npages * sizeof(uint8_t), 64);
	/* page / gcd(class, page) <= page / 16 regions (geom.h). */
	g->slab_nwords = (unsigned)(((g->page >> 4) + 63) / 64);
	g->slab_size = sizeof(struct slab) +
	    (size_t)g->slab_nwords * sizeof(uint64_t);
	/* Dense: 7/8 of the pages in use (448 of 512 with 4 KiB pages). */
	g->hpage_dense = g->sp_npages - g->sp_npages / 8;
	/*
	 * Page runs serve the classes below a superpage; from one on,
	 * huge spans of whole superpages (sc.h).
	 */
	g->huge_ind = sc_index_compute(g->superpage);
	g->grow_min_sp = GEOM_GROW_MIN_SP;
	g->grow_max_sp = (unsigned)DM_MAX(GEOM_GROW_MIN_SP,
	    GEOM_GROW_MAX_BYTES >> lg_sp);

	/* The bounds geom.h promises the other modules. */
	if (g->npmap > GEOM_NPMAP_MAX || g->sp_nwords > GEOM_SP_NWORDS_MAX ||
	    g->slab_nwords > GEOM_SLAB_NWORDS_MAX || g->amap_per_sp == 0 ||
	    g->huge_ind < SC_HUGE_IND || g->huge_ind >= SC_NSIZES ||
	    g->huge_ind > UINT8_MAX)
		return ("a derived size is out of its bounds");
	return (NULL);
}

void
geom_boot(void)
{
	const char *why;
	unsigned lg_kernel, lg_page;

	if (!util_is_pow2(pal_caps.page_size))
		msg_fatal("unsupported geometry: the kernel's page size %zu "
		    "is not a power of two", pal_caps.page_size);
	lg_kernel = util_lg_floor(pal_caps.page_size);
	lg_page = opt_lg_page != 0 ? opt_lg_page : lg_kernel;
	if (lg_page < lg_kernel) {
		/* A page below the kernel's cannot be had: refused. */
		msg_warn("MALLOC_CONF: lg_page:%u is below the kernel's page "
		    "of %zu bytes, which is used", lg_page, pal_caps.page_size);
		lg_page = lg_kernel;
	}
	why = geom_compute(&geom, lg_page, lg_kernel, pal_superpage_kernel());
	if (why != NULL)
		msg_fatal("unsupported geometry: %s (page %zu bytes, lg_page "
		    "%u, kernel huge page %zu bytes)", why,
		    pal_caps.page_size, lg_page, pal_superpage_kernel());
}
