/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * walk_test: walks the whole mallctl tree (whitebox: it reads the node
 * tables from ctl_root) and drives every leaf through the public
 * interface: mallctlnametomib, then mallctlbymib with a probing oldlen,
 * which must fail with EINVAL and give the value's size, then an exact
 * read, then writes that must be refused (read-only names, wrong
 * lengths).  Each leaf's size and access must match the table below,
 * which is jemalloc's documented type of the name; every leaf must be in
 * the table and every table entry in the tree, so a name added without
 * a type, or a documented one lost, fails.  Index components are tried
 * with the first and last index the node accepts among a few candidates
 * (0, the last bin or large class, MALLCTL_ARENAS_ALL).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atf-c.h>
#include <malloc_np.h>

#include "ctl.h"
#include "sc.h"

/* Access kinds. */
#define	A_R	0x01	/* readable */
#define	A_W	0x02	/* writable (read-write) */
#define	A_WO	0x04	/* write-only */
#define	A_V	0x08	/* void: neither read nor written */
#define	A_NOALL	0x10	/* with MALLCTL_ARENAS_ALL: EFAULT */
#define	A_AUTO	0x20	/* void action that fails (EFAULT) on arena 0 */
#define	A_SKIP	0x40	/* reading acts (creates): probe specially */
#define	A_PROF	0x80	/* ENOENT unless prof:true (this test runs without) */

struct leaf_type {
	const char	*name;	/* "<i>" for an index */
	size_t		 size;	/* of the value; 0 for void */
	unsigned	 access;
	bool		 seen;
};

#define	B	sizeof(bool)
#define	U	sizeof(unsigned)
#define	Z	sizeof(size_t)
#define	P	sizeof(void *)
#define	Q	sizeof(uint64_t)

static struct leaf_type types[] = {
	{ "arena.<i>.decay", 0, A_V, false },
	{ "arena.<i>.destroy", 0, A_V | A_AUTO, false },
	{ "arena.<i>.dirty_decay_ms", Z, A_R | A_W | A_NOALL, false },
	{ "arena.<i>.dss", P, A_R | A_W, false },
	{ "arena.<i>.extent_hooks", P, A_R | A_W | A_NOALL, false },
	{ "arena.<i>.initialized", B, A_R, false },
	{ "arena.<i>.muzzy_decay_ms", Z, A_R | A_W | A_NOALL, false },
	{ "arena.<i>.numa_node", U, A_R | A_W | A_NOALL, false },
	{ "arena.<i>.purge", 0, A_V, false },
	{ "arena.<i>.reset", 0, A_V | A_AUTO, false },
	{ "arenas.bin.<i>.nregs", sizeof(uint32_t), A_R, false },
	{ "arenas.bin.<i>.nshards", sizeof(uint32_t), A_R, false },
	{ "arenas.bin.<i>.size", Z, A_R, false },
	{ "arenas.bin.<i>.slab_size", Z, A_R, false },
	{ "arenas.create", U, A_R | A_SKIP, false },
	{ "arenas.dirty_decay_ms", Z, A_R | A_W, false },
	{ "arenas.lextent.<i>.size", Z, A_R, false },
	{ "arenas.lookup", U, A_R | A_SKIP, false },
	{ "arenas.muzzy_decay_ms", Z, A_R | A_W, false },
	{ "arenas.narenas", U, A_R, false },
	{ "arenas.nbins", U, A_R, false },
	{ "arenas.nhbins", U, A_R, false },
	{ "arenas.nlextents", U, A_R, false },
	{ "arenas.nnodes", U, A_R, false },
	{ "arenas.page", Z, A_R, false },
	{ "arenas.quantum", Z, A_R, false },
	{ "arenas.tcache_max", Z, A_R, false },
	{ "background_thread", B, A_R | A_W, false },
	{ "config.cache_oblivious", B, A_R, false },
	{ "config.debug", B, A_R, false },
	{ "config.fill", B, A_R, false },
	{ "config.hardened", B, A_R, false },
	{ "config.lazy_lock", B, A_R, false },
	{ "config.malloc_conf", P, A_R, false },
	{ "config.opt_safety_checks", B, A_R, false },
	{ "config.prof", B, A_R, false },
	{ "config.prof_libgcc", B, A_R, false },
	{ "config.prof_libunwind", B, A_R, false },
	{ "config.stats", B, A_R, false },
	{ "config.utrace", B, A_R, false },
	{ "config.xmalloc", B, A_R, false },
	{ "domalloc.version", P, A_R, false },
	{ "epoch", Q, A_R | A_W, false },
	{ "opt.abort", B, A_R, false },
	{ "opt.abort_conf", B, A_R, false },
	{ "opt.background_thread", B, A_R, false },
	{ "opt.confirm_conf", B, A_R, false },
	{ "opt.dirty_decay_ms", Z, A_R, false },
	{ "opt.dss", P, A_R, false },
	{ "opt.harden_quarantine", U, A_R, false },
	{ "opt.harden_quarantine_bytes", Z, A_R, false },
	{ "opt.harden_quarantine_large", U, A_R, false },
	{ "opt.hugify_delay_ms", Z, A_R, false },
	{ "experimental.prof_recent.alloc_dump", 2 * P, A_WO | A_PROF, false },
	{ "experimental.prof_recent.alloc_max", Z, A_R | A_W | A_PROF, false },
	{ "opt.junk", P, A_R, false },
	{ "opt.lg_page", U, A_R, false },
	{ "opt.lg_prof_interval", Z, A_R, false },
	{ "opt.lg_prof_sample", Z, A_R, false },
	{ "opt.lg_tcache_nslots_mul", Z, A_R, false },
	{ "opt.max_background_threads", Z, A_R, false },
	{ "opt.metadata_thp", P, A_R, false },
	{ "opt.muzzy_decay_ms", Z, A_R, false },
	{ "opt.narenas", U, A_R, false },
	{ "opt.numa", P, A_R, false },
	{ "opt.percpu_arena", P, A_R, false },
	{ "opt.prof", B, A_R, false },
	{ "opt.prof_accum", B, A_R, false },
	{ "opt.prof_active", B, A_R, false },
	{ "opt.prof_final", B, A_R, false },
	{ "opt.prof_format", P, A_R, false },
	{ "opt.prof_gdump", B, A_R, false },
	{ "opt.prof_leak", B, A_R, false },
	{ "opt.prof_prefix", P, A_R, false },
	{ "opt.prof_recent_alloc_max", Z, A_R, false },
	{ "opt.prof_thread_active_init", B, A_R, false },
	{ "opt.retain", B, A_R, false },
	{ "prof.active", B, A_R | A_W | A_PROF, false },
	{ "prof.dump", P, A_WO | A_PROF, false },
	{ "prof.dump_pprof", P, A_WO | A_PROF, false },
	{ "prof.gdump", B, A_R | A_W | A_PROF, false },
	{ "prof.interval", Q, A_R | A_PROF, false },
	{ "prof.lg_sample", Z, A_R | A_PROF, false },
	{ "prof.prefix", P, A_WO | A_PROF, false },
	{ "prof.reset", Z, A_WO | A_PROF, false },
	{ "prof.thread_active_init", B, A_R | A_W | A_PROF, false },
	{ "opt.stats_print", B, A_R, false },
	{ "opt.stats_print_opts", P, A_R, false },
	{ "opt.tcache", B, A_R, false },
	{ "opt.tcache_max", Z, A_R, false },
	{ "opt.tcache_nslots_large", U, A_R, false },
	{ "opt.tcache_nslots_small_max", U, A_R, false },
	{ "opt.tcache_nslots_small_min", U, A_R, false },
	{ "opt.thp", P, A_R, false },
	{ "opt.utrace", B, A_R, false },
	{ "opt.xmalloc", B, A_R, false },
	{ "opt.zero", B, A_R, false },
	{ "opt.zero_realloc", P, A_R, false },
	{ "stats.active", Z, A_R, false },
	{ "stats.allocated", Z, A_R, false },
	{ "stats.arenas.<i>.base", Z, A_R, false },
	{ "stats.arenas.<i>.bins.<i>.curregs", Z, A_R, false },
	{ "stats.arenas.<i>.bins.<i>.curslabs", Z, A_R, false },
	{ "stats.arenas.<i>.bins.<i>.nfills", Q, A_R, false },
	{ "stats.arenas.<i>.bins.<i>.nflushes", Q, A_R, false },
	{ "stats.arenas.<i>.bins.<i>.nmalloc", Q, A_R, false },
	{ "stats.arenas.<i>.bins.<i>.ndalloc", Q, A_R, false },
	{ "stats.arenas.<i>.bins.<i>.nonfull_slabs", Z, A_R, false },
	{ "stats.arenas.<i>.bins.<i>.nrequests", Q, A_R, false },
	{ "stats.arenas.<i>.bins.<i>.nreslabs", Q, A_R, false },
	{ "stats.arenas.<i>.bins.<i>.nslabs", Q, A_R, false },
	{ "stats.arenas.<i>.dirty_decay_ms", Z, A_R, false },
	{ "stats.arenas.<i>.dirty_nmadvise", Q, A_R, false },
	{ "stats.arenas.<i>.dirty_npurge", Q, A_R, false },
	{ "stats.arenas.<i>.dirty_purged", Q, A_R, false },
	{ "stats.arenas.<i>.dss", P, A_R, false },
	{ "stats.arenas.<i>.hugepages", Z, A_R, false },
	{ "stats.arenas.<i>.internal", Z, A_R, false },
	{ "stats.arenas.<i>.large.allocated", Z, A_R, false },
	{ "stats.arenas.<i>.large.nmalloc", Q, A_R, false },
	{ "stats.arenas.<i>.large.ndalloc", Q, A_R, false },
	{ "stats.arenas.<i>.large.nrequests", Q, A_R, false },
	{ "stats.arenas.<i>.lextents.<i>.curlextents", Z, A_R, false },
	{ "stats.arenas.<i>.lextents.<i>.nmalloc", Q, A_R, false },
	{ "stats.arenas.<i>.lextents.<i>.ndalloc", Q, A_R, false },
	{ "stats.arenas.<i>.lextents.<i>.nrequests", Q, A_R, false },
	{ "stats.arenas.<i>.mapped", Z, A_R, false },
	{ "stats.arenas.<i>.metadata_thp", Z, A_R, false },
	{ "stats.arenas.<i>.muzzy_decay_ms", Z, A_R, false },
	{ "stats.arenas.<i>.muzzy_nmadvise", Q, A_R, false },
	{ "stats.arenas.<i>.muzzy_npurge", Q, A_R, false },
	{ "stats.arenas.<i>.muzzy_purged", Q, A_R, false },
	{ "stats.arenas.<i>.nthreads", U, A_R, false },
	{ "stats.arenas.<i>.pactive", Z, A_R, false },
	{ "stats.arenas.<i>.pdirty", Z, A_R, false },
	{ "stats.arenas.<i>.pmuzzy", Z, A_R, false },
	{ "stats.arenas.<i>.resident", Z, A_R, false },
	{ "stats.arenas.<i>.retained", Z, A_R, false },
	{ "stats.arenas.<i>.small.allocated", Z, A_R, false },
	{ "stats.arenas.<i>.small.nfills", Q, A_R, false },
	{ "stats.arenas.<i>.small.nflushes", Q, A_R, false },
	{ "stats.arenas.<i>.small.nmalloc", Q, A_R, false },
	{ "stats.arenas.<i>.small.ndalloc", Q, A_R, false },
	{ "stats.arenas.<i>.small.nrequests", Q, A_R, false },
	{ "stats.background_thread.num_threads", Z, A_R, false },
	{ "stats.hugepages", Z, A_R, false },
	{ "stats.hugify_cost_ns", Q, A_R, false },
	{ "stats.hugify_delay_ms", Q, A_R, false },
	{ "stats.mapped", Z, A_R, false },
	{ "stats.metadata", Z, A_R, false },
	{ "stats.metadata_thp", Z, A_R, false },
	{ "stats.nodes.<i>.active", Z, A_R, false },
	{ "stats.nodes.<i>.kernel", Z, A_R, false },
	{ "stats.nodes.<i>.resident", Z, A_R, false },
	{ "stats.prof.bt_ns", Q, A_R | A_PROF, false },
	{ "stats.prof.contexts", Q, A_R | A_PROF, false },
	{ "stats.prof.dumps", Q, A_R | A_PROF, false },
	{ "stats.prof.live", Q, A_R | A_PROF, false },
	{ "stats.prof.metadata", Z, A_R | A_PROF, false },
	{ "stats.prof.samples", Q, A_R | A_PROF, false },
	{ "stats.resident", Z, A_R, false },
	{ "stats.retained", Z, A_R, false },
	{ "stats.zero_reallocs", Z, A_R, false },
	{ "tcache.create", U, A_R | A_SKIP, false },
	{ "tcache.destroy", U, A_WO, false },
	{ "tcache.flush", U, A_WO, false },
	{ "thread.allocated", Q, A_R, false },
	{ "thread.allocatedp", P, A_R, false },
	{ "thread.arena", U, A_R | A_W, false },
	{ "thread.deallocated", Q, A_R, false },
	{ "thread.deallocatedp", P, A_R, false },
	{ "thread.idle", 0, A_V, false },
	{ "thread.numa_node", U, A_R, false },
	{ "thread.prof.active", B, A_R | A_W | A_PROF, false },
	{ "thread.prof.name", P, A_R | A_W | A_PROF, false },
	{ "thread.tcache.enabled", B, A_R | A_W, false },
	{ "thread.tcache.flush", 0, A_V, false },
	{ "version", P, A_R, false },
};

#define	NTYPES	(sizeof(types) / sizeof(types[0]))

static unsigned nleaves, nchecked;

static struct leaf_type *
type_of(const char *pattern)
{
	size_t i;

	for (i = 0; i < NTYPES; i++)
		if (strcmp(types[i].name, pattern) == 0)
			return (&types[i]);
	return (NULL);
}

static void
check_leaf(const char *name, const char *pattern, bool all)
{
	unsigned char buf[64], buf2[64];
	size_t mib[CTL_MAX_DEPTH], miblen = CTL_MAX_DEPTH, len, dots;
	struct leaf_type *t;
	const char *p;
	int err;

	nleaves++;
	t = type_of(pattern);
	ATF_CHECK_MSG(t != NULL, "%s: not in the table of types", pattern);
	if (t == NULL)
		return;
	t->seen = true;
	for (dots = 1, p = name; *p != '\0'; p++)
		dots += *p == '.';
	err = mallctlnametomib(name, mib, &miblen);
	ATF_REQUIRE_MSG(err == 0, "mallctlnametomib(%s): %s", name,
	    strerror(err));
	ATF_CHECK_MSG(miblen == dots, "%s: miblen %zu", name, miblen);

	if (t->access & A_PROF) {
		/* Without prof:true, as in jemalloc: no such name to use. */
		len = sizeof(buf);
		ATF_CHECK_EQ_MSG(mallctlbymib(mib, miblen, buf, &len, NULL,
		    0), ENOENT, "%s: read without prof:true", name);
		ATF_CHECK_EQ_MSG(mallctlbymib(mib, miblen, NULL, NULL, buf,
		    t->size), ENOENT, "%s: write without prof:true", name);
		nchecked++;
		return;
	}
	if (t->access & A_SKIP) {
		/* Reading acts; only check that writes of junk fail. */
		len = sizeof(buf);
		err = mallctlbymib(mib, miblen, NULL, NULL, buf, 1);
		ATF_CHECK_MSG(err == EINVAL || err == EPERM,
		    "%s: a 1-byte write gave %d", name, err);
		nchecked++;
		return;
	}
	if (t->access & A_V) {
		len = t->size;
		ATF_CHECK_EQ_MSG(mallctlbymib(mib, miblen, buf, &len, NULL,
		    0), EPERM, "%s: reading a void name", name);
		ATF_CHECK_EQ_MSG(mallctlbymib(mib, miblen, NULL, NULL, buf,
		    1), EPERM, "%s: writing a void name", name);
		err = mallctlbymib(mib, miblen, NULL, NULL, NULL, 0);
		ATF_CHECK_EQ_MSG(err, (t->access & A_AUTO) ? EFAULT : 0,
		    "%s: the action gave %d", name, err);
		nchecked++;
		return;
	}
	if (t->access & A_WO) {
		len = sizeof(buf);
		ATF_CHECK_EQ_MSG(mallctlbymib(mib, miblen, buf, &len, NULL,
		    0), EPERM, "%s: reading a write-only name", name);
		ATF_CHECK_EQ_MSG(mallctlbymib(mib, miblen, NULL, NULL, buf,
		    t->size + 1), EINVAL, "%s: a wrong newlen", name);
		nchecked++;
		return;
	}
	if (all && (t->access & A_NOALL)) {
		len = t->size;
		ATF_CHECK_EQ_MSG(mallctlbymib(mib, miblen, buf, &len, NULL,
		    0), EFAULT, "%s: all arenas at once", name);
		nchecked++;
		return;
	}
	/* Probe: a wrong oldlen gives EINVAL and the value's size. */
	memset(buf, 0xa5, sizeof(buf));
	len = sizeof(buf);
	err = mallctlbymib(mib, miblen, buf, &len, NULL, 0);
	ATF_CHECK_EQ_MSG(err, EINVAL, "%s: probe gave %d", name, err);
	ATF_CHECK_EQ_MSG(len, t->size, "%s: size %zu, jemalloc's is %zu",
	    name, len, t->size);
	/* The exact read, by MIB and by name, gives the same bytes. */
	memset(buf2, 0x5a, sizeof(buf2));
	len = t->size;
	err = mallctlbymib(mib, miblen, buf2, &len, NULL, 0);
	ATF_CHECK_EQ_MSG(err, 0, "%s: read gave %d", name, err);
	ATF_CHECK_EQ_MSG(len, t->size, "%s: read length %zu", name, len);
	len = t->size;
	ATF_CHECK_EQ_MSG(mallctl(name, buf, &len, NULL, 0), 0,
	    "%s: read by name", name);
	/* A short oldlen copies what fits and says how much. */
	if (t->size > 1) {
		len = 1;
		ATF_CHECK_EQ_MSG(mallctlbymib(mib, miblen, buf, &len, NULL,
		    0), EINVAL, "%s: short oldlen", name);
		ATF_CHECK_EQ_MSG(len, 1, "%s: short oldlen copied %zu", name,
		    len);
	}
	/* Writes: read-only names refuse, writable ones check newlen. */
	len = t->size;
	if (t->access & A_W)
		ATF_CHECK_EQ_MSG(mallctlbymib(mib, miblen, NULL, NULL, buf2,
		    t->size + 1), EINVAL, "%s: a wrong newlen", name);
	else
		ATF_CHECK_EQ_MSG(mallctlbymib(mib, miblen, NULL, NULL, buf2,
		    t->size), EPERM, "%s: writing a read-only name", name);
	nchecked++;
}

static void	walk_child(const struct ctl_node *c, char *name, size_t nlen,
		    char *pat, size_t plen, bool all, unsigned depth);

/* Up to two indices a "#" node accepts: its first and last candidate. */
static unsigned
pick_indices(const struct ctl_node *n, size_t *out)
{
	static const size_t cand[] = { 0, SC_NBINS - 1,
	    SC_NSIZES - SC_NBINS - 1, MALLCTL_ARENAS_ALL };
	unsigned i, k = 0;

	for (i = 0; i < sizeof(cand) / sizeof(cand[0]); i++) {
		if (!n->index_ok(cand[i]))
			continue;
		if (k < 2)
			out[k++] = cand[i];
		else
			out[1] = cand[i];
	}
	return (k);
}

static void
walk(const struct ctl_node *node, char *name, size_t nlen, char *pat,
    size_t plen, bool all, unsigned depth)
{
	const struct ctl_node *c;
	size_t idx[2];
	unsigned k, n;
	int a, b;

	ATF_REQUIRE(depth < CTL_MAX_DEPTH);
	for (c = node->children; c->name != NULL; c++) {
		if (strcmp(c->name, "#") == 0) {
			n = pick_indices(c, idx);
			ATF_CHECK_MSG(n > 0, "%s<i>: no index accepted", pat);
			for (k = 0; k < n; k++) {
				a = snprintf(name + nlen, 256 - nlen, "%zu",
				    idx[k]);
				b = snprintf(pat + plen, 256 - plen, "<i>");
				walk_child(c, name, nlen + (size_t)a, pat,
				    plen + (size_t)b,
				    all || idx[k] == MALLCTL_ARENAS_ALL, depth);
			}
			continue;
		}
		a = snprintf(name + nlen, 256 - nlen, "%s", c->name);
		b = snprintf(pat + plen, 256 - plen, "%s", c->name);
		walk_child(c, name, nlen + (size_t)a, pat, plen + (size_t)b,
		    all, depth);
	}
}

static void
walk_child(const struct ctl_node *c, char *name, size_t nlen, char *pat,
    size_t plen, bool all, unsigned depth)
{
	if (c->handler != NULL) {
		check_leaf(name, pat, all);
		return;
	}
	name[nlen] = '.';
	pat[plen] = '.';
	name[nlen + 1] = pat[plen + 1] = '\0';
	walk(c, name, nlen + 1, pat, plen + 1, all, depth + 1);
}

ATF_TC_WITHOUT_HEAD(every_leaf);
ATF_TC_BODY(every_leaf, tc)
{
	static void *volatile keep[20];
	char name[256], pat[256];
	size_t i;

	/* Something in a few classes, so the stats have values. */
	for (i = 0; i < 20; i++)
		keep[i] = malloc((size_t)1 << i);
	for (i = 0; i < 20; i++)
		free(keep[i]);
	name[0] = pat[0] = '\0';
	walk(&ctl_root, name, 0, pat, 0, false, 0);
	for (i = 0; i < NTYPES; i++)
		ATF_CHECK_MSG(types[i].seen, "%s: in the table but not in "
		    "the tree", types[i].name);
	ATF_CHECK_MSG(nleaves > 200, "only %u leaves walked", nleaves);
	ATF_CHECK_EQ(nleaves, nchecked);
	printf("%u leaves walked, %zu names\n", nleaves, NTYPES);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, every_leaf);
	return (atf_no_error());
}
