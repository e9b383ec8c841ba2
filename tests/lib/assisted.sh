# SPDX-License-Identifier: GPL-2.0-or-later
# The page-exact test of the assisted dump (DESIGN.md section 3), shared by the 2 GiB and
# 5 GiB variants.  The guest fills memory with a pattern and crashes; a --crash-hook hashes
# every page of the crashed RAM on the host before anything is written; the capture guest
# hashes every page of every PT_LOAD of /proc/vmcore onto a virtio disk; the two must match
# page for page.  Independent oracles: readelf -n on the notes, makedumpfile --dump-dmesg on
# the vmcore as the capture kernel sees it.
# Usage: assisted_test MEMORY CPUS INITRD CPU-MODEL

assisted_test() {
	local mem=$1 cpus=$2 initrd=$3 cpu=$4 seed=0xa55157ed mib=64
	local pages=$((mib * 256)) dumps=$T/dumps disk=$T/vmcheck.img
	truncate -s 64M "$disk"
	start_hvdump "$T/as" run --name assisted --kernel "$VMLINUZ" --initrd "$initrd" \
		--memory "$mem" --cpus "$cpus" --dump-dir "$dumps" --log "$T/as.log" --no-console --save none \
		--disk "$disk" --cpu "$cpu" \
		--append "console=ttyS0 quiet hvdump.pattern=$mib:$seed hvdump.crash=0 hvdump.vmcheck=/dev/vda" \
		--crash-hook "$ROOT/build/tests/tools/pagehash \"\$HVDUMP_RAM_FILE\" \$HVDUMP_LOWMEM_BYTES $T/host.hsh \$HVDUMP_RAM_BYTES"
	wait_for "$T/as.log" 'console: hvdump-guest: vmcheck (loads|FAILED)' 300
	ok $? "capture guest ran the vmcore check"
	wait_count "$T/as.log" 'console: HVDUMP-GUEST-READY' 2 60
	local rec
	rec=$(ls "$dumps"/*/crash.json 2>/dev/null | head -1)
	ok $([ -n "$rec" ]; echo $?) "crash record written ($rec)"
	diag "$(grep -E 'panicked|collected|hook|capture layout|capture guest' "$T/as.log" | cut -c1-200)"
	ok $(grep -q 'started (boot 2, .*capture boot)' "$T/as.log"; echo $?) "a fresh QEMU booted the capture guest"
	local vm
	vm=$(grep -a 'console: hvdump-guest: vmcheck loads' "$T/as.log" | head -1)
	diag "$vm"
	ok $(grep -q "prstatus=$cpus " <<<"$vm"; echo $?) "one NT_PRSTATUS per vCPU ($cpus) in /proc/vmcore"
	local rel
	rel=$(basename "$VMLINUZ" | sed 's/^vmlinuz-//')
	ok $(grep -q "vmcoreinfo=$rel " <<<"$vm"; echo $?) "VMCOREINFO note with OSRELEASE=$rel"
	ok $(grep -q 'console: hvdump-guest: vmcore size=' "$T/as.log"; echo $?) "capture guest sees /proc/vmcore"
	ok $([ "$(grep -c 'console: hvdump-guest: service ok' "$T/as.log")" -eq 2 ]; echo $?) "capture guest is back in service"

	local l5
	l5=$(sed -n 's/.*NUMBER(pgtable_l5_enabled)=\([0-9]\).*/\1/p' <(strings "$(dirname "$rec")/notes.elf") | head -1)
	diag "guest paging: $([ "$l5" = 1 ] && echo 5-level || echo 4-level) (-cpu $cpu)"
	local cmp
	cmp=$("$ROOT/build/tests/tools/pagecmp" "$T/host.hsh" "$disk" --skip 0xa0000-0x100000 2>&1)
	ok $? "page-exact: every page of /proc/vmcore equals the crashed RAM"
	diag "$cmp"

	# independent oracles on the notes and on the vmcore as the capture kernel sees it
	local dir
	dir=$(dirname "$rec")
	local nprs
	nprs=$(readelf -n "$dir/notes.elf" | grep -c NT_PRSTATUS)
	ok $([ "$nprs" -eq "$cpus" ] && readelf -n "$dir/notes.elf" | grep -q VMCOREINFO; echo $?) "readelf -n: $nprs NT_PRSTATUS and VMCOREINFO in notes.elf"
	"$ROOT/build/tests/tools/vmcore-extract" "$rec" "$T/vmcore.elf" >/dev/null
	ok $? "vmcore rebuilt on the host from the RAM file and the header hvdump wrote"
	makedumpfile --dump-dmesg "$T/vmcore.elf" "$T/dmesg.txt" >"$T/mkd.out" 2>&1
	ok $(grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$T/dmesg.txt"; echo $?) "makedumpfile --dump-dmesg prints the guest's panic line"
	"$RAMSCAN" "$T/vmcore.elf" "$seed" "$pages" >"$T/scan.out"
	ok $? "the guest's $pages pattern pages are intact in the vmcore"
	diag "$(cat "$T/scan.out")"
	ok $(grep -q '"kernel_release": "'"$rel"'"' "$rec" && grep -q '"panic": "sysrq triggered crash"' "$rec" && grep -q '"state": "capture-running"' "$rec"; echo $?) "crash record: release, panic text, state"

	kill -TERM "$HV_PID"
	wait_exit "$HV_PID" 60
	ok $([ "$RC" -eq 4 ]; echo $?) "stopping the capture guest before its dump is saved: exit 4, memory kept (rc=$RC)"
	ok $(ls "$HVDUMP_RUN_BASE"/assisted/crash-*.ram >/dev/null 2>&1 && grep -q '"state": "preserved-unsaved"' "$rec"; echo $?) "unsaved crash memory kept in the run directory and the record says so"
}
