// SPDX-License-Identifier: GPL-2.0-or-later
// ELF core headers and notes: what we write parses back as the kernel expects, and hostile
// notes, program headers and VMCOREINFO text are refused, never read past.
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/elfcore.h"
#include "format/prstatus.h"
#include "format/vmcoreinfo.h"
#include "tap.h"

static const char vmci[] = "OSRELEASE=6.1.0-56-cloud-amd64\nPAGESIZE=4096\n"
			   "SYMBOL(log_buf)=ffffffff82c622c0\nSYMBOL(log_buf_len)=1\n"
			   "NUMBER(phys_base)=945815552\nKERNELOFFSET=200000\n";

int main(void)
{
	uint8_t notes[4096], out[8192], prs[PRSTATUS_X86_64_SIZE] = { 0 };
	size_t len = 0, pos = 0, nsegs, need;
	struct elfcore_load loads[2] = {
		{ .paddr = 0, .size = 0xa0000, .data_addr = 0x100000000ull },
		{ .paddr = 0x100000, .size = 0x3ff00000, .data_addr = 0x100000 },
	};
	struct elfcore_segment *segs;
	struct elfnote n;
	struct prstatus ps;
	const char *text;
	size_t tlen;
	char val[64];
	uint64_t v;

	prs[32] = 42; /* pr_pid */
	prs[112 + 16 * 8] = 0x30, prs[112 + 16 * 8 + 7] = 0xff; /* rip */
	tap_ok(elfnote_append(notes, sizeof(notes), &len, "CORE", NT_PRSTATUS, prs, sizeof(prs)) == 0,
	       "append NT_PRSTATUS");
	tap_ok(elfnote_append(notes, sizeof(notes), &len, "VMCOREINFO", 0, vmci, strlen(vmci)) == 0,
	       "append VMCOREINFO");
	tap_ok(elfnote_append(notes, 100, &len, "X", 0, vmci, strlen(vmci)) == -ENOSPC,
	       "append past capacity refused");
	tap_ok(elfnote_next(notes, len, &pos, &n) == 1 && prstatus_decode(&n, &ps) == 0 &&
	       ps.pid == 42 && ps.reg[PR_RIP] == 0xff00000000000030ull, "prstatus decodes pid and rip");
	tap_ok(vmcoreinfo_find(notes, len, &text, &tlen) == 0, "VMCOREINFO found among notes");
	tap_ok(vmcoreinfo_get(text, tlen, "OSRELEASE", val, sizeof(val)) == 0 &&
	       !strcmp(val, "6.1.0-56-cloud-amd64"), "OSRELEASE");
	tap_ok(vmcoreinfo_get_u64(text, tlen, "SYMBOL(log_buf)", &v) == 0 && v == 0xffffffff82c622c0ull,
	       "SYMBOL(log_buf) is not confused with SYMBOL(log_buf_len)");
	tap_ok(vmcoreinfo_get_u64(text, tlen, "NUMBER(phys_base)", &v) == 0 && v == 945815552,
	       "NUMBER() values are decimal");
	tap_ok(vmcoreinfo_get(text, tlen, "OSRELEASE", val, 5) == -E2BIG, "small buffer: -E2BIG");
	tap_ok(vmcoreinfo_get(text, tlen, "NOPE", val, sizeof(val)) == -ENOENT, "missing key");
	tap_ok(vmcoreinfo_note_at(notes + elfnote_size("CORE", sizeof(prs)), 4096) > 0,
	       "page-aligned VMCOREINFO note recognised");
	tap_ok(vmcoreinfo_note_at(notes, 4096) == 0, "other notes are not VMCOREINFO");

	tap_ok(elfcore_build(out, sizeof(out), 0x100000000ull, loads, 2, notes, len, NULL) == 0,
	       "header built");
	tap_ok(elfcore_parse(out, sizeof(out), 0, &segs, &nsegs, &need) == 0 && nsegs == 3,
	       "header parses back: 3 segments");
	tap_ok(segs[0].type == PT_NOTE && segs[0].offset == 0x100000000ull + 64 + 3 * 56 &&
	       segs[0].filesz == len, "PT_NOTE points at the notes by physical address");
	tap_ok(segs[1].type == PT_LOAD && segs[1].paddr == 0 && segs[1].offset == 0x100000000ull &&
	       segs[1].memsz == 0xa0000, "relocated PT_LOAD: paddr crashed, offset copy");
	tap_ok(segs[2].paddr == 0x100000 && segs[2].offset == 0x100000, "identity PT_LOAD");
	tap_ok(!memcmp(out + 64 + 3 * 56, notes, len), "notes copied verbatim");
	free(segs);

	/* hostile input */
	{
		uint8_t bad[8192];
		memcpy(bad, out, sizeof(bad));
		bad[56] = 0xff, bad[57] = 0xff; /* e_phnum = 65535 */
		tap_ok(elfcore_parse(bad, sizeof(bad), 0, &segs, &nsegs, &need) == -EINVAL ||
		       elfcore_parse(bad, sizeof(bad), 0, &segs, &nsegs, &need) == -ENODATA,
		       "absurd e_phnum refused");
		memcpy(bad, out, sizeof(bad));
		bad[54] = 32; /* e_phentsize */
		tap_ok(elfcore_parse(bad, sizeof(bad), 0, &segs, &nsegs, &need) == -EINVAL,
		       "wrong e_phentsize refused");
		memcpy(bad, out, sizeof(bad));
		memset(bad + 32, 0xff, 8); /* e_phoff near 2^64 */
		tap_ok(elfcore_parse(bad, sizeof(bad), 0, &segs, &nsegs, &need) == -EINVAL,
		       "e_phoff overflow refused");
		memcpy(bad, out, sizeof(bad));
		tap_ok(elfcore_parse(bad, 100, 0, &segs, &nsegs, &need) == -ENODATA && need == 64 + 3 * 56,
		       "truncated header asks for the bytes it needs");
		memcpy(bad, out, sizeof(bad));
		memset(bad + 64 + 56 + 32, 0xff, 8); /* a PT_LOAD's p_filesz huge */
		tap_ok(elfcore_parse(bad, sizeof(bad), 1 << 20, &segs, &nsegs, &need) == -EINVAL,
		       "segment beyond the file refused");
		bad[0] = 0;
		tap_ok(elfcore_parse(bad, sizeof(bad), 0, &segs, &nsegs, &need) == -ENOEXEC, "not ELF");

		memcpy(bad, notes, len);
		bad[4] = 0xff, bad[5] = 0xff, bad[6] = 0xff, bad[7] = 0x7f; /* descsz huge */
		pos = 0;
		tap_ok(elfnote_next(bad, len, &pos, &n) == -EBADMSG, "note with huge descsz refused");
		memcpy(bad, notes, len);
		bad[0] = 0xff, bad[1] = 0xff, bad[2] = 0xff, bad[3] = 0xff; /* namesz 2^32-1 */
		pos = 0;
		tap_ok(elfnote_next(bad, len, &pos, &n) == -EBADMSG, "note with huge namesz refused");
		pos = 0;
		tap_ok(elfnote_next(notes, 11, &pos, &n) == 0, "fragment shorter than a header ends");
		pos = 0;
		tap_ok(elfnote_next(notes, 30, &pos, &n) == -EBADMSG, "truncated note refused");
		tap_ok(vmcoreinfo_find(bad, len, &text, &tlen) == -EBADMSG, "malformed notes reported");
	}
	return tap_done();
}
