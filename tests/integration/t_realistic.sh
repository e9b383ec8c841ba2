#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A guest that looks real: 4 GiB, 2 vCPUs, a distro-sized initramfs (about 26 MB packed, twice
# that unpacked), a quarter of its RAM holding 2:1 compressible data in a tmpfs; it crashes
# and hvdump runs with default options.  The capture guest must be back about as fast as a
# plain boot, survive its memory coming back (once, a single 3.75 GiB DIMM wanted 60 MiB of
# struct pages from a starved boot region and the capture guest died "deadlocked on
# memory"), end with its pre-crash MemTotal, and then use that memory: half of RAM written
# into a tmpfs.  hvdump's own waiting must stay cheap while the capture guest boots.
. "$(dirname "$0")/../lib/common.sh"
guest_env
eval "$("$ROOT/guest/build-demo" --pad 24 --print 2>/dev/null)" || skip_all "padded initramfs not built"
size=$(stat -c %s "$INITRD")
mkdir -m 700 -p "$T/dumps"

start_hvdump "$T/r" run --name real --kernel "$VMLINUZ" --initrd "$INITRD" --memory 4G --cpus 2 \
	--dump-dir "$T/dumps" --log "$T/r.log" --no-console \
	--append "console=ttyS0 quiet hvdump.workload=1024 hvdump.crash=0 hvdump.memwatch=1 hvdump.capture_fill=2048"
for _ in $(seq 4200); do # until the capture guest's fill ends, or a second panic
	grep -qE 'console: hvdump-guest: (after fill|fill FAILED)|Out of memory' "$T/r.log" 2>/dev/null && break
	[ "$(grep -c 'Kernel panic - not syncing' "$T/r.log" 2>/dev/null)" -ge 2 ] && break
	sleep 0.1
done
diag "initramfs $((size >> 20)) MiB; $(grep -E 'fill done|memtotal_kb=|capture layout|kernel is up|supervisor used|full speed|dump saved|all its memory' "$T/r.log" | cut -c1-200)"
check "the guest held 1 GiB of data in a tmpfs when it crashed" \
	grep -q 'console: hvdump-guest: fill done mib=1024 file=/run/workload' "$T/r.log"
check "the capture guest wrote 2 GiB (half of RAM) into a tmpfs with the memory it got back" \
	grep -q 'console: hvdump-guest: fill done mib=2048 file=/run/capture-fill' "$T/r.log"
npanic=$(grep -c 'console: .*Kernel panic - not syncing' "$T/r.log")
one_panic_no_oom() { [ "$npanic" -eq 1 ] && ! grep -q 'Out of memory' "$T/r.log"; }
check "no second panic, no out-of-memory kill ($npanic panic line(s))" one_panic_no_oom
memtotal_back "$T/r.log"
check "the dump was saved and all memory given back" \
	grep_all "$T/r.log" 'dump saved: ' 'the guest has all its memory back'
# the capture boot's shape: a boot region sized for this initramfs (64M kernel + 64M bounce
# buffer + 5 x 25.7 MiB + 96M, in whole 128M blocks: 384M), each returned block carrying its own
# struct pages, and DIMM slots for the 29 blocks to give back plus 8 (not QEMU's 256, whose
# ACPI objects the guest walks while it boots)
cap=$(grep 'debug: starting: qemu' "$T/r.log" | sed -n 2p)
capture_shape() {
	grep -q ' mem=384M ' <<<"$cap" && grep -q 'memory_hotplug.memmap_on_memory=1' <<<"$cap" &&
		grep -q 'slots=37,' <<<"$cap"
}
check "capture boot: mem=384M, memmap_on_memory, 37 DIMM slots ($(grep -oE ' mem=[0-9]+M|slots=[0-9]+' <<<"$cap" | tr '\n' ' '))" \
	capture_shape

# service first: the saver gave way while the guest booted; hvdump's own waiting was cheap
check "the saver waited until the capture guest was up" \
	grep_all "$T/r.log" 'held until the guest is up' 'the guest is in service: the saver starts, at full speed'
pct=$(sed -n 's/.*supervisor used [0-9.]* ms of CPU (\([0-9.]*\)% of a core.*/\1/p' "$T/r.log" | head -1)
check "hvdump's supervisor took ${pct:-?}% of a core while the capture guest booted (< 5%)" \
	awk -v p="${pct:-100}" 'BEGIN { exit !(p < 5) }'

# downtime: panic line to the capture guest's /init, against QEMU launch to /init (plain boot)
ts() { grep -E "$1" "$T/r.log" | sed -n "${2}p" | cut -d' ' -f1; }
launch=$(ts 'debug: starting: qemu' 1) init1=$(ts 'console: hvdump-guest: init running' 1)
panic=$(ts 'console: .*Kernel panic - not syncing' 1) init2=$(ts 'console: hvdump-guest: init running' 2)
if [ -n "$launch" ] && [ -n "$init1" ] && [ -n "$panic" ] && [ -n "$init2" ]; then
	plain=$(awk -v a="$(iso_to_s "$launch")" -v b="$(iso_to_s "$init1")" 'BEGIN { printf "%d", (b - a) * 1000 }')
	down=$(awk -v a="$(iso_to_s "$panic")" -v b="$(iso_to_s "$init2")" 'BEGIN { printf "%d", (b - a) * 1000 }')
	diag "plain boot (QEMU launch to /init) $plain ms; crash to the capture guest's /init $down ms"
	# the benchmark holds this to 1.2x on a quiet machine; tests share the cores
	check "back in service within twice a plain boot's time" test "$down" -le $((plain * 2))
else
	ok 1 "downtime measured (missing log lines)"
fi

kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
check "stops cleanly (rc=$RC)" one_of "$RC" 4 0
done_testing
