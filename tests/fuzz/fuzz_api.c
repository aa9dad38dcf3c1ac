/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * fuzz_api: a libFuzzer target that turns its input into a sequence of
 * allocator calls on 1 to 4 threads and checks every result against a
 * shadow model.
 *
 * The first byte picks the number of threads; the rest of the input is
 * cut into that many equal streams, one per thread.  Each thread reads
 * operations from its stream (an opcode byte, then argument bytes) and
 * keeps its own 32 slots: the shadow of each live block is its address,
 * requested size, usable size (nallocx of the same request: domalloc's
 * usable size is exactly its size class), alignment, how it must be
 * freed (thread cache, explicit arena, explicit cache) and a seed byte
 * from which its contents follow.  Checked: every allocation succeeds,
 * is aligned, has the usable size the model predicts and does not
 * overlap a live block of the thread (its pattern is verified before
 * every free and every resize); calloc and MALLOCX_ZERO memory is zero;
 * realloc, rallocx and xallocx keep the old contents.  Operations:
 * malloc, calloc, realloc, free, posix_memalign, aligned_alloc, mallocx,
 * rallocx, xallocx, sdallocx, dallocx (with alignment, zero, explicit
 * arena and explicit cache flags), arena reset and destroy of the
 * thread's explicit arena (its blocks leave the model), tcache create,
 * flush and destroy, thread cache flush and enable, purge, decay and
 * decay time changes, and fork (the child checks and frees the forking
 * thread's blocks, allocates a little and exits; the parent requires
 * exit status 0).  A difference aborts with a line on stderr, which
 * libFuzzer reports as a crash with the input.
 *
 * Linked with libdomalloc_fuzz.a (the debug build, so its invariant
 * checkers run too, with coverage instrumentation).  The same file built
 * with -DFUZZ_STANDALONE and no libFuzzer is a plain driver that runs the
 * files named on its command line.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <malloc_np.h>

#include "fuzz_util.h"

#define	NSLOTS		32
#define	MAXTHREADS	4
#define	MAXOPS		512	/* per thread and input */
#define	CHECK_ALL	65536	/* bytes checked whole; beyond, sampled */
#define	NARENAS		MAXTHREADS
/* arenas.create is finite: destroys beyond this many become resets. */
#define	MAXDESTROY	256

#define	MIN(a, b)	((a) < (b) ? (a) : (b))

enum how { HOW_FREE, HOW_ARENA, HOW_TCACHE };

struct slot {
	unsigned char	*p;
	size_t		 size;		/* requested */
	size_t		 usize;		/* malloc_usable_size, predicted */
	size_t		 align;
	enum how	 how;
	unsigned	 tc;		/* HOW_TCACHE: the cache */
	unsigned char	 seed;
	bool		 zero;		/* contents are zero, not pattern */
};

struct thr {
	const uint8_t	*in;
	size_t		 len, pos;
	unsigned	 id;
	struct slot	 slots[NSLOTS];
	unsigned	 tc;		/* explicit cache, if has_tc */
	bool		 has_tc;
};

/* One explicit arena per thread slot, made once and reused. */
static unsigned arena_of[NARENAS];
static _Atomic unsigned ndestroyed;

#define	fail(...)	fuzz_fail("fuzz_api", __VA_ARGS__)

/* FUZZ_API_TRACE set: every operation on stderr, to study a failure. */
static bool tracing;

#define	TRACE(...) do {							\
	if (tracing)							\
		fprintf(stderr, __VA_ARGS__);				\
} while (0)

static unsigned
byte(struct thr *t)
{
	return (t->pos < t->len ? t->in[t->pos++] : 0);
}

/* A size: mostly small, sometimes a few pages, rarely up to 4 MiB. */
static size_t
size_arg(struct thr *t)
{
	unsigned k = byte(t), lo = byte(t), hi = byte(t);
	size_t v = (size_t)lo | (size_t)hi << 8;

	switch (k & 7) {
	case 0: case 1: case 2: case 3:
		return (v % 512);
	case 4: case 5:
		return (v % 16384);
	case 6:
		return (v * 4);			/* up to 256 KiB */
	default:
		return ((k & 0x80) ? v * 64 : v);	/* up to 4 MiB */
	}
}

/* A power of two from 16 (every block has that much) to 8 KiB. */
static size_t
align_arg(struct thr *t)
{
	return ((size_t)16 << (byte(t) % 10));
}

/*
 * A block's contents: its seed byte (odd, so never 0) in every byte, or
 * zeros.  Written with memset and compared with memcmp in 4 KiB chunks
 * against a row of that byte: the libc calls are not instrumented, so
 * the fuzzer's time goes to the allocator, not to the checks.
 */
static void
fill(struct slot *s)
{
	if (!s->zero)
		memset(s->p, s->seed, s->size);
}

#define	ROW	4096

static void
check_range(const struct slot *s, size_t from, size_t to)
{
	unsigned char row[ROW];
	unsigned char want = s->zero ? 0 : s->seed;
	size_t off, n, i;

	memset(row, want, sizeof(row));
	for (off = from; off < to; off += n) {
		n = to - off < ROW ? to - off : ROW;
		if (memcmp(s->p + off, row, n) == 0)
			continue;
		for (i = off; s->p[i] == want; i++)
			continue;
		fail("block %p (size %zu, usable %zu): byte %zu is 0x%02x, not "
		    "0x%02x", (void *)s->p, s->size, s->usize, i, s->p[i],
		    want);
	}
}

/* The first upto bytes of s hold what the model says. */
static void
check(const struct slot *s, size_t upto)
{
	size_t i;

	if (upto > s->size)
		upto = s->size;
	if (upto <= CHECK_ALL) {
		check_range(s, 0, upto);
		return;
	}
	/* Large blocks: a 64-byte window every 4093 bytes, and the end. */
	for (i = 0; i + 64 < upto; i += 4093)
		check_range(s, i, i + 64);
	check_range(s, upto - 1, upto);
}

/* A fresh block: aligned, the usable size predicted; then filled. */
static void
born(struct slot *s, void *p, size_t size, size_t align, int flags,
    enum how how, bool zero, struct thr *t)
{
	size_t u, want;

	if (p == NULL)
		fail("allocation of %zu bytes (align %zu, flags %#x) failed",
		    size, align, flags);
	if (((uintptr_t)p & (align - 1)) != 0 || ((uintptr_t)p & 15) != 0)
		fail("%p is not aligned to %zu", p, align);
	want = nallocx(size == 0 ? 1 : size, MALLOCX_ALIGN(align) |
	    (flags & MALLOCX_ZERO));
	u = malloc_usable_size(p);
	if (u != want || u < size)
		fail("%p: usable size %zu, nallocx(%zu, align %zu) says %zu",
		    p, u, size, align, want);
	TRACE("t%u born %p size %zu usable %zu align %zu how %d\n", t->id, p,
	    size, u, align, (int)how);
	s->p = p;
	s->size = size;
	s->usize = u;
	s->align = align;
	s->how = how;
	s->tc = t->tc;
	s->seed = (unsigned char)(byte(t) | 1);
	s->zero = zero;
	if (zero)
		check(s, size);
	s->zero = false;
	fill(s);
}

/* The flags a block's frees and resizes must carry. */
static int
flags_of(const struct slot *s, struct thr *t)
{
	int f = s->align > 16 ? MALLOCX_ALIGN(s->align) : 0;

	if (s->how == HOW_ARENA)
		f |= MALLOCX_ARENA(arena_of[t->id]) | MALLOCX_TCACHE_NONE;
	else if (s->how == HOW_TCACHE)
		f |= MALLOCX_TCACHE(s->tc);
	return (f);
}

static void
slot_free(struct slot *s, struct thr *t, unsigned how)
{
	int f = flags_of(s, t);

	TRACE("t%u free %p (%u) flags %#x\n", t->id, (void *)s->p, how, f);
	check(s, s->size);
	switch (s->how == HOW_FREE ? how % 4 : 2 + how % 2) {
	case 0:
		free(s->p);
		break;
	case 1:
		/* Any size from the request to the usable size is right. */
		sdallocx(s->p, s->size + (s->usize - s->size) / 2, f);
		break;
	case 2:
		dallocx(s->p, f);
		break;
	default:
		sdallocx(s->p, s->size, f);
		break;
	}
	s->p = NULL;
}

/*
 * Arena a is about to be reset or destroyed: its blocks leave the model.
 * Only blocks allocated in it may be there (arenas.lookup says where
 * each block is): a block that MALLOCX_TCACHE_NONE kept out of the
 * thread cache must never come back from it for another request.
 */
static void
drop_arena(struct thr *t, unsigned a)
{
	unsigned i, ind;
	size_t len;
	void *p;

	for (i = 0; i < NSLOTS; i++) {
		if ((p = t->slots[i].p) == NULL)
			continue;
		len = sizeof(ind);
		if (mallctl("arenas.lookup", &ind, &len, &p, sizeof(p)) != 0)
			fail("arenas.lookup(%p) failed", p);
		if (ind == a && t->slots[i].how != HOW_ARENA)
			fail("%p (how %d) is in explicit arena %u", p,
			    (int)t->slots[i].how, a);
		if (t->slots[i].how == HOW_ARENA)
			t->slots[i].p = NULL;
	}
}

static void
ctl(const char *name, void *newp, size_t newlen)
{
	int err = mallctl(name, NULL, NULL, newp, newlen);

	if (err != 0)
		fail("mallctl(\"%s\") failed: %s", name, strerror(err));
}

static void
op_alloc(struct thr *t, struct slot *s, unsigned op)
{
	size_t size = size_arg(t), align = 16, n;
	int flags = 0;
	bool zero = false;
	void *p = NULL;
	unsigned k;

	switch (op) {
	case 0:
		p = malloc(size);
		break;
	case 1:
		n = 1 + byte(t) % 8;
		p = calloc(n, size / n);
		size = size / n * n;
		zero = true;
		break;
	case 2:
		align = align_arg(t);
		if (posix_memalign(&p, align, size) != 0)
			p = NULL;
		break;
	case 3:
		align = align_arg(t);
		/* C11 wants a multiple of the alignment; glibc does not. */
		p = aligned_alloc(align, size);
		break;
	default:
		k = byte(t);
		if (k & 1) {
			align = align_arg(t);
			flags |= MALLOCX_ALIGN(align);
		}
		if (k & 2) {
			flags |= MALLOCX_ZERO;
			zero = true;
		}
		if ((k & 12) == 4) {
			flags |= MALLOCX_ARENA(arena_of[t->id]) |
			    MALLOCX_TCACHE_NONE;
			p = mallocx(size == 0 ? 1 : size, flags);
			born(s, p, size == 0 ? 1 : size, align, flags,
			    HOW_ARENA, zero, t);
			return;
		}
		if ((k & 12) == 8 && t->has_tc) {
			flags |= MALLOCX_TCACHE(t->tc);
			p = mallocx(size == 0 ? 1 : size, flags);
			born(s, p, size == 0 ? 1 : size, align, flags,
			    HOW_TCACHE, zero, t);
			return;
		}
		p = mallocx(size == 0 ? 1 : size, flags);
		if (size == 0)
			size = 1;
		break;
	}
	born(s, p, size, align, flags, HOW_FREE, zero, t);
}

static void
op_resize(struct thr *t, struct slot *s, unsigned op)
{
	size_t size = size_arg(t), old = s->size, r;
	int f = flags_of(s, t);
	void *q;

	TRACE("t%u resize %p (%u) to %zu flags %#x\n", t->id, (void *)s->p,
	    op, size, f);
	check(s, s->size);
	if (op == 0 && s->how == HOW_FREE && s->align <= 16) {
		q = realloc(s->p, size);
		if (size == 0) {
			/* realloc(p, 0): freed, or a minimal block. */
			if (q != NULL)
				free(q);
			s->p = NULL;
			return;
		}
	} else if (op == 1) {
		q = rallocx(s->p, size == 0 ? 1 : size, f);
		if (size == 0)
			size = 1;
	} else {
		/* xallocx: in place or not at all; the result is usable. */
		r = xallocx(s->p, size, byte(t) * 64, f);
		if (r != malloc_usable_size(s->p) || r < MIN(old, size))
			fail("xallocx(%p, %zu): %zu, usable %zu", (void *)s->p,
			    size, r, malloc_usable_size(s->p));
		s->size = MIN(old, r);
		s->usize = r;
		check(s, s->size);
		s->size = r;
		fill(s);
		return;
	}
	if (q == NULL)
		fail("resize of %p from %zu to %zu bytes failed", (void *)s->p,
		    old, size);
	s->p = q;
	s->size = MIN(old, size);
	check(s, s->size);
	born(s, q, size, s->align, f & ~MALLOCX_ZERO, s->how, false, t);
}

static void
op_ctl(struct thr *t, unsigned k)
{
	static const ssize_t decays[] = { -1, 0, 1, 10, 1000 };
	char name[64];
	ssize_t d;
	unsigned a = arena_of[t->id], u;
	size_t len = sizeof(u);
	bool b;

	TRACE("t%u ctl %u\n", t->id, k % 12);
	switch (k % 12) {
	case 0:
		drop_arena(t, a);
		snprintf(name, sizeof(name), "arena.%u.reset", a);
		ctl(name, NULL, 0);
		break;
	case 1:
		drop_arena(t, a);
		if (atomic_fetch_add(&ndestroyed, 1) < MAXDESTROY) {
			snprintf(name, sizeof(name), "arena.%u.destroy", a);
			ctl(name, NULL, 0);
			if (mallctl("arenas.create", &u, &len, NULL, 0) != 0)
				fail("arenas.create failed");
			arena_of[t->id] = u;
		} else {
			snprintf(name, sizeof(name), "arena.%u.reset", a);
			ctl(name, NULL, 0);
		}
		break;
	case 2:
		if (!t->has_tc) {
			if (mallctl("tcache.create", &u, &len, NULL, 0) != 0)
				fail("tcache.create failed");
			t->tc = u;
			t->has_tc = true;
		} else
			ctl("tcache.flush", &t->tc, sizeof(t->tc));
		break;
	case 3:
		if (t->has_tc) {
			/* Its blocks stay live; only the cache goes. */
			ctl("tcache.destroy", &t->tc, sizeof(t->tc));
			t->has_tc = false;
			for (u = 0; u < NSLOTS; u++)
				if (t->slots[u].p != NULL &&
				    t->slots[u].how == HOW_TCACHE)
					t->slots[u].how = HOW_FREE;
		}
		break;
	case 4:
		ctl("thread.tcache.flush", NULL, 0);
		break;
	case 5:
		b = (k & 16) != 0;
		ctl("thread.tcache.enabled", &b, sizeof(b));
		break;
	case 6:
		ctl("arena.4096.purge", NULL, 0);
		break;
	case 7:
		snprintf(name, sizeof(name), "arena.%u.decay",
		    k & 16 ? 4096 : a);
		ctl(name, NULL, 0);
		break;
	case 8:
	case 9:
		d = decays[(k >> 4) % 5];
		snprintf(name, sizeof(name), "arena.%u.%s_decay_ms", a,
		    k % 12 == 8 ? "dirty" : "muzzy");
		ctl(name, &d, sizeof(d));
		break;
	case 10:
		ctl("arena.0.purge", NULL, 0);
		break;
	default:
		u = 0;
		(void)mallctl("thread.arena", NULL, NULL, &u, sizeof(u));
		break;
	}
}

/* The child of a fork: the forking thread's blocks, a little work. */
static void
op_fork(struct thr *t)
{
	pid_t pid;
	int status;
	unsigned i;
	void *p;

	pid = fork();
	if (pid < 0)
		return;		/* out of processes: not the allocator's */
	if (pid == 0) {
		alarm(20);
		for (i = 0; i < NSLOTS; i++)
			if (t->slots[i].p != NULL)
				check(&t->slots[i], t->slots[i].size);
		for (i = 0; i < 64; i++) {
			p = malloc(i * 100);
			if (p == NULL)
				_exit(3);
			memset(p, 0x5a, i * 100);
			free(p);
		}
		(void)mallctl("arena.4096.purge", NULL, NULL, NULL, 0);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			fail("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail("the fork child failed: status %#x", status);
}

static void *
thr_main(void *arg)
{
	struct thr *t = arg;
	struct slot *s;
	unsigned n, op, i;

	for (n = 0; n < MAXOPS && t->pos < t->len; n++) {
		op = byte(t);
		s = &t->slots[byte(t) % NSLOTS];
		switch (op % 16) {
		case 0: case 1: case 2: case 3: case 4: case 5:
			if (s->p != NULL)
				slot_free(s, t, op >> 4);
			else
				op_alloc(t, s, (op >> 4) % 5);
			break;
		case 6: case 7: case 8:
			if (s->p != NULL)
				op_resize(t, s, (op >> 4) % 3);
			break;
		case 9: case 10:
			if (s->p != NULL)
				slot_free(s, t, op >> 4);
			break;
		case 11: case 12:
			op_ctl(t, byte(t));
			break;
		case 13:
			if (t->id == 0 && (op >> 4) == 0)
				op_fork(t);
			break;
		default:
			for (i = 0; i < NSLOTS; i++)
				if (t->slots[i].p != NULL)
					check(&t->slots[i], t->slots[i].size);
			break;
		}
	}
	for (i = 0; i < NSLOTS; i++)
		if (t->slots[i].p != NULL)
			slot_free(&t->slots[i], t, 0);
	if (t->has_tc)
		ctl("tcache.destroy", &t->tc, sizeof(t->tc));
	return (NULL);
}

static void
setup(void)
{
	static bool done;
	unsigned i, a;
	size_t len = sizeof(a);

	if (done)
		return;
	for (i = 0; i < NARENAS; i++) {
		if (mallctl("arenas.create", &a, &len, NULL, 0) != 0)
			fail("arenas.create failed");
		arena_of[i] = a;
	}
	done = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct thr t[MAXTHREADS];
	pthread_t th[MAXTHREADS];
	unsigned n, i;
	size_t chunk;

	setup();
	if (size < 2)
		return (0);
	tracing = getenv("FUZZ_API_TRACE") != NULL;
	n = 1 + data[0] % MAXTHREADS;
	chunk = (size - 1) / n;
	memset(t, 0, sizeof(t));
	for (i = 0; i < n; i++) {
		t[i].in = data + 1 + i * chunk;
		t[i].len = chunk;
		t[i].id = i;
	}
	if (n == 1) {
		thr_main(&t[0]);
		return (0);
	}
	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, thr_main, &t[i]) != 0)
			fail("pthread_create failed");
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return (0);
}

#ifdef FUZZ_STANDALONE
/* Without libFuzzer: run each file named on the command line once. */
int
main(int argc, char **argv)
{
	static uint8_t buf[1 << 20];
	size_t n;
	FILE *f;
	int i;

	for (i = 1; i < argc; i++) {
		f = fopen(argv[i], "rb");
		if (f == NULL) {
			perror(argv[i]);
			return (2);
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	return (0);
}
#endif
