#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The configuration matrix's CI slice (tests/matrix --ci, docs/matrix.md): the Debian 12
# server on pc+SeaBIOS booted from its disk, and on q35+OVMF booted directly, each crashed and
# checked for a page-exact dump, the same page and MAC served again, MemTotal back and crash(8)
# reading the dump.  One test point per configuration, from the table's row.
source "$(dirname "$0")/../lib/common.sh"
source "$ROOT/tests/lib/distro.sh"
guest_env
distro_env
out=$("$ROOT/tests/matrix" --ci --keep "$T/keep" 2>&1)
rc=$?
diag "$out"
rows=$(grep -E '^\| (pc|q35)\+' <<<"$out")
check "the slice ran two configurations" test "$(grep -c . <<<"$rows")" -eq 2
while IFS= read -r row; do
	[ -n "$row" ] || continue
	cfg=$(cut -d'|' -f2 <<<"$row" | sed 's/^ *//; s/ *$//')
	# every check column says yes (crash(8) may be n/a without a debug vmlinux)
	bad=$(awk -F'|' '{ for (i = 3; i <= NF - 1; i++) if ($i ~ /(^| )no( |$)/) print $i }' <<<"$row")
	check "$cfg: page-exact, served again, same MAC, MemTotal back" test -z "$bad"
done <<<"$rows"
check "tests/matrix --ci exits 0 (got $rc)" test "$rc" -eq 0
done_testing
