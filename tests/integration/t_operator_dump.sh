#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# hvdump dump: the operator dumps a healthy guest that holds a known pattern.  The guest is
# stopped (no panic), its vCPU state taken from QEMU, and it comes back through the capture
# boot while the host saves the dump and gives the memory back.  Checks: the confirmation
# (refused without a terminal or --yes), the record (detected_by operator, no panic, saved),
# the dump page-exact against the RAM as stopped (hashed on the host by the crash hook before
# anything ran) and the pattern pages intact in it, the guest back with its MemTotal,
# `hvdump info` naming what each CPU ran, and the time from the request to the capture
# guest's /init.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
guest_env
mkdir -m 700 -p "$T/dumps"
seed=0x0be4a70c
mib=64

# no `quiet`: the kernel's "Run /init" line times the capture boot
start_hvdump "$T/o" run --name opdump --kernel "$VMLINUZ" --initrd "$INITRD" --memory 2G --cpus 2 \
	--dump-dir "$T/dumps" --log "$T/o.log" --no-console --save-format elf \
	--append "console=ttyS0 hvdump.pattern=$mib:$seed hvdump.memwatch=1" \
	--crash-hook "$(pagehash_hook)"
wait_for "$T/o.log" 'console: HVDUMP-GUEST-READY' 120
ok $? "guest up with its pattern"

"$HVDUMP" dump opdump </dev/null >"$T/d0.out" 2>&1
rc=$?
check "without a terminal or --yes: refused, exit 2 (rc=$rc)" test "$rc" -eq 2
check "... saying why" grep -q -- '--yes' "$T/d0.out"
"$HVDUMP" dump --yes no-such-vm >"$T/d1.out" 2>&1
rc=$?
check "a VM that does not run: exit 2, named (rc=$rc)" grep_all "$T/d1.out" 'no running hvdump'
check "... exit 2" test "$rc" -eq 2
check "the guest still runs after the refusals" grep_none 'operator asked' "$T/o.log"

"$HVDUMP" dump --yes opdump >"$T/d2.out" 2>"$T/d2.err"
rc=$?
diag "$(cat "$T/d2.out" "$T/d2.err")"
check "hvdump dump --yes: exit 0 (rc=$rc)" test "$rc" -eq 0
check "... names the crash record and the capture boot" \
	grep -q "stopped and dumped as crash 1: .*/crash.json; it comes back through a capture boot" "$T/d2.out"

wait_for "$T/o.log" 'every dump is saved' 240 && wait_for "$T/o.log" 'the guest has all its memory back' 60
ok $? "dump saved on the host while the capture guest ran; memory given back"
check "the log says the operator asked, and the guest was stopped for it" \
	grep_all "$T/o.log" 'operator asked for a dump: stopping the guest' \
	'guest stopped at .* for the dump the operator asked for'
check "no kernel panic in the log (the guest did not crash)" \
	grep_none -e 'Kernel panic - not syncing' -e 'guest kernel panicked' "$T/o.log"
memtotal_back "$T/o.log"

rec=$(ls "$T"/dumps/*/crash.json | head -1)
dump=$(dirname "$rec")/vmcore.elf
check "record: detected_by operator, no panic text, saved" \
	grep_all "$rec" '"detected_by": "operator"' '"panic": null' '"state": "saved"'
check_pages "the dump is page-exact against the stopped guest's RAM" 1 "$dump"
"$RAMSCAN" "$dump" "$seed" $((mib * 256)) >"$T/scan.out"
ok $? "the guest's $((mib * 256)) pattern pages are intact in the dump"
diag "$(cat "$T/scan.out")"
"$HVDUMP" info "$dump" >"$T/info.out" 2>&1
diag "$(grep -A3 '^cpus' "$T/info.out")"
check "hvdump info: both CPUs with a kernel symbol for RIP and a stack" \
	test "$(grep -cE '^  cpu [01] +rip 0x[0-9a-f]+ [a-z_]+\+0x' "$T/info.out")" -eq 2
check "hvdump info: no panic in the kernel log" grep -q '^panic *none' "$T/info.out"

# from the request to the capture guest's /init
t0=$(sed -n 's/^\([^ ]*\) .*operator asked for a dump.*/\1/p' "$T/o.log" | head -1)
t1=$(grep 'console: .*Run /init as init process' "$T/o.log" | sed -n '2s/^\([^ ]*\) .*/\1/p')
if [ -n "$t0" ] && [ -n "$t1" ]; then
	diag "operator request to the capture guest's /init: $(awk -v a="$(iso_to_s "$t0")" -v b="$(iso_to_s "$t1")" 'BEGIN { printf "%.2f s", b - a }') (2 GiB, 2 vCPUs, TCG)"
fi
check "the capture guest reached /init" test -n "$t1"

kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
check "stops cleanly (rc=$RC)" one_of "$RC" 0 4
done_testing
