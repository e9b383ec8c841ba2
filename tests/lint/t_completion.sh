#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# dist/bash-completion/hvdump cannot drift from the commands: every command `hvdump --help`
# lists is completed, every long option `hvdump COMMAND --help` prints (its usage and option
# lines) is among that command's completions, and every option completed is one the help
# names.  Then the completion itself runs in bash: a command, an option, an option's values.
source "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
COMP=dist/bash-completion/hvdump
[ -x "$HVDUMP" ] || skip_all "build/hvdump not built (run make)"

check "the completion file sources in bash without a word on stderr or stdout" \
	eval 'out=$(bash -c ". $COMP" 2>&1) && [ -z "$out" ]'
# shellcheck source=/dev/null
. "$COMP"

cmds=$("$HVDUMP" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p')
check "hvdump --help lists commands" test -n "$cmds"
same_set() { diff <(tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort) <(tr ' ' '\n' <<<"$2" | sed '/^$/d' | sort); }
check "the completion's commands are hvdump --help's" same_set "$_hvdump_commands" "$(echo $cmds)"

# the options a command's help offers: its usage lines and its option lines
help_options() {
	"$HVDUMP" "$1" --help | grep -E '^Usage:|^ +hvdump |^ +\[|^ +(-[[:alnum:]], )?--[a-z]' |
		grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}
for c in $cmds; do
	want=$(help_options "$c")
	have=$(_hvdump_options "$c" | tr ' ' '\n' | sed '/^$/d' | sort -u)
	missing=$(comm -23 <(echo "$want") <(echo "$have"))
	check "$c: every long option of its --help is completed${missing:+ (missing: $(echo $missing))}" \
		test -z "$missing"
	check "$c: --help is accepted" eval '"$HVDUMP" "$c" --help >/dev/null'
	stale=$(comm -13 <(echo "$want") <(echo "$have") | grep -vx -- --help)
	check "$c: every completed option is in its --help${stale:+ (not there: $(echo $stale))}" \
		test -z "$stale"
done

# the completion at work
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	_hvdump
	echo "${COMPREPLY[*]}"
}
check "hvdump va<TAB> -> vacuum" test "$(complete_words hvdump va)" = vacuum
check "hvdump run --no-c<TAB> -> --no-console" test "$(complete_words hvdump run --no-c)" = --no-console
check "hvdump run --on-crash <TAB> -> the four actions" \
	test "$(complete_words hvdump run --on-crash '')" = "assisted pause dump-restart poweroff"
check "hvdump libvirt <TAB> -> check watch" test "$(complete_words hvdump libvirt '')" = "check watch"
check "hvdump libvirt watch --a<TAB> -> --all" test "$(complete_words hvdump libvirt watch --a)" = --all
check "hvdump libvirt check -c <TAB> -> nothing (a URI)" test -z "$(complete_words hvdump libvirt check -c '')"
check "hvdump convert -c z<TAB> -> zstd zlib" test "$(complete_words hvdump convert -c z)" = "zstd zlib"
mkdir -p "$T/run/vm1" "$T/run/notvm" && : >"$T/run/vm1/lock"
check "hvdump dump <TAB> -> the live VM's name (its run directory has a lock)" \
	test "$(HVDUMP_RUN_BASE=$T/run complete_words hvdump dump '')" = vm1
done_testing
