/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * glibcshim: a preload library that sends the malloc family to glibc's own
 * allocator.  Debian's redis-server is linked against libjemalloc.so.2, so
 * running it "without a preload" would measure jemalloc, not glibc; the
 * runner preloads this shim for the glibc cell of such programs instead.
 * Every entry point forwards to glibc's __libc_* functions (or, for
 * malloc_usable_size, to glibc's definition looked up in libc.so.6 itself),
 * so every pointer the program sees comes from one allocator.  jemalloc's
 * extra functions (mallctl, nallocx) still resolve to libjemalloc; they do
 * not hand out memory that the program frees.  No state but one cached
 * function pointer, written once (a benign race: every writer stores the
 * same value).
 */

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#define	SHIM_EXPORT	__attribute__((visibility("default")))

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

SHIM_EXPORT void *
malloc(size_t size)
{

	return (__libc_malloc(size));
}

SHIM_EXPORT void
free(void *p)
{

	__libc_free(p);
}

SHIM_EXPORT void *
calloc(size_t n, size_t size)
{

	return (__libc_calloc(n, size));
}

SHIM_EXPORT void *
realloc(void *p, size_t size)
{

	return (__libc_realloc(p, size));
}

SHIM_EXPORT void *
reallocarray(void *p, size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return (NULL);
	}
	return (__libc_realloc(p, total));
}

SHIM_EXPORT void *
memalign(size_t align, size_t size)
{

	return (__libc_memalign(align, size));
}

SHIM_EXPORT void *
aligned_alloc(size_t align, size_t size)
{

	return (__libc_memalign(align, size));
}

SHIM_EXPORT int
posix_memalign(void **res, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return (EINVAL);
	p = __libc_memalign(align, size);
	if (p == NULL)
		return (ENOMEM);
	*res = p;
	return (0);
}

SHIM_EXPORT void *
valloc(size_t size)
{

	return (__libc_valloc(size));
}

SHIM_EXPORT void *
pvalloc(size_t size)
{

	return (__libc_pvalloc(size));
}

SHIM_EXPORT size_t
malloc_usable_size(void *p)
{
	static size_t (*libc_usable)(void *);
	void *h;

	if (libc_usable == NULL) {
		/* Ask libc.so.6 itself; RTLD_NEXT could find libjemalloc. */
		h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
		if (h != NULL)
			libc_usable = (size_t (*)(void *))dlsym(h,
			    "malloc_usable_size");
		if (libc_usable == NULL)
			_exit(125);
	}
	return (libc_usable(p));
}
