/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "why" buffer of the parsers and readers: one line saying what was wrong, written only
 * when the caller gave room for it. */
#ifndef HVDUMP_UTIL_WHY_H
#define HVDUMP_UTIL_WHY_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline void why_set(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline void why_set(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

#endif
