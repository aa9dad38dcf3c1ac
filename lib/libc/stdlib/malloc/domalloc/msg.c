/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * msg.c: the message funnel and a small printf-style formatter that
 * never allocates (%s %c %d %i %u %x %p %% with the l, ll and z length
 * modifiers, and a field width with optional 0 flag).  Used for errors
 * and by the statistics printer.  No locking.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "pal.h"

static void
msg_default_write(void *cbopaque, const char *s)
{
	(void)cbopaque;
	pal_write_err(s, strlen(s));
}

DM_EXPORT void (*malloc_message)(void *, const char *) = NULL;

struct fmt_out {
	char	*buf;
	size_t	 len;
	size_t	 pos;
};

static void
fmt_putc(struct fmt_out *o, char c)
{
	if (o->pos + 1 < o->len)
		o->buf[o->pos] = c;
	o->pos++;
}

static void
fmt_num(struct fmt_out *o, uint64_t v, bool neg, unsigned base, int width,
    char pad)
{
	char tmp[24];
	int n;

	n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	if (neg)
		tmp[n++] = '-';
	while (width-- > n)
		fmt_putc(o, pad);
	while (n > 0)
		fmt_putc(o, tmp[--n]);
}

size_t
fmt_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
	struct fmt_out o = { buf, len, 0 };
	const char *s;
	uint64_t u;
	int64_t i;
	int lng, width, slen;
	char pad;

	for (; *fmt != '\0'; fmt++) {
		if (*fmt != '%') {
			fmt_putc(&o, *fmt);
			continue;
		}
		fmt++;
		pad = ' ';
		width = 0;
		bool left = false;
		if (*fmt == '-') {
			left = true;
			fmt++;
		}
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		lng = 0;
		while (*fmt == 'l' || *fmt == 'z') {
			lng = 2;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i':
			i = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			fmt_num(&o, i < 0 ? (uint64_t)-i : (uint64_t)i, i < 0,
			    10, width, pad);
			break;
		case 'u':
		case 'x':
			u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			fmt_num(&o, u, false, *fmt == 'x' ? 16 : 10, width,
			    pad);
			break;
		case 'p':
			fmt_putc(&o, '0');
			fmt_putc(&o, 'x');
			fmt_num(&o, (uintptr_t)va_arg(ap, void *), false, 16,
			    0, ' ');
			break;
		case 's':
			s = va_arg(ap, const char *);
			if (s == NULL)
				s = "(null)";
			slen = (int)strlen(s);
			if (!left)
				while (width-- > slen)
					fmt_putc(&o, ' ');
			while (*s != '\0')
				fmt_putc(&o, *s++);
			if (left)
				while (width-- > slen)
					fmt_putc(&o, ' ');
			break;
		case 'c':
			fmt_putc(&o, (char)va_arg(ap, int));
			break;
		case '%':
			fmt_putc(&o, '%');
			break;
		default:
			fmt_putc(&o, '%');
			if (*fmt == '\0')
				goto out;
			fmt_putc(&o, *fmt);
			break;
		}
	}
out:
	if (len > 0)
		buf[o.pos < len ? o.pos : len - 1] = '\0';
	return (o.pos);
}

size_t
fmt_snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return (n);
}

void
msg_write(const char *s)
{
	if (malloc_message != NULL)
		malloc_message(NULL, s);
	else
		msg_default_write(NULL, s);
}

static void
msg_vprefixed(const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	n = fmt_snprintf(buf, sizeof(buf), "<domalloc>: ");
	fmt_vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	n = strlen(buf);
	buf[n] = '\n';
	buf[n + 1] = '\0';
	msg_write(buf);
}

void
msg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vprefixed(fmt, ap);
	va_end(ap);
}

void
msg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vprefixed(fmt, ap);
	va_end(ap);
	abort();
}
