/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * frag: fragmentation and resident memory over time.  A long-running mix
 * whose live set grows to a target, churns there, loses nine objects in ten
 * in one burst (the survivors scattered over the whole heap), grows back
 * to the target with a different size mix (so the holes must be reused by
 * other size classes), churns again, and is finally freed.  The resident
 * set size is printed at the end of every phase, not only the peak, so the
 * runner can show how much memory each allocator keeps after the burst and
 * how well it reuses it.  Sizes in the first half are mostly 16 bytes to
 * 1 KiB with one in ten up to 64 KiB; in the second half 32 bytes to
 * 4 KiB with one in ten up to 128 KiB.  Single thread, no locking.
 */

#include "bench.h"

static long mib = 256;
static long steady = 4000000;
static long keep = 10;
static long seed = 1;

static const struct bench_opt opts[] = {
	{ "mib", &mib, "target live set in MiB" },
	{ "steady", &steady, "replacements in each steady phase" },
	{ "keep", &keep, "percent of objects that survive the burst" },
	{ "seed", &seed, "PRNG seed" },
	{ NULL, NULL, NULL }
};

static struct bench_rng rng;
static void **obj;
static size_t nobj, cap;
static size_t livebytes;
static uint64_t nops;
static uint32_t tagseq;
static int second;

static size_t
pick_size(void)
{

	if (bench_rng_below(&rng, 10) == 0)
		return (second ? bench_rng_logsize(&rng, 4096, 131072) :
		    bench_rng_logsize(&rng, 1024, 65536));
	return (second ? bench_rng_logsize(&rng, 32, 4096) :
	    bench_rng_logsize(&rng, 16, 1024));
}

static void
add_one(void)
{
	size_t size;

	if (nobj == cap) {
		cap = cap == 0 ? 4096 : cap * 2;
		obj = bench_nonnull(realloc(obj, cap * sizeof(*obj)),
		    cap * sizeof(*obj));
	}
	size = pick_size();
	obj[nobj] = bench_nonnull(malloc(size), size);
	bench_fill(obj[nobj], size, tagseq++);
	nobj++;
	livebytes += size;
	nops++;
}

static void
drop_one(size_t k)
{

	livebytes -= bench_check(obj[k], 0, 0, "frag");
	free(obj[k]);
	obj[k] = obj[--nobj];
	nops++;
}

static void
phase(const char *name)
{

	printf("PHASE name=%s objs=%zu live_kib=%zu rss_kib=%ld\n", name,
	    nobj, livebytes / 1024, bench_rss_kib());
	fflush(stdout);
}

static void
grow(size_t target)
{

	/* One free for every three allocations on the way up. */
	while (livebytes < target) {
		if (nobj > 0 && bench_rng_below(&rng, 4) == 0)
			drop_one((size_t)bench_rng_below(&rng, nobj));
		else
			add_one();
	}
}

static void
churn(size_t target)
{
	long i;

	for (i = 0; i < steady; i++) {
		if (livebytes >= target && nobj > 0)
			drop_one((size_t)bench_rng_below(&rng, nobj));
		else
			add_one();
	}
}

static void
burst(void)
{
	size_t k;

	k = 0;
	while (k < nobj) {
		if ((long)bench_rng_below(&rng, 100) >= keep)
			drop_one(k);	/* moves the last object to k */
		else
			k++;
	}
}

int
main(int argc, char **argv)
{
	uint64_t t0;
	size_t target;

	bench_args(argc, argv, opts, NULL);
	if (mib < 1 || steady < 0 || keep < 0 || keep > 100)
		bench_die(2, "bad parameters");
	bench_rng_seed(&rng, (uint64_t)seed);
	target = (size_t)mib << 20;
	t0 = bench_now_ns();
	phase("start");
	grow(target);
	phase("grow");
	churn(target);
	phase("steady");
	burst();
	phase("burst");
	second = 1;
	grow(target);
	phase("regrow");
	churn(target);
	phase("steady2");
	while (nobj > 0)
		drop_one(nobj - 1);
	free(obj);
	obj = NULL;
	phase("end");
	bench_result("frag", nops, bench_now_ns() - t0, NULL);
	return (0);
}
