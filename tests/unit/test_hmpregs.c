// SPDX-License-Identifier: GPL-2.0-or-later
// `info registers -a` parsing, on text captured from QEMU 7.2 holding a panicked 2-vCPU guest
// (tests/data/info-registers-a.txt), and on damaged variants of it.
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/elfcore.h"
#include "format/hmpregs.h"
#include "tap.h"
#include "util/fsutil.h"

int main(void)
{
	struct prstatus cpu[8], back;
	unsigned n = 0;
	char *text = NULL, *bad;
	size_t len = 0, nlen = 0, pos = 0;
	uint8_t notes[2048];
	struct elfnote note;

	if (read_file("tests/data/info-registers-a.txt", 1 << 20, &text, &len) < 0) {
		tap_skip_all("tests/data/info-registers-a.txt not found (run from the repository root)");
		return 77;
	}
	tap_ok(hmpregs_parse(text, len, cpu, 8, &n) == 0, "real QEMU output parses");
	tap_is_int(n, 2, "two CPUs");
	tap_ok(cpu[0].reg[PR_RIP] == 0xffffffffb383d023ull, "CPU#0 RIP");
	tap_ok(cpu[0].reg[PR_RSP] == 0xff72301b40003fc0ull, "CPU#0 RSP");
	tap_ok(cpu[0].reg[PR_R8] == 0xffffffffff92da47ull, "R8 (padded name)");
	tap_ok(cpu[0].reg[PR_EFLAGS] == 0x93, "RFL");
	tap_ok(cpu[0].reg[PR_CS] == 0x10 && cpu[0].reg[PR_SS] == 0x18, "segment selectors");
	tap_ok(cpu[0].reg[PR_GS_BASE] == 0xff3461b4df200000ull, "GS base");
	tap_ok(cpu[0].pid == 1 && cpu[1].pid == 2, "pr_pid is cpu index + 1, as QEMU writes it");
	tap_ok(cpu[0].reg[PR_RIP] != cpu[1].reg[PR_RIP], "CPUs are parsed separately");

	tap_ok(prstatus_note_append(notes, sizeof(notes), &nlen, &cpu[1]) == 0, "note built");
	tap_ok(elfnote_next(notes, nlen, &pos, &note) == 1 && prstatus_decode(&note, &back) == 0 &&
	       !memcmp(back.reg, cpu[1].reg, sizeof(back.reg)) && back.pid == 2,
	       "note decodes back to the same registers");

	tap_ok(hmpregs_parse(text, len, cpu, 1, &n) == -E2BIG, "more CPUs than room: -E2BIG");
	bad = strdup(text);
	memcpy(strstr(bad, "RIP="), "RIQ=", 4);
	tap_ok(hmpregs_parse(bad, len, cpu, 8, &n) == -EBADMSG, "missing RIP: refused");
	strcpy(bad, text);
	memcpy(strstr(bad, "RSP=") + 4, "zz", 2);
	tap_ok(hmpregs_parse(bad, len, cpu, 8, &n) == -EBADMSG, "non-hex value: refused");
	tap_ok(hmpregs_parse(bad, strstr(text, "RSP=") - text + 6, cpu, 8, &n) == -EBADMSG,
	       "truncated text: refused");
	tap_ok(hmpregs_parse("no cpus here", 12, cpu, 8, &n) == -EBADMSG, "no CPU#: refused");
	tap_ok(hmpregs_parse(text, strstr(text, "GS =") - text + 8, cpu, 8, &n) == -EBADMSG &&
	       n == 0, "cut after GS's selector, before its base: refused");
	{
		uint8_t h[8];
		unsigned nh = 0;
		tap_ok(hmpregs_halted(text, len, h, 8, &nh) == 0 && nh == 2 && h[0] == 1 && h[1] == 0,
		       "HLT per CPU: CPU#0 halted, CPU#1 not");
		tap_ok(hmpregs_halted(text, len, h, 1, &nh) == -E2BIG && nh == 0,
		       "HLT: more CPUs than room: -E2BIG");
		strcpy(bad, text);
		memcpy(strstr(bad, "HLT="), "HLT?", 4);
		tap_ok(hmpregs_halted(bad, len, h, 8, &nh) == -EBADMSG, "a CPU without HLT=: refused");
	}
	free(bad);
	free(text);
	return tap_done();
}
