#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `hvdump convert` on a real QEMU dump of the crashed demo guest, with page cache (a tmpfs
# fill) and process memory (the pattern tool) in it:
# - dump level 31 leaves out exactly the pages `makedumpfile -d 31` leaves out (bitmap 2 of
#   both files compared pfn by pfn), and is no larger: byte for byte the same size with the
#   same codec (LZO), smaller with zstd than makedumpfile's smallest (zlib);
# - every page the filtered files hold equals the original's (kdump and ELF output);
# - crash opens the filtered zstd file with the debug vmlinux: bt shows the panic path, and
#   its count of free pages matches the free pages left out;
# - makedumpfile reads the ELF output (--dump-dmesg, same text as from the original);
# - kdump -> ELF -> kdump keeps what the first conversion left out;
# - bad input: one clear line, exit 2, nothing written.
. "$(dirname "$0")/../lib/common.sh"
guest_env
command -v makedumpfile >/dev/null || skip_all "makedumpfile not installed"
TOOLS=$ROOT/build/tests/tools
[ -x "$TOOLS/kdump-mapcmp" ] && [ -x "$TOOLS/dumpcmp" ] || skip_all "test tools not built (run make)"

orig=$T/v.elf
"$ROOT/tests/tools/mkvmcore" "$orig" max "hvdump.fill=48 hvdump.pattern=48:7" >"$T/mk.log" 2>&1
ok $? "guest with page cache and process memory crashed; QEMU wrote an ELF vmcore"
[ -s "$orig" ] || { diag "$(cat "$T/mk.log")"; done_testing; exit 1; }
chmod u+w "$orig"
# makedumpfile 1.7.2 reads program headers at offset 64 only (QEMU 7.2 puts them at 192)
"$TOOLS/elf-phdrs-first" "$orig" >/dev/null

json() { sed -n "s/.*\"$2\": \([0-9]*\).*/\1/p" "$1" | head -1; }

"$HVDUMP" convert -q -d 31 -c lzo --json "$orig" "$T/hv.lzo" >"$T/lzo.json" 2>"$T/lzo.err"
ok $? "convert -d 31 -c lzo exits 0"
makedumpfile -d 31 -l "$orig" "$T/mdf.lzo" >"$T/mdf.lzo.log" 2>&1
ok $? "makedumpfile -d 31 -l exits 0"
out=$("$TOOLS/kdump-mapcmp" "$T/hv.lzo" "$T/mdf.lzo")
ok $? "dump level 31: the same pages as makedumpfile -d 31"
diag "$out"
for k in cache user free; do
	n=$(json "$T/lzo.json" "$k")
	check "left out ${n:-0} $k pages" test "${n:-0}" -gt 0
done
hs=$(stat -c %s "$T/hv.lzo") ms=$(stat -c %s "$T/mdf.lzo")
check "LZO: hvdump $hs bytes <= makedumpfile $ms bytes" test "$hs" -le "$ms"
check "output is mode 0600" test "$(stat -c %a "$T/hv.lzo")" = 600

"$HVDUMP" convert -q -d 31 --json "$orig" "$T/hv.zstd" >"$T/zstd.json" 2>"$T/zstd.err"
ok $? "convert -d 31 (zstd) exits 0"
makedumpfile -d 31 -c "$orig" "$T/mdf.zlib" >"$T/mdf.zlib.log" 2>&1
makedumpfile -d 31 "$orig" "$T/mdf.none" >"$T/mdf.none.log" 2>&1
zs=$(stat -c %s "$T/hv.zstd") cs=$(stat -c %s "$T/mdf.zlib") ns=$(stat -c %s "$T/mdf.none")
zstd_smaller() { [ "$zs" -le "$cs" ] && [ "$zs" -le "$ns" ]; }
check "zstd: hvdump $zs bytes <= makedumpfile -d 31 -c $cs and -d 31 $ns" zstd_smaller
out=$("$TOOLS/dumpcmp" "$orig" "$T/hv.zstd")
ok $? "every page of the filtered kdump file equals the original's"
diag "$out"

if debug_vmlinux 3; then
	printf 'sys\nbt\nkmem -i\nquit\n' | timeout 300 crash -s "$VMLINUX" "$T/hv.zstd" >"$T/crash.out" 2>&1
	check "crash opens the filtered file: bt shows sysrq_handle_crash" grep -q 'sysrq_handle_crash' "$T/crash.out"
	cfree=$(awk '$1 == "FREE" {print $2; exit}' "$T/crash.out")
	hfree=$(json "$T/zstd.json" free)
	free_agrees() { [ -n "$cfree" ] && [ $((cfree > hfree ? cfree - hfree : hfree - cfree)) -le $((hfree / 50 + 64)) ]; }
	check "crash counts ${cfree:-?} free pages; hvdump left out $hfree free pages" free_agrees
	check "crash says the file is a partial (filtered) dump" grep -q 'PARTIAL DUMP' "$T/crash.out" ||
		diag "$(head -40 "$T/crash.out")"
fi

"$HVDUMP" convert -q -f elf -d 31 "$orig" "$T/hv31.elf" 2>"$T/elf.err"
ok $? "convert -f elf -d 31 exits 0"
readelf -lW "$T/hv31.elf" >"$T/readelf.out" 2>&1 && grep -q ' LOAD ' "$T/readelf.out"
ok $? "readelf reads the ELF output ($(grep -c ' LOAD ' "$T/readelf.out") PT_LOADs)"
out=$("$TOOLS/dumpcmp" "$orig" "$T/hv31.elf")
ok $? "every page of the filtered ELF file equals the original's"
diag "$out"
"$HVDUMP" dmesg "$orig" >"$T/orig.dmesg"
makedumpfile --dump-dmesg "$T/hv31.elf" "$T/elf.dmesg" >"$T/elf.dmesg.log" 2>&1 &&
	cmp -s "$T/orig.dmesg" "$T/elf.dmesg"
ok $? "makedumpfile --dump-dmesg reads the filtered ELF file: the original's log"

"$HVDUMP" convert -q -f elf "$T/hv.lzo" "$T/back.elf" 2>"$T/back.err" &&
	"$HVDUMP" convert -q -c zstd "$T/back.elf" "$T/back.zstd" 2>>"$T/back.err"
ok $? "kdump -> ELF -> kdump"
out=$("$TOOLS/kdump-mapcmp" "$T/back.zstd" "$T/hv.lzo")
ok $? "the round trip keeps the pages the first conversion left out, out"
diag "$out"
"$HVDUMP" dmesg "$T/back.zstd" | cmp -s - "$T/orig.dmesg"
ok $? "the round-tripped file has the original's kernel log"

# bad input and options: one line naming the problem, exit 2, nothing written
# refused_one_line ST ERE: exit 2, one line of output, matching ERE
refused_one_line() { [ "$1" -eq 2 ] && grep -Eq "$2" "$T/bad.out" && [ "$(wc -l <"$T/bad.out")" -eq 1 ]; }
bad() { # bad WANT-RE DESCRIPTION ARGS...
	local want=$1 what=$2
	shift 2
	"$HVDUMP" convert -q "$@" >"$T/bad.out" 2>&1
	local st=$?
	check "$what: exit 2, says '$want'" refused_one_line "$st" "$want"
	[ $st -eq 2 ] || diag "exit $st: $(cat "$T/bad.out")"
}
head -c 300000000 "$orig" >"$T/trunc.elf"
bad 'truncated' "truncated ELF" "$T/trunc.elf" "$T/x1"
bad 'exists' "existing output" "$orig" "$T/hv.lzo"
bad 'no LZ4 codec' "--compress lz4" -c lz4 "$orig" "$T/x2"
bad 'not 0\.\.31' "--dump-level 32" -d 32 "$orig" "$T/x3"
bad 'only' "--compress with --format elf" -f elf -c zlib "$orig" "$T/x4"
echo "not a dump" >"$T/text"
bad 'not an ELF' "a text file" "$T/text" "$T/x5"
made=$(ls -d "$T"/x[1-5]* 2>/dev/null)
check "no output file was created by the refused conversions" test -z "$made"
# a kdump file marked incomplete
cp "$T/hv.lzo" "$T/inc.lzo"
python3 - "$T/inc.lzo" <<'EOF'
import struct, sys
f = open(sys.argv[1], 'r+b'); off = (12 + 390 + 7) // 8 * 8 + 16
f.seek(off); st = struct.unpack('<I', f.read(4))[0]
f.seek(off); f.write(struct.pack('<I', st | 0x8))
EOF
bad 'incomplete' "kdump file marked incomplete" "$T/inc.lzo" "$T/x6"
# a corrupt page in the middle: exit 1, the error names the page, no output left behind
cp "$T/hv.lzo" "$T/bad.lzo"
dd if=/dev/urandom of="$T/bad.lzo" bs=1 seek=$(($(stat -c %s "$T/bad.lzo") / 2)) count=4096 conv=notrunc 2>/dev/null
"$HVDUMP" convert -q "$T/bad.lzo" "$T/x7" >"$T/bad7.out" 2>&1
st=$?
corrupt_refused() {
	[ "$st" -eq 1 ] && grep -q 'cannot read the page at 0x' "$T/bad7.out" && [ ! -e "$T/x7" ] && [ ! -e "$T/x7.part" ]
}
check "a corrupt page: exit 1, names the page, no output left" corrupt_refused
[ $st -eq 1 ] || diag "exit $st: $(cat "$T/bad7.out")"

# OUT.part planted as a symbolic link to somebody's file: never written through (kdump, ELF)
for fmt in kdump elf; do
	printf 'precious\n' >"$T/victim-$fmt"
	ln -s "$T/victim-$fmt" "$T/x8-$fmt.part"
	"$HVDUMP" convert -q -f "$fmt" "$T/hv.lzo" "$T/x8-$fmt" >"$T/x8-$fmt.out" 2>&1
	st=$?
	diag "$(head -2 "$T/x8-$fmt.out")"
	check "$fmt: a planted OUT.part symlink is refused (exit $st)" test "$st" -ne 0
	check "$fmt: ... the file it points to is untouched" grep -qx precious "$T/victim-$fmt"
	check "$fmt: ... and no output appears" test ! -e "$T/x8-$fmt"
done
done_testing
