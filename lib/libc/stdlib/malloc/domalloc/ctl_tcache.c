/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * ctl_tcache.c: the tcache.* name space: explicit thread caches for
 * MALLOCX_TCACHE(tc).  tcache.create returns a new identifier; flush
 * returns a cache's objects to their arenas; destroy flushes it and
 * makes the identifier free for reuse.  The table and its lock are in
 * tcache.c.
 */
#include <errno.h>

#include "arena.h"
#include "ctl.h"
#include "tcache.h"
#include "tsd.h"

static int
ctl_tcache_create(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	struct tsd *tsd = tsd_get();
	struct arena *a;
	unsigned ind;

	(void)mib;
	(void)miblen;
	if (ctl_readonly(newp, newlen) != 0)
		return (EPERM);
	if (tsd->state == TSD_UNINIT)
		tsd_boot(tsd);
	/* Fills come from the creating thread's arena. */
	a = tsd_arena(tsd);
	if (a == NULL || !tcache_explicit_create(a, &ind))
		return (EFAULT);
	return (ctl_read(oldp, oldlenp, &ind, sizeof(ind)));
}

/* tcache.flush and tcache.destroy: write-only, the cache index in newp. */
static int
ctl_tcache_op(void *oldp, size_t *oldlenp, void *newp, size_t newlen,
    bool (*op)(unsigned))
{
	unsigned ind;
	int err;

	if (ctl_writeonly(oldp, oldlenp) != 0)
		return (EPERM);
	if (newp == NULL)
		return (EFAULT);
	err = ctl_write(newp, newlen, &ind, sizeof(ind));
	if (err != 0)
		return (err);
	return (op(ind) ? 0 : EFAULT);
}

static int
ctl_tcache_flush(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_tcache_op(oldp, oldlenp, newp, newlen,
	    tcache_explicit_flush));
}

static int
ctl_tcache_destroy(const size_t *mib, size_t miblen, void *oldp,
    size_t *oldlenp, void *newp, size_t newlen)
{
	(void)mib;
	(void)miblen;
	return (ctl_tcache_op(oldp, oldlenp, newp, newlen,
	    tcache_explicit_destroy));
}

const struct ctl_node ctl_tcache_children[] = {
	CTL_LEAF("create", ctl_tcache_create),
	CTL_LEAF("destroy", ctl_tcache_destroy),
	CTL_LEAF("flush", ctl_tcache_flush),
	CTL_END
};
