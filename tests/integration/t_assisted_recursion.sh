#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Recursion: crash, capture boot, the capture guest crashes too, second capture boot.  Both
# dumps stay page-exact: the second through the second capture guest's /proc/vmcore, the first
# rebuilt on the host from its own ELF header after the second capture boot.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
guest_env
command -v makedumpfile >/dev/null || skip_all "makedumpfile not installed"

B=256M
disk=$T/vmcheck.img
truncate -s 32M "$disk"
TOOLS=$ROOT/build/tests/tools
start_hvdump "$T/r" run --name recur --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--boot-region $B --dump-dir "$T/dumps" --log "$T/r.log" --no-console --disk "$disk" --save none \
	--append "console=ttyS0 quiet hvdump.crash=0 hvdump.crash_capture=4 hvdump.vmcheck=/dev/vda" \
	--crash-hook "$(pagehash_hook $B)"

wait_count "$T/r.log" 'console: hvdump-guest: vmcheck (loads|FAILED)' 1 120
ok $? "first capture guest checked its vmcore"
cp "$disk" "$T/guest1.hsh"
wait_count "$T/r.log" 'console: hvdump-guest: vmcheck (loads|FAILED)' 2 120
ok $? "second capture guest checked its vmcore"
wait_count "$T/r.log" 'console: HVDUMP-GUEST-READY' 3 60
diag "$(grep -E 'panicked|capture guest booting|vmcheck loads' "$T/r.log" | cut -c1-180)"
check "two crashes reported" test "$(grep -c 'guest kernel panicked' "$T/r.log")" -eq 2
check "second crash noticed as a crash of the capture guest" \
	grep -q 'the capture guest crashed too; the earlier crash stays preserved' "$T/r.log"
check "capture kernel's VMCOREINFO found by scanning guest memory" \
	grep -q 'VMCOREINFO found in guest memory' "$T/r.log"

check_pages "dump 1 page-exact through the first capture guest's /proc/vmcore" 1 "$T/guest1.hsh"
check_pages "dump 2 page-exact through the second capture guest's /proc/vmcore" 2 "$disk"

recs=($(ls "$T"/dumps/*/crash.json))
check "two crash records" test ${#recs[@]} -eq 2
"$TOOLS/vmcore-extract" "${recs[0]}" "$T/v1.elf" >/dev/null &&
	"$ROOT/build/tests/tools/hvdump-vmcheck" --out "$T/again1.hsh" "$T/v1.elf" >/dev/null
ok $? "dump 1 rebuilt from the RAM file after the second capture boot"
check_pages "dump 1 still page-exact after the second crash and capture boot" 1 "$T/again1.hsh"
"$TOOLS/vmcore-extract" "${recs[1]}" "$T/v2.elf" >/dev/null
makedumpfile --dump-dmesg "$T/v2.elf" "$T/d2.txt" >/dev/null 2>&1
check "makedumpfile reads dump 2: the capture kernel's panic" \
	grep_all "$T/d2.txt" 'Kernel panic - not syncing: sysrq triggered crash' 'elfcorehdr='
check "second record marks a crash in a capture boot" grep -q '"in_capture_boot": true' "${recs[1]}"

kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
check "exit 4 with unsaved dumps kept (rc=$RC)" test "$RC" -eq 4
done_testing
