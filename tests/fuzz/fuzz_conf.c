/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * fuzz_conf: fuzzes MALLOC_CONF.  Options are read once, when a process
 * starts, so each input is a process: conf_child run with the string in
 * MALLOC_CONF.
 *
 *   fuzz_conf [-t SECONDS] [-n RUNS] [-s SEED] CHILD [SEEDFILE ...]
 *
 * Strings come from a grammar over the real option table (conf_child
 * names): one to six options, each a known name (sometimes misspelt, cut
 * short or in capitals) with a value of its type or of the wrong type
 * (booleans, integers at and past their limits, in octal and hex, with
 * signs and junk; strings past their length limit), joined by commas,
 * with missing or doubled separators and stray bytes; and from the seed
 * files (one string a line) mutated by byte flips and splices.  A run
 * passes if the child exits 0 having printed "ok", or, only when the
 * string holds abort_conf, is killed by SIGABRT after domalloc's message
 * that the options were invalid.  Anything else, a crash, a hang (10 s),
 * another exit status, fails: the string is printed and fuzz_conf exits
 * 1 (2 if the child could not be run at all).  At the end it prints the runs, the runs per second and how many
 * strings drew a warning.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define	MAXOPTS		128
#define	MAXSEEDS	256
#define	CONFMAX		1024
#define	OUTMAX		16384

struct opt {
	char	name[48];
	char	type;		/* b, i, s */
};

static struct opt opts[MAXOPTS];
static unsigned nopts;
static char *seeds[MAXSEEDS];
static unsigned nseeds;
static uint64_t rng;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (rng);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Run child with MALLOC_CONF=conf; its status, output and errors. */
static int
run(const char *child, const char *arg, const char *conf, char *out,
    char *err)
{
	char env[CONFMAX + 16], *argv[3], *envp[2];
	struct pollfd pfd[2];
	int po[2], pe[2], status;
	size_t no = 0, ne = 0;
	double deadline;
	ssize_t r;
	pid_t pid;

	snprintf(env, sizeof(env), "MALLOC_CONF=%s", conf);
	argv[0] = (char *)child;
	argv[1] = (char *)arg;
	argv[2] = NULL;
	envp[0] = env;
	envp[1] = NULL;
	if (pipe(po) != 0 || pipe(pe) != 0) {
		perror("fuzz_conf: pipe");
		exit(2);
	}
	pid = fork();
	if (pid < 0) {
		perror("fuzz_conf: fork");
		exit(2);
	}
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		close(po[1]);
		close(pe[1]);
		execve(child, argv, envp);
		/* Not a finding: the driver could not run the child. */
		dprintf(2, "fuzz_conf: cannot execute %s\n", child);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	pfd[0].fd = po[0];
	pfd[1].fd = pe[0];
	pfd[0].events = pfd[1].events = POLLIN;
	deadline = now() + 10;
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		if (now() > deadline) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(pfd, 2, 100) <= 0)
			continue;
		if (pfd[0].revents) {
			r = read(po[0], out + no, OUTMAX - 1 - no);
			if (r <= 0)
				pfd[0].fd = -1;
			else
				no += (size_t)r;
			if (no == OUTMAX - 1)
				no = 0;		/* keep the tail */
		}
		if (pfd[1].revents) {
			r = read(pe[0], err + ne, OUTMAX - 1 - ne);
			if (r <= 0)
				pfd[1].fd = -1;
			else
				ne += (size_t)r;
			if (ne == OUTMAX - 1)
				ne = 0;
		}
	}
	out[no] = err[ne] = '\0';
	close(po[0]);
	close(pe[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("fuzz_conf: waitpid");
			exit(2);
		}
	return (status);
}

static void
load_names(const char *child)
{
	static char out[OUTMAX], err[OUTMAX];
	char *line, *save;
	int st;

	st = run(child, "names", "", out, err);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "fuzz_conf: %s names failed: %s\n", child, err);
		exit(2);
	}
	for (line = strtok_r(out, "\n", &save); line != NULL &&
	    nopts < MAXOPTS; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%47s %c", opts[nopts].name,
		    &opts[nopts].type) == 2)
			nopts++;
	}
	if (nopts < 10) {
		fprintf(stderr, "fuzz_conf: only %u options\n", nopts);
		exit(2);
	}
}

static void
load_seeds(const char *path)
{
	char line[CONFMAX];
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f) != NULL && nseeds < MAXSEEDS) {
		line[strcspn(line, "\n")] = '\0';
		if ((seeds[nseeds] = strdup(line)) != NULL)
			nseeds++;
	}
	fclose(f);
}

static void
append(char *buf, size_t *n, const char *s)
{
	while (*s != '\0' && *n < CONFMAX - 1)
		buf[(*n)++] = *s++;
	buf[*n] = '\0';
}

static void
gen_value(char *v, size_t size, char type)
{
	static const char *const ints[] = { "0", "1", "-1", "2", "7", "16",
	    "64", "4095", "4096", "65536", "2147483647", "2147483648",
	    "4294967296", "9223372036854775807", "9223372036854775808",
	    "18446744073709551615", "18446744073709551616",
	    "-9223372036854775808", "0x10", "0x", "0777", "08", "1e3", " 5",
	    "5 ", "+3", "--1", "", "abc", "12abc", "0xffffffffffffffffff" };
	static const char *const bools[] = { "true", "false", "TRUE", "1",
	    "0", "", "yes", "truex" };
	unsigned i, n, k = (unsigned)(rnd() % 8);

	if (type == 'b' && k < 6) {
		snprintf(v, size, "%s", bools[rnd() % 8]);
		return;
	}
	if (type == 'i' && k < 6) {
		snprintf(v, size, "%s", ints[rnd() % (sizeof(ints) /
		    sizeof(ints[0]))]);
		return;
	}
	/* A string: a word, long ones past any option's limit. */
	n = (unsigned)(rnd() % (k == 7 ? 300 : 12));
	if (n >= size)
		n = (unsigned)size - 1;
	for (i = 0; i < n; i++)
		v[i] = "abcdefghijklmnopqrstuvwxyz_0123456789:.,-"[rnd() % 41];
	v[n] = '\0';
}

/* A string from the grammar. */
static void
gen(char *buf)
{
	char name[64], val[320];
	unsigned i, n = 1 + (unsigned)(rnd() % 6), k;
	size_t len = 0;
	const struct opt *o;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		o = &opts[rnd() % nopts];
		snprintf(name, sizeof(name), "%s", o->name);
		/* Never abort_conf: true (it only turns errors to aborts). */
		if (strcmp(name, "abort_conf") == 0)
			continue;
		k = (unsigned)(rnd() % 16);
		if (k == 0 && strlen(name) > 1)
			name[rnd() % strlen(name)] = (char)('a' + rnd() % 26);
		else if (k == 1)
			name[rnd() % (strlen(name) + 1)] = '\0';
		else if (k == 2)
			name[0] = (char)(name[0] & ~0x20);
		gen_value(val, sizeof(val), o->type);
		if (i != 0)
			append(buf, &len, rnd() % 16 == 0 ? ",," : ",");
		append(buf, &len, name);
		k = (unsigned)(rnd() % 16);
		append(buf, &len, k == 0 ? "" : k == 1 ? "=" : k == 2 ? "::" :
		    ":");
		append(buf, &len, val);
		if (rnd() % 32 == 0) {
			val[0] = (char)(1 + rnd() % 255);
			val[1] = '\0';
			append(buf, &len, val);
		}
	}
	if (rnd() % 16 == 0)
		append(buf, &len, ",");
}

/* A seed string, mutated. */
static void
mutate(char *buf)
{
	const char *s = seeds[rnd() % nseeds], *t;
	size_t n, i, m = 1 + rnd() % 4;

	snprintf(buf, CONFMAX, "%s", s);
	for (i = 0; i < m; i++) {
		n = strlen(buf);
		switch (rnd() % 4) {
		case 0:
			if (n > 0)
				buf[rnd() % n] = (char)(1 + rnd() % 255);
			break;
		case 1:
			if (n > 0)
				buf[rnd() % n] = '\0';
			break;
		case 2:
			t = seeds[rnd() % nseeds];
			snprintf(buf + n, CONFMAX - n, ",%s", t + rnd() %
			    (strlen(t) + 1));
			break;
		default:
			if (n + 1 < CONFMAX) {
				buf[n] = "0123456789:,x-"[rnd() % 14];
				buf[n + 1] = '\0';
			}
			break;
		}
	}
}

int
main(int argc, char **argv)
{
	static char conf[CONFMAX], out[OUTMAX], err[OUTMAX];
	double secs = 10, t0, t;
	unsigned long runs = 0, maxruns = 0, warned = 0;
	const char *child;
	int c, st, i;
	bool ok;

	rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
	while ((c = getopt(argc, argv, "t:n:s:")) != -1) {
		switch (c) {
		case 't':
			secs = atof(optarg);
			break;
		case 'n':
			maxruns = strtoul(optarg, NULL, 10);
			break;
		case 's':
			rng = strtoull(optarg, NULL, 0) | 1;
			break;
		default:
			fprintf(stderr, "usage: fuzz_conf [-t secs] [-n runs] "
			    "[-s seed] child [seedfile ...]\n");
			return (2);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "fuzz_conf: no child program\n");
		return (2);
	}
	child = argv[optind];
	for (i = optind + 1; i < argc; i++)
		load_seeds(argv[i]);
	load_names(child);
	printf("fuzz_conf: %u options, %u seed strings, seed %#llx\n", nopts,
	    nseeds, (unsigned long long)rng);
	t0 = now();
	while ((t = now() - t0) < secs && (maxruns == 0 || runs < maxruns)) {
		if (nseeds > 0 && rnd() % 3 == 0)
			mutate(conf);
		else
			gen(conf);
		st = run(child, NULL, conf, out, err);
		runs++;
		if (strstr(err, "MALLOC_CONF error") != NULL)
			warned++;
		ok = WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
		    strstr(out, "ok\n") != NULL;
		if (!ok && WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT &&
		    strstr(conf, "abort_conf") != NULL &&
		    strstr(err, "<domalloc>: aborting: invalid MALLOC_CONF") !=
		    NULL)
			ok = true;
		if (!ok && strstr(err, "fuzz_conf: cannot execute") != NULL) {
			printf("%s", err);
			return (2);
		}
		if (!ok) {
			printf("fuzz_conf: FAILED with MALLOC_CONF='%s': status "
			    "%#x\nstderr: %s\n", conf, st, err);
			return (1);
		}
	}
	t = now() - t0;
	printf("fuzz_conf: %lu runs in %.1f s (%.0f runs/s), %lu strings "
	    "with a warning, no failure\n", runs, t, runs / (t > 0 ? t : 1),
	    warned);
	return (0);
}
