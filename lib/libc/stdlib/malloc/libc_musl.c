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
 * Heap profiling's unwinder (prof_bt.c) is libgcc's, and Debian's
 * libgcc_eh.a is built for glibc: it looks unwind tables up with glibc's
 * _dl_find_object, which musl lacks.  It is provided here, through
 * dl_iterate_phdr: the PT_GNU_EH_FRAME segment of the loaded object that
 * holds the address.  Static programs have that segment because the
 * musl-gcc this tree installs links with --eh-frame-hdr (share/mk/
 * musl.mk); a program without one gets "not found", and prof_bt.c then
 * records no backtrace rather than let the unwinder abort.  libgcc_eh
 * also calls pthread_once and the mutex functions through weak
 * references, which in a static link stay null unless something else
 * pulls those members of libc.a in: musl_unwind_needs does.
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
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

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
/* glibc's layout (x86-64 and AArch64: no eh_dbase, no eh_count). */
struct dl_find_object {
	unsigned long long	dlfo_flags;
	void			*dlfo_map_start;
	void			*dlfo_map_end;
	void			*dlfo_link_map;
	void			*dlfo_eh_frame;
	unsigned long long	dlfo_reserved[7];
};
int	 _dl_find_object(void *, struct dl_find_object *);

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

/* What libgcc_eh's unwinder calls through weak references: see above. */
__attribute__((used)) static const void *const musl_unwind_needs[] = {
	(const void *)pthread_once,
	(const void *)pthread_mutex_lock,
	(const void *)pthread_mutex_unlock,
};

/* libgcc_eh's lookup of unwind tables by address: see above. */
struct musl_dlfo_walk {
	uintptr_t		pc;
	struct dl_find_object	*r;
	int			found;
};

static int
musl_dlfo_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct musl_dlfo_walk *w = arg;
	uintptr_t lo = UINTPTR_MAX, hi = 0, a;
	const void *eh = NULL;
	int i, in = 0;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++) {
		a = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
		if (info->dlpi_phdr[i].p_type == PT_LOAD) {
			if (a < lo)
				lo = a;
			if (a + info->dlpi_phdr[i].p_memsz > hi)
				hi = a + info->dlpi_phdr[i].p_memsz;
			if (w->pc >= a && w->pc - a < info->dlpi_phdr[i].p_memsz)
				in = 1;
		} else if (info->dlpi_phdr[i].p_type == PT_GNU_EH_FRAME)
			eh = (const void *)a;
	}
	if (!in)
		return (0);
	w->found = eh != NULL;
	w->r->dlfo_flags = 0;
	w->r->dlfo_map_start = (void *)lo;
	w->r->dlfo_map_end = (void *)hi;
	w->r->dlfo_link_map = NULL;
	w->r->dlfo_eh_frame = (void *)(uintptr_t)eh;
	return (1);
}

DM_EXPORT int
_dl_find_object(void *pc, struct dl_find_object *result)
{
	struct musl_dlfo_walk w = { (uintptr_t)pc, result, 0 };

	dl_iterate_phdr(musl_dlfo_one, &w);
	return (w.found ? 0 : -1);
}
