/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * ctl.c: mallctl, mallctlnametomib, mallctlbymib and malloc_stats_print,
 * the tree walker, the typed helpers every handler calls, and the top of
 * the name space: version, epoch and the name space directories (see
 * ctl.h).  No lock of its own: the walker reads constant tables, and
 * index checks and handlers take the locks of what they read.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "bg.h"
#include "config.h"
#include "ctl.h"
#include "init.h"
#include "public.h"
#include "stats.h"

int	__mallctl(const char *, void *, size_t *, void *, size_t);
int	__mallctlnametomib(const char *, size_t *, size_t *);
int	__mallctlbymib(const size_t *, size_t, void *, size_t *, void *,
	    size_t);
void	__malloc_stats_print(void (*)(void *, const char *), void *,
	    const char *);

/* Primitive checks. */

int
ctl_read(void *oldp, size_t *oldlenp, const void *val, size_t len)
{
	size_t n;

	if (oldp == NULL || oldlenp == NULL)
		return (0);
	if (*oldlenp != len) {
		n = DM_MIN(*oldlenp, len);
		memcpy(oldp, val, n);
		*oldlenp = n;
		return (EINVAL);
	}
	memcpy(oldp, val, len);
	return (0);
}

int
ctl_write(const void *newp, size_t newlen, void *val, size_t len)
{
	if (newp == NULL)
		return (0);
	if (newlen != len)
		return (EINVAL);
	memcpy(val, newp, len);
	return (0);
}

int
ctl_write_bool(const void *newp, size_t newlen, bool *val)
{
	unsigned char b;
	int err;

	err = ctl_write(newp, newlen, &b, sizeof(b));
	if (err == 0 && newp != NULL)
		*val = b != 0;
	return (err);
}

int
ctl_readonly(const void *newp, size_t newlen)
{
	return (newp != NULL || newlen != 0 ? EPERM : 0);
}

int
ctl_writeonly(const void *oldp, const size_t *oldlenp)
{
	return (oldp != NULL || oldlenp != NULL ? EPERM : 0);
}

int
ctl_void(const void *oldp, const size_t *oldlenp, const void *newp,
    size_t newlen)
{
	if (ctl_writeonly(oldp, oldlenp) != 0 ||
	    ctl_readonly(newp, newlen) != 0)
		return (EPERM);
	return (0);
}

/* Read-only values by type. */

int
ctl_ro_bool(bool v, void *oldp, size_t *oldlenp, const void *newp,
    size_t newlen)
{
	if (ctl_readonly(newp, newlen) != 0)
		return (EPERM);
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

int
ctl_ro_unsigned(unsigned v, void *oldp, size_t *oldlenp, const void *newp,
    size_t newlen)
{
	if (ctl_readonly(newp, newlen) != 0)
		return (EPERM);
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

int
ctl_ro_u32(uint32_t v, void *oldp, size_t *oldlenp, const void *newp,
    size_t newlen)
{
	if (ctl_readonly(newp, newlen) != 0)
		return (EPERM);
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

int
ctl_ro_u64(uint64_t v, void *oldp, size_t *oldlenp, const void *newp,
    size_t newlen)
{
	if (ctl_readonly(newp, newlen) != 0)
		return (EPERM);
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

int
ctl_ro_size(size_t v, void *oldp, size_t *oldlenp, const void *newp,
    size_t newlen)
{
	if (ctl_readonly(newp, newlen) != 0)
		return (EPERM);
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

int
ctl_ro_ssize(ssize_t v, void *oldp, size_t *oldlenp, const void *newp,
    size_t newlen)
{
	if (ctl_readonly(newp, newlen) != 0)
		return (EPERM);
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

int
ctl_ro_str(const char *v, void *oldp, size_t *oldlenp, const void *newp,
    size_t newlen)
{
	if (ctl_readonly(newp, newlen) != 0)
		return (EPERM);
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

int
ctl_ro_ptr(const void *v, void *oldp, size_t *oldlenp, const void *newp,
    size_t newlen)
{
	if (ctl_readonly(newp, newlen) != 0)
		return (EPERM);
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

bool
ctl_arena_is_all(size_t ind)
{
	return (ind == CTL_ARENAS_ALL || ind == atomic_load_explicit(
	    &narenas_total, memory_order_acquire));
}

/* The top of the name space. */

static int
ctl_version(const size_t *mib, size_t miblen, void *oldp, size_t *oldlenp,
    void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_str(DOMALLOC_JEMALLOC_VERSION, oldp, oldlenp, newp,
	    newlen));
}

/* domalloc.version: domalloc's own name and version. */
static int
ctl_domalloc_version(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_str(DOMALLOC_VERSION, oldp, oldlenp, newp, newlen));
}

static const struct ctl_node ctl_domalloc_children[] = {
	CTL_LEAF("version", ctl_domalloc_version),
	CTL_END
};

/*
 * Writing any uint64_t takes a new statistics snapshot; reading gives
 * the snapshot's number (1 for the first one, taken lazily).
 */
static int
ctl_epoch(const size_t *mib, size_t miblen, void *oldp, size_t *oldlenp,
    void *newp, size_t newlen)
{
	uint64_t v;

	(void)mib;
	(void)miblen;
	if (newp != NULL) {
		if (newlen != sizeof(uint64_t))
			return (EINVAL);
		v = stats_snapshot_refresh();
	} else {
		v = stats_snapshot_lock()->epoch;
		stats_snapshot_unlock();
	}
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

/*
 * Whether the background purging thread runs (bg.h); writing starts or
 * stops it (EFAULT if it cannot be started).  Writing false when none
 * runs still goes to bg_set, which records the choice, so that the
 * allocator does not start the threads on its own later (a program that
 * forks can rely on that).
 */
static int
ctl_background_thread(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	bool oldval, newval;
	int err;

	(void)mib;
	(void)miblen;
	oldval = bg_running();
	newval = oldval;
	err = ctl_write_bool(newp, newlen, &newval);
	if (err != 0)
		return (err);
	if (newp != NULL && (newval != oldval || !newval) && !bg_set(newval))
		return (EFAULT);
	return (ctl_read(oldp, oldlenp, &oldval, sizeof(oldval)));
}

static const struct ctl_node ctl_top[] = {
	CTL_DIR("arena", ctl_arena_children),
	CTL_DIR("arenas", ctl_arenas_children),
	CTL_LEAF("background_thread", ctl_background_thread),
	CTL_DIR("config", ctl_config_children),
	CTL_DIR("domalloc", ctl_domalloc_children),
	CTL_LEAF("epoch", ctl_epoch),
	CTL_DIR("experimental", ctl_experimental_children),
	CTL_DIR("opt", ctl_opt_children),
	CTL_DIR("prof", ctl_prof_children),
	CTL_DIR("stats", ctl_stats_children),
	CTL_DIR("tcache", ctl_tcache_children),
	CTL_DIR("thread", ctl_thread_children),
	CTL_LEAF("version", ctl_version),
	/*
	 * Not provided: max_background_threads (there is at most one),
	 * experimental names other than prof_recent.
	 */
	CTL_END
};

const struct ctl_node ctl_root = CTL_DIR("", ctl_top);

/* The walker. */

/* The decimal number in p[0 .. len - 1]; false if it is not one. */
static bool
ctl_index(const char *p, size_t len, size_t *v)
{
	size_t i, x = 0;

	if (len == 0 || len > 19)
		return (false);
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return (false);
		x = x * 10 + (size_t)(p[i] - '0');
	}
	*v = x;
	return (true);
}

/*
 * Look name up.  As in jemalloc: a name that ends at an inner node, or
 * goes on past a leaf, is ENOENT; a name deeper than *miblen gives the
 * first *miblen components (a partial MIB that the caller completes).
 * *miblen is set to the depth of the leaf found.
 */
int
ctl_name_to_mib(const char *name, size_t *mib, size_t *miblen,
    const struct ctl_node **nodep)
{
	const struct ctl_node *node = &ctl_root, *c;
	const char *p, *e;
	size_t depth, len, v;

	if (name == NULL || *name == '\0')
		return (ENOENT);
	p = name;
	for (depth = 0; depth < *miblen; depth++) {
		e = strchr(p, '.');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		c = node->children;
		if (c[0].name != NULL && strcmp(c[0].name, "#") == 0) {
			if (!ctl_index(p, len, &v) || !c[0].index_ok(v))
				return (ENOENT);
			mib[depth] = v;
		} else {
			for (v = 0; c[v].name != NULL; v++)
				if (strlen(c[v].name) == len &&
				    memcmp(c[v].name, p, len) == 0)
					break;
			if (c[v].name == NULL)
				return (ENOENT);
			c = &c[v];
			mib[depth] = v;
		}
		node = c;
		if (node->handler != NULL) {
			if (e != NULL)
				return (ENOENT);
			*miblen = depth + 1;
			break;
		}
		if (e == NULL)
			return (ENOENT);
		p = e + 1;
	}
	if (nodep != NULL)
		*nodep = node;
	return (0);
}

const struct ctl_node *
ctl_mib_node(const size_t *mib, size_t miblen)
{
	const struct ctl_node *node = &ctl_root, *c;
	size_t i, k;

	for (i = 0; i < miblen; i++) {
		c = node->children;
		if (c == NULL)
			return (NULL);
		if (c[0].name != NULL && strcmp(c[0].name, "#") == 0) {
			if (!c[0].index_ok(mib[i]))
				return (NULL);
			node = &c[0];
			continue;
		}
		for (k = 0; k < mib[i] && c[k].name != NULL; k++)
			continue;
		if (c[k].name == NULL)
			return (NULL);
		node = &c[k];
	}
	return (node);
}

size_t
ctl_leaf_arg(const size_t *mib, size_t miblen)
{
	const struct ctl_node *node = ctl_mib_node(mib, miblen);

	return (node != NULL ? node->arg : 0);
}

const void *
ctl_leaf_data(const size_t *mib, size_t miblen)
{
	const struct ctl_node *node = ctl_mib_node(mib, miblen);

	return (node != NULL ? node->data : NULL);
}

int
ctl_by_mib(const size_t *mib, size_t miblen, void *oldp, size_t *oldlenp,
    void *newp, size_t newlen)
{
	const struct ctl_node *node;

	if (mib == NULL)
		return (ENOENT);
	node = ctl_mib_node(mib, miblen);
	if (node == NULL || node->handler == NULL)
		return (ENOENT);
	return (node->handler(mib, miblen, oldp, oldlenp, newp, newlen));
}

/* Entry points. */

DM_EXPORT int
__mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
    size_t newlen)
{
	size_t mib[CTL_MAX_DEPTH], miblen = CTL_MAX_DEPTH;
	const struct ctl_node *node;
	int err;

	if (!malloc_init())
		return (EAGAIN);
	err = ctl_name_to_mib(name, mib, &miblen, &node);
	if (err != 0)
		return (err);
	if (node->handler == NULL)
		return (ENOENT);
	return (node->handler(mib, miblen, oldp, oldlenp, newp, newlen));
}

DM_EXPORT int
__mallctlnametomib(const char *name, size_t *mibp, size_t *miblenp)
{
	if (!malloc_init())
		return (EAGAIN);
	if (mibp == NULL || miblenp == NULL)
		return (EINVAL);
	return (ctl_name_to_mib(name, mibp, miblenp, NULL));
}

DM_EXPORT int
__mallctlbymib(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	if (!malloc_init())
		return (EAGAIN);
	return (ctl_by_mib(mib, miblen, oldp, oldlenp, newp, newlen));
}

DM_EXPORT void
__malloc_stats_print(void (*write_cb)(void *, const char *), void *cbopaque,
    const char *opts)
{
	if (!malloc_init())
		return;
	stats_print(write_cb, cbopaque, opts);
}

DM_ALIAS(__mallctl, mallctl);
DM_ALIAS(__mallctlnametomib, mallctlnametomib);
DM_ALIAS(__mallctlbymib, mallctlbymib);
DM_ALIAS(__malloc_stats_print, malloc_stats_print);
