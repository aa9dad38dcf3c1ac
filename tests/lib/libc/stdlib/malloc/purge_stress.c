/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * purge_stress: a program that purge_race_test runs in a child process,
 * with the options of a test case in MALLOC_CONF, to race purges of one
 * arena against allocation and free in that arena.
 *
 *   purge_stress MODE SECONDS
 *
 * Two worker threads each loop over 64 slots: an empty slot gets a block
 * of 16 KiB to 256 KiB (one time in 32, 1 to 5 MiB, so that whole
 * superpage spans are purged too) filled with a byte of its own; a full
 * slot has its first, its last and every 4096th byte checked against
 * that fill before it is freed.  A block that another block overlaps, or
 * that a purge zeroed, fails the check: the program prints "CORRUPT" with
 * the address, the offset and the two bytes on stderr and exits 1.  MODE
 * adds threads that make the race likely:
 *
 *   workers	none: the options (decay 0, a background thread) do it
 *   purge	two threads loop on arena.<all>.purge
 *   decay	two threads loop on arena.<all>.decay
 *   decayms	one thread writes 0, 1 and 10 to every arena's
 *		dirty_decay_ms and muzzy_decay_ms in turn
 *   reset	one worker uses an explicit arena (MALLOCX_ARENA, no thread
 *		cache) that one thread purges, and another purges every
 *		arena; a third thread allocates and
 *		checks blocks in a second explicit arena, resets it, and
 *		every 64 rounds destroys it and creates another
 *   fork	as reset, and a thread forks every 2 ms; the child checks
 *		blocks of its own, purges, destroys the purged explicit arena (which
 *		waits for purges in flight: a purge that was in flight at the
 *		fork must not leave it waiting for ever) and exits; a child
 *		that does not exit within 10 s fails the run
 *   remote	as purge, and four more threads (more than the CPUs, so
 *		that threads share arenas) each keep REMOTE_LIVE small
 *		blocks (8 to 1000 bytes, every byte checked before the
 *		free); a step replaces a random block, and the old one is
 *		freed by its thread or, one time in two, passed through a
 *		mailbox to another thread, which checks and frees it: the
 *		remote frees, cache flushes to other arenas and slab
 *		releases of a server
 *
 * Exit status 0 after SECONDS with every check passed, 1 on corruption, 2
 * on a usage or mallctl error.  It is linked with libdomalloc.a (and, as
 * purge_stress_debug, with the DOMALLOC_DEBUG archive, whose invariant
 * checkers abort on a broken page allocator state).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <malloc_np.h>

#define	NSLOTS		64
#define	SMALLEST	((size_t)16384)
#define	SPREAD		((size_t)245760)
#define	HUGE_MIN	((size_t)1 << 20)
#define	HUGE_SPREAD	((size_t)4 << 20)
#define	STRIDE		4096
#define	ALL_ARENAS	4096	/* MALLCTL_ARENAS_ALL */

#define	REMOTE_THREADS	4
#define	REMOTE_LIVE	2000
#define	REMOTE_MBOX	1024	/* blocks a mailbox holds */
#define	REMOTE_MAX	1000

struct slot {
	unsigned char	*p;
	size_t		 n;
	unsigned char	 fill;
};

struct worker {
	pthread_t	 th;
	uint64_t	 rng;
	unsigned	 arena;		/* 0: the thread's own (malloc/free) */
	struct slot	 slots[NSLOTS];
};

static _Atomic bool stop;
static _Atomic unsigned explicit_arena;	/* the purged explicit arena */
static const char *mode;

static uint64_t
rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return (x);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static void
corrupt(const struct slot *s, size_t off)
{
	fprintf(stderr, "CORRUPT %s: block %p size %zu offset %zu: 0x%02x != "
	    "0x%02x\n", mode, (void *)s->p, s->n, off, s->p[off], s->fill);
	_exit(1);
}

static void
slot_check(const struct slot *s)
{
	size_t off;

	for (off = 0; off < s->n; off += STRIDE)
		if (s->p[off] != s->fill)
			corrupt(s, off);
	if (s->p[s->n - 1] != s->fill)
		corrupt(s, s->n - 1);
}

static void
ctl_fail(const char *name, int err)
{
	fprintf(stderr, "purge_stress: mallctl %s: %s\n", name, strerror(err));
	_exit(2);
}

static void
ctl_void(const char *name)
{
	int err;

	err = mallctl(name, NULL, NULL, NULL, 0);
	if (err != 0)
		ctl_fail(name, err);
}

static unsigned
arena_create(void)
{
	unsigned a;
	size_t len = sizeof(a);
	int err;

	err = mallctl("arenas.create", &a, &len, NULL, 0);
	if (err != 0)
		ctl_fail("arenas.create", err);
	return (a);
}

static void
arena_ctl(unsigned a, const char *op)
{
	char name[64];

	snprintf(name, sizeof(name), "arena.%u.%s", a, op);
	ctl_void(name);
}

static void *
block_alloc(unsigned arena, size_t n)
{
	if (arena == 0)
		return (malloc(n));
	return (mallocx(n, MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE));
}

static void
block_free(unsigned arena, void *p)
{
	if (arena == 0)
		free(p);
	else
		dallocx(p, MALLOCX_TCACHE_NONE);
}

/* One turn over a slot: check and free a block, or allocate and fill. */
static void
slot_turn(struct slot *s, unsigned arena, uint64_t *rng)
{
	uint64_t r;

	if (s->p != NULL) {
		slot_check(s);
		block_free(arena, s->p);
		s->p = NULL;
		return;
	}
	r = rnd(rng);
	s->n = (r & 31) == 0 ? HUGE_MIN + (size_t)(r >> 8) % HUGE_SPREAD :
	    SMALLEST + (size_t)(r >> 8) % SPREAD;
	s->fill = (unsigned char)((r >> 40) | 1);
	s->p = block_alloc(arena, s->n);
	if (s->p == NULL) {
		fprintf(stderr, "purge_stress: allocation of %zu failed\n",
		    s->n);
		_exit(2);
	}
	memset(s->p, s->fill, s->n);
}

static void
slots_drain(struct slot *slots, unsigned n, unsigned arena)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (slots[i].p != NULL) {
			slot_check(&slots[i]);
			block_free(arena, slots[i].p);
			slots[i].p = NULL;
		}
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned i;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		for (i = 0; i < 4 * NSLOTS; i++)
			slot_turn(&w->slots[rnd(&w->rng) % NSLOTS], w->arena,
			    &w->rng);
	}
	slots_drain(w->slots, NSLOTS, w->arena);
	return (NULL);
}

static void *
purger_main(void *arg)
{
	char name[64];
	unsigned a = (unsigned)(uintptr_t)arg;

	snprintf(name, sizeof(name), "arena.%u.%s", a,
	    strcmp(mode, "decay") == 0 ? "decay" : "purge");
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		ctl_void(name);
	return (NULL);
}

static void *
decayms_main(void *arg)
{
	static const ssize_t vals[] = { 0, 1, 10 };
	char name[64];
	unsigned i, k, n;
	size_t len = sizeof(n);
	ssize_t v;
	int err;

	(void)arg;
	for (k = 0; !atomic_load_explicit(&stop, memory_order_relaxed); k++) {
		if (mallctl("arenas.narenas", &n, &len, NULL, 0) != 0)
			ctl_fail("arenas.narenas", EINVAL);
		v = vals[k % 3];
		for (i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "arena.%u.%s", i,
			    k & 1 ? "muzzy_decay_ms" : "dirty_decay_ms");
			err = mallctl(name, NULL, NULL, &v, sizeof(v));
			/* Arenas not created yet answer EFAULT. */
			if (err != 0 && err != EFAULT)
				ctl_fail(name, err);
		}
		usleep(200);
	}
	return (NULL);
}

/*
 * Blocks in an arena of their own, discarded by reset; the arena is
 * destroyed and another created every 64 rounds (arena indices are a
 * finite resource, so the rounds are bounded).
 */
static void *
resetter_main(void *arg)
{
	struct slot slots[16];
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	unsigned a, i, k, round;

	(void)arg;
	a = arena_create();
	for (round = 1; !atomic_load_explicit(&stop, memory_order_relaxed) &&
	    round <= 64 * 32; round++) {
		memset(slots, 0, sizeof(slots));
		for (k = 0; k < 4; k++)
			for (i = 0; i < 16; i++)
				slot_turn(&slots[rnd(&rng) % 16], a, &rng);
		for (i = 0; i < 16; i++)
			if (slots[i].p != NULL)
				slot_check(&slots[i]);
		if (round % 64 == 0) {
			arena_ctl(a, "destroy");
			a = arena_create();
		} else
			arena_ctl(a, "reset");
	}
	arena_ctl(a, "destroy");
	return (NULL);
}

/*
 * The child of a fork: use the heap, purge, destroy, exit.  (The
 * workers' slots are not checked here: the fork may have caught one in
 * the middle of a fill.)
 */
static void
fork_child(void)
{
	struct slot slots[8];
	uint64_t rng = 12345;
	unsigned i;

	alarm(10);
	memset(slots, 0, sizeof(slots));
	for (i = 0; i < 64; i++)
		slot_turn(&slots[rnd(&rng) % 8], 0, &rng);
	slots_drain(slots, 8, 0);
	ctl_void("arena.4096.purge");
	arena_ctl(atomic_load(&explicit_arena), "destroy");
	_exit(0);
}

static void *
forker_main(void *arg)
{
	(void)arg;
	double deadline;
	pid_t pid, r;
	int status;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		pid = fork();
		if (pid < 0) {
			fprintf(stderr, "purge_stress: fork: %s\n",
			    strerror(errno));
			_exit(2);
		}
		if (pid == 0)
			fork_child();
		deadline = now() + 15;
		while ((r = waitpid(pid, &status, WNOHANG)) == 0 &&
		    now() < deadline)
			usleep(1000);
		if (r == 0) {
			kill(pid, SIGKILL);
			fprintf(stderr, "CORRUPT fork: the child hung (a purge "
			    "in flight at the fork never ended)\n");
			_exit(1);
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "CORRUPT fork: the child failed "
			    "(status 0x%x)\n", status);
			_exit(1);
		}
		usleep(2000);
	}
	return (NULL);
}

/* Blocks passed to a remote thread, which frees them.  Under lock. */
struct mbox {
	pthread_mutex_t	 lock;
	unsigned	 n;
	struct slot	 s[REMOTE_MBOX];
};

struct rworker {
	pthread_t	 th;
	unsigned	 id;
	uint64_t	 rng;
	struct slot	 slots[REMOTE_LIVE];
};

static struct mbox mboxes[REMOTE_THREADS];

/* Every byte of a small block, not a sample: slot_check's stride is 4096. */
static void
small_check(const struct slot *s)
{
	size_t off;

	for (off = 0; off < s->n; off++)
		if (s->p[off] != s->fill)
			corrupt(s, off);
}

static void
small_fill(struct slot *s, uint64_t *rng)
{
	uint64_t r = rnd(rng);

	s->n = 8 + (size_t)(r >> 8) % (REMOTE_MAX - 7);
	s->fill = (unsigned char)((r >> 40) | 1);
	s->p = malloc(s->n);
	if (s->p == NULL) {
		fprintf(stderr, "purge_stress: allocation of %zu failed\n",
		    s->n);
		_exit(2);
	}
	memset(s->p, s->fill, s->n);
}

/* Check and free what other threads sent; returns how many. */
static unsigned
mbox_drain(struct mbox *m)
{
	struct slot batch[REMOTE_MBOX];
	unsigned i, n;

	pthread_mutex_lock(&m->lock);
	n = m->n;
	memcpy(batch, m->s, n * sizeof(batch[0]));
	m->n = 0;
	pthread_mutex_unlock(&m->lock);
	for (i = 0; i < n; i++) {
		small_check(&batch[i]);
		free(batch[i].p);
	}
	return (n);
}

static void *
rworker_main(void *arg)
{
	struct rworker *w = arg;
	struct mbox *m;
	struct slot *s;
	unsigned i, to;
	bool sent;

	for (i = 0; i < REMOTE_LIVE; i++)
		small_fill(&w->slots[i], &w->rng);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		for (i = 0; i < 256; i++) {
			s = &w->slots[rnd(&w->rng) % REMOTE_LIVE];
			small_check(s);
			sent = false;
			if (rnd(&w->rng) & 1) {
				to = (w->id + 1 + (unsigned)(rnd(&w->rng) %
				    (REMOTE_THREADS - 1))) % REMOTE_THREADS;
				m = &mboxes[to];
				pthread_mutex_lock(&m->lock);
				if (m->n < REMOTE_MBOX) {
					m->s[m->n++] = *s;
					sent = true;
				}
				pthread_mutex_unlock(&m->lock);
			}
			if (!sent)
				free(s->p);
			small_fill(s, &w->rng);
		}
		(void)mbox_drain(&mboxes[w->id]);
	}
	for (i = 0; i < REMOTE_LIVE; i++) {
		small_check(&w->slots[i]);
		free(w->slots[i].p);
	}
	return (NULL);
}

static void
start(pthread_t *th, void *(*fn)(void *), void *arg)
{
	if (pthread_create(th, NULL, fn, arg) != 0) {
		fprintf(stderr, "purge_stress: pthread_create failed\n");
		_exit(2);
	}
}

int
main(int argc, char **argv)
{
	struct worker *w;
	struct rworker *rw = NULL;
	pthread_t extra[4];
	unsigned i, nextra = 0, target = ALL_ARENAS;
	double secs;
	bool expl;

	if (argc != 3 || (secs = atof(argv[2])) <= 0) {
		fprintf(stderr, "usage: purge_stress MODE SECONDS\n");
		return (2);
	}
	mode = argv[1];
	w = calloc(2, sizeof(*w));
	if (w == NULL)
		return (2);
	expl = strcmp(mode, "reset") == 0 || strcmp(mode, "fork") == 0;
	if (expl) {
		target = arena_create();
		atomic_store(&explicit_arena, target);
		w[1].arena = target;
	}
	for (i = 0; i < 2; i++) {
		w[i].rng = 0x2545f4914f6cdd1dULL * (i + 1) + (uint64_t)getpid();
		start(&w[i].th, worker_main, &w[i]);
	}
	if (strcmp(mode, "remote") == 0) {
		rw = calloc(REMOTE_THREADS, sizeof(*rw));
		if (rw == NULL)
			return (2);
		for (i = 0; i < REMOTE_THREADS; i++) {
			pthread_mutex_init(&mboxes[i].lock, NULL);
			rw[i].id = i;
			rw[i].rng = 0x9e3779b97f4a7c15ULL * (i + 3) +
			    (uint64_t)getpid();
			start(&rw[i].th, rworker_main, &rw[i]);
		}
	}
	if (strcmp(mode, "purge") == 0 || strcmp(mode, "decay") == 0 ||
	    strcmp(mode, "remote") == 0 || expl) {
		start(&extra[nextra++], purger_main, (void *)(uintptr_t)target);
		/*
		 * With explicit arenas, the second purger takes every arena,
		 * so that resets of the resetter's arena wait for purges in
		 * flight, and forks come while they wait.
		 */
		start(&extra[nextra++], purger_main, (void *)(uintptr_t)(expl ?
		    ALL_ARENAS : target));
	} else if (strcmp(mode, "decayms") == 0)
		start(&extra[nextra++], decayms_main, NULL);
	else if (strcmp(mode, "workers") != 0) {
		fprintf(stderr, "purge_stress: unknown mode %s\n", mode);
		return (2);
	}
	if (expl)
		start(&extra[nextra++], resetter_main, NULL);
	if (strcmp(mode, "fork") == 0)
		start(&extra[nextra++], forker_main, NULL);
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&stop, true);
	for (i = 0; i < 2; i++)
		pthread_join(w[i].th, NULL);
	for (i = 0; i < nextra; i++)
		pthread_join(extra[i], NULL);
	if (rw != NULL) {
		for (i = 0; i < REMOTE_THREADS; i++)
			pthread_join(rw[i].th, NULL);
		/* What was sent after its receiver's last drain. */
		for (i = 0; i < REMOTE_THREADS; i++)
			(void)mbox_drain(&mboxes[i]);
		free(rw);
	}
	free(w);
	return (0);
}
