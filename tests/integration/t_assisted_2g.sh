#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Assisted dump of a 2 GiB, 2-vCPU guest: page-exact /proc/vmcore, notes, dmesg oracle.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/pagehash.sh"
. "$(dirname "$0")/../lib/assisted.sh"
guest_env
command -v makedumpfile >/dev/null || skip_all "makedumpfile not installed"
assisted_test 2G 2 "$INITRD" max   # 5-level paging (LA57)
done_testing
