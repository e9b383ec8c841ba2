#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# hvdump libvirt watch against a real libvirtd (tests/lib/libvirtd.sh): a 512 MiB TCG domain
# (file-backed shared memory with <discard/>, panic model isa, on_crash preserve, the demo
# kernel and initramfs booted directly with hvdump.crash=0) panics by itself; the watcher
# sees libvirt's crashed/panicked event, keeps the RAM by a hard link, takes the registers
# through HMP passthrough and writes the crash directory (record preserved-unsaved, notes.elf
# with VMCOREINFO) and leaves the domain paused.  The kept RAM survives `virsh destroy`;
# `hvdump save --from` writes a dump page-exact against the crashed RAM that `hvdump info`
# (and crash(8), when installed) reads the panic from.  A domain that is not ready, an
# unknown one and bad usage are refused at start (exit 2); the watch goes on to the domain's
# next crash; SIGTERM stops it (exit 0).  The control: without the watcher, a hard link
# alone is wiped by `virsh destroy` (<discard/>).
[ -n "${HVDUMP_LIBVIRT_NS:-}" ] || { . "$(dirname "$0")/../lib/libvirtd.sh"; libvirtd_reexec "$0" "$@"; }
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/libvirtd.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
guest_env
command -v jq >/dev/null || skip_all "jq not installed"

# ---- usage, before any libvirtd --------------------------------------------------------------
"$HVDUMP" libvirt watch >"$T/o" 2>&1
check "watch without --domain or --all: exit 2" exit_says $? 2 "$T/o" 'takes --domain NAME'
"$HVDUMP" libvirt watch --all --domain x >"$T/o" 2>&1
check "watch with both --domain and --all: exit 2" exit_says $? 2 "$T/o" 'takes --domain NAME'
"$HVDUMP" libvirt watch --help >"$T/o" 2>&1
check "watch --help: exit 0, names watch and its exit status" \
	exit_says $? 0 "$T/o" 'Of watch: 0 stopped by SIGINT or SIGTERM'

libvirtd_start

# domain_xml NAME [SED-SCRIPT]: the watched domain
domain_xml() {
	libvirt_domain "$1" vcpus=2 cmdline="console=ttyS0 quiet hvdump.pattern=32:0xbeef hvdump.crash=0" \
		devices="<serial type='file'><source path='$T/$1.console'/><target port='0'/></serial>" |
		sed "${2:-}"
}
V="virsh -q -c $LIBVIRT_URI"
domain_xml hvw >"$T/hvw.xml" && $V define "$T/hvw.xml" >/dev/null
domain_xml hvw-nopanic '/<panic/d; s/>preserve</>destroy</' >"$T/np.xml" && $V define "$T/np.xml" >/dev/null

"$HVDUMP" libvirt watch -c "$LIBVIRT_URI" --domain hvw-nopanic >"$T/np.out" 2>&1
check "a domain that is not ready: exit 2, check's report and the reason" \
	exit_says $? 2 "$T/np.out" "domain hvw-nopanic is not ready for hvdump"
check "  the report names the panic device and on_crash with their fixes" \
	grep_all "$T/np.out" '^  missing  *panic device' "<panic model='isa'/>" '<on_crash>preserve</on_crash>'
"$HVDUMP" libvirt watch -c "$LIBVIRT_URI" --domain nosuch >"$T/o" 2>&1
check "an unknown domain: exit 2" exit_says $? 2 "$T/o" "no domain 'nosuch'"

# ---- the crash -----------------------------------------------------------------------------
start_hvdump "$T/w" libvirt watch -c "$LIBVIRT_URI" --dump-dir "$T/dumps" --on-crash pause --domain hvw
W_PID=$HV_PID
check "the watcher starts and watches hvw" wait_for "$T/w.stderr" 'watching domain hvw for crashes' 20
t0=$(date +%s.%N)
check "hvw (512 MiB, 2 vCPUs, TCG) starts" $V start hvw
check "libvirt's panic event is served: the RAM kept" wait_for "$T/w.stderr" 'domain hvw: crash 1 kept' 240
t1=$(date +%s.%N)
diag "$(grep -E 'panicked|RAM kept|registers|VMCOREINFO|ELF core|crash 1 kept|stays paused|journal' "$T/w.stderr" | cut -c1-220)"
dir=$(ls -d "$T"/dumps/hvw-* 2>/dev/null | head -1)
rec=$dir/crash.json
ram=$(find "$T/libvirt-ram/libvirt" -name pc.ram | head -1)
kept=$(jq -r .ram_file "$rec" 2>/dev/null)
diag "crash directory $dir; libvirt's RAM file $ram; kept $kept; start to kept $(echo "$t1 - $t0" | bc) s"

record_ok() {
	jq -e --arg k "$kept" '.format == "hvdump-crash-record/1" and .vm == "hvw" and .crash == 1
		and .detected_by == "libvirt" and .state == "preserved-unsaved" and .ram_file == $k
		and .detection.event == "lifecycle crashed/panicked" and (.detection.uuid | length) == 36
		and (.vcpus | length) == 2 and (.kernel_release | length) > 0
		and .vmcoreinfo == "guest-memory" and .capture.ram_file_bytes > 536870912
		and .panic == "sysrq triggered crash"
		and .crashed_ram.ram_file_bytes == 536870912 and .notes_file == "notes.elf"' "$rec"
}
check "crash.json: hvw, crash 1, detected_by libvirt, preserved-unsaved, 2 vCPUs, the kernel, VMCOREINFO, the panic from the kernel's log" record_ok
check "the record names the RSP and RIP of each vCPU (non-zero)" \
	jq -e '[.vcpus[] | select(.rip != "0x0000000000000000" and .rsp != "0x0000000000000000")] | length == 2' "$rec"
notes_ok() { readelf -n "$dir/notes.elf" >"$T/notes.txt" && grep_all "$T/notes.txt" 'CORE.*NT_PRSTATUS' 'VMCOREINFO'; }
check "notes.elf: NT_PRSTATUS notes and VMCOREINFO (readelf -n)" notes_ok
private_ok() {
	[ "$(stat -c %a "$(dirname "$kept")")" = 700 ] && [ "$(stat -c %a "$(dirname "$(dirname "$kept")")")" = 711 ] &&
		[ "$(stat -c %i "$kept")" = "$(stat -c %i "$ram")" ]
}
check "the kept RAM is a hard link of libvirt's pc.ram in a 0700 directory of hvdump's (in a 0711 one: QEMU goes through to a capture's)" private_ok
$V domstate --reason hvw >"$T/state" 2>&1
check "the domain stays as libvirt's on_crash preserve left it: $(cat "$T/state")" grep -qx 'crashed (panicked)' "$T/state"
check "the watcher tells what to do: hvdump save --from, then virsh destroy" \
	grep -q "now: \`hvdump save --from $dir\` writes the dump, then \`virsh destroy hvw\`" "$T/w.stderr"
check "discard-data was turned off before anything else (no warning)" grep_none 'cannot turn off discard' <"$T/w.stderr"

# the crashed RAM as QEMU holds it, hashed before anything can change it (crash 1)
size=$(jq -r .crashed_ram.ram_file_bytes "$rec")
"$PAGEHASH_TOOLS/pagehash" "$ram" "$size" "$T/host1.hsh" "$size" >/dev/null
ok $? "the crashed RAM hashed page by page ($size bytes)"
check "virsh destroy hvw" $V destroy hvw
gone_kept() { [ ! -e "$ram" ] && [ "$(stat -c %s "$kept")" -gt "$size" ]; }
check "libvirt's RAM file is gone, the kept one is whole (RAM + ELF core header)" gone_kept
kept_same() { "$PAGEHASH_TOOLS/pagehash" "$kept" "$size" "$T/kept.hsh" "$size" >/dev/null && cmp -s "$T/host1.hsh" "$T/kept.hsh"; }
check "  and holds the crashed bytes after the destroy (<discard/> turned off)" kept_same

# ---- hvdump save --from the kept RAM -------------------------------------------------------
s0=$(date +%s.%N)
"$HVDUMP" save --from "$dir" >"$T/save.out" 2>&1
ok $? "hvdump save --from $dir writes the dump"
diag "save --from in $(echo "$(date +%s.%N) - $s0" | bc) s: $(grep 'dump saved' "$T/save.out" | cut -c1-200)"
dump=$(jq -r .dump_file "$rec")
check "the record says saved, by hvdump save --from" \
	jq -e '.state == "saved" and .saved_by == "hvdump save --from" and (.dump_file | endswith("vmcore.kdump"))' "$rec"
"$PAGEHASH_TOOLS/kdump-check" "$dump" --hash "$T/saved.hsh" >"$T/kc.out" 2>&1
ok $? "kdump-check validates the dump"
check_pages "the dump is page-exact against the crashed RAM" 1 "$T/saved.hsh"
"$HVDUMP" info "$dump" >"$T/info.out" 2>&1
check "hvdump info reads the dump: the panic message and 2 CPUs" \
	grep_all "$T/info.out" '^panic .*Kernel panic - not syncing: sysrq triggered crash' '^cpus  *2$'
diag "$(grep -iE 'release|panic|^cpu' "$T/info.out" | head -6)"
if debug_vmlinux; then
	printf 'sys\nbt\nquit\n' | timeout 300 crash -s "$VMLINUX" "$dump" >"$T/crash.out" 2>&1
	check "crash(8) opens the dump: the panic and a backtrace through sysrq" \
		grep_all "$T/crash.out" 'PANIC: "Kernel panic - not syncing: sysrq triggered crash"' 'sysrq_handle_crash'
	diag "$(grep -E 'PANIC|#[0-3] ' "$T/crash.out" | head -5)"
fi

# ---- the watcher goes on: a second crash of the same domain, then SIGTERM -------------------
check "the watcher still runs after the crash" kill -0 "$W_PID"
check "hvw starts again" $V start hvw
check "its second crash is kept too" wait_for "$T/w.stderr" 'domain hvw: crash 2 kept' 240
dir2=$(ls -d "$T"/dumps/hvw-* | grep -vx "$dir" | head -1)
second_ok() {
	[ -n "$dir2" ] && jq -e --arg k "$kept" '.crash == 2 and .state == "preserved-unsaved" and
		.ram_file != $k and .panic == "sysrq triggered crash"' "$dir2/crash.json"
}
check "  in a crash directory of its own, crash 2, its own kept RAM" second_ok
$V destroy hvw >/dev/null 2>&1
kill -TERM "$W_PID"
wait_exit "$W_PID" 10
check "SIGTERM stops the watcher: exit 0 (rc=$RC)" test "$RC" -eq 0

# ---- the control: a hard link alone, discard-data left on, does not keep the RAM ------------
# (why the watcher turns it off: with <discard/>, QEMU punches the file empty at destroy)
check "hvw starts once more, no watcher" $V start hvw
libvirt_wait_crashed hvw 240
ram=$(find "$T/libvirt-ram/libvirt" -name pc.ram | head -1)
ln "$ram" "$T/bare-link.ram" && $V destroy hvw >/dev/null 2>&1
wiped() { [ "$(stat -c %b "$T/bare-link.ram")" -eq 0 ]; }
check "a bare hard link (discard-data on) is wiped by virsh destroy: $(stat -c '%s bytes, %b blocks' "$T/bare-link.ram" 2>/dev/null)" wiped
done_testing
