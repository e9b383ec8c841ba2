/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small TAP producer for hvdump's test programs (prove reads the output). */
#ifndef HVDUMP_TESTS_TAP_H
#define HVDUMP_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static inline void tap_plan(int n) { printf("1..%d\n", n); fflush(stdout); }

/* Print the plan after the tests when the count is not known up front. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

static inline void tap_skip_all(const char *why)
{
	printf("1..0 # SKIP %s\n", why);
	fflush(stdout);
}

static inline void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
}

static inline int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

#define TAP_STR(x) #x
#define tap_is_int(got, want, name)                                                       \
	do {                                                                              \
		long long _g = (long long)(got), _w = (long long)(want);                  \
		if (!tap_ok(_g == _w, "%s", name))                                        \
			tap_diag("  got %lld, want %lld (%s)", _g, _w, TAP_STR(got));     \
	} while (0)
#define tap_is_str(got, want, name)                                                       \
	do {                                                                              \
		const char *_g = (got), *_w = (want);                                     \
		int _eq = (_g && _w) ? strcmp(_g, _w) == 0 : _g == _w;                    \
		if (!tap_ok(_eq, "%s", name))                                             \
			tap_diag("  got \"%s\", want \"%s\"", _g ? _g : "(null)",         \
				 _w ? _w : "(null)");                                     \
	} while (0)

#endif
