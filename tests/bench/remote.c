/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * remote: server-style remote frees.  Each worker thread holds a live set
 * of "live" objects of random sizes in its own slots and replaces a random
 * slot at every step, as a server's connection threads keep thousands of
 * buffers and replace them one by one.  The object taken out of the slot
 * is freed by the worker itself, or, for "remote" percent of the steps,
 * handed to another worker chosen at random (through that worker's
 * mailbox, in batches, see mbox.h), which frees it: so that share of all
 * frees are frees of blocks another thread allocated, as when a request
 * built by one thread is released by another.  With life > 0 a worker
 * lives only that many steps, and a fresh thread takes over its slots and
 * mailbox, so it also frees the blocks of a thread that has exited (as in
 * Larson and Krishnan's benchmark).  Each object's tag carries the serial
 * number of the thread life that allocated it, so the program measures
 * the share of frees that really were remote and prints it (remote_pct);
 * every object is checked before it is freed.  A sender waits (freeing
 * its own mail meanwhile) while the receiver has "depth" messages
 * unfreed, and a worker that is done keeps freeing its mail until every
 * worker is done: otherwise a descheduled or finished receiver would let
 * the live set grow without bound, which no server does.
 *
 * Locking: a worker's slots and open messages belong to the thread that
 * lives in that worker; mailboxes are lock-free (mbox.h).  A worker's
 * counters are read by the main thread only after it joined the thread.
 */

#include <pthread.h>
#include <sched.h>

#include "mbox.h"

static long threads = 2;
static long live = 5000;
static long ops = 1000000;
static long minsize = 8;
static long maxsize = 1000;
static long remote = 50;
static long batch = 64;
static long depth = 16;
static long life = 0;
static long seed = 1;

static const struct bench_opt opts[] = {
	{ "threads", &threads, "worker threads" },
	{ "live", &live, "live objects per worker" },
	{ "ops", &ops, "replacements per worker" },
	{ "min", &minsize, "smallest object size (at least 8)" },
	{ "max", &maxsize, "largest object size" },
	{ "remote", &remote, "percent of frees done by another thread" },
	{ "batch", &batch, "objects per message to another thread" },
	{ "depth", &depth, "messages a mailbox holds before senders wait" },
	{ "life", &life, "steps a thread lives before a fresh one takes "
	    "over its slots (0: threads live to the end)" },
	{ "seed", &seed, "PRNG seed" },
	{ NULL, NULL, NULL }
};

/* The low bits of a tag name the thread life that allocated the object. */
#define	SERIAL_MASK	0xffffU

struct worker {
	pthread_t	 thr;
	long		 id;
	uint32_t	 serial;
	uint64_t	 seed;
	long		 nops;
	void		**obj;
	struct mbox_msg	**out;
	uint64_t	 ops;
	uint64_t	 frees;
	uint64_t	 remote;
};

static struct worker *workers;
static struct mbox *boxes;
static _Atomic(long) running;

static void
release(struct worker *w, void *p)
{
	uint32_t hdr[2];

	memcpy(hdr, p, sizeof(hdr));
	bench_check(p, 0, 0, "remote");
	w->frees++;
	if ((hdr[1] & SERIAL_MASK) != (w->serial & SERIAL_MASK))
		w->remote++;
	free(p);
}

static void *
fresh(struct worker *w, struct bench_rng *rng)
{
	void *p;
	size_t size;

	size = bench_rng_range(rng, (size_t)minsize, (size_t)maxsize);
	p = bench_nonnull(malloc(size), size);
	bench_fill(p, size, ((uint32_t)bench_rng_next(rng) & ~SERIAL_MASK) |
	    (w->serial & SERIAL_MASK));
	return (p);
}

/* Free whatever other workers sent to this one. */
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
		free(m);
		mbox_done(&boxes[w->id], n);
	}
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
		m = w->out[d] = mbox_msg_new(batch);
	m->obj[m->n++] = p;
	if (m->n == batch) {
		while (mbox_pending(&boxes[d]) >= depth * batch) {
			drain(w);
			sched_yield();
		}
		mbox_push(&boxes[d], m);
		w->out[d] = NULL;
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w;
	struct bench_rng rng;
	long i, k;

	w = arg;
	bench_rng_seed(&rng, w->seed);
	/* The first life allocates the worker's live set itself. */
	for (k = 0; k < live; k++)
		if (w->obj[k] == NULL)
			w->obj[k] = fresh(w, &rng);
	for (i = 0; i < w->nops; i++) {
		k = (long)bench_rng_below(&rng, (uint64_t)live);
		if (remote > 0 && (long)bench_rng_below(&rng, 100) < remote)
			hand_off(w, &rng, w->obj[k]);
		else
			release(w, w->obj[k]);
		w->obj[k] = fresh(w, &rng);
		if ((i & 15) == 0)
			drain(w);
	}
	w->ops += (uint64_t)w->nops;
	/* Deliver what is still open before this life ends. */
	for (k = 0; k < threads; k++)
		if (w->out[k] != NULL) {
			mbox_push(&boxes[k], w->out[k]);
			w->out[k] = NULL;
		}
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
	uint64_t t0, total, frees, nremote;
	uint32_t serial;
	char extra[96];
	long i, k, done, n, per;
	int error;

	bench_args(argc, argv, opts, NULL);
	if (threads < 1 || live < 1 || ops < 1 || minsize < 8 ||
	    maxsize < minsize || remote < 0 || remote > 100 || batch < 1 ||
	    depth < 1 || life < 0)
		bench_die(2, "bad parameters (min must be at least 8)");
	if (remote > 0 && threads < 2)
		bench_die(2, "remote frees need at least 2 threads");
	bench_rng_seed(&rng, (uint64_t)seed);
	t0 = bench_now_ns();
	workers = bench_nonnull(calloc((size_t)threads, sizeof(*workers)),
	    (size_t)threads * sizeof(*workers));
	boxes = bench_nonnull(aligned_alloc(64, (size_t)threads *
	    sizeof(*boxes)), (size_t)threads * sizeof(*boxes));
	for (i = 0; i < threads; i++) {
		mbox_init(&boxes[i]);
		w = &workers[i];
		w->id = i;
		w->obj = bench_nonnull(calloc((size_t)live, sizeof(void *)),
		    (size_t)live * sizeof(void *));
		w->out = bench_nonnull(calloc((size_t)threads,
		    sizeof(*w->out)), (size_t)threads * sizeof(*w->out));
	}
	/* Serial 0 is the main thread's; thread lives count from 1. */
	serial = 1;
	per = life > 0 ? life : ops;
	for (done = 0; done < ops; done += n) {
		n = per < ops - done ? per : ops - done;
		atomic_store(&running, threads);
		for (i = 0; i < threads; i++) {
			w = &workers[i];
			w->seed = bench_rng_next(&rng);
			w->serial = serial++;
			w->nops = n;
			error = pthread_create(&w->thr, NULL, worker_main, w);
			if (error != 0)
				bench_die(1, "pthread_create: %s",
				    strerror(error));
		}
		for (i = 0; i < threads; i++)
			pthread_join(workers[i].thr, NULL);
	}
	total = frees = nremote = 0;
	for (i = 0; i < threads; i++) {
		total += workers[i].ops;
		frees += workers[i].frees;
		nremote += workers[i].remote;
	}
	/* What is left is freed by the main thread and not counted. */
	for (i = 0; i < threads; i++) {
		w = &workers[i];
		w->serial = 0;
		drain(w);
		for (k = 0; k < live; k++)
			release(w, w->obj[k]);
		free(w->obj);
		free(w->out);
	}
	free(boxes);
	free(workers);
	snprintf(extra, sizeof(extra), "remote_pct=%.1f",
	    frees > 0 ? 100.0 * (double)nremote / (double)frees : 0.0);
	bench_result("remote", total, bench_now_ns() - t0, extra);
	return (0);
}
