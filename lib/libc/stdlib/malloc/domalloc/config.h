/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * config.h: build options as constant booleans.
 *
 * Code tests these with ordinary if statements so that every variant is
 * compiled and type-checked and the optimiser removes what is off; no
 * #ifdef blocks in hot code.  Set with -DDOMALLOC_DEBUG=1 etc.  No state.
 */
#ifndef CONFIG_H
#define	CONFIG_H

#include <stdbool.h>

#ifndef DOMALLOC_DEBUG
#define	DOMALLOC_DEBUG	0
#endif
#ifndef DOMALLOC_LIBC
#define	DOMALLOC_LIBC	0	/* built inside a BSD libc */
#endif
#ifndef DOMALLOC_HARDENED
#define	DOMALLOC_HARDENED 0	/* libdomalloc_hardened (harden.h) */
#endif
#ifndef DOMALLOC_FUZZ
#define	DOMALLOC_FUZZ	0	/* built for the fuzzers (tests/fuzz) */
#endif

#define	DOMALLOC_VERSION	"domalloc 0.1.0"
/*
 * mallctl("version"): the jemalloc release whose interface domalloc
 * implements, in jemalloc's "major.minor.bugfix-ncommits-ghash" form,
 * which programs parse; domalloc's own is domalloc.version.
 */
#define	DOMALLOC_JEMALLOC_VERSION					\
	"5.3.0-0-g0000000000000000000000000000000000000000"

/* Internal consistency checks (assertions, lock order). */
static const bool config_debug = DOMALLOC_DEBUG;
/* Statistics counters. */
static const bool config_stats = true;
/*
 * Built with libFuzzer's coverage instrumentation: compares with secrets
 * are kept out of its sight (mark.h).
 */
static const bool config_fuzz = DOMALLOC_FUZZ;
/*
 * The hardened library: every public entry point hands its request to
 * harden.c (canaries, guard pages, quarantines, zeroing); the default
 * build compiles those calls away.
 */
static const bool config_hardened = DOMALLOC_HARDENED;
/* Cheap checks on free of invalid or repeated pointers. */
static const bool config_safety = true;

#define	DM_ASSERT(e)	do {						\
	if (config_debug && !(e))					\
		msg_fatal("assertion failed: %s (%s:%d)", #e,		\
		    __FILE__, __LINE__);				\
} while (0)

#endif /* !CONFIG_H */
