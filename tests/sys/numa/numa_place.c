/*-
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * numa_place.c: the program the two-node NUMA virtual machine runs as
 * /init, which asks the kernel on which node the allocator's pages lie.
 *
 * As process 1 (the VM) it mounts /proc, /sys and devtmpfs, points its
 * standard streams at the console, and runs itself again in a child with
 * the argument --vm, so that the allocator of the child initialises only
 * once /sys shows the topology.  When the child is done, process 1 waits
 * for the console to drain and reports the verdict through qemu's
 * isa-debug-exit port (0xf4).  Started by hand it measures at once, on
 * whatever machine it runs (one node: every page is trivially local).
 *
 * Threads pinned to the CPUs of two nodes allocate a fixed mix of small,
 * medium and large blocks and write every byte; then every distinct page
 * is looked up with move_pages(2) (no target nodes: a query), checked
 * page by page against get_mempolicy(2) with MPOL_F_NODE | MPOL_F_ADDR
 * and, when built with HAVE_LIBNUMA, against libnuma's numa_move_pages.
 * measure_all() runs the scenarios and holds their thresholds;
 * tests/sys/numa/README.md explains them.  Bookkeeping arrays come from
 * mmap, never from the allocator being measured, and the page sort is
 * our own (glibc's qsort may call malloc).
 *
 * The same object is linked three ways: with libdomalloc.a, with Debian's
 * libjemalloc.a and with glibc's own malloc.  mallctl, mallocx and
 * dallocx are weak references, so the glibc link leaves them NULL; the
 * allocator is identified at run time by mallctl("domalloc.version") or
 * mallctl("version").  Building
 * with -DPEER_GLIBC ignores mallctl even if some library defines it.
 */

#include <sys/types.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <malloc_np.h>
#ifdef HAVE_LIBNUMA
#include <numa.h>
#endif

#pragma weak mallctl
#pragma weak mallocx
#pragma weak dallocx

/* numaif.h's flags, spelled out so that libnuma-dev is not needed. */
#define	NP_MPOL_F_NODE	(1 << 0)
#define	NP_MPOL_F_ADDR	(1 << 1)

/* isa-debug-exit: qemu exits with status (code << 1) | 1. */
#define	DEBUG_EXIT_PORT	0xf4
#define	VM_PASS		1	/* qemu status 3 */
#define	VM_FAIL		2	/* qemu status 5 */
#define	VM_ERROR	3	/* qemu status 7 */

/* Exit status of the measuring process. */
#define	EXIT_PASS	0
#define	EXIT_FAIL	1
#define	EXIT_ERROR	2

#define	MAXNODES	64
#define	QUERY_BATCH	1024

enum group { G_SMALL, G_MEDIUM, G_LARGE, NGROUPS };
static const char *const group_name[NGROUPS] = { "small", "medium", "large" };

/*
 * The workload every measuring thread allocates: NSMALL blocks of 16 to
 * 1024 bytes, NMEDIUM of 2 to 64 KiB and one of each large size, in a
 * shuffled order (about 44 MiB in all).
 */
#define	NSMALL		12000
#define	NMEDIUM		320
#define	KiB		((size_t)1024)
#define	MiB		(1024 * KiB)
static const size_t large_sizes[] = {
	256 * KiB, 384 * KiB, 512 * KiB, 768 * KiB, 1 * MiB, 1536 * KiB,
	2 * MiB, 3 * MiB, 4 * MiB, 6 * MiB, 8 * MiB,
};
#define	NLARGE		(sizeof(large_sizes) / sizeof(large_sizes[0]))
#define	NWORK		(NSMALL + NMEDIUM + NLARGE)

struct work {
	size_t		 n;
	void		**ptr;
	size_t		*size;
	unsigned char	*group;
	int		 flags;		/* mallocx flags; 0: malloc and free */
};

/* Pages counted for one scenario, by size group. */
struct tally {
	size_t	pages[NGROUPS];
	size_t	local[NGROUPS];
	size_t	absent[NGROUPS];	/* not reported by the kernel */
	size_t	disagree;		/* the oracles disagreed */
};

/* What one measuring thread does and what it found. */
struct task {
	int			 cpu;		/* CPU it starts on */
	int			 cpu2;		/* CPU it moves to */
	int			 node;		/* expected node of its pages */
	pthread_barrier_t	*barrier;
	struct task		*peer;		/* handoff: the producer */
	struct work		 w;
	struct tally		 t;
	char			 err[160];
	unsigned		 thread_node;	/* thread.numa_node */
	int			 thread_node_err;
};

struct topo {
	int	nnodes;			/* nodes that have CPUs */
	int	node[MAXNODES];
	int	cpu[MAXNODES];		/* the first CPU of each */
};

static struct topo	topo;
static size_t		pagesize;
static bool		have_mallctl;
static bool		is_domalloc;
static const char	*alloc_name = "glibc";
static bool		harness_failed;
static char		harness_why[256];

static void
harness_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# harness error: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	if (!harness_failed) {
		va_start(ap, fmt);
		vsnprintf(harness_why, sizeof(harness_why), fmt, ap);
		va_end(ap);
	}
	harness_failed = true;
}

static int
np_mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
    size_t newlen)
{

	if (!have_mallctl)
		return (ENOENT);
	return (mallctl(name, oldp, oldlenp, newp, newlen));
}

/*
 * Bookkeeping memory: straight from the kernel, so that the allocator
 * being measured sees only the workload.
 */
static void *
bk_alloc(size_t size)
{
	void *p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return (p == MAP_FAILED ? NULL : p);
}

static void
bk_free(void *p, size_t size)
{

	if (p != NULL)
		munmap(p, size);
}

static unsigned
lcg(unsigned *state)
{

	*state = *state * 1103515245u + 12345u;
	return (*state >> 8);
}

/* Read the first line of a small file into buf; -1 if it cannot. */
static int
read_line(const char *path, char *buf, size_t len)
{
	FILE *f;
	char *nl;
	int ret;

	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	ret = fgets(buf, (int)len, f) == NULL ? -1 : 0;
	fclose(f);
	if (ret == 0 && (nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	return (ret);
}

/*
 * Parse a kernel list ("0-3,8,10-11") into out[]; returns the count (at
 * most max).
 */
static int
parse_list(const char *s, int *out, int max)
{
	char *end;
	long a, b;
	int n;

	n = 0;
	while (*s != '\0' && n < max) {
		a = strtol(s, &end, 10);
		if (end == s)
			break;
		b = a;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			s = end;
		}
		for (; a <= b && n < max; a++)
			out[n++] = (int)a;
		if (*s == ',')
			s++;
		else
			break;
	}
	return (n);
}

/*
 * The topology as sysfs shows it, read without the allocator's help.
 * Without /sys: one node, CPU 0.
 */
static void
topo_read(void)
{
	char path[96], buf[512];
	int nodes[MAXNODES], cpus[8];
	int i, n;

	topo.nnodes = 0;
	if (read_line("/sys/devices/system/node/online", buf,
	    sizeof(buf)) != 0) {
		topo.nnodes = 1;
		topo.node[0] = 0;
		topo.cpu[0] = 0;
		return;
	}
	n = parse_list(buf, nodes, MAXNODES);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path),
		    "/sys/devices/system/node/node%d/cpulist", nodes[i]);
		if (read_line(path, buf, sizeof(buf)) != 0 ||
		    parse_list(buf, cpus, 8) < 1)
			continue;
		topo.node[topo.nnodes] = nodes[i];
		topo.cpu[topo.nnodes] = cpus[0];
		topo.nnodes++;
	}
}

/* Move the calling thread to cpu and make sure it runs there. */
static int
pin_self(int cpu)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		return (-1);
	for (i = 0; i < 1000 && sched_getcpu() != cpu; i++)
		sched_yield();
	return (sched_getcpu() == cpu ? 0 : -1);
}

static int
task_pin(struct task *k, int cpu)
{

	if (pin_self(cpu) == 0)
		return (0);
	snprintf(k->err, sizeof(k->err), "cannot run on CPU %d: %s "
	    "(on CPU %d)", cpu, strerror(errno), sched_getcpu());
	return (-1);
}

/* Start a thread that begins its life on cpu. */
static int
spawn(pthread_t *t, int cpu, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int error;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	error = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (error != 0)
		harness_error("pthread_create: %s", strerror(error));
	return (error);
}

static void
join(pthread_t t, struct task *k)
{

	pthread_join(t, NULL);
	if (k->err[0] != '\0')
		harness_error("%s", k->err);
}

/* Plan a workload: sizes and groups, shuffled; no allocation yet. */
static int
work_init(struct work *w, unsigned seed, int flags)
{
	size_t i, j, sz;
	unsigned char g;
	unsigned st;

	memset(w, 0, sizeof(*w));
	w->n = NWORK;
	w->flags = flags;
	w->ptr = bk_alloc(NWORK * sizeof(*w->ptr));
	w->size = bk_alloc(NWORK * sizeof(*w->size));
	w->group = bk_alloc(NWORK);
	if (w->ptr == NULL || w->size == NULL || w->group == NULL)
		return (-1);
	st = seed;
	for (i = 0; i < NWORK; i++) {
		if (i < NSMALL) {
			w->size[i] = 16 + lcg(&st) % 1009;
			w->group[i] = G_SMALL;
		} else if (i < NSMALL + NMEDIUM) {
			w->size[i] = 2 * KiB + lcg(&st) % (62 * KiB + 1);
			w->group[i] = G_MEDIUM;
		} else {
			w->size[i] = large_sizes[i - NSMALL - NMEDIUM];
			w->group[i] = G_LARGE;
		}
	}
	for (i = NWORK - 1; i > 0; i--) {
		j = lcg(&st) % (i + 1);
		sz = w->size[i];
		w->size[i] = w->size[j];
		w->size[j] = sz;
		g = w->group[i];
		w->group[i] = w->group[j];
		w->group[j] = g;
	}
	return (0);
}

static void
work_fini(struct work *w)
{

	bk_free(w->ptr, NWORK * sizeof(*w->ptr));
	bk_free(w->size, NWORK * sizeof(*w->size));
	bk_free(w->group, NWORK);
	memset(w, 0, sizeof(*w));
}

/* Allocate every block and write all of it. */
static int
work_alloc(struct work *w, char *err, size_t errlen)
{
	size_t i;
	void *p;

	for (i = 0; i < w->n; i++) {
		if (w->flags != 0)
			p = mallocx(w->size[i], w->flags);
		else
			p = malloc(w->size[i]);
		if (p == NULL) {
			snprintf(err, errlen, "%s(%zu) failed",
			    w->flags != 0 ? "mallocx" : "malloc",
			    w->size[i]);
			while (i-- > 0) {
				free(w->ptr[i]);
				w->ptr[i] = NULL;
			}
			return (-1);
		}
		memset(p, 0xa5, w->size[i]);
		w->ptr[i] = p;
	}
	return (0);
}

static void
work_free(struct work *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		if (w->ptr[i] == NULL)
			continue;
		if (w->flags != 0)
			dallocx(w->ptr[i], MALLOCX_TCACHE_NONE);
		else
			free(w->ptr[i]);
		w->ptr[i] = NULL;
	}
}

/* Heap sort of page addresses (no allocation, unlike qsort). */
static void
sift(uintptr_t *a, size_t root, size_t n)
{
	size_t child;
	uintptr_t t;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && a[child + 1] > a[child])
			child++;
		if (a[root] >= a[child])
			return;
		t = a[root];
		a[root] = a[child];
		a[child] = t;
		root = child;
	}
}

static void
sort_pages(uintptr_t *a, size_t n)
{
	size_t i;
	uintptr_t t;

	if (n < 2)
		return;
	for (i = n / 2; i-- > 0;)
		sift(a, i, n);
	for (i = n - 1; i > 0; i--) {
		t = a[0];
		a[0] = a[i];
		a[i] = t;
		sift(a, 0, i);
	}
}

/*
 * Look up the nodes of pages[0..n) into status[]: move_pages with no
 * target nodes, then every page again with get_mempolicy and, if linked,
 * with libnuma.  Returns the number of disagreements, or -1 if the
 * kernel refused the query.
 */
static long
query_nodes(uintptr_t *pages, size_t n, int *status, char *err,
    size_t errlen)
{
	size_t i, cnt;
	long disagree;
	int node;
#ifdef HAVE_LIBNUMA
	int st2[QUERY_BATCH];
#endif

	disagree = 0;
	for (i = 0; i < n; i += cnt) {
		cnt = n - i < QUERY_BATCH ? n - i : QUERY_BATCH;
		if (syscall(SYS_move_pages, 0, (unsigned long)cnt,
		    (void **)&pages[i], NULL, &status[i], 0) != 0) {
			snprintf(err, errlen, "move_pages: %s",
			    strerror(errno));
			return (-1);
		}
#ifdef HAVE_LIBNUMA
		if (numa_move_pages(0, (unsigned long)cnt, (void **)&pages[i],
		    NULL, st2, 0) == 0) {
			for (size_t j = 0; j < cnt; j++)
				if (st2[j] != status[i + j])
					disagree++;
		} else
			disagree += (long)cnt;
#endif
	}
	for (i = 0; i < n; i++) {
		if (syscall(SYS_get_mempolicy, &node, NULL, 0UL,
		    (void *)pages[i], NP_MPOL_F_NODE | NP_MPOL_F_ADDR) != 0) {
			snprintf(err, errlen, "get_mempolicy: %s",
			    strerror(errno));
			return (-1);
		}
		if (status[i] >= 0 && node != status[i])
			disagree++;
	}
	return (disagree);
}

/*
 * Count the distinct pages of w's blocks, group by group, and how many
 * of them lie on node.
 */
static int
measure(const struct work *w, int node, struct tally *t, char *err,
    size_t errlen)
{
	uintptr_t *pages, a, end;
	size_t i, n, m, cap, len[NGROUPS];
	int *status, g;
	long d;

	for (g = 0; g < NGROUPS; g++)
		len[g] = 0;
	for (i = 0; i < w->n; i++)
		len[w->group[i]] += w->size[i] / pagesize + 2;
	for (g = 0; g < NGROUPS; g++) {
		cap = len[g];
		if (cap == 0)
			continue;
		pages = bk_alloc(cap * sizeof(*pages));
		status = bk_alloc(cap * sizeof(*status));
		if (pages == NULL || status == NULL) {
			snprintf(err, errlen, "mmap: %s", strerror(errno));
			bk_free(pages, cap * sizeof(*pages));
			bk_free(status, cap * sizeof(*status));
			return (-1);
		}
		n = 0;
		for (i = 0; i < w->n; i++) {
			if (w->group[i] != g || w->ptr[i] == NULL)
				continue;
			a = (uintptr_t)w->ptr[i] & ~(pagesize - 1);
			end = (uintptr_t)w->ptr[i] + w->size[i];
			for (; a < end && n < cap; a += pagesize)
				pages[n++] = a;
		}
		sort_pages(pages, n);
		for (i = m = 0; i < n; i++)
			if (m == 0 || pages[m - 1] != pages[i])
				pages[m++] = pages[i];
		d = query_nodes(pages, m, status, err, errlen);
		if (d >= 0) {
			t->disagree += (size_t)d;
			t->pages[g] += m;
			for (i = 0; i < m; i++) {
				if (status[i] == node)
					t->local[g]++;
				else if (status[i] < 0)
					t->absent[g]++;
			}
		}
		bk_free(pages, cap * sizeof(*pages));
		bk_free(status, cap * sizeof(*status));
		if (d < 0)
			return (-1);
	}
	return (0);
}

static int
task_measure(struct task *k)
{

	return (measure(&k->w, k->node, &k->t, k->err, sizeof(k->err)));
}

static int
task_alloc(struct task *k)
{

	return (work_alloc(&k->w, k->err, sizeof(k->err)));
}

/* Record thread.numa_node as the allocator sees it for this thread. */
static void
task_thread_node(struct task *k)
{
	size_t len;

	len = sizeof(k->thread_node);
	k->thread_node_err = np_mallctl("thread.numa_node", &k->thread_node,
	    &len, NULL, 0);
}

/*
 * 0: plain mmap pages written by a pinned thread, without the allocator:
 * proves the VM's topology, the pinning and the oracle.
 */
static void *
control_thread(void *arg)
{
	struct task *k;
	size_t size;
	void *p;

	k = arg;
	if (task_pin(k, k->cpu) != 0)
		return (NULL);
	size = 8 * MiB;
	if ((p = bk_alloc(size)) == NULL) {
		snprintf(k->err, sizeof(k->err), "mmap: %s", strerror(errno));
		return (NULL);
	}
	memset(p, 0x5a, size);
	k->w.n = 1;
	k->w.ptr = &p;
	k->w.size = &size;
	k->w.group = (unsigned char []){ G_LARGE };
	task_measure(k);
	memset(&k->w, 0, sizeof(k->w));
	bk_free(p, size);
	return (NULL);
}

/* 1: fresh allocations of threads on both nodes at the same time. */
static void *
fresh_thread(void *arg)
{
	struct task *k;
	int ok;

	k = arg;
	ok = task_pin(k, k->cpu) == 0;
	pthread_barrier_wait(k->barrier);
	if (ok && task_alloc(k) == 0) {
		task_measure(k);
		task_thread_node(k);
	}
	/* Both have measured before either frees. */
	pthread_barrier_wait(k->barrier);
	work_free(&k->w);
	return (NULL);
}

/* 2: allocate, free, move to the other node, allocate again. */
static void *
migrate_thread(void *arg)
{
	struct task *k;

	k = arg;
	if (task_pin(k, k->cpu) != 0 || task_alloc(k) != 0)
		return (NULL);
	work_free(&k->w);
	if (task_pin(k, k->cpu2) != 0 || task_alloc(k) != 0)
		return (NULL);
	task_measure(k);
	work_free(&k->w);
	return (NULL);
}

/*
 * 3: a producer allocates and hands everything to a consumer on the
 * other node, which frees it all and then allocates for itself.
 */
static void *
producer_thread(void *arg)
{
	struct task *k;

	k = arg;
	if (task_pin(k, k->cpu) == 0)
		(void)task_alloc(k);
	pthread_barrier_wait(k->barrier);	/* handed over */
	pthread_barrier_wait(k->barrier);	/* consumer done */
	return (NULL);
}

static void *
consumer_thread(void *arg)
{
	struct task *k;

	k = arg;
	if (task_pin(k, k->cpu) != 0) {
		pthread_barrier_wait(k->barrier);
		work_free(&k->peer->w);
		pthread_barrier_wait(k->barrier);
		return (NULL);
	}
	pthread_barrier_wait(k->barrier);
	work_free(&k->peer->w);
	if (task_alloc(k) == 0) {
		task_measure(k);
		work_free(&k->w);
	}
	pthread_barrier_wait(k->barrier);
	return (NULL);
}

/* 4, first half: allocate, free, exit. */
static void *
exiting_thread(void *arg)
{
	struct task *k;

	k = arg;
	if (task_pin(k, k->cpu) == 0 && task_alloc(k) == 0)
		work_free(&k->w);
	return (NULL);
}

/* 4, second half, and 5: allocate, measure, free. */
static void *
alloc_thread(void *arg)
{
	struct task *k;

	k = arg;
	if (task_pin(k, k->cpu) != 0 || task_alloc(k) != 0)
		return (NULL);
	task_measure(k);
	work_free(&k->w);
	return (NULL);
}

static int
task_init(struct task *k, int from, int to, int flags, unsigned seed)
{

	memset(k, 0, sizeof(*k));
	k->cpu = topo.cpu[from];
	k->cpu2 = topo.cpu[to];
	k->node = topo.node[to];
	if (work_init(&k->w, seed, flags) != 0) {
		harness_error("mmap: %s", strerror(errno));
		return (-1);
	}
	return (0);
}

static void
tally_add(struct tally *sum, const struct tally *t)
{
	int g;

	for (g = 0; g < NGROUPS; g++) {
		sum->pages[g] += t->pages[g];
		sum->local[g] += t->local[g];
		sum->absent[g] += t->absent[g];
	}
	sum->disagree += t->disagree;
}

/* "99.87": hundredths, rounded down, so 100.00 means every page. */
static void
fmt_pct(char *buf, size_t len, size_t local, size_t pages)
{
	size_t h;

	h = pages == 0 ? 0 : local * 10000 / pages;
	snprintf(buf, len, "%zu.%02zu", h / 100, h % 100);
}

/* Node indices (into topo) of the two nodes used. */
static int	na, nb;

static void
scen_control(struct tally *sum)
{
	struct task k;
	pthread_t t;
	int i, idx[2];

	idx[0] = na;
	idx[1] = nb;
	for (i = 0; i < 2; i++) {
		memset(&k, 0, sizeof(k));
		k.cpu = topo.cpu[idx[i]];
		k.node = topo.node[idx[i]];
		if (spawn(&t, k.cpu, control_thread, &k) != 0)
			return;
		join(t, &k);
		tally_add(sum, &k.t);
	}
}

static struct task	fresh_task[2];

static void
scen_fresh(struct tally *sum)
{
	pthread_barrier_t bar;
	pthread_t t[2];
	int i;

	pthread_barrier_init(&bar, NULL, 2);
	if (task_init(&fresh_task[0], na, na, 0, 1) != 0 ||
	    task_init(&fresh_task[1], nb, nb, 0, 2) != 0)
		return;
	for (i = 0; i < 2; i++) {
		fresh_task[i].barrier = &bar;
		if (spawn(&t[i], fresh_task[i].cpu, fresh_thread,
		    &fresh_task[i]) != 0) {
			/* Stand in for the missing thread at the barriers. */
			if (i == 1) {
				pthread_barrier_wait(&bar);
				pthread_barrier_wait(&bar);
			}
			break;
		}
	}
	while (i-- > 0) {
		join(t[i], &fresh_task[i]);
		tally_add(sum, &fresh_task[i].t);
	}
	pthread_barrier_destroy(&bar);
	for (i = 0; i < 2; i++)
		work_fini(&fresh_task[i].w);
}

static void
scen_migrate(struct tally *sum)
{
	struct task k;
	pthread_t t;
	int dir;

	for (dir = 0; dir < 2; dir++) {
		if (task_init(&k, dir == 0 ? na : nb, dir == 0 ? nb : na, 0,
		    10 + dir) != 0)
			return;
		if (spawn(&t, k.cpu, migrate_thread, &k) == 0) {
			join(t, &k);
			tally_add(sum, &k.t);
		}
		work_fini(&k.w);
	}
}

static void
scen_handoff(struct tally *sum)
{
	struct task prod, cons;
	pthread_barrier_t bar;
	pthread_t tp, tc;
	int dir, from, to;

	for (dir = 0; dir < 2; dir++) {
		from = dir == 0 ? na : nb;
		to = dir == 0 ? nb : na;
		if (task_init(&prod, from, from, 0, 20 + dir) != 0 ||
		    task_init(&cons, to, to, 0, 30 + dir) != 0)
			return;
		pthread_barrier_init(&bar, NULL, 2);
		prod.barrier = cons.barrier = &bar;
		cons.peer = &prod;
		if (spawn(&tp, prod.cpu, producer_thread, &prod) != 0) {
			pthread_barrier_destroy(&bar);
			work_fini(&prod.w);
			work_fini(&cons.w);
			return;
		}
		if (spawn(&tc, cons.cpu, consumer_thread, &cons) != 0) {
			pthread_barrier_wait(&bar);
			work_free(&prod.w);
			pthread_barrier_wait(&bar);
		} else {
			join(tc, &cons);
			tally_add(sum, &cons.t);
		}
		join(tp, &prod);
		pthread_barrier_destroy(&bar);
		work_fini(&prod.w);
		work_fini(&cons.w);
	}
}

static void
scen_exited(struct tally *sum)
{
	struct task first, second;
	pthread_t t;
	int dir, from, to;

	for (dir = 0; dir < 2; dir++) {
		from = dir == 0 ? na : nb;
		to = dir == 0 ? nb : na;
		if (task_init(&first, from, from, 0, 40 + dir) != 0 ||
		    task_init(&second, to, to, 0, 50 + dir) != 0)
			return;
		if (spawn(&t, first.cpu, exiting_thread, &first) == 0) {
			join(t, &first);
			if (spawn(&t, second.cpu, alloc_thread, &second) == 0) {
				join(t, &second);
				tally_add(sum, &second.t);
			}
		}
		work_fini(&first.w);
		work_fini(&second.w);
	}
}

/*
 * 5: an arena bound to one node serves a thread pinned to the other node
 * with pages of the arena's node only.  Returns false if the control
 * interface is missing.
 */
static bool
scen_bound(struct tally *sum, char *why, size_t whylen)
{
	struct task k;
	pthread_t t;
	char name[64];
	size_t len;
	unsigned ind, node;
	int dir, error, bind, other;

	for (dir = 0; dir < 2; dir++) {
		bind = dir == 0 ? nb : na;
		other = dir == 0 ? na : nb;
		len = sizeof(ind);
		if ((error = np_mallctl("arenas.create", &ind, &len, NULL,
		    0)) != 0) {
			snprintf(why, whylen, "mallctl arenas.create: %s",
			    strerror(error));
			return (false);
		}
		node = (unsigned)topo.node[bind];
		snprintf(name, sizeof(name), "arena.%u.numa_node", ind);
		if ((error = np_mallctl(name, NULL, NULL, &node,
		    sizeof(node))) != 0) {
			snprintf(why, whylen, "mallctl %s: %s", name,
			    strerror(error));
			return (false);
		}
		if (task_init(&k, other, bind,
		    MALLOCX_ARENA(ind) | MALLOCX_TCACHE_NONE, 60 + dir) != 0)
			return (true);
		if (spawn(&t, k.cpu, alloc_thread, &k) == 0) {
			join(t, &k);
			tally_add(sum, &k.t);
		}
		work_fini(&k.w);
	}
	return (true);
}

/*
 * Print the scenario's line ("<allocator> <scenario> local=<pct>
 * pages=<n>") and a detail line by size group; returns whether every
 * group that has pages meets the threshold (percent of pages local).
 */
static bool
report(const char *scen, const struct tally *t, unsigned thr)
{
	char pct[32];
	size_t pages, local, absent;
	bool ok;
	int g;

	pages = local = absent = 0;
	ok = true;
	for (g = 0; g < NGROUPS; g++) {
		pages += t->pages[g];
		local += t->local[g];
		absent += t->absent[g];
		if (t->pages[g] > 0 && t->local[g] * 100 < thr * t->pages[g])
			ok = false;
	}
	if (pages == 0)
		ok = false;
	fmt_pct(pct, sizeof(pct), local, pages);
	printf("%s %s local=%s pages=%zu\n", alloc_name, scen, pct, pages);
	printf("# %s %s", alloc_name, scen);
	for (g = 0; g < NGROUPS; g++) {
		if (t->pages[g] == 0)
			continue;
		fmt_pct(pct, sizeof(pct), t->local[g], t->pages[g]);
		printf(" %s=%s/%zu", group_name[g], pct, t->pages[g]);
	}
	printf(" absent=%zu disagree=%zu need=%u%% %s\n", absent, t->disagree,
	    thr, ok ? "ok" : "BELOW");
	if (t->disagree > 0)
		harness_error("%s: the page oracles disagree on %zu pages",
		    scen, t->disagree);
	fflush(stdout);
	return (ok);
}

static void
detect_allocator(char *version, size_t vlen)
{
	const char *v;
	size_t len;

#ifdef PEER_GLIBC
	have_mallctl = false;
#else
	have_mallctl = mallctl != NULL && mallocx != NULL && dallocx != NULL;
#endif
	snprintf(version, vlen, "%s", "-");
	len = sizeof(v);
	/* domalloc's own name first: its "version" is jemalloc's form. */
	if (np_mallctl("domalloc.version", &v, &len, NULL, 0) != 0 &&
	    np_mallctl("version", &v, &len, NULL, 0) != 0) {
		have_mallctl = false;
		alloc_name = "glibc";
		return;
	}
	snprintf(version, vlen, "%s", v);
	if (strncmp(v, "domalloc", 8) == 0) {
		alloc_name = "domalloc";
		is_domalloc = true;
	} else if (v[0] >= '0' && v[0] <= '9')
		alloc_name = "jemalloc";
	else
		alloc_name = "unknown";
}

static void
print_header(const char *version)
{
	struct timespec ts;
	char bal[32], thp[96];
	int i;

	if (read_line("/proc/sys/kernel/numa_balancing", bal,
	    sizeof(bal)) != 0)
		snprintf(bal, sizeof(bal), "?");
	if (read_line("/sys/kernel/mm/transparent_hugepage/enabled", thp,
	    sizeof(thp)) != 0)
		snprintf(thp, sizeof(thp), "?");
	clock_gettime(CLOCK_BOOTTIME, &ts);
	printf("# numa_place: allocator=%s version=%s uptime=%ld.%02lds\n",
	    alloc_name, version, (long)ts.tv_sec, ts.tv_nsec / 10000000);
	printf("# nodes=%d", topo.nnodes);
	for (i = 0; i < topo.nnodes; i++)
		printf(" node%d:cpu%d", topo.node[i], topo.cpu[i]);
	printf(" numa_balancing=%s thp=\"%s\" oracle=move_pages"
	    "+get_mempolicy%s\n", bal, thp,
#ifdef HAVE_LIBNUMA
	    "+libnuma"
#else
	    ""
#endif
	    );
#ifdef HAVE_LIBNUMA
	if (numa_available() >= 0) {
		printf("# libnuma: configured nodes=%d",
		    numa_num_configured_nodes());
		for (i = 0; i < topo.nnodes; i++)
			printf(" cpu%d->node%d", topo.cpu[i],
			    numa_node_of_cpu(topo.cpu[i]));
		printf("\n");
		for (i = 0; i < topo.nnodes; i++)
			if (numa_node_of_cpu(topo.cpu[i]) != topo.node[i])
				harness_error("libnuma puts CPU %d on node %d,"
				    " sysfs on node %d", topo.cpu[i],
				    numa_node_of_cpu(topo.cpu[i]),
				    topo.node[i]);
	} else
		printf("# libnuma: numa_available() < 0\n");
#endif
	fflush(stdout);
}

/* The mallctl figures the brief asks for: arenas.nnodes, thread.numa_node. */
static void
print_mallctl_info(void)
{
	unsigned nn;
	size_t len;
	int error, i;

	if (!have_mallctl)
		return;
	len = sizeof(nn);
	printf("# %s mallctl arenas.nnodes=", alloc_name);
	if ((error = np_mallctl("arenas.nnodes", &nn, &len, NULL, 0)) == 0)
		printf("%u", nn);
	else
		printf("(%s)", strerror(error));
	for (i = 0; i < 2; i++) {
		printf(" thread.numa_node@node%d=", topo.node[i == 0 ? na :
		    nb]);
		if (fresh_task[i].thread_node_err == 0)
			printf("%u", fresh_task[i].thread_node);
		else
			printf("(%s)", strerror(fresh_task[i].thread_node_err));
	}
	printf("\n");
}

static int
measure_all(bool vm)
{
	struct tally t;
	char version[128], why[160];
	bool ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pagesize = (size_t)sysconf(_SC_PAGESIZE);
	detect_allocator(version, sizeof(version));
	topo_read();
	print_header(version);
	na = 0;
	nb = topo.nnodes > 1 ? 1 : 0;
	if (topo.nnodes < 2) {
		if (vm) {
			harness_error("the VM shows %d NUMA node(s), not 2",
			    topo.nnodes);
			printf("RESULT fail (harness: %s)\n", harness_why);
			return (EXIT_ERROR);
		}
		printf("# one node: every page is local; this run only "
		    "checks the program\n");
	}

	ok = true;
	memset(&t, 0, sizeof(t));
	scen_control(&t);
	if (!report("0-control", &t, 99))
		harness_error("plain mmap pages are not local: the VM or "
		    "the oracle is broken");
	memset(&t, 0, sizeof(t));
	scen_fresh(&t);
	ok &= report("1-fresh", &t, 99);
	memset(&t, 0, sizeof(t));
	scen_migrate(&t);
	ok &= report("2-migrate", &t, 95);
	memset(&t, 0, sizeof(t));
	scen_handoff(&t);
	ok &= report("3-handoff", &t, 95);
	memset(&t, 0, sizeof(t));
	scen_exited(&t);
	ok &= report("4-exited", &t, 95);
	memset(&t, 0, sizeof(t));
	if (!is_domalloc)
		printf("%s 5-bound n/a\n", alloc_name);
	else if (!scen_bound(&t, why, sizeof(why))) {
		printf("%s 5-bound local=0.00 pages=0\n", alloc_name);
		printf("# %s 5-bound %s BELOW\n", alloc_name, why);
		ok = false;
	} else
		ok &= report("5-bound", &t, 100);
	print_mallctl_info();

	if (harness_failed) {
		printf("RESULT fail (harness: %s)\n", harness_why);
		return (EXIT_ERROR);
	}
	if (!is_domalloc) {
		printf("# thresholds apply to domalloc only; %s is measured "
		    "for comparison\n", alloc_name);
		ok = true;
	}
	printf("RESULT %s\n", ok ? "pass" : "fail");
	return (ok ? EXIT_PASS : EXIT_FAIL);
}

/*
 * Process 1 prints with say() (a stack buffer and write(2)), never with
 * stdio: it does not allocate, so a broken allocator can hurt only the
 * measuring child, which process 1 then reports.
 */
static void
say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	/* A console that refuses output leaves nowhere to complain. */
	if (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) < 0)
		return;
}

static void
say_uptime(const char *what)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	say("# numa_place: %s at uptime %ld.%02lds\n", what, (long)ts.tv_sec,
	    ts.tv_nsec / 10000000);
}

/* Leave the VM with code (isa-debug-exit), or else power it off. */
static void
vm_exit(int code)
{

	tcdrain(STDOUT_FILENO);
	if (ioperm(DEBUG_EXIT_PORT, 4, 1) == 0)
		outb((unsigned char)code, DEBUG_EXIT_PORT);
	/* No debug-exit device: qemu -no-reboot stops with status 0. */
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static void
mount_one(const char *src, const char *dir, const char *type)
{

	mkdir(dir, 0755);
	if (mount(src, dir, type, 0, NULL) != 0 && errno != EBUSY)
		say("# numa_place: mount %s on %s: %s\n", type, dir,
		    strerror(errno));
}

/*
 * Process 1: mount, take the console, run the measurement in a child that
 * starts afresh from /proc/self/exe, and turn its end into a VM exit code.
 */
static void
init_main(void)
{
	const char *conf;
	pid_t pid;
	int fd, status;

	mount_one("devtmpfs", "/dev", "devtmpfs");
	if ((fd = open("/dev/console", O_RDWR | O_NOCTTY)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	mount_one("proc", "/proc", "proc");
	mount_one("sysfs", "/sys", "sysfs");
	say_uptime("init");

	pid = fork();
	if (pid == 0) {
		/*
		 * The kernel hands unknown name=value words of its command
		 * line to init as environment: NUMA_PLACE_MALLOC_CONF=...
		 * becomes the measuring process's MALLOC_CONF (a plain
		 * MALLOC_CONF would reach process 1 too).
		 */
		if ((conf = getenv("NUMA_PLACE_MALLOC_CONF")) != NULL)
			setenv("MALLOC_CONF", conf, 1);
		execl("/proc/self/exe", "numa_place", "--vm", (char *)NULL);
		say("RESULT fail (harness: exec /proc/self/exe: %s)\n",
		    strerror(errno));
		_exit(EXIT_ERROR);
	}
	if (pid < 0) {
		say("RESULT fail (harness: fork: %s)\n", strerror(errno));
		vm_exit(VM_ERROR);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	say_uptime("done");
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_PASS)
		vm_exit(VM_PASS);
	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_FAIL)
		vm_exit(VM_FAIL);
	if (WIFSIGNALED(status))
		say("RESULT fail (harness: the measuring process was killed "
		    "by signal %d)\n", WTERMSIG(status));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != EXIT_ERROR)
		say("RESULT fail (harness: the measuring process exited with "
		    "status %d)\n", WEXITSTATUS(status));
	vm_exit(VM_ERROR);
}

int
main(int argc, char **argv)
{

	if (argc > 1 && strcmp(argv[1], "--vm") == 0)
		return (measure_all(true));
	if (argc > 1) {
		fprintf(stderr, "usage: numa_place [--vm]\n");
		return (EXIT_ERROR);
	}
	if (getpid() == 1)
		init_main();
	return (measure_all(false));
}
