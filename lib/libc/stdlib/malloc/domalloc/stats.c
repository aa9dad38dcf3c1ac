/*
 * stats.c: merging statistics and printing them (see stats.h).
 *
 * malloc_stats_print options, as in jemalloc: "J" JSON output; "g" omit
 * general information; "m" omit merged arena statistics; "a" omit
 * per-arena statistics; "b" omit per-bin statistics; "l" omit per-large-
 * class statistics; plus "s", domalloc's own: a short summary of a few
 * lines only.  The text output is built in a fixed buffer and flushed to
 * the callback in pieces; nothing allocates.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "base.h"
#include "config.h"
#include "conf.h"
#include "msg.h"
#include "mutex.h"
#include "pal.h"
#include "stats.h"
#include "tcache.h"

static struct mutex stats_lock = MUTEX_INITIALIZER(RANK_CTL);

void
stats_collect_arena(unsigned ind, struct stats_arena *out)
{
	struct arena *a;
	unsigned i;

	memset(out, 0, sizeof(*out));
	a = arena_get(ind, false);
	if (a == NULL)
		return;
	out->nthreads = atomic_load_explicit(&a->nthreads,
	    memory_order_relaxed);
	for (i = 0; i < SC_NBINS; i++) {
		mutex_lock(&a->bins[i].lock);
		out->bins[i] = a->bins[i].stats;
		mutex_unlock(&a->bins[i].lock);
		out->small_allocated += out->bins[i].curregs * sc_size[i];
	}
	for (i = 0; i < SC_NSIZES - SC_NBINS; i++) {
		out->lmalloc[i] = atomic_load_explicit(&a->lstats[i].nmalloc,
		    memory_order_relaxed);
		out->ldalloc[i] = atomic_load_explicit(&a->lstats[i].ndalloc,
		    memory_order_relaxed);
	}
	pa_stats_read(&a->pa, &out->pa);
	out->large_allocated = out->pa.nactive * PAGE;
	/* Pages of slabs are active too; large bytes are the rest. */
	for (i = 0; i < SC_NBINS; i++)
		out->large_allocated -= DM_MIN(out->large_allocated,
		    out->bins[i].curslabs * sc_slab_pages[i] * PAGE);
}

void
stats_refresh(struct stats_snapshot *out)
{
	static struct stats_arena sa;	/* under stats_lock */
	static uint64_t epoch;
	unsigned i, n;

	mutex_lock(&stats_lock);
	memset(out, 0, sizeof(*out));
	n = atomic_load_explicit(&narenas_total, memory_order_acquire);
	out->narenas = n;
	for (i = 0; i < n; i++) {
		if (arena_get(i, false) == NULL)
			continue;
		stats_collect_arena(i, &sa);
		out->allocated += sa.small_allocated + sa.large_allocated;
		out->active += sa.pa.nactive * PAGE;
		out->dirty += sa.pa.ndirty * PAGE;
		out->mapped += (sa.pa.nmapped_sp - sa.pa.nretained_sp) *
		    SUPERPAGE;
		out->retained += sa.pa.nretained_sp * SUPERPAGE;
	}
	out->metadata = base_allocated();
	out->mapped += base_mapped();
	out->resident = out->active + out->dirty + base_mapped();
	if (out->resident > out->mapped)
		out->resident = out->mapped;
	out->epoch = ++epoch;
	mutex_unlock(&stats_lock);
}

struct stats_out {
	void	(*cb)(void *, const char *);
	void	*opaque;
	char	buf[1024];
	size_t	len;
};

static void
stats_flush(struct stats_out *o)
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
stats_out(struct stats_out *o, const char *fmt, ...)
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
		stats_flush(o);
	memcpy(o->buf + o->len, line, n);
	o->len += n;
}

static void
stats_print_bins(struct stats_out *o, const struct stats_arena *sa,
    bool json)
{
	const struct bin_stats *b;
	unsigned i;
	bool first = true;

	if (json)
		stats_out(o, "\"bins\": [");
	else
		stats_out(o, "bins:           size ind    allocated"
		    "      nmalloc      ndalloc    nrequests   curregs"
		    "  curslabs  regs pgs\n");
	for (i = 0; i < SC_NBINS; i++) {
		b = &sa->bins[i];
		if (json) {
			stats_out(o, "%s{\"nmalloc\": %zu, \"ndalloc\": %zu, "
			    "\"nrequests\": %zu, \"curregs\": %zu, "
			    "\"curslabs\": %zu, \"nfills\": %zu, "
			    "\"nflushes\": %zu}", first ? "" : ", ",
			    (size_t)b->nmalloc, (size_t)b->ndalloc,
			    (size_t)b->nrequests, b->curregs, b->curslabs,
			    (size_t)b->nfills, (size_t)b->nflushes);
			first = false;
			continue;
		}
		if (b->nmalloc == 0)
			continue;
		stats_out(o, "              %7zu %3u %12zu %12zu %12zu %12zu "
		    "%9zu %9zu %5u %3u\n", sc_size[i], i,
		    b->curregs * sc_size[i], (size_t)b->nmalloc,
		    (size_t)b->ndalloc, (size_t)b->nrequests, b->curregs,
		    b->curslabs, (unsigned)sc_nregs[i],
		    (unsigned)sc_slab_pages[i]);
	}
	if (json)
		stats_out(o, "]");
}

static void
stats_print_large(struct stats_out *o, const struct stats_arena *sa,
    bool json)
{
	unsigned i;
	bool first = true;

	if (json)
		stats_out(o, "\"lextents\": [");
	else
		stats_out(o, "large:          size ind      nmalloc"
		    "      ndalloc    curlextents\n");
	for (i = 0; i < SC_NSIZES - SC_NBINS; i++) {
		if (json) {
			stats_out(o, "%s{\"nmalloc\": %zu, \"ndalloc\": %zu, "
			    "\"curlextents\": %zu}", first ? "" : ", ",
			    (size_t)sa->lmalloc[i], (size_t)sa->ldalloc[i],
			    (size_t)(sa->lmalloc[i] - sa->ldalloc[i]));
			first = false;
			continue;
		}
		if (sa->lmalloc[i] == 0)
			continue;
		stats_out(o, "     %12zu %3u %12zu %12zu %14zu\n",
		    sc_size[i + SC_NBINS], i + SC_NBINS,
		    (size_t)sa->lmalloc[i], (size_t)sa->ldalloc[i],
		    (size_t)(sa->lmalloc[i] - sa->ldalloc[i]));
	}
	if (json)
		stats_out(o, "]");
}

static void
stats_print_arena(struct stats_out *o, const struct stats_arena *sa,
    bool json, bool bins, bool large)
{
	if (json) {
		stats_out(o, "{\"nthreads\": %u, \"small_allocated\": %zu, "
		    "\"large_allocated\": %zu, \"pactive\": %zu, "
		    "\"pdirty\": %zu, \"mapped\": %zu, \"retained\": %zu, "
		    "\"npurge\": %zu, \"npurged\": %zu, \"nmadvise\": %zu",
		    sa->nthreads, sa->small_allocated, sa->large_allocated,
		    sa->pa.nactive, sa->pa.ndirty,
		    (sa->pa.nmapped_sp - sa->pa.nretained_sp) * SUPERPAGE,
		    sa->pa.nretained_sp * SUPERPAGE, (size_t)sa->pa.npurge,
		    (size_t)sa->pa.npurged, (size_t)sa->pa.nmadvise);
		if (bins) {
			stats_out(o, ", ");
			stats_print_bins(o, sa, true);
		}
		if (large) {
			stats_out(o, ", ");
			stats_print_large(o, sa, true);
		}
		stats_out(o, "}");
		return;
	}
	stats_out(o, "assigned threads: %u\n", sa->nthreads);
	stats_out(o, "small allocated:  %zu\nlarge allocated:  %zu\n",
	    sa->small_allocated, sa->large_allocated);
	stats_out(o, "active pages:     %zu\ndirty pages:      %zu\n",
	    sa->pa.nactive, sa->pa.ndirty);
	stats_out(o, "superpages:       %zu mapped, %zu retained, %zu runs,"
	    " %zu huge\n", sa->pa.nmapped_sp, sa->pa.nretained_sp,
	    sa->pa.nruns_sp, sa->pa.nhuge_sp);
	stats_out(o, "purging:          %zu sweeps, %zu madvise, %zu pages"
	    "\n", (size_t)sa->pa.npurge, (size_t)sa->pa.nmadvise,
	    (size_t)sa->pa.npurged);
	if (bins)
		stats_print_bins(o, sa, false);
	if (large)
		stats_print_large(o, sa, false);
}

static void
stats_merge(struct stats_arena *to, const struct stats_arena *from)
{
	unsigned i;

	to->nthreads += from->nthreads;
	for (i = 0; i < SC_NBINS; i++) {
		to->bins[i].nmalloc += from->bins[i].nmalloc;
		to->bins[i].ndalloc += from->bins[i].ndalloc;
		to->bins[i].nrequests += from->bins[i].nrequests;
		to->bins[i].nfills += from->bins[i].nfills;
		to->bins[i].nflushes += from->bins[i].nflushes;
		to->bins[i].nslabs += from->bins[i].nslabs;
		to->bins[i].nreslabs += from->bins[i].nreslabs;
		to->bins[i].curregs += from->bins[i].curregs;
		to->bins[i].curslabs += from->bins[i].curslabs;
		to->bins[i].nonfull += from->bins[i].nonfull;
	}
	for (i = 0; i < SC_NSIZES - SC_NBINS; i++) {
		to->lmalloc[i] += from->lmalloc[i];
		to->ldalloc[i] += from->ldalloc[i];
	}
	to->pa.nactive += from->pa.nactive;
	to->pa.ndirty += from->pa.ndirty;
	to->pa.nmapped_sp += from->pa.nmapped_sp;
	to->pa.nretained_sp += from->pa.nretained_sp;
	to->pa.nruns_sp += from->pa.nruns_sp;
	to->pa.nhuge_sp += from->pa.nhuge_sp;
	to->pa.npurge += from->pa.npurge;
	to->pa.npurged += from->pa.npurged;
	to->pa.nmadvise += from->pa.nmadvise;
	to->small_allocated += from->small_allocated;
	to->large_allocated += from->large_allocated;
}

static struct stats_arena stats_merged, stats_one;	/* under print_lock */
static struct mutex print_lock = MUTEX_INITIALIZER(RANK_INIT);

void
stats_print(void (*write_cb)(void *, const char *), void *cbopaque,
    const char *opts)
{
	struct stats_snapshot s;
	struct stats_out o;
	bool json = false, general = true, merged = true, per = true;
	bool bins = true, large = true, summary = false, first;
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
	stats_refresh(&s);
	if (summary && !json) {
		stats_out(&o, "___ Begin domalloc statistics ___\n");
		stats_out(&o, "%s: %u arenas, %u CPUs, dirty_decay_ms %d, "
		    "tcache %s\n", DOMALLOC_VERSION, s.narenas,
		    pal_caps.ncpus, (int)opt_dirty_decay_ms,
		    opt_tcache ? "on" : "off");
		stats_out(&o, "Allocated: %zu, active: %zu, metadata: %zu, "
		    "resident: %zu, mapped: %zu, retained: %zu\n",
		    s.allocated, s.active, s.metadata, s.resident, s.mapped,
		    s.retained);
		stats_out(&o, "___ End domalloc statistics ___\n");
		stats_flush(&o);
		return;
	}
	mutex_lock(&print_lock);
	if (json) {
		stats_out(&o, "{\"domalloc\": {");
		stats_out(&o, "\"version\": \"%s\", ", DOMALLOC_VERSION);
		stats_out(&o, "\"config\": {\"debug\": %s, \"stats\": true}, ",
		    config_debug ? "true" : "false");
		stats_out(&o, "\"opt\": {\"narenas\": %u, \"dirty_decay_ms\": "
		    "%d, \"muzzy_decay_ms\": %d, \"tcache\": %s, "
		    "\"tcache_max\": %zu}, ", narenas_auto,
		    (int)opt_dirty_decay_ms, (int)opt_muzzy_decay_ms,
		    opt_tcache ? "true" : "false", opt_tcache_max);
		stats_out(&o, "\"stats\": {\"allocated\": %zu, \"active\": "
		    "%zu, \"metadata\": %zu, \"resident\": %zu, \"mapped\": "
		    "%zu, \"retained\": %zu}", s.allocated, s.active,
		    s.metadata, s.resident, s.mapped, s.retained);
	} else {
		stats_out(&o, "___ Begin domalloc statistics ___\n");
		if (general) {
			stats_out(&o, "Version: \"%s\"\n", DOMALLOC_VERSION);
			stats_out(&o, "Run-time option settings:\n"
			    "  opt.narenas: %u\n  opt.dirty_decay_ms: %d\n"
			    "  opt.muzzy_decay_ms: %d\n  opt.tcache: %s\n"
			    "  opt.tcache_max: %zu\n", narenas_auto,
			    (int)opt_dirty_decay_ms, (int)opt_muzzy_decay_ms,
			    opt_tcache ? "true" : "false", opt_tcache_max);
			stats_out(&o, "Arenas: %u\nQuantum size: %zu\n"
			    "Page size: %zu\nSuperpage size: %zu\n"
			    "CPUs: %u\nNUMA nodes: %u\n", s.narenas,
			    SC_QUANTUM, PAGE, SUPERPAGE, pal_caps.ncpus,
			    pal_caps.nnodes);
		}
		stats_out(&o, "Allocated: %zu, active: %zu, metadata: %zu, "
		    "resident: %zu, mapped: %zu, retained: %zu\n",
		    s.allocated, s.active, s.metadata, s.resident, s.mapped,
		    s.retained);
	}
	if (merged || per) {
		memset(&stats_merged, 0, sizeof(stats_merged));
		if (json)
			stats_out(&o, ", \"arenas\": {");
		first = true;
		for (i = 0; i < s.narenas; i++) {
			if (arena_get(i, false) == NULL)
				continue;
			stats_collect_arena(i, &stats_one);
			stats_merge(&stats_merged, &stats_one);
			if (!per)
				continue;
			if (json)
				stats_out(&o, "%s\"%u\": ", first ? "" : ", ",
				    i);
			else
				stats_out(&o, "arenas[%u]:\n", i);
			stats_print_arena(&o, &stats_one, json, bins, large);
			first = false;
		}
		if (merged) {
			if (json)
				stats_out(&o, "%s\"merged\": ",
				    first ? "" : ", ");
			else
				stats_out(&o, "Merged arenas stats:\n");
			stats_print_arena(&o, &stats_merged, json, bins,
			    large);
		}
		if (json)
			stats_out(&o, "}");
	}
	if (json)
		stats_out(&o, "}}\n");
	else
		stats_out(&o, "___ End domalloc statistics ___\n");
	stats_flush(&o);
	mutex_unlock(&print_lock);
}

void
stats_prefork(void)
{
	mutex_lock(&stats_lock);
}

void
stats_postfork_parent(void)
{
	mutex_unlock(&stats_lock);
}

void
stats_postfork_child(void)
{
	mutex_postfork_child(&stats_lock);
}
