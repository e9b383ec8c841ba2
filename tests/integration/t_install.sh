#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make install DESTDIR=... PREFIX=/usr`: exactly the files docs/service.md lists, with their
# modes; every man page renders without a groff warning and has a NAME line, the .so pages
# reach theirs through man(1); the completion sources in bash and completes hvdump; the guest
# saver is static.  Then the INSTALLED hvdump runs the demo scenario: the demo guest boots,
# crashes, its dump is saved, and the installed `hvdump list` and `hvdump info` show it;
# `make uninstall` takes every file away again.
. "$(dirname "$0")/../lib/common.sh"
command -v pandoc >/dev/null || skip_all "pandoc not installed (scripts/install-deps)"
R=$T/root
make -s -C "$ROOT" install DESTDIR="$R" PREFIX=/usr >"$T/install.out" 2>&1
ok $? "make install DESTDIR=\$T/root PREFIX=/usr"

(cd "$R" && find . -type f -printf '%m %P\n' | sort -k2) >"$T/files"
{
	echo "644 etc/logrotate.d/hvdump"
	echo "755 usr/bin/hvdump"
	echo "755 usr/lib/hvdump/hvdump-save"
	echo "644 usr/lib/systemd/system/hvdump-libvirt.service"
	echo "644 usr/lib/systemd/system/hvdump@.service"
	echo "644 usr/lib/systemd/system/run-hvdump.mount"
	echo "644 usr/lib/tmpfiles.d/hvdump.conf"
	echo "644 usr/share/bash-completion/completions/hvdump"
	echo "644 usr/share/doc/hvdump/hvdump.conf.example"
	echo "644 usr/share/doc/hvdump/service.md"
	for f in "$ROOT"/docs/hvdump.md "$ROOT"/docs/hvdump-*.md; do
		echo "644 usr/share/man/man1/$(basename "$f" .md).1"
	done
	for c in nmi show vacuum; do echo "644 usr/share/man/man1/hvdump-$c.1"; done
} | sort -k2 >"$T/want"
check "the installed files and their modes, no more, no less" diff "$T/want" "$T/files"

M=$R/usr/share/man/man1
renders() { # PAGE: groff says nothing, the NAME line is there
	local out
	out=$(groff -man -Tutf8 -ww -z "$1" 2>&1) && [ -z "$out" ] || { echo "$out"; return 1; }
	lexgrog "$1" | grep -q ': "hvdump'
}
for p in "$M"/*.1; do
	if grep -q '^\.so ' "$p"; then
		target=$(sed -n 's/^\.so man1\///p' "$p")
		check "$(basename "$p"): a .so page for $target, which man finds through it" \
			eval 'MANPATH=$R/usr/share/man man -P cat "$(basename "$p" .1)" 2>/dev/null | grep -q "^NAME"'
	else
		check "$(basename "$p"): renders without a groff warning, whatis: $(lexgrog "$p" | cut -d'"' -f2 | cut -c1-50)" \
			renders "$p"
	fi
done
check "man -l hvdump-run.1: the options and exit status are in the page" \
	eval 'MANWIDTH=100 man -l "$M/hvdump-run.1" 2>/dev/null | grep_all /dev/stdin "--shutdown-timeout" "Exit status"'

check "the completion sources in bash and completes hvdump" \
	eval 'bash -c ". $R/usr/share/bash-completion/completions/hvdump && complete -p hvdump" | grep -q -- "-F _hvdump hvdump$"'
check "hvdump-save is static (no program interpreter)" \
	eval 'readelf -lW "$R/usr/lib/hvdump/hvdump-save" | grep_none -i "interpreter"'

# the demo scenario with the installed hvdump
HVDUMP=$R/usr/bin/hvdump
guest_env
D=$T/dumps
mkdir -m 700 -p "$D"
start_hvdump "$T/i" run --name inst --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--dump-dir "$D" --log "$T/i.log" --no-console --append "console=ttyS0 quiet hvdump.crash=0"
running_exe() { # the background shell execs hvdump a moment after it starts
	for _ in $(seq 50); do [ "$(readlink "/proc/$HV_PID/exe")" = "$HVDUMP" ] && return 0; sleep 0.1; done
	return 1
}
check "the running hvdump is the installed one" running_exe
wait_for "$T/i.log" 'every dump is saved' 240
ok $? "the demo guest crashed and the installed hvdump saved its dump"
diag "$(grep -E 'Kernel panic|dump saved|every dump' "$T/i.log" | cut -c1-150 | head -4)"
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
check "SIGTERM: the guest powers off, exit 0 (its crash is saved: rc=$RC)" test "$RC" -eq 0

"$HVDUMP" list --dump-dir "$D" >"$T/list.txt" 2>&1
diag "$(cat "$T/list.txt")"
check "hvdump list: one crash of inst, saved, with the panic" \
	eval '[ "$(wc -l <"$T/list.txt")" -eq 2 ] && grep -E " inst .* saved .*sysrq triggered crash" "$T/list.txt"'
dump=$(ls "$D"/inst-*/vmcore* 2>/dev/null | head -1)
"$HVDUMP" info --no-pages "$dump" >"$T/info.txt" 2>&1
check "hvdump info on the saved dump: the panic message" \
	grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$T/info.txt"

make -s -C "$ROOT" uninstall DESTDIR="$R" PREFIX=/usr >"$T/uninstall.out" 2>&1
left=$(find "$R" -type f | sed "s#^$R##")
check "make uninstall removes every file it installed${left:+ (left: $(echo $left))}" test -z "$left"
done_testing
