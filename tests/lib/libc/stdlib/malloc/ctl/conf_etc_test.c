/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * conf_etc_test: the /etc/malloc.conf source of options, whose value is
 * the name the symbolic link points to.  The test makes the link, runs
 * the helper programs and removes it; it needs root, skips if a
 * /etc/malloc.conf already exists (it is never touched then), and runs
 * alone (is_exclusive) because every domalloc and jemalloc program
 * started meanwhile reads the link too.  The option it sets,
 * muzzy_decay_ms, changes nothing in either allocator's behaviour that
 * another test could notice.
 */
#include <sys/stat.h>

#include "ctl_test_util.h"

#define	ETC_CONF	"/etc/malloc.conf"

static struct ct_run run;

static void
etc_require(void)
{
	struct stat st;

	if (geteuid() != 0)
		atf_tc_skip("making %s needs root", ETC_CONF);
	if (lstat(ETC_CONF, &st) == 0)
		atf_tc_skip("%s exists already; not touching it", ETC_CONF);
}

static void
helper(const atf_tc_t *tc, bool g, const char *conf)
{
	char prog[1024];
	char *argv[5];

	ct_prog(tc, g ? "ctl_helper_g" : "ctl_helper", prog, sizeof(prog));
	argv[0] = prog;
	argv[1] = (char *)"get";
	argv[2] = (char *)"opt.muzzy_decay_ms:s";
	argv[3] = (char *)"opt.narenas:u";
	argv[4] = NULL;
	ct_run(&run, conf, argv);
}

ATF_TC_WITH_CLEANUP(symlink);
ATF_TC_HEAD(symlink, tc)
{
	atf_tc_set_md_var(tc, "descr", "options from the target of the "
	    "symbolic link /etc/malloc.conf, after the global variable and "
	    "before the environment");
}
ATF_TC_BODY(symlink, tc)
{
	char out1[256], out2[256], out3[256];

	etc_require();
	ATF_REQUIRE_MSG(symlink("muzzy_decay_ms:1234", ETC_CONF) == 0,
	    "symlink: %s", strerror(errno));
	helper(tc, false, NULL);
	snprintf(out1, sizeof(out1), "%.200s", run.out);
	helper(tc, true, NULL);
	snprintf(out2, sizeof(out2), "%.200s", run.out);
	helper(tc, true, "muzzy_decay_ms:99");
	snprintf(out3, sizeof(out3), "%.200s", run.out);
	(void)unlink(ETC_CONF);
	ATF_CHECK_MSG(strncmp(out1, "opt.muzzy_decay_ms=1234\n", 24) == 0,
	    "got %s", out1);
	/* Over the global variable (which set 77 and narenas 3). */
	ATF_CHECK_STREQ(out2, "opt.muzzy_decay_ms=1234\nopt.narenas=3\n");
	/* Under the environment. */
	ATF_CHECK_STREQ(out3, "opt.muzzy_decay_ms=99\nopt.narenas=3\n");
}
ATF_TC_CLEANUP(symlink, tc)
{
	char buf[64];
	ssize_t n;

	/* Remove only a link this test made. */
	n = readlink(ETC_CONF, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		if (strcmp(buf, "muzzy_decay_ms:1234") == 0)
			(void)unlink(ETC_CONF);
	}
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, symlink);
	return (atf_no_error());
}
