/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * thp_util.h: helpers for the huge page and purging tests: resident set
 * size and huge page coverage of the mappings that hold given pointers,
 * read from /proc/self/smaps with open/read only (no stdio, so reading
 * does not allocate and disturb what is measured).
 */
#ifndef THP_UTIL_H
#define	THP_UTIL_H

#include <sys/mman.h>

#include <atf-c.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <malloc_np.h>

#define	MIB	((size_t)1 << 20)
#define	SUPERPAGE_SZ	((size_t)2 << 20)

/*
 * domalloc's superpage: 2 MiB, or the larger one a page above 4 KiB
 * brings (2^(2 lg - 3) bytes, geom.h), whether lg_page forced it or the
 * kernel has it; *lgp is 0 for 4 KiB pages.
 */
static inline size_t
thp_superpage(unsigned *lgp)
{
	size_t page = 0, len = sizeof(page);
	unsigned lg = 0;

	if (mallctl("arenas.page", &page, &len, NULL, 0) == 0 &&
	    page > 4096)
		while (((size_t)1 << lg) < page)
			lg++;
	*lgp = lg;
	return (lg > 12 ? (size_t)1 << (2 * lg - 3) : SUPERPAGE_SZ);
}

/*
 * The huge page tests measure memory by the 2 MiB huge page over time
 * and sizes set for 2 MiB superpages; with the 512 MiB superpages of
 * lg_page:16 (one superpage is more than their whole heap) they skip.
 */
static inline void
thp_need_small_superpages(void)
{
	unsigned lg;
	size_t sp = thp_superpage(&lg);

	if (sp > ((size_t)32 << 20))
		atf_tc_skip("lg_page:%u: superpages of %zu MiB, larger than "
		    "this test's heap; it is set for 2 MiB superpages", lg,
		    sp >> 20);
}

static char thp_buf[1 << 22];

static inline size_t
thp_read(const char *path)
{
	ssize_t n;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return (0);
	while (got + 1 < sizeof(thp_buf) &&
	    (n = read(fd, thp_buf + got, sizeof(thp_buf) - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	thp_buf[got] = '\0';
	return (got);
}

/* Resident set size of the process in bytes. */
static inline size_t
thp_rss(void)
{
	unsigned long size, res;
	char *p;

	if (thp_read("/proc/self/statm") == 0)
		return (0);
	size = strtoul(thp_buf, &p, 10);
	res = strtoul(p, NULL, 10);
	(void)size;
	return ((size_t)res * (size_t)sysconf(_SC_PAGESIZE));
}

struct thp_vma {
	uintptr_t	start, end;
	size_t		rss, huge;	/* bytes */
};

/* Walk smaps, calling fn for each mapping. */
static inline void
thp_walk(void (*fn)(const struct thp_vma *, void *), void *arg)
{
	struct thp_vma v = { 0, 0, 0, 0 };
	char *line, *next, *end;
	bool have = false;

	if (thp_read("/proc/self/smaps") == 0)
		return;
	for (line = thp_buf; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if ((line[0] >= '0' && line[0] <= '9') ||
		    (line[0] >= 'a' && line[0] <= 'f')) {
			uintptr_t s = strtoul(line, &end, 16);

			if (*end == '-') {
				if (have)
					fn(&v, arg);
				v.start = s;
				v.end = strtoul(end + 1, NULL, 16);
				v.rss = v.huge = 0;
				have = true;
				continue;
			}
		}
		if (strncmp(line, "Rss:", 4) == 0)
			v.rss = strtoul(line + 4, NULL, 10) * 1024;
		else if (strncmp(line, "AnonHugePages:", 14) == 0)
			v.huge = strtoul(line + 14, NULL, 10) * 1024;
	}
	if (have)
		fn(&v, arg);
}

struct thp_sum {
	void	**ptrs;
	size_t	n;
	size_t	rss, huge;
	struct thp_vma found;
};

static inline void
thp_sum_fn(const struct thp_vma *v, void *arg)
{
	struct thp_sum *s = arg;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if ((uintptr_t)s->ptrs[i] >= v->start &&
		    (uintptr_t)s->ptrs[i] < v->end) {
			s->rss += v->rss;
			s->huge += v->huge;
			s->found = *v;
			return;
		}
	}
}

/* Rss and AnonHugePages of the mappings holding any of ptrs. */
static inline void
thp_coverage(void **ptrs, size_t n, size_t *rss, size_t *huge)
{
	struct thp_sum s = { ptrs, n, 0, 0, { 0, 0, 0, 0 } };

	thp_walk(thp_sum_fn, &s);
	*rss = s.rss;
	*huge = s.huge;
}

/* The mapping holding p. */
static inline struct thp_vma
thp_vma_of(void *p)
{
	struct thp_sum s = { &p, 1, 0, 0, { 0, 0, 0, 0 } };

	thp_walk(thp_sum_fn, &s);
	return (s.found);
}

/*
 * Can this machine give us transparent huge pages at all?  A test region
 * with MADV_HUGEPAGE, touched, must show AnonHugePages.
 */
static inline bool
thp_available(void)
{
	size_t rss, huge;
	char *m, *a;
	void *p;

	if (thp_read("/sys/kernel/mm/transparent_hugepage/enabled") == 0 ||
	    strstr(thp_buf, "[never]") != NULL)
		return (false);
	m = mmap(NULL, 3 * SUPERPAGE_SZ, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return (false);
	a = (char *)(((uintptr_t)m + SUPERPAGE_SZ - 1) &
	    ~(uintptr_t)(SUPERPAGE_SZ - 1));
	madvise(a, SUPERPAGE_SZ, MADV_HUGEPAGE);
	memset(a, 1, SUPERPAGE_SZ);
	p = a;
	thp_coverage(&p, 1, &rss, &huge);
	munmap(m, 3 * SUPERPAGE_SZ);
	return (huge > 0);
}

/* Poll until rss() <= limit, up to secs seconds; touches no allocator. */
static inline size_t
thp_wait_rss_below(size_t limit, unsigned secs)
{
	unsigned i;
	size_t r = thp_rss();

	for (i = 0; i < secs * 10 && r > limit; i++) {
		usleep(100000);
		r = thp_rss();
	}
	return (r);
}

#endif /* !THP_UTIL_H */
