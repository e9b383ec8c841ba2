// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: QEMU's `info registers -a` text, as hmpregs_parse() reads it.  First byte:
// bit 0 picks the mode, the rest the room given (1 to 8 CPUs, in an array of exactly that
// size).  Render mode: the input's bytes are register values for 1 to 4 CPUs, printed as QEMU
// 7.2 prints them; the parse must give back each value, CPU by CPU.  Text mode: the rest of
// the input is the text (in a buffer of exactly its size, not NUL-terminated).  It traps when
// a promise of hmpregs.h breaks: a return other than 0, -EBADMSG, -E2BIG; a CPU count other
// than the number of "CPU#" blocks (0 on failure, more than the room); a success without a
// block's required registers; a value that is not the first of its name in its block; pr_pid
// not the CPU's index + 1; a result that does not parse back the same once printed.  Text mode
// also runs hmpregs_halted() and checks each block's HLT digit independently.
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/hmpregs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ROOM 8
#define RENDER_CPUS 4
#define TEXT_CAP 8192 /* QEMU prints about 2.5 KB per CPU */

struct bytes {
	const uint8_t *p;
	size_t n, at;
};

/* The next LEN bytes of B as a little-endian number (zeros once it runs out). */
static uint64_t take(struct bytes *b, unsigned len)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < len; i++, b->at++)
		v |= (uint64_t)(b->at < b->n ? b->p[b->at] : 0) << (8 * i);
	return v;
}

/* One CPU as QEMU 7.2's x86_cpu_dump_state() prints it for `info registers -a` (see
 * tests/data/info-registers-a.txt); the registers the parser does not read from NOISE. */
static int render_cpu(char *out, size_t cap, unsigned index, const struct prstatus *c,
		      struct bytes *noise)
{
	static const char *const seg[6] = { "ES =", "CS =", "SS =", "DS =", "FS =", "GS =" };
	const int segreg[6] = { PR_ES, PR_CS, PR_SS, PR_DS, PR_FS, PR_GS };
	const uint64_t *r = c->reg;
	int n = snprintf(out, cap,
		"CPU#%u\n"
		"RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n"
		"RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx\n"
		"R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx\n"
		"R12=%016llx R13=%016llx R14=%016llx R15=%016llx\n"
		"RIP=%016llx RFL=%08llx [--S-A-C] CPL=0 II=0 A20=1 SMM=0 HLT=1\n", index,
		(unsigned long long)r[PR_RAX], (unsigned long long)r[PR_RBX],
		(unsigned long long)r[PR_RCX], (unsigned long long)r[PR_RDX],
		(unsigned long long)r[PR_RSI], (unsigned long long)r[PR_RDI],
		(unsigned long long)r[PR_RBP], (unsigned long long)r[PR_RSP],
		(unsigned long long)r[PR_R8], (unsigned long long)r[PR_R9],
		(unsigned long long)r[PR_R10], (unsigned long long)r[PR_R11],
		(unsigned long long)r[PR_R12], (unsigned long long)r[PR_R13],
		(unsigned long long)r[PR_R14], (unsigned long long)r[PR_R15],
		(unsigned long long)r[PR_RIP], (unsigned long long)r[PR_EFLAGS]);
	size_t len = (size_t)n;

	for (int i = 0; i < 6 && len < cap; i++) {
		uint64_t base = segreg[i] == PR_FS ? r[PR_FS_BASE]
				: segreg[i] == PR_GS ? r[PR_GS_BASE] : take(noise, 8);
		len += (size_t)snprintf(out + len, cap - len, "%s%04llx %016llx %08llx %08llx\n",
					seg[i], (unsigned long long)r[segreg[i]],
					(unsigned long long)base,
					(unsigned long long)take(noise, 4),
					(unsigned long long)take(noise, 4));
	}
	if (len < cap)
		len += (size_t)snprintf(out + len, cap - len,
			"LDT=0000 0000000000000000 00000000 00008200 DPL=0 LDT\n"
			"TR =0040 %016llx 00004087 00008900 DPL=0 TSS64-avl\n"
			"GDT=     %016llx 0000007f\nIDT=     fffffe0000000000 00000fff\n"
			"CR0=80050033 CR2=%016llx CR3=%016llx CR4=00751eb0\n"
			"DR6=00000000ffff0ff0 DR7=0000000000000400\nEFER=0000000000000d01\n"
			"FCW=037f FSW=0000 [ST=0] FTW=00 MXCSR=00001f80\n"
			"YMM00=%016llx %016llx 0000000000000000 0000000000000000\n\n",
			(unsigned long long)take(noise, 8), (unsigned long long)take(noise, 8),
			(unsigned long long)take(noise, 8), (unsigned long long)take(noise, 8),
			(unsigned long long)take(noise, 8), (unsigned long long)take(noise, 8));
	return len < cap ? (int)len : -1;
}

/* N CPUs printed into OUT (CAP bytes, less than TEXT_CAP each): the length, or -1. */
static int render(char *out, size_t cap, const struct prstatus *c, unsigned n,
		  struct bytes *noise)
{
	size_t len = 0;

	for (unsigned i = 0; i < n; i++) {
		int k = render_cpu(out + len, cap - len, i, &c[i], noise);
		if (k < 0)
			return -1;
		len += (size_t)k;
	}
	return (int)len;
}

/* The registers hmpregs.h promises, with the digits each is printed with. */
static const struct {
	const char *name;
	int reg, width;
} required[] = {
	{ "RAX=", PR_RAX, 16 }, { "RBX=", PR_RBX, 16 }, { "RCX=", PR_RCX, 16 },
	{ "RDX=", PR_RDX, 16 }, { "RSI=", PR_RSI, 16 }, { "RDI=", PR_RDI, 16 },
	{ "RBP=", PR_RBP, 16 }, { "RSP=", PR_RSP, 16 }, { "R8 =", PR_R8, 16 },
	{ "R9 =", PR_R9, 16 },  { "R10=", PR_R10, 16 }, { "R11=", PR_R11, 16 },
	{ "R12=", PR_R12, 16 }, { "R13=", PR_R13, 16 }, { "R14=", PR_R14, 16 },
	{ "R15=", PR_R15, 16 }, { "RIP=", PR_RIP, 16 }, { "RFL=", PR_EFLAGS, 8 },
};
#define NREQ (sizeof(required) / sizeof(required[0]))

/* The value printed after the first NAME in B[0, LEN) that starts a line or follows a space,
 * read independently of the parser: false if there is none or it is not WIDTH hex digits. */
static bool first_value(const char *b, size_t len, const char *name, int width, uint64_t *v)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i + nl <= len; i++) {
		if ((i && b[i - 1] != ' ' && b[i - 1] != '\n') || memcmp(b + i, name, nl))
			continue;
		if (len - i - nl < (size_t)width)
			return false;
		*v = 0;
		for (int k = 0; k < width; k++) {
			char ch = b[i + nl + (size_t)k];
			unsigned d;
			if (ch >= '0' && ch <= '9')
				d = (unsigned)(ch - '0');
			else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
				d = (unsigned)((ch | 0x20) - 'a' + 10);
			else
				return false;
			*v = *v << 4 | d;
		}
		return true;
	}
	return false;
}

/* Where the blocks start: the "CPU#" in TEXT[0, LEN), up to MAX of them.  Their number. */
static size_t blocks(const char *text, size_t len, size_t *at, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i + 4 <= len; i++) {
		if (memcmp(text + i, "CPU#", 4))
			continue;
		if (n < max)
			at[n] = i;
		n++;
		i += 3;
	}
	return n;
}

static void check_cpu(const struct prstatus *c, unsigned i)
{
	if (c->pid != i + 1 || c->reg[PR_ORIG_RAX] != UINT64_MAX)
		__builtin_trap();
}

/* hmpregs_halted() on the same text: its promises (0, -EBADMSG or -E2BIG; on success one
 * entry per block, each the digit after the block's first " HLT="), checked independently. */
static void halted_mode(const char *text, size_t len, unsigned room, const size_t *at,
			size_t nblocks)
{
	uint8_t *h = malloc(room);
	unsigned n = 12345;
	int r;

	if (!h)
		return;
	r = hmpregs_halted(text, len, h, room, &n);
	if (r != 0 && r != -EBADMSG && r != -E2BIG)
		__builtin_trap();
	if (r < 0 ? n != 0 || (r == -E2BIG && nblocks <= room)
		  : n == 0 || n > room || n != nblocks)
		__builtin_trap();
	for (unsigned i = 0; r == 0 && i < n; i++) {
		size_t end = i + 1 < n ? at[i + 1] : len, k;
		for (k = at[i]; k + 5 <= end && memcmp(text + k, " HLT=", 5); k++)
			;
		if (k + 6 > end || text[k + 5] != (char)('0' + h[i]))
			__builtin_trap();
	}
	free(h);
}

static void text_mode(const char *text, size_t len, unsigned room)
{
	static size_t at[MAX_ROOM + 1];
	struct prstatus *out = malloc(room * sizeof(*out)), again[MAX_ROOM];
	static char printed[MAX_ROOM * TEXT_CAP];
	struct bytes none = { NULL, 0, 0 };
	unsigned n = 12345, n2;
	size_t nblocks = blocks(text, len, at, MAX_ROOM + 1);
	int r, plen;

	if (!out)
		return;
	halted_mode(text, len, room, at, nblocks);
	r = hmpregs_parse(text, len, out, room, &n);
	if (r != 0 && r != -EBADMSG && r != -E2BIG)
		__builtin_trap();
	if (r < 0) {
		/* too many blocks is the only way to -E2BIG; no block is never a success */
		if (n != 0 || (r == -E2BIG && nblocks <= room))
			__builtin_trap();
		free(out);
		return;
	}
	if (n == 0 || n > room || n != nblocks)
		__builtin_trap();
	for (unsigned i = 0; i < n; i++) {
		size_t end = i + 1 < n ? at[i + 1] : len;
		check_cpu(&out[i], i);
		for (size_t f = 0; f < NREQ; f++) {
			uint64_t v;
			if (!first_value(text + at[i], end - at[i], required[f].name, required[f].width,
					 &v) || v != out[i].reg[required[f].reg])
				__builtin_trap();
		}
	}
	/* printed as QEMU prints it, the result parses back the same */
	plen = render(printed, sizeof(printed), out, n, &none);
	if (plen < 0 || hmpregs_parse(printed, (size_t)plen, again, n, &n2) != 0 || n2 != n)
		__builtin_trap();
	for (unsigned i = 0; i < n; i++)
		if (again[i].pid != out[i].pid || memcmp(again[i].reg, out[i].reg, sizeof(again[i].reg)))
			__builtin_trap();
	free(out);
}

static void render_mode(const uint8_t *data, size_t size, unsigned room)
{
	static char text[RENDER_CPUS * TEXT_CAP];
	struct prstatus want[RENDER_CPUS], *out;
	struct bytes b = { data, size, 1 };
	unsigned ncpus = 1 + (unsigned)take(&b, 1) % RENDER_CPUS, n = 0;
	int len, r;

	memset(want, 0, sizeof(want));
	for (unsigned i = 0; i < ncpus; i++) {
		for (int k = 0; k < PR_NREGS; k++)
			want[i].reg[k] = take(&b, 8);
		want[i].reg[PR_EFLAGS] &= 0xffffffff;
		for (int k = PR_DS; k <= PR_GS; k++)
			want[i].reg[k] &= 0xffff;
		want[i].reg[PR_CS] &= 0xffff;
		want[i].reg[PR_SS] &= 0xffff;
		want[i].reg[PR_ORIG_RAX] = UINT64_MAX;
		want[i].pid = i + 1;
	}
	len = render(text, sizeof(text), want, ncpus, &b);
	if (len < 0)
		__builtin_trap();
	out = malloc(room * sizeof(*out));
	if (!out)
		return;
	r = hmpregs_parse(text, (size_t)len, out, room, &n);
	if (ncpus > room) {
		if (r != -E2BIG || n != 0)
			__builtin_trap();
	} else {
		if (r != 0 || n != ncpus)
			__builtin_trap();
		for (unsigned i = 0; i < n; i++)
			if (out[i].pid != want[i].pid ||
			    memcmp(out[i].reg, want[i].reg, sizeof(want[i].reg)))
				__builtin_trap();
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned room;

	if (size < 1)
		return 0;
	room = 1 + (data[0] >> 1) % MAX_ROOM;
	if (data[0] & 1) {
		/* the text alone in a buffer of its size: a read past it is ASan's to catch */
		char *text = malloc(size - 1 ? size - 1 : 1);
		if (!text)
			return 0;
		memcpy(text, data + 1, size - 1);
		text_mode(text, size - 1, room);
		free(text);
	} else {
		render_mode(data, size, room);
	}
	return 0;
}
