/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * mallctl_test: mallctl, mallctlnametomib and mallctlbymib: jemalloc's
 * error codes (EINVAL with a partial copy, ENOENT, EPERM, EFAULT),
 * names and MIBs, partial MIBs, and the names of each name space that
 * are not statistics: version, epoch, config.*, arenas.*, arena.<i>.*
 * (decay times, dss, purge, reset, destroy, extent hooks), thread.arena
 * and background_thread.  Statistics are in stats_test, thread caches
 * and thread counters in tcache_test, opt.* in conf_test.
 */
#include <pthread.h>

#include "ctl_test_util.h"

/*
 * The documented size classes: 16-byte quantum, 4 per doubling, but 1152
 * between 1024 and 1280 (index 20) and 8 per doubling above 4 KiB in the
 * small classes (indexes 29 to 42: 4608 to 8192 in steps of 512, then
 * 9216 to 14336 in steps of 1024), which puts every class from 1280 one
 * place and every later class 8 places after its four-per-doubling index.
 */
static size_t
class_size(unsigned i)
{
	unsigned g;

	if (i < 4)
		return ((size_t)(i + 1) * 16);
	if (i == 20)
		return (1152);
	if (i >= 29 && i <= 36)
		return (4096 + (size_t)(i - 28) * 512);
	if (i >= 37 && i <= 42)
		return (8192 + (size_t)(i - 36) * 1024);
	if (i >= 43)
		i -= 8;
	else if (i > 20)
		i--;
	g = (i - 4) / 4;
	return (((size_t)1 << (6 + g)) + (size_t)((i - 4) % 4 + 1) *
	    ((size_t)1 << (4 + g)));
}

ATF_TC_WITHOUT_HEAD(version_epoch_config);
ATF_TC_BODY(version_epoch_config, tc)
{
	uint64_t e1, e2;
	size_t len;

	ATF_CHECK(strncmp(ct_str("domalloc.version"), "domalloc", 8) == 0);
	ATF_CHECK(strncmp(ct_str("version"), "5.3.", 4) == 0);
	e1 = ct_u64("epoch");
	ATF_CHECK(e1 >= 1);
	e2 = ct_epoch();
	ATF_CHECK_EQ(e2, e1 + 1);
	ATF_CHECK_EQ(ct_u64("epoch"), e2);
	/* A write of the wrong size does nothing. */
	len = sizeof(e1);
	ATF_CHECK_EQ(mallctl("epoch", &e1, &len, &e1, 4), EINVAL);
	ATF_CHECK_EQ(ct_u64("epoch"), e2);
	ATF_CHECK(ct_bool("config.stats"));
	ATF_CHECK(ct_bool("config.fill"));
	ATF_CHECK(ct_bool("config.xmalloc"));
	/* Heap profiling is always built in, off unless prof:true. */
	ATF_CHECK(ct_bool("config.prof"));
	ATF_CHECK(!ct_bool("opt.prof"));
	ATF_CHECK(!ct_bool("config.lazy_lock"));
	ATF_CHECK_STREQ(ct_str("config.malloc_conf"), "");
}

ATF_TC_WITHOUT_HEAD(error_codes);
ATF_TC_BODY(error_codes, tc)
{
	static const char *const noent[] = { "", "nonexistent", "opt",
	    "opt.", "opt.nonexistent", "opt.abort.x", "arenas.bin",
	    "arenas.bin.43.size", "arenas.bin.x.size", "arenas.bin.-1.size",
	    "arenas.bin.0x1.size", "arenas.lextent.193.size",
	    "arena.99999.purge", "arena.4098.purge",
	    "stats.arenas.4099.pactive", "thread.tcache", ".version",
	    "version.", "stats..allocated", "prof.active",
	    "experimental.hooks.install" };
	unsigned char buf[16];
	unsigned u;
	size_t len, i;
	bool b;

	for (i = 0; i < sizeof(noent) / sizeof(noent[0]); i++) {
		len = sizeof(buf);
		ATF_CHECK_EQ_MSG(mallctl(noent[i], buf, &len, NULL, 0),
		    ENOENT, "\"%s\"", noent[i]);
	}
	/* EINVAL: a wrong oldlen copies what fits and says how much. */
	memset(buf, 0xee, sizeof(buf));
	len = 8;
	ATF_CHECK_EQ(mallctl("arenas.nbins", buf, &len, NULL, 0), EINVAL);
	ATF_CHECK_EQ(len, sizeof(unsigned));
	memcpy(&u, buf, sizeof(u));
	ATF_CHECK_EQ(u, ct_unsigned("arenas.nbins"));
	ATF_CHECK_EQ(buf[sizeof(unsigned)], 0xee);
	len = 2;
	memset(buf, 0xee, sizeof(buf));
	ATF_CHECK_EQ(mallctl("arenas.nbins", buf, &len, NULL, 0), EINVAL);
	ATF_CHECK_EQ(len, 2);
	ATF_CHECK_EQ(buf[2], 0xee);
	/* EINVAL: a wrong newlen changes nothing. */
	b = false;
	ATF_CHECK_EQ(mallctl("thread.tcache.enabled", NULL, NULL, &b, 4),
	    EINVAL);
	ATF_CHECK(ct_bool("thread.tcache.enabled"));
	/* EPERM: writing a read-only name, reading a void one. */
	b = true;
	ATF_CHECK_EQ(mallctl("opt.abort", NULL, NULL, &b, sizeof(b)), EPERM);
	ATF_CHECK_EQ(mallctl("arenas.page", NULL, NULL, NULL, 1), EPERM);
	len = sizeof(buf);
	ATF_CHECK_EQ(mallctl("arena.0.purge", buf, &len, NULL, 0), EPERM);
	ATF_CHECK_EQ(mallctl("thread.tcache.flush", NULL, &len, NULL, 0),
	    EPERM);
	ATF_CHECK_EQ(mallctl("arena.0.purge", NULL, NULL, NULL, 0), 0);
	/* EPERM: reading a write-only name. */
	ATF_CHECK_EQ(mallctl("tcache.flush", buf, &len, NULL, 0), EPERM);
	/* EFAULT: an action that cannot be done. */
	u = 999;
	ATF_CHECK_EQ(mallctl("tcache.destroy", NULL, NULL, &u, sizeof(u)),
	    EFAULT);
	ATF_CHECK_EQ(mallctl("arena.0.destroy", NULL, NULL, NULL, 0),
	    EFAULT);
	/* Only reading (oldp or oldlenp NULL) skips the copy. */
	ATF_CHECK_EQ(mallctl("arenas.nbins", NULL, &len, NULL, 0), 0);
	ATF_CHECK_EQ(mallctl("arenas.nbins", buf, NULL, NULL, 0), 0);
}

ATF_TC_WITHOUT_HEAD(mib);
ATF_TC_BODY(mib, tc)
{
	size_t mib[8], mib2[8], binmib[8], miblen, len, size, i, nb;
	uint32_t nregs;
	unsigned nl;

	miblen = 8;
	ATF_REQUIRE_EQ(mallctlnametomib("arenas.bin.0.size", mib, &miblen),
	    0);
	ATF_REQUIRE_EQ(miblen, 4);
	ATF_CHECK_EQ(mib[2], 0);
	nb = ct_unsigned("arenas.nbins");
	ATF_CHECK_EQ(nb, 43);
	for (i = 0; i < nb; i++) {
		mib[2] = i;
		len = sizeof(size);
		ATF_REQUIRE_EQ(mallctlbymib(mib, 4, &size, &len, NULL, 0), 0);
		ATF_CHECK_EQ_MSG(size, class_size((unsigned)i),
		    "arenas.bin.%zu.size is %zu", i, size);
	}
	ATF_CHECK_EQ(size, 14336);
	memcpy(binmib, mib, sizeof(mib));
	mib[2] = nb;
	len = sizeof(size);
	ATF_CHECK_EQ(mallctlbymib(mib, 4, &size, &len, NULL, 0), ENOENT);
	/* nregs * size == slab_size for every bin. */
	for (i = 0; i < nb; i++) {
		size_t slab;

		len = sizeof(nregs);
		ATF_REQUIRE_EQ(ct_ctlf("arenas.bin.%zu.nregs", &nregs, &len,
		    NULL, 0, i), 0);
		len = sizeof(slab);
		ATF_REQUIRE_EQ(ct_ctlf("arenas.bin.%zu.slab_size", &slab,
		    &len, NULL, 0, i), 0);
		ATF_CHECK_EQ(nregs * class_size((unsigned)i), slab);
		ATF_CHECK_EQ(slab % ct_size("arenas.page"), 0);
	}
	/* Large classes continue the sequence. */
	nl = ct_unsigned("arenas.nlextents");
	miblen = 8;
	ATF_REQUIRE_EQ(mallctlnametomib("arenas.lextent.0.size", mib, &miblen),
	    0);
	for (i = 0; i < nl; i++) {
		mib[2] = i;
		len = sizeof(size);
		ATF_REQUIRE_EQ(mallctlbymib(mib, miblen, &size, &len, NULL, 0),
		    0);
		ATF_CHECK_EQ_MSG(size, class_size((unsigned)(nb + i)),
		    "arenas.lextent.%zu.size is %zu", i, size);
	}
	ATF_CHECK_EQ(class_size(nb), 16384);
	/* A partial MIB: the first components only; completed, it works. */
	miblen = 2;
	ATF_REQUIRE_EQ(mallctlnametomib("arenas.bin.7.size", mib2, &miblen),
	    0);
	ATF_CHECK_EQ(miblen, 2);
	len = sizeof(size);
	ATF_CHECK_EQ(mallctlbymib(mib2, 2, &size, &len, NULL, 0), ENOENT);
	mib2[2] = 7;
	mib2[3] = binmib[3];
	ATF_CHECK_EQ(mallctlbymib(mib2, 4, &size, &len, NULL, 0), 0);
	ATF_CHECK_EQ(size, class_size(7));
	/* Bad MIBs. */
	mib2[0] = 1000;
	ATF_CHECK_EQ(mallctlbymib(mib2, 4, &size, &len, NULL, 0), ENOENT);
	ATF_CHECK_EQ(mallctlbymib(mib, 0, &size, &len, NULL, 0), ENOENT);
	miblen = 8;
	ATF_CHECK_EQ(mallctlnametomib("arenas.bin.0.bogus", mib, &miblen),
	    ENOENT);
}

ATF_TC_WITHOUT_HEAD(arenas_constants);
ATF_TC_BODY(arenas_constants, tc)
{
	ATF_CHECK_EQ(ct_size("arenas.quantum"), 16);
	/* The kernel's page, or the larger one lg_page asked for. */
	ATF_CHECK_EQ(ct_size("arenas.page"), ct_unsigned("opt.lg_page") != 0 ?
	    (size_t)1 << ct_unsigned("opt.lg_page") :
	    (size_t)sysconf(_SC_PAGESIZE));
	ATF_CHECK_EQ(ct_unsigned("arenas.nbins"), 43);
	ATF_CHECK_EQ(ct_unsigned("arenas.nlextents"), 193);
	ATF_CHECK_EQ(ct_size("arenas.tcache_max"), 32768);
	/* Classes 16 .. 32768 are thread-cached. */
	ATF_CHECK_EQ(ct_unsigned("arenas.nhbins"), 48);
	{
		uint32_t sh = 0;
		size_t len = sizeof(sh);

		ATF_CHECK_EQ(mallctl("arenas.bin.0.nshards", &sh, &len, NULL,
		    0), 0);
		ATF_CHECK_EQ(sh, 1);
	}
	ATF_CHECK(ct_unsigned("arenas.narenas") >= 1);
	ATF_CHECK_EQ(ct_unsigned("opt.narenas"),
	    ct_unsigned("arenas.narenas"));
}

ATF_TC_WITHOUT_HEAD(arenas_create_lookup);
ATF_TC_BODY(arenas_create_lookup, tc)
{
	unsigned n0, a, b, ind;
	size_t len;
	void *p, *q;
	int local;

	n0 = ct_unsigned("arenas.narenas");
	a = ct_new_arena();
	ATF_CHECK_EQ(a, n0);
	ATF_CHECK_EQ(ct_unsigned("arenas.narenas"), n0 + 1);
	len = sizeof(bool);
	{
		bool init = false;

		ATF_REQUIRE_EQ(ct_ctlf("arena.%u.initialized", &init, &len,
		    NULL, 0, a), 0);
		ATF_CHECK(init);
		ATF_REQUIRE_EQ(ct_ctlf("arena.%u.initialized", &init, &len,
		    NULL, 0, n0 + 1), 0);
		ATF_CHECK(init);	/* narenas: all arenas (deprecated) */
		ATF_REQUIRE_EQ(mallctl("arena.4097.initialized", &init, &len,
		    NULL, 0), 0);
	}
	/* The index must be read, with the right length. */
	len = 8;
	ATF_CHECK_EQ(mallctl("arenas.create", &b, &len, NULL, 0), EINVAL);
	ATF_CHECK_EQ(len, 0);
	ATF_CHECK_EQ(mallctl("arenas.create", NULL, NULL, NULL, 0), EINVAL);
	ATF_CHECK_EQ(ct_unsigned("arenas.narenas"), n0 + 1);
	b = ct_new_arena();
	ATF_CHECK_EQ(b, a + 1);
	/* lookup: the arena that owns a pointer. */
	p = mallocx(100, MALLOCX_ARENA(a) | MALLOCX_TCACHE_NONE);
	q = mallocx(1 << 20, MALLOCX_ARENA(b));
	ATF_REQUIRE(p != NULL && q != NULL);
	len = sizeof(ind);
	ATF_CHECK_EQ(mallctl("arenas.lookup", &ind, &len, &p, sizeof(p)), 0);
	ATF_CHECK_EQ(ind, a);
	ATF_CHECK_EQ(mallctl("arenas.lookup", &ind, &len, &q, sizeof(q)), 0);
	ATF_CHECK_EQ(ind, b);
	q = (char *)q + 4096;	/* inside an allocation */
	ATF_CHECK_EQ(mallctl("arenas.lookup", &ind, &len, &q, sizeof(q)), 0);
	ATF_CHECK_EQ(ind, b);
	q = (char *)q - 4096;
	p = &local;
	ATF_CHECK_EQ(mallctl("arenas.lookup", &ind, &len, &p, sizeof(p)),
	    EINVAL);
	ATF_CHECK_EQ(mallctl("arenas.lookup", &ind, &len, NULL, 0), EINVAL);
	dallocx(q, 0);
}

ATF_TC_WITHOUT_HEAD(arena_decay_times);
ATF_TC_BODY(arena_decay_times, tc)
{
	ssize_t ms, old;
	size_t len = sizeof(ms);
	unsigned a;

	a = ct_new_arena();
	ATF_CHECK_EQ(ct_ctlf("arena.%u.dirty_decay_ms", &ms, &len, NULL, 0,
	    a), 0);
	ATF_CHECK_EQ(ms, ct_ssize("opt.dirty_decay_ms"));
	ms = 0;
	ATF_CHECK_EQ(ct_ctlf("arena.%u.dirty_decay_ms", &old, &len, &ms,
	    sizeof(ms), a), 0);
	ATF_CHECK_EQ(old, ct_ssize("opt.dirty_decay_ms"));
	ATF_CHECK_EQ(ct_ctlf("arena.%u.dirty_decay_ms", &ms, &len, NULL, 0,
	    a), 0);
	ATF_CHECK_EQ(ms, 0);
	ms = -2;
	ATF_CHECK_EQ(ct_ctlf("arena.%u.dirty_decay_ms", NULL, NULL, &ms,
	    sizeof(ms), a), EFAULT);
	ms = -1;
	ATF_CHECK_EQ(ct_ctlf("arena.%u.muzzy_decay_ms", NULL, NULL, &ms,
	    sizeof(ms), a), 0);
	ATF_CHECK_EQ(ct_ctlf("arena.%u.muzzy_decay_ms", &ms, &len, NULL, 0,
	    a), 0);
	ATF_CHECK_EQ(ms, -1);
	ATF_CHECK_EQ(mallctl("arena.4096.dirty_decay_ms", &ms, &len, NULL, 0),
	    EFAULT);
	/* Defaults for new arenas. */
	ATF_CHECK_EQ(ct_ssize("arenas.dirty_decay_ms"),
	    ct_ssize("opt.dirty_decay_ms"));
	ms = 1234;
	ATF_CHECK_EQ(mallctl("arenas.dirty_decay_ms", NULL, NULL, &ms,
	    sizeof(ms)), 0);
	ms = 4321;
	ATF_CHECK_EQ(mallctl("arenas.muzzy_decay_ms", NULL, NULL, &ms,
	    sizeof(ms)), 0);
	a = ct_new_arena();
	ATF_CHECK_EQ(ct_ctlf("arena.%u.dirty_decay_ms", &ms, &len, NULL, 0,
	    a), 0);
	ATF_CHECK_EQ(ms, 1234);
	ATF_CHECK_EQ(ct_ctlf("arena.%u.muzzy_decay_ms", &ms, &len, NULL, 0,
	    a), 0);
	ATF_CHECK_EQ(ms, 4321);
	ct_epoch();
	ATF_CHECK_EQ((ssize_t)ct_astat(a, "dirty_decay_ms"), 1234);
	ATF_CHECK_EQ((ssize_t)ct_astat(a, "muzzy_decay_ms"), 4321);
	ms = -5;
	ATF_CHECK_EQ(mallctl("arenas.dirty_decay_ms", NULL, NULL, &ms,
	    sizeof(ms)), EFAULT);
	ATF_CHECK_EQ(ct_ssize("opt.dirty_decay_ms"), 10000);
}

ATF_TC_WITHOUT_HEAD(arena_purge_decay_dss);
ATF_TC_BODY(arena_purge_decay_dss, tc)
{
	const char *s, *bad = "primary", *junk = "bogus";
	unsigned n;
	size_t len;

	ATF_CHECK_EQ(mallctl("arena.0.purge", NULL, NULL, NULL, 0), 0);
	ATF_CHECK_EQ(mallctl("arena.0.decay", NULL, NULL, NULL, 0), 0);
	ATF_CHECK_EQ(mallctl("arena.4096.purge", NULL, NULL, NULL, 0), 0);
	ATF_CHECK_EQ(mallctl("arena.4096.decay", NULL, NULL, NULL, 0), 0);
	/* redis purges all arenas through the index arenas.narenas. */
	n = ct_unsigned("arenas.narenas");
	ATF_CHECK_EQ(ct_ctlf("arena.%u.purge", NULL, NULL, NULL, 0, n), 0);
	ATF_CHECK_EQ(ct_ctlf("arena.%u.purge", NULL, NULL, NULL, 0, n + 1),
	    ENOENT);
	len = sizeof(s);
	ATF_CHECK_EQ(mallctl("arena.0.dss", &s, &len, NULL, 0), 0);
	ATF_CHECK_STREQ(s, "disabled");
	ATF_CHECK_EQ(mallctl("arena.4096.dss", &s, &len, &s, sizeof(s)), 0);
	ATF_CHECK_EQ(mallctl("arena.0.dss", NULL, NULL, &bad, sizeof(bad)),
	    EFAULT);
	ATF_CHECK_EQ(mallctl("arena.0.dss", NULL, NULL, &junk, sizeof(junk)),
	    EINVAL);
}

ATF_TC_WITHOUT_HEAD(arena_reset_destroy);
ATF_TC_BODY(arena_reset_destroy, tc)
{
	unsigned a, b, cur;
	void *p[50];
	size_t len;
	bool init;
	int i;

	a = ct_new_arena();
	for (i = 0; i < 50; i++) {
		p[i] = mallocx((size_t)(i + 1) * 1000, MALLOCX_ARENA(a));
		ATF_REQUIRE(p[i] != NULL);
	}
	ATF_CHECK_EQ(ct_ctlf("arena.%u.reset", NULL, NULL, NULL, 0, a), 0);
	ct_epoch();
	ATF_CHECK_EQ(ct_astat(a, "pactive"), 0);
	ATF_CHECK_EQ(ct_astat(a, "small.allocated"), 0);
	/* The arena works on after a reset. */
	p[0] = mallocx(100, MALLOCX_ARENA(a));
	ATF_REQUIRE(p[0] != NULL);
	dallocx(p[0], 0);
	/* destroy: not while a thread is bound to the arena. */
	len = sizeof(cur);
	ATF_REQUIRE_EQ(mallctl("thread.arena", &cur, &len, &a, sizeof(a)),
	    0);
	ATF_CHECK_EQ(ct_ctlf("arena.%u.destroy", NULL, NULL, NULL, 0, a),
	    EFAULT);
	ATF_REQUIRE_EQ(mallctl("thread.arena", NULL, NULL, &cur,
	    sizeof(cur)), 0);
	ATF_CHECK_EQ(ct_ctlf("arena.%u.destroy", NULL, NULL, NULL, 0, a), 0);
	len = sizeof(init);
	ATF_REQUIRE_EQ(ct_ctlf("arena.%u.initialized", &init, &len, NULL, 0,
	    a), 0);
	ATF_CHECK(!init);
	ATF_REQUIRE_EQ(mallctl("arena.4097.initialized", &init, &len, NULL,
	    0), 0);
	ATF_CHECK(init);
	ATF_CHECK(mallocx(100, MALLOCX_ARENA(a)) == NULL);
	ATF_CHECK_EQ(ct_ctlf("arena.%u.destroy", NULL, NULL, NULL, 0, a),
	    EFAULT);
	ATF_CHECK_EQ(ct_ctlf("arena.%u.reset", NULL, NULL, NULL, 0, a),
	    EFAULT);
	/* Automatic arenas cannot be reset or destroyed. */
	ATF_CHECK_EQ(mallctl("arena.0.reset", NULL, NULL, NULL, 0), EFAULT);
	ATF_CHECK_EQ(mallctl("arena.4096.reset", NULL, NULL, NULL, 0),
	    EFAULT);
	/* The next new arena is the destroyed one made anew, empty. */
	b = ct_new_arena();
	ATF_CHECK_EQ(b, a);
	ATF_REQUIRE_EQ(ct_ctlf("arena.%u.initialized", &init, &len, NULL, 0,
	    b), 0);
	ATF_CHECK(init);
	ct_epoch();
	ATF_CHECK_EQ(ct_astat(b, "pactive"), 0);
	p[0] = mallocx(100, MALLOCX_ARENA(b) | MALLOCX_TCACHE_NONE);
	ATF_REQUIRE(p[0] != NULL);
	dallocx(p[0], MALLOCX_TCACHE_NONE);
}

/* Extent hooks that count calls and pass them on to the default ones. */
static extent_hooks_t *default_hooks;
static unsigned nalloc_calls;

static void *
count_alloc(extent_hooks_t *h, void *addr, size_t size, size_t align,
    bool *zero, bool *commit, unsigned ind)
{
	(void)h;
	nalloc_calls++;
	return (default_hooks->alloc(default_hooks, addr, size, align, zero,
	    commit, ind));
}

static extent_hooks_t count_hooks;

ATF_TC_WITHOUT_HEAD(extent_hooks);
ATF_TC_BODY(extent_hooks, tc)
{
	extent_hooks_t *h, *hp;
	size_t len = sizeof(h);
	unsigned a, b;
	void *p;

	ATF_REQUIRE_EQ(mallctl("arena.0.extent_hooks", &default_hooks, &len,
	    NULL, 0), 0);
	ATF_REQUIRE(default_hooks != NULL && default_hooks->alloc != NULL);
	ATF_CHECK(default_hooks->dalloc != NULL &&
	    default_hooks->purge_forced != NULL);
	count_hooks = *default_hooks;
	count_hooks.alloc = count_alloc;
	/* A new arena with the hooks from the start. */
	hp = &count_hooks;
	len = sizeof(a);
	ATF_REQUIRE_EQ(mallctl("arenas.create", &a, &len, &hp, sizeof(hp)),
	    0);
	len = sizeof(h);
	ATF_REQUIRE_EQ(ct_ctlf("arena.%u.extent_hooks", &h, &len, NULL, 0,
	    a), 0);
	ATF_CHECK(h == &count_hooks);
	p = mallocx(5 << 20, MALLOCX_ARENA(a) | MALLOCX_TCACHE_NONE);
	ATF_REQUIRE(p != NULL);
	memset(p, 1, 5 << 20);
	ATF_CHECK(nalloc_calls > 0);
	dallocx(p, MALLOCX_TCACHE_NONE);
	/* Installed on an existing arena; back to the default. */
	b = ct_new_arena();
	ATF_REQUIRE_EQ(ct_ctlf("arena.%u.extent_hooks", &h, &len, &hp,
	    sizeof(hp), b), 0);
	ATF_CHECK(h == default_hooks);
	nalloc_calls = 0;
	p = mallocx(5 << 20, MALLOCX_ARENA(b) | MALLOCX_TCACHE_NONE);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK(nalloc_calls > 0);
	dallocx(p, MALLOCX_TCACHE_NONE);
	ATF_REQUIRE_EQ(ct_ctlf("arena.%u.extent_hooks", &h, &len,
	    &default_hooks, sizeof(default_hooks), b), 0);
	ATF_CHECK(h == &count_hooks);
	ATF_REQUIRE_EQ(ct_ctlf("arena.%u.extent_hooks", &h, &len, NULL, 0,
	    b), 0);
	ATF_CHECK(h == default_hooks);
	ATF_CHECK_EQ(mallctl("arena.4096.extent_hooks", &h, &len, NULL, 0),
	    EFAULT);
}

static void *
thread_arena_main(void *arg)
{
	unsigned a = *(unsigned *)arg, cur, ind;
	size_t len = sizeof(cur);
	void *p;

	ATF_CHECK_EQ(mallctl("thread.arena", &cur, &len, &a, sizeof(a)), 0);
	ATF_CHECK(cur != a);
	ATF_CHECK_EQ(mallctl("thread.arena", &cur, &len, NULL, 0), 0);
	ATF_CHECK_EQ(cur, a);
	/* Uncached allocations come from the thread's arena now. */
	p = mallocx(200000, MALLOCX_TCACHE_NONE);
	ATF_REQUIRE(p != NULL);
	ATF_CHECK_EQ(mallctl("arenas.lookup", &ind, &len, &p, sizeof(p)), 0);
	ATF_CHECK_EQ(ind, a);
	free(p);
	return (NULL);
}

ATF_TC_WITHOUT_HEAD(thread_arena);
ATF_TC_BODY(thread_arena, tc)
{
	pthread_t t;
	unsigned a, cur, bad;
	size_t len = sizeof(cur);

	a = ct_new_arena();
	ATF_REQUIRE_EQ(pthread_create(&t, NULL, thread_arena_main, &a), 0);
	ATF_REQUIRE_EQ(pthread_join(t, NULL), 0);
	/* This thread's binding did not change. */
	ATF_CHECK_EQ(mallctl("thread.arena", &cur, &len, NULL, 0), 0);
	ATF_CHECK(cur != a);
	bad = ct_unsigned("arenas.narenas") + 10;
	ATF_CHECK_EQ(mallctl("thread.arena", NULL, NULL, &bad, sizeof(bad)),
	    EFAULT);
	ATF_CHECK_EQ(mallctl("thread.arena", NULL, NULL, &bad, 2), EINVAL);
}

ATF_TC_WITHOUT_HEAD(numa_names);
ATF_TC_BODY(numa_names, tc)
{
	unsigned nn, node, bad;
	size_t len = sizeof(node);

	nn = ct_unsigned("arenas.nnodes");
	ATF_CHECK(nn >= 1);
	node = ct_unsigned("thread.numa_node");
	ATF_CHECK(node < nn);
	ATF_CHECK_EQ(mallctl("arena.0.numa_node", &node, &len, NULL, 0), 0);
	ATF_CHECK(node < nn);
	/* Writing the node it has already is fine; no such node is not. */
	ATF_CHECK_EQ(mallctl("arena.0.numa_node", NULL, NULL, &node,
	    sizeof(node)), 0);
	bad = nn;
	ATF_CHECK_EQ(mallctl("arena.0.numa_node", NULL, NULL, &bad,
	    sizeof(bad)), EINVAL);
	ATF_CHECK_EQ(mallctl("arena.4096.numa_node", &node, &len, NULL, 0),
	    EFAULT);
}

ATF_TC_WITHOUT_HEAD(background_thread);
ATF_TC_BODY(background_thread, tc)
{
	size_t len = sizeof(bool);
	bool b, nb;

	b = ct_bool("background_thread");
	nb = b;
	ATF_CHECK_EQ(mallctl("background_thread", NULL, NULL, &nb, 1), 0);
	ATF_CHECK_EQ(mallctl("background_thread", &nb, &len, NULL, 0), 0);
	ATF_CHECK_EQ(nb, b);
	ct_epoch();
	ATF_CHECK_EQ(ct_size("stats.background_thread.num_threads"),
	    b ? 1 : 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, version_epoch_config);
	ATF_TP_ADD_TC(tp, error_codes);
	ATF_TP_ADD_TC(tp, mib);
	ATF_TP_ADD_TC(tp, arenas_constants);
	ATF_TP_ADD_TC(tp, arenas_create_lookup);
	ATF_TP_ADD_TC(tp, arena_decay_times);
	ATF_TP_ADD_TC(tp, arena_purge_decay_dss);
	ATF_TP_ADD_TC(tp, arena_reset_destroy);
	ATF_TP_ADD_TC(tp, extent_hooks);
	ATF_TP_ADD_TC(tp, thread_arena);
	ATF_TP_ADD_TC(tp, numa_names);
	ATF_TP_ADD_TC(tp, background_thread);
	return (atf_no_error());
}
