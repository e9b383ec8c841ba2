#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A Debian 12 server VM as operators run them: q35, UEFI (OVMF), booted by GRUB from its own
# qcow2 disk, nginx reached through a forwarded port.  It crashes; hvdump reads the crashed
# kernel and initrd from the guest's disk and its command line from the crashed memory, and
# the capture guest is the same server again: same MAC and address, the page served through
# the same port, MemTotal back within 1%, the dump saved page-exact and opened by crash(8).
source "$(dirname "$0")/../lib/common.sh"
source "$ROOT/tests/lib/pagehash.sh"
source "$ROOT/tests/lib/distro.sh"
guest_env
distro_env

port=$(free_port) || skip_all "no free TCP port"
disk=$T/root.qcow2
distro_overlay "$disk"
export HVDUMP_DUMP_BASE=$T/dumps
distro_start web "$port" --disk "$disk,format=qcow2" --machine q35 --firmware uefi \
	--memory 2G --cpus 2 --dump-dir "$T/dumps" --crash-hook "$(pagehash_hook)" \
	--shutdown-timeout 120 # systemd powers off slowly on a loaded TCG host

wait_http "$port" 300
ok $? "the server answers through 127.0.0.1:$port (nginx, booted by OVMF and GRUB)"
check "QEMU had OVMF's code and the VM's variable store as pflash" \
	grep -q 'starting: .* if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd -drive if=pflash,format=raw,unit=1,file=/proc/self/fd/' "$T/web.log"
check "the firmware booted the disk: no -kernel on QEMU's command line" \
	grep_none -m1 'starting: .* -kernel ' "$T/web.log"
check "UEFI variable store made for the VM, 0600" test "$(stat -c %a "$T/dumps/web.efivars.fd")" = 600
wait_login web 1 120
before=$(console_out web 'cat /sys/class/net/e*/address; ip -4 -o addr show scope global | cut -d" " -f7; grep MemTotal /proc/meminfo' B1)
diag "before the crash: $(tr '\n' ' ' <<<"$before")"
mac1=$(sed -n 1p <<<"$before")
mem1=$(awk '/MemTotal/ { print $2 }' <<<"$before")

console web 'echo c > /proc/sysrq-trigger'
crash_ms=$(date +%s%3N)
wait_for "$T/web.log" 'guest kernel panicked' 60
ok $? "the guest panicked (pvpanic)"
wait_for "$T/web.log" 'capture boot of' 60
ok $? "capture kernel chosen"
diag "$(grep -E 'capture kernel|capture boot of|capture layout' "$T/web.log" | cut -c1-300)"
check "capture kernel: the crashed release, read from the guest's disk" \
	grep -q "info: capture kernel $DISTRO_KVER from disk 0 .* partition 3 (ext4 $DISTRO_ROOT_UUID" "$T/web.log"
check "capture boot with the crashed kernel's own command line (root=UUID from GRUB)" \
	grep -q "capture boot of $DISTRO_KVER .*root=UUID=$DISTRO_ROOT_UUID" "$T/web.log"

wait_http "$port" 300
ok $? "the capture guest serves the page through the same port"
back_ms=$HTTP_MS
wait_for "$T/web.log" 'every dump is saved' 300
ok $? "the dump is saved"
wait_for "$T/web.log" 'the guest has all its memory back' 120
ok $? "all memory back"
mem_ms=$(date -u -d "$(grep -m1 'the guest has all its memory back' "$T/web.log" | cut -d' ' -f1)" +%s%3N)
diag "downtime as clients see it: $(((back_ms - crash_ms)))ms from the crash to the first good answer; all memory back after $((mem_ms - crash_ms))ms"

wait_login web 2 120
ok $? "the capture guest logs root in on its serial console"
after=$(console_out web 'cat /sys/class/net/e*/address; ip -4 -o addr show scope global | cut -d" " -f7; grep MemTotal /proc/meminfo; cat /proc/cmdline' A1)
diag "after: $(tr '\n' ' ' <<<"$after")"
check "same MAC after the capture boot ($mac1)" test "$(sed -n 1p <<<"$after")" = "$mac1"
check "same address" test "$(sed -n 2p <<<"$after")" = "$(sed -n 2p <<<"$before")"
mem2=$(awk '/MemTotal/ { print $2 }' <<<"$after")
check "MemTotal back within 1% ($mem1 kB before, $mem2 kB after)" \
	awk -v a="${mem1:-0}" -v b="${mem2:-0}" 'BEGIN { d = (b - a) / (a ? a : 1); if (d < 0) d = -d; exit !(a > 0 && d <= 0.01) }'
check "the capture kernel runs with the crashed kernel's root= and mem=" \
	grep -q "root=UUID=$DISTRO_ROOT_UUID .*mem=[0-9]*M elfcorehdr=" <<<"$after"

dump=$(ls "$T"/dumps/web-*/vmcore.kdump 2>/dev/null | head -1)
check "vmcore.kdump written" test -s "$dump"
check_pages "page-exact: the saved dump holds every crashed page" 1 "$dump"
rec=$(dirname "$dump")/crash.json
check "the record names the capture kernel and its command line" \
	grep -q "\"release\": \"$DISTRO_KVER\"" "$rec"

VMLINUX=$ROOT/.cache/linux/$DISTRO_KVER-dbg/usr/lib/debug/boot/vmlinux-$DISTRO_KVER
if [ -r "$VMLINUX" ] && command -v crash >/dev/null; then
	out=$(printf 'sys\nbt\nquit\n' | timeout 300 crash -s "$VMLINUX" "$dump" 2>&1)
	diag "$(grep -E 'RELEASE|PANIC|COMMAND' <<<"$out")"
	check "crash(8) opens the dump: the sysrq panic of $DISTRO_KVER" \
		grep -q 'PANIC: "Kernel panic - not syncing: sysrq triggered crash"' <<<"$out"
	check "crash(8): the panicking task's backtrace" grep -q 'sysrq_handle_crash' <<<"$out"
else
	skip "no debug vmlinux for $DISTRO_KVER or no crash(8)"
	skip "no debug vmlinux for $DISTRO_KVER or no crash(8)"
fi

kill -INT "$HV_PID"
wait_exit "$HV_PID" 150
check "hvdump stops with the guest powered off (exit 0: its crash is saved, got $RC)" \
	test "$RC" = 0
check "the log says the guest powered off" grep -q 'guest powered off' "$T/web.log"
done_testing
