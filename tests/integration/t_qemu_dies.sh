#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# QEMU dying under a running guest is a clear error and exit 3; a second SIGTERM while the
# guest ignores the power button forces QEMU off and exits 5.
. "$(dirname "$0")/../lib/common.sh"
guest_env

start_hvdump "$T/d" run --name dies --kernel "$VMLINUZ" --initrd "$INITRD" \
	--append "console=ttyS0 quiet" --memory 512M --log "$T/dies.log" --no-console
wait_for "$T/dies.log" 'console: HVDUMP-GUEST-READY' 60
ok $? "guest is up"
qpid=$(sed -n 's/.*QEMU pid \([0-9]*\).*/\1/p' "$T/dies.log" | head -1)
kill -KILL "$qpid"
wait_exit "$HV_PID" 20
ok $([ "$RC" -eq 3 ]; echo $?) "QEMU killed: hvdump exits 3 (rc=$RC)"
ok $(grep -q 'error: QEMU was killed by signal 9 (Killed) unexpectedly' "$T/d.stderr"; echo $?) "error names what happened"
diag "$(grep error "$T/d.stderr")"
left=$(find "$HVDUMP_RUN_BASE" -mindepth 1 2>/dev/null | wc -l)
ok $([ "$left" -eq 0 ]; echo $?) "no runtime files left for a guest that had not crashed ($left)"

# A guest that ignores the ACPI power button (no acpid: rdinit shell loop)
start_hvdump "$T/e" run --name stubborn --kernel "$VMLINUZ" --initrd "$INITRD" \
	--append "console=ttyS0 quiet" --memory 512M --log "$T/stubborn.log" --no-console \
	--shutdown-timeout 60
wait_for "$T/stubborn.log" 'console: HVDUMP-GUEST-READY' 60
ok $? "second guest is up"
# stop acpid in the guest is not possible from here, so make the button press go nowhere by
# signalling twice in a row: the second signal must force QEMU off at once.
kill -TERM "$HV_PID"
wait_for "$T/e.stderr" 'asking the guest to power off' 5
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 20
if grep -q 'stopping QEMU now' "$T/e.stderr"; then
	ok $([ "$RC" -eq 5 ]; echo $?) "second SIGTERM forces QEMU off: exit 5 (rc=$RC)"
else
	# the guest powered off before the second signal arrived
	ok $([ "$RC" -eq 0 ]; echo $?) "guest powered off before the second SIGTERM (rc=$RC)"
fi
left=$(find "$HVDUMP_RUN_BASE" -mindepth 1 2>/dev/null | wc -l)
ok $([ "$left" -eq 0 ]; echo $?) "no runtime files left ($left)"
ok $(pgrep -f "$T/run" >/dev/null; [ $? -ne 0 ]; echo $?) "no QEMU left running"
done_testing
