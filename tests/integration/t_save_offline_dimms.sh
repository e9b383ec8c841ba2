#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `hvdump save --from` with DIMM files and a save that had freed memory already.  A 1 GiB
# guest crashes; its dump is saved and the memory given back as DIMMs; the capture guest fills
# them and crashes too.  The second dump fills the (small) dump file system: saving stops,
# what was durable is freed; hvdump is stopped (exit 4, crash-2.ram and crash-2.dimm-I kept).
# After space is freed, `hvdump save --from` continues the partial kdump file from the kept RAM
# and DIMM files, and the dump is page-exact for all of the second kernel's memory.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
guest_env
TOOLS=$ROOT/build/tests/tools
B=256M
SEED=0x5eedd1
MIB=512
mkdir -p "$T/small"
mount -t tmpfs -o size=300M,mode=0700 hvdump-test "$T/small" 2>/dev/null ||
	skip_all "cannot mount a small tmpfs (needs root)"
trap 'umount -l "$T/small" 2>/dev/null; cleanup' EXIT
truncate -s 1M "$T/mark.img"
# the second dump fills the disk, as another writer would: hvdump's own space check and guard
# (t_save_space) would stop it first, so they are off here (a test-only hook, dump/space.h)
export HVDUMP_TEST_SPACE_OFF=1


start_hvdump "$T/r" run --name offdimm --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--boot-region $B --dump-dir "$T/small/dumps" --log "$T/r.log" --no-console --disk "$T/mark.img" \
	--append "console=ttyS0 quiet hvdump.crash=0 hvdump.capture_pattern=$MIB:$SEED hvdump.crash_capture=1 hvdump.capture_once=/dev/vda" \
	--crash-hook "$(pagehash_hook $B)"
wait_for "$T/r.log" 'info: dump saved: ' 120
ok $? "first dump saved while the capture guest ran"
wait_count "$T/r.log" 'guest kernel panicked' 2 120
ok $? "the capture guest crashed"
wait_for "$T/r.log" 'saving the dump failed' 120
ok $? "the second save stops: the dump file system is full"
diag "$(grep -E 'panicked|re-attached|dump saved|saving the dump failed' "$T/r.log" | cut -c1-170)"
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 90
check "hvdump exits 4 with the second crash kept unsaved (rc=$RC)" test "$RC" -eq 4
recs=($(ls "$T"/small/dumps/*/crash.json))
rec=${recs[1]}
dir=$(dirname "$rec")
kept=$T/run/offdimm/crash-2.ram
ndimm=$(grep -c . "$T/dimms2.txt")
kept_partial() {
	[ -f "$kept" ] && grep -q '"state": "preserved-unsaved"' "$rec" && [ "$ndimm" -ge 1 ] &&
		[ "$(grep -c '"file": ".*/crash-2.dimm-' "$rec")" -eq "$ndimm" ] && [ -e "$dir/vmcore.kdump.part" ]
}
check "crash-2.ram and $ndimm crash-2.dimm-I kept, named by the record; a partial vmcore.kdump.part" \
	kept_partial
grep -E '"released_bytes"' "$rec" | head -1 | sed 's/^/# /'

"$HVDUMP" save --from "$dir" >"$T/s0.out" 2>&1
rc=$?
check "offline save on the full file system fails and says why (rc=$rc)" \
	exit_says "$rc" 1 "$T/s0.out" 'No space left'
diag "$(cut -c1-200 "$T/s0.out")"
mount -o remount,size=2G "$T/small"
"$HVDUMP" save --from "$dir" >"$T/s1.out" 2>&1
ok $? "after space is freed, hvdump save --from completes"
diag "$(cut -c1-200 "$T/s1.out")"
resumed_saved() { grep -q 'resuming the dump' "$T/s1.out" && grep -q '"state": "saved"' "$rec"; }
check "it continued the partial dump; record says saved" resumed_saved
out=$("$TOOLS/kdump-check" "$dir/vmcore.kdump" --hash "$T/saved2.hsh" 2>&1)
ok $? "kdump-check validates the dump"
diag "$(head -2 <<<"$out")"
check_pages "offline dump page-exact against the second crash's memory, DIMMs included" 2 "$T/saved2.hsh"
left=0
while read -r gpa bytes path; do
	f=$T/run/offdimm/crash-2.dimm-${path##*dimm-}
	[ -e "$f" ] && left=$((left + 1))
done <"$T/dimms2.txt"
all_kept() { [ -f "$kept" ] && [ "$left" -eq "$ndimm" ]; }
check "kept RAM and DIMM files are left in place ($left of $ndimm DIMM files)" all_kept
done_testing
