#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `hvdump save --from CRASH-DIR`: hvdump stopped with a crash kept unsaved (exit 4,
# RUN-DIR/crash-N.ram); the offline save writes a kdump file from the kept memory that is
# page-exact against the crashed RAM, continues a save killed part-way, marks the record saved
# and leaves the kept memory alone.  It refuses while hvdump still runs the VM, a second time,
# and a bogus directory or record (exit 2, one line).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
guest_env
TOOLS=$ROOT/build/tests/tools
mkdir -m 700 -p "$T/dumps"

start_hvdump "$T/o" run --name off --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--dump-dir "$T/dumps" --log "$T/o.log" --no-console --save none \
	--append "console=ttyS0 quiet hvdump.pattern=64:0xfeed hvdump.crash=0" \
	--crash-hook "$(pagehash_hook)"
wait_for "$T/o.log" 'capture guest booting' 120
ok $? "crashed; capture guest booting"
wait_for "$T/o.log" 'console: HVDUMP-GUEST-READY' 120
rec=$(ls "$T"/dumps/*/crash.json | head -1)
dir=$(dirname "$rec")

# while hvdump runs the VM, it is the one to save
"$HVDUMP" save --from "$dir" >"$T/busy.out" 2>&1
rc=$?
check "refused while hvdump runs the VM, pointing at --resume (rc=$rc)" \
	exit_says "$rc" 1 "$T/busy.out" 'hvdump save --name off --resume'
diag "$(cat "$T/busy.out")"

kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
check "hvdump exits 4 with the crash kept unsaved (rc=$RC)" test "$RC" -eq 4
kept=$T/run/off/crash-1.ram
kept_unsaved() { [ -f "$kept" ] && grep_all "$rec" '"state": "preserved-unsaved"' "\"ram_file\": \"$kept\""; }
check "memory kept in crash-1.ram, record says preserved-unsaved" kept_unsaved
size0=$(stat -c %s "$kept") blocks0=$(stat -c %b "$kept") sum0=$(md5sum <"$kept")
mkdir -m 700 "$T/done" && cp "$rec" "$T/done/crash.json" # the record as it is now: unsaved

# bogus input: exit 2, one line
one_line_refusal() { [ "$1" -eq 2 ] && [ "$(wc -l <"$2")" -eq 1 ]; } # RC OUTPUT-FILE
"$HVDUMP" save --from "$T/nonexistent" >"$T/b1.out" 2>&1
rc=$?
check "missing directory: exit 2, one line (rc=$rc): $(cat "$T/b1.out")" \
	one_line_refusal "$rc" "$T/b1.out"
mkdir -m 700 "$T/bad1" "$T/bad2" "$T/bad3"
echo '{"format": "hvdump-crash-record/1", "vm": ' >"$T/bad1/crash.json"
"$HVDUMP" save --from "$T/bad1" >"$T/b2.out" 2>&1
rc=$?
check "truncated record: exit 2, one line (rc=$rc): $(cat "$T/b2.out")" \
	one_line_refusal "$rc" "$T/b2.out"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["capture"]["elfcorehdr_offset"]+=4096; json.dump(r,open(sys.argv[2],"w"))' "$rec" "$T/bad2/crash.json"
"$HVDUMP" save --from "$T/bad2" >"$T/b3.out" 2>&1
rc=$?
check "header offset edited: exit 2, one line (rc=$rc): $(cat "$T/b3.out")" \
	one_line_refusal "$rc" "$T/b3.out"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["capture"]["segments"][1]["bytes"]+=4096; json.dump(r,open(sys.argv[2],"w"))' "$rec" "$T/bad3/crash.json"
"$HVDUMP" save --from "$T/bad3" >"$T/b4.out" 2>&1
rc=$?
check "segment edited (differs from the header in the RAM file): exit 2, one line (rc=$rc): $(cat "$T/b4.out")" \
	one_line_refusal "$rc" "$T/b4.out"
# a crash the capture guest's saver freed part of: its kept memory has holes there
mkdir -m 700 "$T/bad4"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); r["released_by_guest"]=True; json.dump(r,open(sys.argv[2],"w"))' "$rec" "$T/bad4/crash.json"
"$HVDUMP" save --from "$T/bad4" >"$T/b5.out" 2>&1
rc=$?
check "released by the guest: refused, a dump would hold zeros (rc=$rc): $(cut -c1-160 "$T/b5.out")" \
	exit_says "$rc" 1 "$T/b5.out" "guest's saver freed part of this crash"
check "nothing written for a bad record" grep_none vmcore < <(ls -A "$T/bad2" "$T/bad3" "$T/bad4")

# a save killed part-way, then continued
dump=$dir/vmcore.kdump
"$HVDUMP" save --from "$dir" --compress zlib --threads 1 >"$T/s1.out" 2>&1 &
pid=$!
_bg_pids+=("$pid")
for _ in $(seq 600); do
	[ "$(stat -c %s "$dump.part" 2>/dev/null || echo 0)" -gt 1048576 ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.02
done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ -e "$dump.part" ] && [ ! -e "$dump" ]; then
	ok 0 "first offline save killed part-way: $(stat -c %s "$dump.part") bytes in vmcore.kdump.part"
	resumed=1
else
	skip "the first save finished before it could be killed"
	resumed=0
fi
"$HVDUMP" save --from "$dir" >"$T/s2.out" 2>&1
ok $? "hvdump save --from completes"
diag "$(cut -c1-200 "$T/s2.out")"
if [ $resumed = 1 ]; then
	check "it continued the partial dump" grep -q 'resuming the dump' "$T/s2.out"
else
	skip "no partial dump to continue"
fi
complete_saved() {
	[ -s "$dump" ] && [ ! -e "$dump.part" ] && grep_all "$rec" '"state": "saved"' "\"dump_file\": \"$dump\""
}
check "vmcore.kdump complete, record says saved" complete_saved
"$HVDUMP" dmesg "$dump" >"$T/saved.dmesg" 2>/dev/null
check "dmesg.txt beside it: the dump's kernel log, named in the record" \
	eval 'cmp -s "$T/saved.dmesg" "$(dirname "$dump")/dmesg.txt" && grep -q "\"dmesg_file\"" "$rec"'
chk=$("$TOOLS/kdump-check" "$dump" --hash "$T/saved.hsh" 2>&1)
ok $? "kdump-check validates the dump"
diag "$(head -3 <<<"$chk")"
check_pages "offline dump is page-exact against the crashed RAM" 1 "$T/saved.hsh"
kept_untouched() { # same size and bytes, nothing freed (512-byte blocks not fewer)
	grep -q "still kept in $kept" "$T/s2.out" && test "$(stat -c %s "$kept")" = "$size0" &&
		test "$(stat -c %b "$kept")" -ge "$blocks0" && test "$(md5sum <"$kept")" = "$sum0"
}
check "kept memory untouched, and the output says where it is" kept_untouched
# a finished kdump file never renamed (a host crash before the rename lasted): said, not redone
cp "$dump" "$T/done/vmcore.kdump.part"
"$HVDUMP" save --from "$T/done" >"$T/done.out" 2>&1
rc=$?
check "a complete vmcore.kdump.part: refused, saying it is complete and to rename it (rc=$rc)" \
	exit_says "$rc" 1 "$T/done.out" 'complete dump that was never named .*vmcore.kdump; check it'
check "  and left as it was" cmp -s "$dump" "$T/done/vmcore.kdump.part"

"$HVDUMP" save --from "$dir" >"$T/again.out" 2>&1
rc=$?
check "a second --from is refused: saved already (rc=$rc)" exit_says "$rc" 1 "$T/again.out" 'saved already'
# the same crash as ELF, from a copy of its record: page-exact too
mkdir -m 700 "$T/elf"
sed 's/"state": "saved"/"state": "preserved-unsaved"/' "$rec" >"$T/elf/crash.json"
: >"$T/elf/vmcore.kdump.part"
"$HVDUMP" save --from "$T/elf" --save-format elf >"$T/e0.out" 2>&1
rc=$?
check "a partial kdump file is not restarted as ELF (rc=$rc)" \
	exit_says "$rc" 1 "$T/e0.out" 'continue it with --save-format kdump'
rm "$T/elf/vmcore.kdump.part"
# SIGTERM stops it cleanly: exit 1, the record keeps its state and says why
"$HVDUMP" save --from "$T/elf" --save-format elf >"$T/e1.out" 2>&1 &
pid=$!
_bg_pids+=("$pid")
for _ in $(seq 600); do
	[ -s "$T/elf/vmcore.elf.part.progress" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.01
done
kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
if [ ! -e "$T/elf/vmcore.elf" ]; then
	stopped_kept() {
		exit_says "$rc" 1 "$T/e1.out" 'stopped' &&
			grep_all "$T/elf/crash.json" '"save_error": "stopped"' '"state": "preserved-unsaved"'
	}
	check "SIGTERM stops the offline save: exit 1, record keeps its state, says stopped (rc=$rc)" stopped_kept
	diag "$(cut -c1-200 "$T/e1.out")"
else
	skip "the ELF save finished before SIGTERM"
fi
# a directory that cannot be synced after the rename: not saved, left resumable
LD_PRELOAD=$ROOT/build/tests/shim/faildirsync.so FAILDIRSYNC_WHEN=$T/elf/vmcore.elf \
	"$HVDUMP" save --from "$T/elf" >"$T/e15.out" 2>&1
rc=$?
unsynced_kept() {
	exit_says "$rc" 1 "$T/e15.out" 'directory cannot be synced' &&
		grep -q 'what was saved is kept in .*vmcore.elf.part' "$T/e15.out" &&
		[ -f "$T/elf/vmcore.elf.part" ] && [ ! -e "$T/elf/vmcore.elf" ] &&
		grep_none '"state": "saved"' <"$T/elf/crash.json"
}
check "a directory that cannot be synced fails the save: exit 1, kept as vmcore.elf.part, not saved (rc=$rc)" unsynced_kept
diag "$(grep error "$T/e15.out" | cut -c1-300)"
"$HVDUMP" save --from "$T/elf" >"$T/e2.out" 2>&1
ok $? "hvdump save --from completes the ELF dump (its format chosen by the partial file)"
diag "$(grep -E 'resuming|saving the' "$T/e2.out" | cut -c1-200)"
check_pages "offline ELF dump is page-exact against the crashed RAM" 1 "$T/elf/vmcore.elf"
check "its record says saved, elf" grep_all "$T/elf/crash.json" '"dump_format": "elf"' '"state": "saved"'

rm -f "$kept"
cp "$rec" "$T/bad3/crash.json"
sed -i 's/"state": "saved"/"state": "preserved-unsaved"/' "$T/bad3/crash.json"
"$HVDUMP" save --from "$T/bad3" >"$T/gone.out" 2>&1
rc=$?
check "kept memory removed: refused (rc=$rc): $(cat "$T/gone.out")" exit_says "$rc" 1 "$T/gone.out" 'is gone'
done_testing
