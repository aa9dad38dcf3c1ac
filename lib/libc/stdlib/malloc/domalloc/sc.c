/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * sc.c: builds the size class tables (see sc.h) and answers the
 * size-with-alignment question.  sc_boot() runs once under the init lock.
 */
#include "config.h"
#include "msg.h"
#include "sc.h"

size_t		sc_size[SC_NSIZES];
uint8_t		sc_lut[(SC_LUT_MAX >> SC_LG_QUANTUM) + 1];
uint16_t	sc_nregs[SC_NBINS];
uint8_t		sc_slab_pages[SC_NBINS];
uint64_t	sc_magic[256];
uint32_t	sc_recip[SC_NBINS];
/*
 * 4097-8192: one class per 512 bytes (offsets 0-7: 4608 .. 8192);
 * 8193-14336: one per 1024 (8-13: 9216 .. 14336); 14337-16384: the
 * first large class (14, SC_NBINS).  sc_boot checks it against the grid.
 */
_Static_assert(SC_NFINE_STEPS == 24 && SC_FINE_IND + 14 == SC_NBINS,
    "sc_fine: 24 steps of 512 bytes, the last one SC_NBINS");
const uint8_t	sc_fine[SC_NFINE_STEPS] = {
	0, 1, 2, 3, 4, 5, 6, 7,
	8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
	14, 14, 14, 14
};

static size_t
sc_gcd(size_t a, size_t b)
{
	size_t t;

	while (b != 0) {
		t = a % b;
		a = b;
		b = t;
	}
	return (a);
}

/* The size of class i (sc.h's grid). */
static size_t
sc_grid(unsigned i)
{
	unsigned g, j;

	if (i < 4)
		return ((i + 1) * SC_QUANTUM);
	if (i >= SC_FINE_IND && i < SC_NBINS) {
		/* Steps of 512 up to 8 KiB, then of 1024. */
		j = i - SC_FINE_IND + 1;
		return (j <= 8 ? SC_FINE_MIN + (size_t)j * 512 :
		    2 * SC_FINE_MIN + (size_t)(j - 8) * 1024);
	}
	if (i == SC_MID_IND)
		return (SC_MID);
	if (i >= SC_NBINS)
		i -= SC_NEXTRA;
	else if (i > SC_MID_IND)
		i--;
	g = (i - 4) / 4;
	j = (i - 4) % 4 + 1;
	return (((size_t)1 << (6 + g)) + (size_t)j * ((size_t)1 << (4 + g)));
}

void
sc_boot(void)
{
	size_t s, pages;
	unsigned i;

	for (i = 0; i < SC_NSIZES; i++)
		sc_size[i] = sc_grid(i);
	for (s = 0; s <= SC_LUT_MAX; s += SC_QUANTUM)
		sc_lut[s >> SC_LG_QUANTUM] = (uint8_t)sc_index_compute(s);
	for (i = 0; i < SC_NBINS; i++) {
		s = sc_size[i];
		/* The smallest slab that the class divides exactly. */
		pages = s / sc_gcd(s, PAGE);
		sc_slab_pages[i] = (uint8_t)pages;
		sc_nregs[i] = (uint16_t)(pages * PAGE / s);
		sc_recip[i] = (uint32_t)(((uint64_t)1 << 32) / s + 1);
	}
	for (i = 0; i < sizeof(sc_magic) / sizeof(sc_magic[0]); i++)
		sc_magic[i] = UINT64_MAX / sc_size[i & 63] + 1;
	/* Debug builds: sc.h's invariants, once. */
	for (i = 0; config_debug && i < SC_NSIZES; i++) {
		DM_ASSERT(sc_index(sc_size[i]) == i);
		DM_ASSERT(sc_size[sc_index(sc_size[i] - 1)] >= sc_size[i] - 1);
		DM_ASSERT(i >= SC_NBINS || (size_t)sc_slab_pages[i] * PAGE ==
		    (size_t)sc_nregs[i] * sc_size[i]);
		/* A slab's bitmap holds them (slab.h, geom.h). */
		DM_ASSERT(i >= SC_NBINS ||
		    sc_nregs[i] <= geom.slab_nwords * 64);
		DM_ASSERT(i >= SC_NBINS ||
		    sc_slab_pages[i] <= SC_SLAB_PAGES_MAX);
	}
}

size_t
sc_usize_aligned(size_t size, size_t align)
{
	size_t usize;
	unsigned i;

	if (align <= SC_QUANTUM)
		return (sc_usize(size));
	if (size > SC_MAX_SIZE || align > SC_MAX_SIZE)
		return (0);
	/*
	 * Small: slabs are page aligned and regions sit at multiples of
	 * the class size, so a class that is a multiple of align (align up
	 * to a page) gives aligned regions.
	 */
	if (align <= PAGE && size <= SC_SMALL_MAX) {
		for (i = sc_index(size); i < SC_NBINS; i++)
			if ((sc_size[i] & (align - 1)) == 0)
				return (sc_size[i]);
	}
	usize = sc_usize(size < SC_LARGE_MIN ? SC_LARGE_MIN : size);
	return (usize);
}
