// SPDX-License-Identifier: GPL-2.0-or-later
// The crashed kernel's command line: saved_command_line, through kallsyms and the direct map
// (kcmdline.h has the map and the checks).
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/why.h"
#include "format/kcmdline.h"
#include "format/kmap.h"
#include "format/le.h"
#include "format/vmcoreinfo.h"

#define PAGE 4096u

#define say why_set

struct kc {
	const char *info;
	size_t len;
	struct kallsyms *ks;
	kallsyms_read_fn rd;
	void *ctx;
	char *why;
	size_t whylen;
};

static int read_var(const struct kc *k, const char *name, uint64_t *val)
{
	return kmap_read_var(k->info, k->len, k->ks, k->rd, k->ctx, name, val, k->why, k->whylen);
}

/* Up to KCMDLINE_SIZE bytes at PA into BUF, a page at a time, stopping after the page that
 * holds a NUL.  Returns the bytes read up to and including the NUL, or an error. */
static int read_string(const struct kc *k, uint64_t pa, char *buf)
{
	size_t got = 0;

	while (got < KCMDLINE_SIZE) {
		size_t n = PAGE - (size_t)(pa % PAGE), nul;
		int r;

		if (n > KCMDLINE_SIZE - got)
			n = KCMDLINE_SIZE - got;
		r = k->rd(k->ctx, pa, buf + got, n);
		if (r < 0) {
			say(k->why, k->whylen, "cannot read the command line at physical 0x%" PRIx64
			    ": %s", pa, strerror(-r));
			return r;
		}
		nul = strnlen(buf + got, n);
		if (nul < n)
			return (int)(got + nul + 1);
		got += n;
		pa += n; /* below 2^52 + KCMDLINE_SIZE: no overflow */
	}
	say(k->why, k->whylen, "no NUL in the %u bytes of the command line", KCMDLINE_SIZE);
	return -EBADMSG;
}

int kcmdline_read(const char *vmcoreinfo, size_t len, struct kallsyms *ks, kallsyms_read_fn rd,
		  void *ctx, char *out, size_t outlen, char *why, size_t whylen)
{
	const struct kc k = { vmcoreinfo, len, ks, rd, ctx, why, whylen };
	char buf[KCMDLINE_SIZE];
	uint64_t ptr, base, pa;
	unsigned bits;
	int r, n;

	if (!outlen) {
		say(why, whylen, "no room for the command line");
		return -EINVAL;
	}
	out[0] = '\0';
	if (!ks) {
		say(why, whylen, "no kallsyms tables");
		return -EOPNOTSUPP;
	}
	r = read_var(&k, "saved_command_line", &ptr);
	if (r == -ENOENT)
		say(why, whylen, "no symbol saved_command_line in kallsyms");
	if (r < 0 || (r = kmap_direct_map(vmcoreinfo, len, ks, rd, ctx, &base, &bits, why, whylen)) < 0)
		return r;
	if (ptr < base || (ptr - base) >> bits) {
		if (ptr == 0)
			say(why, whylen, "saved_command_line is NULL");
		else
			say(why, whylen, "saved_command_line 0x%" PRIx64 " lies outside the direct "
			    "map at 0x%" PRIx64, ptr, base);
		return -ERANGE;
	}
	pa = ptr - base;
	n = read_string(&k, pa, buf);
	if (n < 0)
		return n;
	for (int i = 0; i < n - 1; i++) {
		unsigned char c = (unsigned char)buf[i];

		if ((c < 0x20 || c >= 0x7f) && c != '\t') {
			say(why, whylen, "byte 0x%02x at offset %d of the command line is not "
			    "printable", c, i);
			return -EBADMSG;
		}
	}
	if ((size_t)n > outlen) {
		say(why, whylen, "the command line (%d bytes) does not fit in %zu", n - 1, outlen);
		return -ENOSPC;
	}
	memcpy(out, buf, (size_t)n);
	return 0;
}

int kcmdline_lookup(const char *vmcoreinfo, size_t len, kallsyms_read_fn rd, void *ctx,
		    char *out, size_t outlen, char *why, size_t whylen)
{
	struct kallsyms *ks;
	int r;

	if (outlen)
		out[0] = '\0';
	r = kallsyms_open(vmcoreinfo, len, rd, ctx, &ks);
	if (r < 0) {
		if (r == -EOPNOTSUPP)
			say(why, whylen, "no kallsyms tables in VMCOREINFO (a kernel before 6.0?)");
		else
			say(why, whylen, "cannot open the kallsyms tables: %s", strerror(-r));
		return r;
	}
	r = kcmdline_read(vmcoreinfo, len, ks, rd, ctx, out, outlen, why, whylen);
	kallsyms_close(ks);
	return r;
}
