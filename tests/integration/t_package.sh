#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package: `dpkg-buildpackage -us -uc -b` of a clean copy of the tree (the files
# git tracks or would track, copied out, so the build leaves nothing in the tree), its unit
# tests run in the build, lintian reports no error, and the .deb holds the binary, the guest
# saver, a man page for every docs/hvdump*.md page and command, the unit, the completion;
# the unit is neither enabled nor started by its scripts; its version is hvdump --version's.
# Prints the build's time.
. "$(dirname "$0")/../lib/common.sh"
for c in dpkg-buildpackage dh lintian pandoc git fakeroot; do
	command -v "$c" >/dev/null || skip_all "$c not installed (scripts/install-deps)"
done
git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1 || skip_all "not a git tree: nothing says which files are the source"
ver=$("$HVDUMP" --version | cut -d' ' -f2)
check "debian/changelog's version is hvdump --version's ($ver)" \
	grep -q "^hvdump ($ver) " "$ROOT/debian/changelog"

before=$(git -C "$ROOT" status --porcelain --ignored | sort)
S=$T/hvdump-$ver
mkdir -p "$S"
git -C "$ROOT" ls-files -z -co --exclude-standard |
	(cd "$ROOT" && tar --null --ignore-failed-read -T - -cf -) | tar -xf - -C "$S"
check "a clean copy: no build directory in it" test ! -e "$S/build"
t0=$(date +%s.%N)
(cd "$S" && DEB_BUILD_OPTIONS="parallel=2" dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1
rc=$?
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
diag "dpkg-buildpackage -us -uc -b (parallel=2): $secs s, exit $rc"
deb=$T/hvdump_${ver}_amd64.deb
build_ok() { [ "$rc" -eq 0 ] && [ -s "$deb" ] && return; tail -n 30 "$T/build.log"; return 1; }
check "dpkg-buildpackage -us -uc -b builds $(basename "$deb")" build_ok || skip_all "no package to check"
check "the build ran the unit tests, and they passed" \
	grep_all "$T/build.log" 'make.* unit-check' '^All tests successful'
only_unit() { # every program prove ran is a unit test (no guest is booted by one)
	local ran
	ran=$(grep -oE '^[^ ]+ \.\.+ ' "$T/build.log" | cut -d' ' -f1)
	[ -n "$ran" ] && grep_none -v '^build/tests/unit/test_' <<<"$ran"
}
check "the build ran unit tests only (no integration test, no guest)" only_unit
after=$(git -C "$ROOT" status --porcelain --ignored | sort)
check "the source tree is as it was" test "$before" = "$after"

lintian --fail-on none --display-info --pedantic --show-overrides "$T/hvdump_${ver}_amd64.changes" >"$T/lintian.out" 2>&1
diag "lintian: $(grep -c '^E:' "$T/lintian.out") errors, $(grep -c '^W:' "$T/lintian.out") warnings, $(grep -c '^[IPX]:' "$T/lintian.out") info or pedantic, $(grep -c '^N: *[A-Z]:\|^O:' "$T/lintian.out") overridden (debian/hvdump.lintian-overrides says why)"
diag "$(grep -v 'root privileges' "$T/lintian.out")"
check "lintian: no error" grep_none '^E:' "$T/lintian.out"

dpkg-deb -c "$deb" | awk '{ print $1, $6 }' | sed 's# \./# /#' >"$T/contents"
want=(/usr/bin/hvdump /usr/lib/hvdump/hvdump-save /lib/systemd/system/hvdump@.service
	/lib/systemd/system/run-hvdump.mount /usr/share/bash-completion/completions/hvdump
	/usr/lib/tmpfiles.d/hvdump.conf /etc/logrotate.d/hvdump /usr/share/doc/hvdump/copyright
	/usr/share/doc/hvdump/hvdump.conf.example)
for f in "$ROOT"/docs/hvdump.md "$ROOT"/docs/hvdump-*.md; do
	want+=("/usr/share/man/man1/$(basename "$f" .md).1.gz")
done
for c in $("$HVDUMP" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p'); do
	want+=("/usr/share/man/man1/hvdump-$c.1.gz") # a page or a link for every command
done
missing=$(for f in "${want[@]}"; do grep -q " $f\$" "$T/contents" || echo "$f"; done | sort -u)
check "the .deb holds the binaries, every man page, the units, completion${missing:+ (missing: $(echo $missing))}" \
	test -z "$missing"
check "hvdump and hvdump-save executable, the unit 0644" \
	grep_all "$T/contents" '^-rwxr-xr-x /usr/bin/hvdump$' '^-rwxr-xr-x /usr/lib/hvdump/hvdump-save$' \
	'^-rw-r--r-- /lib/systemd/system/hvdump@.service$'
check "Depends: qemu-system-x86 and the libraries" \
	grep -qE '^Depends: .*libjansson4.*qemu-system-x86' <(dpkg-deb -f "$deb" Depends | sed 's/^/Depends: /')
mkdir "$T/ctl" && dpkg-deb -e "$deb" "$T/ctl"
# debhelper's dont-enable form: `deb-systemd-helper enable` only under `debian-installed` and
# `was-enabled` (an admin's enabling kept across upgrades); its enable form runs it on a fresh
# install ("new installations run enable")
no_enable() {
	grep_none -rE 'deb-systemd-invoke (start|restart)|new installations run enable' "$T/ctl" &&
		{ ! grep -q 'deb-systemd-helper enable' "$T/ctl/postinst" 2>/dev/null ||
			grep -q "deb-systemd-helper debian-installed 'hvdump-libvirt.service'" "$T/ctl/postinst"; }
}
check "the maintainer scripts neither enable nor start a unit on install" no_enable
dpkg-deb -x "$deb" "$T/x"
check "the packaged hvdump runs" eval '"$T/x/usr/bin/hvdump" --version | grep -qx "hvdump $ver"'
done_testing
