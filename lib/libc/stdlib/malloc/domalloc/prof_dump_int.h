/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * prof_dump_int.h: helpers shared by the profile writers, prof_dump.c
 * (heap_v2 text, leak summary, recent-allocation JSON) and prof_pb.c
 * (pprof profile.proto).  Everything here is defined in prof_dump.c.
 *
 * The writers never call malloc and never use stdio: output goes through
 * a small buffer on the caller's stack (struct pd_out) to write(2), and
 * larger scratch memory comes from pal_map().  The library is not linked
 * with libm (libdomalloc.so links -pthread only, and libc cannot depend
 * on libm), so exp() is our own (pd_expm1()).
 * Synchronization: none here; the writers keep no static state, so two
 * dumps may run at once (prof.c serialises them with its dump lock).
 */
#ifndef PROF_DUMP_INT_H
#define	PROF_DUMP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prof_snap.h"

/*
 * A write(2) buffer; err is the first errno met (0: none).  With gz, the
 * output is a gzip file of stored (uncompressed) deflate blocks, one per
 * buffer flush: readers that insist on gzip accept it, and it needs no
 * compressor state.
 */
#define	PD_OUT_SIZE	4096
struct pd_out {
	int		fd;
	int		err;
	bool		gz;
	uint32_t	crc;		/* gz: CRC-32 of the data so far */
	uint32_t	isize;		/* gz: data length mod 2^32 */
	size_t		n;
	char		buf[PD_OUT_SIZE];
	uint32_t	crctab[256];	/* gz only */
};

void	pd_out_init(struct pd_out *o, int fd, bool gz);
void	pd_out_bytes(struct pd_out *o, const void *p, size_t len);
void	pd_out_str(struct pd_out *o, const char *s);
void	pd_out_fmt(struct pd_out *o, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Flush; returns the first error of the whole output (0: none). */
int	pd_out_flush(struct pd_out *o);
/* write(2) all of p, retrying on EINTR and short writes; 0 or errno. */
int	pd_write_all(int fd, const void *p, size_t len);

/* e^x - 1, accurate near 0 (no libm); and round-half-up to integers. */
double		pd_expm1(double x);
uint64_t	pd_round_u64(double v);
int64_t		pd_round_i64(double v);

/*
 * Whether a context goes into a dump: in-use objects != 0, or with
 * prof_accum accumulated objects != 0; never one without frames.
 */
bool	pd_ctx_dumped(const struct prof_snap *s,
	    const struct prof_snap_ctx *c);

/*
 * The whole of /proc/self/maps in memory mapped by pal_map(): *lenp bytes
 * of text, *mapsizep the size to give back with pal_unmap().  NULL (and
 * errno set) if it cannot be read.
 */
char	*pd_maps_read(size_t *lenp, size_t *mapsizep);

/*
 * The pprof writer (prof_pb.c), gzip-wrapped if gz; 0 or an errno value.
 * prof_dump_write(PROF_FORMAT_PPROF) writes it uncompressed.
 */
int	prof_pb_write(int fd, const struct prof_snap *s, bool gz);

#endif /* !PROF_DUMP_INT_H */
