/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * ctl_print.c: malloc_stats_print, in text laid out like jemalloc's and
 * in JSON ("J").  Option letters, as in jemalloc: "J" JSON; "g" omit the
 * general information (version, build and run-time settings, size
 * classes); "m" omit the merged arena; "a" omit the per-arena
 * statistics; "b" omit per-bin and "l" per-large-class tables; "d", "x",
 * "e", "h" (destroyed arenas, mutexes, extents, HPA) are accepted and
 * have nothing to omit.  "s", domalloc's own, prints a short summary of
 * a few lines (the run wrapper's --stats uses it).  Text output starts
 * with the line "___ Begin domalloc statistics ___" and ends with
 * "___ End domalloc statistics ___".
 *
 * Printing takes a new statistics snapshot (as jemalloc's printer writes
 * "epoch"), so the numbers printed are those stats.* reads afterwards.
 * Output is built in a fixed buffer and passed to the callback (or
 * malloc_message) in pieces; nothing allocates, so printing works from
 * atexit and inside a program's own malloc troubles.
 *
 * Synchronization: print_lock (RANK_INIT) serialises printers and
 * protects the copies below; the snapshot lock is held only while
 * copying from it, never while calling the callback, which may itself
 * allocate or call mallctl (not malloc_stats_print).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "config.h"
#include "ctl.h"
#include "hpage.h"
#include "msg.h"
#include "mutex.h"
#include "pal.h"
#include "stats.h"
#include "tcache.h"

static struct mutex print_lock = MUTEX_INITIALIZER(RANK_INIT);

/* Copies of the snapshot being printed.  Under print_lock. */
static struct stats_global	print_glob;
static struct stats_arena	print_merged;
static struct stats_arena	print_one;

#define	POUT_DEPTH	8

struct pout {
	void	(*cb)(void *, const char *);
	void	*opaque;
	bool	json;
	int	depth;			/* JSON nesting */
	bool	first[POUT_DEPTH];	/* nothing printed yet at a level */
	size_t	len;
	char	buf[1024];
};

static void
pout_flush(struct pout *o)
{
	if (o->len == 0)
		return;
	o->buf[o->len] = '\0';
	if (o->cb != NULL)
		o->cb(o->opaque, o->buf);
	else
		msg_write(o->buf);
	o->len = 0;
}

static void __attribute__((format(printf, 2, 3)))
pout(struct pout *o, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	if (o->len + n >= sizeof(o->buf) - 1)
		pout_flush(o);
	memcpy(o->buf + o->len, line, n);
	o->len += n;
}

/* Read a value through the control tree by name (for listings). */
static bool
print_ctl(const char *name, void *v, size_t len)
{
	size_t mib[CTL_MAX_DEPTH], miblen = CTL_MAX_DEPTH;
	const struct ctl_node *node;

	if (ctl_name_to_mib(name, mib, &miblen, &node) != 0 ||
	    node->handler == NULL)
		return (false);
	return (node->handler(mib, miblen, v, &len, NULL, 0) == 0);
}

/* JSON: a new line indented one space per level. */
static void
json_newline(struct pout *o, int depth)
{
	static const char spaces[] = "        ";
	int n = DM_MIN(depth + 1, (int)sizeof(spaces) - 1);

	pout(o, "\n%s", spaces + (sizeof(spaces) - 1 - n));
}

/* JSON: a key at the current level, with the comma it needs. */
static void
json_key(struct pout *o, const char *key)
{
	int d = o->depth;

	if (!o->first[d])
		pout(o, ",");
	json_newline(o, d);
	o->first[d] = false;
	if (key != NULL)
		pout(o, "\"%s\": ", key);
}

static void
json_open(struct pout *o, const char *key, char brace)
{
	json_key(o, key);
	pout(o, "%c", brace);
	if (o->depth < POUT_DEPTH - 1)
		o->depth++;
	o->first[o->depth] = true;
}

static void
json_close(struct pout *o, char brace)
{
	bool empty = o->first[o->depth];

	if (o->depth > 0)
		o->depth--;
	if (!empty)
		json_newline(o, o->depth);
	pout(o, "%c", brace);
}

static void
json_u64(struct pout *o, const char *key, uint64_t v)
{
	json_key(o, key);
	pout(o, "%lu", (unsigned long)v);
}

static void
json_i64(struct pout *o, const char *key, int64_t v)
{
	json_key(o, key);
	pout(o, "%ld", (long)v);
}

static void
json_bool(struct pout *o, const char *key, bool v)
{
	json_key(o, key);
	pout(o, "%s", v ? "true" : "false");
}

/* A string value, escaped: option strings come from the program. */
static void
json_str(struct pout *o, const char *key, const char *s)
{
	char buf[8];

	json_key(o, key);
	pout(o, "\"");
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			pout(o, "\\%c", *s);
		else if ((unsigned char)*s < 0x20) {
			fmt_snprintf(buf, sizeof(buf), "\\u%04x",
			    (unsigned)(unsigned char)*s);
			pout(o, "%s", buf);
		} else
			pout(o, "%c", *s);
	}
	pout(o, "\"");
}

/* The largest thread-cached class and the number of such classes. */
static void
print_tcache_classes(size_t *maxp, unsigned *np)
{
	*maxp = 0;
	*np = 0;
	(void)print_ctl("arenas.tcache_max", maxp, sizeof(*maxp));
	(void)print_ctl("arenas.nhbins", np, sizeof(*np));
}

/* General information: version, settings, size classes. */

static void
print_general_text(struct pout *o)
{
	const struct ctl_node *c;
	const char *name, *sv;
	enum conf_vtype vt;
	char cname[64];
	const char *s;
	int64_t iv;
	size_t tmax;
	unsigned i, nh;
	bool b;

	pout(o, "Version: \"%s\"\n", DOMALLOC_VERSION);
	pout(o, "Build-time option settings\n");
	for (c = ctl_config_children; c->name != NULL; c++) {
		fmt_snprintf(cname, sizeof(cname), "config.%s", c->name);
		if (print_ctl(cname, &b, sizeof(b)))
			pout(o, "  %s: %s\n", cname, b ? "true" : "false");
		else if (print_ctl(cname, &s, sizeof(s)))
			pout(o, "  %s: \"%s\"\n", cname, s);
	}
	pout(o, "Run-time option settings\n");
	for (i = 0; conf_opt_value(i, &name, &vt, &iv, &sv); i++) {
		if (strcmp(name, "narenas") == 0)
			iv = narenas_auto;
		if (vt == CONF_V_BOOL)
			pout(o, "  opt.%s: %s\n", name, iv ? "true" : "false");
		else if (vt == CONF_V_INT)
			pout(o, "  opt.%s: %ld\n", name, (long)iv);
		else
			pout(o, "  opt.%s: \"%s\"\n", name, sv);
	}
	print_tcache_classes(&tmax, &nh);
	pout(o, "Arenas: %u\n", print_glob.narenas);
	pout(o, "Quantum size: %zu\n", SC_QUANTUM);
	pout(o, "Page size: %zu\n", PAGE);
	pout(o, "Superpage size: %zu\n", SUPERPAGE);
	pout(o, "CPUs: %u\n", pal_caps.ncpus);
	pout(o, "NUMA nodes: %u\n", pal_caps.nnodes);
	pout(o, "Maximum thread-cached size class: %zu\n", tmax);
	pout(o, "Number of bin size classes: %u\n", (unsigned)SC_NBINS);
	pout(o, "Number of thread-cache bin size classes: %u\n", nh);
	pout(o, "Number of large size classes: %u\n",
	    (unsigned)STATS_NLEXTENTS);
}

static void
print_general_json(struct pout *o)
{
	const struct ctl_node *c;
	const char *name, *sv;
	enum conf_vtype vt;
	char cname[64];
	const char *s;
	int64_t iv;
	ssize_t ms;
	size_t tmax;
	unsigned i, nh;
	bool b;

	json_str(o, "version", DOMALLOC_VERSION);
	json_open(o, "config", '{');
	for (c = ctl_config_children; c->name != NULL; c++) {
		fmt_snprintf(cname, sizeof(cname), "config.%s", c->name);
		if (print_ctl(cname, &b, sizeof(b)))
			json_bool(o, c->name, b);
		else if (print_ctl(cname, &s, sizeof(s)))
			json_str(o, c->name, s);
	}
	json_close(o, '}');
	json_open(o, "opt", '{');
	for (i = 0; conf_opt_value(i, &name, &vt, &iv, &sv); i++) {
		if (strcmp(name, "narenas") == 0)
			iv = narenas_auto;
		if (vt == CONF_V_BOOL)
			json_bool(o, name, iv != 0);
		else if (vt == CONF_V_INT)
			json_i64(o, name, iv);
		else
			json_str(o, name, sv);
	}
	json_close(o, '}');
	print_tcache_classes(&tmax, &nh);
	json_open(o, "arenas", '{');
	json_u64(o, "narenas", print_glob.narenas);
	ms = 0;
	(void)print_ctl("arenas.dirty_decay_ms", &ms, sizeof(ms));
	json_i64(o, "dirty_decay_ms", ms);
	ms = 0;
	(void)print_ctl("arenas.muzzy_decay_ms", &ms, sizeof(ms));
	json_i64(o, "muzzy_decay_ms", ms);
	json_u64(o, "quantum", SC_QUANTUM);
	json_u64(o, "page", PAGE);
	json_u64(o, "superpage", SUPERPAGE);
	json_u64(o, "tcache_max", tmax);
	json_u64(o, "nbins", SC_NBINS);
	json_u64(o, "nhbins", nh);
	json_open(o, "bin", '[');
	for (i = 0; i < SC_NBINS; i++) {
		json_open(o, NULL, '{');
		json_u64(o, "size", sc_size[i]);
		json_u64(o, "nregs", sc_nregs[i]);
		json_u64(o, "slab_size", (uint64_t)sc_slab_pages[i] * PAGE);
		json_u64(o, "nshards", 1);
		json_close(o, '}');
	}
	json_close(o, ']');
	json_u64(o, "nlextents", STATS_NLEXTENTS);
	json_open(o, "lextent", '[');
	for (i = 0; i < STATS_NLEXTENTS; i++) {
		json_open(o, NULL, '{');
		json_u64(o, "size", sc_size[SC_NBINS + i]);
		json_close(o, '}');
	}
	json_close(o, ']');
	json_close(o, '}');
}

/* One arena (or the merged one). */

static void
print_bins_text(struct pout *o, const struct stats_arena *sa)
{
	const struct bin_stats *b;
	uint64_t regs, util;
	char us[16];
	unsigned i;

	pout(o, "bins:           size ind    allocated      nmalloc"
	    "      ndalloc    nrequests      curregs     curslabs"
	    " nonfull_slabs regs pgs  util       nfills     nflushes"
	    "       nslabs     nreslabs\n");
	for (i = 0; i < SC_NBINS; i++) {
		b = &sa->bins[i];
		if (b->nmalloc == 0)
			continue;
		regs = (uint64_t)sc_nregs[i] * b->curslabs;
		if (regs != 0) {
			util = (uint64_t)b->curregs * 1000 / regs;
			fmt_snprintf(us, sizeof(us), "%u.%03u",
			    (unsigned)(util / 1000), (unsigned)(util % 1000));
		} else
			fmt_snprintf(us, sizeof(us), "-");
		pout(o, "%20zu %3u %12zu %12lu %12lu %12lu %12zu %12zu"
		    " %13zu %4u %3u %5s %12lu %12lu %12lu %12lu\n",
		    sc_size[i], i, b->curregs * sc_size[i],
		    (unsigned long)b->nmalloc, (unsigned long)b->ndalloc,
		    (unsigned long)b->nrequests, b->curregs, b->curslabs,
		    b->nonfull, (unsigned)sc_nregs[i],
		    (unsigned)sc_slab_pages[i], us,
		    (unsigned long)b->nfills, (unsigned long)b->nflushes,
		    (unsigned long)b->nslabs, (unsigned long)b->nreslabs);
	}
}

static void
print_large_text(struct pout *o, const struct stats_arena *sa)
{
	uint64_t cur;
	unsigned i;

	pout(o, "large:          size ind    allocated      nmalloc"
	    "      ndalloc    nrequests  curlextents\n");
	for (i = 0; i < STATS_NLEXTENTS; i++) {
		if (sa->lmalloc[i] == 0)
			continue;
		cur = sa->lmalloc[i] - sa->ldalloc[i];
		pout(o, "%20zu %3u %12lu %12lu %12lu %12lu %12lu\n",
		    sc_size[SC_NBINS + i], SC_NBINS + i,
		    (unsigned long)(cur * sc_size[SC_NBINS + i]),
		    (unsigned long)sa->lmalloc[i],
		    (unsigned long)sa->ldalloc[i],
		    (unsigned long)sa->lmalloc[i], (unsigned long)cur);
	}
}

static void
print_arena_text(struct pout *o, const struct stats_arena *sa, bool merged,
    bool bins, bool large)
{
	char dt[24], mt[24];

	pout(o, "assigned threads: %u\n", sa->nthreads);
	pout(o, "dss allocation precedence: \"disabled\"\n");
	pout(o, "decaying:  time       npages       sweeps     madvises"
	    "       purged\n");
	/* The merged arena has no decay time of its own. */
	if (merged) {
		fmt_snprintf(dt, sizeof(dt), "N/A");
		fmt_snprintf(mt, sizeof(mt), "N/A");
	} else {
		fmt_snprintf(dt, sizeof(dt), "%ld", (long)sa->dirty_decay_ms);
		fmt_snprintf(mt, sizeof(mt), "%ld", (long)sa->muzzy_decay_ms);
	}
	pout(o, "   dirty: %5s %12zu %12lu %12lu %12lu\n", dt, sa->pa.ndirty,
	    (unsigned long)sa->pa.npurge, (unsigned long)sa->pa.nmadvise,
	    (unsigned long)sa->pa.npurged);
	pout(o, "   muzzy: %5s %12zu %12lu %12lu %12lu\n", mt, sa->pa.nmuzzy,
	    (unsigned long)sa->pa.muzzy_npurge,
	    (unsigned long)sa->pa.muzzy_nmadvise,
	    (unsigned long)sa->pa.muzzy_npurged);
	pout(o, "                            allocated      nmalloc"
	    "      ndalloc    nrequests       nfills     nflushes\n");
	pout(o, "%-25s%12zu %12lu %12lu %12lu %12lu %12lu\n", "small:",
	    sa->small_allocated, (unsigned long)sa->small_nmalloc,
	    (unsigned long)sa->small_ndalloc,
	    (unsigned long)sa->small_nrequests,
	    (unsigned long)sa->small_nfills,
	    (unsigned long)sa->small_nflushes);
	pout(o, "%-25s%12zu %12lu %12lu %12lu %12s %12s\n", "large:",
	    sa->large_allocated, (unsigned long)sa->large_nmalloc,
	    (unsigned long)sa->large_ndalloc,
	    (unsigned long)sa->large_nmalloc, "-", "-");
	pout(o, "%-25s%12zu %12lu %12lu %12lu %12lu %12lu\n", "total:",
	    sa->small_allocated + sa->large_allocated,
	    (unsigned long)(sa->small_nmalloc + sa->large_nmalloc),
	    (unsigned long)(sa->small_ndalloc + sa->large_ndalloc),
	    (unsigned long)(sa->small_nrequests + sa->large_nmalloc),
	    (unsigned long)sa->small_nfills,
	    (unsigned long)sa->small_nflushes);
	pout(o, "%-25s%12zu\n", "active:", sa->pa.nactive * PAGE);
	pout(o, "%-25s%12zu\n", "mapped:", sa->mapped);
	pout(o, "%-25s%12zu\n", "retained:", sa->retained);
	pout(o, "%-25s%12zu\n", "base:", sa->base);
	pout(o, "%-25s%12zu\n", "internal:", (size_t)0);
	pout(o, "%-25s%12zu\n", "resident:", sa->resident);
	pout(o, "%-25s%12zu mapped, %zu retained, %zu runs, %zu huge\n",
	    "superpages:", sa->pa.nmapped_sp, sa->pa.nretained_sp,
	    sa->pa.nruns_sp, sa->pa.nhuge_sp);
	pout(o, "%-25s%12zu (%zu superpages advised MADV_HUGEPAGE)\n",
	    "hugepages:", sa->pa.nhugified_sp * SUPERPAGE,
	    sa->pa.nhugified_sp);
	if (bins)
		print_bins_text(o, sa);
	if (large)
		print_large_text(o, sa);
}

static void
print_arena_json(struct pout *o, const char *key,
    const struct stats_arena *sa, bool bins, bool large)
{
	const struct bin_stats *b;
	unsigned i;

	json_open(o, key, '{');
	json_u64(o, "nthreads", sa->nthreads);
	json_str(o, "dss", "disabled");
	json_i64(o, "dirty_decay_ms", sa->dirty_decay_ms);
	json_i64(o, "muzzy_decay_ms", sa->muzzy_decay_ms);
	json_u64(o, "pactive", sa->pa.nactive);
	json_u64(o, "pdirty", sa->pa.ndirty);
	json_u64(o, "pmuzzy", sa->pa.nmuzzy);
	json_u64(o, "hugepages", sa->pa.nhugified_sp * SUPERPAGE);
	json_u64(o, "dirty_npurge", sa->pa.npurge);
	json_u64(o, "dirty_nmadvise", sa->pa.nmadvise);
	json_u64(o, "dirty_purged", sa->pa.npurged);
	json_u64(o, "muzzy_npurge", sa->pa.muzzy_npurge);
	json_u64(o, "muzzy_nmadvise", sa->pa.muzzy_nmadvise);
	json_u64(o, "muzzy_purged", sa->pa.muzzy_npurged);
	json_open(o, "small", '{');
	json_u64(o, "allocated", sa->small_allocated);
	json_u64(o, "nmalloc", sa->small_nmalloc);
	json_u64(o, "ndalloc", sa->small_ndalloc);
	json_u64(o, "nrequests", sa->small_nrequests);
	json_u64(o, "nfills", sa->small_nfills);
	json_u64(o, "nflushes", sa->small_nflushes);
	json_close(o, '}');
	json_open(o, "large", '{');
	json_u64(o, "allocated", sa->large_allocated);
	json_u64(o, "nmalloc", sa->large_nmalloc);
	json_u64(o, "ndalloc", sa->large_ndalloc);
	json_u64(o, "nrequests", sa->large_nmalloc);
	json_close(o, '}');
	json_u64(o, "mapped", sa->mapped);
	json_u64(o, "retained", sa->retained);
	json_u64(o, "base", sa->base);
	json_u64(o, "internal", 0);
	json_u64(o, "metadata_thp", 0);
	json_u64(o, "resident", sa->resident);
	if (bins) {
		json_open(o, "bins", '[');
		for (i = 0; i < SC_NBINS; i++) {
			b = &sa->bins[i];
			json_open(o, NULL, '{');
			json_u64(o, "nmalloc", b->nmalloc);
			json_u64(o, "ndalloc", b->ndalloc);
			json_u64(o, "curregs", b->curregs);
			json_u64(o, "nrequests", b->nrequests);
			json_u64(o, "nfills", b->nfills);
			json_u64(o, "nflushes", b->nflushes);
			json_u64(o, "nreslabs", b->nreslabs);
			json_u64(o, "curslabs", b->curslabs);
			json_u64(o, "nslabs", b->nslabs);
			json_u64(o, "nonfull_slabs", b->nonfull);
			json_close(o, '}');
		}
		json_close(o, ']');
	}
	if (large) {
		json_open(o, "lextents", '[');
		for (i = 0; i < STATS_NLEXTENTS; i++) {
			json_open(o, NULL, '{');
			json_u64(o, "nmalloc", sa->lmalloc[i]);
			json_u64(o, "ndalloc", sa->ldalloc[i]);
			json_u64(o, "nrequests", sa->lmalloc[i]);
			json_u64(o, "curlextents", sa->lmalloc[i] -
			    sa->ldalloc[i]);
			json_close(o, '}');
		}
		json_close(o, ']');
	}
	json_close(o, '}');
}

/* Copy arena i out of the snapshot; false if it has none. */
static bool
print_copy_arena(unsigned i)
{
	const struct stats_arena *sa;

	stats_snapshot_lock();
	sa = i < print_glob.narenas ? stats_snapshot_arena(i) : NULL;
	if (sa != NULL)
		print_one = *sa;
	stats_snapshot_unlock();
	return (sa != NULL);
}

static void
print_summary(struct pout *o)
{
	pout(o, "___ Begin domalloc statistics ___\n");
	pout(o, "%s: %u arenas, %u CPUs, %u NUMA node(s), dirty_decay_ms %ld,"
	    " tcache %s\n", DOMALLOC_VERSION, print_glob.narenas,
	    pal_caps.ncpus, pal_caps.nnodes, (long)opt_dirty_decay_ms,
	    opt_tcache ? "on" : "off");
	pout(o, "Allocated: %zu, active: %zu, metadata: %zu, resident: %zu,"
	    " mapped: %zu, retained: %zu\n", print_glob.allocated,
	    print_glob.active, print_glob.metadata, print_glob.resident,
	    print_glob.mapped, print_glob.retained);
	pout(o, "___ End domalloc statistics ___\n");
}

/* The huge page line of the text and JSON reports. */
static void
print_hugify(struct pout *o, bool json)
{
	if (json) {
		json_u64(o, "hugepages", print_glob.hugepages);
		json_u64(o, "hugify_cost_ns", hpage_cost_ns());
		json_u64(o, "hugify_delay_ms", hpage_delay_ms());
		return;
	}
	pout(o, "Huge pages: %zu bytes advised, hugify cost %llu ns per "
	    "superpage, delay in force %llu ms\n", print_glob.hugepages,
	    (unsigned long long)hpage_cost_ns(),
	    (unsigned long long)hpage_delay_ms());
}

void
stats_print(void (*write_cb)(void *, const char *), void *cbopaque,
    const char *opts)
{
	struct pout o;
	bool json = false, general = true, merged = true, per = true;
	bool bins = true, large = true, summary = false;
	char key[16];
	unsigned i;

	for (; opts != NULL && *opts != '\0'; opts++) {
		switch (*opts) {
		case 'J': json = true; break;
		case 'g': general = false; break;
		case 'm': merged = false; break;
		case 'a': per = false; break;
		case 'b': bins = false; break;
		case 'l': large = false; break;
		case 's': summary = true; break;
		default: break;
		}
	}
	memset(&o, 0, sizeof(o));
	o.cb = write_cb;
	o.opaque = cbopaque;
	o.json = json;
	o.first[0] = true;
	mutex_lock(&print_lock);
	(void)stats_snapshot_refresh();
	print_glob = *stats_snapshot_lock();
	print_merged = *stats_snapshot_arena(STATS_MERGED);
	stats_snapshot_unlock();
	if (summary && !json) {
		print_summary(&o);
		goto done;
	}
	if (json) {
		pout(&o, "{");
		json_open(&o, "domalloc", '{');
		if (general)
			print_general_json(&o);
		json_open(&o, "stats", '{');
		json_u64(&o, "epoch", print_glob.epoch);
		json_u64(&o, "allocated", print_glob.allocated);
		json_u64(&o, "active", print_glob.active);
		json_u64(&o, "metadata", print_glob.metadata);
		json_u64(&o, "metadata_thp", 0);
		json_u64(&o, "resident", print_glob.resident);
		json_u64(&o, "mapped", print_glob.mapped);
		json_u64(&o, "retained", print_glob.retained);
		print_hugify(&o, true);
		json_close(&o, '}');
		if (merged || per) {
			json_open(&o, "stats.arenas", '{');
			if (merged)
				print_arena_json(&o, "merged", &print_merged,
				    bins, large);
			for (i = 0; per && i < print_glob.narenas; i++) {
				if (!print_copy_arena(i))
					continue;
				fmt_snprintf(key, sizeof(key), "%u", i);
				print_arena_json(&o, key, &print_one, bins,
				    large);
			}
			json_close(&o, '}');
		}
		json_close(&o, '}');
		pout(&o, "\n}\n");
		goto done;
	}
	pout(&o, "___ Begin domalloc statistics ___\n");
	if (general)
		print_general_text(&o);
	pout(&o, "Allocated: %zu, active: %zu, metadata: %zu, resident: %zu,"
	    " mapped: %zu, retained: %zu\n", print_glob.allocated,
	    print_glob.active, print_glob.metadata, print_glob.resident,
	    print_glob.mapped, print_glob.retained);
	print_hugify(&o, false);
	if (merged) {
		pout(&o, "Merged arenas stats:\n");
		print_arena_text(&o, &print_merged, true, bins, large);
	}
	for (i = 0; per && i < print_glob.narenas; i++) {
		if (!print_copy_arena(i))
			continue;
		pout(&o, "arenas[%u]:\n", i);
		print_arena_text(&o, &print_one, false, bins, large);
	}
	pout(&o, "___ End domalloc statistics ___\n");
done:
	pout_flush(&o);
	mutex_unlock(&print_lock);
}

void
ctl_print_prefork(void)
{
	mutex_lock(&print_lock);
}

void
ctl_print_postfork_parent(void)
{
	mutex_unlock(&print_lock);
}

void
ctl_print_postfork_child(void)
{
	mutex_postfork_child(&print_lock);
}
