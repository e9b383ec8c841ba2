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
ok $(grep -q 'console: hvdump-guest: pattern ready' "$T/crash.log"; echo $?) "guest wrote its pattern"

panic_line=$(grep -m1 'console: .*Kernel panic - not syncing: sysrq triggered crash' "$T/crash.log")
report_line=$(grep -m1 'guest kernel panicked at' "$T/crash.log")
diag "$panic_line"
diag "$report_line"
ok $([ -n "$panic_line" ] && [ -n "$report_line" ]; echo $?) "panic line and hvdump's report both logged"
t_panic=$(iso_to_s "${panic_line%% *}")
t_report=$(iso_to_s "${report_line%% *}")
delay=$(awk -v a="$t_panic" -v b="$t_report" 'BEGIN { printf "%.3f", b - a }')
ok $(awk -v d="$delay" 'BEGIN { exit !(d >= 0 && d <= 1.0) }'; echo $?) "panic reported ${delay}s after the guest's panic line (<= 1 s)"
ok $(grep -q 'detected by pvpanic' "$T/crash.log"; echo $?) "panic came through pvpanic"
ok $(grep -q 'panicked at .*sysrq triggered crash' "$T/crash.log"; echo $?) "report carries the panic text"

RUN=$HVDUMP_RUN_BASE/crash
ok $(grep -q '"state": "crashed"' "$RUN/state.json"; echo $?) "state.json says crashed"
ok $(kill -0 "$HV_PID" 2>/dev/null; echo $?) "hvdump stays up holding the paused VM"
status=$(stat -c %a "$RUN/ram")
ok $([ "$status" = 600 ] && [ "$(stat -c %a "$RUN")" = 700 ]; echo $?) "RAM file 0600 in a 0700 directory"

scan=$("$RAMSCAN" "$RUN/ram" "$SEED" "$PAGES")
ok $? "every pattern page is intact in the preserved RAM file"
diag "$scan"

kill -TERM "$HV_PID"
wait_exit "$HV_PID" 20
ok $([ "$RC" -eq 4 ]; echo $?) "SIGTERM on a crashed VM: exit 4 (rc=$RC)"
ok $([ -s "$RUN/ram" ] && grep -q '"state": "crashed"' "$RUN/state.json"; echo $?) "RAM file and crash state kept after hvdump exits"
"$RAMSCAN" "$RUN/ram" "$SEED" "$PAGES" >/dev/null
ok $? "pattern still intact after QEMU is gone"
ok $(pgrep -f "$RUN/" >/dev/null; [ $? -ne 0 ]; echo $?) "no QEMU left running"

"$HVDUMP" run --name crash --kernel "$VMLINUZ" --initrd "$INITRD" --no-console >"$T/again.out" 2>&1
rc=$?
ok $([ $rc -eq 2 ] && grep -q 'holds a preserved crash' "$T/again.out"; echo $?) "a new run refuses to overwrite the preserved crash (rc=$rc)"
diag "$(cat "$T/again.out")"
"$RAMSCAN" "$RUN/ram" "$SEED" "$PAGES" >/dev/null
ok $? "pattern intact after the refused run"
done_testing
