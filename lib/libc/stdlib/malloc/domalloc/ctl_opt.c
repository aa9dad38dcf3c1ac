/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * ctl_opt.c: the config.* (build-time settings) and opt.* (run-time
 * options, see conf.h) name spaces.  All read-only; the values do not
 * change after initialisation, so no locking.
 */
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "conf.h"
#include "config.h"
#include "ctl.h"
#include "harden.h"
#include "prof.h"

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
	return (ctl_ro_bool(true, oldp, oldlenp, newp, newlen));
}

static int
ctl_config_prof_libgcc(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(true, oldp, oldlenp, newp, newlen));
}

static int
ctl_config_prof_libunwind(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(false, oldp, oldlenp, newp, newlen));
}

/* Whether this is the hardened library (harden.h). */
static int
ctl_config_hardened(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_ro_bool(config_hardened, oldp, oldlenp, newp, newlen));
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

const struct ctl_node ctl_config_children[] = {
	CTL_LEAF("cache_oblivious", ctl_config_cache_oblivious),
	CTL_LEAF("debug", ctl_config_debug),
	CTL_LEAF("fill", ctl_config_fill),
	CTL_LEAF("hardened", ctl_config_hardened),
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

/*
 * opt.*: each leaf's data points at the option's variable (for names of
 * enumerated settings, at a struct ctl_enum), read by a handler per type.
 */
struct ctl_enum {
	const char *const	*names;
	const unsigned		*var;
};

static int
ctl_opt_bool(const size_t *mib, size_t miblen, void *oldp, size_t *oldlenp,
    void *newp, size_t newlen)
{
	const bool *v = ctl_leaf_data(mib, miblen);

	return (ctl_ro_bool(*v, oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_size(const size_t *mib, size_t miblen, void *oldp, size_t *oldlenp,
    void *newp, size_t newlen)
{
	const size_t *v = ctl_leaf_data(mib, miblen);

	return (ctl_ro_size(*v, oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_unsigned(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	const unsigned *v = ctl_leaf_data(mib, miblen);

	return (ctl_ro_unsigned(*v, oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_i64(const size_t *mib, size_t miblen, void *oldp, size_t *oldlenp,
    void *newp, size_t newlen)
{
	const int64_t *v = ctl_leaf_data(mib, miblen);

	return (ctl_ro_ssize((ssize_t)*v, oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_enum(const size_t *mib, size_t miblen, void *oldp, size_t *oldlenp,
    void *newp, size_t newlen)
{
	const struct ctl_enum *e = ctl_leaf_data(mib, miblen);

	return (ctl_ro_str(e->names[*e->var], oldp, oldlenp, newp, newlen));
}

static int
ctl_opt_chars(const size_t *mib, size_t miblen, void *oldp, size_t *oldlenp,
    void *newp, size_t newlen)
{
	const char *v = ctl_leaf_data(mib, miblen);

	return (ctl_ro_str(v, oldp, oldlenp, newp, newlen));
}

static const struct ctl_enum ctl_enum_dss = { conf_dss_names, &opt_dss };
static const struct ctl_enum ctl_enum_junk = { conf_junk_names, &opt_junk };
static const struct ctl_enum ctl_enum_metadata_thp = { conf_metadata_thp_names, &opt_metadata_thp };
static const struct ctl_enum ctl_enum_numa = { conf_numa_names, &opt_numa };
static const struct ctl_enum ctl_enum_percpu_arena = { conf_percpu_arena_names, &opt_percpu_arena };
static const struct ctl_enum ctl_enum_thp = { conf_thp_names, &opt_thp };
static const struct ctl_enum ctl_enum_prof_format = { prof_format_names, &opt_prof_format };
static const struct ctl_enum ctl_enum_zero_realloc = { conf_zero_realloc_names, &opt_zero_realloc };

const struct ctl_node ctl_opt_children[] = {
	CTL_LEAF_DATA("abort", ctl_opt_bool, &opt_abort),
	CTL_LEAF_DATA("abort_conf", ctl_opt_bool, &opt_abort_conf),
	CTL_LEAF_DATA("background_thread", ctl_opt_bool,
	    &opt_background_thread),
	CTL_LEAF_DATA("confirm_conf", ctl_opt_bool, &opt_confirm_conf),
	CTL_LEAF_DATA("dirty_decay_ms", ctl_opt_i64, &opt_dirty_decay_ms),
	CTL_LEAF_DATA("dss", ctl_opt_enum, &ctl_enum_dss),
	CTL_LEAF_DATA("harden_quarantine", ctl_opt_unsigned,
	    &opt_harden_quarantine),
	CTL_LEAF_DATA("harden_quarantine_bytes", ctl_opt_size,
	    &opt_harden_quarantine_bytes),
	CTL_LEAF_DATA("harden_quarantine_large", ctl_opt_unsigned,
	    &opt_harden_quarantine_large),
	CTL_LEAF_DATA("hugify_delay_ms", ctl_opt_i64, &opt_hugify_delay_ms),
	CTL_LEAF_DATA("junk", ctl_opt_enum, &ctl_enum_junk),
	CTL_LEAF_DATA("lg_page", ctl_opt_unsigned, &opt_lg_page),
	CTL_LEAF_DATA("lg_prof_interval", ctl_opt_i64, &opt_lg_prof_interval),
	CTL_LEAF_DATA("lg_prof_sample", ctl_opt_size, &opt_lg_prof_sample),
	CTL_LEAF_DATA("lg_tcache_nslots_mul", ctl_opt_i64,
	    &opt_lg_tcache_nslots_mul),
	CTL_LEAF_DATA("max_background_threads", ctl_opt_size,
	    &opt_max_background_threads),
	CTL_LEAF_DATA("metadata_thp", ctl_opt_enum, &ctl_enum_metadata_thp),
	CTL_LEAF_DATA("muzzy_decay_ms", ctl_opt_i64, &opt_muzzy_decay_ms),
	CTL_LEAF_DATA("narenas", ctl_opt_unsigned, &narenas_auto),
	CTL_LEAF_DATA("numa", ctl_opt_enum, &ctl_enum_numa),
	CTL_LEAF_DATA("percpu_arena", ctl_opt_enum, &ctl_enum_percpu_arena),
	CTL_LEAF_DATA("prof", ctl_opt_bool, &opt_prof),
	CTL_LEAF_DATA("prof_accum", ctl_opt_bool, &opt_prof_accum),
	CTL_LEAF_DATA("prof_active", ctl_opt_bool, &opt_prof_active),
	CTL_LEAF_DATA("prof_final", ctl_opt_bool, &opt_prof_final),
	CTL_LEAF_DATA("prof_format", ctl_opt_enum, &ctl_enum_prof_format),
	CTL_LEAF_DATA("prof_gdump", ctl_opt_bool, &opt_prof_gdump),
	CTL_LEAF_DATA("prof_leak", ctl_opt_bool, &opt_prof_leak),
	CTL_LEAF_DATA("prof_prefix", ctl_opt_chars, opt_prof_prefix),
	CTL_LEAF_DATA("prof_recent_alloc_max", ctl_opt_i64,
	    &opt_prof_recent_alloc_max),
	CTL_LEAF_DATA("prof_thread_active_init", ctl_opt_bool,
	    &opt_prof_thread_active_init),
	CTL_LEAF_DATA("retain", ctl_opt_bool, &opt_retain),
	CTL_LEAF_DATA("stats_print", ctl_opt_bool, &opt_stats_print),
	CTL_LEAF_DATA("stats_print_opts", ctl_opt_chars, opt_stats_print_opts),
	CTL_LEAF_DATA("tcache", ctl_opt_bool, &opt_tcache),
	CTL_LEAF_DATA("tcache_max", ctl_opt_size, &opt_tcache_max),
	CTL_LEAF_DATA("tcache_nslots_large", ctl_opt_unsigned,
	    &opt_tcache_nslots_large),
	CTL_LEAF_DATA("tcache_nslots_small_max", ctl_opt_unsigned,
	    &opt_tcache_nslots_small_max),
	CTL_LEAF_DATA("tcache_nslots_small_min", ctl_opt_unsigned,
	    &opt_tcache_nslots_small_min),
	CTL_LEAF_DATA("thp", ctl_opt_enum, &ctl_enum_thp),
	CTL_LEAF_DATA("utrace", ctl_opt_bool, &opt_utrace),
	CTL_LEAF_DATA("xmalloc", ctl_opt_bool, &opt_xmalloc),
	CTL_LEAF_DATA("zero", ctl_opt_bool, &opt_zero),
	CTL_LEAF_DATA("zero_realloc", ctl_opt_enum, &ctl_enum_zero_realloc),
	CTL_END
};
