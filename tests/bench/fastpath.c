/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * fastpath: single-threaded malloc/free throughput, the path that a thread
 * cache exists for.  mode=fixed cycles through a few fixed small sizes and
 * for each one runs a malloc/free pair loop and a batch loop (allocate a
 * batch, free it in allocation order), so both the hot pair and the cache
 * fill and flush are timed.  mode=random keeps a bounded live set of slots
 * and replaces a random slot each step with an object of a random size
 * between 8 bytes and 1 KiB, as a program with a steady working set does.
 * Every object is tagged and checked before it is freed.  Single thread, no
 * locking.
 */

#include "bench.h"

static const char *modes[] = { "fixed", "random", NULL };

static long iters = 20000000;
static long live = 4096;
static long batch = 256;
static long minsize = 8;
static long maxsize = 1024;
static long seed = 1;

static const struct bench_opt opts[] = {
	{ "iters", &iters, "malloc/free pairs in total" },
	{ "live", &live, "random mode: slots in the live set" },
	{ "batch", &batch, "fixed mode: objects per batch" },
	{ "min", &minsize, "random mode: smallest size" },
	{ "max", &maxsize, "random mode: largest size" },
	{ "seed", &seed, "PRNG seed" },
	{ NULL, NULL, NULL }
};

static const size_t fixed_sizes[] = { 16, 32, 48, 64, 128, 256, 512 };
#define	NFIXED	(sizeof(fixed_sizes) / sizeof(fixed_sizes[0]))

static uint64_t
run_fixed(void)
{
	unsigned char *p;
	void **v;
	uint64_t ops, per;
	size_t i, k, size;
	long b, j;

	v = bench_nonnull(malloc((size_t)batch * sizeof(*v)),
	    (size_t)batch * sizeof(*v));
	ops = 0;
	/* Half the pairs in the pair loop, half in batches. */
	per = (uint64_t)iters / NFIXED / 2;
	for (k = 0; k < NFIXED; k++) {
		size = fixed_sizes[k];
		for (i = 0; i < per; i++) {
			p = bench_nonnull(malloc(size), size);
			p[0] = (unsigned char)i;
			p[size - 1] = (unsigned char)k;
			bench_escape(p);
			if (p[0] != (unsigned char)i ||
			    p[size - 1] != (unsigned char)k)
				bench_die(BENCH_EXIT_CORRUPT,
				    "fixed: object %p changed under us",
				    (void *)p);
			free(p);
		}
		ops += per;
		for (j = 0; (uint64_t)j * (uint64_t)batch < per; j++) {
			for (b = 0; b < batch; b++) {
				v[b] = bench_nonnull(malloc(size), size);
				bench_fill(v[b], size, (uint32_t)b);
			}
			for (b = 0; b < batch; b++) {
				bench_check(v[b], size, (uint32_t)b, "fixed");
				free(v[b]);
			}
			ops += (uint64_t)batch;
		}
	}
	free(v);
	return (ops);
}

static uint64_t
run_random(void)
{
	struct bench_rng rng;
	void **slot;
	uint32_t *tags;
	size_t *sizes, size;
	uint64_t i;
	long k;

	bench_rng_seed(&rng, (uint64_t)seed);
	slot = calloc((size_t)live, sizeof(*slot));
	sizes = calloc((size_t)live, sizeof(*sizes));
	tags = calloc((size_t)live, sizeof(*tags));
	if (slot == NULL || sizes == NULL || tags == NULL)
		bench_die(BENCH_EXIT_NOMEM, "no memory for the live set");
	for (i = 0; i < (uint64_t)iters; i++) {
		k = (long)bench_rng_below(&rng, (uint64_t)live);
		if (slot[k] != NULL) {
			bench_check(slot[k], sizes[k], tags[k], "random");
			free(slot[k]);
		}
		size = bench_rng_range(&rng, (size_t)minsize, (size_t)maxsize);
		slot[k] = bench_nonnull(malloc(size), size);
		sizes[k] = size;
		tags[k] = (uint32_t)i;
		bench_fill(slot[k], size, tags[k]);
	}
	for (k = 0; k < live; k++) {
		if (slot[k] != NULL) {
			bench_check(slot[k], sizes[k], tags[k], "random");
			free(slot[k]);
		}
	}
	free(tags);
	free(sizes);
	free(slot);
	return ((uint64_t)iters);
}

int
main(int argc, char **argv)
{
	const char *mode;
	uint64_t t0, ops;
	char name[32];

	mode = bench_args(argc, argv, opts, modes);
	if (iters < 1 || live < 1 || batch < 1 || minsize < 1 ||
	    maxsize < minsize)
		bench_die(2, "bad parameters");
	t0 = bench_now_ns();
	if (strcmp(mode, "fixed") == 0)
		ops = run_fixed();
	else
		ops = run_random();
	snprintf(name, sizeof(name), "fastpath-%s", mode);
	bench_result(name, ops, bench_now_ns() - t0, NULL);
	return (0);
}
