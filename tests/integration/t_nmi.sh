#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# hvdump nmi: an NMI into a guest booted with unknown_nmi_panic=1 makes its kernel panic, and
# the crash goes the pvpanic way into a capture boot; a guest booted without it says "Dazed
# and confused", runs on, and hvdump nmi says it did not panic.  Both guests at once.
. "$(dirname "$0")/../lib/common.sh"
guest_env
mkdir -m 700 -p "$T/dumps"

for vm in panics runs; do
	extra=
	[ $vm = panics ] && extra=unknown_nmi_panic=1
	"$HVDUMP" run --name "nmi-$vm" --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G --cpus 2 \
		--dump-dir "$T/dumps" --log "$T/$vm.log" --no-console --save none \
		--append "console=ttyS0 quiet $extra" >"$T/$vm.stdout" 2>"$T/$vm.stderr" &
	eval "pid_$vm=$!"
	_bg_pids+=("$!")
done
wait_for "$T/panics.log" 'console: HVDUMP-GUEST-READY' 120 && wait_for "$T/runs.log" 'console: HVDUMP-GUEST-READY' 120
ok $? "both guests up"

"$HVDUMP" nmi nmi-panics >"$T/p.out" 2>"$T/p.err"
rc=$?
diag "$(cat "$T/p.out" "$T/p.err")"
check "unknown_nmi_panic=1: hvdump nmi exits 0 (rc=$rc)" test "$rc" -eq 0
check "... and says the guest panicked, detected by pvpanic" \
	grep -q "panicked on the NMI: crash 1 (detected by pvpanic)" "$T/p.out"
wait_count "$T/panics.log" 'console: HVDUMP-GUEST-READY' 2 120
ok $? "the capture guest is up"
rec=$(ls "$T"/dumps/nmi-panics-*/crash.json 2>/dev/null | head -1)
check "record: detected_by pvpanic, after the operator's NMI, capture running" \
	grep_all "$rec" '"detected_by": "pvpanic"' '"after_operator_nmi_ms": [0-9]' \
	'"state": "capture-running"'
check "the log ties the panic to the NMI" grep -q 'the guest panicked [0-9]* ms after the operator' "$T/panics.log"

"$HVDUMP" nmi nmi-runs >"$T/r.out" 2>"$T/r.err"
rc=$?
diag "$(cat "$T/r.err")"
check "without it: hvdump nmi exits 1 (rc=$rc)" test "$rc" -eq 1
check "... saying the guest did not panic and how to make it" \
	grep -q 'did not panic within 10 s of the NMI and runs on: boot it with unknown_nmi_panic=1' "$T/r.err"
check "the guest saw the NMI and went on" grep -q 'console: .*Dazed and confused, but trying to continue' "$T/runs.log"
check "the supervisor's log says so too" grep -q 'warning: the guest did not panic within 10 s of the NMI' "$T/runs.log"
"$HVDUMP" save --name nmi-runs >"$T/st.json" 2>&1
check "no crash: the guest runs on" grep_all "$T/st.json" '"crashed": false' '"crashes_seen": 0'
check "no crash record for it" test -z "$(ls "$T"/dumps/nmi-runs-* 2>/dev/null)"

kill -TERM "$pid_panics" "$pid_runs"
wait_exit "$pid_panics" 60
check "the dumped VM stops with its crash unsaved: exit 4 (rc=$RC)" test "$RC" -eq 4
wait_exit "$pid_runs" 60
check "the other powers off: exit 0 (rc=$RC)" test "$RC" -eq 0
done_testing
