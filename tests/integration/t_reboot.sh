#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A guest reboot gets a fresh QEMU (new process, zeroed RAM) that boots the guest again; the
# virtio disk given with --disk carries the guest's reboot marker across.  Then SIGINT powers
# the guest off through the ACPI power button and hvdump exits 0.
. "$(dirname "$0")/../lib/common.sh"
guest_env

truncate -s 1M "$T/disk.img"
start_hvdump "$T/r" run --name reboot --kernel "$VMLINUZ" --initrd "$INITRD" \
	--append "console=ttyS0 quiet hvdump.reboot=0" --disk "$T/disk.img" --memory 512M \
	--log "$T/reboot.log"
wait_for "$T/r.stdout" 'booted again after a reboot' 60
ok $? "guest booted a second time and found its disk marker"
check "the guest's write reached the disk image" test "$(head -c 8 "$T/disk.img")" = REBOOTED
check "log says the guest rebooted" grep -q 'guest rebooted' "$T/reboot.log"
pids=$(sed -n 's/.*guest .reboot. started (boot [0-9]*, QEMU pid \([0-9]*\).*/\1/p' "$T/reboot.log" | sort -u | wc -l)
check "two boots, two different QEMU processes ($pids)" test "$pids" -eq 2
check "second boot numbered 2" grep -q 'started (boot 2,' "$T/reboot.log"
wait_for "$T/r.stdout" '^HVDUMP-GUEST-READY' 5
sleep 0.5
kill -INT "$HV_PID"
wait_exit "$HV_PID" 30
check "SIGINT: guest powered off via ACPI, exit 0 (rc=$RC)" test "$RC" -eq 0
check "guest saw the power button" grep -q 'power button: powering off' "$T/reboot.log"
left=$(find "$HVDUMP_RUN_BASE" -mindepth 1 2>/dev/null | wc -l)
check "no runtime files left ($left)" test "$left" -eq 0
done_testing
