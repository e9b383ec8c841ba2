#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The shape docs/architecture.md promises, checked on every run so it cannot drift:
# - a floor includes only floors below it (util < qemu < format < dump < vm < libvirt < cli;
#   format and qemu do not include each other, nor do dump and disk);
# - no file of src/ over 700 lines, no function over 120;
# - no include cycle and no call cycle among the files of src/ (a file "calls" another when it
#   names an external function the other defines; comments are stripped first).
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"

command -v ctags-universal >/dev/null || skip_all "universal-ctags is not installed (scripts/install-deps)"
CTAGS=ctags-universal
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rank() {
	case $1 in
	util) echo 0 ;; qemu) echo 1 ;; format) echo 1 ;; dump) echo 2 ;; disk) echo 2 ;; vm) echo 3 ;;
	libvirt) echo 4 ;; cli) echo 5 ;; *) echo 9 ;;
	esac
}

# ---- floors ----------------------------------------------------------------------------------
up=$tmp/up
: >"$up"
for f in src/*/*.[ch]; do
	floor=${f#src/}
	floor=${floor%%/*}
	grep -o '^#include "[a-z]*/' "$f" | sed 's/#include "//; s#/##' | sort -u |
		while read -r to; do
			if [ "$to" != "$floor" ] && [ "$(rank "$to")" -ge "$(rank "$floor")" ]; then
				echo "$f includes $to/"
			fi
		done >>"$up"
done
check "no file includes a floor above or beside its own" test ! -s "$up"
[ -s "$up" ] && diag "$(cat "$up")"

# ---- sizes -----------------------------------------------------------------------------------
big=$tmp/big
wc -l src/*/*.c src/*/*.h | awk '$2 != "total" && $1 > 700 { print $2 ": " $1 " lines" }' >"$big"
check "no file of src/ over 700 lines" test ! -s "$big"
[ -s "$big" ] && diag "$(cat "$big")"

long=$tmp/long
$CTAGS --c-kinds=f --fields=+ne -o - src/*/*.c |
	awk -F'\t' '{ s = e = 0
		for (i = 4; i <= NF; i++) {
			if ($i ~ /^line:/) s = substr($i, 6)
			if ($i ~ /^end:/) e = substr($i, 5)
		}
		if (e - s + 1 > 120) print $2 ": " $1 "() " e - s + 1 " lines" }' >"$long"
nfun=$($CTAGS --c-kinds=f -o - src/*/*.c | wc -l)
check "ctags found the functions of src/ ($nfun)" test "$nfun" -gt 300
check "no function of src/ over 120 lines" test ! -s "$long"
[ -s "$long" ] && diag "$(cat "$long")"

# ---- cycles ----------------------------------------------------------------------------------
# Include edges between files (a header including itself through others would be a cycle).
inc=$tmp/inc
for f in src/*/*.[ch]; do
	grep -o '^#include "[a-z_]*/[a-z_0-9]*\.h"' "$f" | sed 's/#include "//; s/"$//' |
		while read -r to; do
			echo "$f src/$to"
		done
done | sort -u >"$inc"
check "include edges found ($(wc -l <"$inc"))" test "$(wc -l <"$inc")" -gt 100
tsort "$inc" >/dev/null 2>"$tmp/inc.loop"
ok $? "no include cycle among the files of src/"
[ -s "$tmp/inc.loop" ] && diag "$(cat "$tmp/inc.loop")"

# Call edges between files: FILE names an external function that OTHER defines.
$CTAGS --c-kinds=f -o - src/*/*.c | grep -v $'\tfile:' | cut -f1,2 >"$tmp/defs"
calls=$tmp/calls
for f in src/*/*.c; do
	gcc -fpreprocessed -dD -E -P "$f" 2>/dev/null | grep -ow '[A-Za-z_][A-Za-z_0-9]*' |
		sort -u >"$tmp/words"
	awk -F'\t' -v f="$f" 'NR == FNR { w[$1] = 1; next } $2 != f && ($1 in w) { print f, $2 }' \
		"$tmp/words" "$tmp/defs"
done | sort -u >"$calls"
check "call edges found ($(wc -l <"$calls"))" test "$(wc -l <"$calls")" -gt 100
tsort "$calls" >/dev/null 2>"$tmp/call.loop"
ok $? "no call cycle among the files of src/"
[ -s "$tmp/call.loop" ] && diag "$(cat "$tmp/call.loop")"

done_testing
