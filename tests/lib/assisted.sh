# SPDX-License-Identifier: GPL-2.0-or-later
# The page-exact test of the assisted dump (DESIGN.md section 3), shared by the 2 GiB and
# 5 GiB variants (each sources common.sh and pagehash.sh first).  The guest fills memory with a
# pattern and crashes; a --crash-hook (pagehash_hook) hashes
# every page of the crashed RAM on the host before anything is written; the capture guest
# hashes every page of every PT_LOAD of /proc/vmcore onto a virtio disk; the two must match
# page for page.  Independent oracles: readelf -n on the notes, makedumpfile --dump-dmesg on
# the vmcore as the capture kernel sees it.
# Usage: assisted_test MEMORY CPUS INITRD CPU-MODEL

# notes_read NPRSTATUS CPUS NOTES: one NT_PRSTATUS per CPU, and readelf -n finds VMCOREINFO
notes_read() { [ "$1" -eq "$2" ] && readelf -n "$3" | grep -q VMCOREINFO; }
# memory_kept RECORD: the crash's RAM file kept in the run directory, the record says so
memory_kept() {
	ls "$HVDUMP_RUN_BASE"/assisted/crash-*.ram >/dev/null 2>&1 && grep -q '"state": "preserved-unsaved"' "$1"
}

assisted_test() {
	local mem=$1 cpus=$2 initrd=$3 cpu=$4 seed=0xa55157ed mib=64
	local pages=$((mib * 256)) dumps=$T/dumps disk=$T/vmcheck.img
	truncate -s 64M "$disk"
	start_hvdump "$T/as" run --name assisted --kernel "$VMLINUZ" --initrd "$initrd" \
		--memory "$mem" --cpus "$cpus" --dump-dir "$dumps" --log "$T/as.log" --no-console --save none \
		--disk "$disk" --cpu "$cpu" \
		--append "console=ttyS0 quiet hvdump.pattern=$mib:$seed hvdump.crash=0 hvdump.vmcheck=/dev/vda" \
		--crash-hook "$(pagehash_hook)"
	wait_for "$T/as.log" 'console: hvdump-guest: vmcheck (loads|FAILED)' 300
	ok $? "capture guest ran the vmcore check"
	wait_count "$T/as.log" 'console: HVDUMP-GUEST-READY' 2 60
	local rec
	rec=$(ls "$dumps"/*/crash.json 2>/dev/null | head -1)
	check "crash record written ($rec)" test -n "$rec"
	diag "$(grep -E 'panicked|collected|hook|capture layout|capture guest' "$T/as.log" | cut -c1-200)"
	check "a fresh QEMU booted the capture guest" \
		grep -q 'started (boot 2, .*capture boot)' "$T/as.log"
	local vm
	vm=$(grep -a 'console: hvdump-guest: vmcheck loads' "$T/as.log" | head -1)
	diag "$vm"
	check "one NT_PRSTATUS per vCPU ($cpus) in /proc/vmcore" grep -q "prstatus=$cpus " <<<"$vm"
	local rel
	rel=$(basename "$VMLINUZ" | sed 's/^vmlinuz-//')
	check "VMCOREINFO note with OSRELEASE=$rel" grep -q "vmcoreinfo=$rel " <<<"$vm"
	check "capture guest sees /proc/vmcore" \
		grep -q 'console: hvdump-guest: vmcore size=' "$T/as.log"
	check "capture guest is back in service" \
		test "$(grep -c 'console: hvdump-guest: service ok' "$T/as.log")" -eq 2

	local l5
	l5=$(sed -n 's/.*NUMBER(pgtable_l5_enabled)=\([0-9]\).*/\1/p' <(strings "$(dirname "$rec")/notes.elf") | head -1)
	diag "guest paging: $([ "$l5" = 1 ] && echo 5-level || echo 4-level) (-cpu $cpu)"
	check_pages "page-exact: every page of /proc/vmcore equals the crashed RAM" 1 "$disk"

	# independent oracles on the notes and on the vmcore as the capture kernel sees it
	local dir
	dir=$(dirname "$rec")
	local nprs
	nprs=$(readelf -n "$dir/notes.elf" | grep -c NT_PRSTATUS)
	check "readelf -n: $nprs NT_PRSTATUS and VMCOREINFO in notes.elf" \
		notes_read "$nprs" "$cpus" "$dir/notes.elf"
	"$ROOT/build/tests/tools/vmcore-extract" "$rec" "$T/vmcore.elf" >/dev/null
	ok $? "vmcore rebuilt on the host from the RAM file and the header hvdump wrote"
	makedumpfile --dump-dmesg "$T/vmcore.elf" "$T/dmesg.txt" >"$T/mkd.out" 2>&1
	check "makedumpfile --dump-dmesg prints the guest's panic line" \
		grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$T/dmesg.txt"
	"$RAMSCAN" "$T/vmcore.elf" "$seed" "$pages" >"$T/scan.out"
	ok $? "the guest's $pages pattern pages are intact in the vmcore"
	diag "$(cat "$T/scan.out")"
	check "crash record: release, panic text, state" grep_all "$rec" '"kernel_release": "'"$rel"'"' \
		'"panic": "sysrq triggered crash"' '"state": "capture-running"'

	kill -TERM "$HV_PID"
	wait_exit "$HV_PID" 60
	check "stopping the capture guest before its dump is saved: exit 4, memory kept (rc=$RC)" \
		test "$RC" -eq 4
	check "unsaved crash memory kept in the run directory and the record says so" memory_kept "$rec"
}
