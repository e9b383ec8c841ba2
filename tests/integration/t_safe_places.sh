#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Guest memory, crash records and the log go only to places nobody else controls: a run base
# owned by another user, a world-writable parent or dump directory are refused with a line
# naming them (exit 2, nothing created there), and a log file planted as a symbolic link is
# not written through.  No guest boots: QEMU is /bin/false, should hvdump get that far.
. "$(dirname "$0")/../lib/common.sh"
guest_env

P=$T/places
mkdir -m 700 "$P"
# refused_naming RC ERE: exit 2 and stderr names the problem
refused_naming() { [ "$1" -eq 2 ] && grep -qE -- "$2" "$T/err"; }
run_at() { # RUN-BASE ARGS...: hvdump run with RUN-BASE as its run base
	local base=$1
	shift
	HVDUMP_RUN_BASE=$base timeout 60 "$HVDUMP" run --name safe --kernel "$VMLINUZ" --memory 1G \
		--no-console --qemu /bin/false "$@" >"$T/out" 2>"$T/err"
}

if [ "$(id -u)" -eq 0 ]; then
	mkdir -m 700 "$P/foreign"
	chown 65534 "$P/foreign"
	run_at "$P/foreign" --dump-dir "$P/dumps"
	rc=$?
	check "a run base owned by another user is refused (rc=$rc): $(head -c 200 "$T/err")" \
		refused_naming "$rc" "$P/foreign is owned by uid 65534, not by you or root"
	check "... and nothing is created in it" test -z "$(ls -A "$P/foreign")"
else
	skip "a foreign-owned run base needs root to make"
	skip "... and nothing is created in it"
fi

mkdir -m 777 "$P/open"
timeout 60 "$HVDUMP" run --name safe --kernel "$VMLINUZ" --memory 1G --no-console --qemu /bin/false \
	--run-dir "$P/open/vm" --dump-dir "$P/dumps" >"$T/out" 2>"$T/err"
rc=$?
check "a world-writable parent of the run directory is refused (rc=$rc)" \
	refused_naming "$rc" "$P/open is writable by everyone \(mode 0777\)"
check "... and no run directory is made in it" test ! -e "$P/open/vm"

mkdir -m 700 "$P/base"
mkdir -m 777 "$P/opendumps"
run_at "$P/base" --dump-dir "$P/opendumps"
rc=$?
check "a world-writable dump directory is refused (rc=$rc)" \
	refused_naming "$rc" "dump directory: $P/opendumps is writable by everyone"
check "... before anything is made in the run base" test -z "$(ls -A "$P/base")"

# a log planted as a symbolic link to a file of ours: never written through
printf 'precious\n' >"$P/victim"
ln -s "$P/victim" "$P/base/safe.log"
run_at "$P/base" --dump-dir "$P/dumps"
rc=$?
diag "$(head -5 "$T/err")"
check "a planted log symlink is not followed (rc=$rc)" grep -q 'cannot open log file .*safe.log' "$T/err"
check "... the file it points to is untouched" grep -qx precious "$P/victim"
victim_alone() { [ "$(wc -l <"$P/victim")" -eq 1 ]; }
check "... not even appended to" victim_alone
done_testing
