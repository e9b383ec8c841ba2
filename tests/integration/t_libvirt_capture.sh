#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The assisted dump of a libvirt domain, against a real libvirtd (tests/lib/libvirtd.sh): a
# 1 GiB, 2-vCPU TCG domain (a quarter of its RAM holding pattern data; file-backed shared
# memory with <discard/>, panic model isa, on_crash preserve, the demo kernel and initramfs)
# panics by itself; `hvdump libvirt watch` keeps its RAM, destroys the crashed domain and
# starts the capture kernel as a transient domain with the same name and UUID on the kept
# RAM.  `virsh list` shows it running after that one boot with the crashed memory as
# /proc/vmcore; hvdump saves the dump while it runs (page-exact against the crashed RAM,
# opened by crash(8) when installed) and gives the memory back as pc-dimms through its own
# QMP socket: MemTotal back within 1%.  The persistent definition is unchanged.  A reset of
# the capture domain boots the domain as defined (whose next crash is served the same way);
# destroying the capture domain removes the kept memory.  A crash while no watcher runs is
# served by the next watch; a crash of a capture guest an earlier watcher started is not.
[ -n "${HVDUMP_LIBVIRT_NS:-}" ] || { . "$(dirname "$0")/../lib/libvirtd.sh"; libvirtd_reexec "$0" "$@"; }
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/libvirtd.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
guest_env
command -v jq >/dev/null || skip_all "jq not installed"

libvirtd_start
V="virsh -q -c $LIBVIRT_URI"
libvirt_domain hvc memory=1024 vcpus=2 uuid=6f1c2a4e-1d8c-4c53-9b7e-2a1f0000c0de \
	cmdline="console=ttyS0 quiet hvdump.pattern=256:0xc0de hvdump.crash=1 hvdump.memwatch=1 sysctl.kernel.unknown_nmi_panic=1" \
	devices="<serial type='file'><source path='$T/hvc.console' append='on'/><target port='0'/></serial>
    <interface type='user'><mac address='52:54:00:12:c0:de'/><model type='virtio'/></interface>" >"$T/hvc.xml"
check "the domain is defined" $V define "$T/hvc.xml"
$V dumpxml --inactive hvc >"$T/def-before.xml"

start_hvdump "$T/w" libvirt watch -c "$LIBVIRT_URI" --dump-dir "$T/dumps" --domain hvc \
	--crash-hook "$(pagehash_hook)"
W_PID=$HV_PID
check "the watcher starts" wait_for "$T/w.stderr" 'watching domain hvc for crashes' 20
check "hvc (1 GiB, 2 vCPUs, TCG) starts" $V start hvc
check "it crashes, and the capture domain is started" \
	wait_for "$T/w.stderr" 'domain hvc: capture domain started' 300
diag "$(grep -E 'panicked|RAM kept|registers|destroyed|capture layout|capture domain started|capture guest booting' "$T/w.stderr" | cut -c1-220)"
$V list --name >"$T/list"
check "virsh list shows hvc running again after one boot" grep -qx hvc "$T/list"
check "as a transient run of the persistent domain (same UUID)" \
	test "$($V domuuid hvc)" = 6f1c2a4e-1d8c-4c53-9b7e-2a1f0000c0de
check "the capture guest has the crashed memory as /proc/vmcore" \
	wait_for "$T/hvc.console" 'hvdump-guest: vmcore size=[1-9]' 120
check "the dump is saved while the domain runs" wait_for "$T/w.stderr" 'domain hvc: every dump is saved' 300
check "the guest gets all its memory back" wait_for "$T/w.stderr" 'the guest has all its memory back' 120
check "the watcher says the domain runs under libvirt again with all its memory" \
	wait_for "$T/w.stderr" 'domain hvc: runs under libvirt again with all its memory' 60
diag "$(grep -E 'saving the dump|dump saved|every dump|gave .* back|all its memory' "$T/w.stderr" | tail -n 6 | cut -c1-200)"

# MemTotal: the first boot's against the capture guest's last word once the memory is back
mem1=$(grep -m1 -o 'kernel=[^ ]* nproc=[0-9]* memtotal_kb=[0-9]*' "$T/hvc.console" | sed 's/.*memtotal_kb=//')
memback_ok() {
	mem2=$(grep -o 'memtotal_kb=[0-9]*' "$T/hvc.console" | tail -n 1 | cut -d= -f2)
	awk -v a="${mem1:-0}" -v b="${mem2:-0}" 'BEGIN { d = (b - a) / (a ? a : 1); if (d < 0) d = -d; exit !(a > 0 && d <= 0.01) }'
}
for _ in $(seq 60); do memback_ok && break; sleep 1; done
check "MemTotal back within 1% (before ${mem1:-?} kB, after ${mem2:-?} kB)" memback_ok

dir=$(ls -d "$T"/dumps/hvc-* 2>/dev/null | head -1)
rec=$dir/crash.json
check "the record: libvirt, saved, the capture's segments, the panic from the kernel's log" \
	jq -e '.detected_by == "libvirt" and .state == "saved" and .on_crash == "assisted"
		and .panic == "sysrq triggered crash" and (.capture.segments | length) > 0
		and .crash_to_capture_start_ms > 0 and (.dump_file | endswith("vmcore.kdump"))' "$rec"
dump=$(jq -r .dump_file "$rec")
check_pages "the dump is page-exact against the crashed RAM" 1 "$dump"
if debug_vmlinux; then
	printf 'sys\nbt\nquit\n' | timeout 300 crash -s "$VMLINUX" "$dump" >"$T/crash.out" 2>&1
	check "crash(8) opens the dump: the panic and a backtrace through sysrq" \
		grep_all "$T/crash.out" 'PANIC: "Kernel panic - not syncing: sysrq triggered crash"' 'sysrq_handle_crash'
fi
xml_live=$($V dumpxml hvc)
check "the running domain is the capture: its own QMP socket and RAM backend, SeaBIOS" \
	grep -q 'hvdump-ram' <<<"$xml_live"
check "the MAC address is the domain's" grep -q "52:54:00:12:c0:de" <<<"$xml_live"
$V dumpxml --inactive hvc >"$T/def-during.xml"
check "the persistent definition is unchanged while the capture runs" cmp -s "$T/def-before.xml" "$T/def-during.xml"

# a reset of the capture domain (on_reboot destroy) boots the domain as defined: it crashes
# again (hvdump.crash=1), and that crash is served as the first was
area=$(dirname "$(jq -r .ram_file "$rec")")
check "the kept RAM's directory is there while the capture runs" test -d "$area"
check "virsh reset hvc (the capture guest reboots)" $V reset hvc
check "the watcher starts the domain from its own definition" \
	wait_for "$T/w.stderr" 'domain hvc rebooted out of its capture boot: started from its own definition' 60
check "  and removed the first crash's kept memory" test ! -e "$area"
check "the domain boots as defined, crashes again, and that crash gets its capture domain" \
	wait_count "$T/w.stderr" 'domain hvc: capture domain started' 2 300
check "  whose dump is saved too" wait_count "$T/w.stderr" 'domain hvc: every dump is saved' 2 300
check "  with all its memory back" \
	wait_count "$T/w.stderr" 'domain hvc: runs under libvirt again with all its memory' 2 120
rec2=$(ls -d "$T"/dumps/hvc-*/crash.json | grep -v "^$dir/" | head -1)
check "  in a crash directory of its own: crash 2, saved" jq -e '.crash == 2 and .state == "saved"' "$rec2"

# the capture domain ends: the kept memory goes; the definition stays
area=$(dirname "$(jq -r .ram_file "$rec2")")
check "virsh destroy hvc" $V destroy hvc
check "the watcher sees the capture domain stop and removes the kept memory" \
	wait_for "$T/w.stderr" 'domain hvc: the capture domain stopped; its kept memory is removed' 30
check "  the directory is gone" test ! -e "$area"
$V dumpxml --inactive hvc >"$T/def-after.xml"
check "the persistent definition is unchanged afterwards" cmp -s "$T/def-before.xml" "$T/def-after.xml"
$V list --all --name >"$T/list"
check "hvc is still defined (persistent), shut off" grep -qx hvc "$T/list"

kill -TERM "$W_PID"
wait_exit "$W_PID" 10
check "SIGTERM stops the watcher: exit 0 (rc=$RC)" test "$RC" -eq 0

# a crash while no watcher runs: libvirt holds the domain paused; the next watch serves it
check "hvc starts with no watcher" $V start hvc
check "  and crashes: libvirt holds it crashed (panicked)" libvirt_wait_crashed hvc 120
start_hvdump "$T/w2" libvirt watch -c "$LIBVIRT_URI" --dump-dir "$T/dumps" --domain hvc
W_PID=$HV_PID
check "a new watcher finds it and serves it" \
	wait_for "$T/w2.stderr" 'domain hvc crashed before this watch started .*: serving it now' 30
check "  the capture domain runs, its dump saved, its memory back" \
	wait_for "$T/w2.stderr" 'domain hvc: runs under libvirt again with all its memory' 300
check "  (a third crash directory, saved)" \
	test "$(jq -r .state "$T"/dumps/hvc-*/crash.json | grep -c '^saved$')" = 3
kill -TERM "$W_PID"
wait_exit "$W_PID" 20
check "SIGTERM stops that watcher too: exit 0 (rc=$RC)" test "$RC" -eq 0
check "  and leaves the capture domain running" grep -qx hvc <($V list --name)

# that capture guest crashes under a new watcher, which did not start it: its RAM is not
# libvirt's pc.ram, so it is not served (a link to that file would be a dump of nothing)
start_hvdump "$T/w3" libvirt watch -c "$LIBVIRT_URI" --dump-dir "$T/dumps" --domain hvc
W_PID=$HV_PID
check "a third watcher starts" wait_for "$T/w3.stderr" 'watching domain hvc for crashes' 20
area=$(dirname "$(jq -r .ram_file "$(ls -t "$T"/dumps/hvc-*/crash.json | head -1)")")
check "an NMI makes the capture guest panic (unknown_nmi_panic)" $V inject-nmi hvc
check "the watcher names it an earlier hvdump's capture boot and leaves it" \
	wait_for "$T/w3.stderr" 'domain hvc crashed in a capture boot an earlier hvdump started' 60
check "  paused as libvirt holds it, no crash directory made" \
	test "$(ls -d "$T"/dumps/hvc-* | wc -l)" = 3 -a "$(libvirt_crashed hvc && echo y)" = y
check "  its memory where it was" test -s "$area/pc.ram"
$V destroy hvc >/dev/null 2>&1
kill -TERM "$W_PID"
wait_exit "$W_PID" 20
check "SIGTERM stops the third watcher: exit 0 (rc=$RC)" test "$RC" -eq 0
done_testing
