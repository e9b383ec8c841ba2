#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --hang-timeout raises no false alarm: an idle guest and a guest whose vCPUs are all busy
# (hvdump.load, run niced so it is also starved by the host) run 5 minutes (HANG_NOALARM_S)
# under --hang-timeout 10 without a dump, with the watch armed on both.  A third, idle guest
# without the watch gives the cost: hvdump's own CPU time with and without it.
. "$(dirname "$0")/../lib/common.sh"
guest_env
mkdir -m 700 -p "$T/dumps"
secs=${HANG_NOALARM_S:-300}

start_vm() { # NAME NICE ARGS...
	local name=$1 n=$2
	shift 2
	nice -n "$n" "$HVDUMP" run --name "$name" --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
		--cpus 2 --dump-dir "$T/dumps" --log "$T/$name.log" --no-console "$@" \
		>"$T/$name.stdout" 2>"$T/$name.stderr" &
	eval "pid_${name//-/_}=$!"
	_bg_pids+=("$!")
}
start_vm idle 0 --hang-timeout 10 --append "console=ttyS0 quiet"
start_vm busy 10 --hang-timeout 10 --append "console=ttyS0 quiet hvdump.load=2"
start_vm plain 0 --append "console=ttyS0 quiet"
for vm in idle busy plain; do
	wait_for "$T/$vm.log" 'console: HVDUMP-GUEST-READY' 180 || break
done
ok $? "three guests up"
wait_for "$T/busy.log" 'console: hvdump-guest: load' 60
ok $? "the busy guest runs its load"
cpu0() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
c_idle=$(cpu0 "$pid_idle") c_plain=$(cpu0 "$pid_plain") c_busy=$(cpu0 "$pid_busy")
t0=$(date +%s)
sleep "$secs"
dt=$(($(date +%s) - t0))
hz=$(getconf CLK_TCK)
for vm in idle busy plain; do
	v=pid_$vm
	eval "u_$vm=\$(( ($(cpu0 "${!v}") - c_$vm) * 1000 / hz ))"
done
diag "hvdump's CPU over $dt s: idle+watch ${u_idle} ms, busy+watch ${u_busy} ms, idle without the watch ${u_plain} ms"
for vm in idle busy; do
	check "$vm guest: no dump in $dt s under --hang-timeout 10" \
		grep_none -e 'hung at' -e 'crash record' -e 'panicked' "$T/$vm.log"
	check "$vm guest: the watch found the kernel's clock" grep -q 'hang watch: guest kernel clock found' "$T/$vm.log"
	"$HVDUMP" save --name "$vm" >"$T/$vm.st" 2>&1
	check "$vm guest: watch armed, no crash" grep_all "$T/$vm.st" '"state": "watching"' \
		'"armed": true' '"crashes_seen": 0'
done
check "the busy guest's load ran the whole time" grep -q 'console: hvdump-guest: load' "$T/busy.log"
cost() { awk -v w="$u_idle" -v p="$u_plain" -v d="$dt" 'BEGIN { exit !((w - p) / (d * 1000) < 0.01) }'; }
check "the watch costs under 1% of a core (idle guest: ${u_idle} ms vs ${u_plain} ms in $dt s)" cost

kill -TERM "$pid_idle" "$pid_busy" "$pid_plain"
for vm in idle busy plain; do
	v=pid_$vm
	wait_exit "${!v}" 60
	check "$vm: stops cleanly (rc=$RC)" test "$RC" -eq 0
done
done_testing
