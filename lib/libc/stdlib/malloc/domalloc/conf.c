/*
 * conf.c: parsing MALLOC_CONF and its other sources (see conf.h).  Runs
 * once under the init lock and never allocates.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "config.h"
#include "msg.h"
#include "pal.h"
#include "sc.h"

#ifndef DOMALLOC_CONF_DEFAULT
#define	DOMALLOC_CONF_DEFAULT	""
#endif

bool		opt_abort = false;
bool		opt_abort_conf = false;
bool		opt_confirm_conf = false;
unsigned	opt_narenas = 0;
int64_t		opt_dirty_decay_ms = 10000;
int64_t		opt_muzzy_decay_ms = 0;
bool		opt_tcache = true;
size_t		opt_tcache_max = 32768;
unsigned	opt_junk = JUNK_NONE;
bool		opt_zero = false;
bool		opt_xmalloc = false;
bool		opt_retain = true;
unsigned	opt_zero_realloc = ZERO_REALLOC_FREE;
bool		opt_stats_print = false;
char		opt_stats_print_opts[64];
unsigned	opt_thp = THP_DEFAULT;
unsigned	opt_numa = NUMA_PREFER;
unsigned	opt_metadata_thp = 0;
bool		opt_background_thread = false;
bool		opt_background_thread_set = false;
size_t		opt_max_background_threads = 4;
char		opt_percpu_arena[16] = "disabled";
bool		opt_utrace = false;

const char *const conf_junk_names[] = { "false", "alloc", "free", "true",
	NULL };
const char *const conf_zero_realloc_names[] = { "free", "alloc", "abort",
	NULL };
const char *const conf_thp_names[] = { "default", "always", "never", NULL };
const char *const conf_numa_names[] = { "off", "prefer", "bind",
	"interleave", NULL };
const char *const conf_metadata_thp_names[] = { "disabled", "auto",
	"always", NULL };

/* The program's own options; weak so that a program may define it. */
DM_EXPORT const char *malloc_conf __attribute__((weak)) = NULL;

static bool conf_error;

enum conf_type { CT_BOOL, CT_UINT, CT_SSIZE, CT_SIZE, CT_ENUM, CT_STR };

struct conf_opt {
	const char		*name;
	enum conf_type		 type;
	void			*var;
	int64_t			 min;
	int64_t			 max;
	const char *const	*names;		/* CT_ENUM */
	size_t			 len;		/* CT_STR buffer */
};

static const struct conf_opt conf_opts[] = {
	{ "abort", CT_BOOL, &opt_abort, 0, 0, NULL, 0 },
	{ "abort_conf", CT_BOOL, &opt_abort_conf, 0, 0, NULL, 0 },
	{ "confirm_conf", CT_BOOL, &opt_confirm_conf, 0, 0, NULL, 0 },
	{ "narenas", CT_UINT, &opt_narenas, 1, 4095, NULL, 0 },
	{ "dirty_decay_ms", CT_SSIZE, &opt_dirty_decay_ms, -1,
	    (int64_t)1 << 40, NULL, 0 },
	{ "muzzy_decay_ms", CT_SSIZE, &opt_muzzy_decay_ms, -1,
	    (int64_t)1 << 40, NULL, 0 },
	{ "tcache", CT_BOOL, &opt_tcache, 0, 0, NULL, 0 },
	{ "tcache_max", CT_SIZE, &opt_tcache_max, 0,
	    (int64_t)SC_TCACHE_LIMIT, NULL, 0 },
	{ "junk", CT_ENUM, &opt_junk, 0, 0, conf_junk_names, 0 },
	{ "zero", CT_BOOL, &opt_zero, 0, 0, NULL, 0 },
	{ "xmalloc", CT_BOOL, &opt_xmalloc, 0, 0, NULL, 0 },
	{ "retain", CT_BOOL, &opt_retain, 0, 0, NULL, 0 },
	{ "zero_realloc", CT_ENUM, &opt_zero_realloc, 0, 0,
	    conf_zero_realloc_names, 0 },
	{ "stats_print", CT_BOOL, &opt_stats_print, 0, 0, NULL, 0 },
	{ "stats_print_opts", CT_STR, opt_stats_print_opts, 0, 0, NULL,
	    sizeof(opt_stats_print_opts) },
	{ "thp", CT_ENUM, &opt_thp, 0, 0, conf_thp_names, 0 },
	{ "numa", CT_ENUM, &opt_numa, 0, 0, conf_numa_names, 0 },
	{ "metadata_thp", CT_ENUM, &opt_metadata_thp, 0, 0,
	    conf_metadata_thp_names, 0 },
	{ "background_thread", CT_BOOL, &opt_background_thread, 0, 0, NULL,
	    0 },
	{ "max_background_threads", CT_SIZE, &opt_max_background_threads,
	    1, 4096, NULL, 0 },
	{ "percpu_arena", CT_STR, opt_percpu_arena, 0, 0, NULL,
	    sizeof(opt_percpu_arena) },
	{ "utrace", CT_BOOL, &opt_utrace, 0, 0, NULL, 0 },
};

static void
conf_complain(const char *what, const char *k, size_t klen, const char *v,
    size_t vlen)
{
	char kb[64], vb[128];

	fmt_snprintf(kb, sizeof(kb), "%s", "");
	memcpy(kb, k, DM_MIN(klen, sizeof(kb) - 1));
	kb[DM_MIN(klen, sizeof(kb) - 1)] = '\0';
	memcpy(vb, v, DM_MIN(vlen, sizeof(vb) - 1));
	vb[DM_MIN(vlen, sizeof(vb) - 1)] = '\0';
	msg_warn("%s: %s:%s", what, kb, vb);
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
conf_set(const char *k, size_t klen, const char *v, size_t vlen)
{
	const struct conf_opt *o;
	int64_t x;
	size_t i;
	unsigned e;

	for (i = 0; i < sizeof(conf_opts) / sizeof(conf_opts[0]); i++) {
		o = &conf_opts[i];
		if (strlen(o->name) == klen && memcmp(o->name, k, klen) == 0)
			break;
	}
	if (i == sizeof(conf_opts) / sizeof(conf_opts[0])) {
		conf_complain("Invalid conf pair", k, klen, v, vlen);
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
	case CT_SSIZE:
	case CT_SIZE:
		if (!conf_parse_int(v, vlen, &x) || x < o->min || x > o->max)
			goto bad;
		if (o->type == CT_UINT)
			*(unsigned *)o->var = (unsigned)x;
		else if (o->type == CT_SSIZE)
			*(int64_t *)o->var = x;
		else
			*(size_t *)o->var = (size_t)x;
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
	if (o->var == &opt_background_thread)
		opt_background_thread_set = true;
	if (opt_confirm_conf) {
		char buf[160];

		fmt_snprintf(buf, sizeof(buf), "%s", "");
		memcpy(buf, k, DM_MIN(klen, 60));
		buf[DM_MIN(klen, 60)] = ':';
		memcpy(buf + DM_MIN(klen, 60) + 1, v, DM_MIN(vlen, 90));
		buf[DM_MIN(klen, 60) + 1 + DM_MIN(vlen, 90)] = '\0';
		msg_warn("Set conf value: %s", buf);
	}
	return;
bad:
	conf_complain("Invalid conf value", k, klen, v, vlen);
}

static void
conf_parse(const char *s, const char *source)
{
	const char *k, *v;
	size_t klen, vlen;

	if (s == NULL)
		return;
	if (opt_confirm_conf)
		msg_warn("malloc_conf #%s: \"%s\"", source, s);
	while (*s != '\0') {
		k = s;
		while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_')
			s++;
		klen = (size_t)(s - k);
		if (*s != ':' || klen == 0) {
			if (*s == '\0')
				msg_warn("Conf string ends with key");
			else
				msg_warn("Malformed conf string");
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
				msg_warn("Conf string ends with comma");
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

	if (s == NULL)
		return;
	p = strstr(s, "confirm_conf:true");
	if (p != NULL && (p == s || p[-1] == ','))
		opt_confirm_conf = true;
}

void
conf_init(void)
{
	char link[PATH_MAX];
	const char *env, *lnk;

	lnk = pal_readlink("/etc/malloc.conf", link, sizeof(link)) > 0 ?
	    link : NULL;
	env = pal_getenv("MALLOC_CONF");
	conf_prescan(malloc_conf);
	conf_prescan(lnk);
	conf_prescan(env);
	conf_parse(DOMALLOC_CONF_DEFAULT, "0 (compiled-in)");
	conf_parse(malloc_conf, "1 (global variable malloc_conf)");
	conf_parse(lnk, "2 (symlink /etc/malloc.conf)");
	conf_parse(env, "3 (environment variable MALLOC_CONF)");
	if (conf_error && opt_abort_conf)
		msg_fatal("invalid MALLOC_CONF (abort_conf:true)");
	if (opt_tcache_max > SC_TCACHE_LIMIT)
		opt_tcache_max = SC_TCACHE_LIMIT;
}
