/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * malloc_np.h: the non-standard (non-portable) interface of the libc
 * allocator, domalloc: the jemalloc 5.3 API as FreeBSD's libc exports it.
 * Flag encodings, error codes and types match jemalloc's bit for bit so
 * that software written for FreeBSD's malloc builds unchanged.
 */
#ifndef _MALLOC_NP_H_
#define	_MALLOC_NP_H_

#include <stdbool.h>
#include <stddef.h>
#include <strings.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Extent hooks (arena.<i>.extent_hooks), as in jemalloc 5. */
typedef struct extent_hooks_s extent_hooks_t;

typedef void *(extent_alloc_t)(extent_hooks_t *, void *, size_t, size_t,
    bool *, bool *, unsigned);
typedef bool (extent_dalloc_t)(extent_hooks_t *, void *, size_t, bool,
    unsigned);
typedef void (extent_destroy_t)(extent_hooks_t *, void *, size_t, bool,
    unsigned);
typedef bool (extent_commit_t)(extent_hooks_t *, void *, size_t, size_t,
    size_t, unsigned);
typedef bool (extent_decommit_t)(extent_hooks_t *, void *, size_t, size_t,
    size_t, unsigned);
typedef bool (extent_purge_t)(extent_hooks_t *, void *, size_t, size_t,
    size_t, unsigned);
typedef bool (extent_split_t)(extent_hooks_t *, void *, size_t, size_t,
    size_t, bool, unsigned);
typedef bool (extent_merge_t)(extent_hooks_t *, void *, size_t, void *,
    size_t, bool, unsigned);

struct extent_hooks_s {
	extent_alloc_t		*alloc;
	extent_dalloc_t		*dalloc;
	extent_destroy_t	*destroy;
	extent_commit_t		*commit;
	extent_decommit_t	*decommit;
	extent_purge_t		*purge_lazy;
	extent_purge_t		*purge_forced;
	extent_split_t		*split;
	extent_merge_t		*merge;
};

#define	MALLCTL_ARENAS_ALL		4096
#define	MALLCTL_ARENAS_DESTROYED	4097

#define	MALLOCX_LG_ALIGN(la)	((int)(la))
#if __SIZEOF_POINTER__ == 4
#define	MALLOCX_ALIGN(a)	((int)(ffs((int)(a)) - 1))
#else
#define	MALLOCX_ALIGN(a)						\
	((int)(((size_t)(a) < (size_t)2147483647) ?			\
	    ffs((int)(a)) - 1 : ffs((int)(((size_t)(a)) >> 32)) + 31))
#endif
#define	MALLOCX_ZERO		((int)0x40)
/* Thread cache index tc (from tcache.create) plus 2; 0 = automatic. */
#define	MALLOCX_TCACHE(tc)	((int)(((tc) + 2) << 8))
#define	MALLOCX_TCACHE_NONE	MALLOCX_TCACHE(-1)
/* Arena index a plus 1; 0 = automatic. */
#define	MALLOCX_ARENA(a)	((int)(((unsigned)(a) + 1) << 20))

/* The jemalloc 3 interface, kept for old binaries and sources. */
#define	ALLOCM_LG_ALIGN(la)	(la)
#define	ALLOCM_ALIGN(a)		(ffsl(a) - 1)
#define	ALLOCM_ZERO		((int)0x40)
#define	ALLOCM_NO_MOVE		((int)0x80)
#define	ALLOCM_ARENA(a)		((int)(((a) + 1) << 8))
#define	ALLOCM_SUCCESS		0
#define	ALLOCM_ERR_OOM		1
#define	ALLOCM_ERR_NOT_MOVED	2

extern const char	*malloc_conf;
extern void		(*malloc_message)(void *, const char *);

/*
 * glibc's <malloc.h> declares it with a pointer to non-const, and so does
 * musl's (which defines no macro to test for); so does this header on
 * Linux, so that a program can include both.
 */
#if defined(__GLIBC__) || defined(__linux__)
size_t	malloc_usable_size(void *);
#else
size_t	malloc_usable_size(const void *);
#endif
void	malloc_stats_print(void (*)(void *, const char *), void *,
	    const char *);
int	mallctl(const char *, void *, size_t *, void *, size_t);
int	mallctlnametomib(const char *, size_t *, size_t *);
int	mallctlbymib(const size_t *, size_t, void *, size_t *, void *,
	    size_t);

void	*mallocx(size_t, int);
void	*rallocx(void *, size_t, int);
size_t	 xallocx(void *, size_t, size_t, int);
size_t	 sallocx(const void *, int);
void	 dallocx(void *, int);
void	 sdallocx(void *, size_t, int);
size_t	 nallocx(size_t, int);

void	 free_sized(void *, size_t);
void	 free_aligned_sized(void *, size_t, size_t);

int	allocm(void **, size_t *, size_t, int);
int	rallocm(void **, size_t *, size_t, size_t, int);
int	sallocm(const void *, size_t *, int);
int	dallocm(void *, int);
int	nallocm(size_t *, size_t, int);

/* The libc-internal names (FreeBSD's __weak_reference targets). */
void	*__calloc(size_t, size_t);
void	*__malloc(size_t);
void	*__realloc(void *, size_t);
void	 __free(void *);
int	 __posix_memalign(void **, size_t, size_t);
void	*__aligned_alloc(size_t, size_t);
size_t	 __malloc_usable_size(const void *);
void	*__mallocx(size_t, int);
void	*__rallocx(void *, size_t, int);
size_t	 __xallocx(void *, size_t, size_t, int);
size_t	 __sallocx(const void *, int);
void	 __dallocx(void *, int);
void	 __sdallocx(void *, size_t, int);
size_t	 __nallocx(size_t, int);
int	 __mallctl(const char *, void *, size_t *, void *, size_t);
int	 __mallctlnametomib(const char *, size_t *, size_t *);
int	 __mallctlbymib(const size_t *, size_t, void *, size_t *, void *,
	    size_t);
void	 __malloc_stats_print(void (*)(void *, const char *), void *,
	    const char *);
void	 __free_sized(void *, size_t);
void	 __free_aligned_sized(void *, size_t, size_t);

#ifdef __cplusplus
}
#endif

#endif /* !_MALLOC_NP_H_ */
