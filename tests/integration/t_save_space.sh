#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A dump directory without room for the dump (dump/space.h): the guest's RAM holds 2:1
# compressible data (hvdump.workload), and the dump directory is a small tmpfs.
#  (a) room for the dump at --dump-level 31 only: the decision is logged and recorded, the
#      dump is saved at level 31, complete, every page it holds the crashed RAM's, and the
#      guest gets all its memory back;
#  (b) no room even at level 31: refused, logged, recorded; the crash stays preserved and
#      unsaved, the file system keeps its reserve; once there is room `hvdump save --resume`
#      saves it, page-exact;
#  (c) an estimate that is wrong (HVDUMP_TEST_SPACE_ESTIMATE, a test hook): the saver's guard
#      stops the save before the reserve is eaten, resumably; `hvdump save --resume` finishes
#      it once there is room, page-exact.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
guest_env
TOOLS=$ROOT/build/tests/tools
[ -x "$TOOLS/ram2elf" ] && [ -x "$TOOLS/dumpcmp" ] && [ -x "$TOOLS/kdump-check" ] ||
	skip_all "test tools not built (run make)"
mkdir -p "$T/small"
mount -t tmpfs -o size=256M,mode=0700 hvdump-space "$T/small" 2>/dev/null ||
	skip_all "cannot mount a small tmpfs (needs root)"
trap 'umount -l "$T/small" 2>/dev/null; cleanup' EXIT
RESERVE=$((64 << 20)) # the default reserve of a file system under 6.4 GiB
APPEND="console=ttyS0 quiet hvdump.workload=512 hvdump.crash=0"

# run NAME [ENV=VALUE...]: start hvdump run for a 1 GiB guest whose dumps go to $T/small/NAME
run() {
	local name=$1
	shift
	mkdir -m 700 -p "$T/small/$name"
	env "$@" "$HVDUMP" run --name "$name" --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
		--dump-dir "$T/small/$name" --log "$T/$name.log" --no-console --save-threads 2 \
		--append "$APPEND" --crash-hook "$HOOK" >"$T/$name.stdout" 2>"$T/$name.stderr" &
	HV_PID=$!
	_bg_pids+=("$HV_PID")
}

record_of() { ls "$T"/small/"$1"/*/crash.json 2>/dev/null | head -1; }
# space_says REC DECISION: the record's space_check has that decision, with its numbers
space_says() {
	jq -e --arg d "$2" '.space_check | .decision == $d and .free_bytes > 0 and
		.reserve_bytes > 0 and .estimate_bytes > 0 and (.estimate_method | length > 0)' "$1"
}
# reserve_kept: the small file system has at least the reserve free
reserve_kept() {
	local avail
	avail=$(df -B1 --output=avail "$T/small" | tail -1)
	echo "available: $avail bytes"
	[ "$avail" -ge "$RESERVE" ]
}
show() { grep -E "$2" "$T/$1.log" | cut -c1-330 | while read -r l; do diag "$l"; done; }

# ---- (a) room at --dump-level 31 only -------------------------------------------------------
HOOK="cp --sparse=always \"\$HVDUMP_RAM_FILE\" $T/snap && echo \$HVDUMP_LOWMEM_BYTES >$T/low"
run lvl
wait_for "$T/lvl.log" 'every dump is saved|saving the dump failed|space check: .*not saving' 240 &&
	wait_for "$T/lvl.log" 'the guest has all its memory back' 60
ok $? "(a) the dump is saved and the guest gets its memory back"
show lvl 'space check|dump level|dump saved'
check "(a) the log says it saves at --dump-level 31 instead, and why" \
	grep -q 'space check: the dump needs about .* at --dump-level 0 .* but .* has room for .*: saving at --dump-level 31 instead' "$T/lvl.log"
rec=$(record_of lvl)
check "(a) the record's space_check says dump-level-31" space_says "$rec" dump-level-31
level31() { jq -e '.state == "saved" and .dump_level == 31 and .pages_left_out > 50000 and
	.space_check.dump_level == 31 and .space_check.estimate_as_configured_bytes > .space_check.estimate_bytes' "$1"; }
check "(a) record: saved at dump level 31, pages left out" level31 "$rec"
diag "$(jq -c '.space_check' "$rec")"
dump=$(dirname "$rec")/vmcore.kdump
level31_file() { # kdump-check passes, and says dump_level=31
	local out st
	out=$("$TOOLS/kdump-check" "$1" 2>&1)
	st=$?
	echo "$out"
	[ $st -eq 0 ] && grep -q 'dump_level=31' <<<"$out"
}
check "(a) kdump-check validates the file (complete, dump_level=31)" level31_file "$dump"
check "(a) the file system kept its reserve" reserve_kept
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
"$TOOLS/ram2elf" "$T/snap" "$(cat "$T/low")" "$(dirname "$rec")/notes.elf" "$T/ram.elf" >/dev/null 2>&1
ok $? "(a) the crashed RAM snapshot as an ELF vmcore"
rm -f "$T/snap"
out=$("$TOOLS/dumpcmp" "$T/ram.elf" "$dump")
ok $? "(a) every page the level-31 dump holds is the crashed RAM's"
diag "$out"
rm -f "$T/ram.elf"
rm -rf "$T/small/lvl"

# ---- (b) no room at all: refused, then saved once there is room ------------------------------
HOOK=$(pagehash_hook)
mount -o remount,size=72M "$T/small"
run ref
wait_for "$T/ref.log" 'space check: .*not saving|dump saved' 240
ok $? "(b) the save is decided"
show ref 'space check'
check "(b) the log refuses, says the crash stays preserved and what to do" \
	grep -q 'space check: the dump needs about .*, even at --dump-level 31 about .* not saving it.  The crash stays preserved in memory and unsaved.*hvdump save --name ref --resume' "$T/ref.log"
rec=$(record_of ref)
check "(b) the record's space_check says refused" space_says "$rec" refused
unsaved() { jq -e '(.state == "preserved" or .state == "capture-running") and (.dump_file == null)' "$1"; }
check "(b) the crash stays preserved, unsaved" unsaved "$rec"
no_dump() { ! ls "$(dirname "$1")"/vmcore* 2>/dev/null; }
check "(b) no dump file was started" no_dump "$rec"
check "(b) the file system kept its reserve" reserve_kept
status=$("$HVDUMP" save --name ref --status)
ok $? "(b) hvdump save --status answers"
diag "$(tr -d '\n ' <<<"$status" | cut -c1-300)"
mount -o remount,size=1G "$T/small"
"$HVDUMP" save --name ref --resume >"$T/ref.resume" 2>&1
ok $? "(b) hvdump save --resume accepted once there is room: $(head -c 200 "$T/ref.resume")"
wait_for "$T/ref.log" 'dump saved:' 180 && wait_for "$T/ref.log" 'the guest has all its memory back' 60
ok $? "(b) the resumed save completes and the guest gets all its memory back"
show ref 'space check|dump saved'
check "(b) record: saved, space_check as-configured" space_says "$rec" as-configured
check_pages "(b) the dump is page-exact" 1 "$(dirname "$rec")/vmcore.kdump"
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
rm -rf "$T/small/ref" "$T"/host*.hsh "$T"/pages.*.hsh

# ---- (c) a wrong estimate: the guard stops the save at the reserve ---------------------------
mount -o remount,size=200M "$T/small"
run grd HVDUMP_TEST_SPACE_ESTIMATE=4096
wait_for "$T/grd.log" 'saving the dump failed|dump saved' 240
ok $? "(c) the save ends"
show grd 'space check|saving the dump failed'
check "(c) the guard stops it: the file system is down to its reserve" \
	grep -q 'saving the dump failed: the dump directory.s file system is down to its reserve' "$T/grd.log"
rec=$(record_of grd)
guarded() { jq -e '.state == "save-failed" and (.save_error | test("down to its reserve")) and
	.space_check.estimate_method == "test-override"' "$1"; }
check "(c) record: save-failed, save_error says the reserve" guarded "$rec"
check "(c) the file system kept its reserve" reserve_kept
part() { [ -s "$(dirname "$1")/vmcore.kdump.part" ] && [ ! -e "$(dirname "$1")/vmcore.kdump" ]; }
check "(c) the partial dump is kept to be continued" part "$rec"
mount -o remount,size=1G "$T/small"
"$HVDUMP" save --name grd --resume >"$T/grd.resume" 2>&1
ok $? "(c) hvdump save --resume accepted once there is room: $(head -c 200 "$T/grd.resume")"
wait_for "$T/grd.log" 'dump saved:' 180 && wait_for "$T/grd.log" 'the guest has all its memory back' 60
ok $? "(c) the resumed save completes and the guest gets all its memory back"
show grd 'space check|resuming|dump saved'
check "(c) record: saved" jq -e '.state == "saved" and .space_check.resume == true' "$rec"
check_pages "(c) the resumed dump is page-exact" 1 "$(dirname "$rec")/vmcore.kdump"
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
done_testing
