/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * mix: the allocation mix of a program that builds strings and vectors.
 * A set of live containers grows by appends: a string grows by realloc to
 * the exact new length (as naive string-building code does), a vector
 * doubles its capacity when full.  Each container has a random final length
 * (log-uniform, 64 bytes to 256 KiB for strings, to 1 MiB for vectors), so
 * growth crosses the small classes, the page runs and the large sizes, and
 * an allocator that can grow in place gains.  When it is full a container
 * is checked byte by byte and freed, and a new one starts.  Between the
 * appends, short-lived temporaries of every size class up to 16 KiB pass
 * through a small FIFO.  Single thread, no locking.
 */

#include "bench.h"

static long iters = 8000000;
static long live = 2000;
static long fifo = 64;
static long maxstr = 262144;
static long maxvec = 1048576;
static long seed = 1;

static const struct bench_opt opts[] = {
	{ "iters", &iters, "steps (one append and one temporary each)" },
	{ "live", &live, "containers alive at once" },
	{ "fifo", &fifo, "temporaries alive at once" },
	{ "maxstr", &maxstr, "largest final string length" },
	{ "maxvec", &maxvec, "largest final vector length in bytes" },
	{ "seed", &seed, "PRNG seed" },
	{ NULL, NULL, NULL }
};

struct container {
	unsigned char	*p;
	size_t		 len;
	size_t		 cap;
	size_t		 maxlen;
	uint32_t	 seed;
	int		 vector;
};

static inline unsigned char
content(uint32_t s, size_t i)
{

	return ((unsigned char)(s * 131 + i * 7 + (i >> 8) + (i >> 16)));
}

static void
verify(const struct container *c, const char *where)
{
	size_t i;

	for (i = 0; i < c->len; i++)
		if (c->p[i] != content(c->seed, i))
			bench_die(BENCH_EXIT_CORRUPT,
			    "mix: %s: container %p byte %zu of %zu is wrong",
			    where, (void *)c->p, i, c->len);
}

static uint64_t
step(struct container *c, struct bench_rng *rng)
{
	size_t add, need, i;

	if (c->p == NULL) {
		c->vector = bench_rng_below(rng, 5) < 2;
		c->maxlen = bench_rng_logsize(rng, 64,
		    (size_t)(c->vector ? maxvec : maxstr));
		c->seed = (uint32_t)bench_rng_next(rng);
		c->len = 0;
		c->cap = c->vector ? 64 : 16;
		c->p = bench_nonnull(malloc(c->cap), c->cap);
		return (1);
	}
	if (c->vector)
		add = 8 * bench_rng_range(rng, 1, 16);
	else
		add = bench_rng_range(rng, 1, 64);
	need = c->len + add + (c->vector ? 0 : 1);
	if (need > c->cap) {
		if (c->vector) {
			while (c->cap < need)
				c->cap *= 2;
		} else
			c->cap = need;
		c->p = bench_nonnull(realloc(c->p, c->cap), c->cap);
		/* The first and last bytes must have moved along. */
		if (c->len > 0 && (c->p[0] != content(c->seed, 0) ||
		    c->p[c->len - 1] != content(c->seed, c->len - 1)))
			bench_die(BENCH_EXIT_CORRUPT,
			    "mix: realloc lost the contents of %p",
			    (void *)c->p);
	}
	for (i = c->len; i < c->len + add; i++)
		c->p[i] = content(c->seed, i);
	c->len += add;
	if (!c->vector)
		c->p[c->len] = '\0';
	if (c->len >= c->maxlen) {
		verify(c, "full");
		free(c->p);
		c->p = NULL;
	}
	return (1);
}

int
main(int argc, char **argv)
{
	struct bench_rng rng;
	struct container *cs;
	void **tmp;
	uint32_t *tmptag;
	size_t *tmpsize;
	uint64_t t0, ops;
	long i, k, t;

	bench_args(argc, argv, opts, NULL);
	if (iters < 1 || live < 1 || fifo < 1 || maxstr < 64 || maxvec < 64)
		bench_die(2, "bad parameters");
	bench_rng_seed(&rng, (uint64_t)seed);
	t0 = bench_now_ns();
	cs = bench_nonnull(calloc((size_t)live, sizeof(*cs)),
	    (size_t)live * sizeof(*cs));
	tmp = bench_nonnull(calloc((size_t)fifo, sizeof(*tmp)),
	    (size_t)fifo * sizeof(*tmp));
	tmpsize = bench_nonnull(calloc((size_t)fifo, sizeof(*tmpsize)),
	    (size_t)fifo * sizeof(*tmpsize));
	tmptag = bench_nonnull(calloc((size_t)fifo, sizeof(*tmptag)),
	    (size_t)fifo * sizeof(*tmptag));
	ops = 0;
	for (i = 0; i < iters; i++) {
		k = (long)bench_rng_below(&rng, (uint64_t)live);
		ops += step(&cs[k], &rng);
		t = i % fifo;
		if (tmp[t] != NULL) {
			bench_check(tmp[t], tmpsize[t], tmptag[t], "mix");
			free(tmp[t]);
		}
		tmpsize[t] = bench_rng_logsize(&rng, 16, 16384);
		tmptag[t] = (uint32_t)i;
		tmp[t] = bench_nonnull(malloc(tmpsize[t]), tmpsize[t]);
		bench_fill(tmp[t], tmpsize[t], tmptag[t]);
		ops++;
	}
	for (k = 0; k < live; k++) {
		if (cs[k].p != NULL) {
			verify(&cs[k], "end");
			free(cs[k].p);
		}
	}
	for (t = 0; t < fifo; t++) {
		if (tmp[t] != NULL) {
			bench_check(tmp[t], tmpsize[t], tmptag[t], "mix");
			free(tmp[t]);
		}
	}
	free(tmptag);
	free(tmpsize);
	free(tmp);
	free(cs);
	bench_result("mix", ops, bench_now_ns() - t0, NULL);
	return (0);
}
