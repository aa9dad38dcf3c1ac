/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * prof_pb.c: a heap profile snapshot (prof_snap.h) as pprof's
 * profile.proto (package perftools.profiles) for `go tool pprof`:
 * uncompressed (prof_dump_write's PROF_FORMAT_PPROF; pprof reads it), or
 * wrapped in gzip of stored blocks (prof_pb_write(..., true), for readers
 * that insist on gzip).  Encoded by hand: only varints (wire type 0) and
 * length-delimited fields (type 2) are needed.
 *
 * What is written, in the conventions of Go's runtime heap profile:
 * - sample_type [alloc_objects/count, alloc_space/bytes,
 *   inuse_objects/count, inuse_space/bytes], period_type space/bytes,
 *   period = R (2^lg_prof_sample), default_sample_type inuse_space,
 *   time_nanos = the snapshot's time.
 * - One Sample per context that heap_v2 would write: location_id leaf
 *   first (frames[0] is the allocation site), values the unsampled
 *   estimates rounded to integers (pprof never rescales a proto profile),
 *   and the numeric label "bytes" = average object size.
 * - One Location per distinct return address, address = return address
 *   - 1 (so that it lies inside the call instruction; the proto path of
 *   pprof does not subtract 1 as its text readers do), mapping_id = the
 *   Mapping that contains it.  No Function or Line: pprof symbolises from
 *   the binaries named by the Mappings.
 * - One Mapping per executable line of /proc/self/maps (start, limit,
 *   file offset, path), the main program's first, found by the path of
 *   /proc/self/exe: pprof takes mapping[0] to be the main binary.
 * The Profile message itself is never length-prefixed, so it is streamed
 * to the file (struct pd_out); each inner message is built in a buffer
 * on the stack first (a Sample of PROF_BT_MAX frames fits in 2 KiB).
 * Scratch memory (maps text, mappings, sorted addresses) comes from
 * pal_map() and is given back before returning; nothing calls malloc or
 * stdio.  No static state: no lock of its own (prof.c serialises dumps).
 */
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "msg.h"
#include "pal.h"
#include "prof_dump_int.h"
#include "sort.h"
#include "prof_snap.h"
#include "sc.h"

/* Wire types. */
#define	PB_VARINT	0
#define	PB_LEN		2

/* Field numbers of Profile. */
#define	PB_PROFILE_SAMPLE_TYPE		1
#define	PB_PROFILE_SAMPLE		2
#define	PB_PROFILE_MAPPING		3
#define	PB_PROFILE_LOCATION		4
#define	PB_PROFILE_STRING_TABLE		6
#define	PB_PROFILE_TIME_NANOS		9
#define	PB_PROFILE_PERIOD_TYPE		11
#define	PB_PROFILE_PERIOD		12
#define	PB_PROFILE_DEFAULT_SAMPLE_TYPE	14

/* The fixed part of the string table (index 0 must be ""). */
enum {
	PB_S_EMPTY = 0,
	PB_S_ALLOC_OBJECTS,
	PB_S_COUNT,
	PB_S_ALLOC_SPACE,
	PB_S_BYTES,
	PB_S_INUSE_OBJECTS,
	PB_S_INUSE_SPACE,
	PB_S_SPACE,
	PB_S_NFIXED
};
static const char *const pb_fixed_strings[PB_S_NFIXED] = {
	"", "alloc_objects", "count", "alloc_space", "bytes",
	"inuse_objects", "inuse_space", "space"
};

/* An inner message under construction. */
#define	PB_MSG_SIZE	2048
struct pb_msg {
	size_t	n;
	uint8_t	buf[PB_MSG_SIZE];
};

/* One executable mapping. */
struct pb_map {
	uint64_t	start;
	uint64_t	limit;
	uint64_t	offset;
	const char	*path;		/* NUL-terminated, in the maps text */
	uint64_t	str;		/* string table index of path */
};

static size_t
pb_varint_enc(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return (n);
}

static size_t
pb_varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return (n);
}

static void
pb_msg_varint(struct pb_msg *m, uint64_t v)
{
	/* Callers size their messages; this only guards the stack. */
	DM_ASSERT(m->n + 10 <= PB_MSG_SIZE);
	if (m->n + 10 > PB_MSG_SIZE)
		return;
	m->n += pb_varint_enc(m->buf + m->n, v);
}

/* A varint field; proto3 leaves zeros out. */
static void
pb_msg_u64(struct pb_msg *m, unsigned field, uint64_t v)
{
	if (v == 0)
		return;
	pb_msg_varint(m, (uint64_t)field << 3 | PB_VARINT);
	pb_msg_varint(m, v);
}

/* A packed repeated varint field (int64 values as two's complement). */
static void
pb_msg_packed(struct pb_msg *m, unsigned field, const uint64_t *v, size_t n)
{
	size_t i, len;

	len = 0;
	for (i = 0; i < n; i++)
		len += pb_varint_len(v[i]);
	pb_msg_varint(m, (uint64_t)field << 3 | PB_LEN);
	pb_msg_varint(m, len);
	for (i = 0; i < n; i++)
		pb_msg_varint(m, v[i]);
}

/* A Label{key, num} inside a Sample (both nonzero). */
static void
pb_msg_label(struct pb_msg *m, uint64_t key, int64_t num)
{
	DM_ASSERT(key != 0 && num != 0);
	pb_msg_varint(m, 3 << 3 | PB_LEN);
	pb_msg_varint(m, 2 + pb_varint_len(key) +
	    pb_varint_len((uint64_t)num));
	pb_msg_u64(m, 1, key);
	pb_msg_u64(m, 3, (uint64_t)num);
}

/* Top-level fields, streamed. */
static void
pb_out_varint(struct pd_out *o, uint64_t v)
{
	uint8_t tmp[10];

	pd_out_bytes(o, tmp, pb_varint_enc(tmp, v));
}

static void
pb_out_bytes(struct pd_out *o, unsigned field, const void *p, size_t len)
{
	pb_out_varint(o, (uint64_t)field << 3 | PB_LEN);
	pb_out_varint(o, len);
	pd_out_bytes(o, p, len);
}

static void
pb_out_msg(struct pd_out *o, unsigned field, const struct pb_msg *m)
{
	pb_out_bytes(o, field, m->buf, m->n);
}

static void
pb_out_u64(struct pd_out *o, unsigned field, uint64_t v)
{
	if (v == 0)
		return;
	pb_out_varint(o, (uint64_t)field << 3 | PB_VARINT);
	pb_out_varint(o, v);
}

static void
pb_out_valuetype(struct pd_out *o, unsigned field, uint64_t type,
    uint64_t unit)
{
	struct pb_msg m;

	m.n = 0;
	pb_msg_u64(&m, 1, type);
	pb_msg_u64(&m, 2, unit);
	pb_out_msg(o, field, &m);
}

/* /proc/self/maps parsing. */

static const char *
pb_hex(const char *p, const char *end, uint64_t *v)
{
	uint64_t x = 0;
	int d;

	for (; p < end; p++) {
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		x = x << 4 | (uint64_t)d;
	}
	*v = x;
	return (p);
}

static const char *
pb_skip_field(const char *p, const char *end)
{
	while (p < end && *p != ' ')
		p++;
	while (p < end && *p == ' ')
		p++;
	return (p);
}

/*
 * Parse one line "start-end perms offset dev inode   path" (line..end,
 * end at the newline, which the caller has made a NUL).  Returns whether
 * it is an executable mapping.
 */
static bool
pb_maps_line(const char *line, const char *end, struct pb_map *m)
{
	const char *p, *perms;

	p = pb_hex(line, end, &m->start);
	if (p == line || p >= end || *p != '-')
		return (false);
	p = pb_hex(p + 1, end, &m->limit);
	if (p >= end || *p != ' ')
		return (false);
	perms = p + 1;
	if (end - perms < 4 || perms[2] != 'x')
		return (false);
	p = pb_skip_field(perms, end);
	pb_hex(p, end, &m->offset);
	p = pb_skip_field(p, end);	/* offset */
	p = pb_skip_field(p, end);	/* dev */
	p = pb_skip_field(p, end);	/* inode */
	m->path = p;
	m->str = 0;
	return (true);
}

/*
 * The executable mappings of text (len bytes) in maps[], at most max of
 * them; returns how many.  With maps NULL, only counts; else the text
 * is modified in place: line ends become NULs (the caller leaves room
 * for one after the last byte).
 */
static size_t
pb_maps_parse(char *text, size_t len, struct pb_map *maps, size_t max)
{
	struct pb_map m;
	char *line, *end, *stop;
	size_t n;

	n = 0;
	stop = text + len;
	for (line = text; line < stop; line = end + 1) {
		end = memchr(line, '\n', (size_t)(stop - line));
		if (end == NULL)
			end = stop;
		if (!pb_maps_line(line, end, &m))
			continue;
		if (maps != NULL) {
			if (n == max)
				break;
			*end = '\0';
			maps[n] = m;
		}
		n++;
	}
	return (n);
}

/* Move the main program's mappings first, keeping the order otherwise. */
static void
pb_maps_main_first(struct pb_map *maps, size_t n)
{
	char exe[PATH_MAX];
	struct pb_map t;
	size_t i, j, k;

	if (pal_readlink("/proc/self/exe", exe, sizeof(exe)) <= 0)
		return;
	k = 0;
	for (i = 0; i < n; i++) {
		if (strcmp(maps[i].path, exe) != 0)
			continue;
		t = maps[i];
		for (j = i; j > k; j--)
			maps[j] = maps[j - 1];
		maps[k++] = t;
	}
}

/* String indices of the mapping paths, equal paths sharing one. */
static uint64_t
pb_maps_strings(struct pb_map *maps, size_t n)
{
	uint64_t next;
	size_t i, j;

	next = PB_S_NFIXED;
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(maps[j].path, maps[i].path) == 0)
				break;
		maps[i].str = j < i ? maps[j].str : next++;
	}
	return (next);
}

/* Location id (index + 1) of address v in the sorted a[0..n). */
static uint64_t
pb_loc_id(const uintptr_t *a, size_t n, uintptr_t v)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (a[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	DM_ASSERT(lo < n && a[lo] == v);
	return (lo + 1);
}

/* The writer. */

static void
pb_write_sample(struct pd_out *o, const struct prof_snap *s,
    const struct prof_snap_ctx *c, const uintptr_t *addrs, size_t naddrs)
{
	const struct prof_ucnt *alloc, *avg;
	uint64_t ids[PROF_BT_MAX], vals[4];
	struct pb_msg m;
	unsigned i, nf;

	nf = DM_MIN(c->nframes, PROF_BT_MAX);
	for (i = 0; i < nf; i++)
		ids[i] = pb_loc_id(addrs, naddrs, c->frames[i]);
	/*
	 * pprof wants four values.  Without prof_accum nothing accumulated
	 * is counted, so the alloc pair repeats the in-use pair (pprof's
	 * -sample_index=alloc_space then shows what is in use).
	 */
	alloc = s->accum ? &c->c.uaccum : &c->c.uinuse;
	vals[0] = (uint64_t)pd_round_i64(alloc->objs);
	vals[1] = (uint64_t)pd_round_i64(alloc->bytes);
	vals[2] = (uint64_t)pd_round_i64(c->c.uinuse.objs);
	vals[3] = (uint64_t)pd_round_i64(c->c.uinuse.bytes);
	m.n = 0;
	pb_msg_packed(&m, 1, ids, nf);
	pb_msg_packed(&m, 2, vals, 4);
	avg = c->c.uinuse.objs > 0 ? &c->c.uinuse : alloc;
	if (avg->objs > 0 && pd_round_i64(avg->bytes / avg->objs) > 0)
		pb_msg_label(&m, PB_S_BYTES,
		    pd_round_i64(avg->bytes / avg->objs));
	pb_out_msg(o, PB_PROFILE_SAMPLE, &m);
}

static void
pb_write_location(struct pd_out *o, uint64_t id, uintptr_t ret,
    const struct pb_map *maps, size_t nmaps)
{
	struct pb_msg m;
	uintptr_t addr;
	size_t i;

	addr = ret != 0 ? ret - 1 : 0;
	m.n = 0;
	pb_msg_u64(&m, 1, id);
	for (i = 0; i < nmaps; i++) {
		if (addr >= maps[i].start && addr < maps[i].limit) {
			pb_msg_u64(&m, 2, i + 1);
			break;
		}
	}
	pb_msg_u64(&m, 3, addr);
	pb_out_msg(o, PB_PROFILE_LOCATION, &m);
}

static void
pb_write_mapping(struct pd_out *o, uint64_t id, const struct pb_map *mp)
{
	struct pb_msg m;

	m.n = 0;
	pb_msg_u64(&m, 1, id);
	pb_msg_u64(&m, 2, mp->start);
	pb_msg_u64(&m, 3, mp->limit);
	pb_msg_u64(&m, 4, mp->offset);
	pb_msg_u64(&m, 5, mp->str);
	pb_out_msg(o, PB_PROFILE_MAPPING, &m);
}

int
prof_pb_write(int fd, const struct prof_snap *s, bool gz)
{
	struct pb_map *maps;
	struct pd_out o;
	uintptr_t *addrs;
	size_t mapslen, mapssize, nmaps, mapsarr, naddrs, addrsize, i, j;
	uint64_t nstr, next;
	char *text;
	int err;

	/* Mappings (a profile without them still loads: no symbols). */
	maps = NULL;
	nmaps = mapsarr = 0;
	text = pd_maps_read(&mapslen, &mapssize);
	if (text != NULL && mapslen == mapssize) {
		/* No room for the last line's NUL: give up the maps. */
		pal_unmap(text, mapssize);
		text = NULL;
	}
	if (text != NULL) {
		nmaps = pb_maps_parse(text, mapslen, NULL, 0);
		if (nmaps != 0) {
			mapsarr = ALIGN_UP(nmaps * sizeof(*maps), PAGE);
			maps = pal_map(mapsarr, PAGE);
			if (maps == NULL) {
				pal_unmap(text, mapssize);
				return (ENOMEM);
			}
			nmaps = pb_maps_parse(text, mapslen, maps, nmaps);
		}
	}
	pb_maps_main_first(maps, nmaps);
	nstr = pb_maps_strings(maps, nmaps);

	/* Distinct frames of the written contexts. */
	naddrs = 0;
	for (i = 0; i < s->nctx; i++)
		if (pd_ctx_dumped(s, &s->ctx[i]))
			naddrs += DM_MIN(s->ctx[i].nframes, PROF_BT_MAX);
	addrs = NULL;
	addrsize = 0;
	if (naddrs != 0) {
		addrsize = ALIGN_UP(naddrs * sizeof(*addrs), PAGE);
		addrs = pal_map(addrsize, PAGE);
		if (addrs == NULL) {
			err = ENOMEM;
			goto out;
		}
		naddrs = 0;
		for (i = 0; i < s->nctx; i++) {
			if (!pd_ctx_dumped(s, &s->ctx[i]))
				continue;
			for (j = 0; j < DM_MIN(s->ctx[i].nframes,
			    PROF_BT_MAX); j++)
				addrs[naddrs++] = s->ctx[i].frames[j];
		}
		naddrs = sort_uintptr_unique(addrs, naddrs);
	}

	pd_out_init(&o, fd, gz);
	pb_out_valuetype(&o, PB_PROFILE_SAMPLE_TYPE, PB_S_ALLOC_OBJECTS,
	    PB_S_COUNT);
	pb_out_valuetype(&o, PB_PROFILE_SAMPLE_TYPE, PB_S_ALLOC_SPACE,
	    PB_S_BYTES);
	pb_out_valuetype(&o, PB_PROFILE_SAMPLE_TYPE, PB_S_INUSE_OBJECTS,
	    PB_S_COUNT);
	pb_out_valuetype(&o, PB_PROFILE_SAMPLE_TYPE, PB_S_INUSE_SPACE,
	    PB_S_BYTES);
	for (i = 0; i < s->nctx; i++)
		if (pd_ctx_dumped(s, &s->ctx[i]))
			pb_write_sample(&o, s, &s->ctx[i], addrs, naddrs);
	for (i = 0; i < nmaps; i++)
		pb_write_mapping(&o, i + 1, &maps[i]);
	for (i = 0; i < naddrs; i++)
		pb_write_location(&o, i + 1, addrs[i], maps, nmaps);
	for (i = 0; i < PB_S_NFIXED; i++)
		pb_out_bytes(&o, PB_PROFILE_STRING_TABLE, pb_fixed_strings[i],
		    strlen(pb_fixed_strings[i]));
	next = PB_S_NFIXED;
	for (i = 0; i < nmaps; i++) {
		if (maps[i].str != next)
			continue;	/* written with an earlier mapping */
		pb_out_bytes(&o, PB_PROFILE_STRING_TABLE, maps[i].path,
		    strlen(maps[i].path));
		next++;
	}
	DM_ASSERT(next == nstr);
	pb_out_u64(&o, PB_PROFILE_TIME_NANOS, s->time_ns);
	pb_out_valuetype(&o, PB_PROFILE_PERIOD_TYPE, PB_S_SPACE, PB_S_BYTES);
	pb_out_u64(&o, PB_PROFILE_PERIOD, s->period);
	pb_out_u64(&o, PB_PROFILE_DEFAULT_SAMPLE_TYPE, PB_S_INUSE_SPACE);
	err = pd_out_flush(&o);
out:
	if (addrs != NULL)
		pal_unmap(addrs, addrsize);
	if (maps != NULL)
		pal_unmap(maps, mapsarr);
	if (text != NULL)
		pal_unmap(text, mapssize);
	return (err);
}
