#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The host saver's default output: kdump-compressed with zstd, written by several threads
# while the capture guest runs.  The dump is page-exact against the crashed RAM, and Debian's
# crash with the matching debug vmlinux opens it and shows the panicking task's backtrace.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
guest_env
TOOLS=$ROOT/build/tests/tools
mkdir -m 700 -p "$T/dumps"

start_hvdump "$T/k" run --name kd --kernel "$VMLINUZ" --initrd "$INITRD" --memory 2G --cpus 2 \
	--dump-dir "$T/dumps" --log "$T/k.log" --no-console --save-threads 2 \
	--append "console=ttyS0 quiet hvdump.pattern=64:0xfeed hvdump.crash=0 hvdump.memwatch=1" \
	--crash-hook "$(pagehash_hook)"
wait_for "$T/k.log" 'every dump is saved' 180 && wait_for "$T/k.log" 'the guest has all its memory back' 60
ok $? "dump saved and memory given back"
diag "$(grep -E 'dump saved|every dump' "$T/k.log" | cut -c1-160)"
rec=$(ls "$T"/dumps/*/crash.json | head -1)
dump=$(dirname "$rec")/vmcore.kdump
complete_zstd() { [ -s "$dump" ] && [ ! -e "$dump.part" ] && grep -q '"dump_format": "kdump-zstd"' "$rec"; }
check "vmcore.kdump complete, record says kdump-zstd" complete_zstd
chk=$("$TOOLS/kdump-check" "$dump" --hash "$T/saved.hsh" 2>&1)
ok $? "kdump-check validates every header, bitmap and descriptor"
diag "$(head -3 <<<"$chk")"
check_pages "kdump dump is page-exact against the crashed RAM" 1 "$T/saved.hsh"
size=$(stat -c %s "$dump")
check "compressed: $size bytes for a 2 GiB guest" test "$size" -lt 400000000

if debug_vmlinux 2; then
	printf 'bt\nlog\nquit\n' | timeout 300 crash -s "$VMLINUX" "$dump" >"$T/crash.out" 2>&1
	check "crash: bt shows the panicking task in sysrq_handle_crash" \
		grep -q 'sysrq_handle_crash' "$T/crash.out"
	check "crash: log shows the panic line" \
		grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$T/crash.out"
	diag "$(grep -m3 -E 'PID:|#[0-9] .*sysrq' "$T/crash.out")"
fi
memtotal_back "$T/k.log"
[ -n "${KEEP_LOG:-}" ] && cp "$T/k.log" "$KEEP_LOG"
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
done_testing
