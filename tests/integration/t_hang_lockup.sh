#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --hang-timeout on real hangs of the stock cloud kernel, nothing configured in the guest.
# A module (guest/build-lockup, built against Debian's linux-headers for the guest kernel)
# stops every CPU with interrupts off:
# - mode irqoff, a hard lockup: every vCPU spins in hvdump_lockup_spin.  Caught as a stall
#   with busy vCPUs; the dump is page-exact against the hung RAM and holds the guest's
#   pattern; crash(8) with the debug vmlinux puts each CPU in hvdump_lockup_spin; the guest
#   is back in service with all its memory.
# - mode hlt: every vCPU halted with interrupts off (no CPU time at all): caught through
#   QEMU's view of the vCPUs.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
guest_env
eval "$("$ROOT/guest/build-lockup" --print 2>/dev/null)" && [ -r "${LOCKUP_INITRD:-}" ] ||
	skip_all "lockup initrd not built (guest/build-lockup)"
mkdir -m 700 -p "$T/dumps" "$T/dumps2"
seed=0x10c4ed
mib=32

start_hvdump "$T/h" run --name spin --kernel "$VMLINUZ" --initrd "$LOCKUP_INITRD" --memory 2G \
	--cpus 2 --dump-dir "$T/dumps" --log "$T/h.log" --no-console --save-format elf \
	--hang-timeout 10 --crash-hook "$(pagehash_hook)" \
	--append "console=ttyS0 hvdump.pattern=$mib:$seed hvdump.memwatch=1 hvdump.lockup=3"
spin_pid=$HV_PID
"$HVDUMP" run --name halt --kernel "$VMLINUZ" --initrd "$LOCKUP_INITRD" --memory 1G --cpus 2 \
	--dump-dir "$T/dumps2" --log "$T/x.log" --no-console --save none --hang-timeout 10 \
	--append "console=ttyS0 quiet hvdump.lockup=3:hlt" >"$T/x.stdout" 2>"$T/x.stderr" &
halt_pid=$!
_bg_pids+=("$halt_pid")

wait_for "$T/h.log" 'hvdump_lockup: all 2 cpus arrived, interrupts off now' 180
ok $? "hard lockup: every CPU spins with interrupts off"
wait_for "$T/h.log" 'guest kernel hung at' 60
ok $? "caught by --hang-timeout 10"
diag "$(grep -E 'hang watch|hung at' "$T/h.log" | cut -c1-240)"
t0=$(sed -n 's/^\([^ ]*\) console: .*all 2 cpus arrived.*/\1/p' "$T/h.log" | head -1)
t1=$(sed -n 's/^\([^ ]*\) .*guest kernel hung at.*/\1/p' "$T/h.log" | head -1)
lag=$(awk -v a="$(iso_to_s "$t0")" -v b="$(iso_to_s "$t1")" 'BEGIN { printf "%.1f", b - a }')
check "detected ${lag} s after the lockup (timeout 10 s, one look a second)" \
	awk -v l="$lag" 'BEGIN { exit !(l >= 9 && l <= 16) }'

wait_for "$T/h.log" 'every dump is saved' 240 && wait_for "$T/h.log" 'the guest has all its memory back' 60
ok $? "dump saved while the capture guest ran, memory given back"
wait_count "$T/h.log" 'console: hvdump-guest: service ok' 2 60
ok $? "the guest is back in service"
memtotal_back "$T/h.log"

rec=$(ls "$T"/dumps/*/crash.json | head -1)
dump=$(dirname "$rec")/vmcore.elf
check "record: detected_by stall, saved" grep_all "$rec" '"detected_by": "stall"' '"state": "saved"'
check "record: the stall with busy vCPUs, both with interrupts off" \
	grep_all "$rec" '"what": "its clock (jiffies) stood still for [0-9]* s while its vCPUs ran' \
	'"vcpus": "2 vCPUs: 2 with interrupts off, 0 halted"'
busy=$(sed -n 's/.*"vcpu_busy_cores": \([0-9.]*\).*/\1/p' "$rec")
check "record: vCPUs busy during the stall ($busy cores)" awk -v b="$busy" 'BEGIN { exit !(b >= 0.25) }'
check_pages "the dump is page-exact against the hung guest's RAM" 1 "$dump"
"$RAMSCAN" "$dump" "$seed" $((mib * 256)) >"$T/scan.out"
ok $? "the guest's $((mib * 256)) pattern pages are intact in the dump"
"$HVDUMP" info "$dump" >"$T/info.out" 2>&1
diag "$(grep -A4 '^cpus' "$T/info.out")"
check "hvdump info: both CPUs in module code with interrupts off" \
	test "$(grep -cE '^  cpu [01] +rip 0xffffffffc[0-9a-f]+ \(module\)' "$T/info.out")" -eq 2
# crash(8) 8.0.2's bt gives up on these active tasks ("read of stack at fffffe0000014000
# failed": it takes them for tasks on an exception stack); its register view and symbol
# lookup, from the dump's own notes and the module's kallsyms, say what each CPU ran.
if debug_vmlinux 2; then
	regs=$(printf 'help -r\nquit\n' | timeout 300 crash -s "$VMLINUX" "$dump" 2>&1)
	rips=$(sed -n 's/.*RIP: \([0-9a-f]*\)  RFLAGS: \([0-9a-f]*\).*/\1 \2/p' <<<"$regs")
	diag "crash help -r: $(tr '\n' ' ' <<<"$rips")"
	syms=$( (awk '{ print "sym " $1 }' <<<"$rips"; echo quit) | timeout 300 crash -s "$VMLINUX" "$dump" 2>&1 |
		grep -E '^[0-9a-f]+ \(.\) ')
	diag "$syms"
	check "crash: each CPU's RIP is in hvdump_lockup_spin [hvdump_lockup]" \
		test "$(grep -c 'hvdump_lockup_spin+[0-9]* \[hvdump_lockup\]' <<<"$syms")" -eq 2
	irqoff() {
		local n=0 rip fl
		while read -r rip fl; do
			(((0x$fl & 0x200) == 0)) || return 1
			n=$((n + 1))
		done <<<"$rips"
		[ "$n" -eq 2 ]
	}
	check "crash: both CPUs with interrupts off (RFLAGS.IF clear)" irqoff
fi

wait_for "$T/x.log" 'guest kernel hung at' 120
ok $? "every vCPU halted with interrupts off: caught too"
xrec=$(ls "$T"/dumps2/*/crash.json 2>/dev/null | head -1)
check "record: the stall with every vCPU's interrupts off, both halted" \
	grep_all "$xrec" '"detected_by": "stall"' "with every vCPU's interrupts off" \
	'"vcpus": "2 vCPUs: 2 with interrupts off, 2 halted"'
wait_count "$T/x.log" 'console: HVDUMP-GUEST-READY' 2 120
ok $? "its capture guest is up"

kill -TERM "$spin_pid" "$halt_pid"
wait_exit "$spin_pid" 60
check "the dumped guest stops cleanly (rc=$RC)" one_of "$RC" 0 4
wait_exit "$halt_pid" 60
check "the other stops with its crash unsaved: exit 4 (rc=$RC)" test "$RC" -eq 4
done_testing
