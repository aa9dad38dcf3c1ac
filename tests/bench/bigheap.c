/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * bigheap: workloads over a large heap, for the huge page and memory
 * return measurements (run-bench --thp).  Three modes:
 *
 * mode=heap builds a heap of mib MiB of 16 B-64 KiB objects (nine in ten
 * of 16 B-1 KiB), one free for every three allocations on the way up, and
 * touches every page; it then reports how much of the process's memory is
 * backed by huge pages (AnonHugePages / Rss, from /proc/self/smaps_rollup,
 * or the sum over /proc/self/smaps on kernels without it), right after the
 * build (at=built) and after holding the heap hold seconds without
 * allocator calls (at=peak; an allocator that hugifies memory once it has
 * stayed in use for a while does it then), frees every object and sleeps, sampling the resident set at 1, 2, 5, 10, 15 and 20 s
 * (up to idle seconds) after the free.
 *
 * mode=bursty builds a base live set of base MiB, then runs bursts: the
 * live set grows to factor times the base, the burst's objects are freed
 * in random order, and the process sleeps gap milliseconds; the resident
 * set is sampled before each burst, at its peak, right after its free and
 * after the gap.  The time of a burst is that of its allocations and
 * frees (with the writes and checks of the objects).
 *
 * mode=random builds a heap of mib MiB of 64 B-4 KiB objects held in a
 * pointer array, holds it hold seconds without allocator calls (as a
 * long-lived heap is, so that a delayed hugify has happened), reads its
 * huge page backing (at=built), then times only two access phases: accesses independent
 * random accesses, then chase serially dependent ones (each draw mixed
 * with the word the previous access read), each through a random pointer
 * to a random word of its object, alternately a read and an increment.
 * The words' sum before and after proves that every increment landed in
 * the heap.
 *
 * While a heap or bursty run sleeps it calls only clock_nanosleep and
 * readers of /proc that use open and read into static buffers, so the
 * allocator is never entered: whatever memory comes back in that time
 * was returned by the allocator's own background work.  The samples are
 * printed afterwards.  At start and at the end the program asks the
 * allocator (mallctl, if the preloaded one has it) for opt.thp,
 * background_thread and the decay times, so the runner can show which
 * options were in force.
 * Single thread, no locking.
 */

#include <sys/types.h>

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>

#include "bench.h"

static const char *modes[] = { "heap", "bursty", "random", NULL };

static long mib = 1024;
static long idle = 20;
static long hold = 0;
static long base = 40;
static long factor = 10;
static long bursts = 6;
static long gap = 2000;
static long accesses = 30000000;
static long chase = 10000000;
static long seed = 1;

static const struct bench_opt opts[] = {
	{ "mib", &mib, "heap, random: heap size in MiB" },
	{ "idle", &idle, "heap: seconds to sample RSS after the free" },
	{ "hold", &hold, "heap, random: seconds to hold the heap (no "
	    "allocator calls) before it is measured" },
	{ "base", &base, "bursty: base live set in MiB" },
	{ "factor", &factor, "bursty: live set during a burst / base" },
	{ "bursts", &bursts, "bursty: number of bursts" },
	{ "gap", &gap, "bursty: idle milliseconds after each burst" },
	{ "accesses", &accesses, "random: independent accesses (timed)" },
	{ "chase", &chase, "random: dependent accesses (timed apart)" },
	{ "seed", &seed, "PRNG seed" },
	{ NULL, NULL, NULL }
};

#define	MAXBURSTS	64
#define	MAXSAMPLES	16

/* Memory of the process in KiB, summed over its mappings; -1: unknown. */
struct memstat {
	long	rss;
	long	anon;
	long	ahp;		/* AnonHugePages */
	long	lazy;		/* LazyFree: MADV_FREE'd, still resident */
};

static char smapsbuf[16384];

static void
mem_line(struct memstat *m, const char *line)
{
	static const struct {
		const char	*key;
		size_t		off;
	} keys[] = {
		{ "Rss:", offsetof(struct memstat, rss) },
		{ "Anonymous:", offsetof(struct memstat, anon) },
		{ "AnonHugePages:", offsetof(struct memstat, ahp) },
		{ "LazyFree:", offsetof(struct memstat, lazy) },
	};
	long *field;
	size_t i, n;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		n = strlen(keys[i].key);
		if (strncmp(line, keys[i].key, n) != 0)
			continue;
		field = (long *)((char *)m + keys[i].off);
		if (*field < 0)
			*field = 0;
		*field += strtol(line + n, NULL, 10);
		return;
	}
}

/*
 * Sum the fields over smaps_rollup (one set of lines) or smaps (one set
 * per mapping), reading in chunks into a static buffer: no stdio, no
 * malloc.
 */
static void
mem_read(struct memstat *m)
{
	char *line, *nl;
	size_t have;
	ssize_t n;
	int fd;

	m->rss = m->anon = m->ahp = m->lazy = -1;
	fd = open("/proc/self/smaps_rollup", O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		m->rss = bench_rss_kib();
		return;
	}
	have = 0;
	for (;;) {
		n = read(fd, smapsbuf + have, sizeof(smapsbuf) - 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		smapsbuf[have] = '\0';
		line = smapsbuf;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			mem_line(m, line);
			line = nl + 1;
		}
		have = (size_t)(smapsbuf + have - line);
		memmove(smapsbuf, line, have);
		/* A line longer than the buffer (a long path): drop it. */
		if (have == sizeof(smapsbuf) - 1)
			have = 0;
	}
	close(fd);
	if (m->rss < 0)
		m->rss = bench_rss_kib();
}

static double
mem_huge_pct(const struct memstat *m)
{

	return (m->rss > 0 && m->ahp >= 0 ? 100.0 * (double)m->ahp /
	    (double)m->rss : -1.0);
}

static void
mem_print(const char *what, const struct memstat *m)
{

	printf("%s rss_kib=%ld anon_kib=%ld ahp_kib=%ld lazy_kib=%ld "
	    "huge_pct=%.1f\n", what, m->rss, m->anon, m->ahp, m->lazy,
	    mem_huge_pct(m));
}

/* Sleep until t ns on the monotonic clock; the allocator is not called. */
static void
sleep_until(uint64_t t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(t / 1000000000ULL);
	ts.tv_nsec = (long)(t % 1000000000ULL);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	    EINTR)
		continue;
}

/*
 * The allocator's options, through mallctl if the preloaded allocator has
 * one (domalloc and jemalloc do); "-" where it cannot tell.  Printed at
 * the start and again at the end, as an allocator may start its
 * background thread only once it has memory to purge.
 */
typedef int mallctl_fn(const char *, void *, size_t *, void *, size_t);

static void
print_conf(const char *at)
{
	mallctl_fn *ctl;
	const char *thp;
	ssize_t dirty, muzzy;
	size_t len;
	bool bg;
	int hasbg;

	ctl = (mallctl_fn *)dlsym(RTLD_DEFAULT, "mallctl");
	thp = "-";
	dirty = muzzy = -2;
	hasbg = -1;
	if (ctl != NULL) {
		len = sizeof(thp);
		if (ctl("opt.thp", &thp, &len, NULL, 0) != 0 || thp == NULL)
			thp = "-";
		len = sizeof(bg);
		if (ctl("background_thread", &bg, &len, NULL, 0) == 0)
			hasbg = bg;
		len = sizeof(dirty);
		if (ctl("opt.dirty_decay_ms", &dirty, &len, NULL, 0) != 0)
			dirty = -2;
		len = sizeof(muzzy);
		if (ctl("opt.muzzy_decay_ms", &muzzy, &len, NULL, 0) != 0)
			muzzy = -2;
	}
	printf("CONF at=%s mallctl=%s thp=%s background_thread=%s", at,
	    ctl != NULL ? "yes" : "no", thp,
	    hasbg < 0 ? "-" : hasbg ? "1" : "0");
	if (dirty != -2)
		printf(" dirty_decay_ms=%ld", (long)dirty);
	else
		printf(" dirty_decay_ms=-");
	if (muzzy != -2)
		printf(" muzzy_decay_ms=%ld\n", (long)muzzy);
	else
		printf(" muzzy_decay_ms=-\n");
	fflush(stdout);
}

/* 16 B-64 KiB, nine in ten of 16 B-1 KiB (as frag's first half). */
static size_t
pick_mixed(struct bench_rng *r)
{

	if (bench_rng_below(r, 10) == 0)
		return (bench_rng_logsize(r, 1024, 65536));
	return (bench_rng_logsize(r, 16, 1024));
}

/* A pointer array that only grows. */
struct vec {
	void	**v;
	size_t	n;
	size_t	cap;
};

static void
vec_reserve(struct vec *a, size_t cap)
{

	if (cap <= a->cap)
		return;
	a->v = bench_nonnull(realloc(a->v, cap * sizeof(*a->v)),
	    cap * sizeof(*a->v));
	/* Touch it now, so that it is resident before any baseline. */
	memset(a->v + a->cap, 0, (cap - a->cap) * sizeof(*a->v));
	a->cap = cap;
}

static void
vec_push(struct vec *a, void *p)
{

	if (a->n == a->cap)
		vec_reserve(a, a->cap == 0 ? 4096 : a->cap * 2);
	a->v[a->n++] = p;
}

static uint32_t tagseq;
static uint64_t nops;

static void *
new_obj(size_t size)
{
	void *p;

	p = bench_nonnull(malloc(size), size);
	bench_fill(p, size, tagseq++);
	nops++;
	return (p);
}

static size_t
free_obj(void *p, const char *where)
{
	size_t n;

	n = bench_check(p, 0, 0, where);
	free(p);
	nops++;
	return (n);
}

/* ---- mode=heap ------------------------------------------------------ */

static void
run_heap(void)
{
	static const long at[] = { 1, 2, 5, 10, 15, 20 };
	static struct memstat smp[MAXSAMPLES];
	static long smpt[MAXSAMPLES];
	struct bench_rng rng;
	struct memstat built, peak;
	struct vec a;
	char what[32];
	uint64_t t0, tbuilt, tfree;
	size_t target, live, size, k, i;
	int ns;

	bench_rng_seed(&rng, (uint64_t)seed);
	memset(&a, 0, sizeof(a));
	target = (size_t)mib << 20;
	live = 0;
	t0 = bench_now_ns();
	while (live < target) {
		if (a.n > 0 && bench_rng_below(&rng, 4) == 0) {
			k = (size_t)bench_rng_below(&rng, a.n);
			live -= free_obj(a.v[k], "heap");
			a.v[k] = a.v[--a.n];
		} else {
			size = pick_mixed(&rng);
			vec_push(&a, new_obj(size));
			live += size;
		}
	}
	tbuilt = bench_now_ns();
	mem_read(&built);
	/* No allocator call while the heap is held. */
	if (hold > 0)
		sleep_until(tbuilt + (uint64_t)hold * 1000000000ULL);
	mem_read(&peak);
	printf("HEAP objs=%zu live_kib=%zu build_secs=%.3f hold_secs=%ld\n",
	    a.n, live / 1024, (double)(tbuilt - t0) / 1e9, hold);
	mem_print("MEM at=built", &built);
	mem_print("MEM at=peak", &peak);
	fflush(stdout);

	for (k = 0; k < a.n; k++)
		live -= free_obj(a.v[k], "heap");
	free(a.v);
	if (live != 0)
		bench_die(BENCH_EXIT_CORRUPT, "heap: %zu bytes unaccounted",
		    live);
	/* From here on until the samples are printed: no allocator call. */
	tfree = bench_now_ns();
	ns = 0;
	smpt[ns] = 0;
	mem_read(&smp[ns++]);
	for (i = 0; i < sizeof(at) / sizeof(at[0]) && at[i] <= idle; i++) {
		sleep_until(tfree + (uint64_t)at[i] * 1000000000ULL);
		smpt[ns] = at[i];
		mem_read(&smp[ns++]);
	}
	if (idle > 0 && (i == 0 || at[i - 1] != idle) && ns < MAXSAMPLES) {
		sleep_until(tfree + (uint64_t)idle * 1000000000ULL);
		smpt[ns] = idle;
		mem_read(&smp[ns++]);
	}
	for (i = 0; i < (size_t)ns; i++) {
		snprintf(what, sizeof(what), "SAMPLE t=%ld", smpt[i]);
		mem_print(what, &smp[i]);
	}
	printf("RESULT workload=heap ops=%llu secs=%.3f mops=%.3f "
	    "huge_pct=%.1f rss_peak_kib=%ld rss_end_kib=%ld check=ok\n",
	    (unsigned long long)nops, (double)(tbuilt - t0) / 1e9,
	    (double)nops / ((double)(tbuilt - t0) / 1e3), mem_huge_pct(&peak),
	    peak.rss, smp[ns - 1].rss);
	fflush(stdout);
}

/* ---- mode=bursty ---------------------------------------------------- */

/* Burst b's sizes come from their own PRNG, so a dry run can count them. */
static size_t
burst_count(long b, size_t bytes)
{
	struct bench_rng r;
	size_t n, got;

	bench_rng_seed(&r, (uint64_t)seed * 1000 + (uint64_t)b);
	for (n = 0, got = 0; got < bytes; n++)
		got += pick_mixed(&r);
	return (n);
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a, b;

	a = *(const uint64_t *)x;
	b = *(const uint64_t *)y;
	return (a < b ? -1 : a > b);
}

static void
run_bursty(void)
{
	static struct memstat before[MAXBURSTS], peak[MAXBURSTS];
	static struct memstat freed[MAXBURSTS], after[MAXBURSTS];
	static uint64_t took[MAXBURSTS], sorted[MAXBURSTS];
	struct bench_rng rng;
	struct vec a, bv;
	uint64_t t0, t1, t2, total;
	size_t live, bytes, k, j, size, most;
	double worst, r;
	void *p;
	long b;

	if (bursts > MAXBURSTS)
		bench_die(2, "bursts=%ld: at most %d", bursts, MAXBURSTS);
	memset(&a, 0, sizeof(a));
	memset(&bv, 0, sizeof(bv));
	/* The burst array is sized and touched before the baseline. */
	bytes = ((size_t)base << 20) * (size_t)(factor - 1);
	most = 0;
	for (b = 0; b < bursts; b++)
		if ((k = burst_count(b, bytes)) > most)
			most = k;
	vec_reserve(&bv, most);
	bench_rng_seed(&rng, (uint64_t)seed);
	for (live = 0; live < (size_t)base << 20; live += size) {
		size = pick_mixed(&rng);
		vec_push(&a, new_obj(size));
	}
	printf("BASE objs=%zu live_kib=%zu burst_objs_max=%zu\n", a.n,
	    live / 1024, most);
	fflush(stdout);

	total = 0;
	for (b = 0; b < bursts; b++) {
		mem_read(&before[b]);
		bench_rng_seed(&rng, (uint64_t)seed * 1000 + (uint64_t)b);
		t0 = bench_now_ns();
		for (live = 0; live < bytes; live += size) {
			size = pick_mixed(&rng);
			if (bv.n == bv.cap)
				bench_die(2, "bursty: burst %ld outgrew its "
				    "dry run", b + 1);
			bv.v[bv.n++] = new_obj(size);
		}
		t1 = bench_now_ns();
		mem_read(&peak[b]);
		t2 = bench_now_ns();
		/* Free in random order (Fisher-Yates). */
		for (k = bv.n; k > 1; k--) {
			j = (size_t)bench_rng_below(&rng, k);
			p = bv.v[k - 1];
			bv.v[k - 1] = bv.v[j];
			bv.v[j] = p;
		}
		for (k = 0; k < bv.n; k++)
			live -= free_obj(bv.v[k], "bursty");
		bv.n = 0;
		took[b] = (t1 - t0) + (bench_now_ns() - t2);
		total += took[b];
		if (live != 0)
			bench_die(BENCH_EXIT_CORRUPT,
			    "bursty: %zu bytes unaccounted", live);
		mem_read(&freed[b]);
		/* Idle: no allocator call until the next burst. */
		sleep_until(bench_now_ns() + (uint64_t)gap * 1000000ULL);
		mem_read(&after[b]);
	}
	worst = 0;
	for (b = 0; b < bursts; b++) {
		printf("BURST i=%ld ms=%.1f before_kib=%ld peak_kib=%ld "
		    "free_kib=%ld idle_kib=%ld idle_lazy_kib=%ld\n", b + 1,
		    (double)took[b] / 1e6, before[b].rss, peak[b].rss,
		    freed[b].rss, after[b].rss, after[b].lazy);
		r = before[0].rss > 0 ? (double)after[b].rss /
		    (double)before[0].rss : 0;
		if (r > worst)
			worst = r;
		sorted[b] = took[b];
	}
	qsort(sorted, (size_t)bursts, sizeof(sorted[0]), cmp_u64);
	for (k = 0; k < a.n; k++)
		free_obj(a.v[k], "bursty");
	free(a.v);
	free(bv.v);
	printf("RESULT workload=bursty ops=%llu secs=%.3f mops=%.3f "
	    "burst_ms=%.1f worst_after_pct=%.1f returns=%s check=ok\n",
	    (unsigned long long)nops, (double)total / 1e9,
	    (double)nops / ((double)total / 1e3),
	    (double)(bursts % 2 ? sorted[bursts / 2] :
	    (sorted[bursts / 2 - 1] + sorted[bursts / 2]) / 2) / 1e6,
	    100 * worst, worst <= 1.10 ? "yes" : "no");
	fflush(stdout);
}

/* ---- mode=random ---------------------------------------------------- */

/* The words wholly inside an object of n bytes, after its header. */
static inline size_t
rand_nwords(size_t n)
{

	return ((n - 8) / 8);
}

static uint64_t
heap_sum(const struct vec *a)
{
	const unsigned char *b;
	uint64_t s, w;
	size_t k, i, nw;
	uint32_t hdr[2];

	s = 0;
	for (k = 0; k < a->n; k++) {
		b = a->v[k];
		memcpy(hdr, b, sizeof(hdr));
		if (hdr[1] != (uint32_t)k)
			bench_die(BENCH_EXIT_CORRUPT, "random: object %p "
			    "(index %zu) has tag %#x", (const void *)b, k,
			    (unsigned)hdr[1]);
		nw = rand_nwords(hdr[0]);
		for (i = 0; i < nw; i++) {
			memcpy(&w, b + 8 + 8 * i, sizeof(w));
			s += w;
		}
	}
	return (s);
}

/*
 * n accesses through random pointers: even ones read a word, odd ones
 * increment it.  With dep set, each draw is mixed with the word the
 * previous access loaded, so an access cannot start before the previous
 * one has finished (latency-bound, like walking a linked structure);
 * without it, accesses overlap as far as the CPU allows.  The values
 * read are the same under every allocator, so *sink must agree.
 */
static inline __attribute__((always_inline)) uint64_t
access_phase(const struct vec *a, struct bench_rng *rng, long n, int dep,
    uint64_t *sink)
{
	unsigned char *b;
	uint64_t r, w, prev, sum, writes;
	size_t i, off;
	uint32_t hdr[2];
	long k;

	sum = prev = writes = 0;
	for (k = 0; k < n; k++) {
		r = bench_rng_next(rng);
		if (dep)
			r ^= prev * 0x9e3779b97f4a7c15ULL;
		i = (size_t)(((unsigned __int128)r * a->n) >> 64);
		b = a->v[i];
		memcpy(hdr, b, sizeof(hdr));
		if (__builtin_expect(hdr[1] != (uint32_t)i, 0))
			bench_die(BENCH_EXIT_CORRUPT, "random: object %p "
			    "(index %zu) has tag %#x", (void *)b, i,
			    (unsigned)hdr[1]);
		off = 8 + 8 * (size_t)(((r & 0xffffffffULL) *
		    rand_nwords(hdr[0])) >> 32);
		memcpy(&w, b + off, sizeof(w));
		prev = w;
		if (k & 1) {
			w++;
			memcpy(b + off, &w, sizeof(w));
			writes++;
		} else
			sum += w;
	}
	*sink += sum;
	return (writes);
}

static void
run_random(void)
{
	struct bench_rng rng;
	struct memstat built;
	struct vec a;
	unsigned char *b;
	uint64_t t0, t1, t2, t3, sink, sum0, sum1, writes;
	size_t target, live, size, i;
	uint32_t hdr[2];

	bench_rng_seed(&rng, (uint64_t)seed);
	memset(&a, 0, sizeof(a));
	target = (size_t)mib << 20;
	t0 = bench_now_ns();
	for (live = 0; live < target; live += size) {
		size = bench_rng_logsize(&rng, 64, 4096);
		b = bench_nonnull(malloc(size), size);
		/* Every byte written, so the reads below are defined. */
		memset(b, (int)(a.n & 0xff), size);
		bench_fill(b, size, (uint32_t)a.n);
		vec_push(&a, b);
		nops++;
	}
	t1 = bench_now_ns();
	/* Held like a long-lived heap before it is measured and used. */
	if (hold > 0)
		sleep_until(t1 + (uint64_t)hold * 1000000000ULL);
	mem_read(&built);
	printf("RANDOM objs=%zu live_kib=%zu build_secs=%.3f hold_secs=%ld\n",
	    a.n, live / 1024, (double)(t1 - t0) / 1e9, hold);
	mem_print("MEM at=built", &built);
	fflush(stdout);
	sum0 = heap_sum(&a);

	sink = 0;
	t1 = bench_now_ns();
	writes = access_phase(&a, &rng, accesses, 0, &sink);
	t2 = bench_now_ns();
	writes += access_phase(&a, &rng, chase, 1, &sink);
	t3 = bench_now_ns();
	sum1 = heap_sum(&a);
	if (sum1 - sum0 != writes)
		bench_die(BENCH_EXIT_CORRUPT, "random: the heap's sum moved by "
		    "%llu, not by the %llu increments",
		    (unsigned long long)(sum1 - sum0),
		    (unsigned long long)writes);
	for (i = 0; i < a.n; i++) {
		memcpy(hdr, a.v[i], sizeof(hdr));
		if (hdr[1] != (uint32_t)i)
			bench_die(BENCH_EXIT_CORRUPT, "random: object %zu "
			    "lost its header", i);
		free(a.v[i]);
	}
	free(a.v);
	printf("RESULT workload=random ops=%ld secs=%.3f mops=%.3f "
	    "chase_ops=%ld chase_secs=%.3f chase_mops=%.3f huge_pct=%.1f "
	    "sum=%016llx check=ok\n", accesses, (double)(t2 - t1) / 1e9,
	    t2 > t1 ? (double)accesses / ((double)(t2 - t1) / 1e3) : 0.0,
	    chase, (double)(t3 - t2) / 1e9,
	    t3 > t2 ? (double)chase / ((double)(t3 - t2) / 1e3) : 0.0,
	    mem_huge_pct(&built), (unsigned long long)sink);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	const char *mode;

	mode = bench_args(argc, argv, opts, modes);
	if (mib < 1 || idle < 0 || hold < 0 || base < 1 || factor < 2 || bursts < 1 ||
	    gap < 0 || accesses < 0 || chase < 0)
		bench_die(2, "bad parameters");
	print_conf("start");
	if (strcmp(mode, "heap") == 0)
		run_heap();
	else if (strcmp(mode, "bursty") == 0)
		run_bursty();
	else
		run_random();
	print_conf("end");
	return (0);
}
