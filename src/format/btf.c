// SPDX-License-Identifier: GPL-2.0-or-later
// The offset of a structure's member, from the kernel's own BTF (btf.h).
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "format/btf.h"
#include "format/le.h"

#define HDR_MIN 24u
#define TYPE_SIZE 12u
#define MEMBER_SIZE 12u

enum {
	K_INT = 1, K_PTR, K_ARRAY, K_STRUCT, K_UNION, K_ENUM, K_FWD, K_TYPEDEF, K_VOLATILE,
	K_CONST, K_RESTRICT, K_FUNC, K_FUNC_PROTO, K_VAR, K_DATASEC, K_FLOAT, K_DECL_TAG,
	K_TYPE_TAG, K_ENUM64,
};

struct btf {
	const uint8_t *types;   /* the type section */
	size_t types_len;
	const char *strs;       /* the string section */
	size_t strs_len;
	uint32_t *at;           /* at[id - 1]: the offset of type id in the type section */
	uint32_t n;
};

/* Bytes of kind-specific data after a type of kind KIND with VLEN entries, or -1. */
static long long extra(unsigned kind, unsigned vlen)
{
	switch (kind) {
	case K_INT: case K_VAR: case K_DECL_TAG:
		return 4;
	case K_PTR: case K_FWD: case K_TYPEDEF: case K_VOLATILE: case K_CONST: case K_RESTRICT:
	case K_FUNC: case K_FLOAT: case K_TYPE_TAG:
		return 0;
	case K_ARRAY:
		return 12;
	case K_STRUCT: case K_UNION: case K_DATASEC: case K_ENUM64:
		return 12ll * vlen;
	case K_ENUM: case K_FUNC_PROTO:
		return 8ll * vlen;
	default:
		return -1;
	}
}

/* The string at OFF, or NULL when it does not end inside the section. */
static const char *str_at(const struct btf *b, uint32_t off)
{
	if (off >= b->strs_len || !memchr(b->strs + off, '\0', b->strs_len - off))
		return NULL;
	return b->strs + off;
}

/* Check the header and index every type.  0, -EBADMSG or -ENOMEM. */
static int index_types(const uint8_t *p, size_t len, struct btf *b)
{
	uint32_t hdr_len, toff, tlen, soff, slen;
	uint64_t tend, send;
	size_t cap;

	if (len < HDR_MIN || le16_get(p) != BTF_MAGIC || p[2] != 1)
		return -EBADMSG;
	hdr_len = le32_get(p + 4);
	toff = le32_get(p + 8);
	tlen = le32_get(p + 12);
	soff = le32_get(p + 16);
	slen = le32_get(p + 20);
	tend = (uint64_t)hdr_len + toff + tlen;
	send = (uint64_t)hdr_len + soff + slen;
	if (hdr_len < HDR_MIN || hdr_len > len || tend > len || send > len || slen == 0)
		return -EBADMSG;
	b->types = p + hdr_len + toff;
	b->types_len = tlen;
	b->strs = (const char *)p + hdr_len + soff;
	b->strs_len = slen;
	cap = tlen / TYPE_SIZE + 1;
	b->at = malloc(cap * sizeof(*b->at));
	if (!b->at)
		return -ENOMEM;
	for (size_t off = 0; off < tlen;) {
		uint32_t info;
		long long x;

		if (tlen - off < TYPE_SIZE || b->n >= cap)
			return -EBADMSG;
		info = le32_get(b->types + off + 4);
		x = extra((info >> 24) & 0x1f, info & 0xffff);
		if (x < 0 || (uint64_t)x > tlen - off - TYPE_SIZE)
			return -EBADMSG;
		b->at[b->n++] = (uint32_t)off;
		off += TYPE_SIZE + (size_t)x;
	}
	return 0;
}

/* MEMBER inside struct or union ID (DEPTH levels of anonymous members deep): its byte offset
 * added to *OFF.  0, -ENOENT or -EBADMSG. */
static int find_member(const struct btf *b, uint32_t id, const char *member, unsigned depth,
		       uint64_t *off)
{
	const uint8_t *t;
	uint32_t info;
	unsigned kind, vlen;

	if (id == 0 || id > b->n || depth > BTF_MAX_DEPTH)
		return -EBADMSG;
	t = b->types + b->at[id - 1];
	info = le32_get(t + 4);
	kind = (info >> 24) & 0x1f;
	vlen = info & 0xffff;
	if (kind != K_STRUCT && kind != K_UNION)
		return -ENOENT;
	for (unsigned i = 0; i < vlen; i++) {
		const uint8_t *m = t + TYPE_SIZE + (size_t)i * MEMBER_SIZE;
		const char *name = str_at(b, le32_get(m));
		uint32_t bits = le32_get(m + 8), type = le32_get(m + 4);
		uint64_t sub = 0;
		int r;

		if (!name)
			return -EBADMSG;
		if (info >> 31) {
			if (bits >> 24) /* a bitfield */
				continue;
			bits &= 0xffffff;
		}
		if (strcmp(name, member) == 0) {
			if (bits % 8)
				return -EBADMSG;
			*off += bits / 8;
			return 0;
		}
		if (name[0] != '\0' || bits % 8)
			continue;
		r = find_member(b, type, member, depth + 1, &sub);
		if (r == 0) {
			*off += bits / 8 + sub;
			return 0;
		}
		if (r != -ENOENT)
			return r;
	}
	return -ENOENT;
}

int btf_member_offset(const uint8_t *p, size_t len, const char *struct_name, const char *member,
		      uint64_t *offset)
{
	struct btf b = { 0 };
	int r = len > BTF_MAX_SIZE ? -EBADMSG : index_types(p, len, &b);

	for (uint32_t id = 1; r == 0 && id <= b.n; id++) {
		const uint8_t *t = b.types + b.at[id - 1];
		uint32_t info = le32_get(t + 4);
		const char *name;

		if (((info >> 24) & 0x1f) != K_STRUCT || le32_get(t + 8) == 0)
			continue;
		name = str_at(&b, le32_get(t));
		if (!name) {
			r = -EBADMSG;
			break;
		}
		if (strcmp(name, struct_name) != 0)
			continue;
		*offset = 0;
		r = find_member(&b, id, member, 0, offset);
		free(b.at);
		return r;
	}
	free(b.at);
	return r == 0 ? -ENOENT : r;
}
