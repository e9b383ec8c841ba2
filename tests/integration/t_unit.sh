#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd units as `make install` puts them in a DESTDIR tree: `systemd-analyze verify
# --root` of an instance of hvdump@.service and of run-hvdump.mount says nothing at all (it
# exits 0 on a misspelt key or a bad value, so any line it prints fails the test; a broken
# copy shows it would), with the man pages of Documentation= found in the tree; the
# instance name reaches the unit (%i, also with a dash); PREFIX=/usr/local installs a unit
# whose ExecStart names that hvdump; the example configuration is one hvdump run accepts.
. "$(dirname "$0")/../lib/common.sh"
command -v systemd-analyze >/dev/null || skip_all "systemd-analyze not installed (package systemd)"
command -v pandoc >/dev/null || skip_all "pandoc not installed (scripts/install-deps)"
R=$T/root
make -s -C "$ROOT" install DESTDIR="$R" PREFIX=/usr >"$T/install.out" 2>&1
ok $? "make install DESTDIR=... PREFIX=/usr"
# the units the instance pulls in (multi-user.target, sysinit.target, ...) from this host
mkdir -p "$R/lib/systemd" && cp -a /lib/systemd/system "$R/lib/systemd/"

verify() { # ROOT UNIT...: verify says nothing and exits 0
	local root=$1 out
	shift
	out=$(MANPATH=$root/usr/share/man:$root/usr/local/share/man \
		systemd-analyze verify --root="$root" "$@" 2>&1) && [ -z "$out" ] && return
	echo "$out"
	return 1
}
check "systemd-analyze verify: hvdump@web1.service, run-hvdump.mount and hvdump-libvirt.service, not a word" \
	verify "$R" hvdump@web1.service run-hvdump.mount hvdump-libvirt.service
check "hvdump-libvirt.service: Type=notify, watch --all unless /etc/default/hvdump-libvirt says otherwise" \
	grep_all "$R/usr/lib/systemd/system/hvdump-libvirt.service" '^Type=notify$' \
	'^Environment=HVDUMP_LIBVIRT_OPTS=--all$' '^EnvironmentFile=-/etc/default/hvdump-libvirt$' \
	'^ExecStart=/usr/bin/hvdump libvirt watch $HVDUMP_LIBVIRT_OPTS$'

# the check can fail: a misspelt key, a bad value, a missing binary
U=$R/usr/lib/systemd/system/hvdump@.service
cp "$U" "$T/unit.good"
broken() { # SED-EXPR: verify of the unit edited so must fail
	sed -i "$1" "$U"
	! verify "$R" hvdump@web1.service >/dev/null
	local st=$?
	cp "$T/unit.good" "$U"
	return $st
}
check "verify catches a misspelt key (KilMode=)" broken 's/^KillMode=/KilMode=/'
check "verify catches a bad value (RestartPreventExitStatus=four)" broken 's/^RestartPreventExitStatus=.*/RestartPreventExitStatus=four/'
check "verify catches a missing binary" broken 's|/usr/bin/hvdump |/usr/bin/hvdump-nope |'

# %i: systemd-analyze condition evaluates the unit's assertion with the instance put in
inst=t-unit-$$
systemd-analyze condition --root="$R" --unit="hvdump@$inst.service" >"$T/cond.out" 2>&1
diag "$(cat "$T/cond.out")"
check "instance $inst: AssertPathExists=/etc/hvdump/$inst.conf (the dash kept, as %i does)" \
	grep -qF "AssertPathExists=/etc/hvdump/$inst.conf" "$T/cond.out"
check "the unit's settings: Type=notify, RestartPreventExitStatus has 4, run dir kept, KillMode=mixed" \
	grep_all "$U" '^Type=notify$' '^NotifyAccess=main$' '^RestartPreventExitStatus=.*\b4\b' \
	'^RuntimeDirectory=hvdump/%i$' '^RuntimeDirectoryPreserve=yes$' '^KillMode=mixed$' \
	'^Environment=HVDUMP_RUN_BASE=/run/hvdump$' '^ProtectSystem=strict$' \
	'^ExecStart=/usr/bin/hvdump run .*--config /etc/hvdump/%i.conf --name %i --no-console$'
stop_s=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)min$/\1/p' "$U")
shut_s=$(sed -n 's/.*--shutdown-timeout S.*(\([0-9]*\))$/\1/p' <("$HVDUMP" run --help))
check "TimeoutStopSec (${stop_s:-?} min) is above hvdump's --shutdown-timeout default (${shut_s:-?} s) + 60 s" \
	test "$((${stop_s:-0} * 60))" -gt "$((${shut_s:-1000} + 60))"
diag "$(systemd-analyze security --offline=yes --root="$R" hvdump@web1.service 2>&1 | tail -1)"

# PREFIX=/usr/local: the unit names /usr/local/bin/hvdump, and verify finds it there
make -s -C "$ROOT" install DESTDIR="$R" PREFIX=/usr/local >"$T/install2.out" 2>&1
rm "$U" "$R/usr/bin/hvdump"
check "PREFIX=/usr/local: ExecStart names /usr/local/bin/hvdump" \
	grep -q '^ExecStart=/usr/local/bin/hvdump run ' "$R/usr/local/lib/systemd/system/hvdump@.service"
check "PREFIX=/usr/local: verify says nothing" verify "$R" hvdump@web1.service

# the example configuration parses: what is refused is the example's disk, not a line
HVDUMP_RUN_BASE=$T/run "$HVDUMP" run --config "$R/usr/share/doc/hvdump/hvdump.conf.example" \
	--name ex --no-console >"$T/ex.out" 2>&1
rc=$?
check "hvdump run --config hvdump.conf.example: every line accepted, only its disk is missing (rc=$rc)" \
	exit_says "$rc" 2 "$T/ex.out" 'disk /var/lib/hvdump/web1.qcow2: No such file'
done_testing
