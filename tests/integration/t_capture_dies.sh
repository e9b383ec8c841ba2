#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every saved byte comes back, also when a capture guest dies before its memory returned.
# The guest (2 GiB, data in RAM) crashes; its capture guest crashes at the very start of its
# /init, before any memory was given back (what the saver had saved by then is freed on the
# host as it stops).  The second capture guest must get all of it: it ends with the MemTotal
# the guest had before the first crash, and both dumps are saved.
. "$(dirname "$0")/../lib/common.sh"
guest_env
mkdir -m 700 -p "$T/dumps"
truncate -s 1M "$T/once.img"

# one vCPU: a small guest, quick to boot
start_hvdump "$T/c" run --name dies --kernel "$VMLINUZ" --initrd "$INITRD" --memory 2G --cpus 1 \
	--dump-dir "$T/dumps" --log "$T/c.log" --no-console --disk "$T/once.img" \
	--append "console=ttyS0 quiet hvdump.workload=512 hvdump.crash=0 hvdump.memwatch=1 hvdump.capture_crash_early=1 hvdump.capture_once=/dev/vda"
wait_for "$T/c.log" 'every dump is saved' 300
ok $? "both dumps saved"
wait_for "$T/c.log" 'the guest has all its memory back' 60
diag "$(grep -E 'panicked|saving:|gave|dump saved|every dump|memtotal_kb=|crashing now' "$T/c.log" | cut -c1-180)"
check "two crashes: the guest's, then its first capture guest's" \
	test "$(grep -c 'guest kernel panicked' "$T/c.log")" -eq 2

# What the first capture guest left: what the saver had saved of crash 1 when it died is freed
# on the host and must come back in the next capture boot, with everything else.
second=$(grep -n 'guest kernel panicked' "$T/c.log" | sed -n 2p | cut -d: -f1)
freed=$(sed -n 's/.*saving stopped after \([0-9.]* [KMG]*i*B\) of .*/\1/p' "$T/c.log" | head -1)
diag "when the first capture guest died: ${freed:-all} of the first crash saved and freed; $(head -n "${second:-1}" "$T/c.log" | grep -c 'gave .* back to the guest') DIMM batches given back"
check "the second capture guest came up and reports its memory" \
	grep -q 'hvdump-guest: memtotal_kb=' < <(tail -n +"${second:-1}" "$T/c.log")
memtotal_back "$T/c.log"
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
check "stops cleanly (rc=$RC)" one_of "$RC" 4 0
done_testing
