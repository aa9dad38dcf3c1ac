/*
 * ctl.c: mallctl, mallctlnametomib and mallctlbymib over the static
 * node tree (see ctl.h), and the tree itself with its handlers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "config.h"
#include "ctl.h"
#include "init.h"
#include "mutex.h"
#include "public.h"
#include "stats.h"
#include "tsd.h"

int	__mallctl(const char *, void *, size_t *, void *, size_t);
int	__mallctlnametomib(const char *, size_t *, size_t *);
int	__mallctlbymib(const size_t *, size_t, void *, size_t *, void *,
	    size_t);
void	__malloc_stats_print(void (*)(void *, const char *), void *,
	    const char *);

static struct mutex ctl_lock = MUTEX_INITIALIZER(RANK_CTL);
static struct stats_snapshot ctl_stats;	/* under ctl_lock */

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
ctl_write(void *newp, size_t newlen, void *val, size_t len)
{
	if (newp == NULL)
		return (0);
	if (newlen != len)
		return (EINVAL);
	memcpy(val, newp, len);
	return (0);
}

int
ctl_readonly(void *newp, size_t newlen)
{
	return (newp != NULL || newlen != 0 ? EPERM : 0);
}

/* Handlers are generated per type by small helper functions. */

static int
ctl_ro_bool(bool v, void *oldp, size_t *oldlenp, void *newp, size_t newlen)
{
	if (ctl_readonly(newp, newlen))
		return (EPERM);
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

static int
ctl_ro_size(size_t v, void *oldp, size_t *oldlenp, void *newp,
    size_t newlen)
{
	if (ctl_readonly(newp, newlen))
		return (EPERM);
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

static int
ctl_ro_unsigned(unsigned v, void *oldp, size_t *oldlenp, void *newp,
    size_t newlen)
{
	if (ctl_readonly(newp, newlen))
		return (EPERM);
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

static int
ctl_ro_ssize(ssize_t v, void *oldp, size_t *oldlenp, void *newp,
    size_t newlen)
{
	if (ctl_readonly(newp, newlen))
		return (EPERM);
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

static int
ctl_ro_str(const char *v, void *oldp, size_t *oldlenp, void *newp,
    size_t newlen)
{
	if (ctl_readonly(newp, newlen))
		return (EPERM);
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

#define	H(name)	static int name(const size_t *mib, size_t miblen,	\
    void *oldp, size_t *oldlenp, void *newp, size_t newlen)
#define	UNUSED_MIB	(void)mib; (void)miblen

H(h_version)
{
	UNUSED_MIB;
	return (ctl_ro_str(DOMALLOC_VERSION, oldp, oldlenp, newp, newlen));
}

H(h_epoch)
{
	uint64_t v;
	int err;

	UNUSED_MIB;
	mutex_lock(&ctl_lock);
	if (newp != NULL) {
		err = ctl_write(newp, newlen, &v, sizeof(v));
		if (err != 0) {
			mutex_unlock(&ctl_lock);
			return (err);
		}
		stats_refresh(&ctl_stats);
	}
	v = ctl_stats.epoch;
	mutex_unlock(&ctl_lock);
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

/* config.* */
H(h_config_debug)
{
	UNUSED_MIB;
	return (ctl_ro_bool(config_debug, oldp, oldlenp, newp, newlen));
}

H(h_config_true)
{
	UNUSED_MIB;
	return (ctl_ro_bool(true, oldp, oldlenp, newp, newlen));
}

H(h_config_false)
{
	UNUSED_MIB;
	return (ctl_ro_bool(false, oldp, oldlenp, newp, newlen));
}

/* opt.* */
#define	OPT_BOOL(fn, var) H(fn) { UNUSED_MIB;				\
	return (ctl_ro_bool((var), oldp, oldlenp, newp, newlen)); }
#define	OPT_SIZE(fn, var) H(fn) { UNUSED_MIB;				\
	return (ctl_ro_size((var), oldp, oldlenp, newp, newlen)); }
#define	OPT_SSIZE(fn, var) H(fn) { UNUSED_MIB;				\
	return (ctl_ro_ssize((ssize_t)(var), oldp, oldlenp, newp, newlen)); }
#define	OPT_STR(fn, var) H(fn) { UNUSED_MIB;				\
	return (ctl_ro_str((var), oldp, oldlenp, newp, newlen)); }

OPT_BOOL(h_opt_abort, opt_abort)
OPT_BOOL(h_opt_abort_conf, opt_abort_conf)
OPT_BOOL(h_opt_confirm_conf, opt_confirm_conf)
OPT_BOOL(h_opt_tcache, opt_tcache)
OPT_BOOL(h_opt_zero, opt_zero)
OPT_BOOL(h_opt_xmalloc, opt_xmalloc)
OPT_BOOL(h_opt_retain, opt_retain)
OPT_BOOL(h_opt_stats_print, opt_stats_print)
OPT_BOOL(h_opt_background_thread, opt_background_thread)
OPT_BOOL(h_opt_utrace, opt_utrace)
OPT_SIZE(h_opt_tcache_max, opt_tcache_max)
OPT_SIZE(h_opt_max_background_threads, opt_max_background_threads)
OPT_SSIZE(h_opt_dirty_decay_ms, opt_dirty_decay_ms)
OPT_SSIZE(h_opt_muzzy_decay_ms, opt_muzzy_decay_ms)
OPT_STR(h_opt_junk, conf_junk_names[opt_junk])
OPT_STR(h_opt_zero_realloc, conf_zero_realloc_names[opt_zero_realloc])
OPT_STR(h_opt_thp, conf_thp_names[opt_thp])
OPT_STR(h_opt_metadata_thp, conf_metadata_thp_names[opt_metadata_thp])
OPT_STR(h_opt_stats_print_opts, opt_stats_print_opts)
OPT_STR(h_opt_percpu_arena, opt_percpu_arena)

H(h_opt_narenas)
{
	UNUSED_MIB;
	return (ctl_ro_unsigned(narenas_auto, oldp, oldlenp, newp, newlen));
}

/* thread.* */
H(h_thread_arena)
{
	struct tsd *tsd = tsd_get();
	struct arena *a;
	unsigned v, nv;
	int err;

	UNUSED_MIB;
	if (tsd->state == TSD_UNINIT)
		tsd_boot(tsd);
	a = tsd_arena(tsd);
	v = a != NULL ? a->ind : 0;
	if (newp != NULL) {
		err = ctl_write(newp, newlen, &nv, sizeof(nv));
		if (err != 0)
			return (err);
		a = arena_get(nv, nv < narenas_auto);
		if (a == NULL)
			return (EFAULT);
		tsd_set_arena(tsd, a);
	}
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

static uint64_t
ctl_thread_bytes(struct tsd *tsd, bool alloc)
{
	uint64_t sum;
	unsigned i;

	sum = alloc ? tsd->large_allocated + tsd->tc.allocated_before :
	    tsd->large_deallocated + tsd->tc.deallocated_before;
	for (i = 0; i < tsd->tc.nhbins; i++)
		sum += (alloc ? tsd->tc.bins[i].nmalloc :
		    tcache_nfree(&tsd->tc, i)) * sc_size[i];
	return (sum);
}

H(h_thread_allocated)
{
	uint64_t v = ctl_thread_bytes(tsd_get(), true);

	UNUSED_MIB;
	if (ctl_readonly(newp, newlen))
		return (EPERM);
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

H(h_thread_deallocated)
{
	uint64_t v = ctl_thread_bytes(tsd_get(), false);

	UNUSED_MIB;
	if (ctl_readonly(newp, newlen))
		return (EPERM);
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

H(h_thread_tcache_enabled)
{
	struct tsd *tsd = tsd_get();
	bool v, nv;
	int err;

	UNUSED_MIB;
	if (tsd->state == TSD_UNINIT)
		tsd_boot(tsd);
	v = tsd->tcache_enabled;
	if (newp != NULL) {
		err = ctl_write(newp, newlen, &nv, sizeof(nv));
		if (err != 0)
			return (err);
		tsd_tcache_set_enabled(tsd, nv);
	}
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

H(h_thread_tcache_flush)
{
	UNUSED_MIB;
	if (oldp != NULL || newp != NULL || (oldlenp != NULL &&
	    *oldlenp != 0) || newlen != 0)
		return (EPERM);
	tcache_flush(&tsd_get()->tc);
	return (0);
}

/* arenas.* */
H(h_arenas_narenas)
{
	UNUSED_MIB;
	return (ctl_ro_unsigned(atomic_load_explicit(&narenas_total,
	    memory_order_acquire), oldp, oldlenp, newp, newlen));
}

H(h_arenas_quantum)
{
	UNUSED_MIB;
	return (ctl_ro_size(SC_QUANTUM, oldp, oldlenp, newp, newlen));
}

H(h_arenas_page)
{
	UNUSED_MIB;
	return (ctl_ro_size(PAGE, oldp, oldlenp, newp, newlen));
}

H(h_arenas_nbins)
{
	UNUSED_MIB;
	return (ctl_ro_unsigned(SC_NBINS, oldp, oldlenp, newp, newlen));
}

H(h_arenas_nlextents)
{
	UNUSED_MIB;
	return (ctl_ro_unsigned(SC_NSIZES - SC_NBINS, oldp, oldlenp, newp,
	    newlen));
}

H(h_arenas_bin_size)
{
	(void)miblen;
	return (ctl_ro_size(sc_size[mib[2]], oldp, oldlenp, newp, newlen));
}

H(h_arenas_bin_nregs)
{
	(void)miblen;
	return (ctl_ro_unsigned(sc_nregs[mib[2]], oldp, oldlenp, newp,
	    newlen));
}

H(h_arenas_bin_slab_size)
{
	(void)miblen;
	return (ctl_ro_size(sc_slab_pages[mib[2]] * PAGE, oldp, oldlenp,
	    newp, newlen));
}

H(h_arenas_lextent_size)
{
	(void)miblen;
	return (ctl_ro_size(sc_size[SC_NBINS + mib[2]], oldp, oldlenp, newp,
	    newlen));
}

H(h_arenas_create)
{
	struct arena *a;
	unsigned v;

	UNUSED_MIB;
	if (newp != NULL || newlen != 0)
		return (EPERM);
	a = arena_create_explicit(NULL);
	if (a == NULL)
		return (EAGAIN);
	v = a->ind;
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

/* arena.<i>.* */
static bool
ctl_arena_ok(size_t ind)
{
	return (ind < atomic_load_explicit(&narenas_total,
	    memory_order_acquire) || ind == 4096);
}

static int
ctl_arena_each(size_t ind, void (*fn)(struct pa *))
{
	struct arena *a;
	unsigned i, n;

	n = atomic_load_explicit(&narenas_total, memory_order_acquire);
	for (i = 0; i < n; i++) {
		if (ind != 4096 && i != ind)
			continue;
		a = arena_get(i, false);
		if (a != NULL)
			fn(&a->pa);
	}
	return (0);
}

H(h_arena_purge)
{
	(void)miblen;
	if (oldp != NULL || newp != NULL || newlen != 0 ||
	    (oldlenp != NULL && *oldlenp != 0))
		return (EPERM);
	return (ctl_arena_each(mib[1], pa_purge_all));
}

H(h_arena_decay)
{
	(void)miblen;
	if (oldp != NULL || newp != NULL || newlen != 0 ||
	    (oldlenp != NULL && *oldlenp != 0))
		return (EPERM);
	return (ctl_arena_each(mib[1], pa_decay_run));
}

H(h_arena_dirty_decay_ms)
{
	struct arena *a;
	ssize_t v, nv;
	int err;

	(void)miblen;
	a = mib[1] == 4096 ? NULL : arena_get((unsigned)mib[1], false);
	if (a == NULL)
		return (ENOENT);
	v = (ssize_t)a->pa.decay.ms;
	if (newp != NULL) {
		err = ctl_write(newp, newlen, &nv, sizeof(nv));
		if (err != 0)
			return (err);
		if (nv < -1)
			return (EFAULT);
		pa_decay_set(&a->pa, nv);
	}
	return (ctl_read(oldp, oldlenp, &v, sizeof(v)));
}

/* stats.* (snapshot of the last epoch) */
#define	STAT(fn, field) H(fn) { size_t v; UNUSED_MIB;			\
	mutex_lock(&ctl_lock); v = ctl_stats.field;			\
	mutex_unlock(&ctl_lock);					\
	return (ctl_ro_size(v, oldp, oldlenp, newp, newlen)); }

STAT(h_stats_allocated, allocated)
STAT(h_stats_active, active)
STAT(h_stats_metadata, metadata)
STAT(h_stats_resident, resident)
STAT(h_stats_mapped, mapped)
STAT(h_stats_retained, retained)

static const struct ctl_node ctl_config[] = {
	CTL_LEAF("debug", h_config_debug),
	CTL_LEAF("fill", h_config_true),
	CTL_LEAF("lazy_lock", h_config_false),
	CTL_LEAF("malloc_conf", h_opt_stats_print_opts),
	CTL_LEAF("prof", h_config_false),
	CTL_LEAF("stats", h_config_true),
	CTL_LEAF("utrace", h_config_false),
	CTL_LEAF("xmalloc", h_config_true),
};

static const struct ctl_node ctl_opt[] = {
	CTL_LEAF("abort", h_opt_abort),
	CTL_LEAF("abort_conf", h_opt_abort_conf),
	CTL_LEAF("background_thread", h_opt_background_thread),
	CTL_LEAF("confirm_conf", h_opt_confirm_conf),
	CTL_LEAF("dirty_decay_ms", h_opt_dirty_decay_ms),
	CTL_LEAF("junk", h_opt_junk),
	CTL_LEAF("max_background_threads", h_opt_max_background_threads),
	CTL_LEAF("metadata_thp", h_opt_metadata_thp),
	CTL_LEAF("muzzy_decay_ms", h_opt_muzzy_decay_ms),
	CTL_LEAF("narenas", h_opt_narenas),
	CTL_LEAF("percpu_arena", h_opt_percpu_arena),
	CTL_LEAF("retain", h_opt_retain),
	CTL_LEAF("stats_print", h_opt_stats_print),
	CTL_LEAF("stats_print_opts", h_opt_stats_print_opts),
	CTL_LEAF("tcache", h_opt_tcache),
	CTL_LEAF("tcache_max", h_opt_tcache_max),
	CTL_LEAF("thp", h_opt_thp),
	CTL_LEAF("utrace", h_opt_utrace),
	CTL_LEAF("xmalloc", h_opt_xmalloc),
	CTL_LEAF("zero", h_opt_zero),
	CTL_LEAF("zero_realloc", h_opt_zero_realloc),
};

static const struct ctl_node ctl_thread_tcache[] = {
	CTL_LEAF("enabled", h_thread_tcache_enabled),
	CTL_LEAF("flush", h_thread_tcache_flush),
};

static const struct ctl_node ctl_thread[] = {
	CTL_LEAF("allocated", h_thread_allocated),
	CTL_LEAF("arena", h_thread_arena),
	CTL_LEAF("deallocated", h_thread_deallocated),
	CTL_DIR("tcache", ctl_thread_tcache),
};

static bool
ctl_bin_ok(size_t ind)
{
	return (ind < SC_NBINS);
}

static bool
ctl_lextent_ok(size_t ind)
{
	return (ind < SC_NSIZES - SC_NBINS);
}

static const struct ctl_node ctl_arenas_bin_i[] = {
	CTL_LEAF("nregs", h_arenas_bin_nregs),
	CTL_LEAF("size", h_arenas_bin_size),
	CTL_LEAF("slab_size", h_arenas_bin_slab_size),
};

static const struct ctl_node ctl_arenas_bin[] = {
	CTL_INDEX(ctl_arenas_bin_i, ctl_bin_ok),
};

static const struct ctl_node ctl_arenas_lextent_i[] = {
	CTL_LEAF("size", h_arenas_lextent_size),
};

static const struct ctl_node ctl_arenas_lextent[] = {
	CTL_INDEX(ctl_arenas_lextent_i, ctl_lextent_ok),
};

static const struct ctl_node ctl_arenas[] = {
	CTL_DIR("bin", ctl_arenas_bin),
	CTL_LEAF("create", h_arenas_create),
	CTL_DIR("lextent", ctl_arenas_lextent),
	CTL_LEAF("narenas", h_arenas_narenas),
	CTL_LEAF("nbins", h_arenas_nbins),
	CTL_LEAF("nlextents", h_arenas_nlextents),
	CTL_LEAF("page", h_arenas_page),
	CTL_LEAF("quantum", h_arenas_quantum),
};

static const struct ctl_node ctl_arena_i[] = {
	CTL_LEAF("decay", h_arena_decay),
	CTL_LEAF("dirty_decay_ms", h_arena_dirty_decay_ms),
	CTL_LEAF("purge", h_arena_purge),
};

static const struct ctl_node ctl_arena[] = {
	CTL_INDEX(ctl_arena_i, ctl_arena_ok),
};

static const struct ctl_node ctl_stats_nodes[] = {
	CTL_LEAF("active", h_stats_active),
	CTL_LEAF("allocated", h_stats_allocated),
	CTL_LEAF("mapped", h_stats_mapped),
	CTL_LEAF("metadata", h_stats_metadata),
	CTL_LEAF("resident", h_stats_resident),
	CTL_LEAF("retained", h_stats_retained),
};

static const struct ctl_node ctl_top[] = {
	CTL_DIR("arena", ctl_arena),
	CTL_DIR("arenas", ctl_arenas),
	CTL_DIR("config", ctl_config),
	CTL_LEAF("epoch", h_epoch),
	CTL_DIR("opt", ctl_opt),
	CTL_DIR("stats", ctl_stats_nodes),
	CTL_DIR("thread", ctl_thread),
	CTL_LEAF("version", h_version),
};

const struct ctl_node ctl_root = CTL_DIR("", ctl_top);

int
ctl_name_to_mib(const char *name, size_t *mib, size_t *miblen,
    const struct ctl_node **leaf)
{
	const struct ctl_node *node = &ctl_root, *c;
	const char *p = name, *e;
	size_t depth = 0, len, i, v;
	char *end;

	if (name == NULL || *name == '\0')
		return (ENOENT);
	for (;;) {
		e = strchr(p, '.');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (node->children == NULL || depth >= *miblen ||
		    depth >= CTL_MAX_DEPTH)
			return (ENOENT);
		c = NULL;
		for (i = 0; i < node->nchildren; i++) {
			c = &node->children[i];
			if (strcmp(c->name, "#") == 0) {
				if (len == 0 || p[0] < '0' || p[0] > '9')
					return (ENOENT);
				v = strtoul(p, &end, 10);
				if ((size_t)(end - p) != len ||
				    !c->index_ok(v))
					return (ENOENT);
				mib[depth] = v;
				break;
			}
			if (strlen(c->name) == len &&
			    memcmp(c->name, p, len) == 0) {
				mib[depth] = i;
				break;
			}
			c = NULL;
		}
		if (c == NULL)
			return (ENOENT);
		depth++;
		node = c;
		if (e == NULL)
			break;
		p = e + 1;
	}
	*miblen = depth;
	if (leaf != NULL)
		*leaf = node;
	return (0);
}

static const struct ctl_node *
ctl_mib_node(const size_t *mib, size_t miblen)
{
	const struct ctl_node *node = &ctl_root;
	size_t i;

	for (i = 0; i < miblen; i++) {
		if (node->children == NULL)
			return (NULL);
		if (strcmp(node->children[0].name, "#") == 0) {
			if (!node->children[0].index_ok(mib[i]))
				return (NULL);
			node = &node->children[0];
		} else {
			if (mib[i] >= node->nchildren)
				return (NULL);
			node = &node->children[mib[i]];
		}
	}
	return (node);
}

int
ctl_by_mib(const size_t *mib, size_t miblen, void *oldp, size_t *oldlenp,
    void *newp, size_t newlen)
{
	const struct ctl_node *node;

	if (!malloc_init())
		return (EAGAIN);
	node = ctl_mib_node(mib, miblen);
	if (node == NULL || node->handler == NULL)
		return (ENOENT);
	return (node->handler(mib, miblen, oldp, oldlenp, newp, newlen));
}

DM_EXPORT int
__mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
    size_t newlen)
{
	size_t mib[CTL_MAX_DEPTH], miblen = CTL_MAX_DEPTH;
	const struct ctl_node *leaf;
	int err;

	if (!malloc_init())
		return (EAGAIN);
	err = ctl_name_to_mib(name, mib, &miblen, &leaf);
	if (err != 0)
		return (err);
	if (leaf->handler == NULL)
		return (ENOENT);
	return (leaf->handler(mib, miblen, oldp, oldlenp, newp, newlen));
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
