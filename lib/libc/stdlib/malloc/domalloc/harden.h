/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * harden.h: the hardened library (libdomalloc_hardened, built with
 * -DDOMALLOC_HARDENED=1; config_hardened).  Every public entry point of
 * that build hands its request here first, so the default build, where
 * config_hardened is false, compiles every call away.
 *
 * Small objects (the request plus an 8-byte trailer fits a small class)
 * come from the ordinary slabs and thread caches.  The trailer, the last
 * 8 bytes of the region, holds the requested size twice, encrypted with a
 * secret of the object's address; the bytes between the request and the
 * trailer hold canary bytes.  Both are checked on every free and every
 * size query (a changed byte is a heap overflow).  A freed object is
 * zeroed, marked free (mark.h) and put in a delayed-reuse quarantine,
 * where it replaces a random slot; the object evicted from that slot must
 * still be zero (else something wrote after the free) and only then goes
 * back to the thread cache.  Objects are checked to be zero when handed
 * out, and a thread cache's pop takes a random entry.
 *
 * Everything larger is a guarded mapping of its own: a guard page, the
 * data right-aligned to a trailing guard page, canary bytes in the slack
 * on both sides.  A registry (an open-addressed table in mapped memory)
 * knows every such block; a freed one is made inaccessible and purged and
 * sits in a FIFO quarantine, bounded by count and bytes, before it is
 * unmapped.
 *
 * Every check ends in msg_fatal naming the function, the address and the
 * kind of error.  Synchronization: the registry and the large quarantine
 * share one lock, each small quarantine shard has its own (all
 * RANK_HARDEN; none is held while another lock is taken).
 */
#ifndef HARDEN_H
#define	HARDEN_H

#include <stdbool.h>
#include <stddef.h>

struct arena;

/* The small quarantine's slots per shard, the large one's count and bytes. */
extern unsigned	opt_harden_quarantine;
extern unsigned	opt_harden_quarantine_large;
extern size_t	opt_harden_quarantine_bytes;

/* At start-up, after the arenas: keys, tables, refused options. */
void	harden_boot(void);

/*
 * Allocate size bytes at alignment align (0: natural), zeroed always;
 * flags ALLOC_NOCACHE and an arena as for alloc_generic; fn names the
 * caller in messages.  NULL with errno ENOMEM (or the xmalloc abort).
 */
void	*harden_alloc(size_t size, size_t align, unsigned flags,
	    struct arena *arena, const char *fn);
/*
 * Free p (NULL: nothing), named fn in messages; sized: the size must be
 * the one requested and align, if not 0, must divide p.
 */
void	 harden_free(void *p, bool sized, size_t size, size_t align,
	    const char *fn);
/*
 * Reallocation: in place for a small block that keeps its class, else a
 * new block, the contents, p freed.
 */
void	*harden_realloc(void *p, size_t size, size_t align, unsigned flags,
	    struct arena *arena, const char *fn);
/* The size requested for the live block p (its usable size here). */
size_t	 harden_usize(const void *p, const char *fn);
/*
 * Add the guarded blocks to a statistics snapshot (stats.c): their
 * requested bytes to *allocated, their data pages to *active and
 * *resident, their mappings (quarantined ones and guards too) to *mapped.
 */
void	 harden_stats(size_t *allocated, size_t *active, size_t *resident,
	    size_t *mapped);
/* Whether p is in a small quarantine (a double free, alloc.c). */
bool	 harden_quarantined(const void *p);

void	 harden_prefork(void);
void	 harden_postfork_parent(void);
void	 harden_postfork_child(void);

#endif /* !HARDEN_H */
