/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * msg.h: diagnostics.  Every message the allocator prints goes through
 * malloc_message (public, replaceable by the program), prefixed with
 * "<domalloc>: ".  msg_fatal() is the single funnel for unrecoverable
 * errors: it prints and aborts.  The formatter (msg.c) never allocates.
 * No locking: messages are written whole with one call.
 */
#ifndef MSG_H
#define	MSG_H

#include <stdarg.h>
#include <stddef.h>

#include "util.h"

extern void (*malloc_message)(void *, const char *);

size_t	fmt_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap);
size_t	fmt_snprintf(char *buf, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

void	msg_write(const char *s);
void	msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	msg_fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn, cold));

#endif /* !MSG_H */
