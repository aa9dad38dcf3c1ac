/*
 * ctl_opt.c: the config.* (build-time settings) and opt.* (run-time
 * options, see conf.h) name spaces.  All read-only; the values do not
 * change after initialisation, so no locking.
 */
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "conf.h"
#include "config.h"
#include "ctl.h"

/* config.*: how this build was configured. */

static int
ctl_config_cache_oblivious(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(false, oldp, oldlenp, newp, newlen));
}

static int
ctl_config_debug(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(config_debug, oldp, oldlenp, newp, newlen));
}

static int
ctl_config_fill(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(true, oldp, oldlenp, newp, newlen));
}

static int
ctl_config_lazy_lock(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(false, oldp, oldlenp, newp, newlen));
}

static int
ctl_config_malloc_conf(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_str(conf_builtin, oldp, oldlenp, newp, newlen));
}

static int
ctl_config_opt_safety_checks(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(config_safety, oldp, oldlenp, newp, newlen));
}

static int
ctl_config_prof(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(false, oldp, oldlenp, newp, newlen));
}

static int
ctl_config_prof_libgcc(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(false, oldp, oldlenp, newp, newlen));
}

static int
ctl_config_prof_libunwind(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(false, oldp, oldlenp, newp, newlen));
}

static int
ctl_config_stats(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(config_stats, oldp, oldlenp, newp, newlen));
}

static int
ctl_config_utrace(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(false, oldp, oldlenp, newp, newlen));
}

static int
ctl_config_xmalloc(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(true, oldp, oldlenp, newp, newlen));
}

/*
 * opt.*: the options in effect.  opt.narenas is the number of automatic
 * arenas chosen (the option, or the default computed from the CPU count).
 */

static int
ctl_opt_abort(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(opt_abort, oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_abort_conf(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(opt_abort_conf, oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_background_thread(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(opt_background_thread, oldp,
	    oldlenp, newp, newlen));
}

static int
ctl_opt_confirm_conf(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(opt_confirm_conf, oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_dirty_decay_ms(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_ssize((ssize_t)opt_dirty_decay_ms, oldp,
	    oldlenp, newp, newlen));
}

static int
ctl_opt_dss(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_str(conf_dss_names[opt_dss], oldp,
	    oldlenp, newp, newlen));
}

static int
ctl_opt_junk(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_str(conf_junk_names[opt_junk], oldp,
	    oldlenp, newp, newlen));
}

static int
ctl_opt_lg_tcache_nslots_mul(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_ssize((ssize_t)opt_lg_tcache_nslots_mul, oldp,
	    oldlenp, newp, newlen));
}

static int
ctl_opt_max_background_threads(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_size(opt_max_background_threads, oldp,
	    oldlenp, newp, newlen));
}

static int
ctl_opt_metadata_thp(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_str(conf_metadata_thp_names[opt_metadata_thp], oldp,
	    oldlenp, newp, newlen));
}

static int
ctl_opt_muzzy_decay_ms(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_ssize((ssize_t)opt_muzzy_decay_ms, oldp,
	    oldlenp, newp, newlen));
}

static int
ctl_opt_narenas(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_unsigned(narenas_auto, oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_percpu_arena(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_str(conf_percpu_arena_names[opt_percpu_arena], oldp,
	    oldlenp, newp, newlen));
}

static int
ctl_opt_retain(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(opt_retain, oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_stats_print(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(opt_stats_print, oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_stats_print_opts(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_str(opt_stats_print_opts, oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_tcache(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(opt_tcache, oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_tcache_max(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_size(opt_tcache_max, oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_tcache_nslots_large(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_unsigned(opt_tcache_nslots_large, oldp,
	    oldlenp, newp, newlen));
}

static int
ctl_opt_tcache_nslots_small_max(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_unsigned(opt_tcache_nslots_small_max, oldp,
	    oldlenp, newp, newlen));
}

static int
ctl_opt_tcache_nslots_small_min(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_unsigned(opt_tcache_nslots_small_min, oldp,
	    oldlenp, newp, newlen));
}

static int
ctl_opt_numa(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_str(conf_numa_names[opt_numa], oldp, oldlenp, newp,
	    newlen));
}

static int
ctl_opt_thp(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_str(conf_thp_names[opt_thp], oldp,
	    oldlenp, newp, newlen));
}

static int
ctl_opt_utrace(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(opt_utrace, oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_xmalloc(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(opt_xmalloc, oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_zero(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(opt_zero, oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_zero_realloc(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_str(conf_zero_realloc_names[opt_zero_realloc], oldp,
	    oldlenp, newp, newlen));
}

const struct ctl_node ctl_config_children[] = {
	CTL_LEAF("cache_oblivious", ctl_config_cache_oblivious),
	CTL_LEAF("debug", ctl_config_debug),
	CTL_LEAF("fill", ctl_config_fill),
	CTL_LEAF("lazy_lock", ctl_config_lazy_lock),
	CTL_LEAF("malloc_conf", ctl_config_malloc_conf),
	CTL_LEAF("opt_safety_checks", ctl_config_opt_safety_checks),
	CTL_LEAF("prof", ctl_config_prof),
	CTL_LEAF("prof_libgcc", ctl_config_prof_libgcc),
	CTL_LEAF("prof_libunwind", ctl_config_prof_libunwind),
	CTL_LEAF("stats", ctl_config_stats),
	CTL_LEAF("utrace", ctl_config_utrace),
	CTL_LEAF("xmalloc", ctl_config_xmalloc),
	CTL_END
};

const struct ctl_node ctl_opt_children[] = {
	CTL_LEAF("abort", ctl_opt_abort),
	CTL_LEAF("abort_conf", ctl_opt_abort_conf),
	CTL_LEAF("background_thread", ctl_opt_background_thread),
	CTL_LEAF("confirm_conf", ctl_opt_confirm_conf),
	CTL_LEAF("dirty_decay_ms", ctl_opt_dirty_decay_ms),
	CTL_LEAF("dss", ctl_opt_dss),
	CTL_LEAF("junk", ctl_opt_junk),
	CTL_LEAF("lg_tcache_nslots_mul", ctl_opt_lg_tcache_nslots_mul),
	CTL_LEAF("max_background_threads", ctl_opt_max_background_threads),
	CTL_LEAF("metadata_thp", ctl_opt_metadata_thp),
	CTL_LEAF("muzzy_decay_ms", ctl_opt_muzzy_decay_ms),
	CTL_LEAF("narenas", ctl_opt_narenas),
	CTL_LEAF("numa", ctl_opt_numa),
	CTL_LEAF("percpu_arena", ctl_opt_percpu_arena),
	CTL_LEAF("retain", ctl_opt_retain),
	CTL_LEAF("stats_print", ctl_opt_stats_print),
	CTL_LEAF("stats_print_opts", ctl_opt_stats_print_opts),
	CTL_LEAF("tcache", ctl_opt_tcache),
	CTL_LEAF("tcache_max", ctl_opt_tcache_max),
	CTL_LEAF("tcache_nslots_large", ctl_opt_tcache_nslots_large),
	CTL_LEAF("tcache_nslots_small_max", ctl_opt_tcache_nslots_small_max),
	CTL_LEAF("tcache_nslots_small_min", ctl_opt_tcache_nslots_small_min),
	CTL_LEAF("thp", ctl_opt_thp),
	CTL_LEAF("utrace", ctl_opt_utrace),
	CTL_LEAF("xmalloc", ctl_opt_xmalloc),
	CTL_LEAF("zero", ctl_opt_zero),
	CTL_LEAF("zero_realloc", ctl_opt_zero_realloc),
	CTL_END
};
