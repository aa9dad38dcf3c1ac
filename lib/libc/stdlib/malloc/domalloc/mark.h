/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * mark.h: the free marker, which tells a live object from one that is not.
 *
 * Word 0 (8 bytes) of every object in a runs superpage (small regions and
 * large runs) that is not live holds mark_key, a secret drawn at start-up
 * (pal_random): an object in a thread cache or a remote buffer, free in
 * its slab, or never handed out but in a page of its slab that fills
 * reached (bin.c marks a new slab's regions a page at a time as it hands
 * them out; the pages beyond have slow page map entries, PMAP_UNMARKED in
 * slab.h, so a free there takes the slow path, which reports it).  Every
 * allocation clears the word before the object is handed out
 * (mark_live), and every free sets it (mark_free).  So a free, a realloc
 * or any other lookup of an object that is not live sees the marker:
 * free's fast path with one compare
 * (alloc.h), and the slow path (alloc_lookup) then finds where the object
 * is, this thread's cache, its slab or elsewhere, and reports the misuse
 * before the object can be handed out a second time.
 *
 * What it cannot tell: a live object whose first word the program set to
 * the marker (a copy of freed memory does that; chance, one in 2^64) is
 * reported as freed; a freed object whose first word the program changed
 * after the free (a use after free) is not seen here, but by the slab's
 * bitmap when the object gets back to its slab.
 *
 * Synchronization: mark_key is written once, by mark_boot() under the
 * initialisation lock before any slab exists, and only read after that.
 * The words themselves belong to whoever owns the object.
 */
#ifndef MARK_H
#define	MARK_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "util.h"

/* An object's first word, read and written whatever its type. */
typedef uint64_t __attribute__((__may_alias__)) mark_word_t;

/*
 * The marker; never 0, the word of a fresh allocation.  Hidden, so that
 * the shared library loads it with one pc-relative move, not through the
 * GOT.
 */
extern uint64_t mark_key __attribute__((visibility("hidden")));

void	mark_boot(void);
/*
 * The compare of mark_is_free, out of line and not instrumented, for the
 * fuzz build: libFuzzer learns the operands of instrumented compares and
 * writes them into its inputs, which would put the marker into live
 * blocks (see above).
 */
bool	mark_is_free_hidden(const void *p);

DM_INLINE void
mark_free(void *p)
{
	*(mark_word_t *)p = mark_key;
}

DM_INLINE bool
mark_is_free(const void *p)
{
	if (config_fuzz)
		return (mark_is_free_hidden(p));
	return (*(const mark_word_t *)p == mark_key);
}

/* Clear the marker of an object about to be handed out; returns it. */
DM_INLINE void *
mark_live(void *p)
{
	*(mark_word_t *)p = 0;
	return (p);
}

#endif /* !MARK_H */
