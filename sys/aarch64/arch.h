/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * arch.h (AArch64): compile-time facts about the architecture.
 *
 * AArch64 kernels run with 4 KiB, 16 KiB or 64 KiB pages, and their
 * transparent huge page is what one page-table page maps: 2 MiB, 32 MiB
 * or 512 MiB.  One binary serves them all: the sizes are read at run time
 * (geom.h); ARCH_LG_PAGE is only the default when the kernel does not say,
 * and ARCH_LG_SUPERPAGE_OF(lg) the huge page that goes with a page of
 * 2^lg bytes.  No locking: constants only.
 */
#ifndef ARCH_H
#define	ARCH_H

#define	ARCH_LG_PAGE		12
#define	ARCH_LG_SUPERPAGE	21
/* A page-table page of 2^lg bytes holds 2^(lg - 3) entries. */
#define	ARCH_LG_SUPERPAGE_OF(lg)	(2 * (lg) - 3)
/*
 * User virtual address bits: 48 (the kernel puts mmap and the stack near
 * the top of them, 0xffff...); a 52-bit kernel hands out addresses above
 * 2^48 only to a mapping that asks for one there, which domalloc never
 * does.
 */
#define	ARCH_LG_VADDR		48
/*
 * Cortex-A and Neoverse cores have 64-byte lines; Apple's have 128, which
 * only makes two padded fields share a line there.
 */
#define	ARCH_CACHELINE		64
/*
 * Thread-local storage: the build uses the initial-exec model here too
 * (lib/libdomalloc/Makefile.inc), an mrs of tpidr_el0 plus an offset
 * loaded from the GOT, so the fast paths reach the thread's cache with
 * no call, as with %fs on x86-64.
 */

/*
 * The spin-wait hint: YIELD tells the core (and an SMT sibling or a
 * hypervisor) that this is a busy-wait loop; unlike WFE it needs no event
 * to wake up, so the caller's loop stays in charge of how long it spins.
 */
static inline void
arch_cpu_relax(void)
{
	__asm__ __volatile__("yield" ::: "memory");
}

#endif /* !ARCH_H */
