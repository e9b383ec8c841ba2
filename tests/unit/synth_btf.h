/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small BTF (format/btf.h) built by hand, for test_btf and the fuzz seeds (mkseed): struct
 * task_struct with pid inside an anonymous union and struct, a declaration of it before, a
 * bitfield, a FUNC_PROTO and an ENUM.  synth_btf() assembles it into sb_out[] and returns its
 * length; pid is at byte 20, tgid at 32. */
#ifndef HVDUMP_TESTS_SYNTH_BTF_H
#define HVDUMP_TESTS_SYNTH_BTF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "format/btf.h"
#include "format/le.h"

static uint8_t sb_types[4096], sb_strs[512], sb_out[8192];
static size_t sb_tlen, sb_slen;

static inline uint32_t sb_str(const char *s)
{
	uint32_t off = (uint32_t)sb_slen;

	memcpy(sb_strs + sb_slen, s, strlen(s) + 1);
	sb_slen += strlen(s) + 1;
	return off;
}

static inline void sb_type(uint32_t name, unsigned kind, unsigned vlen, int kflag,
			   uint32_t size_type)
{
	le32_put(sb_types + sb_tlen, name);
	le32_put(sb_types + sb_tlen + 4, (uint32_t)kind << 24 | vlen | (uint32_t)kflag << 31);
	le32_put(sb_types + sb_tlen + 8, size_type);
	sb_tlen += 12;
}

static inline void sb_u32(uint32_t v)
{
	le32_put(sb_types + sb_tlen, v);
	sb_tlen += 4;
}

static inline void sb_member(uint32_t name, uint32_t type_id, uint32_t off)
{
	sb_u32(name);
	sb_u32(type_id);
	sb_u32(off);
}

/* The header and sections into sb_out[]: the length. */
static inline size_t sb_assemble(void)
{
	memset(sb_out, 0, sizeof(sb_out));
	le16_put(sb_out, BTF_MAGIC);
	sb_out[2] = 1;
	le32_put(sb_out + 4, 24);
	le32_put(sb_out + 8, 0);
	le32_put(sb_out + 12, (uint32_t)sb_tlen);
	le32_put(sb_out + 16, (uint32_t)sb_tlen);
	le32_put(sb_out + 20, (uint32_t)sb_slen);
	memcpy(sb_out + 24, sb_types, sb_tlen);
	memcpy(sb_out + 24 + sb_tlen, sb_strs, sb_slen);
	return 24 + sb_tlen + sb_slen;
}

/* 1 int; 2 struct task_struct (declaration, size 0); 3 anonymous struct {int x; int pid};
 * 4 anonymous union {int a; struct 3}; 5 struct task_struct {long state; int prio:3 (a
 * bitfield); union 4 at 128 bits; int tgid at 256}; 6 FUNC_PROTO with 2 params; 7 ENUM. */
static inline size_t synth_btf(void)
{
	sb_tlen = sb_slen = 0;
	sb_str("");
	uint32_t s_int = sb_str("int"), s_ts = sb_str("task_struct"), s_x = sb_str("x"), s_pid = sb_str("pid"),
		 s_a = sb_str("a"), s_state = sb_str("state"), s_prio = sb_str("prio"), s_tgid = sb_str("tgid");
	sb_type(s_int, 1, 0, 0, 4);
	sb_u32(0x20);
	sb_type(s_ts, 4, 0, 0, 0);                           /* 2 */
	sb_type(0, 4, 2, 0, 8);                              /* 3 */
	sb_member(s_x, 1, 0);
	sb_member(s_pid, 1, 32);
	sb_type(0, 5, 2, 0, 8);                              /* 4 */
	sb_member(s_a, 1, 0);
	sb_member(0, 3, 0);
	sb_type(s_ts, 4, 4, 1, 64);                          /* 5 */
	sb_member(s_state, 1, 0);
	sb_member(s_prio, 1, 3u << 24 | 64);
	sb_member(0, 4, 128);
	sb_member(s_tgid, 1, 256);
	sb_type(0, 13, 2, 0, 1);                             /* 6 */
	sb_u32(0); sb_u32(1); sb_u32(0); sb_u32(1);
	sb_type(s_x, 6, 1, 0, 4);                            /* 7 */
	sb_u32(s_a); sb_u32(3);
	return sb_assemble();
}

#endif
