#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A crash loop ends: the guest crashes, and every capture boot panics the same way before it
# is in service (here: its kernel finds no init).  hvdump must not capture and boot forever,
# growing the crash count, the dump directory and the RAM file: after 3 capture guests in a
# row it stops with exit 6 and a clear error, and every unsaved crash stays preserved, its
# dump still to be had with `hvdump save --from`.
. "$(dirname "$0")/../lib/common.sh"
guest_env
mkdir -m 700 -p "$T/dumps"

# (lzo: Debian's makedumpfile, the oracle below, reads no zstd)
start_hvdump "$T/l" run --name loop --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--dump-dir "$T/dumps" --log "$T/l.log" --no-console --compress lzo \
	--append "console=ttyS0 quiet hvdump.crash=0" --capture-append "rdinit=/no-such-init"
wait_exit "$HV_PID" 300
check "hvdump stops the loop with exit 6 (rc=$RC)" test "$RC" -eq 6
diag "$(grep -E 'panicked|crash loop|kept|preserved' "$T/l.log" | cut -c1-220)"
ncrash=$(ls -d "$T"/dumps/*/ 2>/dev/null | wc -l)
check "4 crashes recorded: the guest's and 3 capture guests' ($ncrash)" test "$ncrash" -eq 4
check "the log says why it stopped" \
	grep -q 'error: crash loop: 3 capture guests in a row crashed before they were in service' "$T/l.log"
check "no capture boot after the third" \
	test "$(grep -c 'started (boot .*capture boot)' "$T/l.log")" -eq 3
ram=$(ls "$HVDUMP_RUN_BASE"/loop/crash-*.ram 2>/dev/null)
check "the crashed memory is kept in one RAM file ($(basename "${ram:-none}"))" \
	test "$(echo "$ram" | grep -c .)" -eq 1
sz=$(stat -c %s "$ram" 2>/dev/null || echo 0)
# each crash adds an extension of about its boot region (256 MiB) plus the relocated firmware
# and initrd zones (34 MiB here)
grew_by_boot_regions() { [ "$sz" -gt $((1 << 30)) ] && [ "$sz" -le $(((1024 + 4 * 320) << 20)) ]; }
check "the RAM file grew by boot regions only ($((sz >> 20)) MiB for a 1 GiB guest and 4 crashes)" \
	grew_by_boot_regions
# the capture guests lived seconds: the saver (held until a guest is up) saved none of them,
# but a slower machine could let one reach service: saved or kept, each crash is accounted for
unsaved=$(grep -l '"state": "preserved-unsaved"' "$T"/dumps/*/crash.json 2>/dev/null | wc -l)
saved=$(grep -l '"state": "saved"' "$T"/dumps/*/crash.json 2>/dev/null | wc -l)
all_accounted() { [ "$unsaved" -ge 1 ] && [ $((saved + unsaved)) -eq 4 ]; }
check "every crash is saved ($saved) or kept preserved-unsaved ($unsaved)" all_accounted

# every unsaved crash is still recoverable
rc=0
for rec in $(grep -l '"state": "preserved-unsaved"' "$T"/dumps/*/crash.json); do
	"$HVDUMP" save --from "$(dirname "$rec")" --compress lzo >>"$T/from.out" 2>&1 || rc=$?
done
diag "$(grep -E 'dump saved|error' "$T/from.out" | cut -c1-200)"
all_saved() { [ "$rc" -eq 0 ] && [ "$(grep -l '"state": "saved"' "$T"/dumps/*/crash.json | wc -l)" -eq 4 ]; }
check "hvdump save --from writes every kept crash's dump (rc=$rc)" all_saved
first=$(ls -d "$T"/dumps/*/ | sort | head -1)
makedumpfile --dump-dmesg "${first%/}/vmcore.kdump" "$T/d.txt" >/dev/null 2>&1
check "the guest's own crash: makedumpfile --dump-dmesg finds its panic" \
	grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$T/d.txt"

# A cap on the crashed memory a VM keeps: with --max-crash-memory 512M the second crash (the
# first capture guest's) would hold about 2 x 290 MiB beyond RAM, so hvdump boots no capture
# guest for it, says why, and keeps everything.
mkdir -m 700 -p "$T/capdumps"
start_hvdump "$T/c" run --name cap --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--dump-dir "$T/capdumps" --log "$T/c.log" --no-console --compress lzo \
	--max-crash-memory 512M \
	--append "console=ttyS0 quiet hvdump.crash=0" --capture-append "rdinit=/no-such-init"
wait_exit "$HV_PID" 300
check "hvdump stops at the cap with exit 4, the crash kept (rc=$RC)" test "$RC" -eq 4
diag "$(grep -E 'panicked|may keep|kept' "$T/c.log" | cut -c1-220)"
check "the log says the cap stopped it" \
	grep -qE 'error: the unsaved crashes of this VM would hold .* beyond its RAM, more than the 512(\.00)? MiB it may keep' "$T/c.log"
check "one capture boot, none after the cap" \
	test "$(grep -c 'started (boot .*capture boot)' "$T/c.log")" -eq 1
check "the capped crash has a record that says why" \
	grep -q '"capture_error": "over --max-crash-memory"' "$(ls -d "$T"/capdumps/*/ | sort | tail -1)crash.json"
capsz=$(stat -c %s "$HVDUMP_RUN_BASE/cap/ram" 2>/dev/null || echo 0)
check "the RAM file is kept, grown by one extension only ($((capsz >> 20)) MiB)" \
	test "$capsz" -gt $((1 << 30)) -a "$capsz" -le $(((1024 + 512) << 20))
done_testing
