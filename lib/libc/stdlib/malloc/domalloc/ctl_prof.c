/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * ctl_prof.c: the prof.*, thread.prof.*, experimental.prof_recent.* and
 * stats.prof.* names (heap profiling, prof.h).  Every one of them is
 * ENOENT unless the process runs with prof:true, as in jemalloc.  The
 * handlers only check arguments; prof.c does the locking.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"
#include "msg.h"
#include "prof.h"

#define	CTL_PROF_ARGS	const size_t *mib, size_t miblen, void *oldp,	\
	    size_t *oldlenp, void *newp, size_t newlen

/* A read/write bool kept by prof.c. */
static int
ctl_prof_rw_bool(bool (*get)(void), void (*set)(bool), void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	bool oldval, newval;
	int err;

	if (!opt_prof)
		return (ENOENT);
	oldval = get();
	if (newp != NULL) {
		if ((err = ctl_write_bool(newp, newlen, &newval)) != 0)
			return (err);
		set(newval);
	}
	return (ctl_read(oldp, oldlenp, &oldval, sizeof(oldval)));
}

static int
ctl_prof_active(CTL_PROF_ARGS)
{
	(void)mib;
	(void)miblen;
	return (ctl_prof_rw_bool(prof_active_get, prof_active_set, oldp,
	    oldlenp, newp, newlen));
}

static int
ctl_prof_thread_active_init(CTL_PROF_ARGS)
{
	(void)mib;
	(void)miblen;
	return (ctl_prof_rw_bool(prof_thread_active_init_get,
	    prof_thread_active_init_set, oldp, oldlenp, newp, newlen));
}

static int
ctl_prof_gdump(CTL_PROF_ARGS)
{
	(void)mib;
	(void)miblen;
	return (ctl_prof_rw_bool(prof_gdump_get, prof_gdump_set, oldp,
	    oldlenp, newp, newlen));
}

/*
 * A write-only name that needs its value: ENOENT without prof:true,
 * EPERM for a read, EINVAL without a value or of the wrong length.
 */
static int
ctl_prof_write_arg(void *oldp, size_t *oldlenp, void *newp, size_t newlen,
    void *val, size_t len)
{
	int err;

	if (!opt_prof)
		return (ENOENT);
	if ((err = ctl_writeonly(oldp, oldlenp)) != 0)
		return (err);
	if (newp == NULL)
		return (EINVAL);
	return (ctl_write(newp, newlen, val, len));
}

/* prof.dump and prof.dump_pprof: write-only, a file name or NULL. */
static int
ctl_prof_dump_fmt(enum prof_format fmt, void *oldp, size_t *oldlenp,
    void *newp, size_t newlen)
{
	const char *name = NULL;
	int err;

	if (!opt_prof)
		return (ENOENT);
	if ((err = ctl_writeonly(oldp, oldlenp)) != 0)
		return (err);
	if (newp != NULL && (err = ctl_write(newp, newlen, &name,
	    sizeof(name))) != 0)
		return (err);
	return (prof_dump(name, fmt) == 0 ? 0 : EFAULT);
}

static int
ctl_prof_dump(CTL_PROF_ARGS)
{
	(void)mib;
	(void)miblen;
	return (ctl_prof_dump_fmt((enum prof_format)opt_prof_format, oldp,
	    oldlenp, newp, newlen));
}

static int
ctl_prof_dump_pprof(CTL_PROF_ARGS)
{
	(void)mib;
	(void)miblen;
	return (ctl_prof_dump_fmt(PROF_FORMAT_PPROF, oldp, oldlenp, newp,
	    newlen));
}

static int
ctl_prof_prefix(CTL_PROF_ARGS)
{
	const char *prefix;
	int err;

	(void)mib;
	(void)miblen;
	if ((err = ctl_prof_write_arg(oldp, oldlenp, newp, newlen, &prefix,
	    sizeof(prefix))) != 0)
		return (err);
	return (prof_prefix_set(prefix));
}

/* prof.reset: optionally a new lg_prof_sample (size_t). */
static int
ctl_prof_reset(CTL_PROF_ARGS)
{
	size_t lg = prof_lg_sample_get();
	int err;

	(void)mib;
	(void)miblen;
	if (!opt_prof)
		return (ENOENT);
	if ((err = ctl_writeonly(oldp, oldlenp)) != 0)
		return (err);
	if (newp != NULL && (err = ctl_write(newp, newlen, &lg,
	    sizeof(lg))) != 0)
		return (err);
	if (lg > 62)
		return (EINVAL);
	prof_reset(lg);
	return (0);
}

static int
ctl_prof_lg_sample(CTL_PROF_ARGS)
{
	(void)mib;
	(void)miblen;
	if (!opt_prof)
		return (ENOENT);
	return (ctl_ro_size(prof_lg_sample_get(), oldp, oldlenp, newp,
	    newlen));
}

static int
ctl_prof_interval(CTL_PROF_ARGS)
{
	uint64_t v = opt_lg_prof_interval < 0 ? 0 :
	    (uint64_t)1 << opt_lg_prof_interval;

	(void)mib;
	(void)miblen;
	if (!opt_prof)
		return (ENOENT);
	return (ctl_ro_u64(v, oldp, oldlenp, newp, newlen));
}

const struct ctl_node ctl_prof_children[] = {
	CTL_LEAF("active", ctl_prof_active),
	CTL_LEAF("dump", ctl_prof_dump),
	CTL_LEAF("dump_pprof", ctl_prof_dump_pprof),
	CTL_LEAF("gdump", ctl_prof_gdump),
	CTL_LEAF("interval", ctl_prof_interval),
	CTL_LEAF("lg_sample", ctl_prof_lg_sample),
	CTL_LEAF("prefix", ctl_prof_prefix),
	CTL_LEAF("reset", ctl_prof_reset),
	CTL_LEAF("thread_active_init", ctl_prof_thread_active_init),
	CTL_END
};

/* thread.prof.* */

static int
ctl_thread_prof_name(CTL_PROF_ARGS)
{
	const char *oldval, *newval;
	int err;

	(void)mib;
	(void)miblen;
	if (!opt_prof)
		return (ENOENT);
	oldval = prof_thread_name_get();
	if (newp != NULL) {
		if ((err = ctl_write(newp, newlen, &newval,
		    sizeof(newval))) != 0)
			return (err);
		if ((err = prof_thread_name_set(newval)) != 0)
			return (err);
		/* The old name was overwritten: no read with a write. */
		return (oldp != NULL ? EPERM : 0);
	}
	return (ctl_read(oldp, oldlenp, &oldval, sizeof(oldval)));
}

static int
ctl_thread_prof_active(CTL_PROF_ARGS)
{
	(void)mib;
	(void)miblen;
	return (ctl_prof_rw_bool(prof_thread_active_get,
	    prof_thread_active_set, oldp, oldlenp, newp, newlen));
}

const struct ctl_node ctl_thread_prof_children[] = {
	CTL_LEAF("active", ctl_thread_prof_active),
	CTL_LEAF("name", ctl_thread_prof_name),
	CTL_END
};

/* experimental.prof_recent.* */

static int
ctl_prof_recent_alloc_max(CTL_PROF_ARGS)
{
	ssize_t oldval, newval;
	int err;

	(void)mib;
	(void)miblen;
	if (!opt_prof)
		return (ENOENT);
	oldval = (ssize_t)prof_recent_max_get();
	if (newp != NULL) {
		if ((err = ctl_write(newp, newlen, &newval,
		    sizeof(newval))) != 0)
			return (err);
		if (newval < -1)
			return (EINVAL);
		prof_recent_max_set(newval);
	}
	return (ctl_read(oldp, oldlenp, &oldval, sizeof(oldval)));
}

/* As jemalloc's: newp points at { write_cb, cbopaque }. */
struct ctl_prof_recent_arg {
	void	(*write_cb)(void *, const char *);
	void	*cbopaque;
};

static void
ctl_prof_recent_message(void *opaque, const char *s)
{
	(void)opaque;
	malloc_message(NULL, s);
}

static int
ctl_prof_recent_alloc_dump(CTL_PROF_ARGS)
{
	struct ctl_prof_recent_arg a;
	int err;

	(void)mib;
	(void)miblen;
	if ((err = ctl_prof_write_arg(oldp, oldlenp, newp, newlen, &a,
	    sizeof(a))) != 0)
		return (err);
	if (a.write_cb == NULL) {
		a.write_cb = ctl_prof_recent_message;
		a.cbopaque = NULL;
	}
	prof_recent_dump(a.write_cb, a.cbopaque);
	return (0);
}

static const struct ctl_node ctl_prof_recent_children[] = {
	CTL_LEAF("alloc_dump", ctl_prof_recent_alloc_dump),
	CTL_LEAF("alloc_max", ctl_prof_recent_alloc_max),
	CTL_END
};

const struct ctl_node ctl_experimental_children[] = {
	CTL_DIR("prof_recent", ctl_prof_recent_children),
	CTL_END
};

/* stats.prof.*: the profiler's own cost (a domalloc extension). */

static int
ctl_stats_prof(CTL_PROF_ARGS)
{
	struct prof_stats st;
	uint64_t v;

	(void)miblen;
	if (!opt_prof)
		return (ENOENT);
	prof_stats_get(&st);
	switch (ctl_leaf_arg(mib, miblen)) {
	case 0:
		v = st.nsamples;
		break;
	case 1:
		v = st.nlive;
		break;
	case 2:
		v = st.nctx;
		break;
	case 3:
		v = st.bt_ns;
		break;
	case 4:
		v = st.ndumps;
		break;
	default:
		return (ctl_ro_size(st.metadata, oldp, oldlenp, newp,
		    newlen));
	}
	return (ctl_ro_u64(v, oldp, oldlenp, newp, newlen));
}

const struct ctl_node ctl_stats_prof_children[] = {
	CTL_LEAF_ARG("bt_ns", ctl_stats_prof, 3),
	CTL_LEAF_ARG("contexts", ctl_stats_prof, 2),
	CTL_LEAF_ARG("dumps", ctl_stats_prof, 4),
	CTL_LEAF_ARG("live", ctl_stats_prof, 1),
	CTL_LEAF_ARG("metadata", ctl_stats_prof, 5),
	CTL_LEAF_ARG("samples", ctl_stats_prof, 0),
	CTL_END
};
