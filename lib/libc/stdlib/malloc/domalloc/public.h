/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * public.h: how public names are made.
 *
 * Every public function is defined once under its FreeBSD libc "strong"
 * name (__malloc, __free, ...) and given its ordinary name as an alias.
 * Inside a BSD libc the alias is weak, as FreeBSD's __weak_reference
 * makes it, so that a program may interpose its own malloc.  In the
 * standalone libdomalloc builds the alias is strong: when a static
 * program links libdomalloc.a before the C library, a second malloc
 * pulled from libc.a must fail the link loudly rather than silently win.
 * No state.
 */
#ifndef PUBLIC_H
#define	PUBLIC_H

#include "config.h"
#include "util.h"

#if DOMALLOC_LIBC
#define	DM_ALIAS(sym, name)						\
	extern __typeof(sym) name					\
	    __attribute__((weak, alias(#sym), visibility("default")))
#else
#define	DM_ALIAS(sym, name)						\
	extern __typeof(sym) name					\
	    __attribute__((alias(#sym), visibility("default")))
#endif

#endif /* !PUBLIC_H */
