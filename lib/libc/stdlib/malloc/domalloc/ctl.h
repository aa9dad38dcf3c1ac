/*
 * ctl.h: the mallctl control plane.
 *
 * The name space is a static tree of struct ctl_node: an inner node has
 * children, a leaf has a handler; a child named "#" stands for a number
 * (an arena or size class index) and matches any decimal component.  A
 * MIB is the path of child positions from the root, with the number
 * itself in place of a "#" component.  Handlers receive the MIB, so
 * indexed leaves know their index.  Handler conventions follow jemalloc:
 * EINVAL for a wrong length (with a partial copy of what fits), ENOENT
 * for a missing name or index, EPERM for writing a read-only value,
 * EFAULT when an action fails.
 * Synchronization: ctl_lock (RANK_CTL) serialises writes that change
 * global state; reads of live values take the locks of what they read.
 */
#ifndef CTL_H
#define	CTL_H

#include <stdbool.h>
#include <stddef.h>

#define	CTL_MAX_DEPTH	8

struct ctl_node;

typedef int ctl_handler_t(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen);

struct ctl_node {
	const char		*name;
	const struct ctl_node	*children;	/* NULL for a leaf */
	size_t			 nchildren;
	ctl_handler_t		*handler;	/* NULL for an inner node */
	/* For "#" nodes: is this index valid now? */
	bool			(*index_ok)(size_t ind);
};

#define	CTL_DIR(n, c)	{ (n), (c), sizeof(c) / sizeof((c)[0]), NULL, NULL }
#define	CTL_LEAF(n, h)	{ (n), NULL, 0, (h), NULL }
#define	CTL_INDEX(c, ok) { "#", (c), sizeof(c) / sizeof((c)[0]), NULL, (ok) }

extern const struct ctl_node ctl_root;

/* Helpers for handlers. */
int	ctl_read(void *oldp, size_t *oldlenp, const void *val, size_t len);
int	ctl_write(void *newp, size_t newlen, void *val, size_t len);
int	ctl_readonly(void *newp, size_t newlen);

int	ctl_name_to_mib(const char *name, size_t *mib, size_t *miblen,
	    const struct ctl_node **leaf);
int	ctl_by_mib(const size_t *mib, size_t miblen, void *oldp,
	    size_t *oldlenp, void *newp, size_t newlen);

#endif /* !CTL_H */
