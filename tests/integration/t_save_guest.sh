#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The guest saver (--save guest, phyp's release_region flow): hvdump-save in the capture guest
# writes /proc/vmcore as a kdump-compressed file onto the guest's own disk and asks hvdump,
# over the org.hvdump.save virtio-serial port, to release each saved range.  hvdump releases
# only what the guest asked for; the dump is page-exact; the guest ends with its memory.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
guest_env
TOOLS=$ROOT/build/tests/tools
grep -q 'hvdump.save=' "$ROOT/guest/init" || skip_all "demo guest has no hvdump-save"
truncate -s 512M "$T/guestdisk.img"

start_hvdump "$T/g" run --name gsave --kernel "$VMLINUZ" --initrd "$INITRD" --memory 2G \
	--save guest --dump-dir "$T/dumps" --log "$T/g.log" --no-console --disk "$T/guestdisk.img" \
	--append "console=ttyS0 quiet hvdump.crash=0 hvdump.save=/dev/vda hvdump.memwatch=1" \
	--crash-hook "$(pagehash_hook)"
# while the guest saves: the host must not start a save of its own from memory the guest has
# begun to free (it would write zeros there)
wait_for "$T/g.log" 'gave .* back to the guest|the guest saved its dump' 300
"$HVDUMP" save --name gsave --resume >"$T/resume.out" 2>&1
rc=$?
if grep -q 'the guest saved its dump' "$T/g.log"; then
	skip "the guest finished its dump before hvdump save --resume could ask"
else
	check "hvdump save --resume while the guest saves: refused, the guest freed part of it (rc=$rc)" \
		exit_says "$rc" 1 "$T/resume.out" 'freed part of the dump already'
fi
wait_for "$T/g.log" 'the guest saved its dump' 300
ok $? "the guest saved its dump and said so"
diag "$(grep -aE 'console: hvdump-guest: save|guest saved|gave|capture kernel is up' "$T/g.log" | cut -c1-160 | tail -6)"
check "hvdump's own saver stayed out of it" grep_none 'saving the dump to' "$T/g.log"
check "every release the guest asked for was inside the crash" grep_none 'refused' "$T/g.log"
rec=$(ls "$T"/dumps/*/crash.json | head -1)
check "crash record: saved-by-guest, released by the guest" \
	grep_all "$rec" '"state": "saved-by-guest"' '"released_by_guest": true'
wait_for "$T/g.log" 'the guest has all its memory back' 60
ok $? "memory given back as the guest released it"
chk=$("$TOOLS/kdump-check" "$T/guestdisk.img" --hash "$T/guest.hsh" 2>&1)
ok $? "the dump on the guest's disk is a valid kdump-compressed file"
diag "$(head -1 <<<"$chk" | cut -c1-200)"
check_pages "the guest's dump is page-exact against the crashed RAM" 1 "$T/guest.hsh"
if /usr/bin/python3 -c 'import kdumpfile' 2>/dev/null; then
	/usr/bin/python3 "$ROOT/tests/tools/dbg-answers" kdumpfile "$T/guestdisk.img" 0 0 >"$T/kdf.ans" 2>&1
	rel=${VMLINUZ##*/vmlinuz-}
	check "libkdumpfile opens the guest's dump: release $rel and the kernel's version string" \
		grep_all "$T/kdf.ans" "^release=$rel\$" '^version=#1 SMP'
else
	skip "python3-libkdumpfile not installed"
fi
memtotal_back "$T/g.log"
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
done_testing
