#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every saved byte comes back, also when a capture guest dies before its memory returned.
# The guest (2 GiB, data in RAM) crashes; its capture guest crashes at the very start of its
# /init, after the saver freed the first crash's memory on the host and before any of it was
# given back.  The second capture guest must get all of it: it ends with the MemTotal the
# guest had before the first crash, and both dumps are saved.
. "$(dirname "$0")/../lib/common.sh"
guest_env
mkdir -m 700 -p "$T/dumps"
truncate -s 1M "$T/once.img"

start_hvdump "$T/c" run --name dies --kernel "$VMLINUZ" --initrd "$INITRD" --memory 2G --cpus 2 \
	--dump-dir "$T/dumps" --log "$T/c.log" --no-console --disk "$T/once.img" \
	--append "console=ttyS0 quiet hvdump.workload=512 hvdump.crash=0 hvdump.memwatch=1 hvdump.capture_crash_early=1 hvdump.capture_once=/dev/vda"
wait_for "$T/c.log" 'every dump is saved' 300
ok $? "both dumps saved"
wait_for "$T/c.log" 'the guest has all its memory back' 60
diag "$(grep -E 'panicked|saving:|gave|dump saved|every dump|memtotal_kb=|crashing now' "$T/c.log" | cut -c1-180)"
ok $([ "$(grep -c 'console: .*Kernel panic - not syncing' "$T/c.log")" -eq 2 ]; echo $?) "two crashes: the guest's, then its first capture guest's"

# Did the first capture guest die as intended: crash 1's memory freed, none of it returned?
second=$(grep -n 'crashing now (early in a capture boot)' "$T/c.log" | head -1 | cut -d: -f1)
if [ -n "$second" ] && ! head -n "$second" "$T/c.log" | grep -q 'gave .* back to the guest'; then
	freed=$(head -n "$second" "$T/c.log" | grep -E 'saving: ' | tail -1 | sed -n 's/.*; \([0-9.]* [KMG]*i*B\) released.*/\1/p')
	diag "before the capture guest died: ${freed:-nothing reported} freed on the host, nothing returned"
	ok $(grep -q 'hvdump-guest: memtotal_kb=' <(tail -n +"$second" "$T/c.log"); echo $?) "the second capture guest reports its memory"
	memtotal_back "$T/c.log"
else
	ok 0 "# SKIP the first capture guest got memory back before it crashed (timing); nothing to check"
	ok 0 "# SKIP (timing)"
fi
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
ok $([ "$RC" -eq 4 ] || [ "$RC" -eq 0 ]; echo $?) "stops cleanly (rc=$RC)"
done_testing
