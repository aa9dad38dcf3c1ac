/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * base.c: the metadata allocator (see base.h).  A bump pointer over the
 * current chunk; a request that does not fit starts a new chunk (the
 * tail of the old one is abandoned, which costs at most one request's
 * size per chunk).  Requests larger than a chunk get their own mapping.
 */
#include <stdint.h>

#include "base.h"
#include "conf.h"
#include "msg.h"
#include "mutex.h"
#include "pal.h"
#include "sc.h"

#define	BASE_CHUNK	SUPERPAGE

static struct mutex	base_lock = MUTEX_INITIALIZER(RANK_BASE);
/* Synchronization: all below under base_lock. */
static uintptr_t	base_cur;
static uintptr_t	base_end;
static size_t		base_nmapped;
static size_t		base_nallocated;
static size_t		base_nthp;

void *
base_alloc(size_t size)
{
	uintptr_t p;
	size_t csize;
	void *chunk;

	size = ALIGN_UP(size, ARCH_CACHELINE);
	mutex_lock(&base_lock);
	if (base_end - base_cur < size) {
		csize = size > BASE_CHUNK ? ALIGN_UP(size, PAGE) : BASE_CHUNK;
		chunk = pal_map(csize, PAGE);
		if (chunk == NULL) {
			mutex_unlock(&base_lock);
			return (NULL);
		}
		base_nmapped += csize;
		/*
		 * opt.metadata_thp: "always" advises every metadata chunk,
		 * "auto" those after the first, once metadata has grown.
		 */
		if (opt_metadata_thp == 2 ||
		    (opt_metadata_thp == 1 && base_nmapped > BASE_CHUNK)) {
			pal_hugepage(chunk, csize, true);
			base_nthp += csize;
		}
		if (csize > BASE_CHUNK) {
			base_nallocated += size;
			mutex_unlock(&base_lock);
			return (chunk);
		}
		base_cur = (uintptr_t)chunk;
		base_end = base_cur + csize;
	}
	p = base_cur;
	base_cur += size;
	base_nallocated += size;
	mutex_unlock(&base_lock);
	return ((void *)p);
}

size_t
base_mapped(void)
{
	return (base_nmapped);
}

size_t
base_thp(void)
{
	return (base_nthp);
}

size_t
base_allocated(void)
{
	return (base_nallocated);
}

void
base_prefork(void)
{
	mutex_lock(&base_lock);
}

void
base_postfork_parent(void)
{
	mutex_unlock(&base_lock);
}

void
base_postfork_child(void)
{
	mutex_postfork_child(&base_lock);
}
