/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A growable, NULL-terminated argument vector for execv(). */
#ifndef HVDUMP_UTIL_ARGV_H
#define HVDUMP_UTIL_ARGV_H

#include <stddef.h>

struct argv {
	char **v;    /* always NULL-terminated once anything was added */
	size_t n, cap;
	int err;     /* first allocation failure, reported by argv_error() */
};

/* Append a copy of S.  Failures are sticky: check argv_error() once at the end. */
void argv_add(struct argv *a, const char *s);
void argv_addf(struct argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int argv_error(const struct argv *a);
void argv_free(struct argv *a);

/* Render as a shell-quoted single line (for logs), malloc'd; NULL on allocation failure. */
char *argv_join(const struct argv *a);

#endif
