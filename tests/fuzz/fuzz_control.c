// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: control_parse(), a request line on the control socket.  First byte, bit 0
// set: the rest is the line (in a buffer of exactly its size).  It traps on a result that is
// no enum control_cmd, a result that changes with bytes after the line or with blanks around
// it, or a command found in what is not a JSON object.  Bit 0 clear: a request built from the
// rest ({KEY: VALUE} with KEY "cmd" or other bytes, VALUE a string of the input's bytes, a
// number, null or an object, other members around it, every character \u-escaped, the object
// in an array: bits of the second byte), and the result must be what control.h says: the
// command whose name is VALUE exactly, CONTROL_UNKNOWN for another string (never a command
// for a string with a NUL or a byte that is not UTF-8, which may be CONTROL_BAD), and
// CONTROL_BAD without a "cmd" string in an object.
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LINE_MAX_BYTES 4096 /* control.c's CONTROL_MAX_REQUEST */

static bool known(enum control_cmd c)
{
	return c == CONTROL_STATUS || c == CONTROL_SAVE_RESUME || c == CONTROL_SAVE_DISCARD;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void text_mode(const char *text, size_t len)
{
	static char buf[3 * LINE_MAX_BYTES];
	enum control_cmd c = control_parse(text, len);
	size_t a = 0, e = len;

	if (c != CONTROL_BAD && c != CONTROL_UNKNOWN && !known(c))
		__builtin_trap();
	/* what follows the line is not the request's */
	memcpy(buf, text, len);
	memcpy(buf + len, "\n{\"cmd\": \"status\"}", 19);
	if (control_parse(buf, len) != c)
		__builtin_trap();
	/* blanks around it change nothing */
	memcpy(buf, " \t", 2);
	memcpy(buf + 2, text, len);
	memcpy(buf + 2 + len, "\r\n ", 3);
	if (control_parse(buf, len + 5) != c)
		__builtin_trap();
	/* anything else than CONTROL_BAD came from an object */
	while (a < len && blank(text[a]))
		a++;
	while (e > a && blank(text[e - 1]))
		e--;
	if (c != CONTROL_BAD && (e - a < 2 || text[a] != '{' || text[e - 1] != '}'))
		__builtin_trap();
}

/* Is S[0, N) UTF-8 as RFC 3629 has it (no overlong forms, no surrogates, at most U+10FFFF)? */
static bool utf8(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp, min;
		size_t k;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0)
			k = 1, cp = s[i] & 0x1f, min = 0x80;
		else if ((s[i] & 0xf0) == 0xe0)
			k = 2, cp = s[i] & 0x0f, min = 0x800;
		else if ((s[i] & 0xf8) == 0xf0)
			k = 3, cp = s[i] & 0x07, min = 0x10000;
		else
			return false;
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/* S[0, N) as a JSON string at OUT: quotes, backslashes and control characters escaped (all
 * of ASCII with ALL), other bytes as they are.  The length written. */
static size_t put_string(char *out, const uint8_t *s, size_t n, bool all)
{
	size_t o = 0;

	out[o++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] == '"' || s[i] == '\\' || (all && s[i] < 0x80))
			o += (size_t)sprintf(out + o, "\\u%04x", s[i]);
		else
			out[o++] = (char)s[i];
	}
	out[o++] = '"';
	return o;
}

static void request_mode(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "status", "save-resume", "save-discard" };
	static const enum control_cmd cmds[] = { CONTROL_STATUS, CONTROL_SAVE_RESUME,
						 CONTROL_SAVE_DISCARD };
	static char req[8 * LINE_MAX_BYTES];
	uint8_t f = size > 1 ? data[1] : 0;
	const uint8_t *key = (const uint8_t *)"cmd", *val;
	size_t klen = 3, vlen, o = 0;
	bool all = f & 0x20, is_cmd, string = (f >> 1 & 3) == 0;
	enum control_cmd want = CONTROL_BAD, c;

	data += size > 1 ? 2 : size;
	size -= size > 1 ? 2 : size;
	if (!(f & 1) && size) {
		/* a key of its own: the first byte says how long */
		klen = data[0] % 8 < size ? data[0] % 8 : size - 1;
		key = data + 1;
		data += 1 + klen;
		size -= 1 + klen;
	}
	val = data;
	vlen = size < LINE_MAX_BYTES ? size : LINE_MAX_BYTES;
	is_cmd = klen == 3 && !memcmp(key, "cmd", 3);

	if (f & 0x40)
		req[o++] = '[';
	req[o++] = '{';
	if (f & 0x08)
		o += (size_t)sprintf(req + o, "\"x\": [1, {\"y\": null}], ");
	o += put_string(req + o, key, klen, all);
	req[o++] = ':';
	switch (f >> 1 & 3) {
	case 0: o += put_string(req + o, val, vlen, all); break;
	case 1: o += (size_t)sprintf(req + o, "%zu", vlen); break;
	case 2: o += (size_t)sprintf(req + o, "null"); break;
	case 3: o += (size_t)sprintf(req + o, "{\"cmd\": \"status\"}"); break;
	}
	if (f & 0x10)
		o += (size_t)sprintf(req + o, ", \"z\": \"status\"");
	req[o++] = '}';
	if (f & 0x40)
		req[o++] = ']';

	c = control_parse(req, o);
	if (!(f & 0x40) && is_cmd && string) {
		want = CONTROL_UNKNOWN;
		for (size_t i = 0; i < 3; i++)
			if (vlen == strlen(names[i]) && !memcmp(val, names[i], vlen))
				want = cmds[i];
	}
	if (!utf8(key, klen) || memchr(key, 0, klen) ||
	    (string && (!utf8(val, vlen) || memchr(val, 0, vlen)))) {
		/* jansson refuses the text: no command, whatever the rest says */
		if (known(c))
			__builtin_trap();
		return;
	}
	if (c != want)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		size_t len = size - 1 < LINE_MAX_BYTES ? size - 1 : LINE_MAX_BYTES;
		char *text = malloc(len ? len : 1);
		if (!text)
			return 0;
		memcpy(text, data + 1, len);
		text_mode(text, len);
		free(text);
	} else {
		request_mode(data, size);
	}
	return 0;
}
