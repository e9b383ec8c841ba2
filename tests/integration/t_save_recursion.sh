#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The released layout survives the next crash.  A 1 GiB guest crashes; hvdump saves the dump
# while the capture guest runs and gives the memory back as file-backed DIMMs; that guest
# fills memory (most of it lands in the DIMMs) and crashes too.  The second capture boot
# re-attaches the DIMM files where they were, read-only (its kernel refuses them: mem=), the
# second dump is page-exact for all of the second kernel's memory, DIMMs included, and the
# guest again ends with its pre-crash MemTotal, the old DIMM files gone.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
guest_env
TOOLS=$ROOT/build/tests/tools
[ -x "$TOOLS/kdump-check" ] || skip_all "build/tests/tools not built (run make)"
B=256M
SEED=0x5eedd1
MIB=${MIB:-512}
mkdir -m 700 -p "$T/dumps"
truncate -s 1M "$T/mark.img"
# Variants by hand: MEM=2G; SAVE_ARGS="--save-format elf"; a slow first save, so memory comes
# back in several DIMMs and the capture guest crashes before that save is complete:
# SAVE_ARGS="--compress zlib --save-threads 1" EXTRA=hvdump.fill=300 MIB=256
SAVE_ARGS=${SAVE_ARGS:-}
MEM=${MEM:-1G}
EXTRA=${EXTRA:-}

# The hook (pagehash_hook) hashes the crashed memory before anything is written: the RAM file
# (in a capture boot only its boot region is the crashed kernel's) and every DIMM file.
start_hvdump "$T/r" run --name srecur --kernel "$VMLINUZ" --initrd "$INITRD" --memory $MEM \
	--boot-region $B --dump-dir "$T/dumps" --log "$T/r.log" --no-console --disk "$T/mark.img" $SAVE_ARGS \
	--append "console=ttyS0 quiet hvdump.crash=0 hvdump.memwatch=1 hvdump.capture_pattern=$MIB:$SEED hvdump.crash_capture=1 hvdump.capture_once=/dev/vda $EXTRA" \
	--crash-hook "$(pagehash_hook $B $SEED $((MIB * 256)))"

# the log from the second crash on
after2() { awk '/guest kernel panicked/ { n++ } n >= 2' "$T/r.log"; }
# wait_after2 REGEX SECONDS: wait until the log after the second crash has a line matching REGEX
wait_after2() {
	for _ in $(seq $(($2 * 5))); do
		after2 | grep -qE -- "$1" && return 0
		sleep 0.2
	done
	return 1
}

wait_for "$T/r.log" 'info: dump saved: ' 120
ok $? "first dump saved while the capture guest ran"
wait_for "$T/r.log" 'console: hvdump-guest: pattern ready' 60
ok $? "the capture guest filled $MIB MiB once memory was given back"
wait_count "$T/r.log" 'guest kernel panicked' 2 60
ok $? "the capture guest crashed"
wait_after2 'every dump is saved' 120 && wait_after2 'the guest has all its memory back' 30
ok $? "second dump saved, all memory given back again"
wait_count "$T/r.log" 'console: hvdump-guest: service ok' 3 30
diag "$(grep -E 'panicked|gave|re-attached|dump saved|is saved: file|every dump|add_memory' "$T/r.log" | cut -c1-170)"
wait_for "$T/r.log" 'console: hvdump-guest: capture boot seen before' 30
ok $? "the second capture guest stays up (its disk marker says it was crashed once)"
wait_for "$T/r.log" 'the guest gave up DIMM' 30
ok $? "the guest ejected the saved crash's DIMMs (unplug requested while it booted)"

ndimm=$(grep -c . "$T/dimms2.txt" 2>/dev/null)
dimm_bytes=$(awk '{ s += $2 } END { print s + 0 }' "$T/dimms2.txt" 2>/dev/null)
dimms_hashed() { [ "${ndimm:-0}" -ge 1 ] && [ "$dimm_bytes" -ge $((MIB << 20)) ]; }
check "the second crash had $ndimm DIMMs ($dimm_bytes bytes) the hook could hash" dimms_hashed
found=$(cat "$T"/scan2.*.txt 2>/dev/null | sed -n 's/.* found=\([0-9]*\) .*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
check "pattern pages in the DIMM files at the second crash: $found of $((MIB * 256))" \
	test "$found" -ge $((MIB * 256 / 2))
check "the second capture boot re-attached the $ndimm DIMMs" \
	grep -q "$ndimm DIMM file(s) with crashed memory re-attached read-only" "$T/r.log"

# the capture kernel (mem=) refuses the re-attached DIMMs: it boots with its boot region only
# (the serial console may drop a character or two under load: count the devices that complain)
refused=$(after2 | grep -E 'PNP0C80:[0-9a-f]+: (add_memory|acpi_memory_enable_device)' | grep -oE 'PNP0C80:[0-9a-f]+' | sort -u | wc -l)
check "the second capture kernel did not take the re-attached DIMMs ($refused refused while booting)" \
	test "$refused" -eq "$ndimm"
vmsz=$(sed -n 's/.*console: hvdump-guest: vmcore size=\([0-9]*\).*/\1/p' "$T/r.log" | sed -n 2p)
check "second /proc/vmcore covers the DIMMs ($vmsz bytes)" \
	test "${vmsz:-0}" -gt $((dimm_bytes + (200 << 20)))

recs=($(ls "$T"/dumps/*/crash.json))
both_saved() { [ ${#recs[@]} -eq 2 ] && grep -q '"state": "saved"' "${recs[0]}" && grep -q '"state": "saved"' "${recs[1]}"; }
check "both crash records say saved" both_saved
dimms_listed() { grep -q '"dimms": \[\]' "${recs[0]}" && [ "$(grep -c '"file": ".*/dimm-' "${recs[1]}")" -eq "$ndimm" ]; }
check "the second record lists the crashed kernel's DIMMs" dimms_listed

for n in 1 2; do
	dump=$(ls "$(dirname "${recs[n - 1]}")"/vmcore.* | head -1)
	check "dump $n ($(basename "$dump")) read back" dump_pages "$dump" "$T/saved$n.hsh" && diag "$CHECK_OUT"
	check_pages "dump $n page-exact against the crashed memory$([ $n = 2 ] && echo ', DIMMs included')" \
		$n "$T/saved$n.hsh"
done

# the second dump is the first capture kernel's: its own VMCOREINFO, not a stale copy
"$HVDUMP" dmesg "$(ls "$(dirname "${recs[1]}")"/vmcore.* | head -1)" >"$T/dmesg2.txt" 2>&1
check "hvdump dmesg reads the second dump: the capture kernel's log and panic" \
	grep_all "$T/dmesg2.txt" 'sysrq triggered crash' 'elfcorehdr='

pre=$(sed -n 's/.*console: hvdump-guest: kernel=.*memtotal_kb=\([0-9]*\).*/\1/p' "$T/r.log" | head -1)
for _ in $(seq 50); do
	post=$(after2 | sed -n 's/.*console: hvdump-guest: .*memtotal_kb=\([0-9]*\).*/\1/p' | tail -1)
	awk -v a="${pre:-0}" -v b="${post:-0}" 'BEGIN { exit !(b >= a * 0.99) }' && break
	sleep 0.2
done
check "after the second save MemTotal is back within 1% (${pre:-?} kB before the first crash, ${post:-?} kB now)" \
	awk -v a="${pre:-0}" -v b="${post:-0}" 'BEGIN { if (a <= 0) exit 1; d = (b - a) / a; if (d < 0) d = -d; exit !(d <= 0.01) }'
most=$(after2 | sed -n 's/.*console: hvdump-guest: .*memtotal_kb=\([0-9]*\).*/\1/p' | sort -n | tail -1)
check "the third kernel never had the old DIMMs on top (at most $most kB)" \
	awk -v a="${pre:-0}" -v b="${most:-0}" 'BEGIN { exit !(a > 0 && b <= a * 1.01) }'

left=0
while read -r gpa bytes path; do [ -e "$path" ] && left=$((left + 1)); done <"$T/dimms2.txt"
dimm_files_removed() { [ "$left" -eq 0 ] && [ "$(grep -c 'of crash 2 is saved: file removed' "$T/r.log")" -eq "$ndimm" ]; }
check "the second crash's DIMM files are removed once it is saved ($left left)" dimm_files_removed
added=$(after2 | sed -n 's/.*back to the guest as \([0-9]*\) DIMMs* .*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
files=$(ls "$HVDUMP_RUN_BASE"/srecur/dimm-* 2>/dev/null | wc -l)
check "only the running guest's DIMM files remain ($files files, $added DIMMs hot-added)" \
	test "$files" -eq "$added"
check "state.json: nothing left preserved" \
	grep -q '"preserved": false' "$HVDUMP_RUN_BASE/srecur/state.json"

check "two crashes in all" test "$(grep -c 'guest kernel panicked' "$T/r.log")" -eq 2
warn=$(grep -E 'warning: (cannot|the guest (reports|refuses)|QEMU placed)|error:' "$T/r.log" | grep -v 'guest kernel panicked')
check "no warnings about DIMMs or saving in the log" test -z "$warn"
[ -z "$warn" ] || diag "$warn"
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
check "stops cleanly after the saves: the guest powers off, exit 0 (rc=$RC)" test "$RC" -eq 0
left=$(ls -A "$HVDUMP_RUN_BASE"/srecur 2>/dev/null | wc -l)
check "no DIMM or RAM file left when hvdump exits ($left)" test "$left" -eq 0
done_testing
