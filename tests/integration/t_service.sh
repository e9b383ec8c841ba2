#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# hvdump@.service under a real systemd: systemd 252 runs as PID 1 of a private PID, mount, UTS
# and IPC namespace (its own /run, /var, /tmp and an overlay on /etc), with its own journald;
# the units are the ones `make install` puts in place, ExecStart's path to the installed hvdump
# rewritten, and DefaultDependencies=no added: the default dependencies would pull in
# sysinit.target, whose units act on the whole host (tmpfiles empties /tmp, sysctl, modules,
# binfmt, the clock); every unit the host's .wants directories would add is masked too.
# - hvdump@good (the demo guest crashes, its dump is saved): `systemctl start` returns once
#   hvdump says READY=1; StatusText follows the VM; the crash and the save are in the journal
#   of the unit's own hvdump; `systemctl stop` powers the guest off: exit 0, the unit inactive,
#   not failed.
# - hvdump@kept (--save none: the crash's memory stays unsaved): `systemctl stop` ends it with
#   exit 4; the unit is failed with status 4 and NOT restarted (RestartPreventExitStatus), and
#   the run directory under /run/hvdump keeps the crashed RAM (RuntimeDirectoryPreserve).
if [ -z "${HVDUMP_T_SERVICE_NS:-}" ]; then
	. "$(dirname "$0")/../lib/common.sh"
	[ "$(id -u)" -eq 0 ] || skip_all "needs root for a private PID and mount namespace"
	[ -x /lib/systemd/systemd ] || skip_all "systemd is not installed"
	guest_env
	R=$T/root
	make -s -C "$ROOT" install DESTDIR="$R" PREFIX=/usr >"$T/install.out" 2>&1 ||
		skip_all "make install failed: $(tail -1 "$T/install.out")"
	export R T VMLINUZ INITRD
	# the namespace's PID 1 is systemd; this script goes on outside it, through nsenter
	HVDUMP_T_SERVICE_NS=setup unshare --pid --fork --mount --uts --ipc --propagation private --mount-proc \
		"$0" >"$T/systemd.out" 2>&1 &
	_bg_pids+=($!)
	sd=
	for _ in $(seq 100); do
		sd=$(pgrep -f "systemd --system --unit=hvdump-test.target" | head -1)
		[ -n "$sd" ] && nsenter -t "$sd" -m -p systemctl is-system-running >/dev/null 2>&1 && break
		sleep 0.1
	done
	[ -n "$sd" ] || skip_all "systemd did not start as PID 1 of a namespace: $(tail -3 "$T/systemd.out")"
	_bg_pids+=("$sd")
	in_ns() { nsenter -t "$sd" -m -p "$@"; }
	check "systemd runs as PID 1 of the namespace" eval 'in_ns systemctl is-system-running | grep -q running'
	in_ns systemctl start systemd-journald.socket systemd-journald.service
	ok $? "its journald started"

	# one VM's configuration file, as an operator writes it
	conf() { # NAME EXTRA...
		local name=$1
		shift
		{
			echo "kernel = $VMLINUZ"
			echo "initrd = $INITRD"
			echo "memory = 1G"
			echo 'append = "console=ttyS0 quiet hvdump.crash=0"'
			echo "dump-dir = $T/dumps"
			for l in "$@"; do echo "$l"; done
		} | in_ns sh -c "mkdir -p /etc/hvdump && cat >/etc/hvdump/$name.conf"
	}
	conf good "metrics-file = $T/good.prom"
	conf kept "save = none"
	mkdir -m 700 -p "$T/dumps"

	t0=$(date +%s)
	in_ns systemctl start hvdump@good
	ok $? "systemctl start hvdump@good returns (Type=notify: READY=1)"
	diag "$(in_ns systemctl status --no-pager hvdump@good 2>&1 | head -12)"
	started() { in_ns systemctl show -p ActiveState,SubState hvdump@good | grep -q 'SubState=running'; }
	check "the unit is active, running" started
	jmsg() { in_ns journalctl --no-pager -o cat "$@" 2>/dev/null; }
	saved() { jmsg MESSAGE_ID=96634b54a744427d929cb2684143e19a HVDUMP_VM=good | grep -q 'is saved'; }
	for _ in $(seq 240); do saved && break; sleep 1; done
	check "the journal has good's save (MESSAGE_ID), $(($(date +%s) - t0)) s after the start" saved
	check "... and its crash, by MESSAGE_ID" eval \
		'jmsg MESSAGE_ID=97bb481814d44717bf59098dd2f9cf17 | grep -q "VM good: guest kernel crashed"'
	check "the unit's journal has hvdump's lines at their priorities (warning and up: no info line)" eval \
		'jmsg -u hvdump@good -p info | grep -q "dump saved" && ! jmsg -u hvdump@good -p warning | grep -q "dump saved"'
	status() { in_ns systemctl show -p StatusText --value hvdump@good; }
	for _ in $(seq 30); do status | grep -q '^running' && break; sleep 1; done
	check "StatusText: $(status)" eval 'status | grep -q "^running (boot 2)$"'
	check "the metrics file written under ProtectSystem=strict" grep -q 'hvdump_saves_total{vm="good",result="saved"} 1' "$T/good.prom"
	in_ns systemctl stop hvdump@good
	prop() { in_ns systemctl show -p "$2" --value "hvdump@$1"; }
	show() { echo "$(prop "$1" ActiveState) $(prop "$1" Result) status=$(prop "$1" ExecMainStatus) restarts=$(prop "$1" NRestarts)"; }
	diag "good after stop: $(show good)"
	check "systemctl stop: the guest powers off, exit 0, inactive (not failed)" \
		test "$(show good)" = "inactive success status=0 restarts=0"

	in_ns systemctl start hvdump@kept
	ok $? "systemctl start hvdump@kept"
	crashed() { jmsg MESSAGE_ID=97bb481814d44717bf59098dd2f9cf17 HVDUMP_VM=kept | grep -q crashed; }
	for _ in $(seq 120); do crashed && in_ns test -e /run/hvdump/kept/state.json && break; sleep 1; done
	sleep 5 # the capture guest boots
	in_ns systemctl stop hvdump@kept
	sleep 8 # RestartSec is 5 s: a restart would have come
	diag "kept after stop: $(show kept)"
	check "the crash kept unsaved: exit 4, failed, never restarted" \
		test "$(show kept)" = "failed exit-code status=4 restarts=0"
	check "the run directory under /run/hvdump keeps the crashed RAM" eval \
		'in_ns sh -c "ls /run/hvdump/kept/" | grep -q "crash-1.ram"'
	done_testing
	exit
fi

# ---- inside the namespace: make it private, then become systemd ------------------------------
set -e
mount -t tmpfs -o mode=0755 hvdump-run /run
mount -t tmpfs -o mode=0755 hvdump-var /var
mount -t tmpfs -o mode=1777 hvdump-tmp /tmp
mkdir -p "$T/etc-up" "$T/etc-work"
mount -t overlay hvdump-etc -o "lowerdir=/etc,upperdir=$T/etc-up,workdir=$T/etc-work" /etc
mkdir -p /run/systemd/system
cat >/run/systemd/system/hvdump-test.target <<'EOF'
[Unit]
Description=hvdump's service test: nothing else starts
EOF
# the installed units, their hvdump where this test installed it
for u in hvdump@.service run-hvdump.mount; do
	f=$(find "$R" -name "$u" | head -1)
	sed "s|/usr/bin/hvdump|$R/usr/bin/hvdump|" "$f" >"/run/systemd/system/$u"
done
mkdir -p /run/systemd/system/hvdump@.service.d
printf '[Unit]\nDefaultDependencies=no\n' >/run/systemd/system/hvdump@.service.d/t-service.conf
printf '[Unit]\nDescription=network-online, empty here\n' >/run/systemd/system/network-online.target
for w in /lib/systemd/system/*.wants/* /etc/systemd/system/*.wants/*; do
	[ -e "$w" ] || [ -L "$w" ] || continue
	case ${w##*/} in systemd-journald*) continue ;; esac
	ln -sf /dev/null "/run/systemd/system/${w##*/}"
done
exec /lib/systemd/systemd --system --unit=hvdump-test.target --log-target=console
