#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Recursion with the guest saver: memory released by hvdump-save comes back as DIMMs; the
# capture guest fills it and crashes; in the second capture boot /proc/vmcore itself, read by
# the guest before anything is saved, is page-exact for the DIMM memory too, and the guest's
# releases of DIMM ranges free the DIMM files.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
guest_env
B=256M
SEED=0x5eedd2
MIB=384
mkdir -m 700 -p "$T/dumps"
truncate -s 1M "$T/mark.img"
truncate -s 1G "$T/save.img"
truncate -s 32M "$T/check.img"
start_hvdump "$T/r" run --name grecur --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--boot-region $B --save guest --dump-dir "$T/dumps" --log "$T/r.log" --no-console \
	--disk "$T/mark.img" --disk "$T/save.img" --disk "$T/check.img" \
	--append "console=ttyS0 quiet hvdump.crash=0 hvdump.memwatch=1 hvdump.save=/dev/vdb hvdump.vmcheck=/dev/vdc hvdump.capture_pattern=$MIB:$SEED hvdump.crash_capture=1 hvdump.capture_once=/dev/vda" \
	--crash-hook "$(pagehash_hook $B)"
wait_for "$T/r.log" 'the guest saved its dump' 240
ok $? "the first capture guest saved the first dump with hvdump-save"
wait_count "$T/r.log" 'guest kernel panicked' 2 120
ok $? "the capture guest crashed after its memory came back"
wait_count "$T/r.log" 'console: hvdump-guest: vmcheck (loads|FAILED)' 2 240
ok $? "the second capture guest hashed its /proc/vmcore"
cp "$T/check.img" "$T/guest2.hsh"
ndimm=$(grep -c . "$T/dimms2.txt")
check "the second crash had $ndimm DIMMs" test "$ndimm" -ge 1
check_pages "/proc/vmcore of the second capture guest is page-exact, DIMMs included" 2 "$T/guest2.hsh"
wait_count "$T/r.log" 'the guest saved its dump' 2 240
ok $? "the guest saved the second dump"
wait_count "$T/r.log" 'the guest has all its memory back' 2 60
ok $? "all memory back again"
check "every release the guest asked for was inside the crash" grep_none 'refused' "$T/r.log"
left=0
while read -r gpa bytes path; do [ -e "$path" ] && left=$((left + 1)); done <"$T/dimms2.txt"
check "the second crash's DIMM files are gone ($left left)" test "$left" -eq 0
diag "$(grep -E 'panicked|gave|re-attached|guest saved|is saved: file|gave up' "$T/r.log" | cut -c1-170)"
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
done_testing
