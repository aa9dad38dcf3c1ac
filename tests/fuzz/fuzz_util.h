/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * fuzz_util.h: what the libFuzzer targets of this directory share: the
 * failure report (a line on stderr, then abort, which libFuzzer turns
 * into a crash report with the input).  No state.
 */
#ifndef FUZZ_UTIL_H
#define	FUZZ_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void __attribute__((noreturn, format(printf, 2, 3)))
fuzz_fail(const char *who, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", who, buf);
	abort();
}

#endif /* !FUZZ_UTIL_H */
