/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A block of the stress tests whose blocks come from malloc and are
 * resized by realloc (realloc_stress_test, slab_mark_stress_test): a
 * pointer, its size and the seed of its pattern (mt_fill), checked byte
 * for byte before every realloc and free; errors go to stress_fail
 * (stress_child.h, included first).  The test supplies the sizes.
 * No shared state: a block belongs to the thread holding it.
 */

#ifndef STRESS_BLOCK_H
#define	STRESS_BLOCK_H

struct block {
	void		*p;		/* NULL: none */
	size_t		 n;
	uint64_t	 seed;
};

/* Allocate n bytes into b with a fresh pattern. */
static void
block_alloc(struct block *b, size_t n, uint64_t *rng)
{
	b->n = n;
	b->seed = mt_rand(rng);
	b->p = malloc(b->n);
	if (b->p == NULL)
		stress_fail("malloc(%zu) failed", b->n);
	else
		mt_fill(b->p, b->n, b->seed);
}

static void
block_free(struct block *b, const char *when)
{
	size_t bad;

	if (b->p == NULL)
		return;
	bad = mt_check(b->p, b->n, b->seed);
	if (bad != SIZE_MAX)
		stress_fail("%s: block %p of %zu bytes: byte %zu changed", when,
		    b->p, b->n, bad);
	free(b->p);
	b->p = NULL;
}

/*
 * Realloc b to m bytes: the pattern is checked before, the common prefix
 * after, and the block is filled anew.  The old pointer, or NULL if the
 * block was bad or realloc failed (reported).
 */
static void *
block_realloc(struct block *b, size_t m, uint64_t *rng)
{
	size_t bad, keep;
	void *old = b->p, *q;

	bad = mt_check(b->p, b->n, b->seed);
	if (bad != SIZE_MAX) {
		stress_fail("before realloc: block %p of %zu bytes: byte %zu "
		    "changed", b->p, b->n, bad);
		return (NULL);
	}
	q = realloc(b->p, m);
	if (q == NULL) {
		stress_fail("realloc(%p, %zu) from %zu failed", b->p, m, b->n);
		return (NULL);
	}
	keep = b->n < m ? b->n : m;
	bad = mt_check(q, keep, b->seed);
	if (bad != SIZE_MAX)
		stress_fail("realloc %zu -> %zu (%p -> %p): byte %zu of the "
		    "%zu kept changed", b->n, m, b->p, q, bad, keep);
	b->p = q;
	b->n = m;
	b->seed = mt_rand(rng);
	mt_fill(q, m, b->seed);
	return (old);
}

#endif /* !STRESS_BLOCK_H */
