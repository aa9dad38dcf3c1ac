/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * arch.h (x86-64): compile-time facts about the architecture.
 *
 * The core sizes its tables from these constants; pal_init() checks at
 * run time that the kernel agrees (a 4 KiB base page and 2 MiB
 * superpages on every x86-64 system).  No locking: constants only.
 */
#ifndef ARCH_H
#define	ARCH_H

#define	ARCH_LG_PAGE		12
#define	ARCH_LG_SUPERPAGE	21
#define	ARCH_LG_VADDR		47	/* user virtual address bits */
#define	ARCH_CACHELINE		64

static inline void
arch_cpu_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

#endif /* !ARCH_H */
