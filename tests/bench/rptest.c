/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * rptest: random-size producer/consumer across threads with a big working
 * set, in the manner of rpmalloc's rptest.  Every thread allocates
 * "batch" blocks per round and keeps its blocks for "gens" rounds (the
 * number is chosen so that all threads together hold about "mib" MiB),
 * then retires the oldest round's blocks in random order: "cross" percent
 * of them go to another thread chosen at random, through its mailbox
 * (mbox.h), and that thread frees them; it frees the rest itself.  So
 * every thread both allocates and frees blocks other threads allocated,
 * while a large live set spread over many size classes stays in place.
 * Sizes run from 16 B to 16 KiB, skewed small: the doubling a size falls
 * in is the number of doublings times the product of two uniform draws,
 * so most blocks are small while most bytes are in the large ones.
 * Every block is checked before it is freed.
 *
 * Locking: a thread's generations and open messages are its own; the
 * mailboxes are lock-free (mbox.h), and a sender waits (freeing its own
 * mail meanwhile) while its receiver has "depth" messages unfreed.
 */

#include <pthread.h>
#include <sched.h>

#include "mbox.h"

static long threads = 2;
static long mib = 32;
static long minsize = 16;
static long maxsize = 16384;
static long batch = 1024;
static long rounds = 400;
static long cross = 50;
static long msgsize = 256;
static long depth = 16;
static long seed = 1;

static const struct bench_opt opts[] = {
	{ "threads", &threads, "threads" },
	{ "mib", &mib, "live MiB of all threads together (about)" },
	{ "min", &minsize, "smallest block size (at least 8)" },
	{ "max", &maxsize, "largest block size" },
	{ "batch", &batch, "blocks a thread allocates per round" },
	{ "rounds", &rounds, "rounds per thread" },
	{ "cross", &cross, "percent of retired blocks freed by another "
	    "thread" },
	{ "msg", &msgsize, "blocks per message to another thread" },
	{ "depth", &depth, "messages a mailbox holds before senders wait" },
	{ "seed", &seed, "PRNG seed" },
	{ NULL, NULL, NULL }
};

struct worker {
	pthread_t	 thr;
	long		 id;
	uint64_t	 seed;
	void		**gen;		/* gens x batch blocks */
	struct mbox_msg	**out;
	uint64_t	 allocs;
	uint64_t	 frees;
	uint64_t	 remote;
};

static struct worker *workers;
static struct mbox *boxes;
static _Atomic(long) running;
static long gens;
static int doublings;

static size_t
pick_size(struct bench_rng *rng)
{
	uint64_t u1, u2;
	size_t lo, hi;
	int e;

	u1 = bench_rng_next(rng) >> 32;
	u2 = bench_rng_next(rng) >> 32;
	e = (int)(((u1 * u2) >> 32) * (uint64_t)(doublings + 1) >> 32);
	lo = (size_t)minsize << e;
	hi = lo * 2 - 1;
	if (hi > (size_t)maxsize)
		hi = (size_t)maxsize;
	return (bench_rng_range(rng, lo, hi));
}

static void
release(struct worker *w, void *p)
{

	bench_check(p, 0, 0, "rptest");
	w->frees++;
	free(p);
}

static void
drain(struct worker *w)
{
	struct mbox_msg *m, *next;
	long i, n;

	for (m = mbox_take(&boxes[w->id]); m != NULL; m = next) {
		next = m->next;
		n = m->n;
		for (i = 0; i < n; i++)
			release(w, m->obj[i]);
		w->remote += (uint64_t)n;
		free(m);
		mbox_done(&boxes[w->id], n);
	}
}

static void
push(struct worker *w, long d)
{

	while (mbox_pending(&boxes[d]) >= depth * msgsize) {
		drain(w);
		sched_yield();
	}
	mbox_push(&boxes[d], w->out[d]);
	w->out[d] = NULL;
}

static void
hand_off(struct worker *w, struct bench_rng *rng, void *p)
{
	struct mbox_msg *m;
	long d;

	d = (long)bench_rng_below(rng, (uint64_t)threads - 1);
	if (d >= w->id)
		d++;
	if ((m = w->out[d]) == NULL)
		m = w->out[d] = mbox_msg_new(msgsize);
	m->obj[m->n++] = p;
	if (m->n == msgsize)
		push(w, d);
}

/* Free or hand on one generation's blocks, in random order. */
static void
retire(struct worker *w, struct bench_rng *rng, void **g)
{
	void *p;
	long i, j;

	for (i = batch - 1; i >= 0; i--) {
		j = (long)bench_rng_below(rng, (uint64_t)i + 1);
		p = g[j];
		g[j] = g[i];
		g[i] = NULL;
		if (cross > 0 && (long)bench_rng_below(rng, 100) < cross)
			hand_off(w, rng, p);
		else
			release(w, p);
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w;
	struct bench_rng rng;
	void **g;
	size_t size;
	long r, i;

	w = arg;
	bench_rng_seed(&rng, w->seed);
	for (r = 0; r < rounds; r++) {
		g = w->gen + (r % gens) * batch;
		if (r >= gens)
			retire(w, &rng, g);
		for (i = 0; i < batch; i++) {
			size = pick_size(&rng);
			g[i] = bench_nonnull(malloc(size), size);
			bench_fill(g[i], size, (uint32_t)bench_rng_next(&rng));
		}
		w->allocs += (uint64_t)batch;
		drain(w);
	}
	/* Retire what is left, oldest first, then deliver the open mail. */
	r = rounds < gens ? 0 : rounds;
	for (i = 0; i < (rounds < gens ? rounds : gens); i++)
		retire(w, &rng, w->gen + ((r + i) % gens) * batch);
	for (i = 0; i < threads; i++)
		if (w->out[i] != NULL)
			push(w, i);
	atomic_fetch_sub(&running, 1);
	while (atomic_load(&running) > 0) {
		drain(w);
		sched_yield();
	}
	drain(w);
	return (NULL);
}

int
main(int argc, char **argv)
{
	struct bench_rng rng;
	struct worker *w;
	uint64_t t0, allocs, frees, nremote;
	double mean;
	char extra[128];
	long i;
	int error;

	bench_args(argc, argv, opts, NULL);
	if (threads < 1 || mib < 1 || minsize < 8 || maxsize < minsize ||
	    batch < 1 || rounds < 1 || cross < 0 || cross > 100 ||
	    msgsize < 1 || depth < 1)
		bench_die(2, "bad parameters (min must be at least 8)");
	if (cross > 0 && threads < 2)
		bench_die(2, "cross-thread frees need at least 2 threads");
	doublings = 0;
	while (((size_t)minsize << (doublings + 1)) <= (size_t)maxsize)
		doublings++;
	/* The mean size, from a sample, sets how many rounds are kept. */
	bench_rng_seed(&rng, (uint64_t)seed ^ 0x5eed);
	mean = 0;
	for (i = 0; i < 65536; i++)
		mean += (double)pick_size(&rng);
	mean /= 65536;
	gens = (long)((double)mib * 1048576.0 / ((double)threads *
	    (double)batch * mean));
	if (gens < 2)
		gens = 2;
	bench_rng_seed(&rng, (uint64_t)seed);
	t0 = bench_now_ns();
	workers = bench_nonnull(calloc((size_t)threads, sizeof(*workers)),
	    (size_t)threads * sizeof(*workers));
	boxes = bench_nonnull(aligned_alloc(64, (size_t)threads *
	    sizeof(*boxes)), (size_t)threads * sizeof(*boxes));
	atomic_store(&running, threads);
	for (i = 0; i < threads; i++) {
		mbox_init(&boxes[i]);
		w = &workers[i];
		w->id = i;
		w->seed = bench_rng_next(&rng);
		w->gen = bench_nonnull(calloc((size_t)(gens * batch),
		    sizeof(void *)), (size_t)(gens * batch) * sizeof(void *));
		w->out = bench_nonnull(calloc((size_t)threads,
		    sizeof(*w->out)), (size_t)threads * sizeof(*w->out));
	}
	for (i = 0; i < threads; i++) {
		error = pthread_create(&workers[i].thr, NULL, worker_main,
		    &workers[i]);
		if (error != 0)
			bench_die(1, "pthread_create: %s", strerror(error));
	}
	allocs = frees = nremote = 0;
	for (i = 0; i < threads; i++) {
		w = &workers[i];
		pthread_join(w->thr, NULL);
		allocs += w->allocs;
	}
	for (i = 0; i < threads; i++) {
		w = &workers[i];
		drain(w);
		frees += w->frees;
		nremote += w->remote;
		free(w->gen);
		free(w->out);
	}
	free(boxes);
	free(workers);
	if (frees != allocs)
		bench_die(1, "%llu blocks allocated, %llu freed",
		    (unsigned long long)allocs, (unsigned long long)frees);
	snprintf(extra, sizeof(extra), "gens=%ld mean_size=%.0f "
	    "live_mib=%.1f remote_pct=%.1f", gens, mean,
	    (double)(threads * gens * batch) * mean / 1048576.0,
	    100.0 * (double)nremote / (double)(frees > 0 ? frees : 1));
	bench_result("rptest", allocs + frees, bench_now_ns() - t0, extra);
	return (0);
}
