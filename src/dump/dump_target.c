// SPDX-License-Identifier: GPL-2.0-or-later
// ssh:// dump targets.  The parts end up as ssh's arguments (-l USER, -p PORT, HOST after
// "--") and in remote commands (PATH, single-quoted), so each is held to a narrow alphabet:
// what a user or host name can be, never what an option or a shell could make something of.
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dump/dump_target.h"
#include "util/why.h"

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode S[0, LEN) into OUT (OUTLEN with the NUL).  0, or -EINVAL: a bad escape, a
 * control character (raw or decoded), or too long. */
static int decode(const char *s, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int h, l;
			if (i + 2 >= len)
				return -EINVAL;
			h = hexval(s[i + 1]);
			l = hexval(s[i + 2]);
			if (h < 0 || l < 0)
				return -EINVAL;
			c = (unsigned char)(h << 4 | l);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || o + 1 >= outlen)
			return -EINVAL;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static bool user_ok(const char *u)
{
	size_t n = strlen(u);

	if (!n || n > 32 || u[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(u[i]) && u[i] != '.' && u[i] != '_' && u[i] != '-')
			return false;
	return true;
}

static bool name_ok(const char *h)
{
	size_t n = strlen(h);

	if (!n || n > 253 || h[0] == '-' || h[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(h[i]) && h[i] != '.' && h[i] != '-' && h[i] != '_')
			return false;
	return true;
}

/* An IPv6 address as it stands between brackets, its zone (%25ZONE) decoded into OUT. */
static bool ipv6_ok(const char *s, size_t len, char *out, size_t outlen)
{
	size_t colons = 0, i;

	for (i = 0; i < len && s[i] != '%'; i++) {
		if (s[i] == ':')
			colons++;
		else if (hexval(s[i]) < 0 && s[i] != '.')
			return false;
	}
	if (colons < 2 || i == 0)
		return false;
	if (i < len) { /* a zone: %25 then a name */
		if (len - i < 4 || strncmp(s + i, "%25", 3) != 0)
			return false;
		for (size_t k = i + 3; k < len; k++)
			if (!is_alnum(s[k]) && s[k] != '.' && s[k] != '_' && s[k] != '-')
				return false;
	}
	if (decode(s, len, out, outlen) < 0)
		return false;
	return out[0] != '-';
}

/* HOST[:PORT] (AUTH[0, LEN)) into T.  0 or -EINVAL with WHY. */
static int parse_hostport(const char *auth, size_t len, struct dump_target *t, char *why,
			  size_t whylen)
{
	const char *port = NULL;
	size_t hlen = len;

	if (len && auth[0] == '[') {
		const char *close = memchr(auth, ']', len);
		if (!close || !ipv6_ok(auth + 1, (size_t)(close - auth - 1), t->host,
				       sizeof(t->host))) {
			why_set(why, whylen, "an IPv6 address goes in brackets, as in [::1] or "
				"[fe80::1%%25eth0]");
			return -EINVAL;
		}
		if (close + 1 < auth + len && close[1] != ':') {
			why_set(why, whylen, "only a :PORT may follow the ] of an IPv6 address");
			return -EINVAL;
		}
		port = close + 1 < auth + len ? close + 2 : NULL;
	} else {
		const char *colon = memchr(auth, ':', len);
		if (colon) {
			hlen = (size_t)(colon - auth);
			port = colon + 1;
		}
		if (hlen >= sizeof(t->host) || decode(auth, hlen, t->host, sizeof(t->host)) < 0 ||
		    !name_ok(t->host)) {
			why_set(why, whylen, "%s: not a host name or address (letters, digits, "
				"'.', '-', '_'; not starting with '-' or '.')",
				hlen ? "the host" : "no host: the host");
			return -EINVAL;
		}
	}
	if (port) {
		size_t plen = (size_t)(auth + len - port);
		unsigned long v = 0;

		for (size_t i = 0; i < plen && v <= 65535; i++)
			v = port[i] >= '0' && port[i] <= '9' ? v * 10 + (unsigned)(port[i] - '0')
							     : 65536;
		if (!plen || plen > 5 || !v || v > 65535) {
			why_set(why, whylen, "the port must be a number from 1 to 65535");
			return -EINVAL;
		}
		t->port = (unsigned)v;
	}
	return 0;
}

/* PATH (S[0, LEN), starting with '/') into T.  0 or -EINVAL with WHY. */
static int parse_path(const char *s, size_t len, struct dump_target *t, char *why,
		      size_t whylen)
{
	char p[OFFHOST_PATH_MAX];
	size_t n;

	if (memchr(s, '?', len) || memchr(s, '#', len)) {
		why_set(why, whylen, "no query (?) or fragment (#) in a dump target");
		return -EINVAL;
	}
	if (decode(s, len, p, sizeof(p)) < 0) {
		why_set(why, whylen, "the path: a bad %%XX escape, a control character, or longer "
			"than %d bytes", OFFHOST_PATH_MAX - 1);
		return -EINVAL;
	}
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	if (!strcmp(p, "/~") || !strncmp(p, "/~/", 3)) {
		t->home = true;
		snprintf(t->path, sizeof(t->path), "%s", p[2] ? p + 3 : "");
	} else if (p[1] == '~') {
		why_set(why, whylen, "the path: /~ or /~/DIR for the remote home; not another "
			"user's (~USER)");
		return -EINVAL;
	} else {
		snprintf(t->path, sizeof(t->path), "%s", p);
	}
	return 0;
}

int dump_target_parse(const char *url, struct dump_target *t, char *why, size_t whylen)
{
	static const char scheme[] = "ssh://";
	const char *auth, *slash, *at;
	size_t alen;
	int r;

	memset(t, 0, sizeof(*t));
	if (strncmp(url, scheme, sizeof(scheme) - 1) != 0) {
		why_set(why, whylen, "a dump target is ssh://[USER@]HOST[:PORT]/PATH");
		return -EINVAL;
	}
	if (strlen(url) >= sizeof(t->url)) {
		why_set(why, whylen, "the URL is too long");
		return -EINVAL;
	}
	auth = url + sizeof(scheme) - 1;
	slash = strchr(auth, '/');
	if (!slash) {
		why_set(why, whylen, "no path: ssh://[USER@]HOST[:PORT]/PATH (/~/DIR for one "
			"under the remote home)");
		return -EINVAL;
	}
	alen = (size_t)(slash - auth);
	at = memchr(auth, '@', alen);
	if (at) {
		size_t ulen = (size_t)(at - auth);
		if (memchr(auth, ':', ulen)) {
			why_set(why, whylen, "no password in a dump target: ssh uses keys "
				"(--identity FILE)");
			return -EINVAL;
		}
		if (ulen >= sizeof(t->user) || decode(auth, ulen, t->user, sizeof(t->user)) < 0 ||
		    !user_ok(t->user)) {
			why_set(why, whylen, "the user: 1 to 32 letters, digits, '.', '_' or '-' "
				"(not first)");
			return -EINVAL;
		}
		alen -= ulen + 1;
		auth = at + 1;
	}
	r = parse_hostport(auth, alen, t, why, whylen);
	if (r == 0)
		r = parse_path(slash, strlen(slash), t, why, whylen);
	if (r < 0)
		return r;
	snprintf(t->url, sizeof(t->url), "%s", url);
	snprintf(t->where, sizeof(t->where), "%s%s%s%s%s", t->user, t->user[0] ? "@" : "",
		 strchr(t->host, ':') ? "[" : "", t->host, strchr(t->host, ':') ? "]" : "");
	if (t->port) {
		size_t l = strlen(t->where);
		snprintf(t->where + l, sizeof(t->where) - l, ":%u", t->port);
	}
	return 0;
}
