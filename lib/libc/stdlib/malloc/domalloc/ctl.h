/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * ctl.h: the mallctl control plane.
 *
 * The name space is a static tree of struct ctl_node, split by name
 * space into one file each: ctl.c (the walker, the entry points, the top
 * level, version and epoch), ctl_opt.c (config.*, opt.*), ctl_thread.c
 * (thread.*), ctl_tcache.c (tcache.*), ctl_arena.c (arena.<i>.*,
 * arenas.*), ctl_stats.c (stats.*) and ctl_print.c (malloc_stats_print).
 * An inner node lists its children in an array ended by an entry with a
 * NULL name; a leaf has a handler, an explicit function that calls the
 * typed helpers below.  A child named "#" stands for a number (an arena
 * or size class index): it matches any decimal component that its
 * index_ok accepts.  A MIB is the path of child positions from the root,
 * with the number itself in place of a "#" component; handlers receive
 * the MIB, so indexed leaves know their index.
 *
 * Handler conventions follow jemalloc: EINVAL for a wrong *oldlenp (after
 * copying what fits and setting *oldlenp to that) or newlen, ENOENT for an
 * unknown name or index, EPERM for writing a read-only value or reading
 * a write-only or void one, EAGAIN when memory runs out, EFAULT when an
 * action fails.
 *
 * Synchronization: handlers take the locks of what they touch; the
 * statistics snapshot has its own lock (stats.h).  Nothing here is held
 * across calls.
 */
#ifndef CTL_H
#define	CTL_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define	CTL_MAX_DEPTH		8
#define	CTL_ARENAS_ALL		4096	/* MALLCTL_ARENAS_ALL */
#define	CTL_ARENAS_DESTROYED	4097	/* MALLCTL_ARENAS_DESTROYED */

typedef int ctl_handler_t(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen);

struct ctl_node {
	const char		*name;		/* NULL ends a child list */
	const struct ctl_node	*children;	/* NULL for a leaf */
	ctl_handler_t		*handler;	/* NULL for an inner node */
	/* For "#" nodes: is this index valid now? */
	bool			(*index_ok)(size_t ind);
	/* For leaves whose handler serves several: what to read. */
	size_t			arg;
	const void		*data;
};

/*
 * Table entries: a directory, a leaf, a leaf with an argument or a data
 * pointer for its handler (ctl_leaf_arg, ctl_leaf_data), a "#" index
 * node, the end.
 */
#define	CTL_DIR(n, c)		{ (n), (c), NULL, NULL, 0, NULL }
#define	CTL_LEAF(n, h)		{ (n), NULL, (h), NULL, 0, NULL }
#define	CTL_LEAF_ARG(n, h, a)	{ (n), NULL, (h), NULL, (a), NULL }
#define	CTL_LEAF_DATA(n, h, d)	{ (n), NULL, (h), NULL, 0, (d) }
#define	CTL_INDEX(c, ok)	{ "#", (c), NULL, (ok), 0, NULL }
#define	CTL_END			{ NULL, NULL, NULL, NULL, 0, NULL }

/* The root and the name spaces the other files define. */
extern const struct ctl_node ctl_root;
extern const struct ctl_node ctl_arena_children[];
extern const struct ctl_node ctl_arenas_children[];
extern const struct ctl_node ctl_config_children[];
extern const struct ctl_node ctl_opt_children[];
extern const struct ctl_node ctl_stats_children[];
extern const struct ctl_node ctl_stats_nodes_children[];
extern const struct ctl_node ctl_tcache_children[];
extern const struct ctl_node ctl_thread_children[];
extern const struct ctl_node ctl_prof_children[];
extern const struct ctl_node ctl_thread_prof_children[];
extern const struct ctl_node ctl_experimental_children[];
extern const struct ctl_node ctl_stats_prof_children[];

/*
 * Primitive checks, as jemalloc's READ, WRITE, READONLY, WRITEONLY and
 * "neither": ctl_read copies val out if oldp and oldlenp are set;
 * ctl_write copies newp in if newp is set; both check lengths.
 */
int	ctl_read(void *oldp, size_t *oldlenp, const void *val, size_t len);
int	ctl_write(const void *newp, size_t newlen, void *val, size_t len);
/*
 * ctl_write for a bool: any byte but 0 is true, so a program that writes
 * 2 (or garbage) gets true, never a bool holding another value.
 */
int	ctl_write_bool(const void *newp, size_t newlen, bool *val);
int	ctl_readonly(const void *newp, size_t newlen);
int	ctl_writeonly(const void *oldp, const size_t *oldlenp);
int	ctl_void(const void *oldp, const size_t *oldlenp, const void *newp,
	    size_t newlen);

/* Read-only values of each type: readonly check, then read. */
int	ctl_ro_bool(bool v, void *oldp, size_t *oldlenp, const void *newp,
	    size_t newlen);
int	ctl_ro_unsigned(unsigned v, void *oldp, size_t *oldlenp,
	    const void *newp, size_t newlen);
int	ctl_ro_u32(uint32_t v, void *oldp, size_t *oldlenp, const void *newp,
	    size_t newlen);
int	ctl_ro_u64(uint64_t v, void *oldp, size_t *oldlenp, const void *newp,
	    size_t newlen);
int	ctl_ro_size(size_t v, void *oldp, size_t *oldlenp, const void *newp,
	    size_t newlen);
int	ctl_ro_ssize(ssize_t v, void *oldp, size_t *oldlenp, const void *newp,
	    size_t newlen);
int	ctl_ro_str(const char *v, void *oldp, size_t *oldlenp,
	    const void *newp, size_t newlen);
int	ctl_ro_ptr(const void *v, void *oldp, size_t *oldlenp,
	    const void *newp, size_t newlen);

/* Arena indices: MALLCTL_ARENAS_ALL and its deprecated alias narenas. */
bool	ctl_arena_is_all(size_t ind);

/* The walker, for the entry points and the whitebox tests. */
int	ctl_name_to_mib(const char *name, size_t *mib, size_t *miblen,
	    const struct ctl_node **nodep);
/*
 * The argument and the data of the leaf a MIB names (0, NULL if none).
 * Finding the leaf checks indices, which may take the statistics
 * snapshot lock: call these before taking it.
 */
size_t	ctl_leaf_arg(const size_t *mib, size_t miblen);
const void *ctl_leaf_data(const size_t *mib, size_t miblen);
const struct ctl_node *ctl_mib_node(const size_t *mib, size_t miblen);
int	ctl_by_mib(const size_t *mib, size_t miblen, void *oldp,
	    size_t *oldlenp, void *newp, size_t newlen);


/* Fork handling of the printer's lock (ctl_print.c), via stats.c. */
void	ctl_print_prefork(void);
void	ctl_print_postfork_parent(void);
void	ctl_print_postfork_child(void);

#endif /* !CTL_H */
