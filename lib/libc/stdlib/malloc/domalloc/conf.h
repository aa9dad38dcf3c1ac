/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * conf.h: run-time options (MALLOC_CONF).
 *
 * Options are read once at initialisation from, in order (later wins):
 * the built-in default (conf_builtin, config.malloc_conf), the program's
 * weak global malloc_conf, the name the symbolic link /etc/malloc.conf
 * points to, and the environment variable MALLOC_CONF (ignored for set-id
 * programs).  The syntax is "key:value,key:value"; integers may be
 * decimal, octal (0...) or hex (0x...).  A malformed string, an unknown
 * option or a bad value is reported through malloc_message with the
 * source and the offending text, and is fatal when abort_conf is true.
 * The opt_ variables are written only during initialisation and are
 * read-only afterwards (no locking); conf_opt_value() lists them for the
 * statistics printer.
 */
#ifndef CONF_H
#define	CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum opt_junk { JUNK_NONE = 0, JUNK_ALLOC = 1, JUNK_FREE = 2,
	JUNK_ALL = 3 };
enum opt_zero_realloc { ZERO_REALLOC_FREE, ZERO_REALLOC_ALLOC,
	ZERO_REALLOC_ABORT };
enum opt_thp { THP_DEFAULT, THP_ALWAYS, THP_NEVER };
enum opt_percpu_arena { PERCPU_ARENA_DISABLED, PERCPU_ARENA_PERCPU,
	PERCPU_ARENA_PHYCPU };
enum opt_numa { NUMA_OFF, NUMA_PREFER, NUMA_BIND, NUMA_INTERLEAVE };

extern bool		opt_abort;
extern bool		opt_abort_conf;
extern bool		opt_confirm_conf;
extern unsigned		opt_narenas;
extern int64_t		opt_dirty_decay_ms;
extern int64_t		opt_hugify_delay_ms;
extern int64_t		opt_muzzy_decay_ms;
extern bool		opt_tcache;
extern size_t		opt_tcache_max;
extern unsigned		opt_tcache_nslots_small_min;
extern unsigned		opt_tcache_nslots_small_max;
extern unsigned		opt_tcache_nslots_large;
extern int64_t		opt_lg_tcache_nslots_mul;
extern unsigned		opt_junk;
extern bool		opt_zero;
extern bool		opt_xmalloc;
extern bool		opt_retain;
extern unsigned		opt_dss;	/* only "disabled" (no sbrk) */
extern unsigned		opt_zero_realloc;
extern bool		opt_stats_print;
extern char		opt_stats_print_opts[64];
extern unsigned		opt_thp;
extern unsigned		opt_numa;
extern unsigned		opt_metadata_thp;
extern bool		opt_background_thread;
/* Whether any source named background_thread (see bg.h). */
extern bool		opt_background_thread_set;
extern size_t		opt_max_background_threads;
extern unsigned		opt_percpu_arena;
extern bool		opt_utrace;
/* The page size is at least 2^opt_lg_page bytes (0: the kernel's). */
extern unsigned		opt_lg_page;

extern const char *const conf_junk_names[];
extern const char *const conf_zero_realloc_names[];
extern const char *const conf_thp_names[];
extern const char *const conf_numa_names[];
extern const char *const conf_metadata_thp_names[];
extern const char *const conf_percpu_arena_names[];
extern const char *const conf_dss_names[];

/* The built-in option string (config.malloc_conf). */
extern const char conf_builtin[];

void	conf_init(void);

/* How conf_opt_value() returns a value. */
enum conf_vtype { CONF_V_BOOL, CONF_V_INT, CONF_V_STR };

/*
 * The i-th option (aliases such as lg_tcache_max excluded) with its
 * current value, for listing; false once i is past the last option.
 */
bool	conf_opt_value(unsigned i, const char **name, enum conf_vtype *vt,
	    int64_t *iv, const char **sv);

#endif /* !CONF_H */
