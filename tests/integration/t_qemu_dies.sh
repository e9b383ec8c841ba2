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
check "QEMU killed: hvdump exits 3 (rc=$RC)" test "$RC" -eq 3
check "error names what happened" \
	grep -q 'error: QEMU was killed by signal 9 (Killed) unexpectedly' "$T/d.stderr"
diag "$(grep error "$T/d.stderr")"
left=$(find "$HVDUMP_RUN_BASE" -mindepth 1 2>/dev/null | wc -l)
check "no runtime files left for a guest that had not crashed ($left)" test "$left" -eq 0

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
	check "second SIGTERM forces QEMU off: exit 5 (rc=$RC)" test "$RC" -eq 5
else
	# the guest powered off before the second signal arrived
	check "guest powered off before the second SIGTERM (rc=$RC)" test "$RC" -eq 0
fi
left=$(find "$HVDUMP_RUN_BASE" -mindepth 1 2>/dev/null | wc -l)
check "no runtime files left ($left)" test "$left" -eq 0
check "no QEMU left running" no_process "$T/run"
done_testing
