#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The supervisor is never held by a client: a control client that trickles its request a byte
# at a time (and reconnects whenever it is dropped) does not delay the operator's SIGTERM by
# more than a second, and the VM stops as usual.
. "$(dirname "$0")/../lib/common.sh"
guest_env

start_hvdump "$T/b" run --name bound --kernel "$VMLINUZ" --initrd "$INITRD" \
	--append "console=ttyS0 quiet" --memory 512M --no-console --log "$T/b.log"
wait_for "$T/b.log" 'console: HVDUMP-GUEST-READY' 60
ok $? "the guest is up"
"$ROOT/build/tests/tools/slowclient" "$HVDUMP_RUN_BASE/bound/control.sock" 200 15 >"$T/slow.out" &
slow=$!
_bg_pids+=("$slow")
wait_for "$T/slow.out" '^connected' 10
ok $? "a client trickles a request into the control socket"
sleep 3 # well into it
t_kill=$(date -u +%s.%N)
kill -TERM "$HV_PID"
wait_for "$T/b.log" 'asking the guest to power off' 10
ok $? "SIGTERM handled while the client trickles"
line=$(grep -m1 'asking the guest to power off' "$T/b.log")
diag "$line"
delay=$(awk -v a="$t_kill" -v b="$(iso_to_s "${line%% *}")" 'BEGIN { printf "%.3f", b - a }')
within_a_second() { [ -n "$line" ] && awk -v d="$delay" 'BEGIN { exit !(d >= 0 && d < 1.0) }'; }
check "SIGTERM acted on ${delay}s after it was sent (< 1 s)" within_a_second
wait_exit "$HV_PID" 60
check "the VM stopped cleanly (rc=$RC)" test "$RC" -eq 0
kill "$slow" 2>/dev/null
wait "$slow" 2>/dev/null
done_testing
