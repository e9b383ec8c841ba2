#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Off-host copies against a real sshd this test starts on 127.0.0.1 (its own host key, a
# client key, known_hosts filled from the host key, so StrictHostKeyChecking=yes holds).
# The demo guest crashes and the host saver saves it; then `hvdump copy` copies the dump,
# dmesg.txt and crash.json: the remote files are the local ones byte for byte, the remote
# directory is 0700 and holds no .part file, both records say where the copy is and that it
# was checked.  A wrong host key, a port where nothing listens and a remote directory that
# cannot be written each fail with exit 1 and a message naming the problem, leave the local
# dump as it was (--drop-local too) and put the reason in the record; `hvdump copy CRASH`
# with no --to then retries the failed URL.  --drop-local removes the local dump once the
# copy is checked.  Last, `hvdump run --dump-target` copies each crash it saves by itself.
. "$(dirname "$0")/../lib/common.sh"
guest_env
SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || skip_all "sshd not installed (openssh-server)"
command -v ssh >/dev/null && command -v ssh-keygen >/dev/null || skip_all "ssh not installed (openssh-client)"

# ---- an sshd of our own ------------------------------------------------------------------
S=$T/ssh
mkdir -m 700 "$S"
ssh-keygen -q -t ed25519 -N '' -C hvdump-test-host -f "$S/host_key"
ssh-keygen -q -t ed25519 -N '' -C hvdump-test-other -f "$S/other_host_key"
ssh-keygen -q -t ed25519 -N '' -C hvdump-test-client -f "$S/client_key"
cp "$S/client_key.pub" "$S/authorized_keys"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
DEAD_PORT=$(free_port)
[ "$(id -u)" -eq 0 ] && mkdir -p /run/sshd # sshd's privilege separation directory
cat >"$S/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $S/host_key
AuthorizedKeysFile $S/authorized_keys
PidFile $S/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $(id -un)
EOF
"$SSHD" -D -e -f "$S/sshd_config" 2>"$S/sshd.log" &
SSHD_PID=$!
_bg_pids+=("$SSHD_PID")
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$S/host_key.pub")" >"$S/known_hosts"
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$S/other_host_key.pub")" >"$S/wrong_known_hosts"
SSHOPTS=(-i "$S/client_key" -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes
	-o UserKnownHostsFile="$S/known_hosts" -o GlobalKnownHostsFile=/dev/null -p "$PORT")
sshd_up() {
	for _ in $(seq 50); do
		ssh "${SSHOPTS[@]}" "$(id -un)@127.0.0.1" true 2>"$S/probe.err" && return
		sleep 0.2
	done
	cat "$S/probe.err" "$S/sshd.log"
	return 1
}
check "our sshd on 127.0.0.1:$PORT takes the client key, its host key known" sshd_up ||
	skip_all "sshd did not start: $(tail -3 "$S/sshd.log")"
URL_BASE=ssh://$(id -un)@127.0.0.1:$PORT
COPYOPTS=(--identity "$S/client_key" --ssh-option "UserKnownHostsFile=$S/known_hosts"
	--ssh-option GlobalKnownHostsFile=/dev/null --ssh-option StrictHostKeyChecking=yes)
R=$T/remote
mkdir -m 700 "$R"

# ---- a saved crash -----------------------------------------------------------------------
D=$T/dumps
mkdir -m 700 "$D"
start_hvdump "$T/a" run --name cp --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--dump-dir "$D" --log "$T/a.log" --no-console --append "console=ttyS0 quiet hvdump.crash=0"
wait_for "$T/a.log" 'info: dump saved' 240
ok $? "the demo guest crashed, its dump saved by the host saver"
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
dir=$(dirname "$(ls "$D"/*/crash.json | head -1)")
name=$(basename "$dir")
dump=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dump_file"])' "$dir/crash.json")
check "the crash is saved, with its dump and dmesg.txt" \
	eval 'grep -q "\"state\": \"saved\"" "$dir/crash.json" && [ -s "$dump" ] && [ -s "$dir/dmesg.txt" ]'
sum0=$(sha256sum <"$dump" | cut -d' ' -f1)
bytes0=$(stat -c %s "$dump")
py() { /usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); $2" "$1"; }

# ---- failures first: each names its problem, exit 1, the local dump untouched --------------
untouched() { [ "$(sha256sum <"$dump" | cut -d' ' -f1)" = "$sum0" ]; }
"$HVDUMP" copy --dump-dir "$D" --to "$URL_BASE$R/wrongkey" --identity "$S/client_key" \
	--ssh-option "UserKnownHostsFile=$S/wrong_known_hosts" --ssh-option GlobalKnownHostsFile=/dev/null \
	--ssh-option StrictHostKeyChecking=yes --drop-local cp:1 >"$T/f1.out" 2>"$T/f1.err"
rc=$?
diag "$(tail -2 "$T/f1.err")"
check "a wrong host key: exit 1, 'Host key verification failed' (rc=$rc)" \
	exit_says "$rc" 1 "$T/f1.err" 'Host key verification failed'
check "... the local dump untouched despite --drop-local" untouched
check "... the record has the reason (dump_target_error)" \
	py "$dir/crash.json" 'e = r["dump_target_error"]; assert "Host key verification failed" in e["error"] and e["url"].endswith("/wrongkey")'

"$HVDUMP" copy --to "ssh://127.0.0.1:$DEAD_PORT$R/dead" "${COPYOPTS[@]}" --drop-local "$dir" \
	>"$T/f2.out" 2>"$T/f2.err"
rc=$?
diag "$(tail -2 "$T/f2.err")"
check "a port where nothing listens: exit 1, 'Connection refused' (rc=$rc)" \
	exit_says "$rc" 1 "$T/f2.err" "port $DEAD_PORT: Connection refused"
check "... the local dump untouched despite --drop-local" untouched

mkdir -m 700 "$R/ro"
if [ "$(id -u)" -eq 0 ]; then
	chattr +i "$R/ro" 2>/dev/null # root writes anywhere but into an immutable directory
else
	chmod 500 "$R/ro"
fi
unlock() { chattr -i "$R/ro" 2>/dev/null; chmod 700 "$R/ro"; }
trap 'unlock; cleanup' EXIT
if touch "$R/ro/probe" 2>/dev/null; then
	rm -f "$R/ro/probe"
	skip "a remote directory that cannot be written: cannot make one here (chattr +i, chmod)"
	skip "... the local dump untouched"
else
	"$HVDUMP" copy --dump-dir "$D" --to "$URL_BASE$R/ro" "${COPYOPTS[@]}" "$name" \
		>"$T/f3.out" 2>"$T/f3.err"
	rc=$?
	diag "$(tail -2 "$T/f3.err")"
	check "a remote directory that cannot be written: exit 1, mkdir's own words (rc=$rc)" \
		exit_says "$rc" 1 "$T/f3.err" "mkdir: cannot create directory '$R/ro/$name': \(Operation not permitted\|Permission denied\)"
	check "... the local dump untouched" untouched
	unlock
	"$HVDUMP" copy --dump-dir "$D" "${COPYOPTS[@]}" "$name" >"$T/retry.out" 2>"$T/retry.err"
	rc=$?
	check "hvdump copy CRASH without --to retries the failed URL once it can be written (rc=$rc)" \
		eval '[ "$rc" -eq 0 ] && cmp -s "$dump" "$R/ro/$name/$(basename "$dump")"'
	check "... and the record no longer has an error" \
		py "$dir/crash.json" 'assert r["dump_target_error"] is None and r["dump_target"]["url"].endswith("/ro")'
fi

# ---- the copy ------------------------------------------------------------------------------
"$HVDUMP" copy --dump-dir "$D" --to "$URL_BASE$R/crash/" "${COPYOPTS[@]}" cp:1 >"$T/c.out" 2>"$T/c.err"
rc=$?
diag "$(cat "$T/c.err")"
ok $rc "hvdump copy --to $URL_BASE$R/crash/ cp:1 (rc=$rc)"
rd=$R/crash/$name
check "the dump arrives byte for byte" cmp "$dump" "$rd/$(basename "$dump")"
check "dmesg.txt too" cmp "$dir/dmesg.txt" "$rd/dmesg.txt"
check "the remote directory is 0700, its files 0600, no .part file left" \
	eval '[ "$(stat -c %a "$rd")" = 700 ] && [ -z "$(find "$rd" -type f ! -perm 600)" ] && [ -z "$(find "$rd" -name "*.part")" ] && [ "$(ls "$rd" | wc -l)" -eq 3 ]'
check "the remote record names the remote dump, where it came from, and the checked copy" \
	py "$rd/crash.json" 'assert r["dump_file"] == "'"$rd/$(basename "$dump")"'" and r["dmesg_file"] == "'"$rd/dmesg.txt"'" and r["copied_from"]["dir"] == "'"$dir"'" and r["copied_from"]["dump_file"] == "'"$dump"'" and r["dump_target"]["verified"] is True and [f["name"] for f in r["dump_target"]["files"]] == ["'"$(basename "$dump")"'", "dmesg.txt"] and r["state"] == "saved" and "dump_target_error" not in r'
check "the local record: dump_target with the URL, the remote directory, three files checked, their SHA-256" \
	py "$dir/crash.json" 'd = r["dump_target"]; f = d["files"]; assert d["url"] == "'"$URL_BASE$R/crash/"'" and d["remote_dir"] == "'"$rd"'" and d["verified"] is True and d["local_dropped"] is False and d["copy_ms"] >= 0 and [x["name"] for x in f] == ["'"$(basename "$dump")"'", "dmesg.txt", "crash.json"] and f[0]["sha256"] == "'"$sum0"'" and f[0]["bytes"] == '"$bytes0"' and f[2]["sha256"] == "'"$(sha256sum <"$rd/crash.json" | cut -d' ' -f1)"'"'
check "the local dump is still there" untouched
check "the copy's log: start, end with size and rate" \
	grep_all "$T/c.err" 'copying crash cp 1 to ssh://' 'copied crash cp 1 to ssh://.* in [0-9.]* s (.*/s), every file checked'
ms=$(py "$dir/crash.json" 'print(r["dump_target"]["copy_ms"])')
diag "copy of a $(numfmt --to=iec "$bytes0")B dump (+ dmesg.txt, crash.json) over ssh to 127.0.0.1: $ms ms"
"$HVDUMP" show --dump-dir "$D" cp:1 >"$T/show.txt"
check "hvdump show says where the copy is" grep -q "^copied to   $URL_BASE$R/crash/ ($rd, checked)" "$T/show.txt"

# ---- --drop-local ------------------------------------------------------------------------------
"$HVDUMP" copy --to "$URL_BASE$R/crash2" "${COPYOPTS[@]}" --drop-local "$dir" >"$T/d.out" 2>"$T/d.err"
rc=$?
diag "$(tail -1 "$T/d.err")"
check "--drop-local: copied, the remote dump is the saved one, the local one removed (rc=$rc)" \
	eval '[ "$rc" -eq 0 ] && [ "$(sha256sum <"$R/crash2/$name/$(basename "$dump")" | cut -d" " -f1)" = "$sum0" ] && [ ! -e "$dump" ] && [ -s "$dir/dmesg.txt" ] && [ -s "$dir/crash.json" ]'
check "... the record says local_dropped and keeps the URL" \
	py "$dir/crash.json" 'd = r["dump_target"]; assert d["local_dropped"] is True and d["verified"] is True and d["url"].endswith("/crash2")'
"$HVDUMP" list --dump-dir "$D" --json >"$T/list.json"
check "... hvdump list points to the copy" \
	py "$T/list.json" 'assert r[0]["dump_target"].endswith("/crash2") and r[0]["dump_bytes"] is None'
"$HVDUMP" copy --to "$URL_BASE$R/crash3" "${COPYOPTS[@]}" "$dir" >/dev/null 2>"$T/again.err"
rc=$?
check "... copying it again: exit 2, it says the dump was dropped (rc=$rc)" \
	exit_says "$rc" 2 "$T/again.err" 'local one dropped'
"$HVDUMP" copy --to "ssh://-oProxyCommand=touch%20$T/pwned/x" "$dir" >/dev/null 2>"$T/bad.err"
rc=$?
check "a URL whose host is an ssh option: exit 2, nothing run (rc=$rc)" \
	eval '[ "$rc" -eq 2 ] && [ ! -e "$T/pwned" ] && grep -q "the host" "$T/bad.err"'

# ---- hvdump run --dump-target ---------------------------------------------------------------
D2=$T/dumps2
mkdir -m 700 "$D2"
start_hvdump "$T/r" run --name auto --kernel "$VMLINUZ" --initrd "$INITRD" --memory 1G \
	--dump-dir "$D2" --log "$T/r.log" --no-console --append "console=ttyS0 quiet hvdump.crash=0" \
	--dump-target "$URL_BASE$R/auto" --dump-target-identity "$S/client_key" \
	--dump-target-ssh-option "UserKnownHostsFile=$S/known_hosts" \
	--dump-target-ssh-option StrictHostKeyChecking=yes --dump-target-drop-local
wait_for "$T/r.log" 'copied crash auto 1 to ssh://' 300
ok $? "hvdump run --dump-target: the saved crash copied by itself"
kill -TERM "$HV_PID"
wait_exit "$HV_PID" 60
adir=$(dirname "$(ls "$D2"/*/crash.json | head -1)")
check "... the record says where, checked, the local dump dropped" \
	eval 'py "$adir/crash.json" "d = r[\"dump_target\"]; assert d[\"verified\"] is True and d[\"local_dropped\"] is True and d[\"url\"].endswith(\"/auto\")" && [ -s "$R/auto/$(basename "$adir")/crash.json" ]'
done_testing
