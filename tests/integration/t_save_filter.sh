#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The host saver with --dump-level 31: the guest has page cache (a tmpfs fill) and process
# memory (the pattern tool) when it crashes.  The saved kdump file leaves out exactly the
# pages `hvdump convert -d 31` leaves out of the same crashed memory (whose rules match
# makedumpfile's, t_convert.sh), every page it holds is the crashed RAM's, the record says
# what was left out, and the guest still gets all its memory back.
. "$(dirname "$0")/../lib/common.sh"
guest_env
TOOLS=$ROOT/build/tests/tools
[ -x "$TOOLS/ram2elf" ] && [ -x "$TOOLS/kdump-mapcmp" ] && [ -x "$TOOLS/dumpcmp" ] ||
	skip_all "test tools not built (run make)"
mkdir -m 700 -p "$T/dumps"

# the crashed RAM as it is before anything is written (the hook runs before the capture boot)
hook="cp --sparse=always \"\$HVDUMP_RAM_FILE\" $T/snap && echo \$HVDUMP_LOWMEM_BYTES >$T/low"
start_hvdump "$T/f" run --name filt --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--dump-dir "$T/dumps" --log "$T/f.log" --no-console --save-threads 2 --compress lzo \
	--dump-level 31 \
	--append "console=ttyS0 quiet hvdump.fill=96 hvdump.pattern=96:0xf117 hvdump.crash=0 hvdump.memwatch=1" \
	--crash-hook "$hook"
wait_for "$T/f.log" 'every dump is saved' 180 && wait_for "$T/f.log" 'the guest has all its memory back' 60
ok $? "dump saved and memory given back"
grep -E 'dump level|dump saved' "$T/f.log" | cut -c1-200 | while read -r l; do diag "$l"; done
grep -q 'dump level 31: [0-9]* pages (.*) are left out of the dump by type' "$T/f.log"
ok $? "the log says how much the dump level leaves out"
rec=$(ls "$T"/dumps/*/crash.json | head -1)
dump=$(dirname "$rec")/vmcore.kdump
left=$(sed -n 's/.*"pages_left_out": \([0-9]*\).*/\1/p' "$rec")
level31_record() { grep -q '"dump_level": 31' "$rec" && [ "${left:-0}" -gt 50000 ]; }
check "record: dump_level 31, ${left:-?} pages left out" level31_record
level31_file() { # kdump-check passes, and says dump_level=31
	local out st
	out=$("$TOOLS/kdump-check" "$dump" 2>&1)
	st=$?
	echo "$out"
	[ $st -eq 0 ] && grep -q 'dump_level=31' <<<"$out"
}
check "kdump-check validates the file, dump_level=31" level31_file
diag "$(cut -c1-240 <<<"$CHECK_OUT")"
memtotal_back "$T/f.log"
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60

"$TOOLS/ram2elf" "$T/snap" "$(cat "$T/low")" "$(dirname "$rec")/notes.elf" "$T/ram.elf" >/dev/null 2>&1
ok $? "the crashed RAM snapshot as an ELF vmcore"
rm -f "$T/snap"
"$HVDUMP" convert -q -d 31 -c lzo "$T/ram.elf" "$T/ref.lzo" 2>"$T/ref.err"
ok $? "hvdump convert -d 31 of the same crashed memory"
out=$("$TOOLS/kdump-mapcmp" "$dump" "$T/ref.lzo" --common)
ok $? "the live saver left out exactly the pages convert -d 31 leaves out"
diag "$out"
out=$("$TOOLS/dumpcmp" "$T/ram.elf" "$dump")
ok $? "every page the saved file holds is the crashed RAM's"
diag "$out"
done_testing
