# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for hvdump's integration tests (bash, TAP output).  Each test sources this,
# boots the real stock Debian kernel with the demo initramfs, and checks what comes out.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HVDUMP=${HVDUMP:-$ROOT/build/hvdump}
RAMSCAN=$ROOT/build/tests/tools/ramscan
_tap_n=0
_tap_fail=0

# ---- TAP -------------------------------------------------------------------------------------
# Every test point goes through check, ok or skip; done_testing prints the plan (1..N) at the
# end, so the count is always the number of points emitted.  diag lines are TAP comments.
#
#   check DESCRIPTION CMD [ARGS...]   one test point: ok when CMD exits 0
#   ok STATUS DESCRIPTION             one test point from a status already taken (ok $? "...")
#   skip REASON                       one test point that was not run: "ok N # SKIP REASON"
#   skip_all REASON                   nothing (more) to run: "1..0 # SKIP REASON", or the plan
#                                     of the points already emitted; exits
#   diag TEXT                         TEXT as "# " lines
#   done_testing                      the plan; fails when any point failed
#
# CMD of check is one simple command: a program, a builtin (test, not [ ]) or a shell function.
# A condition built with &&, ||, !, a pipe or [[ ]] goes into a small named function (the
# failure report then traces which part of it failed); the common ones are below check.

# ok STATUS DESCRIPTION: one test point, ok when STATUS is 0.
ok() {
	local st=$1
	shift
	_tap_n=$((_tap_n + 1))
	if [ "$st" -eq 0 ]; then
		echo "ok $_tap_n - $*"
	else
		echo "not ok $_tap_n - $*"
		echo "not ok $_tap_n - $*" >&2 # prove shows stderr: the failure is in CI's log
		_tap_fail=$((_tap_fail + 1))
	fi
}

# check DESCRIPTION CMD [ARGS...]: run CMD in a subshell (it cannot change the test's
# variables; its stdin is check's), one test point: ok when CMD exits 0.  On failure the
# diagnostics show CMD's exit status, what ran as a shell trace (the last 20 steps: for a
# function each step with its values), then CMD's output (stdout and stderr, the last 40
# lines).  Leaves that output in CHECK_OUT and returns CMD's status.  (Its own variables are
# named _check_*: a function CMD sees its callers' variables, and must not find them hidden.)
check() {
	local _check_what=$1 _check_st _check_trace=$T/.check-trace
	shift
	CHECK_OUT=$(
		exec 9>"$_check_trace"
		BASH_XTRACEFD=9
		PS4='+ '
		set -x
		"$@" 2>&1
	)
	_check_st=$?
	ok "$_check_st" "$_check_what"
	if [ "$_check_st" -ne 0 ]; then
		{
			diag "  exit $_check_st from:"
			diag "$(tail -n 20 "$_check_trace" | sed 's/^+//; s/^/    /')"
			if [ -n "$CHECK_OUT" ]; then
				diag "  output:"
				diag "$(tail -n 40 <<<"$CHECK_OUT" | sed 's/^/    /')"
			fi
		} | tee /dev/stderr
	fi
	rm -f "$_check_trace"
	return "$_check_st"
}

# skip REASON: one test point that was not run.
skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # SKIP $*"
}

# skip_all REASON: end the test here.  Before any test point this is TAP's whole-file skip
# (1..0 # SKIP); after some, the plan of those and their verdict.
skip_all() {
	if [ "$_tap_n" -eq 0 ]; then
		echo "1..0 # SKIP $*"
		exit 0
	fi
	diag "skipping the rest: $*"
	done_testing
	exit
}

diag() { sed 's/^/# /' <<<"$*"; }

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_fail" -eq 0 ]
}

# Conditions for check that come up in many tests.

# grep_all FILE BRE...: FILE has a line matching each BRE (grep -q each, in turn).
grep_all() {
	local file=$1 re
	shift
	for re in "$@"; do
		grep -q -e "$re" -- "$file" || return
	done
}

# grep_none GREP-ARGS...: grep finds no line (exit 1); the lines it did find are the output.
# Stricter than "! grep -q": a missing file or a bad pattern (exit 2) fails.
grep_none() {
	grep "$@"
	[ $? -eq 1 ]
}

# exit_says RC WANT FILE BRE: exit status RC is WANT and FILE (what the command wrote) has a
# line matching BRE; when not, the start of FILE is the output.
exit_says() {
	[ "$1" -eq "$2" ] && grep -q -e "$4" -- "$3" && return
	head -n 20 -- "$3"
	return 1
}

# one_of N M...: the number N is one of the numbers M (an exit status that may be either).
one_of() {
	local n=$1 m
	shift
	for m in "$@"; do
		[ "$n" -eq "$m" ] && return
	done
	return 1
}

# no_process PATTERN: no process's command line matches PATTERN (pgrep -f exits 1); those
# that do are the output.  Stricter than "! pgrep": pgrep's own failure (exit 2, 3) fails.
no_process() {
	pgrep -af -- "$1"
	[ $? -eq 1 ]
}

# The guest: kernel and demo initramfs from the cache (tests/run-all builds them).
guest_env() {
	[ -x "$HVDUMP" ] || skip_all "build/hvdump not built (run make)"
	command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
	if [ -z "${VMLINUZ:-}" ] || [ -z "${INITRD:-}" ]; then
		eval "$("$ROOT/guest/fetch-kernel" --print 2>/dev/null)" || skip_all "guest kernel not fetched (guest/fetch-kernel)"
		eval "$("$ROOT/guest/build-demo" --print 2>/dev/null)" || skip_all "demo initramfs not built (guest/build-demo)"
	fi
	[ -r "${VMLINUZ:-}" ] && [ -r "${INITRD:-}" ] || skip_all "guest artifacts missing"
	export VMLINUZ INITRD
}

# debug_vmlinux [N]: set VMLINUX to the debug vmlinux of the guest kernel, for crash(8) as an
# independent reader of a dump: VMLINUX if set, else the one guest/fetch-kernel --dbg extracts
# (.cache/linux/KVER-dbg), else Debian's installed one; of the release VMLINUZ is.  When crash
# or that file is missing, emits N skipped test points (default 1) saying which, and returns 1.
debug_vmlinux() {
	local n=${1:-1} kver=${VMLINUZ##*/vmlinuz-} why= f i
	if [ -z "${VMLINUX:-}" ]; then
		for f in "$(dirname "$(dirname "$(dirname "$VMLINUZ")")")/$kver-dbg/usr/lib/debug/boot/vmlinux-$kver" \
			"/usr/lib/debug/boot/vmlinux-$kver"; do
			[ -r "$f" ] && VMLINUX=$f && break
		done
	fi
	if ! command -v crash >/dev/null; then
		why="crash(8) not installed"
	elif [ ! -r "${VMLINUX:-}" ]; then
		why="no debug vmlinux for $kver (guest/fetch-kernel --dbg)"
	fi
	[ -z "$why" ] && return 0
	for ((i = 0; i < n; i++)); do
		skip "$why"
	done
	return 1
}

# A private scratch area on tmpfs; everything a test makes lives here and is removed.
T=$(mktemp -d /dev/shm/hvdump-test.XXXXXX)
chmod 700 "$T"
export HVDUMP_RUN_BASE=$T/run
_bg_pids=()
cleanup() {
	for p in "${_bg_pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	pkill -KILL -f "$T/" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# start_hvdump OUT-PREFIX ARGS...: run hvdump in the background; stdout/stderr to files.
start_hvdump() {
	local out=$1
	shift
	"$HVDUMP" "$@" >"$out.stdout" 2>"$out.stderr" &
	HV_PID=$!
	_bg_pids+=("$HV_PID")
}

# wait_for FILE REGEX SECONDS: wait until FILE has a line matching REGEX.
wait_for() {
	local file=$1 re=$2 limit=$3 i=0
	while [ $i -lt $((limit * 10)) ]; do
		grep -qE -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_count FILE REGEX N SECONDS: wait until FILE has N lines matching REGEX.
wait_count() {
	local file=$1 re=$2 n=$3 limit=$4 i=0 c
	while [ $i -lt $((limit * 10)) ]; do
		c=$(grep -cE -- "$re" "$file" 2>/dev/null) # nothing while FILE does not exist
		[ "${c:-0}" -ge "$n" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_exit PID SECONDS: wait for a background process; sets RC (124 on timeout).
wait_exit() {
	local pid=$1 limit=$2 i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt $((limit * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		RC=124
		return 1
	fi
	wait "$pid"
	RC=$?
	return 0
}

# memtotal_back LOG: the guest's first MemTotal (before the crash) against its latest one,
# waiting up to 10 s for the last hot-added memory to come online; one TAP line, within 1%.
memtotal_back() {
	local log=$1 pre post
	pre=$(sed -n 's/.*console: hvdump-guest: kernel=.*memtotal_kb=\([0-9]*\).*/\1/p' "$log" | head -1)
	for _ in $(seq 50); do
		post=$(sed -n 's/.*console: hvdump-guest: .*memtotal_kb=\([0-9]*\).*/\1/p' "$log" | tail -1)
		[ -n "$post" ] && awk -v a="$pre" -v b="$post" 'BEGIN { exit !(b >= a * 0.99) }' && break
		sleep 0.2
	done
	check "guest MemTotal back to its pre-crash value within 1% (${pre:-?} kB before, ${post:-?} kB after)" \
		awk -v a="${pre:-0}" -v b="${post:-0}" 'BEGIN { if (a <= 0) exit 1; d = (b - a) / a; if (d < 0) d = -d; exit !(d <= 0.01) }'
}

# iso_to_s 2026-11-27T12:43:21.152Z -> seconds with fraction
iso_to_s() { date -u -d "$1" +%s.%N; }
