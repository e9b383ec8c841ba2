// SPDX-License-Identifier: GPL-2.0-or-later
// BTF: a structure member's offset found directly, through anonymous members and past
// declarations; malformed sections, strings, kinds and loops refused.
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/btf.h"
#include "format/le.h"
#include "tap.h"
#include "unit/synth_btf.h"

static int off_of(size_t len, const char *s, const char *m, uint64_t *off)
{
	return btf_member_offset(sb_out, len, s, m, off);
}

int main(void)
{
	uint64_t off = 0;
	size_t len = synth_btf();

	tap_is_int(off_of(len, "task_struct", "tgid", &off), 0, "a direct member");
	tap_is_int((int)off, 32, "tgid at byte 32");
	tap_is_int(off_of(len, "task_struct", "pid", &off), 0, "through an anonymous union and struct");
	tap_is_int((int)off, 20, "pid at byte 16 + 4");
	tap_is_int(off_of(len, "task_struct", "prio", &off), -ENOENT, "a bitfield is not found");
	tap_is_int(off_of(len, "task_struct", "comm", &off), -ENOENT, "no such member: -ENOENT");
	tap_is_int(off_of(len, "mm_struct", "pid", &off), -ENOENT, "no such struct: -ENOENT");

	len = synth_btf();
	sb_out[0] ^= 1;
	tap_is_int(off_of(len, "task_struct", "pid", &off), -EBADMSG, "bad magic");
	len = synth_btf();
	le32_put(sb_out + 12, (uint32_t)sb_tlen + 4096);
	tap_is_int(off_of(len, "task_struct", "pid", &off), -EBADMSG, "type section past the end");
	len = synth_btf();
	sb_out[24 + 12 + 4 + 7] = 31;                        /* type 2's kind: 31 */
	tap_is_int(off_of(len, "task_struct", "pid", &off), -EBADMSG, "an unknown kind");
	len = synth_btf();
	le32_put(sb_out + 12, (uint32_t)sb_tlen - 2);
	tap_is_int(off_of(len - 2, "task_struct", "pid", &off), -EBADMSG, "a type cut short");
	len = synth_btf();
	le32_put(sb_out + 20, 3);                            /* strings end inside "task_struct" */
	tap_is_int(off_of(len, "task_struct", "pid", &off), -EBADMSG, "a name past the strings");
	/* struct 3's first member is an anonymous struct 3 itself: a loop */
	len = synth_btf();
	le32_put(sb_out + 24 + 12 + 4 + 12 + 12, 0);         /* member x: no name */
	le32_put(sb_out + 24 + 12 + 4 + 12 + 12 + 4, 3);     /* ... of type 3 */
	tap_is_int(off_of(len, "task_struct", "pid", &off), -EBADMSG,
		   "an anonymous member containing itself: refused after BTF_MAX_DEPTH levels");
	len = synth_btf();
	le32_put(sb_out + 24 + 12 + 4 + 12 + 12 + 12 + 4, 99); /* pid's own type: a bad id */
	tap_ok(off_of(len, "task_struct", "pid", &off) == 0,
	       "the member found: its type (a bad id) is not needed");
	for (size_t cut = 0; cut < len; cut += 7)
		(void)off_of(cut, "task_struct", "pid", &off);
	tap_ok(1, "every truncation handled");
	return tap_done();
}
