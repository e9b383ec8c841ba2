#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `hvdump list` and `hvdump show` after three crashes of two VMs in one dump directory:
# alpha crashes, and its capture guest crashes too (two records, both saved by the host
# saver); beta crashes with --save none and hvdump stops with it kept (preserved-unsaved).
# list --json has the three, oldest first, with their states, kernels, panics and dump
# sizes; --vm and --since filter; show finds a crash by VM:N, by name and by path; a
# directory holding a broken record is named on stderr (exit 1) and the rest still listed;
# vacuum removes the oldest saved crashes first and never the unsaved one;
# a bad --since and an unknown crash are exit 2.
. "$(dirname "$0")/../lib/common.sh"
guest_env
D=$T/dumps
mkdir -m 700 -p "$D"
truncate -s 64M "$T/alpha.img"
start_hvdump "$T/a" run --name alpha --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--dump-dir "$D" --log "$T/a.log" --no-console --disk "$T/alpha.img" \
	--append "console=ttyS0 quiet hvdump.crash=0 hvdump.crash_capture=1 hvdump.capture_once=/dev/vda"
apid=$HV_PID
start_hvdump "$T/b" run --name beta --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--dump-dir "$D" --log "$T/b.log" --no-console --save none \
	--append "console=ttyS0 quiet hvdump.crash=2"
bpid=$HV_PID
wait_count "$T/a.log" 'info: dump saved' 2 240
ok $? "alpha: two crashes, both dumps saved"
wait_for "$T/b.log" 'console: HVDUMP-GUEST-READY' 240 &&
	wait_count "$T/b.log" 'console: HVDUMP-GUEST-READY' 2 120
ok $? "beta: crashed, its capture guest up"
kill -TERM "$apid" "$bpid"
wait_exit "$apid" 60
wait_exit "$bpid" 60
check "beta's hvdump stops with the crash kept (rc=$RC)" test "$RC" -eq 4

"$HVDUMP" list --dump-dir "$D" --json >"$T/list.json" 2>"$T/list.err"
ok $? "list --json exits 0"
py() { /usr/bin/python3 -c "import json,sys; l=json.load(open('$T/list.json')); $1"; }
check "three crashes of two VMs" py 'assert len(l) == 3 and sorted({c["vm"] for c in l}) == ["alpha", "beta"]'
check "oldest first" py 'assert [c["time"] for c in l] == sorted(c["time"] for c in l)'
check "alpha: crashes 1 and 2, saved, with their dump files and sizes" \
	py 'a = [c for c in l if c["vm"] == "alpha"]; assert sorted(c["crash"] for c in a) == [1, 2] and all(c["state"] == "saved" and c["dump_bytes"] > 0 and c["dump_file"] for c in a)'
check "beta: preserved-unsaved, no dump" \
	py 'b = [c for c in l if c["vm"] == "beta"][0]; assert b["state"] == "preserved-unsaved" and b["dump_bytes"] is None'
check "kernel and panic message of each" \
	py 'assert all(c["kernel_release"] == "'"${VMLINUZ##*/vmlinuz-}"'" and c["panic"] == "sysrq triggered crash" for c in l)'
"$HVDUMP" list --dump-dir "$D" >"$T/list.txt"
diag "$(cat "$T/list.txt")"
check "the text list: a header and three lines" test "$(wc -l <"$T/list.txt")" -eq 4
check "--vm beta: one line" test "$("$HVDUMP" list --dump-dir "$D" --vm beta | wc -l)" -eq 2
check "--since 1h: all three" test "$("$HVDUMP" list --dump-dir "$D" --since 1h | wc -l)" -eq 4
check "--since a later date: none" grep -q 'no crashes in .* that match' \
	<("$HVDUMP" list --dump-dir "$D" --since 2099-01-01)
"$HVDUMP" list --dump-dir "$D" --since yesterday >/dev/null 2>"$T/since.err"
rc=$?
check "--since yesterday: exit 2, says what it takes (rc=$rc)" exit_says "$rc" 2 "$T/since.err" 'an age'

"$HVDUMP" show --dump-dir "$D" alpha:2 >"$T/show.txt"
ok $? "show alpha:2"
diag "$(cat "$T/show.txt")"
check "show: crash 2 of alpha, saved, its dump and the next commands" \
	grep_all "$T/show.txt" '^crash *alpha crash 2 ' '^state *saved' '^dump .*vmcore' '^next *hvdump info'
dir=$(py 'print([c["dir"] for c in l if c["vm"] == "beta"][0])')
"$HVDUMP" show --dump-dir "$D" "$(basename "$dir")" >"$T/showb.txt"
check "show by name: beta's memory is kept, where" grep -q '^dump *not saved yet; memory kept in .*crash-1.ram' "$T/showb.txt"
"$HVDUMP" show --json "$dir" >"$T/show.json"
check "show --json PATH: the record itself" cmp -s <(/usr/bin/python3 -m json.tool "$dir/crash.json") <(/usr/bin/python3 -m json.tool "$T/show.json")
"$HVDUMP" show --dump-dir "$D" gamma:1 >/dev/null 2>"$T/nope.err"
rc=$?
check "show gamma:1: exit 2, no such crash (rc=$rc)" exit_says "$rc" 2 "$T/nope.err" 'no such crash'

# vacuum: the oldest saved crash goes first; the unsaved one is never removed
"$HVDUMP" vacuum --dump-dir "$D" --keep 1 --dry-run >"$T/v0.txt" 2>&1
check "vacuum --keep 1 --dry-run: would remove alpha's crash 1 only, removes nothing" \
	eval '[ "$(grep -c "^would remove /" "$T/v0.txt")" -eq 1 ] && grep -q "alpha crash 1," "$T/v0.txt" && [ "$(ls "$D" | wc -l)" -eq 3 ]'
adir=$(py 'print([c["dir"] for c in l if c["vm"] == "alpha" and c["crash"] == 1][0])')
"$HVDUMP" vacuum --dump-dir "$D" --max-use 1 >"$T/v1.txt" 2>"$T/v1.err"
rc=$?
diag "$(cat "$T/v1.txt" "$T/v1.err")"
check "vacuum --max-use 1: both saved crashes removed, exit 1: the unsaved one is left (rc=$rc)" \
	eval '[ "$rc" -eq 1 ] && [ ! -e "$adir" ] && [ -f "$dir/crash.json" ] && grep -q "never removed" "$T/v1.err"'
check "beta's kept memory untouched" test -f "$(py 'print(__import__("json").load(open("'"$dir"'/crash.json"))["ram_file"])')"
"$HVDUMP" vacuum --dump-dir "$D" >/dev/null 2>&1
check "vacuum without a limit: exit 2" test $? -eq 2

mkdir -m 700 "$D/broken" && echo '{"format": "something else"}' >"$D/broken/crash.json"
mkdir -m 700 "$D/not-a-crash"
"$HVDUMP" list --dump-dir "$D" >"$T/list2.txt" 2>"$T/list2.err"
rc=$?
check "a broken record: exit 1, named on stderr, the one left still listed (rc=$rc)" \
	eval '[ "$rc" -eq 1 ] && grep -q "broken: cannot read its crash record" "$T/list2.err" && [ "$(wc -l <"$T/list2.txt")" -eq 2 ]'
"$HVDUMP" list --dump-dir "$T/nowhere" >/dev/null 2>&1
check "a dump directory that does not exist: exit 2" test $? -eq 2
done_testing
