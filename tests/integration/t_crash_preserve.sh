#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The guest fills memory with a known pattern and crashes (sysrq).  hvdump reports the panic
# within 1 s of the guest's panic line, keeps the VM paused and the RAM file intact (every
# pattern page found, byte-exact), and on SIGTERM ends QEMU but keeps the crash.
. "$(dirname "$0")/../lib/common.sh"
guest_env

SEED=0x5eed1234
MIB=64
PAGES=$((MIB * 256))
start_hvdump "$T/c" run --name crash --kernel "$VMLINUZ" --initrd "$INITRD" \
	--append "console=ttyS0 quiet hvdump.pattern=$MIB:$SEED hvdump.crash=0" \
	--memory 1G --log "$T/crash.log" --no-console --on-crash pause
wait_for "$T/c.stderr" 'crashed guest preserved' 60
ok $? "hvdump reports the crashed guest preserved"
check "guest wrote its pattern" grep -q 'console: hvdump-guest: pattern ready' "$T/crash.log"

panic_line=$(grep -m1 'console: .*Kernel panic - not syncing: sysrq triggered crash' "$T/crash.log")
report_line=$(grep -m1 'guest kernel panicked at' "$T/crash.log")
diag "$panic_line"
diag "$report_line"
both_logged() { [ -n "$panic_line" ] && [ -n "$report_line" ]; }
check "panic line and hvdump's report both logged" both_logged
t_panic=$(iso_to_s "${panic_line%% *}")
t_report=$(iso_to_s "${report_line%% *}")
delay=$(awk -v a="$t_panic" -v b="$t_report" 'BEGIN { printf "%.3f", b - a }')
check "panic reported ${delay}s after the guest's panic line (<= 1 s)" \
	awk -v d="$delay" 'BEGIN { exit !(d >= 0 && d <= 1.0) }'
check "panic came through pvpanic" grep -q 'detected by pvpanic' "$T/crash.log"
check "report carries the panic text" grep -q 'panicked at .*sysrq triggered crash' "$T/crash.log"

RUN=$HVDUMP_RUN_BASE/crash
check "state.json says crashed" grep -q '"state": "crashed"' "$RUN/state.json"
check "hvdump stays up holding the paused VM" kill -0 "$HV_PID"
status=$(stat -c %a "$RUN/ram")
ram_private() { [ "$status" = 600 ] && [ "$(stat -c %a "$RUN")" = 700 ]; }
check "RAM file 0600 in a 0700 directory" ram_private

scan=$("$RAMSCAN" "$RUN/ram" "$SEED" "$PAGES")
ok $? "every pattern page is intact in the preserved RAM file"
diag "$scan"

kill -TERM "$HV_PID"
wait_exit "$HV_PID" 20
check "SIGTERM on a crashed VM: exit 4 (rc=$RC)" test "$RC" -eq 4
crash_kept() { [ -s "$RUN/ram" ] && grep -q '"state": "crashed"' "$RUN/state.json"; }
check "RAM file and crash state kept after hvdump exits" crash_kept
"$RAMSCAN" "$RUN/ram" "$SEED" "$PAGES" >/dev/null
ok $? "pattern still intact after QEMU is gone"
check "no QEMU left running" no_process "$RUN/"

"$HVDUMP" run --name crash --kernel "$VMLINUZ" --initrd "$INITRD" --no-console >"$T/again.out" 2>&1
rc=$?
check "a new run refuses to overwrite the preserved crash (rc=$rc)" \
	exit_says "$rc" 2 "$T/again.out" 'holds a preserved crash'
diag "$(cat "$T/again.out")"
"$RAMSCAN" "$RUN/ram" "$SEED" "$PAGES" >/dev/null
ok $? "pattern intact after the refused run"
done_testing
