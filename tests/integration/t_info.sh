#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `hvdump info` (and `hvdump dmesg`) on a real QEMU ELF dump of the crashed demo guest with 2
# vCPUs, and on its kdump-compressed conversions (zstd, LZO): the kernel release is the one
# booted, the panic is the sysrq one, each vCPU has an entry, the panicking one is the task
# the log names, and the RIP of the other resolves as System.map says; the JSON parses; the
# three formats agree, and the kernel log of each is makedumpfile's.  Then hostile files:
# exit 2 with one line (exit 1 for a dump cut short after its headers), no sanitizer report.
# crash(8) with the debug vmlinux reads the same dump: its sys and bt name the same release,
# CPU count, panic and panicking task as info does.  The command line info reads from the
# crashed memory (saved_command_line) is the one QEMU gave the guest, and the log's own.
. "$(dirname "$0")/../lib/common.sh"
guest_env
QMPCMD=$ROOT/build/tests/tools/qmp-cmd
ELF2KDUMP=$ROOT/build/tests/tools/elf2kdump
JSONCHECK=$ROOT/build/tests/unit/test_dumpfile
[ -x "$QMPCMD" ] && [ -x "$ELF2KDUMP" ] && [ -x "$JSONCHECK" ] || skip_all "test tools not built (run make)"
KVER=$(basename "$VMLINUZ")
KVER=${KVER#vmlinuz-}
APPEND="console=ttyS0 quiet hvdump.crash=0"

# What tests/tools/mkvmcore does, with -smp 2 (mkvmcore boots one vCPU): crash the demo guest
# by sysrq, wait for the pause pvpanic asks for, and let QEMU write its ELF dump.
mkvmcore_smp2() { # OUT
	local out=$1 qpid i
	qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 512M -nodefaults -display none \
		-serial "file:$out.console" -kernel "$VMLINUZ" -initrd "$INITRD" \
		-append "$APPEND" -device pvpanic -device vmcoreinfo \
		-action panic=pause -qmp "unix:$T/qmp.sock,server=on,wait=off" >"$T/qemu.log" 2>&1 &
	qpid=$!
	_bg_pids+=("$qpid")
	wait_for "$out.console" 'Kernel panic' 120 || return 1
	for i in $(seq 100); do
		"$QMPCMD" "$T/qmp.sock" query-status 2>/dev/null | grep -q '"running":false' && break
		sleep 0.1
	done
	"$QMPCMD" -t 300 "$T/qmp.sock" dump-guest-memory \
		"{\"paging\": false, \"protocol\": \"file:$out\"}" >/dev/null || return 1
	"$QMPCMD" "$T/qmp.sock" quit >/dev/null 2>&1
	wait "$qpid" 2>/dev/null
	[ -s "$out" ]
}

d=$T/vmcore.elf
mkvmcore_smp2 "$d"
ok $? "2-vCPU guest crashed by sysrq and QEMU wrote an ELF vmcore"
[ -s "$d" ] || { diag "$(tail -5 "$d.console" 2>/dev/null; cat "$T/qemu.log")"; done_testing; exit; }
# the log's own account: "CPU: 1 PID: 116 Comm: init Not tainted ..."
read -r pcpu ppid pcomm < <(tr -d '\r' <"$d.console" |
	sed -n 's/.*\] CPU: \([0-9]*\) PID: \([0-9]*\) Comm: \([^ ]*\) .*/\1 \2 \3/p' | head -1)
check "console names the panicking task: CPU ${pcpu:-?} PID ${ppid:-?} ${pcomm:-?}" test -n "$pcomm"

"$ELF2KDUMP" -c zstd "$d" "$T/vmcore.zstd" >"$T/conv.log" 2>&1 &&
	"$ELF2KDUMP" -c lzo "$d" "$T/vmcore.lzo" >>"$T/conv.log" 2>&1
ok $? "converted to kdump-compressed, zstd and LZO"

# System.map + KERNELOFFSET: the independent account of where the idle CPU's RIP is
MAP=
CACHE_LINUX=$(dirname "$(dirname "$(dirname "$VMLINUZ")")")
for m in "$CACHE_LINUX/$KVER/boot/System.map-$KVER" \
	"$CACHE_LINUX/$KVER-dbg/usr/lib/debug/boot/System.map-$KVER" \
	"/usr/lib/debug/boot/System.map-$KVER"; do
	[ -z "$MAP" ] && [ -r "$m" ] && [ "$(wc -l <"$m")" -gt 1000 ] && MAP=$m
done
koff=$(grep -a -m1 -o 'KERNELOFFSET=[0-9a-f]*' "$d" | cut -d= -f2)
map_sym() { # map_sym ADDR-HEX: the System.map text symbol at or below ADDR (KASLR undone)
	local a=$((0x$1 - 0x$koff))
	awk -v a="$(printf '%016x' "$a")" '$2 ~ /^[tTwW]$/ && $1 <= a { s = $3 } END { print s }' \
		<(sort "$MAP")
}

quiet_success() { [ "$1" -eq 0 ] && [ ! -s "$2" ]; } # RC STDERR-FILE
two_cpus() { grep -qx 'cpus        2' "$1" && [ "$(grep -c '^  cpu ' "$1")" -eq 2 ]; } # INFO-FILE
check_dump() { # check_dump NAME FILE FORMAT
	local n=$1 f=$2 fmt=$3 rc
	"$HVDUMP" info "$f" >"$T/$n.txt" 2>"$T/$n.err"
	rc=$?
	check "$n: hvdump info exits 0, no warning (rc=$rc)" quiet_success "$rc" "$T/$n.err"
	[ -s "$T/$n.err" ] && diag "$(cat "$T/$n.err")"
	check "$n: format $fmt" grep -qx "format      $fmt" "$T/$n.txt"
	check "$n: kernel release $KVER" grep -qx "kernel      $KVER" "$T/$n.txt"
	check "$n: the command line QEMU gave: $(grep '^cmdline' "$T/$n.txt")" \
		grep -qxF "cmdline     $APPEND" "$T/$n.txt"
	check "$n: panic message from the log: $(grep '^panic' "$T/$n.txt")" \
		grep -q '^panic       \[[0-9.]*\] Kernel panic - not syncing: sysrq triggered crash$' "$T/$n.txt"
	check "$n: panicking task as the console names it" \
		grep -qx "task        CPU $pcpu, PID $ppid, comm $pcomm" "$T/$n.txt"
	check "$n: one entry per vCPU" two_cpus "$T/$n.txt"
	check "$n: the panicking CPU's comm, read through its current_task, is $pcomm" \
		grep -q "^  cpu $pcpu .*comm $pcomm  \[panicking\]$" "$T/$n.txt"
	# pvpanic's notifier runs in a module: no kallsyms symbol, but the stack shows the way
	check "$n: the panicking CPU's stack holds panic and sysrq_handle_crash" \
		grep -q 'stack .*panic+0x.*sysrq_handle_crash+0x' < <(grep -A1 "^  cpu $pcpu .*\[panicking\]" "$T/$n.txt")
	check "$n: the other CPU was running its idle task" \
		grep -q "^  cpu [0-9]* .*comm swapper/[0-9]*\$" "$T/$n.txt"
	"$HVDUMP" info --json "$f" >"$T/$n.json" 2>/dev/null
	ok $? "$n: --json exits 0"
	"$JSONCHECK" --json "$T/$n.json" >"$T/$n.jsoncheck" 2>&1
	ok $? "$n: the JSON parses (jansson) and has every key"
	check "$n: JSON release, command line and panic message" grep_all "$T/$n.json" \
		"\"kernel_release\": \"$KVER\"" "\"command_line\": \"$APPEND\"" \
		'"message": "Kernel panic - not syncing: sysrq triggered crash"'
	"$HVDUMP" dmesg "$f" >"$T/$n.dmesg" 2>"$T/$n.dmesg.err"
	ok $? "$n: hvdump dmesg exits 0"
	check "$n: the kernel log's 'Kernel command line:' is info's" \
		grep -qF "] Kernel command line: $(sed -n 's/^cmdline     //p' "$T/$n.txt")" "$T/$n.dmesg"
}
check_dump elf "$d" ELF
check_dump zstd "$T/vmcore.zstd" kdump-zstd
check_dump lzo "$T/vmcore.lzo" kdump-lzo

# The idle CPU's RIP against System.map
other=$(grep '^  cpu ' "$T/elf.txt" | grep -v panicking | head -1)
rip=$(sed -n 's/.* rip 0x\([0-9a-f]*\) .*/\1/p' <<<"$other")
sym=$(sed -n 's/.* rip 0x[0-9a-f]* \([^ +]*\)+0x.*/\1/p' <<<"$other")
check "the idle CPU's RIP resolves: $other" test -n "$sym"
if [ -n "$MAP" ] && [ -n "$koff" ] && [ -n "$rip" ]; then
	want=$(map_sym "$rip")
	check "  and System.map agrees: ${want:-?} (KERNELOFFSET $koff)" test "$sym" = "$want"
else
	skip "no real System.map for $KVER (guest/fetch-kernel --dbg)"
fi

# crash(8) with the debug vmlinux is the reference reader: its sys and bt agree with info
if debug_vmlinux 4; then
	printf 'sys\nbt\nquit\n' | timeout 300 crash -s "$VMLINUX" "$T/vmcore.zstd" >"$T/crash.out" 2>&1
	crel=$(awk '$1 == "RELEASE:" {print $2; exit}' "$T/crash.out")
	ccpus=$(awk '$1 == "CPUS:" {print $2; exit}' "$T/crash.out")
	read -r cpid ccpu ccomm < <(sed -n 's/^PID: *\([0-9]*\) .*CPU: *\([0-9]*\) *COMMAND: "\([^"]*\)".*/\1 \2 \3/p' \
		"$T/crash.out" | head -1)
	same_release() { [ "$crel" = "$KVER" ] && grep -qx "kernel      $crel" "$T/zstd.txt"; }
	check "crash's RELEASE ${crel:-?} is info's kernel" same_release
	same_cpus() { [ -n "$ccpus" ] && grep -qx "cpus        $ccpus" "$T/zstd.txt"; }
	check "crash's CPUS ${ccpus:-?} is info's cpu count" same_cpus
	same_panic() {
		grep -q '^ *PANIC: .*sysrq triggered crash' "$T/crash.out" &&
			grep -q '^panic .*sysrq triggered crash$' "$T/zstd.txt"
	}
	check "crash's PANIC and info's panic are the same sysrq panic" same_panic
	same_task() { [ -n "$ccomm" ] && grep -qx "task        CPU $ccpu, PID $cpid, comm $ccomm" "$T/zstd.txt"; }
	check "crash's bt task (CPU ${ccpu:-?} PID ${cpid:-?} ${ccomm:-?}) is info's panicking task" same_task
	[ -n "$ccomm" ] || diag "$(head -30 "$T/crash.out")"
fi

# The formats agree on everything but the file itself
strip() { grep -vE '^(file|size|format|kdump) ' "$1"; }
same_summary() { cmp -s <(strip "$T/elf.txt") <(strip "$T/zstd.txt") && cmp -s <(strip "$T/elf.txt") <(strip "$T/lzo.txt"); }
check "ELF, kdump-zstd and kdump-lzo give the same summary" same_summary
check "page statistics: $(grep '^pages' "$T/elf.txt")" \
	grep -q '^pages       [0-9]* total: [0-9]* present, [0-9]* zero, 0 excluded, 0 missing, 0 unreadable$' "$T/elf.txt"
same_dmesg() { cmp -s "$T/elf.dmesg" "$T/zstd.dmesg" && cmp -s "$T/elf.dmesg" "$T/lzo.dmesg"; }
check "hvdump dmesg: the same kernel log from all three ($(wc -l <"$T/elf.dmesg") lines)" same_dmesg
if command -v makedumpfile >/dev/null; then
	makedumpfile --dump-dmesg "$T/vmcore.lzo" "$T/lzo.mdf" >"$T/mdf.log" 2>&1
	ok $? "makedumpfile --dump-dmesg reads the LZO conversion"
	check "hvdump dmesg on kdump-lzo is byte-identical to makedumpfile's" \
		cmp -s "$T/lzo.dmesg" "$T/lzo.mdf"
else
	skip "makedumpfile not installed"
	skip "makedumpfile not installed"
fi

# Hostile files, with the normal build and (when built) the sanitizer build
bins=("$HVDUMP")
[ -x "$ROOT/build-san/hvdump" ] && bins+=("$ROOT/build-san/hvdump")
head -c 100 "$d" >"$T/cut-header.elf"
head -c 300000000 "$d" >"$T/cut-middle.elf"
head -c 20000000 "$T/vmcore.zstd" >"$T/cut.zstd"
head -c 1000000 /dev/urandom >"$T/random.bin"
cp "$T/vmcore.lzo" "$T/badhdr.lzo"
printf '\x45\x23\x01\x00' | dd of="$T/badhdr.lzo" bs=1 seek=428 conv=notrunc status=none # block_size
cp "$T/vmcore.lzo" "$T/badsub.lzo"
printf '\xff\xff\xff\xff\xff\xff\xff\x7f' | dd of="$T/badsub.lzo" bs=1 seek=$((4096 + 96)) conv=notrunc status=none # max_mapnr_64
# hostile_refused RC WANT ERE LINES: exit WANT, stderr matching ERE (one line and nothing on
# stdout for exit 2), and no sanitizer report
hostile_refused() {
	local rc=$1 want=$2 re=$3 lines=$4
	[ $rc -eq "$want" ] && grep -qE -- "$re" "$T/h.err" &&
		{ [ "$want" -ne 2 ] || { [ "$lines" -eq 1 ] && [ ! -s "$T/h.out" ]; }; } &&
		! grep -qE 'Sanitizer|runtime error' "$T/h.err"
}
hostile() { # hostile FILE RC REGEX DESCRIPTION
	local f=$1 want=$2 re=$3 what=$4 b rc lines
	for b in "${bins[@]}"; do
		"$b" info "$f" >"$T/h.out" 2>"$T/h.err"
		rc=$?
		lines=$(wc -l <"$T/h.err")
		check "$what, ${b#"$ROOT"/} (rc=$rc): $(head -1 "$T/h.err")" \
			hostile_refused "$rc" "$want" "$re" "$lines"
	done
}
hostile "$T/cut-header.elf" 2 'cut-header.elf: malformed ELF core' "ELF cut inside its headers"
hostile "$T/cut-middle.elf" 1 'truncated: [0-9]+ bytes of its PT_LOADs lie past the end' "ELF cut in its memory"
hostile "$T/cut.zstd" 2 'cut.zstd: malformed kdump-compressed file: .*past the end of the file' "kdump cut short"
hostile "$T/random.bin" 2 'random.bin: not an ELF file or a kdump-compressed dump' "random bytes"
hostile "$T/badhdr.lzo" 2 'badhdr.lzo: malformed kdump-compressed file: block_size 74565$' "kdump header with a corrupt block_size"
hostile "$T/badsub.lzo" 2 'badsub.lzo: malformed kdump-compressed file: max_mapnr 9223372036854775807$' "kdump sub header with an absurd max_mapnr"
hostile "$T/nope" 2 'nope: No such file or directory' "missing file"
"$HVDUMP" info --bogus "$d" >/dev/null 2>"$T/h.err"
check "unknown option: exit 2" exit_says $? 2 "$T/h.err" 'unknown option --bogus'
"$HVDUMP" info --help | grep -q '^Usage: hvdump info'
ok $? "--help prints the usage"
done_testing
