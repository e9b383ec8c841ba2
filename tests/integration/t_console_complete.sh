#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The console log is evidence and must be complete, also while hvdump is busy: the capture
# guest prints 3000 known lines (300 KB) while the saver writes a slow (zlib, one thread)
# dump and memory comes back; every line must be in the log, byte for byte.  The guest does
# not load qemu_fw_cfg, so QEMU has no VMCOREINFO and hvdump must find it in guest memory,
# in well under a second.
. "$(dirname "$0")/../lib/common.sh"
guest_env
mkdir -m 700 -p "$T/dumps"
n=3000

start_hvdump "$T/k" run --name text --kernel "$VMLINUZ" --initrd "$INITRD" --memory 2G --cpus 2 \
	--dump-dir "$T/dumps" --log "$T/k.log" --no-console --compress zlib --save-threads 1 \
	--append "console=ttyS0 quiet hvdump.workload=512 hvdump.crash=0 hvdump.skip_modules=qemu_fw_cfg hvdump.capture_text=$n"
wait_for "$T/k.log" 'console: hvdump-guest: text done' 240
ok $? "the capture guest printed its text"
wait_for "$T/k.log" 'every dump is saved' 120
diag "$(grep -E 'VMCOREINFO|capture layout|saving:|dump saved' "$T/k.log" | cut -c1-180)"

abc=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789
awk -v n=$n -v abc="$abc$abc$abc" 'BEGIN { for (i = 0; i < n; i++) printf "hvdump-text %d %s\n", i, substr(abc, i % 62 + 1, 96) }' >"$T/want.txt"
sed -n 's/^[^ ]* console: \(hvdump-text .*\)$/\1/p' "$T/k.log" >"$T/got.txt"
missing=$(comm -23 <(sort "$T/want.txt") <(sort "$T/got.txt") | wc -l)
all_lines() { [ "$missing" -eq 0 ] && cmp -s "$T/want.txt" "$T/got.txt"; }
check "all $n lines in the log, in order, byte for byte ($missing missing or damaged)" all_lines
[ "$missing" -eq 0 ] || diag "$(diff "$T/want.txt" "$T/got.txt" | head -6)"
first=$(grep -m1 'console: hvdump-text 0 ' "$T/k.log" | cut -d' ' -f1)
saved=$(grep -m1 'dump saved:' "$T/k.log" | cut -d' ' -f1)
text_first() { [ -n "$first" ] && [ -n "$saved" ] && [[ "$first" < "$saved" ]]; }
check "the text came while the saver was running (first line $first, dump saved $saved)" text_first

check "VMCOREINFO found in guest memory (QEMU had none)" \
	grep -q 'info: VMCOREINFO found in guest memory' "$T/k.log"
ms=$(sed -n 's/.*VMCOREINFO found in guest memory at 0x[0-9a-f]* in \([0-9]*\) ms.*/\1/p' "$T/k.log" | head -1)
under_1s() { [ -n "$ms" ] && [ "$ms" -lt 1000 ]; }
check "in ${ms:-?} ms (< 1 s)" under_1s
rec=$(ls "$T"/dumps/*/crash.json | head -1)
makedumpfile --dump-dmesg "$(dirname "$rec")/vmcore.kdump" "$T/d.txt" >/dev/null 2>&1
check "the saved dump carries it: makedumpfile reads its kernel log" \
	grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$T/d.txt"
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
done_testing
