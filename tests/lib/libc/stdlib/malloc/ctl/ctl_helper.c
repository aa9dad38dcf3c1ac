/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * ctl_helper: a program the control plane tests run in a child process
 * with a chosen environment (MALLOC_CONF), linked with libdomalloc.a.
 *
 *   ctl_helper get name:type ...	print "name=value" for each mallctl
 *					name; type b bool, u unsigned,
 *					z size_t, s ssize_t, p string
 *   ctl_helper exit			allocate a little and exit 0 (for
 *					stats_print:true at exit)
 *   ctl_helper print [opts]		malloc_stats_print(opts) to stdout
 *
 * It defines no malloc_conf of its own; ctl_helper_g, the same program
 * plus ctl_helper_g.c, does.  Exit status 0, or 2 on a mallctl error.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <malloc_np.h>

static void *volatile sink[64];

static int
get(const char *arg)
{
	char name[200], *colon;
	const char *s;
	size_t len, z;
	ssize_t ss;
	unsigned u;
	bool b;
	int err;

	snprintf(name, sizeof(name), "%s", arg);
	colon = strrchr(name, ':');
	if (colon == NULL)
		return (2);
	*colon = '\0';
	switch (colon[1]) {
	case 'b':
		len = sizeof(b);
		err = mallctl(name, &b, &len, NULL, 0);
		if (err == 0)
			printf("%s=%s\n", name, b ? "true" : "false");
		break;
	case 'u':
		len = sizeof(u);
		err = mallctl(name, &u, &len, NULL, 0);
		if (err == 0)
			printf("%s=%u\n", name, u);
		break;
	case 'z':
		len = sizeof(z);
		err = mallctl(name, &z, &len, NULL, 0);
		if (err == 0)
			printf("%s=%zu\n", name, z);
		break;
	case 's':
		len = sizeof(ss);
		err = mallctl(name, &ss, &len, NULL, 0);
		if (err == 0)
			printf("%s=%zd\n", name, ss);
		break;
	case 'p':
		len = sizeof(s);
		err = mallctl(name, &s, &len, NULL, 0);
		if (err == 0)
			printf("%s=%s\n", name, s);
		break;
	default:
		return (2);
	}
	if (err != 0) {
		fprintf(stderr, "ctl_helper: mallctl(\"%s\"): %s\n", name,
		    strerror(err));
		return (2);
	}
	return (0);
}

static void
print_cb(void *opaque, const char *s)
{
	fputs(s, (FILE *)opaque);
}

int
main(int argc, char **argv)
{
	int i;

	if (argc >= 2 && strcmp(argv[1], "get") == 0) {
		for (i = 2; i < argc; i++)
			if (get(argv[i]) != 0)
				return (2);
		return (0);
	}
	if (argc >= 2 && strcmp(argv[1], "exit") == 0) {
		for (i = 0; i < 64; i++)
			sink[i] = malloc((size_t)(i + 1) * 100);
		for (i = 0; i < 32; i++)
			free(sink[i]);
		return (0);
	}
	if (argc >= 2 && strcmp(argv[1], "print") == 0) {
		malloc_stats_print(print_cb, stdout, argc > 2 ? argv[2] :
		    NULL);
		return (0);
	}
	fprintf(stderr, "usage: ctl_helper get name:type ... | exit | "
	    "print [opts]\n");
	return (2);
}
