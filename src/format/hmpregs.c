// SPDX-License-Identifier: GPL-2.0-or-later
// `info registers -a` is text meant for people; parse only the fields a backtrace needs and
// insist on seeing each of them, so a changed format is an error rather than zeros.
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/elfcore.h"
#include "format/hmpregs.h"
#include "format/le.h"

struct field {
	const char *name;   /* as printed, including any padding before '=' */
	int reg;            /* PR_* index */
	int width;          /* hex digits expected */
	int skip;           /* for segments: skip the 4-digit selector and read the base */
};

static const struct field fields[] = {
	{ "RAX=", PR_RAX, 16, 0 }, { "RBX=", PR_RBX, 16, 0 }, { "RCX=", PR_RCX, 16, 0 },
	{ "RDX=", PR_RDX, 16, 0 }, { "RSI=", PR_RSI, 16, 0 }, { "RDI=", PR_RDI, 16, 0 },
	{ "RBP=", PR_RBP, 16, 0 }, { "RSP=", PR_RSP, 16, 0 }, { "R8 =", PR_R8, 16, 0 },
	{ "R9 =", PR_R9, 16, 0 },  { "R10=", PR_R10, 16, 0 }, { "R11=", PR_R11, 16, 0 },
	{ "R12=", PR_R12, 16, 0 }, { "R13=", PR_R13, 16, 0 }, { "R14=", PR_R14, 16, 0 },
	{ "R15=", PR_R15, 16, 0 }, { "RIP=", PR_RIP, 16, 0 }, { "RFL=", PR_EFLAGS, 8, 0 },
	{ "CS =", PR_CS, 4, 0 },   { "SS =", PR_SS, 4, 0 },   { "DS =", PR_DS, 4, 0 },
	{ "ES =", PR_ES, 4, 0 },   { "FS =", PR_FS, 4, 0 },   { "GS =", PR_GS, 4, 0 },
	{ "FS =", PR_FS_BASE, 16, 5 }, { "GS =", PR_GS_BASE, 16, 5 },
};
#define NREQUIRED 18 /* the first 18 fields must be present */

static int hexval(const char *p, int width, uint64_t *out)
{
	uint64_t v = 0;
	for (int i = 0; i < width; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -EBADMSG;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return 0;
}

/* Parse one CPU's block TEXT[0, LEN). */
static int parse_cpu(const char *text, size_t len, unsigned index, struct prstatus *p)
{
	unsigned seen = 0;

	memset(p, 0, sizeof(*p));
	p->pid = index + 1;
	p->reg[PR_ORIG_RAX] = UINT64_MAX;
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		size_t nl = strlen(fields[f].name);
		const char *hit = memmem(text, len, fields[f].name, nl);
		size_t at;

		/* a name must start a line or follow a space ("R8 =" vs "CR8 =") */
		while (hit && hit != text && hit[-1] != ' ' && hit[-1] != '\n')
			hit = memmem(hit + 1, len - (size_t)(hit + 1 - text), fields[f].name, nl);
		if (!hit) {
			if (f < NREQUIRED)
				return -EBADMSG;
			continue;
		}
		/* an offset, not a pointer: a name at the end of the text has no value after it */
		at = (size_t)(hit - text) + nl + (size_t)fields[f].skip;
		if (at > len || len - at < (size_t)fields[f].width ||
		    hexval(text + at, fields[f].width, &p->reg[fields[f].reg]) < 0)
			return -EBADMSG;
		seen++;
	}
	return seen >= NREQUIRED ? 0 : -EBADMSG;
}

int hmpregs_parse(const char *text, size_t len, struct prstatus *out, unsigned max,
		  unsigned *ncpus)
{
	const char *p = text, *end = text + len;
	unsigned n = 0;

	*ncpus = 0;
	p = memmem(p, (size_t)(end - p), "CPU#", 4);
	while (p) {
		const char *next = memmem(p + 4, (size_t)(end - p - 4), "CPU#", 4);
		const char *stop = next ? next : end;
		int r;

		if (n == max)
			return -E2BIG;
		r = parse_cpu(p, (size_t)(stop - p), n, &out[n]);
		if (r < 0)
			return r;
		n++;
		p = next;
	}
	if (n == 0)
		return -EBADMSG;
	*ncpus = n;
	return 0;
}

int hmpregs_halted(const char *text, size_t len, uint8_t *halted, unsigned max,
		   unsigned *ncpus)
{
	const char *p = text, *end = text + len;
	unsigned n = 0;

	*ncpus = 0;
	p = memmem(p, len, "CPU#", 4);
	while (p) {
		const char *next = memmem(p + 4, (size_t)(end - p - 4), "CPU#", 4);
		const char *stop = next ? next : end;
		const char *h = memmem(p, (size_t)(stop - p), " HLT=", 5);

		if (n == max)
			return -E2BIG;
		if (!h || stop - h < 6 || (h[5] != '0' && h[5] != '1'))
			return -EBADMSG;
		halted[n++] = (uint8_t)(h[5] - '0');
		p = next;
	}
	if (n == 0)
		return -EBADMSG;
	*ncpus = n;
	return 0;
}

int prstatus_note_append(uint8_t *out, size_t cap, size_t *len, const struct prstatus *p)
{
	uint8_t desc[PRSTATUS_X86_64_SIZE] = { 0 };

	le32_put(desc + 32, p->pid);
	for (int i = 0; i < PR_NREGS; i++)
		le64_put(desc + 112 + 8 * i, p->reg[i]);
	return elfnote_append(out, cap, len, "CORE", NT_PRSTATUS, desc, sizeof(desc));
}
