#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kallsyms lookup (src/format/kallsyms.c, through tests/tools/ksym) on a real QEMU ELF dump of
# the crashed stock Debian kernel: system_state, init_uts_ns and jiffies must resolve to the
# addresses /proc/kallsyms showed in the same boot (read through the guest's shell just before
# the crash) and to System.map + KERNELOFFSET (when the -dbg System.map is cached:
# guest/fetch-kernel --dbg), and what is at their physical addresses must be what the kernel
# keeps there.
. "$(dirname "$0")/../lib/common.sh"
guest_env
KSYM=$ROOT/build/tests/tools/ksym
QMPCMD=$ROOT/build/tests/tools/qmp-cmd
[ -x "$KSYM" ] && [ -x "$QMPCMD" ] || skip_all "test tools not built (run make)"
command -v mkfifo >/dev/null || skip_all "mkfifo not available"

NAMES=(system_state init_uts_ns jiffies)
KVER=${VMLINUZ##*/vmlinuz-}
CACHE_LINUX=$(dirname "$(dirname "$(dirname "$VMLINUZ")")")
MAP=${SYSTEM_MAP:-}
for m in "$CACHE_LINUX/$KVER/boot/System.map-$KVER" \
	"$CACHE_LINUX/$KVER-dbg/usr/lib/debug/boot/System.map-$KVER" \
	"/usr/lib/debug/boot/System.map-$KVER"; do
	[ -z "$MAP" ] || break
	# Debian's linux-image package ships a one-line placeholder System.map
	[ -r "$m" ] && [ "$(wc -l <"$m")" -gt 1000 ] && MAP=$m
done
CONFIG=$CACHE_LINUX/$KVER/boot/config-$KVER
HZ=$(sed -n 's/^CONFIG_HZ=//p' "$CONFIG" 2>/dev/null)

# The demo guest with a shell on a pipe serial port: QEMU reads ser.in, writes ser.out.
mkfifo "$T/ser.in" "$T/ser.out"
qemu-system-x86_64 -accel tcg -cpu max -m 512M -nodefaults -display none \
	-serial "pipe:$T/ser" -kernel "$VMLINUZ" -initrd "$INITRD" \
	-append "console=ttyS0 quiet hvdump.shell=1" -device pvpanic -device vmcoreinfo \
	-action panic=pause -qmp "unix:$T/qmp.sock,server=on,wait=off" >"$T/qemu.log" 2>&1 &
_bg_pids+=($!)
cat "$T/ser.out" >"$T/con" &
_bg_pids+=($!)
exec 3<>"$T/ser.in" # read-write: never blocks, even if QEMU did not start

booted=1
wait_for "$T/con" 'HVDUMP-GUEST-READY' 120 && wait_for "$T/con" '^/ # ' 30 && booted=0
if [ $booted -eq 0 ]; then
	echo 'grep -E " (system_state|init_uts_ns|jiffies)$" /proc/kallsyms | sed "s/^/KSYM /"' >&3
	wait_count "$T/con" '^KSYM [0-9a-f]{16} ' 3 30
fi
declare -A live
while read -r _ addr _ name; do
	live[$name]=$addr
done < <(tr -d '\r' <"$T/con" | grep -E '^KSYM [0-9a-f]{16} [A-Za-z] ')
check "guest booted; its /proc/kallsyms shows ${!live[*]}" test ${#live[@]} -eq 3
[ ${#live[@]} -eq 3 ] || diag "$(tail -20 "$T/con")"

echo 'echo 1 >/proc/sys/kernel/sysrq; echo c >/proc/sysrq-trigger' >&3
dumped=1
if wait_for "$T/con" 'Kernel panic' 60; then
	for _ in $(seq 100); do
		"$QMPCMD" "$T/qmp.sock" query-status 2>/dev/null | grep -q '"running":false' && break
		sleep 0.1
	done
	"$QMPCMD" -t 300 "$T/qmp.sock" dump-guest-memory \
		"{\"paging\": false, \"protocol\": \"file:$T/vmcore.elf\"}" >/dev/null && dumped=0
fi
"$QMPCMD" "$T/qmp.sock" quit >/dev/null 2>&1
ok $dumped "guest panicked and QEMU wrote an ELF vmcore"

"$KSYM" -i KERNELOFFSET -i 'SYMBOL(init_uts_ns)' "$T/vmcore.elf" "${NAMES[@]}" >"$T/ksym.out" 2>&1
ok $? "ksym resolves ${NAMES[*]} from the dump's kallsyms tables"
diag "$(cat "$T/ksym.out")"
declare -A va pa val
while read -r name a b c; do
	va[$name]=$a pa[$name]=$b val[$name]=$c
done <"$T/ksym.out"
koff=${va[KERNELOFFSET]:-}

as_live() { [ -n "${va[$1]:-}" ] && [ "${va[$1]}" = "${live[$1]:-none}" ]; } # NAME
for n in "${NAMES[@]}"; do
	check "$n: ${va[$n]:-?} is the address /proc/kallsyms showed in the same boot" as_live "$n"
done
as_map() { [ -n "$2" ] && [ "${va[$1]:-}" = "$2" ]; } # NAME ADDRESS
if [ -n "$MAP" ] && [ -n "$koff" ]; then
	for n in "${NAMES[@]}"; do
		m=$(awk -v n="$n" '$3 == n { print $1; exit }' "$MAP")
		want=$([ -n "$m" ] && printf '%016x' $((0x$m + 0x$koff)))
		check "$n: System.map $m + KERNELOFFSET $koff = ${want:-?}" as_map "$n" "$want"
	done
else
	for n in "${NAMES[@]}"; do
		skip "$n: no real System.map for $KVER (guest/fetch-kernel --dbg)"
	done
fi
check "init_uts_ns agrees with VMCOREINFO's SYMBOL(init_uts_ns)" \
	test "${va[init_uts_ns]:-x}" = "${va['SYMBOL(init_uts_ns)']:-y}"
# The physical side: what the kernel keeps at those addresses.
check "init_uts_ns at physical ${pa[init_uts_ns]:-?} starts with \"Linu\" (${val[init_uts_ns]:-?})" \
	test "${val[init_uts_ns]:-}" = 0x756e694c
# 6.1: SYSTEM_BOOTING, SYSTEM_SCHEDULING, SYSTEM_FREEING_INITMEM, SYSTEM_RUNNING = 3
check "system_state at physical ${pa[system_state]:-?} is SYSTEM_RUNNING (${val[system_state]:-?})" \
	test "${val[system_state]:-}" = 0x00000003
# jiffies starts at INITIAL_JIFFIES = -300 * HZ (low 32 bits); the guest ran for T seconds.
t=$(tr -d '\r' <"$T/con" | sed -n 's/^\[ *\([0-9]*\)\.[0-9]*\] Kernel panic.*/\1/p' | head -1)
if [ -n "$HZ" ] && [ -n "$t" ] && [ -n "${val[jiffies]:-}" ]; then
	ticks=$(((${val[jiffies]} + 300 * HZ) & 0xffffffff))
	ticks_in_run() { [ "$ticks" -gt 0 ] && [ "$ticks" -le $(((t + 5) * HZ)) ]; }
	check "jiffies at physical ${pa[jiffies]} is $ticks ticks past INITIAL_JIFFIES (HZ=$HZ, panic at ${t}s)" \
		ticks_in_run
else
	ok 1 "jiffies: value, HZ or panic time missing"
fi
done_testing
