#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo guest boots with 2 vCPUs and 1 GiB, reports nproc and MemTotal, powers off;
# hvdump exits 0 and leaves no runtime files behind.
. "$(dirname "$0")/../lib/common.sh"
guest_env

start_hvdump "$T/a" run --name boot --kernel "$VMLINUZ" --initrd "$INITRD" \
	--append "console=ttyS0 quiet hvdump.poweroff=0" --cpus 2 --memory 1G --log "$T/boot.log"
wait_exit "$HV_PID" 60
check "hvdump exits 0 when the guest powers off (rc=$RC)" test "$RC" -eq 0
line=$(grep -a 'hvdump-guest: kernel=' "$T/a.stdout" | tr -d '\r')
diag "$line"
nproc=$(sed -n 's/.*nproc=\([0-9]*\).*/\1/p' <<<"$line")
mem=$(sed -n 's/.*memtotal_kb=\([0-9]*\).*/\1/p' <<<"$line")
check "guest sees 2 CPUs (nproc=$nproc)" test "${nproc:-0}" -eq 2
# 1 GiB minus what the kernel keeps for itself: between 900 MiB and 1 GiB
mem_fits() { [ "${mem:-0}" -gt 921600 ] && [ "${mem:-0}" -le 1048576 ]; }
check "guest MemTotal fits 1 GiB ($mem kB)" mem_fits
check "console relayed to stdout" grep -aq '^HVDUMP-GUEST-READY' "$T/a.stdout"
check "console lines are in the log with timestamps" \
	grep -q 'console: hvdump-guest: service ok' "$T/boot.log"
check "log says the guest powered off" grep -q 'guest powered off' "$T/boot.log"
check "accelerator choice is logged" grep -qE 'accelerator: (KVM|TCG)' "$T/a.stderr"
left=$(find "$HVDUMP_RUN_BASE" -mindepth 1 2>/dev/null | wc -l)
check "no runtime files left ($left)" test "$left" -eq 0
check "no QEMU left running" no_process "$T/run"
done_testing
