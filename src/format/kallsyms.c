// SPDX-License-Identifier: GPL-2.0-or-later
// kallsyms: symbol lookup in a crashed guest through the kernel's own compressed tables.
// The format and the limits are described in kallsyms.h.
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/kallsyms.h"
#include "format/vmcoreinfo.h"

struct kallsyms {
	kallsyms_read_fn rd;
	void *ctx;
	int64_t phys_base;
	uint64_t image_size;
	uint64_t names;             /* vaddr of kallsyms_names */
	uint64_t addrs;             /* vaddr of kallsyms_offsets or kallsyms_addresses */
	uint64_t relative_base;     /* value of kallsyms_relative_base */
	int base_relative;
	int absolute_percpu;
	uint32_t num_syms;
	uint16_t token_index[256];
	char *tokens;               /* token table, NUL-terminated at or after every index */
	size_t tokens_len;
	uint8_t *win;               /* a window of kallsyms_names: [win_off, win_off + win_len) */
	uint64_t win_off;
	size_t win_len;
};

static int kimage_params(const char *vmci, size_t len, int64_t *phys_base, uint64_t *image_size)
{
	uint64_t v;
	int r;

	r = vmcoreinfo_get_u64(vmci, len, "NUMBER(phys_base)", &v);
	if (r < 0)
		return r;
	*phys_base = (int64_t)v;
	*image_size = KALLSYMS_IMAGE_SIZE_DEFAULT;
	r = vmcoreinfo_get_u64(vmci, len, "NUMBER(KERNEL_IMAGE_SIZE)", &v);
	if (r == 0) {
		/* the mapping ends at 2^64: at most 2 GiB */
		if (v == 0 || v > 0ull - KALLSYMS_START_KERNEL_MAP)
			return -EINVAL;
		*image_size = v;
	} else if (r != -ENOENT) {
		return r;
	}
	return 0;
}

/* [VADDR, VADDR + LEN) must lie in the kernel image mapping; the physical result below
 * KALLSYMS_PHYS_LIMIT.  phys_base is added modulo 2^64: the kernel's unsigned long does. */
static int kimage_translate(int64_t phys_base, uint64_t image_size, uint64_t vaddr, uint64_t len,
			    uint64_t *paddr)
{
	uint64_t rel, end, pa, pend;

	if (vaddr < KALLSYMS_START_KERNEL_MAP)
		return -ERANGE;
	rel = vaddr - KALLSYMS_START_KERNEL_MAP;
	if (__builtin_add_overflow(rel, len, &end) || end > image_size)
		return -ERANGE;
	pa = rel + (uint64_t)phys_base;
	if (pa >= KALLSYMS_PHYS_LIMIT || __builtin_add_overflow(pa, len, &pend) ||
	    pend > KALLSYMS_PHYS_LIMIT)
		return -ERANGE;
	*paddr = pa;
	return 0;
}

int kallsyms_kimage_to_phys(const char *vmcoreinfo, size_t len, uint64_t vaddr, uint64_t *paddr)
{
	int64_t phys_base;
	uint64_t image_size;
	int r = kimage_params(vmcoreinfo, len, &phys_base, &image_size);

	if (r < 0)
		return r;
	return kimage_translate(phys_base, image_size, vaddr, 1, paddr);
}

static int ks_read(const struct kallsyms *ks, uint64_t vaddr, void *buf, size_t len)
{
	uint64_t pa;
	int r = kimage_translate(ks->phys_base, ks->image_size, vaddr, len, &pa);

	if (r < 0)
		return r;
	r = ks->rd(ks->ctx, pa, buf, len);
	return r > 0 ? -EIO : r;
}

/* VADDR + OFF without wrapping (the range check in ks_read() does the rest). */
static int ks_addr(uint64_t vaddr, uint64_t off, uint64_t *out)
{
	return __builtin_add_overflow(vaddr, off, out) ? -ERANGE : 0;
}

/* Read the token table: every token_index entry must point below KALLSYMS_TOKEN_TABLE_MAX,
 * and the first NUL at or after the largest one ends the table (every token then ends by
 * it).  Read in steps so a table near the end of readable memory is not overread much. */
static int read_tokens(struct kallsyms *ks, uint64_t table)
{
	size_t max = 0, have = 0, want;
	uint64_t va;
	char *buf;
	int r;

	for (size_t i = 0; i < 256; i++)
		if (ks->token_index[i] > max)
			max = ks->token_index[i];
	if (max >= KALLSYMS_TOKEN_TABLE_MAX)
		return -EBADMSG;
	buf = malloc(KALLSYMS_TOKEN_TABLE_MAX);
	if (!buf)
		return -ENOMEM;
	want = max + 1;
	for (;;) {
		r = ks_addr(table, have, &va);
		if (r < 0)
			goto free_buf;
		r = ks_read(ks, va, buf + have, want - have);
		if (r < 0)
			goto free_buf;
		have = want;
		if (memchr(buf + max, '\0', have - max))
			break;
		if (have == KALLSYMS_TOKEN_TABLE_MAX) {
			r = -EBADMSG;
			goto free_buf;
		}
		want = have + 256 < KALLSYMS_TOKEN_TABLE_MAX ? have + 256 : KALLSYMS_TOKEN_TABLE_MAX;
	}
	ks->tokens = buf;
	ks->tokens_len = have;
	return 0;

free_buf:
	free(buf);
	return r;
}

static int sym_get(const char *vmci, size_t len, const char *key, uint64_t *v)
{
	int r = vmcoreinfo_get_u64(vmci, len, key, v);

	return r == -ENOENT ? -EOPNOTSUPP : r;
}

/* The encoding of the offsets: see kallsyms.h.  The last symbol has the highest address and
 * is an ordinary kernel symbol, negative only under ABSOLUTE_PERCPU. */
static int read_relative(struct kallsyms *ks, uint64_t base_sym)
{
	uint8_t b[8];
	uint64_t va;
	int32_t last;
	int r;

	r = ks_read(ks, base_sym, b, 8);
	if (r < 0)
		return r;
	ks->relative_base = 0;
	for (int i = 7; i >= 0; i--)
		ks->relative_base = ks->relative_base << 8 | b[i];
	if (!ks->num_syms)
		return 0;
	r = ks_addr(ks->addrs, 4ull * (ks->num_syms - 1), &va);
	if (r == 0)
		r = ks_read(ks, va, b, 4);
	if (r < 0)
		return r;
	last = (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
			 (uint32_t)b[3] << 24);
	ks->absolute_percpu = last < 0;
	return 0;
}

int kallsyms_open(const char *vmcoreinfo, size_t len, kallsyms_read_fn rd, void *ctx,
		  struct kallsyms **out)
{
	uint64_t num_va, tindex_va, ttable_va, base_va = 0;
	uint8_t b[512];
	struct kallsyms *ks;
	int r;

	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return -ENOMEM;
	ks->rd = rd;
	ks->ctx = ctx;
	r = kimage_params(vmcoreinfo, len, &ks->phys_base, &ks->image_size);
	if (r < 0)
		goto free_ks;
	if ((r = sym_get(vmcoreinfo, len, "SYMBOL(kallsyms_names)", &ks->names)) < 0 ||
	    (r = sym_get(vmcoreinfo, len, "SYMBOL(kallsyms_num_syms)", &num_va)) < 0 ||
	    (r = sym_get(vmcoreinfo, len, "SYMBOL(kallsyms_token_table)", &ttable_va)) < 0 ||
	    (r = sym_get(vmcoreinfo, len, "SYMBOL(kallsyms_token_index)", &tindex_va)) < 0)
		goto free_ks;
	r = sym_get(vmcoreinfo, len, "SYMBOL(kallsyms_offsets)", &ks->addrs);
	if (r == 0) {
		ks->base_relative = 1;
		r = sym_get(vmcoreinfo, len, "SYMBOL(kallsyms_relative_base)", &base_va);
	} else if (r == -EOPNOTSUPP) {
		r = sym_get(vmcoreinfo, len, "SYMBOL(kallsyms_addresses)", &ks->addrs);
	}
	if (r < 0)
		goto free_ks;

	r = ks_read(ks, num_va, b, 4);
	if (r < 0)
		goto free_ks;
	ks->num_syms = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		       (uint32_t)b[3] << 24;
	if (ks->num_syms > KALLSYMS_MAX_SYMS) {
		r = -EBADMSG;
		goto free_ks;
	}
	r = ks_read(ks, tindex_va, b, 512);
	if (r < 0)
		goto free_ks;
	for (size_t i = 0; i < 256; i++)
		ks->token_index[i] = (uint16_t)(b[2 * i] | b[2 * i + 1] << 8);
	r = read_tokens(ks, ttable_va);
	if (r < 0)
		goto free_ks;
	if (ks->base_relative) {
		r = read_relative(ks, base_va);
		if (r < 0)
			goto free_tokens;
	}
	ks->win = malloc(KALLSYMS_WINDOW);
	if (!ks->win) {
		r = -ENOMEM;
		goto free_tokens;
	}
	*out = ks;
	return 0;

free_tokens:
	free(ks->tokens);
free_ks:
	free(ks);
	return r;
}

/* Byte OFF of kallsyms_names, through the window.  A window is read whole when it can be;
 * near the end of readable memory, only up to the end of the 4 KiB page holding OFF. */
static int names_byte(struct kallsyms *ks, uint64_t off, uint8_t *out)
{
	uint64_t va, pa, end = ks->image_size;
	size_t want = KALLSYMS_WINDOW;
	int r;

	if (off >= KALLSYMS_NAMES_MAX)
		return -EBADMSG;
	if (off - ks->win_off < ks->win_len) {
		*out = ks->win[off - ks->win_off];
		return 0;
	}
	r = ks_addr(ks->names, off, &va);
	if (r < 0)
		return r;
	if (va < KALLSYMS_START_KERNEL_MAP || va - KALLSYMS_START_KERNEL_MAP >= end)
		return -ERANGE;
	if (want > end - (va - KALLSYMS_START_KERNEL_MAP))
		want = (size_t)(end - (va - KALLSYMS_START_KERNEL_MAP));
	r = kimage_translate(ks->phys_base, ks->image_size, va, want, &pa);
	if (r < 0)
		return r;
	ks->win_len = 0;
	r = ks->rd(ks->ctx, pa, ks->win, want);
	if (r < 0) {
		size_t page = 4096 - (size_t)(pa & 4095);
		if (page >= want)
			return r;
		want = page;
		r = ks->rd(ks->ctx, pa, ks->win, want);
		if (r < 0)
			return r;
	}
	if (r > 0)
		return -EIO;
	ks->win_off = off;
	ks->win_len = want;
	*out = ks->win[0];
	return 0;
}

/* The token count of the kallsyms_names entry at *OFF (one byte, or two when the first has
 * bit 7 set: long names since 6.1), moving *OFF past it.  0, or -EBADMSG for an empty or
 * malformed length. */
static int name_len(struct kallsyms *ks, uint64_t *off, size_t *len)
{
	uint8_t b0, b1;
	int r;

	if ((r = names_byte(ks, (*off)++, &b0)) < 0)
		return r;
	*len = b0;
	if (b0 & 0x80) {
		if ((r = names_byte(ks, (*off)++, &b1)) < 0)
			return r;
		if (b1 & 0x80)
			return -EBADMSG;
		*len = (b0 & 0x7fu) | (size_t)b1 << 7;
	}
	return *len ? 0 : -EBADMSG;
}

static int sym_address(struct kallsyms *ks, uint32_t idx, uint64_t *vaddr)
{
	uint8_t b[8];
	uint64_t va, v = 0;
	int r;

	r = ks_addr(ks->addrs, (uint64_t)idx * (ks->base_relative ? 4 : 8), &va);
	if (r == 0)
		r = ks_read(ks, va, b, ks->base_relative ? 4 : 8);
	if (r < 0)
		return r;
	if (!ks->base_relative) {
		for (int i = 7; i >= 0; i--)
			v = v << 8 | b[i];
		*vaddr = v;
		return 0;
	}
	v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	if (!ks->absolute_percpu)
		*vaddr = ks->relative_base + v;                 /* u32 distance */
	else if ((int32_t)v >= 0)
		*vaddr = v;                                     /* absolute per-CPU value */
	else
		*vaddr = ks->relative_base - 1 - (uint64_t)(int64_t)(int32_t)v;
	return 0;
}

int kallsyms_find(struct kallsyms *ks, const char *name, uint64_t *vaddr)
{
	size_t nlen = strlen(name);
	uint64_t off = 0;
	int r;

	if (nlen == 0 || nlen > KALLSYMS_NAME_MAX)
		return -EINVAL;
	for (uint32_t i = 0; i < ks->num_syms; i++) {
		size_t len, pos = 0;
		int seen_type = 0, match = 1;

		if ((r = name_len(ks, &off, &len)) < 0)
			return r;
		/* expand only while the name still matches; then skip the rest unread */
		while (len && match) {
			uint8_t t;
			const char *tok;

			if ((r = names_byte(ks, off++, &t)) < 0)
				return r;
			len--;
			/* read_tokens() checked a NUL follows every index within the table */
			for (tok = ks->tokens + ks->token_index[t]; *tok; tok++) {
				if (!seen_type) {
					seen_type = 1;
				} else if (pos < nlen && *tok == name[pos]) {
					pos++;
				} else {
					match = 0;
					break;
				}
			}
		}
		off += len;
		if (match && seen_type && pos == nlen)
			return sym_address(ks, i, vaddr);
	}
	return -ENOENT;
}

/* Read symbol addresses [FIRST, FIRST + N) into OUT through one table read. */
static int sym_addresses(struct kallsyms *ks, uint32_t first, uint32_t n, uint64_t *out,
			 uint8_t *raw)
{
	unsigned w = ks->base_relative ? 4 : 8;
	uint64_t va;
	int r;

	r = ks_addr(ks->addrs, (uint64_t)first * w, &va);
	if (r == 0)
		r = ks_read(ks, va, raw, (size_t)n * w);
	if (r < 0)
		return r;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *b = raw + (size_t)i * w;
		uint64_t v = 0;

		for (int k = (int)w - 1; k >= 0; k--)
			v = v << 8 | b[k];
		if (!ks->base_relative)
			out[i] = v;
		else if (!ks->absolute_percpu)
			out[i] = ks->relative_base + v;
		else if ((int32_t)v >= 0)
			out[i] = v;
		else
			out[i] = ks->relative_base - 1 - (uint64_t)(int64_t)(int32_t)v;
	}
	return 0;
}

/* Expand the name of symbol IDX into NAME (without the type character). */
static int sym_name(struct kallsyms *ks, uint32_t idx, char *name, size_t namelen)
{
	uint64_t off = 0;
	int r;

	for (uint32_t i = 0; i <= idx; i++) {
		size_t len, pos = 0;
		int seen_type = 0;

		if ((r = name_len(ks, &off, &len)) < 0)
			return r;
		if (i < idx) {
			off += len;
			continue;
		}
		while (len--) {
			uint8_t t;

			if ((r = names_byte(ks, off++, &t)) < 0)
				return r;
			for (const char *tok = ks->tokens + ks->token_index[t]; *tok; tok++) {
				if (!seen_type) {
					seen_type = 1;
					continue;
				}
				if (pos + 1 >= namelen)
					return -ENOSPC;
				name[pos++] = *tok;
			}
		}
		if (namelen == 0)
			return -ENOSPC;
		name[pos] = '\0';
	}
	return 0;
}

#define ADDR_CHUNK 1024u

int kallsyms_addr_to_name(struct kallsyms *ks, uint64_t vaddr, char *name, size_t namelen,
			  uint64_t *offset, uint64_t *size)
{
	uint64_t best = 0, next = UINT64_MAX, *addr;
	uint32_t best_idx = 0;
	int found = 0, r;
	uint8_t *raw;

	if (vaddr < KALLSYMS_START_KERNEL_MAP || vaddr - KALLSYMS_START_KERNEL_MAP >= ks->image_size)
		return -ENOENT;
	addr = malloc(ADDR_CHUNK * sizeof(*addr));
	raw = malloc(ADDR_CHUNK * 8);
	if (!addr || !raw) {
		r = -ENOMEM;
		goto out_free;
	}
	for (uint32_t i = 0; i < ks->num_syms; i += ADDR_CHUNK) {
		uint32_t n = ks->num_syms - i < ADDR_CHUNK ? ks->num_syms - i : ADDR_CHUNK;

		r = sym_addresses(ks, i, n, addr, raw);
		if (r < 0)
			goto out_free;
		for (uint32_t j = 0; j < n; j++) {
			uint64_t a = addr[j];

			if (a < KALLSYMS_START_KERNEL_MAP ||
			    a - KALLSYMS_START_KERNEL_MAP >= ks->image_size)
				continue;
			if (a <= vaddr && (!found || a > best)) {
				best = a;
				best_idx = i + j;
				found = 1;
			} else if (a > vaddr && a < next) {
				next = a;
			}
		}
	}
	r = -ENOENT;
	if (!found || next == UINT64_MAX)
		goto out_free;
	r = sym_name(ks, best_idx, name, namelen);
	if (r < 0)
		goto out_free;
	*offset = vaddr - best;
	if (size)
		*size = next - best;
out_free:
	free(raw);
	free(addr);
	return r;
}

uint32_t kallsyms_count(const struct kallsyms *ks)
{
	return ks->num_syms;
}

void kallsyms_close(struct kallsyms *ks)
{
	if (!ks)
		return;
	free(ks->win);
	free(ks->tokens);
	free(ks);
}

int kallsyms_lookup(const char *vmcoreinfo, size_t len, kallsyms_read_fn rd, void *ctx,
		    const char *name, uint64_t *vaddr)
{
	struct kallsyms *ks;
	int r = kallsyms_open(vmcoreinfo, len, rd, ctx, &ks);

	if (r < 0)
		return r;
	r = kallsyms_find(ks, name, vaddr);
	kallsyms_close(ks);
	return r;
}
