/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * prof_dump.c: the writers of a heap profile snapshot (prof_snap.h) that
 * are text: jemalloc's heap_v2 format read by jeprof, the leak summary of
 * the final dump, and the JSON of experimental.prof_recent.alloc_dump.
 * The pprof protobuf writer is prof_pb.c; the helpers both use (output
 * buffer, exp, /proc/self/maps) are here, declared in prof_dump_int.h.
 *
 * heap_v2 numbers.  A snapshot carries, per context, thread and total,
 * both raw sample counts and unsampled estimates (the "u" pairs).  jeprof
 * unsamples each stack on its own: it multiplies the written count and
 * bytes by 1/(1 - exp(-(bytes/count)/R)).  As jemalloc 5.3 does with
 * prof_unbias, we write the pair that this formula turns back into our
 * estimate: x = ubytes/uobjs, y = ubytes * (1 - exp(-x/R)), count =
 * round(y/x), bytes = round(y).  For a stack of one object size this is
 * the raw pair itself; for mixed sizes it is what makes jeprof agree with
 * the estimate, which is unbiased where jeprof's per-stack average is
 * not.  The header lines are back-solved the same way from aggregate
 * sums, so they are not the sums of the contexts (jemalloc's are not
 * either; jeprof ignores them).
 *
 * Nothing here calls malloc or stdio: formatting is fmt_snprintf (msg.c),
 * output is write(2) from a buffer on the stack (struct pd_out, which can
 * also wrap its output in gzip of stored blocks), maps are
 * read with open/read into memory from pal_map().  There is no static
 * state, so the writers need no lock of their own; prof.c calls them
 * under its dump lock, holding no allocator lock.  exp() is our own: the
 * libraries are not linked with libm.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "msg.h"
#include "pal.h"
#include "prof_dump_int.h"
#include "prof_snap.h"
#include "sc.h"

/* Output buffer. */

int
pd_write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t n;

	while (len > 0) {
		n = write(fd, c, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (errno != 0 ? errno : EIO);
		}
		if (n == 0)
			return (EIO);
		c += n;
		len -= (size_t)n;
	}
	return (0);
}

/* CRC-32 (IEEE 802.3, reflected, as gzip's trailer). */
static void
pd_crc_table(uint32_t *tab)
{
	uint32_t c;
	unsigned i, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = (c & 1) != 0 ? 0xedb88320U ^ (c >> 1) : c >> 1;
		tab[i] = c;
	}
}

static uint32_t
pd_crc(const uint32_t *tab, uint32_t crc, const void *p, size_t len)
{
	const unsigned char *c = p;

	crc = ~crc;
	while (len-- > 0)
		crc = tab[(crc ^ *c++) & 0xff] ^ (crc >> 8);
	return (~crc);
}

static void
pd_out_raw(struct pd_out *o, const void *p, size_t len)
{
	int e;

	if (o->err == 0 && len != 0) {
		e = pd_write_all(o->fd, p, len);
		if (e != 0)
			o->err = e;
	}
}

void
pd_out_init(struct pd_out *o, int fd, bool gz)
{
	/* Member header: deflate, no flags, no time, unknown OS. */
	static const unsigned char gzhdr[10] = {
		0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff
	};

	o->fd = fd;
	o->err = 0;
	o->gz = gz;
	o->crc = 0;
	o->isize = 0;
	o->n = 0;
	if (gz) {
		pd_crc_table(o->crctab);
		pd_out_raw(o, gzhdr, sizeof(gzhdr));
	}
}

/* A stored deflate block: BFINAL/BTYPE 00 byte, LEN, NLEN (le16). */
static void
pd_out_block(struct pd_out *o, const void *p, size_t len, bool final)
{
	unsigned char h[5];

	DM_ASSERT(len <= 65535);
	h[0] = final ? 1 : 0;
	h[1] = (unsigned char)len;
	h[2] = (unsigned char)(len >> 8);
	h[3] = (unsigned char)~h[1];
	h[4] = (unsigned char)~h[2];
	pd_out_raw(o, h, sizeof(h));
	pd_out_raw(o, p, len);
	o->crc = pd_crc(o->crctab, o->crc, p, len);
	o->isize += (uint32_t)len;
}

static void
pd_out_drain(struct pd_out *o)
{
	if (o->n != 0) {
		if (o->gz)
			pd_out_block(o, o->buf, o->n, false);
		else
			pd_out_raw(o, o->buf, o->n);
	}
	o->n = 0;
}

void
pd_out_bytes(struct pd_out *o, const void *p, size_t len)
{
	const char *c = p;
	size_t k;

	while (len > 0) {
		if (o->n == PD_OUT_SIZE)
			pd_out_drain(o);
		k = DM_MIN(len, PD_OUT_SIZE - o->n);
		memcpy(o->buf + o->n, c, k);
		o->n += k;
		c += k;
		len -= k;
	}
}

void
pd_out_str(struct pd_out *o, const char *s)
{
	pd_out_bytes(o, s, strlen(s));
}

void
pd_out_fmt(struct pd_out *o, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	DM_ASSERT(n < sizeof(line));
	pd_out_bytes(o, line, DM_MIN(n, sizeof(line) - 1));
}

int
pd_out_flush(struct pd_out *o)
{
	unsigned char t[8];
	unsigned i;

	pd_out_drain(o);
	if (o->gz) {
		/* An empty final block, then CRC-32 and ISIZE (le32). */
		pd_out_block(o, t, 0, true);
		for (i = 0; i < 4; i++) {
			t[i] = (unsigned char)(o->crc >> (8 * i));
			t[4 + i] = (unsigned char)(o->isize >> (8 * i));
		}
		pd_out_raw(o, t, sizeof(t));
		o->gz = false;
	}
	return (o->err);
}

/* Arithmetic without libm. */

/* e^x - 1 for |x| <= 0.35 by its Taylor series (error < 1 ulp or so). */
static double
pd_expm1_small(double x)
{
	double sum, term;
	int k;

	sum = term = x;
	for (k = 2; k < 30; k++) {
		term *= x / k;
		sum += term;
		if (term == 0 || (term < 0 ? -term : term) <
		    1e-17 * (sum < 0 ? -sum : sum))
			break;
	}
	return (sum);
}

/* 2^k for -1074 <= k <= 1023, built from its bits. */
static double
pd_pow2(int k)
{
	union {
		uint64_t	u;
		double		d;
	} v;

	if (k < -1022) {
		v.u = (uint64_t)(k + 1000 + 1023) << 52;
		return (v.d * pd_pow2(-1000));
	}
	v.u = (uint64_t)(k + 1023) << 52;
	return (v.d);
}

double
pd_expm1(double x)
{
	/* ln 2 split in two (fdlibm's values) for an exact k * ln2. */
	static const double ln2_hi = 6.93147180369123816490e-01;
	static const double ln2_lo = 1.90821492927058770002e-10;
	double r, t;
	int k;

	if (x != x)
		return (x);
	if (x > -0.35 && x < 0.35)
		return (pd_expm1_small(x));
	if (x < -740)
		return (-1);
	if (x > 709)
		x = 709;		/* no overflow; never needed here */
	t = x / (ln2_hi + ln2_lo);
	k = (int)(t < 0 ? t - 0.5 : t + 0.5);
	r = (x - k * ln2_hi) - k * ln2_lo;
	return (pd_pow2(k) * (1 + pd_expm1_small(r)) - 1);
}

uint64_t
pd_round_u64(double v)
{
	if (!(v > 0))
		return (0);
	if (v >= 18446744073709551615.0)
		return (UINT64_MAX);
	return ((uint64_t)(v + 0.5));
}

int64_t
pd_round_i64(double v)
{
	if (v != v)
		return (0);
	if (v >= 9223372036854775807.0)
		return (INT64_MAX);
	if (v <= -9223372036854775807.0)
		return (-INT64_MAX);
	return (v < 0 ? -(int64_t)(-v + 0.5) : (int64_t)(v + 0.5));
}

bool
pd_ctx_dumped(const struct prof_snap *s, const struct prof_snap_ctx *c)
{
	/* A context without frames would merge into the previous stack. */
	DM_ASSERT(c->nframes > 0 && c->frames != NULL);
	if (c->nframes == 0 || c->frames == NULL)
		return (false);
	if (s->accum)
		return (c->c.accum.objs != 0);
	return (c->c.inuse.objs != 0);
}

/* /proc/self/maps. */

static int
pd_maps_open(void)
{
	int fd;

	do {
		fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	return (fd);
}

char *
pd_maps_read(size_t *lenp, size_t *mapsizep)
{
	char *buf, *nbuf;
	size_t size, len;
	ssize_t n;
	int fd, e;

	fd = pd_maps_open();
	if (fd < 0)
		return (NULL);
	size = 64 * 1024;
	len = 0;
	buf = pal_map(size, PAGE);
	if (buf == NULL)
		goto fail;
	for (;;) {
		if (len == size) {
			/* Grow: a map twice as large, then copy. */
			nbuf = pal_map(size * 2, PAGE);
			if (nbuf == NULL)
				goto fail;
			memcpy(nbuf, buf, len);
			pal_unmap(buf, size);
			buf = nbuf;
			size *= 2;
		}
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	*lenp = len;
	*mapsizep = size;
	return (buf);
fail:
	e = errno;
	if (buf != NULL)
		pal_unmap(buf, size);
	close(fd);
	errno = e != 0 ? e : ENOMEM;
	return (NULL);
}

/* heap_v2. */

/*
 * The (count, bytes) pair that jeprof's per-stack unsampling turns back
 * into u (jemalloc 5.3's prof_unbias back-solve); 0: 0 if u is empty.
 * When the estimate comes from a mix of sizes, the count may round to 0
 * with bytes left (jeprof then takes the bytes as they are): jemalloc
 * writes the same.
 */
static void
pd_backsolve(const struct prof_ucnt *u, uint64_t period, uint64_t *objs,
    uint64_t *bytes)
{
	double x, y;

	*objs = *bytes = 0;
	if (!(u->objs > 0) || !(u->bytes > 0) || period == 0)
		return;
	x = u->bytes / u->objs;
	y = u->bytes * -pd_expm1(-x / (double)period);
	*objs = pd_round_u64(y / x);
	*bytes = pd_round_u64(y);
}

/* "  t<who>: N: N [N: N]" without the newline. */
static void
pd_v2_cnts(struct pd_out *o, const struct prof_snap *s, const char *who,
    uint64_t uid, const struct prof_cnts *c)
{
	uint64_t io, ib, ao, ab;

	pd_backsolve(&c->uinuse, s->period, &io, &ib);
	ao = ab = 0;
	if (s->accum)
		pd_backsolve(&c->uaccum, s->period, &ao, &ab);
	if (who != NULL)
		pd_out_fmt(o, "  t%s: ", who);
	else
		pd_out_fmt(o, "  t%lu: ", uid);
	pd_out_fmt(o, "%lu: %lu [%lu: %lu]", io, ib, ao, ab);
}

/* A thread name on one line (a newline would end the thread line). */
static void
pd_v2_name(struct pd_out *o, const char *name)
{
	char c;

	pd_out_bytes(o, " ", 1);
	for (; *name != '\0'; name++) {
		c = *name;
		if (c == '\n' || c == '\r')
			c = ' ';
		pd_out_bytes(o, &c, 1);
	}
}

static void
pd_v2_maps(struct pd_out *o)
{
	ssize_t n;
	int fd;

	fd = pd_maps_open();
	if (fd < 0)
		return;		/* as jemalloc: no section at all */
	pd_out_str(o, "\nMAPPED_LIBRARIES:\n");
	for (;;) {
		pd_out_drain(o);
		n = read(fd, o->buf, PD_OUT_SIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && o->err == 0)
			o->err = errno;
		if (n <= 0)
			break;
		o->n = (size_t)n;
	}
	close(fd);
}

static int
pd_write_heapv2(int fd, const struct prof_snap *s)
{
	const struct prof_snap_ctx *c;
	const struct prof_snap_thr *t;
	struct pd_out o;
	unsigned i, j;

	pd_out_init(&o, fd, false);
	pd_out_fmt(&o, "heap_v2/%lu\n", s->period);
	pd_v2_cnts(&o, s, "*", 0, &s->total);
	pd_out_str(&o, "\n");
	for (i = 0; i < s->nthr; i++) {
		t = &s->thr[i];
		pd_v2_cnts(&o, s, NULL, t->uid, &t->c);
		if (t->name != NULL && t->name[0] != '\0')
			pd_v2_name(&o, t->name);
		pd_out_str(&o, "\n");
	}
	for (i = 0; i < s->nctx; i++) {
		c = &s->ctx[i];
		if (!pd_ctx_dumped(s, c))
			continue;
		pd_out_str(&o, "@");
		for (j = 0; j < c->nframes; j++)
			pd_out_fmt(&o, " 0x%lx", (uint64_t)c->frames[j]);
		pd_out_str(&o, "\n");
		pd_v2_cnts(&o, s, "*", 0, &c->c);
		pd_out_str(&o, "\n");
		/* jeprof --thread=<uid> reads these. */
		for (j = 0; j < c->nthr; j++) {
			pd_v2_cnts(&o, s, NULL, c->thr[j].uid, &c->thr[j].c);
			pd_out_str(&o, "\n");
		}
	}
	pd_v2_maps(&o);
	return (pd_out_flush(&o));
}

int
prof_dump_write(int fd, const struct prof_snap *s, enum prof_format fmt)
{
	switch (fmt) {
	case PROF_FORMAT_HEAPV2:
		return (pd_write_heapv2(fd, s));
	case PROF_FORMAT_PPROF:
		return (prof_pb_write(fd, s, false));
	}
	return (EINVAL);
}

/* Leak summary. */

bool
prof_dump_leak_report(const struct prof_snap *s)
{
	const struct prof_cnt *in = &s->total.inuse;
	double scale, ratio;
	uint64_t bytes, objs, nctx;
	char line[256];
	unsigned i;

	if (in->bytes == 0)
		return (false);
	/* One scale for the whole process, as jemalloc's prof_leakcheck. */
	scale = 1;
	if (in->objs != 0 && s->period != 0) {
		ratio = ((double)in->bytes / (double)in->objs) /
		    (double)s->period;
		scale = 1 / -pd_expm1(-ratio);
	}
	bytes = pd_round_u64((double)in->bytes * scale);
	objs = pd_round_u64((double)in->objs * scale);
	nctx = 0;
	for (i = 0; i < s->nctx; i++)
		if (s->ctx[i].c.inuse.objs != 0)
			nctx++;
	fmt_snprintf(line, sizeof(line), "<domalloc>: Leak approximation "
	    "summary: ~%lu byte%s, ~%lu object%s, >= %lu context%s\n",
	    bytes, bytes != 1 ? "s" : "", objs, objs != 1 ? "s" : "",
	    nctx, nctx != 1 ? "s" : "");
	msg_write(line);
	msg_write("<domalloc>: Run jeprof on dump output for leak detail\n");
	return (true);
}

/* experimental.prof_recent.alloc_dump JSON. */

/* Pieces handed to the callback; each ends with a NUL. */
#define	PJ_SIZE	512
struct pj_out {
	void	(*cb)(void *, const char *);
	void	*opaque;
	size_t	n;
	char	buf[PJ_SIZE];
};

static void
pj_drain(struct pj_out *j)
{
	if (j->n == 0)
		return;
	j->buf[j->n] = '\0';
	j->cb(j->opaque, j->buf);
	j->n = 0;
}

static void
pj_bytes(struct pj_out *j, const char *p, size_t len)
{
	size_t k;

	while (len > 0) {
		if (j->n == PJ_SIZE - 1)
			pj_drain(j);
		k = DM_MIN(len, PJ_SIZE - 1 - j->n);
		memcpy(j->buf + j->n, p, k);
		j->n += k;
		p += k;
		len -= k;
	}
}

static void
pj_str(struct pj_out *j, const char *s)
{
	pj_bytes(j, s, strlen(s));
}

static void
pj_fmt(struct pj_out *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
pj_fmt(struct pj_out *j, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	DM_ASSERT(n < sizeof(tmp));
	pj_bytes(j, tmp, DM_MIN(n, sizeof(tmp) - 1));
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void
pj_string(struct pj_out *j, const char *s)
{
	unsigned char c;

	pj_bytes(j, "\"", 1);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '"')
			pj_str(j, "\\\"");
		else if (c == '\\')
			pj_str(j, "\\\\");
		else if (c == '\n')
			pj_str(j, "\\n");
		else if (c == '\t')
			pj_str(j, "\\t");
		else if (c < 0x20 || c == 0x7f)
			pj_fmt(j, "\\u%04x", c);
		else
			pj_bytes(j, s, 1);
	}
	pj_bytes(j, "\"", 1);
}

static void
pj_trace(struct pj_out *j, const char *key, unsigned n,
    const uintptr_t *frames)
{
	unsigned i;

	pj_fmt(j, ",\"%s\":[", key);
	for (i = 0; i < n; i++)
		pj_fmt(j, "%s\"0x%lx\"", i == 0 ? "" : ",",
		    (uint64_t)frames[i]);
	pj_str(j, "]");
}

/* A NULL callback writes where messages go (as jemalloc's). */
static void
pj_default_cb(void *opaque, const char *s)
{
	(void)opaque;
	msg_write(s);
}

void
prof_dump_recent_json(const struct prof_recent_snap *r,
    void (*cb)(void *, const char *), void *opaque)
{
	const struct prof_recent_rec *e;
	struct pj_out j;
	unsigned i;

	j.cb = cb != NULL ? cb : pj_default_cb;
	j.opaque = opaque;
	j.n = 0;
	pj_fmt(&j, "{\"sample_interval\":%lu,\"recent_alloc_max\":%ld,"
	    "\"recent_alloc\":[", r->period, r->alloc_max);
	for (i = 0; i < r->n; i++) {
		e = &r->rec[i];
		pj_fmt(&j, "%s{\"size\":%zu,\"usize\":%zu,\"released\":%s,"
		    "\"alloc_thread_uid\":%lu", i == 0 ? "" : ",", e->size,
		    e->usize, e->released ? "true" : "false", e->alloc_uid);
		if (e->alloc_name != NULL) {
			pj_str(&j, ",\"alloc_thread_name\":");
			pj_string(&j, e->alloc_name);
		}
		pj_fmt(&j, ",\"alloc_time\":%lu", e->alloc_time_ns);
		pj_trace(&j, "alloc_trace", e->alloc_nframes, e->alloc_frames);
		if (e->released && e->dalloc_nframes != 0) {
			pj_fmt(&j, ",\"dalloc_thread_uid\":%lu",
			    e->dalloc_uid);
			if (e->dalloc_name != NULL) {
				pj_str(&j, ",\"dalloc_thread_name\":");
				pj_string(&j, e->dalloc_name);
			}
			pj_fmt(&j, ",\"dalloc_time\":%lu", e->dalloc_time_ns);
			pj_trace(&j, "dalloc_trace", e->dalloc_nframes,
			    e->dalloc_frames);
		}
		pj_str(&j, "}");
	}
	pj_str(&j, "]}");
	pj_drain(&j);
}
