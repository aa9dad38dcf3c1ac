/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * prof_sites: a program with heap profile sites of known live bytes, for
 * prof_sh_test.  It uses only the standard malloc interface, so the same
 * source is built three ways: plain (run with libdomalloc.so preloaded),
 * linked with libdomalloc.a, and fully static with libdomalloc.a.  The
 * profile comes from the options in MALLOC_CONF (prof_final writes it at
 * exit).
 *
 * Live at exit, each about 128 MiB: site_small (48-byte objects),
 * site_mid (3,072-byte objects: malloc(3000)), site_big (1 MiB objects).
 * site_freed allocates 256 MiB in 64-byte and 1 MiB objects and frees
 * all of it again.  Each site's function is distinct and not inlined, so
 * the profile names it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define	SITE_BYTES	(128u << 20)

static void **keep;
static size_t nkeep;

static void
hold(void *p)
{
	if (p == NULL) {
		fprintf(stderr, "prof_sites: out of memory\n");
		exit(2);
	}
	keep[nkeep++] = p;
}

__attribute__((noinline)) void
site_small(void)
{
	size_t i;

	for (i = 0; i < SITE_BYTES / 48; i++)
		hold(malloc(48));
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void
site_mid(void)
{
	size_t i;

	for (i = 0; i < SITE_BYTES / 3072; i++)
		hold(malloc(3000));
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void
site_big(void)
{
	size_t i;

	for (i = 0; i < SITE_BYTES / (1u << 20); i++)
		hold(malloc(1u << 20));
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void
site_freed(void)
{
	void *p;
	size_t i;

	for (i = 0; i < (128u << 20) / 64; i++) {
		p = malloc(64);
		memset(p, 1, 64);
		free(p);
	}
	for (i = 0; i < 128; i++) {
		p = malloc(1u << 20);
		memset(p, 2, 4096);
		free(p);
	}
	__asm__ volatile("" ::: "memory");
}

int
main(void)
{
	keep = calloc(SITE_BYTES / 48 + SITE_BYTES / 3072 + 1024,
	    sizeof(void *));
	if (keep == NULL)
		return (2);
	site_small();
	site_freed();
	site_mid();
	site_big();
	printf("%zu objects live\n", nkeep);
	return (0);
}
