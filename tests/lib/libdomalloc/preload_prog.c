/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * preload_prog: an ordinary dynamically linked glibc program that
 * preload_test.sh runs with libdomalloc.so in LD_PRELOAD.
 *
 * It owns the checks that need a program of our own under the preload:
 * work done before main (a constructor that calls dlopen, dlsym and
 * pthread_create, and a thread-specific destructor that frees), which
 * library each malloc-family name resolves to, and a fixed set of calls for
 * the LD_DEBUG=bindings check; "hardened" checks that the hardened library
 * (libdomalloc_hardened.so) serves the program.  Each sub-command prints "ok <name>" and exits
 * 0, or prints what went wrong and exits 1.  The program uses no domalloc
 * header and links with nothing but glibc, like any program on the system.
 */

#include <sys/types.h>

#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define	START_THREADS	4

static int failures;
static char start_msg[256];
static int start_done;

static void
fail(const char *what, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "preload_prog: %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	failures++;
}

static pthread_key_t start_key;

static void
start_key_free(void *p)
{

	/* Runs at thread exit, after the thread's cache may be gone. */
	free(p);
}

static void *
start_thread(void *arg)
{
	char **v;
	int i, n;

	n = (int)(long)arg + 100;
	v = calloc(n, sizeof(*v));
	if (v == NULL)
		return ((void *)1);
	for (i = 0; i < n; i++) {
		v[i] = malloc(i * 37 + 1);
		if (v[i] == NULL)
			return ((void *)1);
		memset(v[i], i, i * 37 + 1);
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	pthread_setspecific(start_key, strdup("freed by the key destructor"));
	return (NULL);
}

/*
 * Before main: dlopen, dlsym and threads, while the preloaded allocator
 * may have seen very few calls.
 */
__attribute__((constructor))
static void
preload_start(void)
{
	pthread_t thr[START_THREADS];
	double (*cosp)(double);
	void *h, *ret;
	int error, i;

	h = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(start_msg, sizeof(start_msg), "dlopen libm: %s",
		    dlerror());
		return;
	}
	cosp = (double (*)(double))dlsym(h, "cos");
	if (cosp == NULL || cosp(0.0) != 1.0) {
		snprintf(start_msg, sizeof(start_msg), "dlsym cos failed");
		return;
	}
	/* A failing dlopen makes glibc allocate an error string. */
	if (dlopen("libdomalloc-no-such-library.so.0", RTLD_NOW) != NULL ||
	    dlerror() == NULL) {
		snprintf(start_msg, sizeof(start_msg), "bogus dlopen worked");
		return;
	}
	if (pthread_key_create(&start_key, start_key_free) != 0) {
		snprintf(start_msg, sizeof(start_msg), "pthread_key_create");
		return;
	}
	for (i = 0; i < START_THREADS; i++) {
		error = pthread_create(&thr[i], NULL, start_thread,
		    (void *)(long)i);
		if (error != 0) {
			snprintf(start_msg, sizeof(start_msg),
			    "pthread_create: %s", strerror(error));
			return;
		}
	}
	for (i = 0; i < START_THREADS; i++) {
		pthread_join(thr[i], &ret);
		if (ret != NULL) {
			snprintf(start_msg, sizeof(start_msg),
			    "start thread %d failed to allocate", i);
			return;
		}
	}
	if (dlclose(h) != 0) {
		snprintf(start_msg, sizeof(start_msg), "dlclose: %s",
		    dlerror());
		return;
	}
	start_done = 1;
}

static void
check_start(void)
{

	if (!start_done)
		fail("start", "constructor: %s", start_msg);
}

/*
 * Print, for each malloc-family name, the object that defines the symbol
 * the program's own lookups resolve to.
 */
static void
check_where(void)
{
	static const char *names[] = {
		"malloc", "free", "calloc", "realloc", "posix_memalign",
		"aligned_alloc", "memalign", "valloc", "pvalloc",
		"reallocarray", "malloc_usable_size", "__libc_malloc",
		"__libc_free", "__libc_calloc", "__libc_realloc",
		"__libc_memalign", "__libc_valloc", "__libc_pvalloc",
		"__posix_memalign",
	};
	Dl_info info;
	void *sym;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		sym = dlsym(RTLD_DEFAULT, names[i]);
		if (sym == NULL) {
			fail("where", "%s: not found", names[i]);
			continue;
		}
		if (dladdr(sym, &info) == 0 || info.dli_fname == NULL) {
			fail("where", "%s: dladdr failed", names[i]);
			continue;
		}
		printf("%s %s\n", names[i], info.dli_fname);
	}
	/* The address the program itself calls must be the same. */
	if (dladdr((void *)malloc, &info) != 0 && info.dli_fname != NULL)
		printf("&malloc %s\n", info.dli_fname);
	else
		fail("where", "dladdr(&malloc) failed");
}

/* One call of each of the four names that LD_DEBUG=bindings must show. */
static void
check_bindings(void)
{
	char *p, *q;

	p = malloc(100);
	q = calloc(10, 10);
	if (p == NULL || q == NULL) {
		fail("bindings", "malloc or calloc failed");
		return;
	}
	p = realloc(p, 1000);
	if (p == NULL)
		fail("bindings", "realloc failed");
	free(p);
	free(q);
}

/* The program's allocations get domalloc's classes (glibc: 104). */
static void
check_served(void)
{
	const char **vp, *v;
	size_t len, usable;
	int (*ctl)(const char *, void *, size_t *, void *, size_t);
	void *p;

	p = malloc(100);
	usable = malloc_usable_size(p);
	if (usable != 112)
		fail("served", "malloc_usable_size(malloc(100)) = %zu", usable);
	free(p);

	ctl = (int (*)(const char *, void *, size_t *, void *, size_t))
	    dlsym(RTLD_DEFAULT, "mallctl");
	if (ctl == NULL) {
		fail("served", "no mallctl in the process");
		return;
	}
	v = NULL;
	vp = &v;
	len = sizeof(v);
	if (ctl("domalloc.version", vp, &len, NULL, 0) != 0 || v == NULL ||
	    strncmp(v, "domalloc", 8) != 0)
		fail("served", "mallctl(\"domalloc.version\") gave %s",
		    v == NULL ? "nothing" : v);
}

/* Under libdomalloc_hardened.so: the usable size is the size asked. */
static void
check_hardened(void)
{
	int (*ctl)(const char *, void *, size_t *, void *, size_t);
	size_t len, usable;
	bool hardened;
	void *p;

	p = malloc(100);
	usable = malloc_usable_size(p);
	if (usable != 100)
		fail("hardened", "malloc_usable_size(malloc(100)) = %zu",
		    usable);
	free(p);
	ctl = (int (*)(const char *, void *, size_t *, void *, size_t))
	    dlsym(RTLD_DEFAULT, "mallctl");
	hardened = false;
	len = sizeof(hardened);
	if (ctl == NULL || ctl("config.hardened", &hardened, &len, NULL,
	    0) != 0 || !hardened)
		fail("hardened", "config.hardened is not true");
}

static const struct {
	const char	*name;
	void		(*fn)(void);
} checks[] = {
	{ "start",	check_start },
	{ "where",	check_where },
	{ "bindings",	check_bindings },
	{ "served",	check_served },
	{ "hardened",	check_hardened },
};

int
main(int argc, char **argv)
{
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: preload_prog check\n");
		return (2);
	}
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (strcmp(argv[1], checks[i].name) != 0)
			continue;
		checks[i].fn();
		if (failures != 0)
			return (1);
		printf("ok %s\n", checks[i].name);
		return (0);
	}
	fprintf(stderr, "preload_prog: unknown check %s\n", argv[1]);
	return (2);
}
