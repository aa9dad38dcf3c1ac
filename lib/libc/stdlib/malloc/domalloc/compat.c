/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * compat.c: compatibility entry points.
 *
 * - jemalloc 3's *allocm interface, which FreeBSD's libc still carries as
 *   compatibility symbols (allocm, rallocm, sallocm, dallocm, nallocm),
 *   built on the *allocx functions.  The callers are programs built with
 *   jemalloc 3's header, whose flags word differs from jemalloc 5's in
 *   one place: ALLOCM_ARENA(a) is (a + 1) << 8, where MALLOCX_TCACHE now
 *   lives, so the arena bits are moved to where MALLOCX_ARENA puts them.
 * - The private hooks FreeBSD's libthr calls: _malloc_prefork,
 *   _malloc_postfork (fork), _malloc_thread_cleanup (thread exit) and
 *   _malloc_first_thread.  On Linux the same work is registered with
 *   pthread_atfork and a pthread key (init.c, tsd.c).
 * No locking of its own.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "alloc.h"
#include "init.h"
#include "public.h"
#include "tsd.h"

#define	ALLOCM_SUCCESS		0
#define	ALLOCM_ERR_OOM		1
#define	ALLOCM_ERR_NOT_MOVED	2
#define	ALLOCM_NO_MOVE		0x80
#define	ALLOCM_KEEP		0x7f	/* lg align, zero: kept as they are */

void	*__mallocx(size_t, int);
void	*__rallocx(void *, size_t, int);
size_t	 __xallocx(void *, size_t, size_t, int);
size_t	 __sallocx(const void *, int);
void	 __dallocx(void *, int);
size_t	 __nallocx(size_t, int);

int	__allocm(void **, size_t *, size_t, int);
int	__rallocm(void **, size_t *, size_t, size_t, int);
int	__sallocm(const void *, size_t *, int);
int	__dallocm(void *, int);
int	__nallocm(size_t *, size_t, int);

/* jemalloc 3 flags to jemalloc 5 flags (ALLOCM_NO_MOVE is dropped). */
static int
compat_flags(int flags)
{
	unsigned a = (unsigned)flags >> 8;

	return ((flags & ALLOCM_KEEP) | (int)((a & 0xfff) << 20));
}

DM_EXPORT int
__allocm(void **ptr, size_t *rsize, size_t size, int flags)
{
	void *p;

	p = __mallocx(size, compat_flags(flags));
	if (p == NULL)
		return (ALLOCM_ERR_OOM);
	if (rsize != NULL)
		*rsize = __sallocx(p, 0);
	*ptr = p;
	return (ALLOCM_SUCCESS);
}

DM_EXPORT int
__rallocm(void **ptr, size_t *rsize, size_t size, size_t extra, int flags)
{
	size_t usize;
	void *p;

	if (flags & ALLOCM_NO_MOVE) {
		usize = __xallocx(*ptr, size, extra, compat_flags(flags));
		if (rsize != NULL)
			*rsize = usize;
		return (usize >= size ? ALLOCM_SUCCESS :
		    ALLOCM_ERR_NOT_MOVED);
	}
	p = extra > SIZE_MAX - size ? NULL :
	    __rallocx(*ptr, size + extra, compat_flags(flags));
	if (p != NULL)
		*ptr = p;
	/* On failure too, as FreeBSD's: the size of what *ptr is now. */
	if (rsize != NULL)
		*rsize = __sallocx(*ptr, 0);
	return (p != NULL ? ALLOCM_SUCCESS : ALLOCM_ERR_OOM);
}

DM_EXPORT int
__sallocm(const void *ptr, size_t *rsize, int flags)
{
	*rsize = __sallocx(ptr, compat_flags(flags));
	return (ALLOCM_SUCCESS);
}

DM_EXPORT int
__dallocm(void *ptr, int flags)
{
	__dallocx(ptr, compat_flags(flags));
	return (ALLOCM_SUCCESS);
}

DM_EXPORT int
__nallocm(size_t *rsize, size_t size, int flags)
{
	size_t usize = __nallocx(size, compat_flags(flags));

	if (usize == 0)
		return (ALLOCM_ERR_OOM);
	if (rsize != NULL)
		*rsize = usize;
	return (ALLOCM_SUCCESS);
}

DM_ALIAS(__allocm, allocm);
DM_ALIAS(__rallocm, rallocm);
DM_ALIAS(__sallocm, sallocm);
DM_ALIAS(__dallocm, dallocm);
DM_ALIAS(__nallocm, nallocm);

#if DOMALLOC_LIBC
void	_malloc_prefork(void);
void	_malloc_postfork(void);
void	_malloc_thread_cleanup(void);
void	_malloc_first_thread(void);

/* The forking process, to tell parent from child after fork. */
static pid_t compat_fork_pid;

DM_EXPORT void
_malloc_prefork(void)
{
	compat_fork_pid = getpid();
	malloc_prefork();
}

/*
 * libthr calls this in the parent and in the child alike.  The parent
 * must really unlock (other threads may sleep on a lock); the child
 * resets, since the threads that held locks do not exist there.
 */
DM_EXPORT void
_malloc_postfork(void)
{
	if (getpid() == compat_fork_pid)
		malloc_postfork_parent();
	else
		malloc_postfork_child();
}

DM_EXPORT void
_malloc_thread_cleanup(void)
{
	tsd_cleanup(tsd_get());
}

DM_EXPORT void
_malloc_first_thread(void)
{
	/* Our locks need no set-up before the first thread. */
}
#endif
