/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * libc_musl.c: the glue that makes domalloc the malloc of a musl libc
 * tree (musl 1.2.3: src/malloc/<dir>, chosen by configure --with-malloc).
 * It is to musl what compat.c's _malloc_prefork & co. are to FreeBSD's
 * libthr.  Built only by share/mk/musl.mk, with the allocator compiled
 * with DOMALLOC_LIBC=1 against musl's headers; the objects are joined by
 * ld -r and only the names in Symbol.musl.map stay global.
 *
 * musl's generic layer (the files directly in src/malloc, always built)
 * owns the public malloc, calloc, realloc, free, memalign and
 * posix_memalign and calls into the implementation through the names
 * defined here:
 *   __libc_malloc_impl	behind malloc and the libc-internal __libc_malloc
 *   __libc_free, __libc_realloc	behind free and realloc, also called
 *			directly by libc code that must not be interposed
 *   aligned_alloc	behind memalign, posix_memalign and valloc
 *   __malloc_donate	the dynamic linker's gift of the partial pages
 *			around its segments (libc.so only)
 *   __malloc_atfork	fork's lock/unlock/reset of the allocator
 * calloc stays musl's: it calls malloc and clears what needs it.  The
 * weak __malloc_allzerop (nothing is known to be zero) is not replaced.
 *
 * Locking: none here.  __malloc_atfork(-1) takes every allocator lock
 * (malloc_prefork) after musl has taken its own libc locks, so that a
 * libc lock is always taken before ours, as in every other path where libc
 * calls malloc with one of its locks held; 0 unlocks in the parent, 1
 * resets the locks in the child, where their holders do not exist.  musl
 * calls it only when the process has more than one thread; a fork of a
 * single-threaded process leaves no lock held.  Thread exit goes through
 * the allocator's pthread key destructor (tsd.c), which musl runs.
 */
#include <errno.h>
#include <stddef.h>

#include "init.h"
#include "util.h"

void	*__malloc(size_t);
void	 __free(void *);
void	*__realloc(void *, size_t);
void	*__aligned_alloc(size_t, size_t);

void	*__libc_malloc_impl(size_t);
void	 __libc_free(void *);
void	*__libc_realloc(void *, size_t);
void	*aligned_alloc(size_t, size_t);
void	 __malloc_donate(char *, char *);
void	 __malloc_atfork(int);

/* musl's src/malloc/replaced.c; set only by its dynamic linker. */
extern int	__malloc_replaced, __aligned_alloc_replaced;

DM_EXPORT void *
__libc_malloc_impl(size_t size)
{
	return (__malloc(size));
}

DM_EXPORT void
__libc_free(void *p)
{
	__free(p);
}

DM_EXPORT void *
__libc_realloc(void *p, size_t size)
{
	return (__realloc(p, size));
}

/*
 * A program that replaces malloc but not aligned_alloc must not get our
 * memory from memalign or posix_memalign: it would free it with its own
 * free.  musl's rule (and mallocng's) is to fail with ENOMEM then.
 */
DM_EXPORT void *
aligned_alloc(size_t align, size_t size)
{
	if (__malloc_replaced && !__aligned_alloc_replaced) {
		errno = ENOMEM;
		return (NULL);
	}
	return (__aligned_alloc(align, size));
}

/*
 * The ranges are pieces of the program image, under a page each and not
 * page aligned; domalloc's memory comes in page runs it maps itself and
 * may purge, so it has no use for them.  Ignoring a donation is allowed.
 */
DM_EXPORT void
__malloc_donate(char *start, char *end)
{
	(void)start;
	(void)end;
}

DM_EXPORT void
__malloc_atfork(int who)
{
	if (who < 0)
		malloc_prefork();
	else if (who == 0)
		malloc_postfork_parent();
	else
		malloc_postfork_child();
}
