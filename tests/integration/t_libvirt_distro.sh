#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The assisted dump of a libvirt domain as operators define them (issue 17, item 3): the
# Debian 12 server image (tests/lib/distro.sh) on a qcow2 overlay, q35, UEFI (OVMF, secure
# boot off) booting it through GRUB, 2 GiB, 2 vCPUs (TCG), file-backed shared memory, panic
# model isa, on_crash preserve, vmcoreinfo, a virtio disk and NIC, its serial console on a
# UNIX socket (tests/tools/unixcon logs it and types into it).  Root crashes it from the
# console (sysrq c); `hvdump libvirt watch` reads the crashed release's kernel and initrd from
# the guest's disk and boots them (under SeaBIOS) as the same domain on the kept RAM: `virsh
# list` shows it running after that one boot, the capture guest logs root in on the same
# console with the same MAC and address, the crashed kernel's root=UUID, mem= and elfcorehdr=;
# the dump is saved page-exact and opened by crash(8); MemTotal is back within 1% once the
# watcher gives the memory back; the persistent definition (firmware, NVRAM) is unchanged;
# SIGTERM ends the watch with 0 and leaves the capture domain running.  The downtime from the
# sysrq (capture domain started, all memory back, root's login) is printed.
[ -n "${HVDUMP_LIBVIRT_NS:-}" ] || { . "$(dirname "$0")/../lib/libvirtd.sh"; libvirtd_reexec "$0" "$@"; }
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/libvirtd.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
. "$(dirname "$0")/../lib/distro.sh"
guest_env
distro_env
command -v jq >/dev/null || skip_all "jq not installed"
[ -x /usr/bin/python3 ] || skip_all "python3 not installed (tests/tools/unixcon)"
[ -r /usr/share/OVMF/OVMF_CODE_4M.fd ] && [ -r /usr/share/OVMF/OVMF_VARS_4M.fd ] ||
	skip_all "OVMF not installed (ovmf)"

# has_all TEXT BRE...: TEXT has a line matching each BRE
has_all() {
	local text=$1 re
	shift
	for re in "$@"; do
		grep -q -e "$re" <<<"$text" || return
	done
}
# near A B: the numbers A (not 0) and B within 1% of A
near() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { d = (b - a) / (a ? a : 1); if (d < 0) d = -d; exit !(a > 0 && d <= 0.01) }'; }

libvirtd_start
V="virsh -q -c $LIBVIRT_URI"
MAC=52:54:00:12:d1:57
distro_overlay "$T/root.qcow2"
cat >"$T/deb.xml" <<EOF
<domain type='qemu'>
  <name>deb</name>
  <uuid>6f1c2a4e-1d8c-4c53-9b7e-2a1f0000d157</uuid>
  <memory unit='MiB'>2048</memory>
  <memoryBacking>
    <source type='file'/>
    <access mode='shared'/>
  </memoryBacking>
  <vcpu>2</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <loader readonly='yes' secure='no' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
    <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>$T/deb_VARS.fd</nvram>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <vmcoreinfo state='on'/>
  </features>
  <on_crash>preserve</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$T/root.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='user'><mac address='$MAC'/><model type='virtio'/></interface>
    <serial type='unix'><source mode='bind' path='$T/deb.sock'/><target port='0'/></serial>
    <panic model='isa'/>
  </devices>
</domain>
EOF
check "the domain is defined (q35, OVMF, the qcow2 overlay)" $V define "$T/deb.xml"
$V dumpxml --inactive deb >"$T/def-before.xml"

start_hvdump "$T/w" libvirt watch -c "$LIBVIRT_URI" --dump-dir "$T/dumps" --domain deb \
	--crash-hook "$(pagehash_hook)"
W_PID=$HV_PID
check "the watcher starts" wait_for "$T/w.stderr" 'watching domain deb for crashes' 20
check "deb (2 GiB, 2 vCPUs, TCG) starts" $V start deb
# the console: its log $T/deb.log, typed into through $T/deb.in (distro.sh's console)
/usr/bin/python3 "$ROOT/tests/tools/unixcon" "$T/deb.sock" "$T/deb.in" "$T/deb.log" \
	2>"$T/unixcon.err" &
_bg_pids+=("$!")
disown $! # the cleanup's kill -KILL is then not reported on stderr
check "the running domain has OVMF as its pflash loader" grep -q "OVMF_CODE_4M.fd" <<<"$($V dumpxml deb)"
wait_login deb 1 300
ok $? "root is logged in on the serial console (OVMF, GRUB, systemd)"
check "the kernel was booted by UEFI (EDK II)" grep -q 'console: .*efi: EFI v[0-9.]* by EDK II' "$T/deb.log"
before=$(console_out deb 'cat /sys/class/net/e*/address; ip -4 -o addr show scope global | cut -d" " -f7; grep MemTotal /proc/meminfo' B1)
diag "before the crash: $(tr '\n' ' ' <<<"$before")"
mac1=$(sed -n 1p <<<"$before")
ip1=$(sed -n 2p <<<"$before")
mem1=$(awk '/MemTotal/ { print $2 }' <<<"$before")
check "the guest has the domain's MAC ($mac1)" test "$mac1" = "$MAC"

console deb 'echo c > /proc/sysrq-trigger'
crash_ms=$(date +%s%3N)
check "it crashes, and the capture domain is started" \
	wait_for "$T/w.stderr" 'domain deb: capture domain started' 120
diag "$(grep -E 'panicked|RAM kept|registers|destroyed|capture kernel|capture boot of|capture layout|capture domain started' "$T/w.stderr" | cut -c1-300)"
check "capture kernel: the crashed release, read from the guest's disk after the domain is destroyed" \
	grep -q "capture kernel $DISTRO_KVER from disk 0 .* partition 3 (ext4 $DISTRO_ROOT_UUID" "$T/w.stderr"
check "capture boot with the crashed kernel's own command line (root=UUID from GRUB)" \
	grep -q "capture boot of $DISTRO_KVER .*root=UUID=$DISTRO_ROOT_UUID" "$T/w.stderr"
$V list --name >"$T/list"
check "virsh list shows deb running again after one boot" grep -qx deb "$T/list"
check "as a transient run of the persistent domain (same UUID)" \
	test "$($V domuuid deb)" = 6f1c2a4e-1d8c-4c53-9b7e-2a1f0000d157
xml_live=$($V dumpxml deb)
check "the running domain is the capture: hvdump's RAM backend, the kernel from the disk" \
	has_all "$xml_live" 'hvdump-ram' "<kernel>.*vmlinuz-$DISTRO_KVER"
check "  and no pflash loader (SeaBIOS)" grep_none -c 'OVMF' <<<"$xml_live"

check "the dump is saved while the domain runs" wait_for "$T/w.stderr" 'domain deb: every dump is saved' 300
check "the watcher says the domain runs under libvirt again with all its memory" \
	wait_for "$T/w.stderr" 'domain deb: runs under libvirt again with all its memory' 120
diag "$(grep -E 'capture kernel is up|saving the dump|dump saved|every dump|gave .* back|all its memory' "$T/w.stderr" | tail -n 7 | cut -c1-200)"
wait_login deb 2 300
ok $? "the capture guest logs root in on the same serial console"
check "one capture boot: the capture domain was started once" \
	test "$(grep -c 'domain deb: capture domain started' "$T/w.stderr")" -eq 1
# the downtime: from the sysrq typed on the console (the watcher counts from libvirt's event)
at_ms() { date -u -d "$1" +%s%3N; }
panic_ms=$(at_ms "$(sed -n 's/.*domain deb: guest kernel panicked at \([^ ]*\) .*/\1/p' "$T/w.stderr")")
cap_after=$(sed -n 's/.*capture domain started .*, \([0-9]*\) ms after the crash.*/\1/p' "$T/w.stderr")
mem_after=$(sed -n 's/.*runs under libvirt again with all its memory, \([0-9]*\) ms after the crash.*/\1/p' "$T/w.stderr")
login_ms=$(at_ms "$(grep 'console: .*login: root' "$T/deb.log" | sed -n 2p | cut -d' ' -f1)")
diag "downtime from the sysrq typed: libvirt's crash event $((panic_ms - crash_ms)) ms; capture domain started $((panic_ms + cap_after - crash_ms)) ms; all memory back $((panic_ms + mem_after - crash_ms)) ms; root's login on the console $((login_ms - crash_ms)) ms"

# the capture guest as the server it was; MemTotal as the memory given back came online
memback_ok() {
	after=$(console_out deb 'cat /sys/class/net/e*/address; ip -4 -o addr show scope global | cut -d" " -f7; grep MemTotal /proc/meminfo; cat /proc/cmdline' "A$1") || return
	mem2=$(awk '/MemTotal/ { print $2 }' <<<"$after")
	near "$mem1" "$mem2"
}
for i in 1 2 3 4 5 6; do memback_ok "$i" && break; sleep 5; done
diag "after: $(tr '\n' ' ' <<<"${after:-}")"
check "MemTotal back within 1% (${mem1:-?} kB before, ${mem2:-?} kB after)" near "$mem1" "$mem2"
check "same MAC after the capture boot ($mac1)" test "$(sed -n 1p <<<"${after:-}")" = "$mac1"
check "same address ($ip1)" test "$(sed -n 2p <<<"${after:-}")" = "$ip1"
check "the capture kernel runs with the crashed kernel's root=UUID, mem= and elfcorehdr=" \
	grep -q "root=UUID=$DISTRO_ROOT_UUID .*mem=[0-9]*M.* elfcorehdr=" <<<"${after:-}"

dir=$(ls -d "$T"/dumps/deb-* 2>/dev/null | head -1)
rec=$dir/crash.json
check "the record: libvirt, saved, the panic from the kernel's log, the capture kernel" \
	jq -e --arg k "$DISTRO_KVER" '.detected_by == "libvirt" and .state == "saved"
		and .on_crash == "assisted" and .panic == "sysrq triggered crash"
		and (.capture.segments | length) > 0 and (.dump_file | endswith("vmcore.kdump"))
		and (tostring | contains("\"release\":\"" + $k + "\""))' "$rec"
dump=$(jq -r .dump_file "$rec")
check_pages "the dump is page-exact against the crashed RAM" 1 "$dump"
VMLINUX=$ROOT/.cache/linux/$DISTRO_KVER-dbg/usr/lib/debug/boot/vmlinux-$DISTRO_KVER
[ -r "$VMLINUX" ] || VMLINUX=${HVDUMP_CACHE:-$ROOT/.cache}/linux/$DISTRO_KVER-dbg/usr/lib/debug/boot/vmlinux-$DISTRO_KVER
if debug_vmlinux; then
	printf 'sys\nbt\nquit\n' | timeout 300 crash -s "$VMLINUX" "$dump" >"$T/crash.out" 2>&1
	diag "$(grep -E 'RELEASE|PANIC|COMMAND' "$T/crash.out")"
	check "crash(8) opens the dump: the sysrq panic of $DISTRO_KVER and a backtrace through sysrq" \
		grep_all "$T/crash.out" "RELEASE: $DISTRO_KVER" \
		'PANIC: "Kernel panic - not syncing: sysrq triggered crash"' 'sysrq_handle_crash'
fi

$V dumpxml --inactive deb >"$T/def-after.xml"
check "the persistent definition is unchanged (firmware, NVRAM, boot)" \
	cmp "$T/def-before.xml" "$T/def-after.xml"
check "the NVRAM file is the domain's, still there" test -s "$T/deb_VARS.fd"

kill -TERM "$W_PID"
wait_exit "$W_PID" 10
check "SIGTERM stops the watcher: exit 0 (rc=$RC)" test "$RC" -eq 0
check "  leaving the capture domain running" grep -qx deb <<<"$($V list --name)"
done_testing
