#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The capture domain's XML (libvirt/capxml.c, through build/tests/tools/capxml-build) against
# a real libvirtd (tests/lib/libvirtd.sh), without booting anything: a 512 MiB TCG domain is
# started paused and its live XML (with its id) made a capture domain on a 640 MiB RAM file of
# the test's, with 4 DIMM slots up to 1152 MiB and a QMP socket whose path has a comma.
# libvirt creates it (virsh create --paused: the same name and UUID) and its QEMU takes the
# <qemu:commandline> over libvirt's own arguments: guest RAM is the hvdump-ram backend on that
# file (qom-get, query-memdev), 640 MiB of it with 512 MiB more pluggable, hvdump's QMP socket
# answers, and libvirt's live XML of it has the capture kernel and on_reboot destroy.  The RAM
# file is kept whole after virsh destroy.
[ -n "${HVDUMP_LIBVIRT_NS:-}" ] || { . "$(dirname "$0")/../lib/libvirtd.sh"; libvirtd_reexec "$0" "$@"; }
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/libvirtd.sh"
guest_env
command -v jq >/dev/null || skip_all "jq not installed"
BUILD=$ROOT/build/tests/tools
[ -x "$BUILD/capxml-build" ] && [ -x "$BUILD/qmp-cmd" ] || skip_all "build/tests/tools not built (run make)"

# wait_for_socket PATH: up to 5 s for a UNIX socket at PATH
wait_for_socket() {
	local i
	for i in $(seq 50); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

libvirtd_start
V="virsh -q -c $LIBVIRT_URI"

libvirt_domain hvc cmdline="console=ttyS0 quiet" devices="<serial type='pty'/>" >"$T/dom.xml"

check "the domain starts paused" $V create "$T/dom.xml" --paused
$V dumpxml hvc >"$T/live.xml"
check "its live XML has an id" grep -q "<domain type='qemu' id=" "$T/live.xml"
uuid=$($V domuuid hvc)
check "virsh destroy the domain" $V destroy hvc

ram=$T/ram
qmp="$T/hvdump,qmp.sock"
truncate -s 640M "$ram" && chmod 0600 "$ram"
"$BUILD/capxml-build" --kernel "$VMLINUZ" --initrd "$INITRD" --cmdline "console=ttyS0 hvdump.capture=1" \
	--ram "$ram" --ram-size $((640 << 20)) --lowmem $((640 << 20)) --slots 4 \
	--maxmem $((1152 << 20)) --qmp "$qmp" "$T/live.xml" >"$T/cap.xml" 2>"$T/cap.err"
ok $? "capxml-build makes the capture domain's XML $(cat "$T/cap.err")"
check "the comma of the QMP path is doubled" grep -qF "path=$T/hvdump,,qmp.sock," "$T/cap.xml"

check "libvirt creates the capture domain (paused)" $V create "$T/cap.xml" --paused
check "the same UUID" test "$($V domuuid hvc 2>&1)" = "$uuid"
check "hvdump's QMP socket is there" wait_for_socket "$qmp"
backend=$("$BUILD/qmp-cmd" -t 10 "$qmp" qom-get '{"path":"/machine","property":"memory-backend"}' 2>&1)
check "guest RAM is the hvdump-ram backend ($backend)" grep -q 'hvdump-ram' <<<"$backend"
mempath=$("$BUILD/qmp-cmd" -t 10 "$qmp" qom-get '{"path":"/objects/hvdump-ram","property":"mem-path"}' 2>&1)
check "on the RAM file ($mempath)" test "$mempath" = "\"$ram\""
"$BUILD/qmp-cmd" -t 10 "$qmp" query-memdev >"$T/memdev.json" 2>&1
memdev() { jq -e '.[] | select(.id == "hvdump-ram") | .size == 671088640 and .share and (.prealloc | not)' "$T/memdev.json"; }
check "hvdump-ram: 640 MiB, shared, not preallocated" memdev
"$BUILD/qmp-cmd" -t 10 "$qmp" query-memory-size-summary >"$T/size.json" 2>&1
check "guest RAM 640 MiB ($(cat "$T/size.json"))" jq -e '."base-memory" == 671088640' "$T/size.json"
lowmem=$("$BUILD/qmp-cmd" -t 10 "$qmp" qom-get '{"path":"/machine","property":"max-ram-below-4g"}' 2>&1)
check "max-ram-below-4g is the capture layout's 640 MiB ($lowmem)" test "$lowmem" = $((640 << 20))
# pc machines align each DIMM slot to 1 GiB: maxmem - RAM (512 MiB) + 4 slots x 1 GiB
region=$("$BUILD/qmp-cmd" -t 10 "$qmp" qom-get '{"path":"/machine","property":"device-memory-region-size"}' 2>&1)
check "slots and maxmem: a device memory region of 512 MiB + 4 GiB ($region)" test "$region" = $(((512 << 20) + (4 << 30)))
$V dumpxml hvc >"$T/cap-live.xml"
check "libvirt's live XML: on_reboot destroy" grep -q '<on_reboot>destroy</on_reboot>' "$T/cap-live.xml"
check "libvirt's live XML: the capture kernel" grep -qF "<cmdline>console=ttyS0 hvdump.capture=1</cmdline>" "$T/cap-live.xml"
check "libvirt notes the custom arguments" wait_for /var/log/libvirt/qemu/hvc.log 'tainted.*custom-argv' 5
check "virsh destroy the capture domain" $V destroy hvc
check "the RAM file is kept whole (640 MiB)" test "$(stat -c %s "$ram")" -eq $((640 << 20))
done_testing
