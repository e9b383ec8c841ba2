// SPDX-License-Identifier: GPL-2.0-or-later
// BTF: a structure member's offset found directly, through anonymous members and past
// declarations; malformed sections, strings, kinds and loops refused.
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/btf.h"
#include "format/le.h"
#include "tap.h"

static uint8_t types[4096], strs[512], out[8192];
static size_t tlen, slen;

static uint32_t str(const char *s)
{
	uint32_t off = (uint32_t)slen;

	memcpy(strs + slen, s, strlen(s) + 1);
	slen += strlen(s) + 1;
	return off;
}

static void type(uint32_t name, unsigned kind, unsigned vlen, int kflag, uint32_t size_type)
{
	le32_put(types + tlen, name);
	le32_put(types + tlen + 4, (uint32_t)kind << 24 | vlen | (uint32_t)kflag << 31);
	le32_put(types + tlen + 8, size_type);
	tlen += 12;
}

static void u32(uint32_t v)
{
	le32_put(types + tlen, v);
	tlen += 4;
}

static void member(uint32_t name, uint32_t type_id, uint32_t off)
{
	u32(name);
	u32(type_id);
	u32(off);
}

/* The header and sections into out[]: the length. */
static size_t assemble(void)
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
static size_t kernel(void)
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

static int off_of(size_t len, const char *s, const char *m, uint64_t *off)
{
	return btf_member_offset(out, len, s, m, off);
}

int main(void)
{
	uint64_t off = 0;
	size_t len = kernel();

	tap_is_int(off_of(len, "task_struct", "tgid", &off), 0, "a direct member");
	tap_is_int((int)off, 32, "tgid at byte 32");
	tap_is_int(off_of(len, "task_struct", "pid", &off), 0, "through an anonymous union and struct");
	tap_is_int((int)off, 20, "pid at byte 16 + 4");
	tap_is_int(off_of(len, "task_struct", "prio", &off), -ENOENT, "a bitfield is not found");
	tap_is_int(off_of(len, "task_struct", "comm", &off), -ENOENT, "no such member: -ENOENT");
	tap_is_int(off_of(len, "mm_struct", "pid", &off), -ENOENT, "no such struct: -ENOENT");

	len = kernel();
	out[0] ^= 1;
	tap_is_int(off_of(len, "task_struct", "pid", &off), -EBADMSG, "bad magic");
	len = kernel();
	le32_put(out + 12, (uint32_t)tlen + 4096);
	tap_is_int(off_of(len, "task_struct", "pid", &off), -EBADMSG, "type section past the end");
	len = kernel();
	out[24 + 12 + 4 + 7] = 31;                        /* type 2's kind: 31 */
	tap_is_int(off_of(len, "task_struct", "pid", &off), -EBADMSG, "an unknown kind");
	len = kernel();
	le32_put(out + 12, (uint32_t)tlen - 2);
	tap_is_int(off_of(len - 2, "task_struct", "pid", &off), -EBADMSG, "a type cut short");
	len = kernel();
	le32_put(out + 20, 3);                            /* strings end inside "task_struct" */
	tap_is_int(off_of(len, "task_struct", "pid", &off), -EBADMSG, "a name past the strings");
	/* struct 3's first member is an anonymous struct 3 itself: a loop */
	len = kernel();
	le32_put(out + 24 + 12 + 4 + 12 + 12, 0);         /* member x: no name */
	le32_put(out + 24 + 12 + 4 + 12 + 12 + 4, 3);     /* ... of type 3 */
	tap_is_int(off_of(len, "task_struct", "pid", &off), -EBADMSG,
		   "an anonymous member containing itself: refused after BTF_MAX_DEPTH levels");
	len = kernel();
	le32_put(out + 24 + 12 + 4 + 12 + 12 + 12 + 4, 99); /* pid's own type: a bad id */
	tap_ok(off_of(len, "task_struct", "pid", &off) == 0,
	       "the member found: its type (a bad id) is not needed");
	for (size_t cut = 0; cut < len; cut += 7)
		(void)off_of(cut, "task_struct", "pid", &off);
	tap_ok(1, "every truncation handled");
	return tap_done();
}
