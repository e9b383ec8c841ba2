#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Assisted dump of a 5 GiB guest (2 GiB of it above 4 GiB), KASLR on, 4-level paging, with a
# 20 MB initramfs: page-exact /proc/vmcore, notes, dmesg oracle.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
. "$(dirname "$0")/../lib/assisted.sh"
guest_env
command -v makedumpfile >/dev/null || skip_all "makedumpfile not installed"
eval "$("$ROOT/guest/build-demo" --pad 20 --print 2>/dev/null)" || skip_all "padded initramfs not built"
size=$(stat -c %s "$INITRD")
check "initramfs is $size bytes (>= 20 MB)" test "$size" -ge 20000000
# KASLR stays on: the command line below has no nokaslr (the kernel's offset is shown; it is
# 0 for about one boot in 500 with KASLR on, so it is shown, not asserted)
assisted_test 5G 2 "$INITRD" max,la57=off
diag "crashed kernel's $(strings "$(ls "$T"/dumps/*/notes.elf | head -1)" | grep -m1 KERNELOFFSET)"
done_testing
