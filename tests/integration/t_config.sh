#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `hvdump run --config FILE`: a VM described by a file (as a service would run it) runs as
# the same options on the command line do: the same QEMU command line, the same VM line in the
# log; an option on the command line after --config wins; a file with an unknown option, a
# missing value or --config itself is refused with FILE:LINE (exit 2) and nothing starts.
. "$(dirname "$0")/../lib/common.sh"
guest_env
mkdir -m 700 -p "$T/d"
cat >"$T/vm.conf" <<CONF
# the demo guest, as a service would run it
name = cfg
kernel = $VMLINUZ
initrd = $INITRD
memory = 768M
cpus = 2
append = "console=ttyS0 quiet hvdump.poweroff=1"
dump-dir = $T/d
no-console
watchdog = no
CONF
qemu_line() { grep -o 'starting: qemu-system.*' "$1" | head -1; }

"$HVDUMP" run --config "$T/vm.conf" --log "$T/a.log" >"$T/a.out" 2>&1
ok $? "the VM of vm.conf powers off: exit 0"
"$HVDUMP" run --name cfg --kernel "$VMLINUZ" --initrd "$INITRD" --memory 768M --cpus 2 \
	--append "console=ttyS0 quiet hvdump.poweroff=1" --dump-dir "$T/d" --no-console \
	--log "$T/b.log" >"$T/b.out" 2>&1
ok $? "the same options on the command line: exit 0"
check "the same QEMU command line" test -n "$(qemu_line "$T/a.log")" -a "$(qemu_line "$T/a.log")" = "$(qemu_line "$T/b.log")" ||
	diag "$(qemu_line "$T/a.log"; qemu_line "$T/b.log")"
check "the same VM line" cmp -s <(grep -o "VM 'cfg': .*" "$T/a.log") <(grep -o "VM 'cfg': .*" "$T/b.log")
"$HVDUMP" run --config "$T/vm.conf" --memory 640M --log "$T/c.log" >"$T/c.out" 2>&1
check "--memory after --config wins" grep -q "VM 'cfg': 2 vCPU, 640.00 MiB RAM" "$T/c.log"

printf 'name = x\nmemory = 1G\nbogus = 3\n' >"$T/bad.conf"
"$HVDUMP" run --config "$T/bad.conf" >/dev/null 2>"$T/bad.err"
rc=$?
check "an unknown option: exit 2, FILE:LINE named (rc=$rc)" exit_says "$rc" 2 "$T/bad.err" 'bad.conf:3: .bogus. is not an option'
printf 'kernel\n' >"$T/bad2.conf"
"$HVDUMP" run --config "$T/bad2.conf" >/dev/null 2>"$T/bad2.err"
rc=$?
check "a missing value: exit 2 (rc=$rc)" exit_says "$rc" 2 "$T/bad2.err" 'bad2.conf:1: kernel needs a value'
printf 'config = %s\n' "$T/vm.conf" >"$T/bad3.conf"
"$HVDUMP" run --config "$T/bad3.conf" >/dev/null 2>"$T/bad3.err"
rc=$?
check "--config inside a config: exit 2 (rc=$rc)" exit_says "$rc" 2 "$T/bad3.err" "bad3.conf:1: 'config'"
"$HVDUMP" run --config "$T/nowhere.conf" >/dev/null 2>"$T/none.err"
rc=$?
check "a missing file: exit 2 (rc=$rc)" exit_says "$rc" 2 "$T/none.err" 'nowhere.conf: No such file'
check "nothing started for the refused files" test ! -e "$T/d/x"
done_testing
