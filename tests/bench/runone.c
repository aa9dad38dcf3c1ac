/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * runone: run one benchmark command and measure it.  It forks, sets
 * LD_PRELOAD (and any other variables given) in the child only, execs the
 * command, waits for it with wait4() and prints one line with the wall
 * time, the child's peak resident set size (ru_maxrss), its user and
 * system CPU time and how it ended.  The runner uses it for every cell so
 * that all allocators are measured the same way and the measuring process
 * itself never runs with a preloaded allocator.  Single-threaded; the only
 * shared state is the child's pid and two flags, written by the signal
 * handlers.
 *
 * usage: runone [-p preload] [-e VAR=value]... [-i stdin-file]
 *               [-o result-file] [-t timeout-seconds] command [arg ...]
 * Exit status: the command's, 128 + signal if it was killed, 124 on
 * timeout, 125 if runone itself failed, 127 if the exec failed.
 */

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define	MAXENV	32

static volatile sig_atomic_t timed_out;
static volatile sig_atomic_t child_pid;

static void
on_alarm(int sig)
{

	(void)sig;
	timed_out = 1;
	if (child_pid > 0)
		kill((pid_t)child_pid, SIGKILL);
}

static void
on_term(int sig)
{

	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

static void
usage(void)
{

	fprintf(stderr, "usage: runone [-p preload] [-e VAR=value]... "
	    "[-i stdin-file] [-o result-file] [-t seconds] command "
	    "[arg ...]\n");
	exit(125);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
}

static uint64_t
tv_ns(const struct timeval *tv)
{

	return ((uint64_t)tv->tv_sec * 1000000000ULL +
	    (uint64_t)tv->tv_usec * 1000ULL);
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	struct rusage ru;
	const char *preload, *infile, *outfile;
	char *env[MAXENV];
	char how[32];
	uint64_t t0, t1;
	FILE *out;
	pid_t pid;
	long timeout;
	int nenv, ch, status, fd, rc, i;

	preload = infile = outfile = NULL;
	timeout = 0;
	nenv = 0;
	while ((ch = getopt(argc, argv, "+e:i:o:p:t:")) != -1) {
		switch (ch) {
		case 'e':
			if (nenv == MAXENV || strchr(optarg, '=') == NULL)
				usage();
			env[nenv++] = optarg;
			break;
		case 'i':
			infile = optarg;
			break;
		case 'o':
			outfile = optarg;
			break;
		case 'p':
			preload = optarg;
			break;
		case 't':
			timeout = strtol(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal must interrupt wait4() below. */
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	t0 = now_ns();
	pid = fork();
	if (pid == -1) {
		perror("runone: fork");
		return (125);
	}
	if (pid == 0) {
		for (i = 0; i < nenv; i++)
			putenv(env[i]);
		if (preload != NULL && *preload != '\0')
			setenv("LD_PRELOAD", preload, 1);
		else
			unsetenv("LD_PRELOAD");
		if (infile != NULL) {
			fd = open(infile, O_RDONLY);
			if (fd == -1 || dup2(fd, STDIN_FILENO) == -1) {
				perror(infile);
				_exit(127);
			}
			close(fd);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "runone: exec %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	child_pid = pid;
	if (timeout > 0)
		alarm((unsigned)timeout);
	while (wait4(pid, &status, 0, &ru) == -1) {
		if (errno != EINTR) {
			perror("runone: wait4");
			return (125);
		}
	}
	t1 = now_ns();
	alarm(0);
	child_pid = 0;

	if (timed_out) {
		snprintf(how, sizeof(how), "timeout");
		rc = 124;
	} else if (WIFSIGNALED(status)) {
		snprintf(how, sizeof(how), "signal:%d", WTERMSIG(status));
		rc = 128 + WTERMSIG(status);
	} else {
		snprintf(how, sizeof(how), "exit:%d", WEXITSTATUS(status));
		rc = WEXITSTATUS(status);
	}
	out = stderr;
	if (outfile != NULL && (out = fopen(outfile, "w")) == NULL) {
		perror(outfile);
		return (125);
	}
	fprintf(out, "runone wall_ns=%llu maxrss_kib=%ld utime_ns=%llu "
	    "stime_ns=%llu status=%s\n", (unsigned long long)(t1 - t0),
	    ru.ru_maxrss, (unsigned long long)tv_ns(&ru.ru_utime),
	    (unsigned long long)tv_ns(&ru.ru_stime), how);
	if (out != stderr && fclose(out) != 0) {
		perror(outfile);
		return (125);
	}
	return (rc);
}
