#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# hvdump's side of bench/damage (issue 16): the crashes that defeat in-guest kdump, each run
# by hvdump on a 1 GiB guest with crashkernel= on its command line; each dump must be
# page-exact against the crashed RAM (hashed on the host by a --crash-hook before anything
# else runs) and the guest must be back with all its memory.
#   scribble  the dying kernel overwrites the "Crash kernel" range (hvdump_scribble.ko), then
#             panics: the overwritten pages are in the dump as they were in RAM
#   busy      the guest writes its virtio disk and sends on its virtio network as fast as it
#             can when it crashes
#   small     crashkernel=128M (Debian kdump-tools' choice) and a distro-sized initramfs
#             (42 MB): kdump's capture kernel dies of it (bench/damage, on 16 GiB); hvdump
#             boots the guest's own initramfs in a boot region sized for it.  The 16 GiB guest
#             is bench/damage's: here the same initramfs and crashkernel= on 3 GiB, whose low
#             RAM reaches above 2 GiB as the 16 GiB guest's does (QEMU then loads the initrd
#             at the top of low RAM: 10 MiB of its 42 MB once fell outside hvdump's zones
#             there, and the dump lacked them).
#   midump    the capture guest crashes while hvdump saves the first dump (the saver slowed
#             to zlib on one thread so it is mid-save): both dumps page-exact
# kdump's side needs minutes of TCG per scenario and is bench/damage's.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
guest_env
[ -x "$PAGEHASH_TOOLS/pagecmp" ] || skip_all "build/tests/tools not built (run make)"
eval "$("$ROOT/guest/build-damage" --print 2>"$T/build.err")" ||
	skip_all "guest/build-damage failed: $(tail -n1 "$T/build.err")"
small_initrd=$DAMAGE_INITRD
eval "$("$ROOT/guest/build-damage" --pad 40 --capture-pad 40 --print 2>"$T/build.err")" ||
	skip_all "guest/build-damage --pad 40 failed: $(tail -n1 "$T/build.err")"
distro_initrd=$DAMAGE_INITRD
DAMAGE_INITRD=$small_initrd
B=512M

# run_one NAME NPANIC INITRD APPEND [HVDUMP-ARGS...]: hvdump runs the scenario's guest until
# NPANIC crashes are saved and the guest has all its memory back; the log is $T/NAME.log,
# the hook's hashes are in $T (pagehash.sh: crash N is host N), the dumps in $T/NAME.
run_one() {
	local name=$1 np=$2 initrd=$3 app=$4
	shift 4
	rm -f "$T"/host*.hsh "$T"/dimms*.txt
	mkdir -m 700 -p "$T/$name"
	start_hvdump "$T/$name" run --name "d-$name" --kernel "$VMLINUZ" --initrd "$initrd" \
		--memory "${MEM:-1G}" --cpus 2 --dump-dir "$T/$name" --log "$T/$name.log" --no-console \
		--crash-hook "$(pagehash_hook $(($(numfmt --from=iec $B))))" "$@" \
		--append "console=ttyS0 quiet hvdump.workload=256 $app"
	local i n
	for i in $(seq 1500); do
		n=$(grep -c 'guest kernel panicked' "$T/$name.log" 2>/dev/null)
		# each boot's guest says "service ok": the last capture guest is up as well
		if [ "${n:-0}" -ge "$np" ] && after_n "$name" "$np" | grep -q 'every dump is saved' &&
			after_n "$name" "$np" | grep -q 'the guest has all its memory back' &&
			[ "$(grep -c 'console: hvdump-guest: service ok' "$T/$name.log")" -gt "$np" ]; then
			break
		fi
		grep -q 'damage FAILED' "$T/$name.log" 2>/dev/null && break
		kill -0 "$HV_PID" 2>/dev/null || break
		sleep 0.2
	done
	diag "$(grep -E 'panicked|damage|crashed too|saving stopped|in service|dump saved|memory back' "$T/$name.log" | cut -c1-200)"
}
# after_n NAME N: NAME's log from its Nth crash on
after_n() { awk -v n="$2" '/guest kernel panicked/ { p++ } p >= n' "$T/$1.log"; }

# saved_page_exact NAME N: dump N of NAME's run (in crash order) is page-exact
saved_page_exact() {
	local recs dump
	mapfile -t recs < <(ls "$T/$1"/*/crash.json | sort)
	dump=$(ls "$(dirname "${recs[$2 - 1]}")"/vmcore.* | head -1)
	pages_match "$2" "$dump"
}

# back_in_service NAME N: the Nth boot's guest (a capture guest) runs its service, and the
# run ended with all memory back; then hvdump is stopped
back_in_service() {
	test "$(grep -c 'console: hvdump-guest: service ok' "$T/$1.log")" -ge "$2" &&
		after_n "$1" "$(($2 - 1))" | grep -q 'the guest has all its memory back'
}

stop_run() {
	kill -TERM "$HV_PID"
	wait_exit "$HV_PID" 60
	check "$1: hvdump stops cleanly, every dump saved (rc=$RC)" test "$RC" -eq 0
}

# ---- scribble ------------------------------------------------------------------------------
run_one scribble 1 "$DAMAGE_INITRD" "crashkernel=256M hvdump.damage=scribble"
scribbled() {
	grep -q 'console: hvdump-guest: damage: scribble: Crash kernel [0-9a-f]*-[0-9a-f]* (256 MiB)' "$T/scribble.log" &&
		grep -q 'guest kernel panicked .*hvdump_scribble: 65536 pages of 0x[0-9a-f]*-0x[0-9a-f]* overwritten (0)' "$T/scribble.log"
}
check "scribble: the dying kernel overwrote all 256 MiB of the Crash kernel range, then panicked" scribbled
check_pages "scribble: the dump is page-exact, the overwritten range included" 1 \
	"$(ls "$T"/scribble/*/vmcore.* 2>/dev/null | head -1)"
check "scribble: the capture guest is in service with all its memory back" back_in_service scribble 2
stop_run scribble

# ---- busy ----------------------------------------------------------------------------------
truncate -s 256M "$T/scratch.img"
run_one busy 1 "$DAMAGE_INITRD" "crashkernel=256M hvdump.damage=busy:/dev/vda" \
	--disk "$T/scratch.img" --nic user
busy_moved() {
	local l
	l=$(grep -m1 'damage: busy: in 3 s sent' "$T/busy.log") || return 1
	echo "$l"
	# both moved data: "sent N MiB on eth0, wrote M MiB", N and M not 0
	grep -qE 'sent [1-9][0-9]* MiB on eth0, wrote [1-9][0-9]* MiB' <<<"$l"
}
check "busy: the disk and the network were busy when the guest crashed" busy_moved
check_pages "busy: the dump is page-exact" 1 "$(ls "$T"/busy/*/vmcore.* 2>/dev/null | head -1)"
check "busy: the capture guest is in service with all its memory back" back_in_service busy 2
stop_run busy
rm -f "$T/scratch.img"

# ---- small ---------------------------------------------------------------------------------
isz=$(stat -c %s "$distro_initrd")
MEM=3G run_one small 1 "$distro_initrd" "crashkernel=128M hvdump.damage=crash"
distro_sized() {
	[ "$isz" -ge $((30 << 20)) ] && [ "$isz" -le $((60 << 20)) ] &&
		grep -m1 'debug: starting: qemu' "$T/small.log" | grep -q ' crashkernel=128M '
}
check "small: a distro-sized initramfs ($((isz >> 20)) MiB, 30-60 MB wanted), crashkernel=128M on the guest's command line" \
	distro_sized
check_pages "small: the dump is page-exact" 1 "$(ls "$T"/small/*/vmcore.* 2>/dev/null | head -1)"
check "small: the capture guest booted that initramfs and is in service with all its memory back" \
	back_in_service small 2
stop_run small

# ---- midump --------------------------------------------------------------------------------
truncate -s 1M "$T/mark.img"
run_one midump 2 "$DAMAGE_INITRD" \
	"crashkernel=256M hvdump.damage=crash hvdump.crash_capture=1 hvdump.capture_once=/dev/vda" \
	--boot-region $B --compress zlib --save-threads 1 --disk "$T/mark.img"
mid_save() {
	# the capture guest's crash stopped the first save part-way
	grep -q 'the capture guest crashed too; the earlier crash stays preserved' "$T/midump.log" &&
		grep -qE 'saving stopped after [0-9.]+ [KMG]iB of' "$T/midump.log"
}
check "midump: the capture guest crashed while the first dump was being saved" mid_save
check "midump: dump 1 (the guest's crash) is page-exact" saved_page_exact midump 1
check "midump: dump 2 (the capture guest's crash) is page-exact" saved_page_exact midump 2
check "midump: the second capture guest is in service with all its memory back" back_in_service midump 3
stop_run midump
done_testing
