/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * util.h: small helpers shared by every module: branch hints, bit
 * operations, rounding.  No state, no locking.
 */
#ifndef UTIL_H
#define	UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define	likely(x)	__builtin_expect(!!(x), 1)
#define	unlikely(x)	__builtin_expect(!!(x), 0)

/*
 * Make the compiler forget what it knows of the value of lvalue x, so
 * that a following x++ is done in memory (one read-modify-write
 * instruction) rather than in a copy of a register holding x.  Emits no
 * code.
 */
#define	DM_FORGET(x)	__asm__("" : "+m" (x))

#define	DM_INLINE	static inline __attribute__((always_inline))
#define	DM_EXPORT	__attribute__((visibility("default")))

/* Index of the most significant set bit; x must be non-zero. */
DM_INLINE unsigned
util_lg_floor(size_t x)
{
	return ((unsigned)(sizeof(size_t) * 8 - 1 - __builtin_clzl(x)));
}

/* Smallest k with 2^k >= x; x must be non-zero. */
DM_INLINE unsigned
util_lg_ceil(size_t x)
{
	return (x <= 1 ? 0 : util_lg_floor(x - 1) + 1);
}

DM_INLINE bool
util_is_pow2(size_t x)
{
	return (x != 0 && (x & (x - 1)) == 0);
}

#define	ALIGN_UP(x, a)		(((x) + ((a) - 1)) & ~((size_t)(a) - 1))
#define	ALIGN_DOWN(x, a)	((x) & ~((size_t)(a) - 1))

#define	DM_MIN(a, b)	((a) < (b) ? (a) : (b))
#define	DM_MAX(a, b)	((a) > (b) ? (a) : (b))

#endif /* !UTIL_H */
