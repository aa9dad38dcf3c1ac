/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * base.h: metadata memory.
 *
 * base_alloc() carves cache-line aligned blocks out of superpage-sized
 * chunks obtained from the platform layer; the memory is zeroed and is
 * never returned to the operating system (callers recycle their own
 * descriptors through free lists).  Locking: base_lock (RANK_BASE), a
 * leaf lock held only while carving.
 */
#ifndef BASE_H
#define	BASE_H

#include <stddef.h>

void	*base_alloc(size_t size);
void	 base_prefork(void);
void	 base_postfork_parent(void);
void	 base_postfork_child(void);

/* Statistics: bytes of metadata mapped and in use. */
size_t	 base_mapped(void);
size_t	 base_allocated(void);
/* Bytes of metadata chunks advised to be huge pages (opt.metadata_thp). */
size_t	 base_thp(void);

#endif /* !BASE_H */
