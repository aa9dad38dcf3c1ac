/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * print_test: malloc_stats_print.  The text layout (banners, sections,
 * what each option letter omits, the short summary "s"), JSON ("J")
 * that python3's json module accepts, with the same numbers as mallctl
 * reads right after printing (printing takes a new snapshot), string
 * escaping, output through malloc_message when there is no callback,
 * and stats_print:true at exit in a child process.  The JSON checks
 * skip when python3 is not installed.
 */
#include "ctl_test_util.h"

#define	PYTHON	"/usr/bin/python3"

static char	outbuf[4 << 20];
static size_t	outlen;
static struct ct_run run;

static void
out_cb(void *opaque, const char *s)
{
	size_t n = strlen(s);

	(void)opaque;
	if (outlen + n < sizeof(outbuf)) {
		memcpy(outbuf + outlen, s, n);
		outlen += n;
		outbuf[outlen] = '\0';
	}
}

static const char *
print(const char *opts)
{
	outlen = 0;
	outbuf[0] = '\0';
	malloc_stats_print(out_cb, NULL, opts);
	return (outbuf);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ATF_REQUIRE(f != NULL);
	ATF_REQUIRE(fputs(text, f) >= 0);
	ATF_REQUIRE(fclose(f) == 0);
}

static void
require_python(void)
{
	if (access(PYTHON, X_OK) != 0)
		atf_tc_skip("%s is not installed (Debian package python3)",
		    PYTHON);
}

/* Run a python3 script with arguments; its output is in run.out. */
static void
python(const char *script, const char *a1, const char *a2)
{
	char *argv[6];

	argv[0] = (char *)PYTHON;
	argv[1] = (char *)"-c";
	argv[2] = (char *)script;
	argv[3] = (char *)a1;
	argv[4] = (char *)a2;
	argv[5] = NULL;
	ct_run(&run, NULL, argv);
	ATF_REQUIRE_MSG(ct_exited_ok(&run), "python3 failed: %s", run.err);
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return (n);
}

ATF_TC_WITHOUT_HEAD(text_layout);
ATF_TC_BODY(text_layout, tc)
{
	const char *s, *last;
	int full;

	free(ct_hide(malloc(100)));
	s = print(NULL);
	ATF_CHECK(strncmp(s, "___ Begin domalloc statistics ___\n", 34) == 0);
	ATF_REQUIRE(outlen > 40);
	for (last = s + outlen - 2; last > s && *last != '\n'; last--)
		continue;
	ATF_CHECK_STREQ(last + 1, "___ End domalloc statistics ___\n");
	ATF_CHECK(strstr(s, "Version: \"domalloc") != NULL);
	ATF_CHECK(strstr(s, "Build-time option settings\n") != NULL);
	ATF_CHECK(strstr(s, "  config.stats: true\n") != NULL);
	ATF_CHECK(strstr(s, "Run-time option settings\n") != NULL);
	ATF_CHECK(strstr(s, "  opt.tcache_max: 32768\n") != NULL);
	ATF_CHECK(strstr(s, "  opt.junk: \"false\"\n") != NULL);
	ATF_CHECK(strstr(s, "Arenas: ") != NULL);
	ATF_CHECK(strstr(s, "Page size: ") != NULL);
	ATF_CHECK(strstr(s, "\nAllocated: ") != NULL);
	ATF_CHECK(strstr(s, "Merged arenas stats:\n") != NULL);
	ATF_CHECK(strstr(s, "arenas[0]:\n") != NULL);
	ATF_CHECK(strstr(s, "\nbins:           size ind    allocated") != NULL);
	ATF_CHECK(strstr(s, "\nlarge:          size ind    allocated") !=
	    NULL);
	ATF_CHECK(strstr(s, "decaying:  time") != NULL);
	full = count_lines(s);
	/* Each option letter omits its part. */
	ATF_CHECK(strstr(print("g"), "Version:") == NULL);
	ATF_CHECK(strstr(outbuf, "Merged arenas stats:") != NULL);
	ATF_CHECK(strstr(print("m"), "Merged arenas stats:") == NULL);
	ATF_CHECK(strstr(outbuf, "arenas[0]:") != NULL);
	ATF_CHECK(strstr(print("a"), "arenas[0]:") == NULL);
	ATF_CHECK(strstr(outbuf, "Merged arenas stats:") != NULL);
	ATF_CHECK(strstr(print("b"), "\nbins:") == NULL);
	ATF_CHECK(strstr(outbuf, "\nlarge:          size") != NULL);
	ATF_CHECK(strstr(print("l"), "\nlarge:          size") == NULL);
	ATF_CHECK(strstr(outbuf, "\nbins:") != NULL);
	ATF_CHECK(strstr(print("gmabl"), "___ End domalloc") != NULL);
	ATF_CHECK(count_lines(outbuf) < 5);
	/* Letters with nothing to omit here are accepted. */
	ATF_CHECK_EQ(count_lines(print("dxeh")), full);
	/* The summary: a few lines between the banners. */
	s = print("s");
	ATF_CHECK(strncmp(s, "___ Begin domalloc statistics ___\n", 34) == 0);
	ATF_CHECK(strstr(s, "\nAllocated: ") != NULL);
	ATF_CHECK(strstr(s, "___ End domalloc statistics ___\n") != NULL);
	ATF_CHECK(count_lines(s) <= 5);
}

ATF_TC_WITHOUT_HEAD(text_numbers_match);
ATF_TC_BODY(text_numbers_match, tc)
{
	size_t al, ac, md, rs, mp, rt;
	const char *s;
	void *p;

	p = ct_hide(malloc(5 << 20));
	s = strstr(print("ab"), "\nAllocated: ");
	ATF_REQUIRE(s != NULL);
	ATF_REQUIRE_EQ(sscanf(s, "\nAllocated: %zu, active: %zu, metadata: "
	    "%zu, resident: %zu, mapped: %zu, retained: %zu", &al, &ac, &md,
	    &rs, &mp, &rt), 6);
	ATF_CHECK_EQ(al, ct_size("stats.allocated"));
	ATF_CHECK_EQ(ac, ct_size("stats.active"));
	ATF_CHECK_EQ(md, ct_size("stats.metadata"));
	ATF_CHECK_EQ(rs, ct_size("stats.resident"));
	ATF_CHECK_EQ(mp, ct_size("stats.mapped"));
	ATF_CHECK_EQ(rt, ct_size("stats.retained"));
	ATF_CHECK(al >= (5 << 20));
	free(p);
}

static const char json_values[] =
    "import json, sys\n"
    "d = json.load(open(sys.argv[1]))['domalloc']\n"
    "a = sys.argv[2]\n"
    "s = d['stats']\n"
    "sa = d['stats.arenas']\n"
    "m = sa['merged']\n"
    "x = sa[a]\n"
    "print(s['epoch'], s['allocated'], s['active'], s['metadata'],\n"
    "    s['resident'], s['mapped'], s['retained'],\n"
    "    m['small']['allocated'], m['large']['allocated'], m['pactive'],\n"
    "    x['bins'][2]['curregs'], x['bins'][2]['nmalloc'],\n"
    "    x['bins'][2]['curslabs'], x['lextents'][1]['curlextents'],\n"
    "    x['large']['allocated'], x['nthreads'], x['dirty_decay_ms'],\n"
    "    d['opt']['narenas'], d['arenas']['page'],\n"
    "    d['arenas']['bin'][2]['size'], d['arenas']['lextent'][1]['size'],\n"
    "    int(d['config']['stats']), d['version'])\n";

ATF_TC_WITHOUT_HEAD(json_numbers_match);
ATF_TC_BODY(json_numbers_match, tc)
{
	unsigned long long v[22];
	char arena[16], version[64];
	unsigned a;
	void *p[30], *big;
	int i, f;

	require_python();
	a = ct_new_arena();
	f = ct_arena_flags(a);
	for (i = 0; i < 30; i++)
		p[i] = mallocx(48, f);
	big = mallocx(20480, f);
	write_file("stats.json", print("J"));
	python("import json, sys; json.load(open(sys.argv[1]))", "stats.json",
	    NULL);
	snprintf(arena, sizeof(arena), "%u", a);
	python(json_values, "stats.json", arena);
	ATF_REQUIRE_MSG(sscanf(run.out, "%llu %llu %llu %llu %llu %llu %llu "
	    "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
	    "%llu %llu %llu %63s", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
	    &v[6], &v[7], &v[8], &v[9], &v[10], &v[11], &v[12], &v[13],
	    &v[14], &v[15], &v[16], &v[17], &v[18], &v[19], &v[20], &v[21],
	    version) == 23, "python3 printed: %s", run.out);
	/* Printing took a snapshot: mallctl reads the same numbers now. */
	ATF_CHECK_EQ(v[0], ct_u64("epoch"));
	ATF_CHECK_EQ(v[1], ct_size("stats.allocated"));
	ATF_CHECK_EQ(v[2], ct_size("stats.active"));
	ATF_CHECK_EQ(v[3], ct_size("stats.metadata"));
	ATF_CHECK_EQ(v[4], ct_size("stats.resident"));
	ATF_CHECK_EQ(v[5], ct_size("stats.mapped"));
	ATF_CHECK_EQ(v[6], ct_size("stats.retained"));
	ATF_CHECK_EQ(v[7], ct_astat(MALLCTL_ARENAS_ALL, "small.allocated"));
	ATF_CHECK_EQ(v[8], ct_astat(MALLCTL_ARENAS_ALL, "large.allocated"));
	ATF_CHECK_EQ(v[9], ct_astat(MALLCTL_ARENAS_ALL, "pactive"));
	/* Class 48 is bin 2, 20480 is large class 1. */
	ATF_CHECK_EQ(v[10], 30);
	ATF_CHECK_EQ(v[11], 30);
	ATF_CHECK_EQ(v[12], 1);
	ATF_CHECK_EQ(v[13], 1);
	ATF_CHECK_EQ(v[14], 20480);
	ATF_CHECK_EQ(v[15], 0);
	ATF_CHECK_EQ(v[16], (unsigned long long)ct_ssize("opt.dirty_decay_ms"));
	ATF_CHECK_EQ(v[17], ct_unsigned("opt.narenas"));
	ATF_CHECK_EQ(v[18], ct_size("arenas.page"));
	ATF_CHECK_EQ(v[19], 48);
	ATF_CHECK_EQ(v[20], 20480);
	ATF_CHECK_EQ(v[21], 1);
	ATF_CHECK(strncmp(version, "domalloc", 8) == 0);
	for (i = 0; i < 30; i++)
		dallocx(p[i], f);
	dallocx(big, f);
}

static const char json_keys[] =
    "import json, sys\n"
    "for f in sys.argv[1:]:\n"
    "    d = json.load(open(f))['domalloc']\n"
    "    sa = d.get('stats.arenas', {})\n"
    "    one = sa.get('merged', sa.get('0', {}))\n"
    "    print(f, int('version' in d), int('opt' in d), int('stats' in d),\n"
    "        int('merged' in sa), int('0' in sa), int('bins' in one),\n"
    "        int('lextents' in one))\n";

ATF_TC_WITHOUT_HEAD(json_options);
ATF_TC_BODY(json_options, tc)
{
	static const struct {
		const char	*opts;
		const char	*want;
	} cases[] = {
		{ "J", "1 1 1 1 1 1 1" },
		{ "Jg", "0 0 1 1 1 1 1" },
		{ "Jm", "1 1 1 0 1 1 1" },
		{ "Ja", "1 1 1 1 0 1 1" },
		{ "Jb", "1 1 1 1 1 0 1" },
		{ "Jl", "1 1 1 1 1 1 0" },
		{ "Jgmabl", "0 0 1 0 0 0 0" },
		{ "Jdxeh", "1 1 1 1 1 1 1" },
	};
	char *argv[16], names[8][16], want[160];
	size_t i, n = sizeof(cases) / sizeof(cases[0]);

	require_python();
	argv[0] = (char *)PYTHON;
	argv[1] = (char *)"-c";
	argv[2] = (char *)json_keys;
	for (i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "o%zu.json", i);
		write_file(names[i], print(cases[i].opts));
		argv[3 + i] = names[i];
	}
	argv[3 + n] = NULL;
	ct_run(&run, NULL, argv);
	ATF_REQUIRE_MSG(ct_exited_ok(&run), "python3: %s", run.err);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "%s %s\n", names[i],
		    cases[i].want);
		ATF_CHECK_MSG(strstr(run.out, want) != NULL, "opts %s: wanted "
		    "\"%s\" in %s", cases[i].opts, want, run.out);
	}
}

ATF_TC_WITHOUT_HEAD(json_escaping);
ATF_TC_BODY(json_escaping, tc)
{
	char prog[1024];
	char *argv[4];

	require_python();
	ct_prog(tc, "ctl_helper", prog, sizeof(prog));
	argv[0] = prog;
	argv[1] = (char *)"print";
	argv[2] = (char *)"J";
	argv[3] = NULL;
	ct_run(&run, "stats_print_opts:a\"b\\c\tz", argv);
	ATF_REQUIRE_MSG(ct_exited_ok(&run), "helper: %s", run.err);
	write_file("esc.json", run.out);
	python("import json, sys\n"
	    "d = json.load(open(sys.argv[1]))['domalloc']\n"
	    "print(int(d['opt']['stats_print_opts'] == 'a\"b\\\\c\\tz'))\n",
	    "esc.json", NULL);
	ATF_CHECK_STREQ(run.out, "1\n");
}

static char	msgbuf[1 << 20];
static size_t	msglen;

static void
capture_message(void *opaque, const char *s)
{
	size_t n = strlen(s);

	(void)opaque;
	if (msglen + n < sizeof(msgbuf)) {
		memcpy(msgbuf + msglen, s, n);
		msglen += n;
		msgbuf[msglen] = '\0';
	}
}

ATF_TC_WITHOUT_HEAD(malloc_message_default);
ATF_TC_BODY(malloc_message_default, tc)
{
	malloc_message = capture_message;
	malloc_stats_print(NULL, NULL, "s");
	malloc_message = NULL;
	ATF_CHECK(strncmp(msgbuf, "___ Begin domalloc statistics ___\n", 34)
	    == 0);
	ATF_CHECK(strstr(msgbuf, "\nAllocated: ") != NULL);
}

ATF_TC_WITHOUT_HEAD(stats_print_at_exit);
ATF_TC_BODY(stats_print_at_exit, tc)
{
	char prog[1024];
	char *argv[3];
	size_t n;

	ct_prog(tc, "ctl_helper", prog, sizeof(prog));
	argv[0] = prog;
	argv[1] = (char *)"exit";
	argv[2] = NULL;
	ct_run(&run, "stats_print:true", argv);
	ATF_REQUIRE_MSG(ct_exited_ok(&run), "status 0x%x", run.status);
	ATF_CHECK(strncmp(run.err, "___ Begin domalloc statistics ___\n", 34)
	    == 0);
	n = strlen(run.err);
	ATF_CHECK(n > 32 && strcmp(run.err + n - 32,
	    "___ End domalloc statistics ___\n") == 0);
	ATF_CHECK(strstr(run.err, "Merged arenas stats:") != NULL);
	ATF_CHECK(strstr(run.err, "  opt.stats_print: true\n") != NULL);
	ATF_CHECK_STREQ(run.out, "");
	/* Without the option: nothing. */
	ct_run(&run, NULL, argv);
	ATF_CHECK_STREQ(run.err, "");
	/* The summary. */
	ct_run(&run, "stats_print:true,stats_print_opts:s", argv);
	ATF_CHECK(count_lines(run.err) <= 5);
	ATF_CHECK(strstr(run.err, "Allocated: ") != NULL);
	/* JSON at exit. */
	if (access(PYTHON, X_OK) != 0)
		return;
	ct_run(&run, "stats_print:true,stats_print_opts:J", argv);
	ATF_REQUIRE(ct_exited_ok(&run));
	write_file("exit.json", run.err);
	python("import json, sys\n"
	    "d = json.load(open(sys.argv[1]))['domalloc']\n"
	    "print(int(d['opt']['stats_print']), int(d['stats']['allocated'] > "
	    "0))\n", "exit.json", NULL);
	ATF_CHECK_STREQ(run.out, "1 1\n");
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, text_layout);
	ATF_TP_ADD_TC(tp, text_numbers_match);
	ATF_TP_ADD_TC(tp, json_numbers_match);
	ATF_TP_ADD_TC(tp, json_options);
	ATF_TP_ADD_TC(tp, json_escaping);
	ATF_TP_ADD_TC(tp, malloc_message_default);
	ATF_TP_ADD_TC(tp, stats_print_at_exit);
	return (atf_no_error());
}
