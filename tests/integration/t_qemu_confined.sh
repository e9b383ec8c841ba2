#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# QEMU confined (docs/security.md, "What runs as which user"): with --qemu-user nobody, QEMU
# runs as nobody under its seccomp sandbox, gets the RAM file as an inherited descriptor, and
# the whole assisted dump still works: crash, capture boot, dump saved page-exact, memory given
# back as DIMMs hot-added while QEMU runs as nobody.  --qemu-user is refused (exit 2, one line)
# when hvdump is not root, for an unknown user, and when that user cannot read the kernel; a
# QEMU without seccomp runs without the sandbox and the log says why.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
guest_env
[ "$(id -u)" -eq 0 ] || skip_all "needs root: --qemu-user is for hvdump run as root"
NOBODY=$(id -u nobody 2>/dev/null) || skip_all "no user nobody on this host"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) not installed"

# ---- refusals: exit 2 and one line, before anything is created ----------------------------
# refused OUT: exit 2, a single line on stderr naming --qemu-user, nothing created
refused() {
	[ "$RC" -eq 2 ] && [ "$(wc -l <"$1")" -eq 1 ] && grep -q -e '--qemu-user' "$1" &&
		[ ! -e "$HVDUMP_RUN_BASE" ] && return
	cat "$1"
	return 1
}
"$HVDUMP" run --name r1 --kernel "$VMLINUZ" --initrd "$INITRD" --qemu-user hvdump-no-such-user \
	>"$T/r1.out" 2>"$T/r1.err"
RC=$?
check "unknown user: exit 2, one line ($(cat "$T/r1.err"))" refused "$T/r1.err"
setpriv --reuid="$NOBODY" --regid="$(id -g nobody)" --clear-groups \
	"$HVDUMP" run --name r2 --kernel "$VMLINUZ" --initrd "$INITRD" --qemu-user nobody \
	>"$T/r2.out" 2>"$T/r2.err"
RC=$?
check "hvdump not root: exit 2, one line ($(cat "$T/r2.err"))" refused "$T/r2.err"
cp "$VMLINUZ" "$T/vmlinuz" # $T is 0700 root: nobody cannot reach it
"$HVDUMP" run --name r3 --kernel "$T/vmlinuz" --initrd "$INITRD" --qemu-user nobody \
	>"$T/r3.out" 2>"$T/r3.err"
RC=$?
check "kernel nobody cannot read: exit 2, one line ($(cat "$T/r3.err"))" refused "$T/r3.err"

# ---- a crash and its dump with QEMU as nobody ---------------------------------------------
mkdir -m 700 -p "$T/dumps"
RUN=$HVDUMP_RUN_BASE/conf
start_hvdump "$T/c" run --name conf --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--qemu-user nobody --dump-dir "$T/dumps" --log "$T/c.log" --no-console \
	--append "console=ttyS0 quiet hvdump.crash=0 hvdump.memwatch=1" \
	--crash-hook "$(pagehash_hook)"
wait_for "$T/c.log" 'every dump is saved' 120 && wait_for "$T/c.log" 'the guest has all its memory back' 60
ok $? "crash, capture boot, dump saved and memory back with QEMU as nobody"
diag "$(grep -E 'QEMU sandbox: |runs as user|panicked|started \(boot|dump saved' "$T/c.log" | cut -c26-200)"
check "log: QEMU runs as nobody, sandbox on" grep_all "$T/c.log" \
	'QEMU runs as user nobody (uid '"$NOBODY" 'QEMU sandbox: on'

qpid=$(sed -n 's/.*started (boot 2, QEMU pid \([0-9]*\).*/\1/p' "$T/c.log" | head -1)
status=$(grep -E '^(Uid|Gid|Seccomp):' "/proc/${qpid:-0}/status" 2>/dev/null | tr -s '\t' ' ')
diag "capture QEMU (pid ${qpid:-?}): $(tr '\n' ';' <<<"$status")"
check "capture QEMU runs as nobody (real, effective, saved, fs uid)" \
	grep -qx "Uid: $NOBODY $NOBODY $NOBODY $NOBODY" <<<"$status"
check "capture QEMU runs under a seccomp filter (Seccomp: 2)" grep -qx 'Seccomp: 2' <<<"$status"
cmdline=$(tr '\0' ' ' <"/proc/${qpid:-0}/cmdline" 2>/dev/null)
# by_fd: the RAM file is /proc/self/fd/N on QEMU's command line, its path is not there
by_fd() { grep -q 'id=ram0,mem-path=/proc/self/fd/[0-9]*,' <<<"$cmdline" && ! grep -q "$RUN/ram" <<<"$cmdline"; }
check "RAM file passed by descriptor, its path not on QEMU's command line" by_fd
# dimms_nobody: every DIMM file is nobody's, and QEMU (as nobody) holds each of them
dimms_nobody() {
	local f n=0
	for f in "$RUN"/dimm-*; do
		[ "$(stat -c %u "$f")" -eq "$NOBODY" ] || return
		ls -l "/proc/$qpid/fd" | grep -q -- "-> $f\$" || return
		n=$((n + 1))
	done
	echo "$n DIMM files"
	[ "$n" -ge 5 ]
}
check "hot-added DIMMs: files given to nobody, each held by QEMU" dimms_nobody
diag "$CHECK_OUT"
private() { [ "$(stat -c '%u %a' "$RUN")" = "0 700" ] && [ "$(stat -c %u "$RUN/console.in" "$RUN/qmp.sock" | sort -u)" = 0 ]; }
check "run directory, console FIFOs and QMP socket stay root's, 0700" private
memtotal_back "$T/c.log"
check "console: the guest's service came up before and after the crash" \
	test "$(grep -c 'console: hvdump-guest: service ok' "$T/c.log")" -eq 2

rec=$(ls "$T"/dumps/*/crash.json 2>/dev/null | head -1)
check "record says saved" grep -q '"state": "saved"' "${rec:-/nonexistent}"
check_pages "saved dump is page-exact against the crashed RAM" 1 "$(dirname "${rec:-x}")/vmcore.kdump"
check "vCPU notes from QEMU's dump-guest-memory (a file handed over by descriptor)" \
	grep -q 'collected 1 vCPU notes in .* with VMCOREINFO' "$T/c.log"

kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
check "stops cleanly: the guest powers off, its crash saved (rc=$RC)" test "$RC" -eq 0
check "no QEMU left running" no_process "$RUN/"

# ---- a QEMU without seccomp: no sandbox, said so; --no-sandbox ------------------------------
cat >"$T/qemu-noseccomp" <<EOF
#!/bin/sh
echo "\$*" >>"$T/qemu-args"
for a in "\$@"; do
	[ "\$a" = -sandbox ] && { echo "qemu-system-x86_64: -sandbox support is not enabled in this QEMU binary" >&2; exit 1; }
done
exec qemu-system-x86_64 "\$@"
EOF
chmod 700 "$T/qemu-noseccomp"
"$HVDUMP" run --name nosec --kernel "$VMLINUZ" --initrd "$INITRD" --memory 512M --no-console \
	--qemu "$T/qemu-noseccomp" --append "console=ttyS0 quiet hvdump.poweroff=0" \
	>"$T/n.out" 2>"$T/n.err"
RC=$?
check "QEMU without seccomp: the guest runs and powers off (rc=$RC)" test "$RC" -eq 0
check "... the log says the sandbox is off, in QEMU's words" grep -q \
	'warning: QEMU sandbox: off, .*-sandbox support is not enabled in this QEMU binary' "$T/n.err"
# probed_once: one start with -sandbox (the probe), the guest's QEMU without it
probed_once() { [ "$(grep -c -e '-sandbox' "$T/qemu-args")" -eq 1 ] && [ "$(wc -l <"$T/qemu-args")" -eq 2 ]; }
check "... probed once, the guest's QEMU started without -sandbox" probed_once
"$HVDUMP" run --name nosb --kernel "$VMLINUZ" --initrd "$INITRD" --memory 512M --no-console \
	--no-sandbox --qemu "$T/qemu-noseccomp" --append "console=ttyS0 quiet hvdump.poweroff=0" \
	>"$T/s.out" 2>"$T/s.err"
RC=$?
check "--no-sandbox: no probe, no -sandbox, said so (rc=$RC)" grep_all "$T/s.err" \
	'QEMU sandbox: off (--no-sandbox)' 'guest powered off'
# not_probed: one more start, without -sandbox
not_probed() { [ "$(grep -c -e '-sandbox' "$T/qemu-args")" -eq 1 ] && [ "$(wc -l <"$T/qemu-args")" -eq 3 ]; }
check "... QEMU started once, without -sandbox" not_probed
done_testing
