/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small BTF (format/btf.h) built by hand, for test_btf and the fuzz seeds (mkseed): struct
 * task_struct with pid inside an anonymous union and struct, a declaration of it before, a
 * bitfield, a FUNC_PROTO and an ENUM.  kernel() assembles it into out[] and returns its
 * length; pid is at byte 20, tgid at 32. */
#ifndef HVDUMP_TESTS_SYNTH_BTF_H
#define HVDUMP_TESTS_SYNTH_BTF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "format/btf.h"
#include "format/le.h"

static uint8_t types[4096], strs[512], out[8192];
static size_t tlen, slen;

static inline uint32_t str(const char *s)
{
	uint32_t off = (uint32_t)slen;

	memcpy(strs + slen, s, strlen(s) + 1);
	slen += strlen(s) + 1;
	return off;
}

static inline void type(uint32_t name, unsigned kind, unsigned vlen, int kflag, uint32_t size_type)
{
	le32_put(types + tlen, name);
	le32_put(types + tlen + 4, (uint32_t)kind << 24 | vlen | (uint32_t)kflag << 31);
	le32_put(types + tlen + 8, size_type);
	tlen += 12;
}

static inline void u32(uint32_t v)
{
	le32_put(types + tlen, v);
	tlen += 4;
}

static inline void member(uint32_t name, uint32_t type_id, uint32_t off)
{
	u32(name);
	u32(type_id);
	u32(off);
}

/* The header and sections into out[]: the length. */
static inline size_t assemble(void)
{
	memset(out, 0, sizeof(out));
	le16_put(out, BTF_MAGIC);
	out[2] = 1;
	le32_put(out + 4, 24);
	le32_put(out + 8, 0);
	le32_put(out + 12, (uint32_t)tlen);
	le32_put(out + 16, (uint32_t)tlen);
	le32_put(out + 20, (uint32_t)slen);
	memcpy(out + 24, types, tlen);
	memcpy(out + 24 + tlen, strs, slen);
	return 24 + tlen + slen;
}

/* 1 int; 2 struct task_struct (declaration, size 0); 3 anonymous struct {int x; int pid};
 * 4 anonymous union {int a; struct 3}; 5 struct task_struct {long state; int prio:3 (a
 * bitfield); union 4 at 128 bits; int tgid at 256}; 6 FUNC_PROTO with 2 params; 7 ENUM. */
static inline size_t kernel(void)
{
	tlen = slen = 0;
	str("");
	uint32_t s_int = str("int"), s_ts = str("task_struct"), s_x = str("x"), s_pid = str("pid"),
		 s_a = str("a"), s_state = str("state"), s_prio = str("prio"), s_tgid = str("tgid");
	type(s_int, 1, 0, 0, 4);
	u32(0x20);
	type(s_ts, 4, 0, 0, 0);                           /* 2 */
	type(0, 4, 2, 0, 8);                              /* 3 */
	member(s_x, 1, 0);
	member(s_pid, 1, 32);
	type(0, 5, 2, 0, 8);                              /* 4 */
	member(s_a, 1, 0);
	member(0, 3, 0);
	type(s_ts, 4, 4, 1, 64);                          /* 5 */
	member(s_state, 1, 0);
	member(s_prio, 1, 3u << 24 | 64);
	member(0, 4, 128);
	member(s_tgid, 1, 256);
	type(0, 13, 2, 0, 1);                             /* 6 */
	u32(0); u32(1); u32(0); u32(1);
	type(s_x, 6, 1, 0, 4);                            /* 7 */
	u32(s_a); u32(3);
	return assemble();
}

#endif
