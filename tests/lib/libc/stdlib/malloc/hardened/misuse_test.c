/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Misuse of the heap under the hardened library (libdomalloc_hardened.a,
 * harden.h): overflows past the end by 1 byte, 32 bytes and 1 MiB
 * (plain writes and memcpy), underflows by 1 and 32 bytes, use after
 * free (reads and writes, with and without an allocation of the same
 * size in between), double frees (immediate, delayed, interleaved) and
 * invalid frees (stack, global, interior, unaligned, far), at a small
 * (24 B), a medium (3000 B) and large sizes (100 KiB and 4 MiB, whose
 * data ends at a guard page, and 100001 B, which leaves canary slack on
 * both sides).  Each misuse runs in a child, which must abort with the
 * message of the kind of error, naming the function and the block, or
 * die of SIGSEGV where a guard page or an inaccessible freed block is
 * the detector.  A child that survives fails with "not caught".
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <sys/mman.h>

#include "../malloc_test_util.h"

#define	TMO		60
#define	SMALL		((size_t)24)
#define	MEDIUM		((size_t)3000)
#define	LARGE		((size_t)100 * 1024)
#define	LARGE_ODD	((size_t)100001)
#define	HUGE		((size_t)4 * MT_MIB)
/* Enough allocations to hand out every free region of a class again. */
#define	CHURN		20000

static const size_t sizes[] = { SMALL, MEDIUM, LARGE, LARGE_ODD, HUGE };
#define	NSIZES		(sizeof(sizes) / sizeof(sizes[0]))

static int global_object[8];

static bool
is_small(size_t n)
{
	return (n + 8 <= 14336);
}

/* Guarded blocks whose end is at the guard page: 16-byte multiples. */
static bool
ends_at_guard(size_t n)
{
	return (!is_small(n) && n % 16 == 0);
}

/* Bytes that malloc never uses as canaries (harden.c): ASCII. */
static unsigned char *
src_buf(size_t len)
{
	void *b = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (b == MAP_FAILED)
		mt_child_fail("mmap of %zu bytes failed", len);
	memset(b, 'A', len);
	return (b);
}

static unsigned char *
xmalloc(size_t n)
{
	unsigned char *p = mt_hide(malloc(mt_size(n)));

	if (p == NULL)
		mt_child_fail("malloc(%zu) failed", n);
	return (p);
}

/*
 * Allocate and free CHURN blocks of n bytes (fewer for large sizes):
 * every free region of the class is handed out, and checked, once, and
 * every quarantined block leaves the quarantine.
 */
static void
churn(size_t n)
{
	static void *keep[CHURN];
	size_t i, k = is_small(n) ? CHURN : 200;

	for (i = 0; i < k; i++)
		keep[i] = xmalloc(n);
	for (i = 0; i < k; i++)
		free(keep[i]);
}

static void __attribute__((noreturn))
not_caught(const char *what, size_t n)
{
	mt_child_fail("%s of a %zu-byte block was not caught", what, n);
}

/* What the parent expects of a child. */
enum want { W_ABORT, W_SEGV, W_ABORT_OR_SEGV };

struct probe {
	const char	*name;
	void		(*fn)(size_t);
	size_t		 n;
	enum want	 want;
	const char	*msg;		/* in the abort message */
};

/* Whether err holds one of the |-separated alternatives of msg. */
static bool
msg_matches(const char *err, const char *msg)
{
	char alt[128];
	const char *bar;
	size_t len;

	for (;;) {
		bar = strchr(msg, '|');
		len = bar == NULL ? strlen(msg) : (size_t)(bar - msg);
		snprintf(alt, sizeof(alt), "%.*s", (int)len, msg);
		if (strstr(err, alt) != NULL)
			return (true);
		if (bar == NULL)
			return (false);
		msg = bar + 1;
	}
}

static void
probe_run_child(void *arg)
{
	const struct probe *pr = arg;

	pr->fn(pr->n);
	not_caught(pr->name, pr->n);
}

static void
probe_run(const char *name, void (*fn)(size_t), size_t n, enum want want,
    const char *msg)
{
	struct probe pr = { name, fn, n, want, msg };
	struct mt_child cr;
	char sbuf[128];
	bool segv, abrt;

	mt_run_child(&cr, TMO, probe_run_child, &pr);
	segv = WIFSIGNALED(cr.status) && (WTERMSIG(cr.status) == SIGSEGV ||
	    WTERMSIG(cr.status) == SIGBUS);
	abrt = WIFSIGNALED(cr.status) && WTERMSIG(cr.status) == SIGABRT;
	if (want == W_SEGV || (want == W_ABORT_OR_SEGV && segv)) {
		ATF_CHECK_MSG(segv, "%s, %zu bytes: expected SIGSEGV, child %s; "
		    "stderr: %s", name, n, mt_status_str(cr.status, sbuf,
		    sizeof(sbuf)), cr.err);
		return;
	}
	ATF_CHECK_MSG(abrt, "%s, %zu bytes: expected an abort, child %s; "
	    "stderr: %s", name, n, mt_status_str(cr.status, sbuf,
	    sizeof(sbuf)), cr.err);
	ATF_CHECK_MSG(strstr(cr.err, "<domalloc>") != NULL &&
	    msg_matches(cr.err, msg), "%s, %zu bytes: expected \"%s\" in: "
	    "%s", name, n, msg, cr.err);
}

/*
 * Overflows.  The block is freed after the write: the trailer and canary
 * are checked there, the guard page faults at the write.  Writes flip
 * bits, so that they change a trailer byte whatever it holds.
 */
static void
ovf_write(size_t n, size_t k)
{
	volatile unsigned char *p = xmalloc(n);
	size_t i;

	for (i = 0; i < k; i++)
		p[n + i] ^= 0x55;
	free(mt_hide((void *)p));
}

static void
ovf_copy(size_t n, size_t k)
{
	unsigned char *p = xmalloc(n), *s = src_buf(n + k);
	size_t i;

	/*
	 * A small block's first bytes past the request may be its size
	 * trailer, which can hold an 'A': make the copy change them.
	 */
	for (i = 0; is_small(n) && i < k && i < 8; i++)
		if (p[n + i] == 'A')
			s[n + i] = 'B';
	memcpy(p, s, mt_size(n + k));
	free(p);
}

static void ovf1_write(size_t n) { ovf_write(n, 1); }
static void ovf1_copy(size_t n) { ovf_copy(n, 1); }
static void ovf32_write(size_t n) { ovf_write(n, 32); }
static void ovf32_copy(size_t n) { ovf_copy(n, 32); }
static void ovf1m_write(size_t n) { ovf_write(n, MT_MIB); }
static void ovf1m_copy(size_t n) { ovf_copy(n, MT_MIB); }

static void
overflows(size_t n, bool one_mib)
{
	struct { const char *name; void (*fn)(size_t); size_t k; } o[] = {
		{ "overflow by 1 byte (write)", ovf1_write, 1 },
		{ "overflow by 1 byte (memcpy)", ovf1_copy, 1 },
		{ "overflow by 32 bytes (write)", ovf32_write, 32 },
		{ "overflow by 32 bytes (memcpy)", ovf32_copy, 32 },
		{ "overflow by 1 MiB (write)", ovf1m_write, MT_MIB },
		{ "overflow by 1 MiB (memcpy)", ovf1m_copy, MT_MIB },
	};
	size_t i;

	for (i = 0; i < sizeof(o) / sizeof(o[0]); i++) {
		if ((o[i].k == MT_MIB) != one_mib)
			continue;
		/*
		 * Guarded blocks: the guard page stops any write that gets
		 * past the slack.  A small block's overflow by 1 MiB runs
		 * over its slab and on, where it may fault first.
		 */
		if (ends_at_guard(n) || (!is_small(n) && o[i].k > 15))
			probe_run(o[i].name, o[i].fn, n, W_SEGV, NULL);
		else if (o[i].k == MT_MIB)
			probe_run(o[i].name, o[i].fn, n, W_ABORT_OR_SEGV,
			    "free(): heap overflow past the end of");
		else
			probe_run(o[i].name, o[i].fn, n, W_ABORT,
			    "free(): heap overflow past the end of");
	}
}

ATF_TC_WITHOUT_HEAD(overflow);
ATF_TC_BODY(overflow, tc)
{
	size_t i;

	for (i = 0; i < NSIZES; i++)
		overflows(sizes[i], false);
}

ATF_TC_WITHOUT_HEAD(overflow_1mib);
ATF_TC_BODY(overflow_1mib, tc)
{
	size_t i;

	for (i = 0; i < NSIZES; i++)
		overflows(sizes[i], true);
}

/*
 * Underflows.  Guarded blocks: the leading slack holds canaries, checked
 * on free, and the guard page is at most a page before the block.  Small
 * blocks: the block written under is one whose region directly follows
 * the region of another of our blocks, so the bytes written are that
 * block's trailer (and canary slack), checked when it is freed.  The
 * writes flip bits: a trailer byte (the size, encrypted) may already
 * hold the byte a write would put there, one time in 256, and then
 * nothing changed (seen: 2 failures in 47 runs of this case when it
 * wrote 'A').  The neighbour rule replaces "any block not at a page
 * start", whose region before could be free and was then checked only
 * if the churn handed that region out again.
 */
static void
udf(size_t n, size_t k)
{
	static void *fill[CHURN], *b[256];
	volatile unsigned char *p;
	uintptr_t a, best;
	size_t i, j, stride;

	if (!is_small(n)) {
		p = xmalloc(n);
		for (i = 1; i <= k; i++)
			p[-(ptrdiff_t)i] ^= 0x55;
		free(mt_hide((void *)p));
		return;
	}
	/*
	 * Fill every slab of the class, so that the next blocks come from
	 * new slabs, which they share only with each other.
	 */
	for (i = 0; i < CHURN; i++)
		fill[i] = xmalloc(n);
	for (i = 0; i < 256; i++)
		b[i] = xmalloc(n);
	/*
	 * The smallest distance between two of them is the region size
	 * (regions of one slab lie a region size apart, and with 256
	 * blocks from a few new slabs some two are neighbours); the upper
	 * one of such a pair is the block to write under.
	 */
	stride = SIZE_MAX;
	best = 0;
	for (i = 0; i < 256; i++) {
		for (j = 0; j < 256; j++) {
			a = (uintptr_t)b[j];
			if (a > (uintptr_t)b[i] &&
			    a - (uintptr_t)b[i] < stride) {
				stride = a - (uintptr_t)b[i];
				best = a;
			}
		}
	}
	if (stride < n + 8 || stride >= 2 * (n + 8))
		mt_child_fail("no two of 256 %zu-byte blocks are neighbours "
		    "(closest %zu bytes apart)", n, stride);
	p = (volatile unsigned char *)best;
	for (i = 1; i <= k; i++)
		p[-(ptrdiff_t)i] ^= 0x55;
	for (i = 0; i < 256; i++)
		free(b[i]);
	for (i = 0; i < CHURN; i++)
		free(fill[i]);
	churn(n);
}

static void udf1(size_t n) { udf(n, 1); }
static void udf32(size_t n) { udf(n, 32); }

ATF_TC_WITHOUT_HEAD(underflow);
ATF_TC_BODY(underflow, tc)
{
	size_t i, n;

	for (i = 0; i < NSIZES; i++) {
		n = sizes[i];
		if (is_small(n)) {
			/* Found as an overflow of the block before. */
			probe_run("underflow by 1 byte", udf1, n, W_ABORT,
			    "free(): heap overflow past the end of");
			probe_run("underflow by 32 bytes", udf32, n, W_ABORT,
			    "free(): heap overflow past the end of");
		} else if (ends_at_guard(n)) {
			/* The data starts at a page: the guard is before. */
			probe_run("underflow by 1 byte", udf1, n, W_SEGV, NULL);
			probe_run("underflow by 32 bytes", udf32, n, W_SEGV,
			    NULL);
		} else {
			/* 100001 B: 15 bytes of slack before the block. */
			probe_run("underflow by 1 byte", udf1, n, W_ABORT,
			    "free(): heap underflow before the start of");
			probe_run("underflow by 32 bytes", udf32, n, W_ABORT,
			    "free(): heap underflow before the start of");
		}
	}
}

/*
 * Use after free.  Small blocks are zeroed on free and quarantined: a
 * read sees zeros (the test checks it sees none of the old data), a
 * write is found when the block leaves the quarantine.  Guarded blocks
 * are inaccessible once freed: reads and writes fault.
 */
static void
uaf_read(size_t n)
{
	volatile unsigned char *p = xmalloc(n);
	size_t i;

	memset((void *)p, 'D', n);
	free(mt_hide((void *)p));
	/* Bytes 0-7 of a freed small block hold the free marker (random). */
	for (i = 8; i < n; i++)
		if (p[i] == 'D')
			mt_child_fail("freed data read back at offset %zu", i);
	/* Small: nothing to catch; make the parent's SIGSEGV wait fail. */
	_exit(0);
}

static void
uaf_write_common(size_t n, bool between)
{
	volatile unsigned char *p = xmalloc(n), *q = NULL;

	free(mt_hide((void *)p));
	if (between)
		q = xmalloc(n);
	if (q == p)
		mt_child_fail("the freed block was handed out at once");
	p[n / 2] = 'W';
	churn(n);
}

static void uaf_write(size_t n) { uaf_write_common(n, false); }
static void uaf_write_between(size_t n) { uaf_write_common(n, true); }

static void
uaf_read_between(size_t n)
{
	volatile unsigned char *p = xmalloc(n);
	unsigned char *q;

	memset((void *)p, 'D', n);
	free(mt_hide((void *)p));
	q = xmalloc(n);
	if (q == p)
		mt_child_fail("the freed block was handed out at once");
	if (p[n - 1] == 'D' || p[8] == 'D')
		mt_child_fail("freed data read back");
	_exit(0);
}

ATF_TC_WITHOUT_HEAD(use_after_free);
ATF_TC_BODY(use_after_free, tc)
{
	struct mt_child cr;
	struct probe pr;
	size_t i, n;

	for (i = 0; i < NSIZES; i++) {
		n = sizes[i];
		if (is_small(n)) {
			pr.fn = uaf_read;
			pr.n = n;
			mt_run_child(&cr, TMO, probe_run_child, &pr);
			mt_require_child_ok(&cr, "read after free");
			pr.fn = uaf_read_between;
			mt_run_child(&cr, TMO, probe_run_child, &pr);
			mt_require_child_ok(&cr, "read after free and reuse");
			probe_run("write after free", uaf_write, n, W_ABORT,
			    "write after free to");
			probe_run("write after free and reuse",
			    uaf_write_between, n, W_ABORT,
			    "write after free to");
		} else {
			probe_run("read after free", uaf_read, n, W_SEGV,
			    NULL);
			probe_run("read after free and reuse",
			    uaf_read_between, n, W_SEGV, NULL);
			probe_run("write after free", uaf_write, n, W_SEGV,
			    NULL);
			probe_run("write after free and reuse",
			    uaf_write_between, n, W_SEGV, NULL);
		}
	}
}

/* Double frees. */
static void
df_immediate(size_t n)
{
	void *p = xmalloc(n);

	free(p);
	free(mt_hide(p));
}

/*
 * Other frees between: fewer for 4 MiB blocks, so that the large
 * quarantine's byte bound (64 MiB by default) still holds the block.
 */
static void
df_delayed(size_t n)
{
	void *p = xmalloc(n), *o[32];
	size_t i, k = n > MT_MIB ? 8 : 32;

	for (i = 0; i < k; i++)
		o[i] = xmalloc(n);
	free(p);
	for (i = 0; i < k; i++)
		free(o[i]);
	free(mt_hide(p));
}

static void
df_interleaved(size_t n)
{
	void *p = xmalloc(n), *q = xmalloc(n);

	free(p);
	free(q);
	free(mt_hide(p));
}

static void
df_realloc(size_t n)
{
	void *p = xmalloc(n);

	free(p);
	mt_escape(realloc(mt_hide(p), n * 2));
}

ATF_TC_WITHOUT_HEAD(double_free);
ATF_TC_BODY(double_free, tc)
{
	size_t i, n;

	for (i = 0; i < NSIZES; i++) {
		n = sizes[i];
		probe_run("immediate double free", df_immediate, n, W_ABORT,
		    "free(): double free");
		probe_run("delayed double free", df_delayed, n, W_ABORT,
		    "free(): double free");
		probe_run("interleaved double free", df_interleaved, n,
		    W_ABORT, "free(): double free");
		probe_run("realloc of a freed block", df_realloc, n, W_ABORT,
		    "realloc(): double free of");
	}
}

/* Invalid frees. */
static void
inv_stack(size_t n)
{
	char buf[64];

	(void)n;
	free(mt_hide(buf));
}

static void
inv_global(size_t n)
{
	(void)n;
	free(mt_hide(global_object));
}

static void
inv_interior(size_t n)
{
	free(mt_hide(xmalloc(n) + 16));
}

static void
inv_unaligned(size_t n)
{
	free(mt_hide(xmalloc(n) + 1));
}

static void
inv_far(size_t n)
{
	free(mt_hide(xmalloc(n) + ((size_t)1 << 30)));
}

ATF_TC_WITHOUT_HEAD(invalid_free);
ATF_TC_BODY(invalid_free, tc)
{
	size_t i, n;

	probe_run("free of a stack address", inv_stack, 0, W_ABORT,
	    "free(): invalid pointer");
	probe_run("free of a global", inv_global, 0, W_ABORT,
	    "free(): invalid pointer");
	for (i = 0; i < NSIZES; i++) {
		n = sizes[i];
		probe_run("free of an interior pointer", inv_interior, n,
		    W_ABORT, "free(): invalid pointer");
		probe_run("free of an unaligned pointer", inv_unaligned, n,
		    W_ABORT, "free(): invalid pointer");
		probe_run("free of a far pointer", inv_far, n, W_ABORT,
		    "free(): invalid pointer");
	}
}

/* Sized frees with the wrong size, and a check of a corrupted block. */
static void
bad_sized(size_t n)
{
	free_sized(xmalloc(n), mt_size(n + 1));
}

static void
usable_after_overflow(size_t n)
{
	unsigned char *p = xmalloc(n);

	p[n] ^= 0x55;
	(void)malloc_usable_size(mt_hide(p));
}

static void
realloc_after_overflow(size_t n)
{
	unsigned char *p = xmalloc(n);

	p[n] ^= 0x55;
	mt_escape(realloc(mt_hide(p), n * 2));
}

/* A small block resized in place is sealed again at its new size. */
static void
realloc_in_place_overflow(size_t n)
{
	unsigned char *p = xmalloc(n), *q;

	q = realloc(p, mt_size(n - 4));
	if (q != p)
		mt_child_fail("realloc(%zu -> %zu) moved", n, n - 4);
	q[n - 4] = 'A';
	free(mt_hide(q));
}

ATF_TC_WITHOUT_HEAD(checked_entries);
ATF_TC_BODY(checked_entries, tc)
{
	size_t i, n;

	for (i = 0; i < NSIZES; i++) {
		n = sizes[i];
		probe_run("free_sized with a wrong size", bad_sized, n,
		    W_ABORT, "free_sized(): size");
		/* 24 - 4 and 3000 - 4 stay in the classes of 32 and 3072. */
		if (is_small(n))
			probe_run("overflow after an in-place realloc",
			    realloc_in_place_overflow, n, W_ABORT,
			    "free(): heap overflow past the end of");
		if (ends_at_guard(n))
			continue;
		/* Guarded blocks: only a free checks their canaries. */
		if (is_small(n))
			probe_run("malloc_usable_size of an overflowed block",
			    usable_after_overflow, n, W_ABORT,
			    "malloc_usable_size(): heap overflow");
		probe_run("realloc of an overflowed block",
		    realloc_after_overflow, n, W_ABORT,
		    "realloc(): heap overflow");
	}
}

/*
 * A block that realloc grew and moved starts right after its leading
 * guard page and keeps the rest of its last page as canary slack
 * (harden.c, harden_large_alloc), so that it can grow again in place: an
 * overflow into that slack is found by the next free or realloc, one
 * past the slack faults, and an underflow faults at once.
 */
static unsigned char *
grown(size_t n)
{
	unsigned char *p;

	p = xmalloc(n / 2);
	p = realloc(p, n);
	if (p == NULL)
		mt_child_fail("realloc to %zu failed", n);
	return (p);
}

static void
grown_ovf_free(size_t n)
{
	volatile unsigned char *p = grown(n);

	p[n] = 'A';
	free(mt_hide((void *)p));
}

static void
grown_ovf_realloc(size_t n)
{
	volatile unsigned char *p = grown(n);

	p[n + 7] = 'A';
	(void)realloc(mt_hide((void *)p), n + 100);
}

static void
grown_ovf_far(size_t n)
{
	volatile unsigned char *p = grown(n);
	size_t i;

	for (i = n; i < n + 2 * 4096 + 64; i++)
		p[i] = 'A';
}

static void
grown_udf(size_t n)
{
	volatile unsigned char *p = grown(n);

	p[-1] = 'A';
}

ATF_TC_WITHOUT_HEAD(grown_blocks);
ATF_TC_BODY(grown_blocks, tc)
{
	static const size_t gsizes[] = { 20000, 100001, 3 * MT_MIB + 5 };
	size_t i, n;

	for (i = 0; i < sizeof(gsizes) / sizeof(gsizes[0]); i++) {
		n = gsizes[i];
		probe_run("overflow of a grown block, then free",
		    grown_ovf_free, n, W_ABORT,
		    "free(): heap overflow past the end of");
		probe_run("overflow of a grown block, then realloc",
		    grown_ovf_realloc, n, W_ABORT,
		    "realloc(): heap overflow past the end of");
		probe_run("overflow past a grown block's page",
		    grown_ovf_far, n, W_SEGV, NULL);
		probe_run("underflow of a grown block", grown_udf, n,
		    W_SEGV, NULL);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, overflow);
	ATF_TP_ADD_TC(tp, overflow_1mib);
	ATF_TP_ADD_TC(tp, underflow);
	ATF_TP_ADD_TC(tp, use_after_free);
	ATF_TP_ADD_TC(tp, double_free);
	ATF_TP_ADD_TC(tp, invalid_free);
	ATF_TP_ADD_TC(tp, checked_entries);
	ATF_TP_ADD_TC(tp, grown_blocks);
	return (atf_no_error());
}
