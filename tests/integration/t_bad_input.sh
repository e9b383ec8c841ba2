#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input: one clear line naming the problem, exit 2, nothing left behind.
. "$(dirname "$0")/../lib/common.sh"
guest_env

# refused_one_line RC LINES ERE: exit 2, and one line of stderr, matching ERE
refused_one_line() { [ "$1" -eq 2 ] && [ "$2" -eq 1 ] && grep -qE -- "$3" "$T/err"; }
expect_refusal() { # DESCRIPTION REGEX ARGS...
	local what=$1 re=$2
	shift 2
	"$HVDUMP" run --name bad --no-console "$@" >"$T/out" 2>"$T/err"
	local rc=$? lines
	lines=$(wc -l <"$T/err")
	check "$what (rc=$rc): $(head -c 200 "$T/err")" refused_one_line "$rc" "$lines" "$re"
	left=$(find "$HVDUMP_RUN_BASE" -mindepth 1 2>/dev/null | wc -l)
	check "  nothing left behind ($left)" test "$left" -eq 0
}

mkdir -p "$T/adir"
printf 'not a kernel' >"$T/notakernel"
: >"$T/empty"
expect_refusal "no kernel" 'give --kernel' --initrd "$INITRD"
expect_refusal "missing kernel" "kernel $T/nope: No such file" --kernel "$T/nope"
expect_refusal "kernel that is not a bzImage" 'not an x86 Linux bzImage' --kernel "$T/notakernel"
expect_refusal "unreadable initrd (a directory)" 'not a regular file' --kernel "$VMLINUZ" --initrd "$T/adir"
expect_refusal "missing initrd" 'initrd .*No such file' --kernel "$VMLINUZ" --initrd "$T/nope"
expect_refusal "empty initrd" 'is empty' --kernel "$VMLINUZ" --initrd "$T/empty"
expect_refusal "malformed size" "--memory '2Q'" --kernel "$VMLINUZ" --memory 2Q
expect_refusal "tiny memory" 'too small' --kernel "$VMLINUZ" --memory 16M
expect_refusal "unaligned memory" 'multiple of 2M' --kernel "$VMLINUZ" --memory 1025M
expect_refusal "too many CPUs" '--cpus 999 is out of range' --kernel "$VMLINUZ" --cpus 999
expect_refusal "zero CPUs" '--cpus' --kernel "$VMLINUZ" --cpus 0
expect_refusal "missing QEMU" 'QEMU binary /no/such/qemu' --kernel "$VMLINUZ" --qemu /no/such/qemu
expect_refusal "missing disk" 'disk .*No such file' --kernel "$VMLINUZ" --disk "$T/nodisk"
expect_refusal "unknown option" 'unknown option --frobnicate' --kernel "$VMLINUZ" --frobnicate
expect_refusal "bad accelerator" "--accel 'xen'" --kernel "$VMLINUZ" --accel xen
expect_refusal "bad crash action" "--on-crash 'explode'" --kernel "$VMLINUZ" --on-crash explode
expect_refusal "bad name" '--name' --kernel "$VMLINUZ" --name '../escape'

# the run directory of a live VM
start_hvdump "$T/live" run --name live --kernel "$VMLINUZ" --initrd "$INITRD" \
	--append "console=ttyS0 quiet" --memory 256M --no-console --log "$T/live.log"
wait_for "$T/live.log" 'console: HVDUMP-GUEST-READY' 60
"$HVDUMP" run --name live --kernel "$VMLINUZ" --initrd "$INITRD" --no-console >"$T/out" 2>"$T/err"
rc=$?
check "second VM on a live run directory refused (rc=$rc): $(cat "$T/err")" \
	exit_says "$rc" 2 "$T/err" "a live VM already uses run directory .*/live (hvdump pid $HV_PID)"
live_untouched() { [ -s "$HVDUMP_RUN_BASE/live/ram" ] && kill -0 "$HV_PID"; }
check "the live VM is untouched" live_untouched
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 30
check "live VM stopped cleanly afterwards (rc=$RC)" test "$RC" -eq 0
done_testing
