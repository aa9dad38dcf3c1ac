/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * large: big allocations, 64 KiB to 32 MiB (log-uniform), allocated,
 * touched page by page and freed, with a few of them alive at once.  One
 * step in four reallocs a live object to a new large size instead, which
 * rewards growing and shrinking in place (or by remapping).  What this
 * measures is mostly how an allocator deals with the kernel: mapping,
 * faulting, purging and reusing page runs and superpage-sized spans.
 * Single thread, no locking.
 */

#include "bench.h"

static long iters = 20000;
static long live = 4;
static long minsize = 65536;
static long maxsize = 33554432;
static long seed = 1;

static const struct bench_opt opts[] = {
	{ "iters", &iters, "steps" },
	{ "live", &live, "objects alive at once" },
	{ "min", &minsize, "smallest size" },
	{ "max", &maxsize, "largest size" },
	{ "seed", &seed, "PRNG seed" },
	{ NULL, NULL, NULL }
};

int
main(int argc, char **argv)
{
	struct bench_rng rng;
	void **obj, *q;
	size_t *sizes, size;
	uint32_t *tags;
	uint64_t t0, bytes;
	long i, k;
	char extra[64];

	bench_args(argc, argv, opts, NULL);
	if (iters < 1 || live < 1 || minsize < 16 || maxsize < minsize)
		bench_die(2, "bad parameters");
	bench_rng_seed(&rng, (uint64_t)seed);
	t0 = bench_now_ns();
	obj = bench_nonnull(calloc((size_t)live, sizeof(*obj)),
	    (size_t)live * sizeof(*obj));
	sizes = bench_nonnull(calloc((size_t)live, sizeof(*sizes)),
	    (size_t)live * sizeof(*sizes));
	tags = bench_nonnull(calloc((size_t)live, sizeof(*tags)),
	    (size_t)live * sizeof(*tags));
	bytes = 0;
	for (i = 0; i < iters; i++) {
		k = (long)bench_rng_below(&rng, (uint64_t)live);
		size = bench_rng_logsize(&rng, (size_t)minsize,
		    (size_t)maxsize);
		if (obj[k] != NULL && bench_rng_below(&rng, 4) == 0) {
			bench_check(obj[k], sizes[k], tags[k], "large");
			q = bench_nonnull(realloc(obj[k], size), size);
			bench_check_prefix(q, sizes[k], size, tags[k],
			    "large");
			obj[k] = q;
		} else {
			if (obj[k] != NULL) {
				bench_check(obj[k], sizes[k], tags[k],
				    "large");
				free(obj[k]);
			}
			obj[k] = bench_nonnull(malloc(size), size);
		}
		sizes[k] = size;
		tags[k] = (uint32_t)i;
		bench_fill(obj[k], size, tags[k]);
		bytes += size;
	}
	for (k = 0; k < live; k++) {
		if (obj[k] != NULL) {
			bench_check(obj[k], sizes[k], tags[k], "large");
			free(obj[k]);
		}
	}
	free(tags);
	free(sizes);
	free(obj);
	snprintf(extra, sizeof(extra), "gib=%.2f", (double)bytes / 1073741824);
	bench_result("large", (uint64_t)iters, bench_now_ns() - t0, extra);
	return (0);
}
