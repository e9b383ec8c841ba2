# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for hvdump's integration tests (bash, TAP output).  Each test sources this,
# boots the real stock Debian kernel with the demo initramfs, and checks what comes out.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HVDUMP=${HVDUMP:-$ROOT/build/hvdump}
RAMSCAN=$ROOT/build/tests/tools/ramscan
_tap_n=0
_tap_fail=0

ok() { # ok COND-EXIT-STATUS DESCRIPTION
	local st=$1
	shift
	_tap_n=$((_tap_n + 1))
	if [ "$st" -eq 0 ]; then
		echo "ok $_tap_n - $*"
	else
		echo "not ok $_tap_n - $*"
		_tap_fail=$((_tap_fail + 1))
	fi
}
diag() { sed 's/^/# /' <<<"$*"; }
done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_fail" -eq 0 ]
}
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# The guest: kernel and demo initramfs from the cache (tests/run-all builds them).
guest_env() {
	[ -x "$HVDUMP" ] || skip_all "build/hvdump not built (run make)"
	command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
	if [ -z "${VMLINUZ:-}" ] || [ -z "${INITRD:-}" ]; then
		eval "$("$ROOT/guest/fetch-kernel" --print 2>/dev/null)" || skip_all "guest kernel not fetched (guest/fetch-kernel)"
		eval "$("$ROOT/guest/build-demo" --print 2>/dev/null)" || skip_all "demo initramfs not built (guest/build-demo)"
	fi
	[ -r "$VMLINUZ" ] && [ -r "$INITRD" ] || skip_all "guest artifacts missing"
	export VMLINUZ INITRD
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
	local file=$1 re=$2 n=$3 limit=$4 i=0
	while [ $i -lt $((limit * 10)) ]; do
		[ "$(grep -cE -- "$re" "$file" 2>/dev/null)" -ge "$n" ] && return 0
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
	ok $(awk -v a="${pre:-0}" -v b="${post:-0}" 'BEGIN { if (a <= 0) exit 1; d = (b - a) / a; if (d < 0) d = -d; exit !(d <= 0.01) }'; echo $?) "guest MemTotal back to its pre-crash value within 1% (${pre:-?} kB before, ${post:-?} kB after)"
}

# iso_to_s 2026-11-27T12:43:21.152Z -> seconds with fraction
iso_to_s() { date -u -d "$1" +%s.%N; }
