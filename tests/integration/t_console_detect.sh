#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A guest without the pvpanic driver: hvdump learns of the crash from the console's panic line
# (after a grace period for a late pvpanic event), warns that pvpanic is missing, and the
# assisted dump goes on as usual: capture boot, dump saved.  The crash record says the console
# detected the crash (it once said pvpanic whatever detected it).
. "$(dirname "$0")/../lib/common.sh"
guest_env
mkdir -m 700 -p "$T/dumps"

start_hvdump "$T/c" run --name consdet --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--dump-dir "$T/dumps" --log "$T/c.log" --no-console --compress lzo \
	--append "console=ttyS0 quiet hvdump.crash=0 hvdump.skip_modules=pvpanic-mmio"
wait_for "$T/c.log" 'every dump is saved' 180
ok $? "the dump of a crash seen on the console only is saved"
diag "$(grep -E 'pvpanic|panicked|capture guest|dump saved' "$T/c.log" | cut -c1-180)"
check "the guest ran without the pvpanic driver" \
	grep -q 'console: hvdump-guest: not loading pvpanic-mmio' "$T/c.log"
check "hvdump says pvpanic did not report the panic" \
	grep -q 'pvpanic did not report it' "$T/c.log"
check "the panic is reported as detected by the console" \
	grep -q 'guest kernel panicked at .*(detected by console): sysrq triggered crash' "$T/c.log"
rec=$(ls "$T"/dumps/*/crash.json | head -1)
check "the crash record says the console detected it" \
	grep -q '"detected_by": "console"' "$rec"
check "... and carries the panic text" grep -q '"panic": "sysrq triggered crash' "$rec"
check "a capture guest booted" grep -q 'started (boot 2, .*capture boot)' "$T/c.log"
check "the crash record says saved" grep -q '"state": "saved"' "$rec"
check "the dump is there" test -s "$(dirname "$rec")/vmcore.kdump"

kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
check "stops cleanly after the save (rc=$RC)" one_of "$RC" 4 0
done_testing
