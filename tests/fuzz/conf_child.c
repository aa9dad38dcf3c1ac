/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * conf_child: the program fuzz_conf runs with each MALLOC_CONF it makes.
 *
 *   conf_child names	print every option, "name type" a line (type b, i
 *			or s), for fuzz_conf's grammar
 *   conf_child		allocate and free a mix of sizes on two threads,
 *			read a few names, print the statistics to /dev/null
 *			and print "ok"
 *
 * Whitebox (linked with libdomalloc_internal.a) for the option table;
 * otherwise it uses only the public interface.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <malloc_np.h>

#include "conf.h"

static void
devnull(void *arg, const char *s)
{
	(void)arg;
	(void)s;
}

static void *
work(void *arg)
{
	static const size_t sizes[] = { 1, 16, 100, 1000, 4096, 20000,
	    300000, 3000000 };
	void *p[64];
	unsigned i, r;

	(void)arg;
	for (r = 0; r < 8; r++) {
		for (i = 0; i < 64; i++) {
			p[i] = malloc(sizes[(i + r) % 8]);
			if (p[i] == NULL) {
				fprintf(stderr, "conf_child: malloc failed\n");
				exit(3);
			}
			memset(p[i], 0x5a, sizes[(i + r) % 8]);
		}
		for (i = 0; i < 64; i++)
			free(p[(i * 5) % 64]);
	}
	return (NULL);
}

int
main(int argc, char **argv)
{
	const char *name, *sv;
	enum conf_vtype vt;
	pthread_t th;
	int64_t iv;
	uint64_t e = 1;
	unsigned i, narenas;
	size_t len = sizeof(narenas);

	if (argc > 1 && strcmp(argv[1], "names") == 0) {
		for (i = 0; conf_opt_value(i, &name, &vt, &iv, &sv); i++)
			printf("%s %c\n", name, vt == CONF_V_BOOL ? 'b' :
			    vt == CONF_V_INT ? 'i' : 's');
		return (0);
	}
	if (pthread_create(&th, NULL, work, NULL) != 0)
		return (4);
	work(NULL);
	pthread_join(th, NULL);
	if (mallctl("arenas.narenas", &narenas, &len, NULL, 0) != 0 ||
	    mallctl("epoch", NULL, NULL, &e, sizeof(e)) != 0)
		return (5);
	malloc_stats_print(devnull, NULL, NULL);
	printf("ok\n");
	return (0);
}
