/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * conf.c: parsing MALLOC_CONF and its other sources (see conf.h).  Runs
 * once under the init lock and never allocates.  One table describes
 * every option: its name, type, variable and limits; the parser, the
 * error messages and the listing for the statistics printer all read it.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "harden.h"
#include "config.h"
#include "msg.h"
#include "prof.h"
#include "pal.h"
#include "sc.h"

#ifndef DOMALLOC_CONF_DEFAULT
#define	DOMALLOC_CONF_DEFAULT	""
#endif

const char	conf_builtin[] = DOMALLOC_CONF_DEFAULT;

bool		opt_abort = false;
bool		opt_abort_conf = false;
bool		opt_confirm_conf = false;
unsigned	opt_narenas = 0;
int64_t		opt_dirty_decay_ms = 10000;
int64_t		opt_hugify_delay_ms = 1000;
int64_t		opt_muzzy_decay_ms = 0;
bool		opt_tcache = true;
size_t		opt_tcache_max = 32768;
unsigned	opt_tcache_nslots_small_min = 20;
unsigned	opt_tcache_nslots_small_max = 200;
unsigned	opt_tcache_nslots_large = 20;
int64_t		opt_lg_tcache_nslots_mul = 1;
unsigned	opt_junk = JUNK_NONE;
bool		opt_zero = false;
bool		opt_xmalloc = false;
bool		opt_retain = true;
unsigned	opt_dss = 0;
unsigned	opt_zero_realloc = ZERO_REALLOC_FREE;
bool		opt_stats_print = false;
char		opt_stats_print_opts[64];
unsigned	opt_thp = THP_DEFAULT;
unsigned	opt_numa = NUMA_PREFER;
unsigned	opt_metadata_thp = 0;
bool		opt_background_thread = false;
bool		opt_background_thread_set = false;
size_t		opt_max_background_threads = 4;
unsigned	opt_percpu_arena = PERCPU_ARENA_DISABLED;
bool		opt_utrace = false;
unsigned	opt_lg_page = 0;	/* 0: the kernel's (geom.h) */

const char *const conf_junk_names[] = { "false", "alloc", "free", "true",
	NULL };
const char *const conf_zero_realloc_names[] = { "free", "alloc", "abort",
	NULL };
const char *const conf_thp_names[] = { "default", "always", "never", NULL };
const char *const conf_numa_names[] = { "off", "prefer", "bind",
	"interleave", NULL };
const char *const conf_metadata_thp_names[] = { "disabled", "auto",
	"always", NULL };
const char *const conf_percpu_arena_names[] = { "disabled", "percpu",
	"phycpu", NULL };
/* There is no sbrk(2) support: "primary" and "secondary" are refused. */
const char *const conf_dss_names[] = { "disabled", NULL };

/* The program's own options; weak so that a program may define it. */
DM_EXPORT const char *malloc_conf __attribute__((weak)) = NULL;

enum conf_type {
	CT_BOOL,
	CT_UINT,	/* unsigned */
	CT_INT64,	/* int64_t (jemalloc's ssize_t options) */
	CT_SIZE,	/* size_t */
	CT_LG_SIZE,	/* size_t set as a power of two (lg_ aliases) */
	CT_ENUM,	/* unsigned index into names */
	CT_STR		/* char[len] */
};

/* Flags: clip to [min, max] rather than refuse; another name, not listed. */
#define	CF_CLIP		0x1
#define	CF_ALIAS	0x2

struct conf_opt {
	const char		*name;
	enum conf_type		 type;
	void			*var;
	int64_t			 min;
	int64_t			 max;
	const char *const	*names;		/* CT_ENUM */
	size_t			 len;		/* CT_STR buffer */
	unsigned		 flags;
};

/* The longest decay time: 2^40 ms, about 35 years. */
#define	CONF_DECAY_MAX	((int64_t)1 << 40)

static const struct conf_opt conf_opts[] = {
	{ "abort", CT_BOOL, &opt_abort, 0, 0, NULL, 0, 0 },
	{ "abort_conf", CT_BOOL, &opt_abort_conf, 0, 0, NULL, 0, 0 },
	{ "confirm_conf", CT_BOOL, &opt_confirm_conf, 0, 0, NULL, 0, 0 },
	{ "narenas", CT_UINT, &opt_narenas, 1, 4095, NULL, 0, 0 },
	{ "dirty_decay_ms", CT_INT64, &opt_dirty_decay_ms, -1,
	    CONF_DECAY_MAX, NULL, 0, 0 },
	{ "muzzy_decay_ms", CT_INT64, &opt_muzzy_decay_ms, -1,
	    CONF_DECAY_MAX, NULL, 0, 0 },
	{ "hugify_delay_ms", CT_INT64, &opt_hugify_delay_ms, 0,
	    CONF_DECAY_MAX, NULL, 0, 0 },
	{ "tcache", CT_BOOL, &opt_tcache, 0, 0, NULL, 0, 0 },
	{ "tcache_max", CT_SIZE, &opt_tcache_max, 0,
	    (int64_t)SC_TCACHE_LIMIT, NULL, 0, CF_CLIP },
	{ "lg_tcache_max", CT_LG_SIZE, &opt_tcache_max, 0, 23, NULL, 0,
	    CF_CLIP | CF_ALIAS },
	{ "tcache_nslots_small_min", CT_UINT, &opt_tcache_nslots_small_min,
	    1, 8192, NULL, 0, CF_CLIP },
	{ "tcache_nslots_small_max", CT_UINT, &opt_tcache_nslots_small_max,
	    1, 8192, NULL, 0, CF_CLIP },
	{ "tcache_nslots_large", CT_UINT, &opt_tcache_nslots_large, 1, 8192,
	    NULL, 0, CF_CLIP },
	{ "lg_tcache_nslots_mul", CT_INT64, &opt_lg_tcache_nslots_mul, -16,
	    16, NULL, 0, 0 },
	{ "junk", CT_ENUM, &opt_junk, 0, 0, conf_junk_names, 0, 0 },
	{ "zero", CT_BOOL, &opt_zero, 0, 0, NULL, 0, 0 },
	{ "xmalloc", CT_BOOL, &opt_xmalloc, 0, 0, NULL, 0, 0 },
	{ "retain", CT_BOOL, &opt_retain, 0, 0, NULL, 0, 0 },
	{ "dss", CT_ENUM, &opt_dss, 0, 0, conf_dss_names, 0, 0 },
	{ "zero_realloc", CT_ENUM, &opt_zero_realloc, 0, 0,
	    conf_zero_realloc_names, 0, 0 },
	{ "stats_print", CT_BOOL, &opt_stats_print, 0, 0, NULL, 0, 0 },
	{ "stats_print_opts", CT_STR, opt_stats_print_opts, 0, 0, NULL,
	    sizeof(opt_stats_print_opts), 0 },
	{ "thp", CT_ENUM, &opt_thp, 0, 0, conf_thp_names, 0, 0 },
	{ "numa", CT_ENUM, &opt_numa, 0, 0, conf_numa_names, 0, 0 },
	{ "metadata_thp", CT_ENUM, &opt_metadata_thp, 0, 0,
	    conf_metadata_thp_names, 0, 0 },
	{ "background_thread", CT_BOOL, &opt_background_thread, 0, 0, NULL,
	    0, 0 },
	{ "max_background_threads", CT_SIZE, &opt_max_background_threads,
	    1, 4096, NULL, 0, 0 },
	{ "percpu_arena", CT_ENUM, &opt_percpu_arena, 0, 0,
	    conf_percpu_arena_names, 0, 0 },
	{ "utrace", CT_BOOL, &opt_utrace, 0, 0, NULL, 0, 0 },
	{ "prof", CT_BOOL, &opt_prof, 0, 0, NULL, 0, 0 },
	{ "prof_active", CT_BOOL, &opt_prof_active, 0, 0, NULL, 0, 0 },
	{ "prof_thread_active_init", CT_BOOL, &opt_prof_thread_active_init,
	    0, 0, NULL, 0, 0 },
	{ "prof_prefix", CT_STR, opt_prof_prefix, 0, 0, NULL,
	    sizeof(opt_prof_prefix), 0 },
	{ "lg_prof_sample", CT_SIZE, &opt_lg_prof_sample, 0, 62, NULL, 0,
	    0 },
	{ "lg_prof_interval", CT_INT64, &opt_lg_prof_interval, -1, 62, NULL,
	    0, 0 },
	{ "prof_gdump", CT_BOOL, &opt_prof_gdump, 0, 0, NULL, 0, 0 },
	{ "prof_final", CT_BOOL, &opt_prof_final, 0, 0, NULL, 0, 0 },
	{ "prof_leak", CT_BOOL, &opt_prof_leak, 0, 0, NULL, 0, 0 },
	{ "prof_accum", CT_BOOL, &opt_prof_accum, 0, 0, NULL, 0, 0 },
	{ "prof_recent_alloc_max", CT_INT64, &opt_prof_recent_alloc_max, -1,
	    INT64_MAX, NULL, 0, 0 },
	{ "prof_format", CT_ENUM, &opt_prof_format, 0, 0, prof_format_names,
	    0, 0 },
	{ "lg_page", CT_UINT, &opt_lg_page, 12, 16, NULL, 0, 0 },
	/* Only the hardened library uses these (harden.h). */
	{ "harden_quarantine", CT_UINT, &opt_harden_quarantine, 0, 65536,
	    NULL, 0, CF_CLIP },
	{ "harden_quarantine_large", CT_UINT, &opt_harden_quarantine_large,
	    0, 65536, NULL, 0, CF_CLIP },
	{ "harden_quarantine_bytes", CT_SIZE, &opt_harden_quarantine_bytes,
	    0, INT64_MAX, NULL, 0, CF_CLIP },
};

#define	CONF_NOPTS	(sizeof(conf_opts) / sizeof(conf_opts[0]))

/* Parsing state; conf_init runs once, under the init lock. */
static bool		 conf_error;
static const char	*conf_source;

/* Copy at most len bytes of s into buf as a string. */
static const char *
conf_str(char *buf, size_t size, const char *s, size_t len)
{
	len = DM_MIN(len, size - 1);
	memcpy(buf, s, len);
	buf[len] = '\0';
	return (buf);
}

static void
conf_bad_value(const struct conf_opt *o, const char *v, size_t vlen)
{
	char vb[96], want[160];
	size_t n, i;

	switch (o->type) {
	case CT_BOOL:
		fmt_snprintf(want, sizeof(want), "true or false");
		break;
	case CT_ENUM:
		n = fmt_snprintf(want, sizeof(want), "one of");
		for (i = 0; o->names[i] != NULL && n < sizeof(want); i++)
			n += fmt_snprintf(want + n, sizeof(want) - n, "%s %s",
			    i == 0 ? "" : ",", o->names[i]);
		break;
	case CT_STR:
		fmt_snprintf(want, sizeof(want), "at most %zu characters",
		    o->len - 1);
		break;
	default:
		fmt_snprintf(want, sizeof(want), "an integer from %ld to %ld",
		    (long)o->min, (long)o->max);
		break;
	}
	msg_warn("MALLOC_CONF error in %s: invalid value \"%s\" for option "
	    "\"%s\" (expected %s)", conf_source, conf_str(vb, sizeof(vb), v,
	    vlen), o->name, want);
	conf_error = true;
}

static bool
conf_parse_int(const char *v, size_t vlen, int64_t *out)
{
	char buf[32], *end;
	long long x;

	if (vlen == 0 || vlen >= sizeof(buf))
		return (false);
	memcpy(buf, v, vlen);
	buf[vlen] = '\0';
	errno = 0;
	x = strtoll(buf, &end, 0);
	if (errno != 0 || *end != '\0')
		return (false);
	*out = x;
	return (true);
}

static void
conf_confirm(const char *k, size_t klen, const char *v, size_t vlen)
{
	char kb[64], vb[96];

	msg_warn("Set conf value: %s:%s", conf_str(kb, sizeof(kb), k, klen),
	    conf_str(vb, sizeof(vb), v, vlen));
}

static void
conf_set(const char *k, size_t klen, const char *v, size_t vlen)
{
	const struct conf_opt *o;
	char kb[64], vb[96];
	int64_t x;
	size_t i;
	unsigned e;

	for (i = 0; i < CONF_NOPTS; i++) {
		o = &conf_opts[i];
		if (strlen(o->name) == klen && memcmp(o->name, k, klen) == 0)
			break;
	}
	if (i == CONF_NOPTS) {
		msg_warn("MALLOC_CONF error in %s: unknown option \"%s\" "
		    "(in \"%s:%s\")", conf_source,
		    conf_str(kb, sizeof(kb), k, klen),
		    conf_str(kb, sizeof(kb), k, klen),
		    conf_str(vb, sizeof(vb), v, vlen));
		conf_error = true;
		return;
	}
	switch (o->type) {
	case CT_BOOL:
		if (vlen == 4 && memcmp(v, "true", 4) == 0)
			*(bool *)o->var = true;
		else if (vlen == 5 && memcmp(v, "false", 5) == 0)
			*(bool *)o->var = false;
		else
			goto bad;
		break;
	case CT_UINT:
	case CT_INT64:
	case CT_SIZE:
	case CT_LG_SIZE:
		if (!conf_parse_int(v, vlen, &x))
			goto bad;
		if (x < o->min || x > o->max) {
			if ((o->flags & CF_CLIP) == 0)
				goto bad;
			x = x < o->min ? o->min : o->max;
		}
		if (o->type == CT_UINT)
			*(unsigned *)o->var = (unsigned)x;
		else if (o->type == CT_INT64)
			*(int64_t *)o->var = x;
		else if (o->type == CT_SIZE)
			*(size_t *)o->var = (size_t)x;
		else
			*(size_t *)o->var = (size_t)1 << x;
		break;
	case CT_ENUM:
		for (e = 0; o->names[e] != NULL; e++)
			if (strlen(o->names[e]) == vlen &&
			    memcmp(o->names[e], v, vlen) == 0)
				break;
		if (o->names[e] == NULL)
			goto bad;
		*(unsigned *)o->var = e;
		break;
	case CT_STR:
		if (vlen >= o->len)
			goto bad;
		memcpy(o->var, v, vlen);
		((char *)o->var)[vlen] = '\0';
		break;
	}
	/* bg.c starts a purging thread on demand unless this was given. */
	if (o->var == &opt_background_thread)
		opt_background_thread_set = true;
	if (opt_confirm_conf)
		conf_confirm(k, klen, v, vlen);
	return;
bad:
	conf_bad_value(o, v, vlen);
}

static bool
conf_keychar(char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_');
}

static void
conf_parse(const char *s, const char *source)
{
	const char *k, *v;
	size_t klen, vlen;
	char buf[96];

	if (s == NULL || *s == '\0')
		return;
	conf_source = source;
	if (opt_confirm_conf)
		msg_warn("malloc_conf from %s: \"%s\"", source, s);
	while (*s != '\0') {
		k = s;
		while (conf_keychar(*s))
			s++;
		klen = (size_t)(s - k);
		if (*s != ':' || klen == 0) {
			msg_warn("MALLOC_CONF error in %s: malformed text at "
			    "\"%s\" (expected key:value pairs separated by "
			    "commas)", source, conf_str(buf, sizeof(buf), k,
			    strlen(k)));
			conf_error = true;
			return;
		}
		v = ++s;
		while (*s != ',' && *s != '\0')
			s++;
		vlen = (size_t)(s - v);
		conf_set(k, klen, v, vlen);
		if (*s == ',') {
			s++;
			if (*s == '\0') {
				msg_warn("MALLOC_CONF error in %s: the string "
				    "ends with a comma", source);
				conf_error = true;
			}
		}
	}
}

/* confirm_conf must be known before the sources are echoed. */
static void
conf_prescan(const char *s)
{
	const char *p;

	for (p = s; p != NULL && (p = strstr(p, "confirm_conf:")) != NULL;
	    p++) {
		if (p != s && p[-1] != ',')
			continue;
		p += strlen("confirm_conf:");
		opt_confirm_conf = strncmp(p, "true", 4) == 0 &&
		    (p[4] == ',' || p[4] == '\0');
	}
}

void
conf_init(void)
{
	char link[PATH_MAX];
	const char *env, *lnk;

	lnk = pal_readlink("/etc/malloc.conf", link, sizeof(link)) > 0 ?
	    link : NULL;
	env = pal_getenv("MALLOC_CONF");
	conf_prescan(conf_builtin);
	conf_prescan(malloc_conf);
	conf_prescan(lnk);
	conf_prescan(env);
	conf_parse(conf_builtin, "the built-in defaults");
	conf_parse(malloc_conf, "the global variable malloc_conf");
	conf_parse(lnk, "the symbolic link /etc/malloc.conf");
	conf_parse(env, "the environment variable MALLOC_CONF");
	if (conf_error && opt_abort_conf)
		msg_fatal("aborting: invalid MALLOC_CONF options (see above) "
		    "and abort_conf:true");
	if (opt_tcache_max > SC_TCACHE_LIMIT)
		opt_tcache_max = SC_TCACHE_LIMIT;
	if (opt_tcache_nslots_small_min > opt_tcache_nslots_small_max)
		opt_tcache_nslots_small_min = opt_tcache_nslots_small_max;
}

bool
conf_opt_value(unsigned i, const char **name, enum conf_vtype *vt,
    int64_t *iv, const char **sv)
{
	const struct conf_opt *o;
	unsigned k;

	for (k = 0; k < CONF_NOPTS; k++) {
		o = &conf_opts[k];
		if (o->flags & CF_ALIAS)
			continue;
		if (i-- != 0)
			continue;
		*name = o->name;
		*iv = 0;
		*sv = NULL;
		switch (o->type) {
		case CT_BOOL:
			*vt = CONF_V_BOOL;
			*iv = *(bool *)o->var;
			break;
		case CT_UINT:
			*vt = CONF_V_INT;
			*iv = *(unsigned *)o->var;
			break;
		case CT_INT64:
			*vt = CONF_V_INT;
			*iv = *(int64_t *)o->var;
			break;
		case CT_SIZE:
		case CT_LG_SIZE:
			*vt = CONF_V_INT;
			*iv = (int64_t)*(size_t *)o->var;
			break;
		case CT_ENUM:
			*vt = CONF_V_STR;
			*sv = o->names[*(unsigned *)o->var];
			break;
		case CT_STR:
			*vt = CONF_V_STR;
			*sv = o->var;
			break;
		}
		return (true);
	}
	return (false);
}
