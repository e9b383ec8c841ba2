# SPDX-License-Identifier: GPL-2.0-or-later
# A real guest for the tests: the Debian 12 server image guest/build-distro makes (GRUB,
# systemd, nginx serving DISTRO_MARKER, root autologin on ttyS0), booted from its disk by
# `hvdump run` and driven through its serial console.  Sourced after common.sh.
#
#   distro_env [FLAVOUR-ARGS...]    DISTRO_* of the built image, or skip_all
#   distro_overlay FILE             a qcow2 overlay on the cached image (never written)
#   distro_start NAME PORT ARGS...  hvdump run with the console on a FIFO ($T/NAME.in),
#                                   nginx forwarded to 127.0.0.1:PORT; log $T/NAME.log
#   console NAME LINE               type LINE into the guest's root shell
#   console_out NAME CMD TAG        run CMD, wait for its output lines, tagged TAG, in the log
#   wait_login NAME N SECONDS       until root's N-th autologin on the console (one per boot)
#   wait_http PORT SECONDS          until the marker page answers; HTTP_MS: when (epoch ms)

distro_env() {
	local env
	env=$("$ROOT/guest/build-distro" --print "$@" 2>/dev/null) || skip_all "guest/build-distro failed"
	eval "$env"
	[ -r "${DISTRO_QCOW2:-}" ] && [ -n "${DISTRO_KVER:-}" ] ||
		skip_all "distro image not built (guest/build-distro $*)"
	command -v curl >/dev/null || skip_all "curl not installed"
	export DISTRO_IMG DISTRO_QCOW2 DISTRO_KVER DISTRO_MARKER DISTRO_ROOT_UUID
}

distro_overlay() {
	qemu-img create -q -f qcow2 -b "$DISTRO_QCOW2" -F qcow2 "$1"
}

distro_start() {
	local name=$1 port=$2
	shift 2
	mkfifo "$T/$name.in"
	# a writer that stays: hvdump would take the FIFO's end for the end of its console input
	sleep 100000 >"$T/$name.in" &
	_bg_pids+=("$!")
	"$HVDUMP" run --name "$name" --log "$T/$name.log" --no-console \
		--nic "user,hostfwd=tcp:127.0.0.1:$port-:80" "$@" \
		<"$T/$name.in" >"$T/$name.stdout" 2>"$T/$name.stderr" &
	HV_PID=$!
	_bg_pids+=("$HV_PID")
}

console() {
	printf '%s\n' "$2" >"$T/$1.in"
}

# console_out NAME CMD TAG: CMD's output, each line prefixed "TAG " on the console; the lines
# (without the prefix) on stdout once "TAG-END" shows.  A command typed before the shell runs
# is flushed by agetty, and a loaded host can make the login come late: the command is sent
# again (up to 4 times, 30 s apart) until its end marker shows.
console_out() {
	local name=$1 cmd=$2 tag try
	for try in 1 2 3 4; do
		tag=$3-$try # each try its own tag: only the answered one's lines are taken
		# the first line after the command carries the shell's terminal escapes: an empty one
		console "$name" "echo; { $cmd; } 2>&1 | sed 's/^/$tag /'; echo $tag-END"
		if wait_for "$T/$name.log" "console: $tag-END" 30; then
			sed -n "s/.*console: $tag \(.*\)/\1/p" "$T/$name.log" | tr -d '\r'
			return 0
		fi
		echo "# console_out $3: no answer in 30 s (try $try of 4)" >&2
	done
	return 1
}

# wait_login NAME N SECONDS: until the console shows root's N-th autologin (one per boot)
wait_login() {
	wait_count "$T/$1.log" 'console: .*login: root' "$2" "$3"
}

wait_http() {
	local port=$1 limit=$2 i=0
	while [ $i -lt $((limit * 5)) ]; do
		if curl -s -m 1 "http://127.0.0.1:$port/" 2>/dev/null | grep -q "$DISTRO_MARKER"; then
			HTTP_MS=$(date +%s%3N)
			return 0
		fi
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# free_port: a TCP port nobody listens on
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && echo "$p" && return 0
	done
	return 1
}
