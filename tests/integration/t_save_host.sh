#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The host saver: after a crash the capture guest runs while hvdump writes the dump and gives
# the memory back.  The saved dump is page-exact, makedumpfile reads it, the saved ranges
# are freed on the host, and the guest ends with its pre-crash MemTotal (within 1%).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
guest_env
command -v makedumpfile >/dev/null || skip_all "makedumpfile not installed"
TOOLS=$ROOT/build/tests/tools
mkdir -m 700 -p "$T/dumps"

start_hvdump "$T/s" run --name saver --kernel "$VMLINUZ" --initrd "$INITRD" --memory 2G \
	--dump-dir "$T/dumps" --log "$T/s.log" --no-console --save-format elf \
	--append "console=ttyS0 quiet hvdump.crash=0 hvdump.memwatch=1" \
	--crash-hook "$(pagehash_hook)"
wait_for "$T/s.log" 'every dump is saved' 180 && wait_for "$T/s.log" 'the guest has all its memory back' 60
ok $? "hvdump saved the dump while the capture guest ran"
diag "$(grep -E 'saving:|gave|dump saved|every dump' "$T/s.log" | cut -c1-160 | tail -6)"
memtotal_back "$T/s.log"

rec=$(ls "$T"/dumps/*/crash.json | head -1)
dump=$(dirname "$rec")/vmcore.elf
dump_complete() { [ -s "$dump" ] && [ ! -e "$dump.part" ]; }
check "dump file complete, no partial file left" dump_complete
dump_private() { [ "$(stat -c %a "$dump")" = 600 ] && [ "$(stat -c %a "$(dirname "$rec")")" = 700 ]; }
check "dump 0600 in a 0700 directory" dump_private
check "crash record says saved, names the file" grep_all "$rec" '"state": "saved"' '"dump_file"'
check_pages "saved dump is page-exact against the crashed RAM" 1 "$dump"
makedumpfile --dump-dmesg "$dump" "$T/d.txt" >/dev/null 2>&1
check "makedumpfile --dump-dmesg reads the saved dump" \
	grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$T/d.txt"
dm=$(dirname "$rec")/dmesg.txt
check "dmesg.txt beside the dump: makedumpfile's log of it, 0600, named in the record" \
	eval 'cmp -s "$T/d.txt" "$dm" && [ "$(stat -c %a "$dm")" = 600 ] && grep -q "\"dmesg_file\": \"$dm\"" "$rec"'
alloc=$("$TOOLS/released-check" "$rec" "$HVDUMP_RUN_BASE/saver/ram")
diag "$alloc"
freed() { sed 's/allocated=\([0-9]*\) of=\([0-9]*\)/\1 \2/' <<<"$alloc" | awk '{ exit !($2 > 0 && $1 <= $2 / 100) }'; }
check "released ranges freed on the host" freed
check "state.json: nothing left preserved" \
	grep -q '"preserved": false' "$HVDUMP_RUN_BASE/saver/state.json"

kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
check "stops cleanly after the save (rc=$RC)" one_of "$RC" 4 0
left=$(ls "$HVDUMP_RUN_BASE"/saver 2>/dev/null | wc -l)
check "nothing kept in the run directory once the dump is saved ($left)" test "$left" -eq 0
done_testing
