#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A dump directory that fills up: saving stops with an error naming the cause, nothing beyond
# the saved part is released, the guest keeps running; after space is freed, `hvdump save
# --resume` completes a dump that is page-exact against the crashed RAM.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
guest_env
command -v makedumpfile >/dev/null || skip_all "makedumpfile not installed"
mkdir -p "$T/small"
mount -t tmpfs -o size=700M,mode=0700 hvdump-test "$T/small" 2>/dev/null ||
	skip_all "cannot mount a small tmpfs (needs root)"
trap 'umount -l "$T/small" 2>/dev/null; cleanup' EXIT

# a disk another program fills: hvdump's own space check and guard (t_save_space) would stop
# the save before the disk is full, so they are off here (a test-only hook, dump/space.h)
export HVDUMP_TEST_SPACE_OFF=1
start_hvdump "$T/f" run --name faults --kernel "$VMLINUZ" --initrd "$INITRD" --memory 2G \
	--dump-dir "$T/small/dumps" --log "$T/f.log" --no-console --save-format elf \
	--append "console=ttyS0 quiet hvdump.crash=0" \
	--crash-hook "$(pagehash_hook)"
wait_for "$T/f.log" 'saving the dump failed' 120
ok $? "saving stops when the dump directory is full"
diag "$(grep -E 'saving the dump failed|stays preserved' "$T/f.log" | cut -c1-220)"
check "the error names the cause" \
	grep -q 'saving the dump failed: .*No space left on device' "$T/f.log"
rec=$(ls "$T"/small/dumps/*/crash.json | head -1)
# the record lives on the full file system too: the space kept beside it lets it say so
check "crash record on the full file system says save-failed: No space left" \
	grep_all "$rec" '"state": "save-failed"' 'No space left'
grep -q 'the crash record was written into the space kept for it' "$T/f.log"
ok $? "the log says the record used the space kept for it"
still_running() { kill -0 "$HV_PID" && grep -q 'console: HVDUMP-GUEST-READY' "$T/f.log"; }
check "the guest keeps running" still_running
only_part() { [ -e "$(dirname "$rec")/vmcore.elf.part" ] && [ ! -e "$(dirname "$rec")/vmcore.elf" ]; }
check "no complete-looking dump: only vmcore.elf.part" only_part
status=$("$HVDUMP" save --name faults --status)
ok $? "hvdump save --status answers"
diag "$(tr -d '\n ' <<<"$status" | cut -c1-300)"

# free space, then resume
mount -o remount,size=3G "$T/small"
"$HVDUMP" save --name faults --resume >"$T/resume.out" 2>&1
ok $? "hvdump save --resume accepted: $(head -c 200 "$T/resume.out")"
wait_for "$T/f.log" 'dump saved:' 120
ok $? "the resumed save completes"
wait_for "$T/f.log" 'the guest has all its memory back' 60
ok $? "the guest gets all its memory back"
dump=$(dirname "$rec")/vmcore.elf
check_pages "resumed dump is page-exact: nothing unsaved was released" 1 "$dump"
makedumpfile --dump-dmesg "$dump" "$T/d.txt" >/dev/null 2>&1
check "makedumpfile reads the resumed dump" \
	grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$T/d.txt"
check "record says saved" grep -q '"state": "saved"' "$rec"
"$HVDUMP" save --name faults --resume >"$T/again.out" 2>&1
rc=$?
check "resume with nothing to save is refused clearly (rc=$rc)" exit_says "$rc" 1 "$T/again.out" 'no unsaved dump'
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
done_testing
