#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What hvdump tells the host's tools, against a real systemd-journald started in a private
# mount namespace (its own /run, so the host's journal, if any, is untouched):
# VM rep crashes, and its capture guest crashes too: two crashes, two saved dumps.  The journal
# has one entry per crash and per save with the fixed MESSAGE_IDs and the HVDUMP_* fields;
# hvdump's own stderr, connected to the journal as a service's is ($JOURNAL_STREAM), has its
# lines at their syslog priorities; the --on-saved hook runs with the record's path and is
# stopped at --hook-timeout; --vacuum-keep 1 removes the first crash after the second save;
# the node-exporter textfile reads back with Prometheus' own parser and counts it all.
# VM fail saves into a file system too small (80M, the reserve 64M), the space check fooled
# (its test hook) so the saver starts, and its guard stops it at the reserve: the --on-save-failed hook, the save-failed entry, the failure
# counted and the memory still preserved in the textfile.  VM full gets the same file system
# with the check intact: the save is refused, reported as a failed save (save-refused).
if [ -z "${HVDUMP_T_REPORT_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] && HVDUMP_T_REPORT_NS=1 exec unshare -m --propagation private "$0" "$@"
	echo "1..0 # SKIP needs root for a private mount namespace with its own journald"
	exit 0
fi
. "$(dirname "$0")/../lib/common.sh"
guest_env
JOURNALD=/lib/systemd/systemd-journald
[ -x "$JOURNALD" ] && command -v journalctl >/dev/null && command -v systemd-cat >/dev/null ||
	skip_all "systemd-journald, journalctl or systemd-cat missing (package systemd)"
/usr/bin/python3 -c 'import prometheus_client.parser' 2>/dev/null ||
	skip_all "python3-prometheus-client missing"
mount -t tmpfs -o mode=0755 hvdump-run /run || skip_all "cannot mount a private /run"
mkdir -p /run/systemd/journal /run/log/journal
# never the host's persistent journal either
[ ! -d /var/log/journal ] || mount -t tmpfs hvdump-journal /var/log/journal || skip_all "cannot hide /var/log/journal"
"$JOURNALD" >"$T/journald.out" 2>&1 &
_bg_pids+=($!)
wait_socket() { test -S /run/systemd/journal/socket && test -S /run/systemd/journal/stdout; }
for _ in $(seq 50); do wait_socket && break; sleep 0.1; done
check "a private journald listens" wait_socket

D=$T/dumps
SMALL=$T/small
FULL=$T/full
mkdir -m 700 -p "$D" "$SMALL" "$FULL" "$T/hooks" "$T/metrics"
mount -t tmpfs -o size=80M,mode=0700 hvdump-small "$SMALL" && mount -t tmpfs -o size=4M,mode=0700 hvdump-full "$FULL" ||
	skip_all "cannot mount a small tmpfs"
truncate -s 64M "$T/rep.img"
# hvdump as a service runs it: stdout and stderr a journal stream, $JOURNAL_STREAM naming it
as_service() {
	local tag=$1
	shift
	systemd-cat -t "$tag" --level-prefix=true /bin/sh -c \
		'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec "$@"' sh "$@" &
	HV_PID=$!
	_bg_pids+=("$HV_PID")
}
# the service manager's notify socket (Type=notify), as systemd gives one
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n", "|") + "\n")
        f.flush()
' "$T/notify.sock" "$T/notify.log" &
_bg_pids+=($!)
as_service hvrep env NOTIFY_SOCKET="$T/notify.sock" "$HVDUMP" run --name rep --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--dump-dir "$D" --log "$T/rep.log" --no-console --disk "$T/rep.img" \
	--metrics-file "$T/metrics/rep.prom" --vacuum-keep 1 --hook-timeout 2 \
	--on-saved "env | grep ^HVDUMP_ | sort >$T/hooks/saved.\$\$; sleep 60" \
	--append "console=ttyS0 quiet hvdump.crash=0 hvdump.crash_capture=1 hvdump.capture_once=/dev/vda"
rpid=$HV_PID
as_service hvfail env HVDUMP_TEST_SPACE_ESTIMATE=4096 "$HVDUMP" run --name fail --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--dump-dir "$SMALL/dumps" --log "$T/fail.log" --no-console \
	--metrics-file "$T/metrics/fail.prom" \
	--on-save-failed "env | grep ^HVDUMP_ | sort >$T/hooks/failed" \
	--append "console=ttyS0 quiet hvdump.crash=0"
fpid=$HV_PID
as_service hvfull "$HVDUMP" run --name full --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--dump-dir "$FULL/dumps" --log "$T/full.log" --no-console --metrics-file "$T/metrics/full.prom" \
	--on-save-failed "env | grep ^HVDUMP_ | sort >$T/hooks/refused" \
	--append "console=ttyS0 quiet hvdump.crash=0"
upid=$HV_PID

wait_count "$T/rep.log" 'info: dump saved' 2 240
ok $? "rep: two crashes, both dumps saved"
wait_count "$T/rep.log" 'on-saved hook still running after 2 s: stopping it' 2 60
ok $? "rep: each on-saved hook is stopped at --hook-timeout"
wait_for "$T/rep.log" 'removed .* \(rep crash 1,' 30
ok $? "rep: vacuum after the second save removes crash 1"
wait_for "$T/fail.log" 'saving the dump failed' 120 && wait_for "$T/fail.log" 'on-save-failed hook done' 30
ok $? "fail: the save fails, the on-save-failed hook ran"
wait_for "$T/full.log" 'space check: the dump .*needs about' 120 && wait_for "$T/full.log" 'on-save-failed hook done' 30
ok $? "full: the save is refused for want of room, the on-save-failed hook ran"
fail_metrics() { grep -q '^hvdump_preserved_crashes{vm="fail"} 1$' "$T/metrics/fail.prom"; }
check "fail: the textfile shows one crash preserved unsaved while it runs" fail_metrics
kill -TERM "$rpid" "$fpid" "$upid"
wait_exit "$rpid" 60
wait_exit "$fpid" 60
wait_exit "$upid" 60
journalctl --sync >/dev/null 2>&1 || sleep 1

notified() { [ "$(grep -c '^READY=1$' "$T/notify.log")" -eq 1 ] && grep -q '^STATUS=running (boot 1)$' "$T/notify.log" &&
	grep -q '^STATUS=capture (boot 2); 1 crash(es) preserved unsaved$' "$T/notify.log" &&
	grep -q '^STATUS=running (boot 3)$' "$T/notify.log" && tail -n 3 "$T/notify.log" | grep -q '^STOPPING=1$'; }
diag "$(sort "$T/notify.log" | uniq -c | head -12)"
check "Type=notify: READY=1 once, the states in STATUS (capture, then running when all is saved), STOPPING=1" notified

J() { journalctl -D /run/log/journal --no-pager -o json "$@" 2>/dev/null; }
J >"$T/all.json"
check "the journal has entries" test -s "$T/all.json"
py() { /usr/bin/python3 -c "import json,sys
E=[json.loads(l) for l in open('$T/all.json') if l.strip()]
def by(**kw): return [e for e in E if all(e.get(k) == v for k, v in kw.items())]
$1"; }
CRASH=97bb481814d44717bf59098dd2f9cf17
SAVED=96634b54a744427d929cb2684143e19a
FAILED=246caf2a2e7c42a595b85fd58cadafca
check "four crash entries: rep 1 and 2, fail 1, full 1, priority crit, with the panic" py "
c = by(MESSAGE_ID='$CRASH')
assert sorted((e['HVDUMP_VM'], e['HVDUMP_CRASH']) for e in c) == [('fail', '1'), ('full', '1'), ('rep', '1'), ('rep', '2')], c
assert all(e['PRIORITY'] == '2' and e['HVDUMP_DETECTED_BY'] == 'pvpanic' and e['HVDUMP_PANIC'] == 'sysrq triggered crash' and e['HVDUMP_RECORD'].endswith('/crash.json') for e in c)"
check "two saved entries of rep, with the dump file, its size and the save time" py "
s = by(MESSAGE_ID='$SAVED')
assert sorted(e['HVDUMP_CRASH'] for e in s) == ['1', '2'] and all(e['HVDUMP_VM'] == 'rep' and e['HVDUMP_STATE'] == 'saved' and '/vmcore' in e['HVDUMP_DUMP_FILE'] and int(e['HVDUMP_DUMP_BYTES']) > 0 and int(e['HVDUMP_SAVE_MS']) >= 0 and e['PRIORITY'] == '6' for e in s), s"
check "save-failed entries, priority err: fail's with the error, full's refused for want of room" py "
f = {e['HVDUMP_VM']: e for e in by(MESSAGE_ID='$FAILED')}
assert sorted(f) == ['fail', 'full'] and all(e['PRIORITY'] == '3' for e in f.values()), f
assert f['fail']['HVDUMP_EVENT'] == 'save-failed' and f['fail']['HVDUMP_STATE'] == 'save-failed' and 'reserve' in f['fail']['HVDUMP_SAVE_ERROR']
assert f['full']['HVDUMP_EVENT'] == 'save-refused' and f['full']['HVDUMP_SPACE_DECISION'] == 'refused' and 'HVDUMP_DUMP_FILE' not in f['full']"
check "hvdump's stderr lines in the journal at their priorities: info 6, error 3, no <N> left" py "
r = by(SYSLOG_IDENTIFIER='hvfail')
assert any(e['PRIORITY'] == '6' and 'capture guest booting' in e['MESSAGE'] for e in r), r[:5]
assert any(e['PRIORITY'] == '3' and 'saving the dump failed' in e['MESSAGE'] for e in r)
assert not any(e['MESSAGE'].startswith('<') for e in E if isinstance(e.get('MESSAGE'), str))"

hook_env() { grep_all "$1" '^HVDUMP_EVENT=saved$' '^HVDUMP_VM=rep$' "^HVDUMP_RECORD=$D/rep-.*/crash.json$" \
	'^HVDUMP_STATE=saved$' "^HVDUMP_DUMP_FILE=$D/rep-.*/vmcore"; }
n=0
for f in "$T"/hooks/saved.*; do [ -f "$f" ] && n=$((n + 1)); done
check "two on-saved hooks ran ($n)" test "$n" -eq 2
for f in "$T"/hooks/saved.*; do check "on-saved hook's environment: $(basename "$f")" hook_env "$f"; done
check "on-save-failed hook's environment" grep_all "$T/hooks/failed" '^HVDUMP_EVENT=save-failed$' \
	'^HVDUMP_VM=fail$' '^HVDUMP_STATE=save-failed$' "^HVDUMP_RECORD=$SMALL/dumps/fail-.*/crash.json$"
check "refused save: the on-save-failed hook, the crash still unsaved" grep_all "$T/hooks/refused" \
	'^HVDUMP_EVENT=save-failed$' '^HVDUMP_VM=full$' '^HVDUMP_STATE=capture-running$' "^HVDUMP_RECORD=$FULL/dumps/full-.*/crash.json$"
kept() { [ "$(ls "$D" | wc -l)" -eq 1 ] && grep -q '"crash": 2' "$D"/rep-*/crash.json && ls "$D"/rep-*/vmcore* >/dev/null; }
check "vacuum kept crash 2 with its dump, removed crash 1" kept

prom() { /usr/bin/python3 -c "
from prometheus_client.parser import text_string_to_metric_families as parse
v = {}
for fam in parse(open('$1').read()):
    for s in fam.samples:
        v[(s.name, tuple(sorted(s.labels.items())))] = s.value
def g(name, **l): return v[(name, tuple(sorted(dict(vm='$2', **l).items())))]
$3"; }
check "rep's textfile (Prometheus' parser): 2 crashes, 2 saved, 0 failed, none preserved" prom \
	"$T/metrics/rep.prom" rep "
assert g('hvdump_crashes_total') == 2 and g('hvdump_saves_total', result='saved') == 2
assert g('hvdump_saves_total', result='failed') == 0 and g('hvdump_preserved_crashes') == 0
assert g('hvdump_preserved_bytes') == 0 and g('hvdump_dump_bytes_total') > 0
assert g('hvdump_save_seconds_total') >= g('hvdump_last_save_seconds') > 0 and g('hvdump_last_crash_time_seconds') > g('hvdump_start_time_seconds') > 0"
check "fail's textfile: 1 crash, 1 failed save, its memory preserved" prom "$T/metrics/fail.prom" fail "
assert g('hvdump_crashes_total') == 1 and g('hvdump_saves_total', result='failed') == 1
assert g('hvdump_saves_total', result='saved') == 0 and g('hvdump_preserved_crashes') == 1 and g('hvdump_preserved_bytes') > 500e6"
check "full's textfile: 1 failed save, its memory preserved" prom "$T/metrics/full.prom" full "
assert g('hvdump_saves_total', result='failed') == 1 and g('hvdump_preserved_crashes') == 1"
check "the textfile is world-readable, nothing else left beside it" eval \
	'[ "$(stat -c %a "$T/metrics/rep.prom")" = 644 ] && [ "$(ls "$T/metrics" | wc -l)" -eq 3 ]'
umount -l "$SMALL" "$FULL"
done_testing
