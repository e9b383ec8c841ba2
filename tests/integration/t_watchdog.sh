#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --watchdog: a guest on Debian's generic kernel (its cloud kernel has no i6300esb driver)
# opens /dev/watchdog, feeds it, and stops feeding without closing it (hvdump.watchdog).  QEMU's
# i6300esb expires, pauses the guest, and hvdump dumps it as a crash: detected_by watchdog,
# the dump page-exact and holding the guest's pattern, the guest back with all its memory.
# The note: time from the last feed to the expiry, and from the expiry to the capture
# guest's /init.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
[ -x "$HVDUMP" ] || skip_all "build/hvdump not built (run make)"
eval "$("$ROOT/guest/fetch-kernel" --flavour generic --print 2>/dev/null)" &&
	eval "$("$ROOT/guest/build-demo" --flavour generic --print 2>/dev/null)" &&
	[ -r "${VMLINUZ:-}" ] && [ -r "${INITRD:-}" ] ||
	skip_all "generic kernel or its demo image missing (guest/fetch-kernel --flavour generic, guest/build-demo --flavour generic)"
mkdir -m 700 -p "$T/dumps"
seed=0x3a7c4d09
mib=32

# no `quiet`: the kernel's "Run /init" line times the capture boot
start_hvdump "$T/w" run --name wd --kernel "$VMLINUZ" --initrd "$INITRD" --memory 2G --cpus 2 \
	--dump-dir "$T/dumps" --log "$T/w.log" --no-console --save-format elf --watchdog \
	--crash-hook "$(pagehash_hook)" \
	--append "console=ttyS0 hvdump.pattern=$mib:$seed hvdump.memwatch=1 hvdump.watchdog=5"
wait_for "$T/w.log" 'console: hvdump-guest: watchdog: stopped feeding' 180
ok $? "the guest fed /dev/watchdog, then stopped"
wait_for "$T/w.log" 'guest watchdog expired at' 60
ok $? "the watchdog expired and hvdump took it as a crash"
wait_for "$T/w.log" 'every dump is saved' 240 && wait_for "$T/w.log" 'the guest has all its memory back' 60
ok $? "dump saved while the capture guest ran, memory given back"
memtotal_back "$T/w.log"

rec=$(ls "$T"/dumps/*/crash.json | head -1)
dump=$(dirname "$rec")/vmcore.elf
check "record: detected_by watchdog, the device and QEMU's action, saved" \
	grep_all "$rec" '"detected_by": "watchdog"' '"device": "i6300esb"' '"qemu_action": "pause"' \
	'"state": "saved"'
check "no kernel panic (the guest never panicked)" grep_none 'guest kernel panicked' "$T/w.log"
check_pages "the dump is page-exact against the guest's RAM at the expiry" 1 "$dump"
"$RAMSCAN" "$dump" "$seed" $((mib * 256)) >"$T/scan.out"
ok $? "the guest's $((mib * 256)) pattern pages are intact in the dump"

t_fed=$(sed -n 's/^\([^ ]*\) console: hvdump-guest: watchdog: stopped feeding.*/\1/p' "$T/w.log" | head -1)
t_exp=$(sed -n 's/.*"time": "\([^"]*\)".*/\1/p' "$rec" | head -1)
t_init=$(grep 'console: .*Run /init as init process' "$T/w.log" | sed -n '2s/^\([^ ]*\) .*/\1/p')
if [ -n "$t_fed" ] && [ -n "$t_exp" ] && [ -n "$t_init" ]; then
	diag "$(awk -v a="$(iso_to_s "$t_fed")" -v b="$(iso_to_s "$t_exp")" -v c="$(iso_to_s "$t_init")" \
		'BEGIN { printf "last feed to expiry %.2f s (timeout 5 s); expiry to the capture guest'"'"'s /init %.2f s (2 GiB, 2 vCPUs, TCG)", b - a, c - b }')"
fi
check "the capture guest reached /init" test -n "$t_init"

kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
check "stops cleanly (rc=$RC)" one_of "$RC" 0 4
done_testing
