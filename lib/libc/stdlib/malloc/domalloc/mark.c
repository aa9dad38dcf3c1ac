/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * mark.c: the free marker's key (see mark.h).
 */
#include "mark.h"
#include "pal.h"

/* Before mark_boot no object exists, so no word can be mistaken. */
#define	MARK_FALLBACK	0x6672656564000001ULL

uint64_t mark_key = MARK_FALLBACK;

/* Out of the fuzzers' sight (mark.h); clang's attribute, where it is. */
#if defined(__clang__)
#define	MARK_UNTRACED	__attribute__((noinline, no_sanitize("coverage")))
#else
#define	MARK_UNTRACED	__attribute__((noinline))
#endif

MARK_UNTRACED bool
mark_is_free_hidden(const void *p)
{
	return (*(const mark_word_t *)p == mark_key);
}

MARK_UNTRACED void
mark_boot(void)
{
	uint64_t k = pal_random();

	mark_key = k != 0 ? k : MARK_FALLBACK;
}
