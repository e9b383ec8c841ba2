# SPDX-License-Identifier: GPL-2.0-or-later
# A libvirtd of the test's own, for tests of `hvdump libvirt` (docs/hvdump-libvirt.md).
# Debian's packages, no systemd: virtlogd and libvirtd run as the test's children (so the test
# reaps them), in the private mount namespace the test re-executes itself in:
#
#   [ -n "${HVDUMP_LIBVIRT_NS:-}" ] || libvirtd_reexec "$0" "$@"   # before common.sh
#   . "$(dirname "$0")/../lib/common.sh"; . "$(dirname "$0")/../lib/libvirtd.sh"
#   libvirtd_start        # skip_all when it cannot start; then virsh works
#
# The namespace (mounts and network: libvirtd can touch no host interface) has its own /run
# (libvirtd's sockets and pid files), a copy-on-write /var (overlayfs, its upper layer in $T)
# with empty /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt (tmpfs), its own
# /etc/libvirt (only the test's qemu.conf, libvirtd.conf and virtlogd.conf; domains
# defined go to $T/etc-libvirt/qemu) and, when the host has no libvirt-qemu user (it comes with
# libvirt-daemon-system, which needs systemd), /etc/passwd and /etc/group with one.  Nothing
# of the host's libvirt, if it has one, is seen or touched.  The URI is qemu:///system:
# hvdump runs as root, as the libvirtd of a fleet does, and libvirt's qemu driver gives root
# no qemu:///session.  Guest RAM files go to $T/libvirt-ram (memory_backing_dir).

LIBVIRT_URI=qemu:///system

# libvirtd_reexec SCRIPT ARGS...: run SCRIPT again in private mount and network namespaces
# (root only);
# prints TAP's whole-file skip and exits when that cannot be.
libvirtd_reexec() {
	if [ "$(id -u)" -eq 0 ]; then
		HVDUMP_LIBVIRT_NS=1 exec unshare -m -n --propagation private "$@"
	fi
	echo "1..0 # SKIP needs root for a private mount namespace with its own libvirtd"
	exit 0
}

# The libvirtd's log, for diagnostics.
libvirtd_log_tail() { tail -n 15 "$T/libvirtd.log" 2>/dev/null | grep -v 'dnsmasq'; }

_libvirtd_ns() {
	mount -t tmpfs -o mode=0755 hvdump-lv-run /run || return
	mkdir -p "$T/var-upper" "$T/var-work" "$T/etc-libvirt" "$T/libvirt-ram" || return
	mount -t overlay hvdump-lv-var \
		-o "lowerdir=/var,upperdir=$T/var-upper,workdir=$T/var-work" /var || return
	# none of a host libvirt's state: its domains, networks, leases, saved images, logs
	local d
	for d in /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
		mkdir -p "$d" && mount -t tmpfs -o mode=0755 hvdump-lv "$d" || return
	done
	# nothing of the host's /etc/libvirt (its domains, networks, autostart links, URI aliases)
	printf '%s\n' 'user = "root"' 'group = "root"' 'security_driver = "none"' \
		"memory_backing_dir = \"$T/libvirt-ram\"" >"$T/etc-libvirt/qemu.conf"
	printf '%s\n' 'listen_tls = 0' 'listen_tcp = 0' 'unix_sock_group = "root"' \
		'unix_sock_rw_perms = "0700"' "log_outputs = \"3:file:$T/libvirtd.log\"" \
		>"$T/etc-libvirt/libvirtd.conf"
	printf '%s\n' "log_outputs = \"3:file:$T/virtlogd.log\"" >"$T/etc-libvirt/virtlogd.conf"
	mount --bind "$T/etc-libvirt" /etc/libvirt || return
	if ! getent passwd libvirt-qemu >/dev/null; then
		cp /etc/passwd /etc/group "$T/" &&
			echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin' >>"$T/passwd" &&
			echo 'libvirt-qemu:x:64055:' >>"$T/group" &&
			mount --bind "$T/passwd" /etc/passwd && mount --bind "$T/group" /etc/group || return
	fi
	mkdir -p /run/libvirt /var/lib/libvirt/qemu /var/log/libvirt/qemu /var/cache/libvirt
}

_libvirtd_up() { virsh -q -c "$LIBVIRT_URI" version >/dev/null 2>&1; }

# libvirtd_start: the namespace's mounts, virtlogd and libvirtd; ends the test with skip_all
# (and the daemon's last log lines) when libvirtd cannot be started at all.
libvirtd_start() {
	[ -n "${HVDUMP_LIBVIRT_NS:-}" ] || skip_all "not in a private mount namespace (libvirtd_reexec)"
	local b
	for b in libvirtd virtlogd virsh; do
		command -v "$b" >/dev/null ||
			skip_all "$b not installed (libvirt-daemon, libvirt-daemon-driver-qemu, libvirt-clients)"
	done
	_libvirtd_ns || skip_all "cannot set up the private /run, /var and /etc/libvirt for libvirtd"
	# (disowned: the cleanup's kill -KILL is then not reported as "Killed" on stderr)
	virtlogd >"$T/virtlogd.out" 2>&1 &
	_bg_pids+=($!)
	disown $!
	libvirtd >"$T/libvirtd.out" 2>&1 &
	LIBVIRTD_PID=$!
	_bg_pids+=("$LIBVIRTD_PID")
	disown "$LIBVIRTD_PID"
	for _ in $(seq 100); do
		_libvirtd_up && return 0
		kill -0 "$LIBVIRTD_PID" 2>/dev/null || break
		sleep 0.2
	done
	diag "$(cat "$T/libvirtd.out" 2>/dev/null; libvirtd_log_tail)"
	skip_all "libvirtd did not start (its log above)"
}

# libvirt_domain NAME [KEY=VALUE...]: the XML of a TCG domain hvdump can serve (`hvdump
# libvirt check` says ready): file-backed shared memory with <discard/>, <panic model='isa'/>,
# on_crash preserve, vmcoreinfo, pc machine, the kernel booted directly.  Keys: memory (MiB,
# 512), vcpus (1), uuid (none: libvirt's), kernel, initrd, cmdline (console=ttyS0), devices
# (more children of <devices>: a console, a NIC).
libvirt_domain() {
	local name=$1 memory=512 vcpus=1 uuid='' kernel=${VMLINUZ:-} initrd=${INITRD:-}
	local cmdline=console=ttyS0 devices='' kv
	shift
	for kv in "$@"; do
		case $kv in
		memory=* | vcpus=* | uuid=* | kernel=* | initrd=* | cmdline=* | devices=*)
			printf -v "${kv%%=*}" '%s' "${kv#*=}" ;;
		*) echo "libvirt_domain: unknown key ${kv%%=*}" >&2; return 2 ;;
		esac
	done
	cat <<EOX
<domain type='qemu'>
  <name>$name</name>${uuid:+
  <uuid>$uuid</uuid>}
  <memory unit='MiB'>$memory</memory>
  <memoryBacking>
    <source type='file'/>
    <access mode='shared'/>
    <discard/>
  </memoryBacking>
  <vcpu>$vcpus</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$kernel</kernel>
    <initrd>$initrd</initrd>
    <cmdline>$cmdline</cmdline>
  </os>
  <features>
    <acpi/>
    <vmcoreinfo state='on'/>
  </features>
  <on_crash>preserve</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>${devices:+
    $devices}
    <panic model='isa'/>
  </devices>
</domain>
EOX
}

# libvirt_crashed NAME: does libvirt hold domain NAME crashed (panicked) (on_crash preserve)?
libvirt_crashed() { virsh -q -c "$LIBVIRT_URI" domstate --reason "$1" 2>/dev/null | grep -qx 'crashed (panicked)'; }

# libvirt_wait_crashed NAME SECONDS: until it does, or SECONDS passed (then false)
libvirt_wait_crashed() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		libvirt_crashed "$1" && return 0
		sleep 0.2
	done
	return 1
}
