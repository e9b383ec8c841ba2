#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The vCPU-state fallback: notes built from `info registers -a` (--cpu-state registers) and
# VMCOREINFO found by scanning guest memory still give a capture kernel a usable vmcore.
. "$(dirname "$0")/../lib/common.sh"
guest_env
command -v makedumpfile >/dev/null || skip_all "makedumpfile not installed"

start_hvdump "$T/g" run --name regs --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--cpus 2 --cpu-state registers --dump-dir "$T/dumps" --log "$T/g.log" --no-console --save none \
	--append "console=ttyS0 quiet hvdump.crash=0 hvdump.vmcheck=none"
wait_for "$T/g.log" 'console: hvdump-guest: vmcheck (loads|FAILED)' 120
ok $? "capture guest read its vmcore"
line=$(grep -m1 'vmcheck loads' "$T/g.log")
diag "$line"
check "two NT_PRSTATUS notes built from info registers" grep -q 'prstatus=2 ' <<<"$line"
vmcoreinfo_scanned() {
	grep -q 'vmcoreinfo=6\.' <<<"$line" && grep -q 'VMCOREINFO found in guest memory' "$T/g.log"
}
check "VMCOREINFO found by scanning guest memory" vmcoreinfo_scanned
rec=$(ls "$T"/dumps/*/crash.json | head -1)
check "readelf -n reads the notes file hvdump wrote" \
	test "$(readelf -n "$(dirname "$rec")/notes.elf" | grep -c NT_PRSTATUS)" -eq 2
"$ROOT/build/tests/tools/vmcore-extract" "$rec" "$T/v.elf" >/dev/null
makedumpfile --dump-dmesg "$T/v.elf" "$T/d.txt" >/dev/null 2>&1
check "makedumpfile --dump-dmesg reads the vmcore" \
	grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$T/d.txt"
rip=$(sed -n 's/.*"rip": "\(0x[0-9a-f]*\)".*/\1/p' "$rec" | head -1)
rip_nonzero() { [ -n "$rip" ] && [ "$rip" != 0x0000000000000000 ]; }
check "crash record lists vCPU RIPs ($rip)" rip_nonzero
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
done_testing
