/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * fuzz_ctl: a libFuzzer target for the control plane.  Its input becomes
 * a sequence of mallctl, mallctlnametomib and mallctlbymib calls: a name
 * from a table of jemalloc 5.3 names (with indices from the input: 0, a
 * few, the last arena, MALLCTL_ARENAS_ALL and _DESTROYED, far out of
 * range) or raw bytes from the input; an old value buffer that is NULL,
 * or of a length that is right, short or long, with a NULL or a real
 * length pointer; a new value of any length holding input bytes; for
 * mallctlbymib, a MIB of random length and components.  Every call must
 * return 0 or one of the documented errors (EINVAL, ENOENT, EPERM,
 * EFAULT, EAGAIN, ENOMEM) and never crash, and the heap must work after
 * it (a malloc and free after every call).
 *
 * Only what no interface can check is kept out: a new value that is a
 * pointer (arena.<i>.dss takes a string, arena.<i>.extent_hooks and
 * arenas.create a hooks table) is a real one (a string from the input,
 * the default hooks read back), never input bytes; and thread.arena is
 * only ever set to arena 0, since resetting an arena that holds the
 * fuzzer's own blocks is a misuse the interface leaves undefined.
 * Resources that are finite for a process (arena indices, explicit
 * caches) are given back or capped, since libFuzzer runs every input in
 * the same process.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <malloc_np.h>

#include "fuzz_util.h"

#define	MAXCALLS	64
#define	MAXCREATE	256	/* arenas.create per process */

static const char *const names[] = {
	"version", "epoch", "background_thread", "max_background_threads",
	"thread.arena", "thread.allocated", "thread.allocatedp",
	"thread.deallocated", "thread.deallocatedp", "thread.tcache.enabled",
	"thread.tcache.flush", "thread.peak.read", "thread.peak.reset",
	"thread.prof.name", "thread.idle", "config.debug", "config.stats",
	"config.prof", "config.malloc_conf", "opt.abort", "opt.narenas",
	"opt.dss", "opt.dirty_decay_ms", "opt.muzzy_decay_ms", "opt.junk",
	"opt.tcache", "opt.tcache_max", "opt.thp", "opt.zero_realloc",
	"opt.stats_print_opts", "opt.percpu_arena", "opt.retain",
	"tcache.create", "tcache.flush", "tcache.destroy",
	"arena.%u.initialized", "arena.%u.decay", "arena.%u.purge",
	"arena.%u.reset", "arena.%u.destroy", "arena.%u.dss",
	"arena.%u.dirty_decay_ms", "arena.%u.muzzy_decay_ms",
	"arena.%u.extent_hooks", "arena.%u.retain_grow_limit",
	"arena.%u.oversize_threshold", "arenas.narenas",
	"arenas.dirty_decay_ms", "arenas.muzzy_decay_ms", "arenas.quantum",
	"arenas.page", "arenas.tcache_max", "arenas.nbins", "arenas.nhbins",
	"arenas.bin.%u.size", "arenas.bin.%u.nregs", "arenas.bin.%u.slab_size",
	"arenas.bin.%u.nshards", "arenas.nlextents", "arenas.lextent.%u.size",
	"arenas.create", "arenas.lookup", "stats.allocated", "stats.active",
	"stats.metadata", "stats.resident", "stats.mapped", "stats.retained",
	"stats.background_thread.num_threads", "stats.mutexes.reset",
	"stats.arenas.%u.nthreads", "stats.arenas.%u.uptime",
	"stats.arenas.%u.dss", "stats.arenas.%u.pactive",
	"stats.arenas.%u.pdirty", "stats.arenas.%u.pmuzzy",
	"stats.arenas.%u.mapped", "stats.arenas.%u.dirty_npurge",
	"stats.arenas.%u.small.allocated", "stats.arenas.%u.large.nmalloc",
	"stats.arenas.%u.bins.%u.nmalloc", "stats.arenas.%u.bins.%u.curregs",
	"stats.arenas.%u.bins.%u.mutex.num_ops",
	"stats.arenas.%u.lextents.%u.nmalloc",
	"stats.arenas.%u.extents.%u.ndirty", "stats.arenas.%u.mutexes.large.num_ops",
	"stats.nodes.%u.active", "stats.nodes.%u.kernel", "arena.%u.numa_node",
	"experimental.utilization.query", "prof.active", "prof.dump",
};
#define	NNAMES	(sizeof(names) / sizeof(names[0]))

static const unsigned indices[] = { 0, 1, 2, 3, 7, 63, 64, 4095, 4096,
    4097, 65535, 0x7fffffffu, 0xffffffffu };
static const size_t lens[] = { 0, 1, 3, 4, 7, 8, 9, 16, 63, 64 };

struct in {
	const uint8_t	*p;
	size_t		 len, pos;
};

static unsigned ncreated;

/* FUZZ_CTL_TRACE set: every call on stderr, to study a failure. */
static bool tracing;

#define	fail(...)	fuzz_fail("fuzz_ctl", __VA_ARGS__)

static unsigned
byte(struct in *in)
{
	return (in->pos < in->len ? in->p[in->pos++] : 0);
}

static unsigned
index_arg(struct in *in)
{
	unsigned b = byte(in);

	return (b < 128 ? indices[b % (sizeof(indices) /
	    sizeof(indices[0]))] : b - 128);
}

/* A name from the table with indices filled in, or raw input bytes. */
static void
name_arg(struct in *in, char *buf, size_t size)
{
	unsigned b = byte(in), i, n;
	const char *fmt;

	if (b >= 240) {
		n = byte(in) % (size - 1);
		for (i = 0; i < n; i++)
			buf[i] = (char)byte(in);
		buf[n] = '\0';
		return;
	}
	fmt = names[b % NNAMES];
	snprintf(buf, size, fmt, index_arg(in), index_arg(in));
}

static bool
ends_with(const char *s, const char *t)
{
	size_t n = strlen(s), m = strlen(t);

	return (n >= m && strcmp(s + n - m, t) == 0);
}

static void
check_err(int err, const char *what, const char *name)
{
	void *p;

	switch (err) {
	case 0: case EINVAL: case ENOENT: case EPERM: case EFAULT:
	case EAGAIN: case ENOMEM:
		break;
	default:
		fail("%s(\"%s\") returned %d", what, name, err);
	}
	p = malloc(100);
	if (p == NULL)
		fail("malloc(100) failed after %s(\"%s\")", what, name);
	memset(p, 0x5a, 100);
	free(p);
}

/* The new value: input bytes, or a real pointer where one is taken. */
static void
new_arg(struct in *in, const char *name, unsigned char *buf, size_t *len,
    char *str, size_t strsize)
{
	extent_hooks_t *hooks = NULL;
	size_t hl = sizeof(hooks), i, n;
	const char *s;
	unsigned u;

	*len = lens[byte(in) % (sizeof(lens) / sizeof(lens[0]))];
	if (ends_with(name, ".dss")) {
		n = byte(in) % 16;
		for (i = 0; i < n && i + 1 < strsize; i++)
			str[i] = (char)byte(in);
		str[i] = '\0';
		s = (byte(in) & 1) ? "disabled" : str;
		memcpy(buf, &s, sizeof(s));
		return;
	}
	if (strcmp(name, "thread.arena") == 0) {
		/*
		 * Only arena 0: bound to an explicit arena, this thread's
		 * (libFuzzer's) own blocks would be in it when a later call
		 * resets or destroys it, which the interface forbids.
		 */
		u = 0;
		memcpy(buf, &u, sizeof(u));
		return;
	}
	if (ends_with(name, "extent_hooks") || strcmp(name,
	    "arenas.create") == 0) {
		(void)mallctl("arena.0.extent_hooks", &hooks, &hl, NULL, 0);
		memcpy(buf, &hooks, sizeof(hooks));
		return;
	}
	for (i = 0; i < 64; i++)
		buf[i] = (unsigned char)byte(in);
}

static void
one_call(struct in *in)
{
	unsigned char oldbuf[64], newbuf[64];
	char name[96], str[32];
	size_t oldlen, newlen, mib[8], miblen, i;
	unsigned how = byte(in), u;
	void *oldp, *newp;
	size_t *oldlenp;
	int err;

	name_arg(in, name, sizeof(name));
	/* Finite per process: capped (a destroyed one's index is reused). */
	if (strcmp(name, "arenas.create") == 0 && ncreated++ >= MAXCREATE)
		return;
	new_arg(in, name, newbuf, &newlen, str, sizeof(str));
	oldlen = lens[byte(in) % (sizeof(lens) / sizeof(lens[0]))];
	oldp = (how & 1) ? oldbuf : NULL;
	oldlenp = (how & 2) ? &oldlen : NULL;
	newp = (how & 4) ? newbuf : NULL;
	if (strcmp(name, "tcache.create") == 0) {
		oldp = &u;
		oldlen = sizeof(u);
		oldlenp = &oldlen;
		newp = NULL;
	}
	if (tracing)
		fprintf(stderr, "ctl %u %s new %p len %zu\n", (how >> 3) % 3,
		    name, newp, newlen);
	switch ((how >> 3) % 3) {
	case 0:
		err = mallctl(name, oldp, oldlenp, newp, newlen);
		check_err(err, "mallctl", name);
		break;
	case 1:
		miblen = byte(in) % 9;
		err = mallctlnametomib(name, miblen ? mib : NULL, &miblen);
		check_err(err, "mallctlnametomib", name);
		if (err == 0 && miblen > 0) {
			/*
			 * Change a component, perhaps (then the leaf may be
			 * another one: read only, as below), then use it.
			 */
			if (byte(in) & 1) {
				mib[byte(in) % miblen] = index_arg(in);
				newp = NULL;
				newlen = 0;
			}
			err = mallctlbymib(mib, miblen, oldp, oldlenp, newp,
			    newlen);
			check_err(err, "mallctlbymib", name);
		}
		break;
	default:
		/*
		 * Any leaf: read only, as a new value is no pointer that a
		 * leaf taking one (a string, a hooks table) could use.
		 */
		miblen = byte(in) % 9;
		for (i = 0; i < miblen; i++)
			mib[i] = index_arg(in);
		err = mallctlbymib(mib, miblen, oldp, oldlenp, NULL, 0);
		check_err(err, "mallctlbymib", "(random mib)");
		break;
	}
	if (strcmp(name, "tcache.create") == 0 && err == 0)
		(void)mallctl("tcache.destroy", NULL, NULL, &u, sizeof(u));
	else if (err == 0 && oldp == oldbuf && oldlen == sizeof(u)) {
		/*
		 * A MIB may have named tcache.create: destroy what the
		 * answer names (there are no other explicit caches), or
		 * caches would pile up for the life of the process.
		 */
		memcpy(&u, oldbuf, sizeof(u));
		(void)mallctl("tcache.destroy", NULL, NULL, &u, sizeof(u));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 0 };
	unsigned n;

	tracing = getenv("FUZZ_CTL_TRACE") != NULL;
	for (n = 0; n < MAXCALLS && in.pos < in.len; n++)
		one_call(&in);
	return (0);
}
