/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Synthetic kallsyms tables for tests: a kernel image written the way scripts/kallsyms lays it
 * out (token table and index, names compressed with 1- and 2-byte lengths, base-relative
 * offsets with or without absolute per-CPU values, or absolute addresses) and the VMCOREINFO
 * lines that describe it.  Header-only (static inline), like synth.h.
 *
 * Use: synth_ks_init(), synth_ks_sym() for each symbol in address order, synth_ks_infof()
 * for OSRELEASE and whatever else comes first, synth_ks_finish() for the table lines, then
 * NUMBER(phys_base) and the rest with synth_ks_infof(). */
#ifndef HVDUMP_TESTS_SYNTH_KALLSYMS_H
#define HVDUMP_TESTS_SYNTH_KALLSYMS_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/kallsyms.h"
#include "unit/synth.h"

/* Where the tables sit in the image (offsets from its start) */
#define SYNTH_KS_O_NUM    0x1000u
#define SYNTH_KS_O_BASE   0x1008u
#define SYNTH_KS_O_TINDEX 0x2000u
#define SYNTH_KS_O_TTABLE 0x3000u
#define SYNTH_KS_O_ADDRS  0x10000u
#define SYNTH_KS_O_NAMES  0x40000u

/* Token bytes 0x80.. stand for the multi-character tokens below; this one for "". */
#define SYNTH_KS_T_EMPTY 0x85

enum synth_ks_mode { SYNTH_KS_ABS_PERCPU, SYNTH_KS_RELATIVE, SYNTH_KS_ADDRESSES };

struct synth_ks {
	uint8_t *img;          /* the kernel image: img[0] is at virtual address kv */
	size_t size;
	uint64_t kv;
	enum synth_ks_mode mode;
	uint32_t n;            /* symbols written */
	size_t names_len;      /* bytes of kallsyms_names written */
	char info[2048];       /* the VMCOREINFO text */
	size_t info_len;
};

/* Tokens: printable ASCII stands for itself; a few multi-character tokens as the kernel's
 * compressor makes them (one swallows the type character), one empty token.  I-th multi
 * token, or NULL past the last. */
static inline const char *synth_ks_multi(unsigned i)
{
	static const char *const multi[] = { "system_", "state", "init_", "jiff", "ies", "",
					     "Dsys" };

	return i < sizeof(multi) / sizeof(multi[0]) ? multi[i] : NULL;
}

/* What token byte T expands to (ONE holds it for a one-character token). */
static inline const char *synth_ks_token(unsigned t, char one[2])
{
	if (t >= 0x80 && synth_ks_multi(t - 0x80))
		return synth_ks_multi(t - 0x80);
	if (t >= 0x20 && t < 0x7f) {
		one[0] = (char)t;
		one[1] = '\0';
		return one;
	}
	return "";
}

/* Start an image of SIZE bytes at IMG (zeroed here) mapped at KV, with the token tables. */
static inline void synth_ks_init(struct synth_ks *ks, uint8_t *img, size_t size, uint64_t kv,
				 enum synth_ks_mode mode)
{
	size_t pos = 0;

	if (size < SYNTH_KS_O_NAMES)
		abort(); /* a test bug */
	memset(img, 0, size);
	ks->img = img;
	ks->size = size;
	ks->kv = kv;
	ks->mode = mode;
	ks->n = 0;
	ks->names_len = 0;
	ks->info_len = 0;
	ks->info[0] = '\0';
	for (unsigned t = 0; t < 256; t++) {
		char one[2];
		const char *s = synth_ks_token(t, one);
		size_t l = strlen(s) + 1;

		synth_put(img + SYNTH_KS_O_TINDEX + 2 * t, pos, 2);
		memcpy(img + SYNTH_KS_O_TTABLE + pos, s, l);
		pos += l;
	}
}

/* Add symbol NAME of TYPE at ADDR (PERCPU: an absolute per-CPU value, for
 * SYNTH_KS_ABS_PERCPU), compressed greedily with the tokens above. */
static inline void synth_ks_sym(struct synth_ks *ks, char type, const char *name, uint64_t addr,
				int percpu)
{
	char full[1024];
	uint8_t enc[1024];
	size_t flen, elen = 0, i = 0;
	uint8_t *p = ks->img + SYNTH_KS_O_NAMES + ks->names_len;
	uint8_t *a = ks->img + SYNTH_KS_O_ADDRS;

	flen = (size_t)snprintf(full, sizeof(full), "%c%s", type, name);
	if (flen >= sizeof(full) || SYNTH_KS_O_ADDRS + 8 * (ks->n + 1) > SYNTH_KS_O_NAMES ||
	    SYNTH_KS_O_NAMES + ks->names_len + 2 + flen > ks->size)
		abort(); /* a test bug */
	while (i < flen) {
		unsigned best = (uint8_t)full[i];
		size_t blen = 1;
		for (unsigned t = 0x80; synth_ks_multi(t - 0x80); t++) {
			const char *m = synth_ks_multi(t - 0x80);
			size_t l = strlen(m);
			if (l > blen && !strncmp(full + i, m, l))
				best = t, blen = l;
		}
		enc[elen++] = (uint8_t)best;
		i += blen;
	}
	if (elen >= 0x80) {
		*p++ = (uint8_t)(0x80 | (elen & 0x7f));
		*p++ = (uint8_t)(elen >> 7);
		ks->names_len += 2;
	} else {
		*p++ = (uint8_t)elen;
		ks->names_len++;
	}
	memcpy(p, enc, elen);
	ks->names_len += elen;

	if (ks->mode == SYNTH_KS_ADDRESSES)
		synth_put(a + 8 * ks->n, addr, 8);
	else if (ks->mode == SYNTH_KS_RELATIVE)
		synth_put(a + 4 * ks->n, addr - ks->kv, 4);
	else if (percpu)
		synth_put(a + 4 * ks->n, addr, 4);
	else
		synth_put(a + 4 * ks->n, (uint64_t)(int64_t)(ks->kv - 1 - addr) & 0xffffffffu, 4);
	ks->n++;
}

static inline void synth_ks_infof(struct synth_ks *ks, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void synth_ks_infof(struct synth_ks *ks, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(ks->info + ks->info_len, sizeof(ks->info) - ks->info_len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(ks->info) - ks->info_len)
		abort();
	ks->info_len += (size_t)n;
}

/* The symbols are in: write kallsyms_num_syms and kallsyms_relative_base (the image's start)
 * and append the SYMBOL() lines of the tables to the VMCOREINFO text. */
static inline void synth_ks_finish(struct synth_ks *ks)
{
	synth_put(ks->img + SYNTH_KS_O_NUM, ks->n, 4);
	synth_put(ks->img + SYNTH_KS_O_BASE, ks->kv, 8);
	synth_ks_infof(ks, "SYMBOL(kallsyms_names)=%llx\nSYMBOL(kallsyms_num_syms)=%llx\n",
		       (unsigned long long)(ks->kv + SYNTH_KS_O_NAMES),
		       (unsigned long long)(ks->kv + SYNTH_KS_O_NUM));
	synth_ks_infof(ks, "SYMBOL(kallsyms_token_table)=%llx\nSYMBOL(kallsyms_token_index)=%llx\n",
		       (unsigned long long)(ks->kv + SYNTH_KS_O_TTABLE),
		       (unsigned long long)(ks->kv + SYNTH_KS_O_TINDEX));
	if (ks->mode == SYNTH_KS_ADDRESSES)
		synth_ks_infof(ks, "SYMBOL(kallsyms_addresses)=%llx\n",
			       (unsigned long long)(ks->kv + SYNTH_KS_O_ADDRS));
	else
		synth_ks_infof(ks, "SYMBOL(kallsyms_offsets)=%llx\nSYMBOL(kallsyms_relative_base)=%llx\n",
			       (unsigned long long)(ks->kv + SYNTH_KS_O_ADDRS),
			       (unsigned long long)(ks->kv + SYNTH_KS_O_BASE));
}

/* NUMBER(phys_base) for an image at virtual KV loaded at physical PADDR (negative under
 * KASLR when the image sits lower than its link address). */
static inline long long synth_ks_phys_base(uint64_t kv, uint64_t paddr)
{
	return (long long)paddr - (long long)(kv - KALLSYMS_START_KERNEL_MAP);
}

/* Replace KEY's line value in the VMCOREINFO text (KEY must be present). */
static inline void synth_ks_info_set(struct synth_ks *ks, const char *key, const char *val)
{
	char out[2048], *line = strstr(ks->info, key), *nl;
	size_t pre;
	int n;

	if (!line || !(nl = strchr(line, '\n')))
		abort();
	pre = (size_t)(line - ks->info);
	n = snprintf(out, sizeof(out), "%.*s%s=%s%s", (int)pre, ks->info, key, val, nl);
	if (n < 0 || (size_t)n >= sizeof(out))
		abort();
	ks->info_len = (size_t)n;
	memcpy(ks->info, out, ks->info_len + 1);
}

#endif
