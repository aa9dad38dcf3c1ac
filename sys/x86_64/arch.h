/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * arch.h (x86-64): compile-time facts about the architecture.
 *
 * The page and superpage sizes are read at run time (geom.h); these are
 * the defaults when the kernel does not say (a 4 KiB base page and 2 MiB
 * superpages on every x86-64 system).  No locking: constants only.
 */
#ifndef ARCH_H
#define	ARCH_H

#define	ARCH_LG_PAGE		12
#define	ARCH_LG_SUPERPAGE	21
/*
 * The huge page of a kernel with pages of 2^lg bytes, when the kernel
 * does not say (geom.c): always 2 MiB here.
 */
#define	ARCH_LG_SUPERPAGE_OF(lg)	21
#define	ARCH_LG_VADDR		47	/* user virtual address bits */
#define	ARCH_CACHELINE		64

static inline void
arch_cpu_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

#endif /* !ARCH_H */
