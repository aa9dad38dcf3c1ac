/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * conf_test: run-time options and where they come from.
 *
 * This program sets options through its own global malloc_conf and
 * checks them through opt.*; the other sources run the helper programs
 * in child processes: ctl_helper (no malloc_conf of its own) and
 * ctl_helper_g (with "narenas:3,muzzy_decay_ms:77,junk:free") under
 * MALLOC_CONF in the environment, which must win over the global.  Each
 * kind of malformed string runs in a child, which must name the problem
 * in a "<domalloc>: " message and go on, or abort with abort_conf:true.
 * The /etc/malloc.conf source is in conf_etc_test (it must run alone).
 */
#include "ctl_test_util.h"

const char *malloc_conf = "narenas:3,dirty_decay_ms:5000,"
    "muzzy_decay_ms:2000,tcache_max:4096,tcache_nslots_small_max:100,"
    "tcache_nslots_small_min:10,tcache_nslots_large:7,"
    "lg_tcache_nslots_mul:0,zero_realloc:alloc,stats_print_opts:gl,"
    "thp:never,metadata_thp:auto,percpu_arena:percpu,retain:true,"
    "max_background_threads:2,background_thread:false,dss:disabled,"
    "abort:false,abort_conf:false,confirm_conf:false,xmalloc:false,"
    "zero:false,junk:false,tcache:true,stats_print:false,utrace:false";

static struct ct_run run;

ATF_TC_WITHOUT_HEAD(global_variable);
ATF_TC_BODY(global_variable, tc)
{
	ATF_CHECK_EQ(ct_unsigned("opt.narenas"), 3);
	ATF_CHECK_EQ(ct_ssize("opt.dirty_decay_ms"), 5000);
	ATF_CHECK_EQ(ct_ssize("opt.muzzy_decay_ms"), 2000);
	ATF_CHECK_EQ(ct_size("opt.tcache_max"), 4096);
	ATF_CHECK_EQ(ct_unsigned("opt.tcache_nslots_small_max"), 100);
	ATF_CHECK_EQ(ct_unsigned("opt.tcache_nslots_small_min"), 10);
	ATF_CHECK_EQ(ct_unsigned("opt.tcache_nslots_large"), 7);
	ATF_CHECK_EQ(ct_ssize("opt.lg_tcache_nslots_mul"), 0);
	ATF_CHECK_STREQ(ct_str("opt.zero_realloc"), "alloc");
	ATF_CHECK_STREQ(ct_str("opt.stats_print_opts"), "gl");
	ATF_CHECK_STREQ(ct_str("opt.thp"), "never");
	ATF_CHECK_STREQ(ct_str("opt.metadata_thp"), "auto");
	ATF_CHECK_STREQ(ct_str("opt.percpu_arena"), "percpu");
	ATF_CHECK_STREQ(ct_str("opt.dss"), "disabled");
	ATF_CHECK_STREQ(ct_str("opt.junk"), "false");
	ATF_CHECK_EQ(ct_size("opt.max_background_threads"), 2);
	ATF_CHECK(ct_bool("opt.retain"));
	ATF_CHECK(ct_bool("opt.tcache"));
	ATF_CHECK(!ct_bool("opt.background_thread"));
	ATF_CHECK(!ct_bool("opt.abort"));
	ATF_CHECK(!ct_bool("opt.abort_conf"));
	ATF_CHECK(!ct_bool("opt.confirm_conf"));
	ATF_CHECK(!ct_bool("opt.xmalloc"));
	ATF_CHECK(!ct_bool("opt.zero"));
	ATF_CHECK(!ct_bool("opt.stats_print"));
	ATF_CHECK(!ct_bool("opt.utrace"));
	/* The options take effect. */
	ATF_CHECK_EQ(ct_unsigned("arenas.narenas") >= 3, true);
	ATF_CHECK_EQ(ct_size("arenas.tcache_max"), 4096);
	ATF_CHECK_EQ(ct_ssize("arenas.dirty_decay_ms"), 5000);
	ATF_CHECK_EQ(ct_ssize("arenas.muzzy_decay_ms"), 2000);
	ATF_CHECK_EQ(ct_ssize("arena.0.dirty_decay_ms"), 5000);
	ATF_CHECK_EQ(ct_ssize("arena.0.muzzy_decay_ms"), 2000);
	/* zero_realloc:alloc: realloc(p, 0) returns a new object. */
	void *p = malloc(10);
	p = realloc(ct_hide(p), 0);
	ATF_CHECK(p != NULL);
	free(p);
	/* The built-in string of this build is empty. */
	ATF_CHECK_STREQ(ct_str("config.malloc_conf"), "");
}

/* Run the helper (g: the one with a global malloc_conf) with conf. */
static void
helper(const atf_tc_t *tc, bool g, const char *conf, const char *a1,
    const char *a2, const char *a3)
{
	char prog[1024];
	char *argv[6];

	ct_prog(tc, g ? "ctl_helper_g" : "ctl_helper", prog, sizeof(prog));
	argv[0] = prog;
	argv[1] = (char *)"get";
	argv[2] = (char *)a1;
	argv[3] = (char *)a2;
	argv[4] = (char *)a3;
	argv[5] = NULL;
	ct_run(&run, conf, argv);
}

ATF_TC_WITHOUT_HEAD(environment);
ATF_TC_BODY(environment, tc)
{
	helper(tc, false, "narenas:5,zero_realloc:alloc,junk:alloc",
	    "opt.narenas:u", "opt.zero_realloc:p", "opt.junk:p");
	ATF_REQUIRE_MSG(ct_exited_ok(&run), "helper failed: %s", run.err);
	ATF_CHECK_STREQ(run.out, "opt.narenas=5\nopt.zero_realloc=alloc\n"
	    "opt.junk=alloc\n");
	ATF_CHECK_STREQ(run.err, "");
	/* Without MALLOC_CONF: the defaults. */
	helper(tc, false, NULL, "opt.dirty_decay_ms:s", "opt.tcache:b",
	    "opt.zero_realloc:p");
	ATF_REQUIRE_MSG(ct_exited_ok(&run), "helper failed: %s", run.err);
	ATF_CHECK_STREQ(run.out, "opt.dirty_decay_ms=10000\nopt.tcache=true\n"
	    "opt.zero_realloc=free\n");
}

ATF_TC_WITHOUT_HEAD(environment_over_global);
ATF_TC_BODY(environment_over_global, tc)
{
	helper(tc, true, NULL, "opt.narenas:u", "opt.muzzy_decay_ms:s",
	    "opt.junk:p");
	ATF_REQUIRE_MSG(ct_exited_ok(&run), "helper failed: %s", run.err);
	ATF_CHECK_STREQ(run.out, "opt.narenas=3\nopt.muzzy_decay_ms=77\n"
	    "opt.junk=free\n");
	helper(tc, true, "narenas:6,junk:false", "opt.narenas:u",
	    "opt.muzzy_decay_ms:s", "opt.junk:p");
	ATF_REQUIRE_MSG(ct_exited_ok(&run), "helper failed: %s", run.err);
	ATF_CHECK_STREQ(run.out, "opt.narenas=6\nopt.muzzy_decay_ms=77\n"
	    "opt.junk=false\n");
	/* Later pairs win within one string too. */
	helper(tc, false, "narenas:2,narenas:4", "opt.narenas:u", NULL,
	    NULL);
	ATF_CHECK_STREQ(run.out, "opt.narenas=4\n");
}

/*
 * lg_page: a page size above the kernel's, at run time (geom.h); the
 * superpage is the one a kernel with that page would have.  Out of
 * range it is refused like any bad value, and the kernel's page stays.
 */
ATF_TC_WITHOUT_HEAD(lg_page);
ATF_TC_BODY(lg_page, tc)
{
	helper(tc, false, "lg_page:14", "opt.lg_page:u", "arenas.page:z",
	    NULL);
	ATF_REQUIRE_MSG(ct_exited_ok(&run), "helper failed: %s", run.err);
	ATF_CHECK_STREQ(run.out, "opt.lg_page=14\narenas.page=16384\n");
	helper(tc, false, "lg_page:16", "arenas.page:z", NULL, NULL);
	ATF_REQUIRE_MSG(ct_exited_ok(&run), "helper failed: %s", run.err);
	ATF_CHECK_STREQ(run.out, "arenas.page=65536\n");
	helper(tc, false, "lg_page:17", "arenas.page:z", NULL, NULL);
	ATF_REQUIRE_MSG(ct_exited_ok(&run), "helper failed: %s", run.err);
	ATF_CHECK_MSG(strstr(run.err, "lg_page") != NULL,
	    "lg_page:17 not refused: %s", run.err);
	ATF_CHECK_STREQ(run.out, "arenas.page=4096\n");
}

ATF_TC_WITHOUT_HEAD(clipping_and_aliases);
ATF_TC_BODY(clipping_and_aliases, tc)
{
	/*
	 * tcache_max is clipped to 448 KiB, the last class the page map's
	 * class field names (sc.h; jemalloc's limit is 8 MiB): 63 bins.
	 */
	helper(tc, false, "tcache_max:99999999999", "opt.tcache_max:z",
	    "arenas.tcache_max:z", "arenas.nhbins:u");
	ATF_REQUIRE_MSG(ct_exited_ok(&run), "helper failed: %s", run.err);
	ATF_CHECK_STREQ(run.out, "opt.tcache_max=458752\n"
	    "arenas.tcache_max=458752\narenas.nhbins=63\n");
	ATF_CHECK_STREQ(run.err, "");
	/* lg_tcache_max sets tcache_max as a power of two. */
	helper(tc, false, "lg_tcache_max:12", "opt.tcache_max:z",
	    "arenas.nhbins:u", NULL);
	ATF_REQUIRE_MSG(ct_exited_ok(&run), "helper failed: %s", run.err);
	ATF_CHECK_STREQ(run.out, "opt.tcache_max=4096\narenas.nhbins=29\n");
	/* Integers in octal and hex. */
	helper(tc, false, "narenas:010,dirty_decay_ms:0x10",
	    "opt.narenas:u", "opt.dirty_decay_ms:s", NULL);
	ATF_CHECK_STREQ(run.out, "opt.narenas=8\nopt.dirty_decay_ms=16\n");
}

ATF_TC_WITHOUT_HEAD(confirm_conf);
ATF_TC_BODY(confirm_conf, tc)
{
	helper(tc, true, "confirm_conf:true,narenas:2", "opt.narenas:u",
	    NULL, NULL);
	ATF_REQUIRE_MSG(ct_exited_ok(&run), "helper failed: %s", run.err);
	ATF_CHECK_STREQ(run.out, "opt.narenas=2\n");
	ATF_CHECK_MSG(strstr(run.err, "<domalloc>: malloc_conf from the "
	    "global variable malloc_conf: \"narenas:3") != NULL,
	    "no source line for the global: %s", run.err);
	ATF_CHECK_MSG(strstr(run.err, "malloc_conf from the environment "
	    "variable MALLOC_CONF") != NULL, "no source line: %s", run.err);
	ATF_CHECK_MSG(strstr(run.err, "Set conf value: narenas:2") != NULL,
	    "no value line: %s", run.err);
	ATF_CHECK_MSG(strstr(run.err, "Set conf value: muzzy_decay_ms:77") !=
	    NULL, "no value line for the global: %s", run.err);
}

struct bad_conf {
	const char	*conf;
	const char	*msg;	/* must appear in the diagnostic */
};

static const struct bad_conf bad_confs[] = {
	{ "bogus:1", "unknown option \"bogus\" (in \"bogus:1\")" },
	{ "narenas:abc", "invalid value \"abc\" for option \"narenas\" "
	    "(expected an integer from 1 to 4095)" },
	{ "narenas:0", "invalid value \"0\" for option \"narenas\"" },
	{ "narenas:", "invalid value \"\" for option \"narenas\"" },
	{ "dirty_decay_ms:-2", "invalid value \"-2\" for option "
	    "\"dirty_decay_ms\"" },
	{ "tcache:yes", "invalid value \"yes\" for option \"tcache\" "
	    "(expected true or false)" },
	{ "junk:maybe", "invalid value \"maybe\" for option \"junk\" "
	    "(expected one of false, alloc, free, true)" },
	{ "dss:primary", "invalid value \"primary\" for option \"dss\"" },
	{ "percpu_arena:all", "invalid value \"all\" for option "
	    "\"percpu_arena\"" },
	{ "stats_print_opts:0123456789012345678901234567890123456789"
	    "012345678901234567890123456789", "for option "
	    "\"stats_print_opts\" (expected at most 63 characters)" },
	{ "narenas", "malformed text at \"narenas\"" },
	{ "narenas 2", "malformed text at \"narenas 2\"" },
	{ "tcache:true,,narenas:2", "malformed text at \",narenas:2\"" },
	{ "tcache:true,", "the string ends with a comma" },
	{ ":1", "malformed text at \":1\"" },
};

ATF_TC_WITHOUT_HEAD(malformed);
ATF_TC_BODY(malformed, tc)
{
	const struct bad_conf *b;
	size_t i;

	for (i = 0; i < sizeof(bad_confs) / sizeof(bad_confs[0]); i++) {
		b = &bad_confs[i];
		helper(tc, false, b->conf, "opt.abort_conf:b", NULL, NULL);
		ATF_CHECK_MSG(ct_exited_ok(&run), "MALLOC_CONF=%s: the "
		    "program did not go on: status 0x%x, stderr %s", b->conf,
		    run.status, run.err);
		ATF_CHECK_MSG(strstr(run.err, "<domalloc>: MALLOC_CONF error "
		    "in the environment variable MALLOC_CONF: ") != NULL &&
		    strstr(run.err, b->msg) != NULL, "MALLOC_CONF=%s: wanted "
		    "\"%s\", got: %s", b->conf, b->msg, run.err);
	}
	/* The good pairs of a string with a bad one still count. */
	helper(tc, false, "narenas:2,bogus:1,dirty_decay_ms:7",
	    "opt.narenas:u", "opt.dirty_decay_ms:s", NULL);
	ATF_CHECK_STREQ(run.out, "opt.narenas=2\nopt.dirty_decay_ms=7\n");
}

ATF_TC_WITHOUT_HEAD(abort_conf);
ATF_TC_BODY(abort_conf, tc)
{
	const struct bad_conf *b;
	char conf[256];
	size_t i;

	for (i = 0; i < sizeof(bad_confs) / sizeof(bad_confs[0]); i++) {
		b = &bad_confs[i];
		/* abort_conf may come before or after the error. */
		snprintf(conf, sizeof(conf), i % 2 == 0 ?
		    "abort_conf:true,%s" : "%s", b->conf);
		helper(tc, i % 2 == 0 ? false : true, conf,
		    "opt.abort_conf:b", NULL, NULL);
		if (i % 2 == 1) {
			/* The global has no abort_conf: the child goes on. */
			ATF_CHECK_MSG(ct_exited_ok(&run), "MALLOC_CONF=%s: "
			    "status 0x%x", conf, run.status);
			continue;
		}
		ATF_CHECK_MSG(ct_aborted(&run), "MALLOC_CONF=%s with "
		    "abort_conf:true did not abort: status 0x%x, stderr %s",
		    conf, run.status, run.err);
		ATF_CHECK_MSG(strstr(run.err, b->msg) != NULL &&
		    strstr(run.err, "<domalloc>: aborting: invalid "
		    "MALLOC_CONF options") != NULL, "MALLOC_CONF=%s: %s",
		    conf, run.err);
	}
	helper(tc, false, "bogus:1,abort_conf:true", "opt.abort_conf:b", NULL,
	    NULL);
	ATF_CHECK_MSG(ct_aborted(&run), "abort_conf given after the error "
	    "did not abort: status 0x%x", run.status);
	/* Valid options with abort_conf:true: no abort. */
	helper(tc, false, "abort_conf:true,narenas:2", "opt.abort_conf:b",
	    NULL, NULL);
	ATF_CHECK_MSG(ct_exited_ok(&run), "status 0x%x: %s", run.status,
	    run.err);
	ATF_CHECK_STREQ(run.out, "opt.abort_conf=true\n");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, global_variable);
	ATF_TP_ADD_TC(tp, environment);
	ATF_TP_ADD_TC(tp, environment_over_global);
	ATF_TP_ADD_TC(tp, lg_page);
	ATF_TP_ADD_TC(tp, clipping_and_aliases);
	ATF_TP_ADD_TC(tp, confirm_conf);
	ATF_TP_ADD_TC(tp, malformed);
	ATF_TP_ADD_TC(tp, abort_conf);
	return (atf_no_error());
}
