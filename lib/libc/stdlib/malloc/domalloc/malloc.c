/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * malloc.c: the standard allocation interface (C11, POSIX, the BSD and
 * glibc extensions): malloc, calloc, realloc, free, posix_memalign,
 * aligned_alloc, memalign, valloc, pvalloc, reallocarray,
 * malloc_usable_size, free_sized and free_aligned_sized, plus the glibc
 * __libc_* names, so that no pointer crosses between glibc's allocator
 * and domalloc when domalloc replaces it.  Errors follow the standards:
 * ENOMEM for sizes that cannot be had, EINVAL for bad alignments.
 * No locking here; see alloc.h.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "conf.h"
#include "harden.h"
#include "init.h"
#include "msg.h"
#include "public.h"

void	*__malloc(size_t);
void	*__calloc(size_t, size_t);
void	*__realloc(void *, size_t);
void	 __free(void *);
int	 __posix_memalign(void **, size_t, size_t);
void	*__aligned_alloc(size_t, size_t);
void	*__memalign(size_t, size_t);
void	*__valloc(size_t);
void	*__pvalloc(size_t);
void	*__reallocarray(void *, size_t, size_t);
size_t	 __malloc_usable_size(const void *);
void	 __free_sized(void *, size_t);
void	 __free_aligned_sized(void *, size_t, size_t);

DM_EXPORT void *
__malloc(size_t size)
{
	if (config_hardened)
		return (harden_alloc(size, 0, 0, NULL, "malloc"));
	return (alloc_fast(size));
}

DM_EXPORT void
__free(void *p)
{
	if (config_hardened) {
		harden_free(p, false, 0, 0, "free");
		return;
	}
	free_fast(p);
}

DM_EXPORT void *
__calloc(size_t nmemb, size_t size)
{
	size_t n;
	void *p;

	if (unlikely(__builtin_mul_overflow(nmemb, size, &n)))
		return (alloc_oom(SIZE_MAX));
	/* Hardened blocks are always handed out zeroed. */
	if (config_hardened)
		return (harden_alloc(n, 0, 0, NULL, "calloc"));
	if (likely(n <= SC_LUT_MAX)) {
		p = alloc_fast(n);
		if (p != NULL)
			memset(p, 0, n);
		return (p);
	}
	return (alloc_generic(n, 0, ALLOC_ZERO, NULL));
}

DM_EXPORT void *
__realloc(void *p, size_t size)
{
	void *q;

	if (p == NULL)
		return (config_hardened ? harden_alloc(size, 0, 0, NULL,
		    "realloc") : alloc_fast(size));
	if (unlikely(size == 0)) {
		atomic_fetch_add_explicit(&alloc_zero_reallocs, 1,
		    memory_order_relaxed);
		switch (opt_zero_realloc) {
		case ZERO_REALLOC_FREE:
			__free(p);
			return (NULL);
		case ZERO_REALLOC_ABORT:
			msg_fatal("realloc(%p, 0) with zero_realloc:abort", p);
		default:
			break;
		}
	}
	if (config_hardened)
		return (harden_realloc(p, size, 0, 0, NULL, "realloc"));
	if (size != 0 && alloc_realloc_cached(p, size, &q))
		return (q);
	return (alloc_realloc(p, size, 0, 0, NULL, "realloc"));
}

static void *
memalign_impl(size_t align, size_t size)
{
	if (config_hardened)
		return (harden_alloc(size, align <= SC_QUANTUM ? 0 : align, 0,
		    NULL, "memalign"));
	if (align <= SC_QUANTUM)
		return (alloc_fast(size));
	return (alloc_generic(size, align, 0, NULL));
}

DM_EXPORT int
__posix_memalign(void **memptr, size_t align, size_t size)
{
	int saved = errno;
	void *p;

	if (!util_is_pow2(align) || align < sizeof(void *))
		return (EINVAL);
	p = memalign_impl(align, size);
	if (p == NULL) {
		errno = saved;
		return (ENOMEM);
	}
	*memptr = p;
	return (0);
}

DM_EXPORT void *
__aligned_alloc(size_t align, size_t size)
{
	if (!util_is_pow2(align)) {
		errno = EINVAL;
		return (NULL);
	}
	return (memalign_impl(align, size));
}

/* glibc semantics: a non-power-of-two alignment is rounded up. */
DM_EXPORT void *
__memalign(size_t align, size_t size)
{
	if (align > SC_MAX_SIZE) {
		errno = EINVAL;
		return (NULL);
	}
	if (!util_is_pow2(align))
		align = (size_t)1 << util_lg_ceil(align);
	return (memalign_impl(align, size));
}

DM_EXPORT void *
__valloc(size_t size)
{
	return (memalign_impl(PAGE, size));
}

DM_EXPORT void *
__pvalloc(size_t size)
{
	size_t n;

	if (size > SC_MAX_SIZE)
		return (alloc_oom(size));
	n = size == 0 ? PAGE : ALIGN_UP(size, PAGE);
	return (memalign_impl(PAGE, n));
}

DM_EXPORT void *
__reallocarray(void *p, size_t nmemb, size_t size)
{
	size_t n;

	if (__builtin_mul_overflow(nmemb, size, &n))
		return (alloc_oom(SIZE_MAX));
	return (__realloc(p, n));
}

DM_EXPORT size_t
__malloc_usable_size(const void *p)
{
	struct sp *sp;
	unsigned ind;

	if (p == NULL)
		return (0);
	if (config_hardened)
		return (harden_usize(p, "malloc_usable_size"));
	sp = alloc_lookup(p, &ind, "malloc_usable_size");
	return (alloc_usize(p, sp, ind));
}

/*
 * Sized frees (C23), checked as sdallocx is: the size must map to the
 * object's size class (alloc.h, free_fast_impl).
 */
DM_EXPORT void
__free_sized(void *p, size_t size)
{
	if (config_hardened) {
		harden_free(p, true, size, 0, "free_sized");
		return;
	}
	free_sized_fast(p, size, "free_sized");
}

DM_EXPORT void
__free_aligned_sized(void *p, size_t align, size_t size)
{
	if (config_hardened)
		harden_free(p, true, size, align, "free_aligned_sized");
	else if (align <= SC_QUANTUM)
		free_sized_fast(p, size, "free_aligned_sized");
	else
		free_sized_slow(p, size, align, "free_aligned_sized");
}

DM_ALIAS(__malloc, malloc);
DM_ALIAS(__calloc, calloc);
DM_ALIAS(__realloc, realloc);
DM_ALIAS(__free, free);
DM_ALIAS(__posix_memalign, posix_memalign);
DM_ALIAS(__aligned_alloc, aligned_alloc);
DM_ALIAS(__malloc_usable_size, malloc_usable_size);
DM_ALIAS(__free_sized, free_sized);
DM_ALIAS(__free_aligned_sized, free_aligned_sized);
DM_ALIAS(__memalign, memalign);
DM_ALIAS(__valloc, valloc);
DM_ALIAS(__pvalloc, pvalloc);
DM_ALIAS(__reallocarray, reallocarray);

#if !DOMALLOC_LIBC
/* glibc's own names, so that glibc-internal callers use domalloc too. */
DM_ALIAS(__malloc, __libc_malloc);
DM_ALIAS(__calloc, __libc_calloc);
DM_ALIAS(__realloc, __libc_realloc);
DM_ALIAS(__free, __libc_free);
DM_ALIAS(__memalign, __libc_memalign);
DM_ALIAS(__valloc, __libc_valloc);
DM_ALIAS(__pvalloc, __libc_pvalloc);
#endif
