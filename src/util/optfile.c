// SPDX-License-Identifier: GPL-2.0-or-later
// A file of long options, one per line (optfile.h).
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/optfile.h"

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *trim_end(const char *p, const char *end)
{
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	return end;
}

static const struct option *find(const struct option *opts, const char *k, size_t klen)
{
	for (; opts->name; opts++)
		if (strlen(opts->name) == klen && memcmp(opts->name, k, klen) == 0)
			return opts;
	return NULL;
}

static bool refused_name(const char *const *refused, const char *k, size_t klen)
{
	for (; refused && *refused; refused++)
		if (strlen(*refused) == klen && memcmp(*refused, k, klen) == 0)
			return true;
	return false;
}

static bool is(const char *v, size_t vlen, const char *word)
{
	return strlen(word) == vlen && strncasecmp(v, word, vlen) == 0;
}

/* One line [P, END) (no newline), number NO: its word into OUT, or nothing.  0 or -EINVAL. */
static int one_line(const char *p, const char *end, unsigned no, const char *name,
		    const struct option *opts, const char *const *refused, struct argv *out,
		    char *why, size_t whylen)
{
	const char *k, *kend, *v = NULL, *vend = NULL;
	const struct option *o;

	p = skip_space(p, end);
	end = trim_end(p, end);
	if (p == end || *p == '#')
		return 0;
	k = p;
	while (p < end && *p != '=' && *p != ' ' && *p != '\t')
		p++;
	kend = p;
	p = skip_space(p, end);
	if (p < end && *p == '=') {
		v = skip_space(p + 1, end);
		vend = end;
		if (vend - v >= 2 && *v == '"' && vend[-1] == '"') {
			v++;
			vend--;
		}
	} else if (p < end) {
		snprintf(why, whylen, "%s:%u: '%.*s': expected NAME or NAME = VALUE", name, no,
			 (int)(end - k), k);
		return -EINVAL;
	}
	o = kend > k ? find(opts, k, (size_t)(kend - k)) : NULL;
	if (!o || refused_name(refused, k, (size_t)(kend - k))) {
		snprintf(why, whylen, "%s:%u: '%.*s' is not an option here (the command's long "
			 "options, without the dashes)", name, no, (int)(kend - k), k);
		return -EINVAL;
	}
	if (o->has_arg == no_argument) {
		if (!v || is(v, (size_t)(vend - v), "yes") || is(v, (size_t)(vend - v), "true")) {
			argv_addf(out, "--%s", o->name);
			return 0;
		}
		if (is(v, (size_t)(vend - v), "no") || is(v, (size_t)(vend - v), "false"))
			return 0;
		snprintf(why, whylen, "%s:%u: %s takes no value (or yes/no)", name, no, o->name);
		return -EINVAL;
	}
	if (!v || v == vend) {
		snprintf(why, whylen, "%s:%u: %s needs a value (%s = VALUE)", name, no, o->name,
			 o->name);
		return -EINVAL;
	}
	argv_addf(out, "--%s=%.*s", o->name, (int)(vend - v), v);
	return 0;
}

int optfile_parse(const char *text, size_t len, const char *name, const struct option *opts,
		  const char *const *refused, struct argv *out, char *why, size_t whylen)
{
	const char *p = text, *end = text + len;
	unsigned no = 0;

	if (len > OPTFILE_MAX) {
		snprintf(why, whylen, "%s: more than %u bytes", name, OPTFILE_MAX);
		return -EINVAL;
	}
	if (memchr(text, '\0', len)) {
		snprintf(why, whylen, "%s: a NUL byte: not a text file", name);
		return -EINVAL;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		int r;

		no++;
		if (le - p > (long)OPTFILE_LINE_MAX) {
			snprintf(why, whylen, "%s:%u: a line longer than %u bytes", name, no,
				 OPTFILE_LINE_MAX);
			return -EINVAL;
		}
		r = one_line(p, le, no, name, opts, refused, out, why, whylen);
		if (r < 0)
			return r;
		p = nl ? nl + 1 : end;
	}
	return argv_error(out) ? -ENOMEM : 0;
}
