/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * pal_linux_geom.c: the kernel's huge page size on Linux (pal.h), from
 * /sys/kernel/mm/transparent_hugepage/hpage_pmd_size: 2 MiB on x86-64 and
 * on AArch64 with 4 KiB pages, 32 MiB with 16 KiB pages, 512 MiB with
 * 64 KiB pages.  No state: the file is read once, by geom_boot() under
 * the allocator's init lock.
 */
#include "pal.h"

#define	PAL_HPAGE_PMD_SIZE						\
	"/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"

size_t
pal_superpage_kernel(void)
{
	char buf[32], *end;
	unsigned long v;

	if (pal_read_file(PAL_HPAGE_PMD_SIZE, buf, sizeof(buf)) <= 0)
		return (0);
	v = pal_strtoul(buf, &end);
	if (end == buf || v == 0 || (v & (v - 1)) != 0)
		return (0);
	return ((size_t)v);
}
