#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every debugger reads every dump of one crash, and gives the same answers (docs/interop.md):
# a 2-vCPU demo guest crashes; the capture guest copies its /proc/vmcore byte for byte to a
# disk (the ELF core header hvdump wrote, as the capture kernel serves it); hvdump stops with
# the crash kept and writes it offline as kdump and as ELF (the host saver), converts the copy
# to kdump with every codec at dump levels 0 and 31 and to ELF at 31, and makedumpfile makes
# its own kdump and ELF files of the copy.  For each file:
# - drgn (python3-drgn, through libkdumpfile for kdump files) with the debug vmlinux and the
#   pvpanic modules' debug info: release, version, the panicking CPU, its task's pid and comm,
#   the first stack frames, jiffies_64, a page's SHA-256 - all equal to the copy's answers;
#   the pid is the one the kernel log names (the notes carry each CPU's pid);
# - libkdumpfile's own binding, without debug info: release, version, jiffies_64, the page;
# - makedumpfile --dump-dmesg: the same kernel log as hvdump dmesg of the copy;
# - hvdump info: the panicking task; crash(8) on the copy and two others: release, jiffies_64,
#   the panic path in bt.
# Then QEMU's own dumps of another crash (dump-guest-memory of the paused guest, ELF and
# kdump-zlib, which QEMU writes flattened): hvdump reads both (info, dmesg), crash reads
# both; drgn cannot use QEMU's files themselves (docs/interop.md), but `hvdump convert` of
# either gives files drgn and libkdumpfile read with the same answers, the log's pid, and
# the stack through panic.
. "$(dirname "$0")/../lib/common.sh"
guest_env
PY=/usr/bin/python3
ANS=$ROOT/tests/tools/dbg-answers
$PY -c 'import drgn, kdumpfile' 2>/dev/null || skip_all "python3-drgn or python3-libkdumpfile not installed"
command -v makedumpfile >/dev/null || skip_all "makedumpfile not installed"
debug_vmlinux 0 || skip_all "no debug vmlinux (guest/fetch-kernel --dbg) or no crash(8)"
kver=${VMLINUZ##*/vmlinuz-}
MODS=$(ls "$(dirname "$(dirname "$VMLINUX")")"/lib/modules/"$kver"/kernel/drivers/misc/pvpanic/*.ko 2>/dev/null)
[ -n "$MODS" ] || skip_all "no pvpanic module debug info (guest/fetch-kernel --dbg)"
mkdir -m 700 -p "$T/dumps" "$T/f"
copy=$T/f/proc-vmcore.elf
truncate -s 1200M "$copy"

start_hvdump "$T/h" run --name dbg --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G --cpus 2 \
	--dump-dir "$T/dumps" --log "$T/h.log" --no-console --save none --disk "$copy,format=raw" \
	--append "console=ttyS0 quiet hvdump.pattern=32:0xdeb9 hvdump.crash=0 hvdump.vmcopy=/dev/vda"
wait_for "$T/h.log" 'console: hvdump-guest: vmcopy (done|FAILED)' 300
ok $? "the capture guest copied /proc/vmcore"
diag "$(grep -aE 'vmcopy|pid in its note|as kexec' "$T/h.log" | cut -c1-200)"
check "the copy is complete" grep -q 'console: hvdump-guest: vmcopy done' "$T/h.log"
check "each CPU's pid in its note" grep -q "each CPU's pid in its note: [12] of 2" "$T/h.log"
check "the ELF core header has the kernel image and direct-map addresses" \
	grep -q 'ELF core header as kexec' "$T/h.log"
pid=$(grep -a 'Kernel panic' -A3 "$T/h.log" | sed -n 's/.*CPU: [0-9]* PID: \([0-9]*\) Comm:.*/\1/p' | head -1)
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
check "hvdump stopped with the crash kept (rc=$RC)" test "$RC" -eq 4
size=$(sed -n 's/.*vmcopy done bytes=\([0-9]*\).*/\1/p' "$T/h.log" | head -1)
truncate -s "${size:-0}" "$copy"
readelf -lW "$copy" >"$T/readelf.out" 2>&1
check "readelf: a PT_LOAD for the kernel image and direct-map p_vaddr on RAM" \
	grep_all "$T/readelf.out" ' LOAD .* 0xffffffff[89ab]' ' LOAD .* 0xff[0-9a-f]*100000 0x0000000000100000 '

# the host saver, offline: kdump and ELF from the kept memory
rec=$(ls "$T"/dumps/*/crash.json | head -1)
mkdir -m 700 "$T/elfsave" && cp "$rec" "$(dirname "$rec")/notes.elf" "$T/elfsave/"
"$HVDUMP" save --from "$(dirname "$rec")" >"$T/save1.out" 2>&1
ok $? "hvdump save --from: kdump (the host saver)"
"$HVDUMP" save --from "$T/elfsave" --save-format elf >"$T/save2.out" 2>&1
ok $? "hvdump save --from --save-format elf (the host saver)"
cp "$(dirname "$rec")/vmcore.kdump" "$T/f/saver.kdump" && cp "$T/elfsave/vmcore.elf" "$T/f/saver.elf"

# convert: every codec at -d 0 and -d 31, ELF at -d 31; makedumpfile's kdump and ELF
for d in 0 31; do
	for c in zstd lzo zlib none; do
		"$HVDUMP" convert -q -d $d -c $c "$copy" "$T/f/convert-$c-d$d.kdump" 2>>"$T/conv.err" ||
			diag "convert -d $d -c $c failed: $(tail -1 "$T/conv.err")"
	done
done
"$HVDUMP" convert -q -f elf -d 31 "$copy" "$T/f/convert-d31.elf" 2>>"$T/conv.err"
makedumpfile -l -d 31 "$copy" "$T/f/makedumpfile-lzo-d31.kdump" >"$T/mdf.log" 2>&1
makedumpfile -E -d 31 "$copy" "$T/f/makedumpfile-d31.elf" >>"$T/mdf.log" 2>&1
check "all 14 dump files written" test "$(ls "$T/f" | wc -l)" -eq 14

# the reference answers: drgn on the copy of /proc/vmcore
$PY "$ANS" drgn "$copy" "$VMLINUX" $MODS >"$T/ref.ans" 2>"$T/ref.err"
diag "$(cat "$T/ref.ans")"
check "drgn reads /proc/vmcore: nothing failed" grep_none -q -e '=FAIL' "$T/ref.ans"
check "drgn: the panicking task is the log's (PID $pid)" grep -qx "panic_pid=$pid" "$T/ref.ans"
check "drgn: its stack goes through panic to sysrq_handle_crash" \
	grep -q '^stack=.*,panic,sysrq_handle_crash' "$T/ref.ans"
jv=$(sed -n 's/^jiffies_64_vaddr=//p' "$T/ref.ans") pv=$(sed -n 's/^page_vaddr=//p' "$T/ref.ans")
"$HVDUMP" dmesg "$copy" >"$T/ref.dmesg" 2>/dev/null
keys='^(release|version|panic_cpu|panic_pid|panic_comm|stack|jiffies_64|page_sha)='
same() { # ANSWERS KEYS: the reference's answers for KEYS, none failed
	! grep -q '=FAIL' "$1" && diff <(grep -E "$2" "$T/ref.ans") <(grep -E "$2" "$1") >"$1.diff"
}
for f in "$T"/f/*; do
	n=$(basename "$f")
	[ "$f" = "$copy" ] && continue
	$PY "$ANS" drgn "$f" "$VMLINUX" $MODS >"$T/$n.drgn" 2>&1
	check "drgn reads $n: the same answers" same "$T/$n.drgn" "$keys" ||
		diag "$(cat "$T/$n.drgn" "$T/$n.drgn.diff" 2>/dev/null | head -20)"
	$PY "$ANS" kdumpfile "$f" "$jv" "$pv" >"$T/$n.kdf" 2>&1
	check "libkdumpfile reads $n: the same answers" same "$T/$n.kdf" '^(release|version|jiffies_64|page_sha)=' ||
		diag "$(cat "$T/$n.kdf" "$T/$n.kdf.diff" 2>/dev/null | head -20)"
	if [ "$(head -c 8 "$f" | tr -d '\0')" = "KDUMP   " ] && [ "$("$HVDUMP" info "$f" | awk '$1 == "format" { print $2 }')" = kdump-zstd ] &&
		! makedumpfile -v 2>&1 | grep -q 'zstd.*enabled'; then
		skip "makedumpfile reads $n: this makedumpfile is built without zstd"
	else
		makedumpfile --dump-dmesg "$f" "$T/$n.dmesg" >/dev/null 2>&1 && cmp -s "$T/ref.dmesg" "$T/$n.dmesg"
		ok $? "makedumpfile --dump-dmesg reads $n: the same log as hvdump dmesg of the copy"
	fi
	"$HVDUMP" info "$f" >"$T/$n.info" 2>&1 && grep -q "^task .*PID $pid, comm init" "$T/$n.info"
	ok $? "hvdump info reads $n: the panicking task PID $pid"
done

jiffies=$(sed -n 's/^jiffies_64=//p' "$T/ref.ans")
rel=$(sed -n 's/^release=//p' "$T/ref.ans")
for n in proc-vmcore.elf saver.kdump convert-lzo-d31.kdump; do
	printf 'sys\np jiffies_64\nbt\nquit\n' |
		timeout 300 crash -s "$VMLINUX" "$T/f/$n" >"$T/$n.crash" 2>&1
	check "crash reads $n: release, jiffies_64 = $jiffies, bt through sysrq_handle_crash" \
		grep_all "$T/$n.crash" "RELEASE: $rel" "jiffies_64 = .*= $jiffies\$" 'sysrq_handle_crash' ||
		diag "$(head -30 "$T/$n.crash")"
done

# QEMU's dumps
mkdir -m 700 "$T/q"
qe=$T/q/qemu.elf qz=$T/q/qemu.elf.kdump-zlib
"$ROOT/tests/tools/mkvmcore" "$qe" max "hvdump.pattern=16:7" elf,kdump-zlib >"$T/q/mk.log" 2>&1
ok $? "QEMU dumped one crash as ELF and as kdump-zlib" || diag "$(cat "$T/q/mk.log")"
chmod u+w "$qe" "$qz" 2>/dev/null
qpid=$(sed -n 's/.*CPU: [0-9]* PID: \([0-9]*\) Comm:.*/\1/p' "$qe.console" | head -1)
"$HVDUMP" info "$qz" >"$T/q/qz.info" 2>&1
check "hvdump info reads QEMU's flattened kdump file: flattened, phys_base checked" \
	grep_all "$T/q/qz.info" '^format .*kdump-zlib (flattened' "^task .*PID $qpid,"
diag "$(grep -E '^format|^phys_base' "$T/q/qz.info")"
"$HVDUMP" dmesg "$qe" >"$T/q/qe.dmesg" 2>&1 && "$HVDUMP" dmesg "$qz" >"$T/q/qz.dmesg" 2>&1 &&
	cmp -s "$T/q/qe.dmesg" "$T/q/qz.dmesg"
ok $? "hvdump dmesg: the same log from QEMU's ELF and flattened files"
$PY "$ANS" drgn "$qe" "$VMLINUX" $MODS >"$T/q/qe.drgn" 2>&1
diag "drgn on QEMU's ELF itself: $(grep -m1 '^release=' "$T/q/qe.drgn")"
"$HVDUMP" convert -q -c lzo "$qz" "$T/q/from-flat.kdump" 2>"$T/q/c1.err" &&
	"$HVDUMP" convert -q -f elf "$qe" "$T/q/from-elf.elf" 2>"$T/q/c2.err"
ok $? "hvdump convert of QEMU's flattened kdump and of its ELF"
$PY "$ANS" drgn "$T/q/from-elf.elf" "$VMLINUX" $MODS >"$T/q/ref.ans" 2>&1
check "drgn reads the conversion of QEMU's ELF: the log's pid ($qpid), the stack through panic" \
	grep_all "$T/q/ref.ans" "^panic_pid=$qpid\$" '^stack=.*,panic,sysrq_handle_crash' ||
	diag "$(cat "$T/q/ref.ans")"
cp "$T/q/ref.ans" "$T/ref.ans"
jv=$(sed -n 's/^jiffies_64_vaddr=//p' "$T/ref.ans") pv=$(sed -n 's/^page_vaddr=//p' "$T/ref.ans")
$PY "$ANS" drgn "$T/q/from-flat.kdump" "$VMLINUX" $MODS >"$T/q/ff.drgn" 2>&1
check "drgn reads the conversion of QEMU's flattened kdump: the same answers" same "$T/q/ff.drgn" "$keys" ||
	diag "$(cat "$T/q/ff.drgn" "$T/q/ff.drgn.diff" 2>/dev/null | head -20)"
for f in "$T/q/from-flat.kdump" "$T/q/from-elf.elf"; do
	$PY "$ANS" kdumpfile "$f" "$jv" "$pv" >"$f.kdf" 2>&1
	check "libkdumpfile reads $(basename "$f"): the same answers" \
		same "$f.kdf" '^(release|version|jiffies_64|page_sha)=' || diag "$(cat "$f.kdf")"
done
for f in "$qe" "$qz"; do
	printf 'sys\nbt\nquit\n' | timeout 300 crash -s "$VMLINUX" "$f" >"$f.crash" 2>&1
	check "crash reads QEMU's $(basename "$f")" grep_all "$f.crash" "RELEASE: $rel" 'sysrq_handle_crash' ||
		diag "$(head -20 "$f.crash")"
done
done_testing
