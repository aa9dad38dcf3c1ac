/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Multi-threaded black-box stress of the allocator: threads allocating
 * and freeing random sizes (1 B to 64 KiB, some 1-4 MiB) with a pattern
 * checked before every free; objects handed from producer threads to
 * consumer threads through a shared ring, so that most frees are remote;
 * and churn of thousands of short-lived threads, some of whose objects
 * outlive them and are freed by the main thread.  Shared state is the
 * failure record (its own mutex) and the ring (its own mutex and
 * condition variables); everything else is per thread.
 */

#ifndef _GNU_SOURCE
#define	_GNU_SOURCE	1
#endif

#include <pthread.h>
#include <time.h>

#include "malloc_test_util.h"

/* The first failure any thread saw, and how many there were. */
static pthread_mutex_t fail_mtx = PTHREAD_MUTEX_INITIALIZER;
static int fail_count;
static char fail_msg[512];

static void __attribute__((__format__(__printf__, 1, 2)))
record_failure(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&fail_mtx);
	if (fail_count++ == 0) {
		va_start(ap, fmt);
		vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&fail_mtx);
}

static void
require_no_failure(void)
{

	ATF_REQUIRE_MSG(fail_count == 0, "%d failure(s); first: %s",
	    fail_count, fail_msg);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static int
nthreads(void)
{
	long n;

	n = sysconf(_SC_NPROCESSORS_ONLN) * 2;
	if (n < 2)
		n = 2;
	if (n > 8)
		n = 8;
	return ((int)n);
}

/* Random size: mostly small, some up to 64 KiB, a few 1-4 MiB. */
static size_t
random_size(uint64_t *rs)
{
	uint64_t r;

	r = mt_rand(rs) % 1000;
	if (r < 4)
		return (MT_MIB + mt_rand(rs) % (3 * MT_MIB));
	if (r < 100)
		return (1 + mt_rand(rs) % (64 * MT_KIB));
	return (1 + mt_rand(rs) % 1024);
}

struct obj {
	unsigned char	*p;
	size_t		 n;
	uint64_t	 seed;
};

static bool
obj_new(struct obj *o, uint64_t *rs)
{

	o->n = random_size(rs);
	o->seed = mt_rand(rs);
	o->p = malloc(o->n);
	if (o->p == NULL) {
		record_failure("malloc(%zu) returned NULL", o->n);
		return (false);
	}
	mt_fill(o->p, o->n, o->seed);
	return (true);
}

static void
obj_free(struct obj *o, const char *where)
{
	size_t bad;

	bad = mt_check(o->p, o->n, o->seed);
	if (bad != SIZE_MAX)
		record_failure("%s: object %p of %zu bytes corrupted at offset "
		    "%zu", where, (void *)o->p, o->n, bad);
	free(o->p);
	o->p = NULL;
}

/* Random stress: slots of live objects, each op frees or fills one. */
#define	NSLOTS		512
#define	STRESS_SECS	2.0

struct stress_arg {
	uint64_t	seed;
	uint64_t	ops;
};

static void *
stress_thread(void *varg)
{
	struct obj slot[NSLOTS];
	struct stress_arg *arg = varg;
	struct obj *o;
	double end;
	uint64_t rs;
	size_t i, m, bad;
	void *q;

	memset(slot, 0, sizeof(slot));
	rs = arg->seed;
	end = now() + STRESS_SECS;
	while ((arg->ops & 255) != 0 || now() < end) {
		arg->ops++;
		o = &slot[mt_rand(&rs) % NSLOTS];
		if (o->p == NULL) {
			if (!obj_new(o, &rs))
				break;
			continue;
		}
		if (mt_rand(&rs) % 8 != 0) {
			obj_free(o, "stress");
			continue;
		}
		/* Sometimes resize instead, keeping the prefix. */
		m = random_size(&rs);
		q = realloc(o->p, m);
		if (q == NULL) {
			record_failure("realloc to %zu returned NULL", m);
			break;
		}
		o->p = q;
		bad = mt_check(o->p, m < o->n ? m : o->n, o->seed);
		if (bad != SIZE_MAX)
			record_failure("realloc %zu -> %zu lost byte %zu", o->n,
			    m, bad);
		o->n = m;
		mt_fill(o->p, o->n, o->seed);
	}
	for (i = 0; i < NSLOTS; i++)
		if (slot[i].p != NULL)
			obj_free(&slot[i], "stress teardown");
	return (NULL);
}

ATF_TC_WITHOUT_HEAD(stress_random);
ATF_TC_BODY(stress_random, tc)
{
	pthread_t t[8];
	struct stress_arg arg[8];
	int i, n;

	n = nthreads();
	for (i = 0; i < n; i++) {
		arg[i].seed = 0x1000 + (uint64_t)i * 7777;
		arg[i].ops = 0;
		ATF_REQUIRE(pthread_create(&t[i], NULL, stress_thread,
		    &arg[i]) == 0);
	}
	for (i = 0; i < n; i++)
		ATF_REQUIRE(pthread_join(t[i], NULL) == 0);
	require_no_failure();
	for (i = 0; i < n; i++)
		ATF_CHECK_MSG(arg[i].ops > 1000, "thread %d did only %ju "
		    "operations", i, (uintmax_t)arg[i].ops);
}

/*
 * Producer/consumer ring.  Producers allocate and fill; consumers check
 * and free, so nearly every free is of memory from another thread.
 */
#define	RING_SIZE	1024
#define	RING_SECS	1.5
#define	NPROD		2
#define	NCONS		2

static struct {
	pthread_mutex_t	mtx;
	pthread_cond_t	not_empty;
	pthread_cond_t	not_full;
	struct obj	o[RING_SIZE];
	size_t		head;	/* next to pop */
	size_t		count;
	uint64_t	produced;
	uint64_t	consumed;
} ring = {
	.mtx = PTHREAD_MUTEX_INITIALIZER,
	.not_empty = PTHREAD_COND_INITIALIZER,
	.not_full = PTHREAD_COND_INITIALIZER,
};

static void
ring_push(const struct obj *o)
{

	pthread_mutex_lock(&ring.mtx);
	while (ring.count == RING_SIZE)
		pthread_cond_wait(&ring.not_full, &ring.mtx);
	ring.o[(ring.head + ring.count) % RING_SIZE] = *o;
	ring.count++;
	if (o->p != NULL)
		ring.produced++;
	pthread_cond_signal(&ring.not_empty);
	pthread_mutex_unlock(&ring.mtx);
}

static void
ring_pop(struct obj *o)
{

	pthread_mutex_lock(&ring.mtx);
	while (ring.count == 0)
		pthread_cond_wait(&ring.not_empty, &ring.mtx);
	*o = ring.o[ring.head];
	ring.head = (ring.head + 1) % RING_SIZE;
	ring.count--;
	if (o->p != NULL)
		ring.consumed++;
	pthread_cond_signal(&ring.not_full);
	pthread_mutex_unlock(&ring.mtx);
}

static void *
producer(void *varg)
{
	struct obj o;
	double end;
	uint64_t rs, k;

	rs = (uintptr_t)varg;
	end = now() + RING_SECS;
	for (k = 0; (k & 63) != 0 || now() < end; k++) {
		if (!obj_new(&o, &rs))
			break;
		ring_push(&o);
	}
	return (NULL);
}

static void *
consumer(void *varg)
{
	struct obj o, held[32];
	size_t nheld, i;

	(void)varg;
	nheld = 0;
	for (;;) {
		ring_pop(&o);
		if (o.p == NULL)
			break;
		/* Hold a few so that frees arrive in batches. */
		held[nheld++] = o;
		if (nheld == 32) {
			for (i = 0; i < nheld; i++)
				obj_free(&held[i], "consumer");
			nheld = 0;
		}
	}
	for (i = 0; i < nheld; i++)
		obj_free(&held[i], "consumer");
	return (NULL);
}

ATF_TC_WITHOUT_HEAD(cross_thread_ring);
ATF_TC_BODY(cross_thread_ring, tc)
{
	pthread_t p[NPROD], c[NCONS];
	struct obj stop;
	int i;

	for (i = 0; i < NCONS; i++)
		ATF_REQUIRE(pthread_create(&c[i], NULL, consumer, NULL) == 0);
	for (i = 0; i < NPROD; i++)
		ATF_REQUIRE(pthread_create(&p[i], NULL, producer,
		    (void *)(uintptr_t)(0xabc + i)) == 0);
	for (i = 0; i < NPROD; i++)
		ATF_REQUIRE(pthread_join(p[i], NULL) == 0);
	memset(&stop, 0, sizeof(stop));
	for (i = 0; i < NCONS; i++)
		ring_push(&stop);
	for (i = 0; i < NCONS; i++)
		ATF_REQUIRE(pthread_join(c[i], NULL) == 0);
	require_no_failure();
	ATF_CHECK_MSG(ring.produced == ring.consumed, "produced %ju objects "
	    "but consumed %ju", (uintmax_t)ring.produced,
	    (uintmax_t)ring.consumed);
	ATF_CHECK_MSG(ring.produced > 1000, "only %ju objects went through "
	    "the ring", (uintmax_t)ring.produced);
}

/*
 * Thread churn: NCHURN threads, WAVE at a time, each allocating and
 * freeing a few objects and leaving KEEP of them for the main thread.
 */
#define	NCHURN	2000
#define	WAVE	4
#define	PERTHR	24
#define	KEEP	2

static struct obj left[NCHURN][KEEP];

static void *
churn_thread(void *varg)
{
	struct obj o[PERTHR];
	uintptr_t idx;
	uint64_t rs;
	int i;

	idx = (uintptr_t)varg;
	rs = 0x5151 + idx;
	for (i = 0; i < PERTHR; i++) {
		o[i].n = 1 + mt_rand(&rs) % (i == 0 ? 200000 : 4096);
		o[i].seed = mt_rand(&rs);
		o[i].p = malloc(o[i].n);
		if (o[i].p == NULL) {
			record_failure("churn: malloc(%zu) failed", o[i].n);
			return (NULL);
		}
		mt_fill(o[i].p, o[i].n, o[i].seed);
	}
	for (i = 0; i < PERTHR - KEEP; i++)
		obj_free(&o[i], "churn thread");
	for (i = 0; i < KEEP; i++)
		left[idx][i] = o[PERTHR - KEEP + i];
	return (NULL);
}

ATF_TC_WITHOUT_HEAD(thread_churn);
ATF_TC_BODY(thread_churn, tc)
{
	pthread_t t[WAVE];
	size_t base, i, k;
	int ret;

	for (base = 0; base < NCHURN; base += WAVE) {
		for (i = 0; i < WAVE; i++) {
			ret = pthread_create(&t[i], NULL, churn_thread,
			    (void *)(uintptr_t)(base + i));
			ATF_REQUIRE_MSG(ret == 0, "pthread_create #%zu: %s",
			    base + i, strerror(ret));
		}
		for (i = 0; i < WAVE; i++)
			ATF_REQUIRE(pthread_join(t[i], NULL) == 0);
	}
	require_no_failure();
	for (i = 0; i < NCHURN; i++)
		for (k = 0; k < KEEP; k++) {
			ATF_REQUIRE_MSG(left[i][k].p != NULL, "thread %zu left "
			    "no object", i);
			obj_free(&left[i][k], "main thread after churn");
		}
	require_no_failure();
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, stress_random);
	ATF_TP_ADD_TC(tp, cross_thread_ring);
	ATF_TP_ADD_TC(tp, thread_churn);
	return (atf_no_error());
}
