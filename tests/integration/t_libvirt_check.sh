#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# hvdump libvirt check against a real libvirtd (Debian's, started here in a private mount
# namespace: tests/lib/libvirtd.sh): TCG domains defined with virsh (never started), one
# with all hvdump needs and one for each requirement missing or in conflict.  Each is
# reported with the item, its state and the XML to add, and the exit status says ready (0)
# or not (1); a domain without only the recommended vmcoreinfo is ready and says so.  An
# unknown domain and an unreachable libvirtd are exit 2; --xml FILE needs no libvirtd; --json
# gives the same verdicts.
[ -n "${HVDUMP_LIBVIRT_NS:-}" ] || { . "$(dirname "$0")/../lib/libvirtd.sh"; libvirtd_reexec "$0" "$@"; }
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/libvirtd.sh"
[ -x "$HVDUMP" ] || skip_all "build/hvdump not built (run make)"
command -v jq >/dev/null || skip_all "jq not installed"

# domain_xml NAME [SED-SCRIPT]: a TCG domain with every requirement, changed by SED-SCRIPT
domain_xml() {
	libvirt_domain "$1" kernel="$T/vmlinuz" initrd="$T/initrd.img" | sed "${2:-}"
}

run_check() { # OUT ARGS...: hvdump libvirt check ARGS, stdout+stderr to OUT; its exit status
	local out=$1
	shift
	"$HVDUMP" libvirt check "$@" >"$out" 2>&1
}

# ---- without libvirtd ---------------------------------------------------------------------
domain_xml hvd-file >"$T/file.xml"
domain_xml hvd-file-bare '/<panic/d; /on_crash/d' >"$T/bare.xml"
run_check "$T/o" --xml "$T/file.xml"
check "--xml FILE with everything: exit 0, ready (no libvirtd running)" exit_says $? 0 "$T/o" '^ready: '
run_check "$T/bare.out" --xml "$T/bare.xml"
check "--xml FILE without panic device and on_crash: exit 1" exit_says $? 1 "$T/bare.out" '^not ready: 2 required items'
run_check "$T/o" --xml /nonexistent.xml
check "--xml of a missing file: exit 2" exit_says $? 2 "$T/o" 'nonexistent.xml'
echo '<domain><name>x</name>' >"$T/broken.xml"
run_check "$T/o" --xml "$T/broken.xml"
check "--xml of broken XML: exit 2, libxml2's reason" exit_says $? 2 "$T/o" 'not well-formed XML'

libvirtd_start
# no libvirtd before this point: a connection then fails (before libvirtd_start, /run was the
# host's; a URI with no daemon behind it now)
run_check "$T/o" --connect "qemu+unix:///system?socket=$T/none.sock" hvd-any
check "a URI with no libvirtd: exit 2, libvirt's reason" exit_says $? 2 "$T/o" 'cannot connect to libvirt'

# ---- domains defined in libvirtd ------------------------------------------------------------
define() { # NAME [SED-SCRIPT]
	domain_xml "$1" "${2:-}" >"$T/$1.xml" && virsh -q -c "$LIBVIRT_URI" define "$T/$1.xml" >/dev/null
}
define hvd-ready
define hvd-nobacking '/<memoryBacking>/,/<\/memoryBacking>/d'
define hvd-anon "s/type='file'/type='anonymous'/"
define hvd-private "s/mode='shared'/mode='private'/"
define hvd-memfd "s/type='file'/type='memfd'/"
define hvd-nopanic '/<panic/d'
define hvd-nooncrash '/on_crash/d'
define hvd-restart 's/>preserve</>restart</'
define hvd-novmci '/vmcoreinfo/d'
define hvd-hugepages 's#<discard/>#<hugepages/>#'
define hvd-numa "s#<vcpu>1</vcpu>#&<cpu><numa><cell id='0' cpus='0' memory='512' unit='MiB'/></numa></cpu>#"
define hvd-dimm "s#<vcpu>1</vcpu>#<maxMemory slots='4' unit='GiB'>2</maxMemory>&<cpu><numa><cell id='0' cpus='0' memory='512' unit='MiB'/></numa></cpu>#; s#<panic model='isa'/>#&<memory model='dimm'><target><size unit='MiB'>128</size><node>0</node></target></memory>#"
define hvd-disk "/<kernel>/d; /<initrd>/d; /<cmdline>/d; s#<panic model='isa'/>#&<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$T/disk.qcow2'/><target dev='vda' bus='virtio'/></disk>#"
define hvd-q35 "s/machine='pc'/machine='q35'/"
check "virsh list --all shows the 14 domains, none running" \
	eval '[ "$(virsh -q -c "$LIBVIRT_URI" list --all --inactive --name | grep -c "^hvd-")" -eq 14 ]'

# reports DOMAIN STATUS KEY-TITLE STATE-BRE [FIX-BRE]: the check of DOMAIN exits STATUS, its
# line for the item TITLE says the state, and the fix follows
reports() {
	local dom=$1 want=$2 line=$3 fix=${4:-}
	run_check "$T/$dom.out" --connect "$LIBVIRT_URI" "$dom"
	exit_says $? "$want" "$T/$dom.out" "$line" || return
	[ -z "$fix" ] || grep -qF -- "$fix" "$T/$dom.out" || { cat "$T/$dom.out"; return 1; }
}

check "hvd-ready: exit 0, ready" reports hvd-ready 0 '^ready: hvdump can serve this domain$'
check "hvd-ready: every item ok" eval '[ "$(grep -c "^  ok " "$T/hvd-ready.out")" -eq 12 ]'
check "hvd-ready: <discard/> is ok, turned off at the crash" \
	grep -q "^  ok  *discard  *<discard/>: turned off at the crash" "$T/hvd-ready.out"
check "hvd-nobacking: memory backing missing, the block to add" \
	reports hvd-nobacking 1 '^  missing  *memory backing  *no <memoryBacking>' "<source type='file'/>"
check "hvd-nobacking: the fix holds the access mode too" grep -qF "<access mode='shared'/>" "$T/hvd-nobacking.out"
check "hvd-anon: anonymous source is missing the file" \
	reports hvd-anon 1 "^  missing  *memory backing  *source: anonymous; access: shared" "<source type='file'/>"
check "hvd-private: private access is missing shared" \
	reports hvd-private 1 "^  missing  *memory backing  *source: file; access: private" "<access mode='shared'/>"
check "hvd-memfd: memfd conflicts" \
	reports hvd-memfd 1 "^  conflicting  *memory backing  *source type='memfd'" "<source type='file'/>"
check "hvd-nopanic: panic device missing, <panic model='isa'/>" \
	reports hvd-nopanic 1 '^  missing  *panic device  *no <panic> device' "<panic model='isa'/>  (in <devices>)"
# libvirt stores its default, destroy, in the definition: that is "missing" too
check "hvd-nooncrash: on_crash missing (libvirt's default destroy), <on_crash>preserve</on_crash>" \
	reports hvd-nooncrash 1 "^  missing  *on_crash  *destroy, libvirt's default: libvirt destroys" '<on_crash>preserve</on_crash>'
check "--xml of a file without <on_crash>: on_crash missing" \
	grep -q '^  missing  *on_crash  *no <on_crash>: libvirt destroys' "$T/bare.out"
check "hvd-restart: on_crash restart conflicts" \
	reports hvd-restart 1 '^  conflicting  *on_crash  *<on_crash>restart</on_crash>' '<on_crash>preserve</on_crash>'
check "hvd-novmci: vmcoreinfo missing but recommended only: exit 0" \
	reports hvd-novmci 0 '^ready: hvdump can serve this domain (a recommended item is missing)' "<vmcoreinfo state='on'/>  (in <features>)"
check "hvd-novmci: the item says missing and why" grep_all "$T/hvd-novmci.out" \
	'^  missing  *vmcoreinfo  *no <vmcoreinfo>' '^      recommended: .*VMCOREINFO'
check "hvd-hugepages: hugepages refused with the reason" \
	reports hvd-hugepages 1 '^  conflicting  *hugepages' 'hugetlbfs takes neither'
check "hvd-numa: NUMA conflicts with the RAM override" \
	reports hvd-numa 1 '^  conflicting  *NUMA  *1 NUMA cell in <cpu><numa>' 'remove <numa> from <cpu>'
check "hvd-numa: the reason names the capture domain's RAM override" grep -q 'memory-backend=' "$T/hvd-numa.out"
check "hvd-dimm: a DIMM device conflicts" \
	reports hvd-dimm 1 "^  conflicting  *memory devices  *1 <memory> device (model 'dimm')" 'remove <maxMemory>'
check "hvd-disk: disk boot is ok: the qcow2 named" \
	reports hvd-disk 0 "^  ok  *capture kernel  *disk boot: $T/disk.qcow2 (qcow2)"
check "hvd-q35: q35 is ok" reports hvd-q35 0 '^  ok  *machine  *arch x86_64, machine pc-q35-'
check "each not-ready domain lists exactly its one item as not ok" eval '
	for d in nobacking anon private memfd nopanic nooncrash restart hugepages numa; do
		[ "$(grep -cE "^  (missing|conflicting) " "$T/hvd-$d.out")" -eq 1 ] || { echo "hvd-$d"; exit 1; }
	done'

# --json: the same verdicts, for tools
"$HVDUMP" libvirt check --json -c "$LIBVIRT_URI" hvd-nopanic >"$T/j" 2>"$T/j.err"
st=$?
check "--json of hvd-nopanic exits 1" test "$st" -eq 1
json_says() { jq -e "$1" "$T/j" >/dev/null || { cat "$T/j" "$T/j.err"; return 1; }; }
check "--json: ready false, the panic item missing with its fix, the URI and definition" json_says \
	'.ready == false and .missing == 1 and .uri == "qemu:///system" and .definition == "persistent" and
	 (.items[] | select(.key == "panic") | .status == "missing" and (.fix | startswith("<panic model=")))'

# unknown domain, bad usage
run_check "$T/o" --connect "$LIBVIRT_URI" hvd-nosuch
check "unknown domain: exit 2, says so" exit_says $? 2 "$T/o" "no domain 'hvd-nosuch' on qemu:///system"
run_check "$T/o" --connect "$LIBVIRT_URI"
check "no NAME: exit 2" exit_says $? 2 "$T/o" 'takes one domain NAME'
"$HVDUMP" libvirt >"$T/o" 2>&1
check "hvdump libvirt alone: exit 2, naming check and watch" exit_says $? 2 "$T/o" "subcommands are check and watch"
check "the domains' definitions are unchanged by the checks" eval \
	'virsh -q -c "$LIBVIRT_URI" dumpxml --inactive hvd-ready | grep -q "<on_crash>preserve</on_crash>"'

# ---- a running domain whose definition changed since it started (one short TCG boot) -----
if [ ! -r "${VMLINUZ:-}" ] || [ ! -r "${INITRD:-}" ]; then
	eval "$("$ROOT/guest/fetch-kernel" --print 2>/dev/null)"
	eval "$("$ROOT/guest/build-demo" --print 2>/dev/null)"
fi
[ -r "${VMLINUZ:-}" ] && [ -r "${INITRD:-}" ] || skip_all "guest kernel or demo initramfs missing: no running domain"
define hvd-run "s#$T/vmlinuz#$VMLINUZ#; s#$T/initrd.img#$INITRD#"
check "hvd-run (512 MiB, TCG) starts under the test's libvirtd" virsh -q -c "$LIBVIRT_URI" start hvd-run
ram_file() { find "$T/libvirt-ram" -name pc.ram | grep -q .; }
check "its RAM is a file pc.ram under memory_backing_dir ($T/libvirt-ram)" ram_file
diag "the RAM file: $(find "$T/libvirt-ram" -name pc.ram -printf '%p, %s bytes')"
uuid=$(virsh -q -c "$LIBVIRT_URI" domuuid hvd-run)
domain_xml hvd-run "s#$T/vmlinuz#$VMLINUZ#; s#$T/initrd.img#$INITRD#; /<panic/d; s#</name>#&<uuid>$uuid</uuid>#" \
	>"$T/hvd-run2.xml"
virsh -q -c "$LIBVIRT_URI" define "$T/hvd-run2.xml" >/dev/null
check "hvd-run redefined without its panic device while running: exit 1, the note" \
	reports hvd-run 1 '^note: the running domain does not have this definition yet (ready as it runs)' \
	"<panic model='isa'/>"
"$HVDUMP" libvirt check --json -c "$LIBVIRT_URI" hvd-run >"$T/j" 2>"$T/j.err"
check "--json: active, the definition not ready, the running domain ready" json_says \
	'.active == true and .ready == false and .running.ready == true'
virsh -q -c "$LIBVIRT_URI" destroy hvd-run >/dev/null 2>&1
no_ram_file() { ! ram_file; }
check "virsh destroy removes the RAM file (what hvdump's hard link will have to keep)" no_ram_file
done_testing
