// SPDX-License-Identifier: GPL-2.0-or-later
// Argument vectors; errors are sticky so builders read as a plain list of arguments.
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/argv.h"

static void push(struct argv *a, char *s)
{
	if (!s) {
		a->err = -ENOMEM;
		return;
	}
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		char **nv = realloc(a->v, cap * sizeof(*nv));
		if (!nv) {
			free(s);
			a->err = -ENOMEM;
			return;
		}
		a->v = nv;
		a->cap = cap;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void argv_add(struct argv *a, const char *s) { push(a, strdup(s)); }

void argv_addf(struct argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	push(a, s);
}

int argv_error(const struct argv *a) { return a->err; }

void argv_free(struct argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

char *argv_join(const struct argv *a)
{
	size_t len = 1;
	char *out, *p;

	for (size_t i = 0; i < a->n; i++)
		len += strlen(a->v[i]) * 4 + 3;
	out = malloc(len);
	if (!out)
		return NULL;
	p = out;
	for (size_t i = 0; i < a->n; i++) {
		const char *s = a->v[i];
		int plain = *s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						   "0123456789-_=,./:+@%") == strlen(s);
		if (i)
			*p++ = ' ';
		if (plain) {
			p = stpcpy(p, s);
			continue;
		}
		*p++ = '\'';
		for (; *s; s++) {
			if (*s == '\'')
				p = stpcpy(p, "'\\''");
			else
				*p++ = *s;
		}
		*p++ = '\'';
	}
	*p = '\0';
	return out;
}
