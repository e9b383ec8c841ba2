#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `hvdump dmesg` prints exactly what `makedumpfile --dump-dmesg` writes, on real QEMU ELF dumps
# of the crashed demo guest: 5-level (-cpu max) and 4-level (la57=off) paging, the log in a
# buffer allocated at boot (log_buf_len=1M, so it is reached through the guest's page tables),
# and the same dump with non-printable bytes and a newline written into a record.  Then the
# errors: one line each, exit 2.
. "$(dirname "$0")/../lib/common.sh"
guest_env
command -v makedumpfile >/dev/null || skip_all "makedumpfile not installed"
MKVMCORE=$ROOT/tests/tools/mkvmcore
PHDRS=$ROOT/build/tests/tools/elf-phdrs-first
[ -x "$ROOT/build/tests/tools/qmp-cmd" ] && [ -x "$PHDRS" ] || skip_all "test tools not built (run make)"

# makedumpfile 1.7.2 reads program headers at offset 64 only; QEMU 7.2 puts them at 192.
# elf-phdrs-first moves them (in place, segment data untouched) so both read the same file.
compare() { # compare NAME DUMP DESCRIPTION
	local n=$1 dump=$2
	shift 2
	"$HVDUMP" dmesg "$dump" >"$T/$n.hv" 2>"$T/$n.hv.err"
	ok $? "$*: hvdump dmesg exits 0"
	rm -f "$T/$n.mdf"
	makedumpfile --dump-dmesg "$dump" "$T/$n.mdf" >"$T/$n.mdf.log" 2>&1
	ok $? "$*: makedumpfile --dump-dmesg exits 0"
	cmp "$T/$n.hv" "$T/$n.mdf" >"$T/$n.cmp" 2>&1
	ok $? "$*: byte-identical to makedumpfile ($(wc -l <"$T/$n.hv") lines)"
	[ -s "$T/$n.cmp" ] && diag "$(cat "$T/$n.cmp")" && diag "$(diff "$T/$n.hv" "$T/$n.mdf" | head -20)"
}

for variant in "max:5" "max,la57=off:4"; do
	cpu=${variant%:*}
	levels=${variant#*:}
	d=$T/l$levels.elf
	"$MKVMCORE" "$d" "$cpu" log_buf_len=1M >"$T/mk$levels.log" 2>&1
	ok $? "-cpu $cpu: guest crashed and QEMU wrote an ELF vmcore"
	[ -s "$d" ] || { diag "$(cat "$T/mk$levels.log")"; continue; }
	chmod u+w "$d"

	"$HVDUMP" dmesg -v "$d" >"$T/l$levels.qemu" 2>"$T/l$levels.err"
	ok $? "$levels-level: hvdump dmesg reads QEMU's layout as written"
	check "$levels-level: lockless ring, $levels-level paging detected" \
		grep -q "lockless ring buffer (prb), .* $levels-level paging" "$T/l$levels.err"
	check "$levels-level: the log lives in the boot-allocated 1 MiB buffer (page-table walk)" \
		grep -q '^\[ *[0-9.]*\] printk: log_buf_len: 1048576 bytes$' "$T/l$levels.qemu"
	check "$levels-level: the panic line is in the log" \
		grep -q '^\[ *[0-9.]*\] Kernel panic - not syncing: sysrq triggered crash$' "$T/l$levels.qemu"
	"$PHDRS" "$d"
	ok $? "$levels-level: program headers moved to offset 64 for makedumpfile"
	compare "l$levels" "$d" "$levels-level"
	cmp -s "$T/l$levels.qemu" "$T/l$levels.hv"
	ok $? "$levels-level: same text before and after moving the program headers"
done

# Hostile text in a record: UTF-8, control characters, DEL, a newline, CR, 0xff.  The record
# is in the early static ring and in the boot-allocated one (printk copies it): patch both.
d=$T/l4.elf
offs=$(grep -obUa 'Command line: console=ttyS0 quiet hvdump' "$d" | cut -d: -f1)
check "found the command-line record in the dump ($(echo $offs | wc -w) copies)" test -n "$offs"
if [ -n "$offs" ]; then
	for off in $offs; do
		printf '\xe2\x82\xac\x01\x7f\x0a\x09\x1b\x80\xff\x0d\x78' |
			dd of="$d" bs=1 seek=$((off + 28)) conv=notrunc status=none
	done
	compare bytes "$d" "non-printable bytes and an embedded newline"
	check "escapes as makedumpfile writes them (sign-extended \\xffffffNN)" \
		grep -q 'console=ttyS0 \\xffffffe2\\xffffff82\\xffffffac\\x01\\x7f$' "$T/bytes.hv"
fi

"$HVDUMP" dmesg -o "$T/out.txt" "$T/l5.elf"
ok $? "-o OUT exits 0"
same_text_0600() { cmp -s "$T/out.txt" "$T/l5.hv" && [ "$(stat -c %a "$T/out.txt")" = 600 ]; }
check "-o OUT: same text, mode 0600" same_text_0600
check "-o OUT: no temporary file left" test -z "$(ls "$T" | grep 'out.txt\.')"

# Errors: exit 2 and one line that names the problem.
# refused_one_line RC ERE: exit 2, one line on stderr, matching ERE, nothing on stdout
refused_one_line() {
	[ "$1" -eq 2 ] && [ "$(wc -l <"$T/err.txt")" -eq 1 ] && grep -qE -- "$2" "$T/err.txt" && [ ! -s "$T/err.out" ]
}
err() { # err EXPECTED-REGEX DESCRIPTION ARGS...
	local re=$1 what=$2
	shift 2
	"$HVDUMP" dmesg "$@" >"$T/err.out" 2>"$T/err.txt"
	local rc=$?
	check "$what (rc=$rc): $(cat "$T/err.txt")" refused_one_line "$rc" "$re"
}
err 'no vmcore given' "no FILE" 
err "$T/nope: No such file or directory" "missing FILE" "$T/nope"
err "not an ELF file" "console log as FILE" "$T/l5.elf.console"
err "unknown option --bogus" "unknown option" --bogus "$T/l5.elf"
voff=$(grep -obUa -m1 'VMCOREINFO' "$T/l5.elf" | head -1 | cut -d: -f1)
printf 'X' | dd of="$T/l5.elf" bs=1 seek=$((voff + 9)) conv=notrunc status=none
err "l5.elf: no VMCOREINFO note: cannot find the kernel log$" "dump without VMCOREINFO" "$T/l5.elf"
"$HVDUMP" dmesg --help | grep -q '^Usage: hvdump dmesg'
ok $? "--help prints the usage"
done_testing
