#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guestboot_fetch (src/disk) through tests/tools/guestboot-fetch, on disk images this test
# builds without mounting anything (mke2fs -d, sgdisk, sfdisk, qemu-img):
# - found: GPT root with /boot; MBR with a separate /boot; a logical partition; a whole-disk
#   file system; qcow2 (detected and given); raw through qemu-nbd; vmlinuz and initrd.img as
#   relative and absolute links, "/boot/..." links on a separate /boot; no initramfs (a note);
#   the files are byte for byte the guest's, mode 0600, nothing else left in the directory;
# - not found: exit 1, the message names each partition and the releases that are there;
# - hostile: a link loop, a vmlinuz that is a directory or a FIFO, claimed sizes over the
#   limits, a kernel that is no bzImage, a /boot over the directory budget, a corrupt GPT (both
#   copies), a raw disk whose first sector is a qcow2 header naming a host file: refused, exit
#   3, a message that says so, nothing written; a file system larger than its partition is
#   not read (and says so); a primary GPT broken, the backup intact: found, with a note;
# - the real Debian 12 cloud image (raw and qcow2), if built: the kernel and initrd debugfs
#   reads, the fetch timed (a few runs each, raw, raw through qemu-nbd, qcow2); the image
#   is not modified.
. "$(dirname "$0")/../lib/common.sh"
FETCH=${GUESTBOOT_FETCH:-$ROOT/build/tests/tools/guestboot-fetch}   # or a sanitizer build's
[ -x "$FETCH" ] || skip_all "build/tests/tools/guestboot-fetch not built (run make)"
for tool in mke2fs sgdisk sfdisk qemu-img qemu-nbd debugfs; do
	command -v $tool >/dev/null || skip_all "$tool not installed (scripts/packages.txt)"
done
export TMPDIR=$T
R=6.1.0-99-test-amd64
OLD=6.1.0-98-test-amd64
MiB=$((1 << 20))

# fake_kernel FILE KIB: random bytes with the bzImage header's "HdrS" at 0x202
fake_kernel() {
	head -c $(($2 * 1024)) /dev/urandom >"$1"
	printf 'HdrS' | dd of="$1" bs=1 seek=$((0x202)) conv=notrunc status=none
}

# mkfs_dir IMG MIB DIR [OPTION...]: an ext4 file system of MIB MiB holding DIR's tree
mkfs_dir() {
	rm -f "$1"
	mke2fs -q -F -t ext4 -d "$3" -E root_owner=0:0 "${@:4}" "$1" "$2M" 2>&1
}

# put IMG FS START_SECTOR: write file system FS into disk IMG at sector START
put() { dd if="$2" of="$1" bs=512 seek="$3" conv=notrunc,sparse status=none; }

# fetch NAME ARGS...: run the tool into a fresh directory $T/out-NAME; exit status in RC,
# JSON in $T/NAME.json, stderr in $T/NAME.err
fetch() {
	local name=$1
	shift
	rm -rf "$T/out-$name"
	mkdir -m 700 "$T/out-$name"
	OUT=$T/out-$name
	"$FETCH" --json --out "$OUT" "$@" >"$T/$name.json" 2>"$T/$name.err"
	RC=$?
}

jget() { sed -n "s/^ *\"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$1" | head -1; }

# found NAME PART SEPARATE KERNEL INITRD: exit 0, partition PART, separate_boot SEPARATE, the
# output files equal KERNEL and INITRD (INITRD "-": no initramfs) and nothing else is there
found() {
	local j=$T/$1.json k i
	[ "$RC" -eq 0 ] || { cat "$T/$1.err"; return 1; }
	[ "$(jget "$j" partition)" = "$2" ] || { echo "partition $(jget "$j" partition)"; return 1; }
	[ "$(jget "$j" separate_boot)" = "$3" ] || { echo "separate $(jget "$j" separate_boot)"; return 1; }
	k=$(jget "$j" kernel) i=$(jget "$j" initrd)
	cmp "$4" "$k" || return 1
	[ "$(stat -c %a "$k")" = 600 ] || return 1
	if [ "$5" = - ]; then
		[ -z "$i" ] && grep -q 'no initramfs' "$j" || return 1
		[ "$(ls "$OUT" | wc -l)" -eq 1 ] || { ls -la "$OUT"; return 1; }
	else
		cmp "$5" "$i" && [ "$(stat -c %a "$i")" = 600 ] || return 1
		[ "$(ls "$OUT" | wc -l)" -eq 2 ] || { ls -la "$OUT"; return 1; }
	fi
}

# refused NAME RC BRE: exit RC, stderr matches BRE, nothing left in the output directory
refused() {
	exit_says "$RC" "$2" "$T/$1.err" "$3" || return 1
	[ -z "$(ls -A "$OUT")" ] || { ls -la "$OUT"; return 1; }
}

# ---- the guest's files ------------------------------------------------------------------
K=$T/k.bin I=$T/i.bin
fake_kernel "$K" 700
head -c 300000 /dev/urandom >"$I"
tree=$T/tree-root
mkdir -p "$tree"/boot "$tree"/etc "$tree"/kernels
cp "$K" "$tree/boot/vmlinuz-$R"
cp "$I" "$tree/boot/initrd.img-$R"
fake_kernel "$tree/boot/vmlinuz-$OLD" 4
echo old >"$tree/boot/initrd.img-$OLD"
echo x >"$tree/etc/hostname"
mkfs_dir "$T/root.fs" 8 "$tree" >"$T/mkfs.log" || { diag "$(cat "$T/mkfs.log")"; skip_all "mke2fs -d failed"; }

# ---- GPT: BIOS boot, ESP, root with /boot -----------------------------------------------
gpt=$T/gpt.img
truncate -s 12M "$gpt"
sgdisk -n 1:2048:+1M -t 1:ef02 -c 1:bios -n 2:0:+1M -t 2:ef00 -c 2:esp -n 3:0:0 -t 3:8300 \
	-c 3:root "$gpt" >/dev/null
start3=$(sgdisk -i 3 "$gpt" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
put "$gpt" "$T/root.fs" "$start3"
fetch gpt --release $R "$gpt"
check "GPT, root with /boot: partition 3, the guest's kernel and initrd" found gpt 3 false "$K" "$I"
check "... reported as GPT ext4 with the root's UUID" grep_all "$T/gpt.json" '"table": "GPT"' \
	'"fs_type": "ext4"' "\"fs_uuid\": \"$(dumpe2fs -h "$T/root.fs" 2>/dev/null | sed -n 's/^Filesystem UUID: *//p')\""

fetch gpt-missing --release 6.1.0-1-nothere "$gpt"
check "a release not there: exit 1" test "$RC" -eq 1
check "... the message names the release, each partition and what /boot has" grep_all \
	"$T/gpt-missing.err" 'no /boot/vmlinuz-6.1.0-1-nothere' 'partition 1 "bios" (BIOS boot): zeros, not ext2/3/4' \
	'partition 2 "esp" (EFI system)' "partition 3 \"root\" (Linux filesystem): ext4 UUID" \
	"/boot without vmlinuz-6.1.0-1-nothere; it has initrd.img-$OLD, initrd.img-$R, vmlinuz-$OLD, vmlinuz-$R"

# ---- qcow2 and raw through qemu-nbd --------------------------------------------------------
qemu-img convert -O qcow2 "$gpt" "$T/gpt.qcow2"
fetch qcow2 --release $R "$T/gpt.qcow2"
check "qcow2, detected: the same files" found qcow2 3 false "$K" "$I"
fetch qcow2-given --release $R "$T/gpt.qcow2,format=qcow2"
check "qcow2, format=qcow2 given" found qcow2-given 3 false "$K" "$I"
fetch raw-nbd --nbd --release $R "$gpt"
check "raw through qemu-nbd" found raw-nbd 3 false "$K" "$I"
fetch qcow2-as-raw --release $R "$T/gpt.qcow2,format=raw"
check "a qcow2 image read as format=raw: not found (exit 1), it has no partition table" \
	exit_says "$RC" 1 "$T/qcow2-as-raw.err" 'raw, no partition table'
check "no qemu-nbd left running" no_process "qemu-nbd.*$T/"

# ---- MBR: root first, then a separate /boot whose links say /boot/... ---------------------
mkdir -p "$T/tree-root2/boot" "$T/tree-boot/k"
echo x >"$T/tree-root2/hostname"
cp "$K" "$T/tree-boot/k/vmlinuz"
cp "$I" "$T/tree-boot/initrd.img-$R"
ln -s "/boot/k/vmlinuz" "$T/tree-boot/vmlinuz-$R"
ln -s "vmlinuz-$R" "$T/tree-boot/vmlinuz"
mkfs_dir "$T/root2.fs" 4 "$T/tree-root2" >/dev/null
mkfs_dir "$T/boot.fs" 4 "$T/tree-boot" >/dev/null
mbr=$T/mbr.img
truncate -s 10M "$mbr"
printf 'label: dos\nstart=2048, size=8192, type=83\nstart=10240, size=8192, type=83\n' | sfdisk -q "$mbr"
put "$mbr" "$T/root2.fs" 2048
put "$mbr" "$T/boot.fs" 10240
fetch mbr --release $R "$mbr"
check "MBR, separate /boot (partition 2), an absolute /boot/... link read without /boot" \
	found mbr 2 true "$K" "$I"
check "... its source is the top of the file system" grep -q "\"kernel_src\": \"/vmlinuz-$R\"" "$T/mbr.json"
fetch mbr-missing --release $OLD "$mbr"
check "MBR, release not there: partition 1 has an empty /boot, partition 2 lists its files" \
	grep_all "$T/mbr-missing.err" 'partition 1 (Linux): ext4 UUID [-0-9a-f]*: /boot without vmlinuz-.*empty, /boot may be a separate partition' \
	"partition 2 (Linux): ext4 UUID [-0-9a-f]*: no /boot; its top (a /boot file system) has initrd.img-$R, vmlinuz-$R but not vmlinuz-$OLD"

# ---- a logical partition, relative links, no initramfs -----------------------------------
mkdir -p "$T/tree-log/boot" "$T/tree-log/kernels"
cp "$K" "$T/tree-log/kernels/real"
ln -s "../kernels/real" "$T/tree-log/boot/vmlinuz-$R"
mkfs_dir "$T/log.fs" 4 "$T/tree-log" >/dev/null
lg=$T/logical.img
truncate -s 16M "$lg"
printf 'label: dos\nstart=2048, size=2048, type=82\nstart=4096, size=28000, type=5\nstart=6144, size=2048, type=83\nstart=10240, size=8192, type=83\n' |
	sfdisk -q "$lg"
put "$lg" "$T/log.fs" 10240
fetch logical --release $R "$lg"
check "logical partition 6, a relative link, no initramfs (a note, not an error)" \
	found logical 6 false "$K" -
fetch logical-missing --release $OLD "$lg"
check "... asked for another release, the message walks the primary and the logical ones" \
	grep_all "$T/logical-missing.err" '(raw, detected, MBR: partition 1 (Linux swap): zeros, not ext2/3/4; partition 5 (Linux): zeros, not ext2/3/4; partition 6 (Linux): ext4'

# ---- whole-disk file system, absolute link --------------------------------------------------
mkdir -p "$T/tree-whole/boot" "$T/tree-whole/srv"
cp "$K" "$T/tree-whole/srv/k"
cp "$I" "$T/tree-whole/boot/initrd.img-$R"
ln -s /srv/k "$T/tree-whole/boot/vmlinuz-$R"
mkfs_dir "$T/whole.fs" 4 "$T/tree-whole" >/dev/null
fetch whole --release $R "$T/whole.fs"
check "a whole-disk file system (no table): partition 0, an absolute link" found whole 0 false "$K" "$I"
check "... table none" grep -q '"table": "none"' "$T/whole.json"

# ---- hostile file systems ------------------------------------------------------------------
hostile() { # hostile NAME [MIB [OPTION...]]: file system from $T/tree-NAME, as a whole disk
	mkfs_dir "$T/$1.fs" "${2:-4}" "$T/tree-$1" "${@:3}" >/dev/null
	fetch "$1" --release $R "$T/$1.fs"
}
mkdir -p "$T/tree-loop/boot"
ln -s "vmlinuz-b" "$T/tree-loop/boot/vmlinuz-$R"
ln -s "/boot/vmlinuz-$R" "$T/tree-loop/boot/vmlinuz-b"
hostile loop
check "a symbolic link loop: refused, exit 3" refused loop 3 'over 8 symbolic links'
mkdir -p "$T/tree-dir/boot/vmlinuz-$R"
hostile dir
check "vmlinuz a directory: refused" refused dir 3 "/boot/vmlinuz-$R refused: a directory"
mkdir -p "$T/tree-huge/boot"
truncate -s 300M "$T/tree-huge/boot/vmlinuz-$R"
hostile huge
check "a kernel claiming 300 MiB (sparse): refused" refused huge 3 'refused: 314572800 bytes, over the limit of 268435456'
mkdir -p "$T/tree-hugeinitrd/boot"
cp "$K" "$T/tree-hugeinitrd/boot/vmlinuz-$R"
truncate -s 3G "$T/tree-hugeinitrd/boot/initrd.img-$R"
hostile hugeinitrd
check "an initramfs claiming 3 GiB: refused, the kernel not left behind" refused hugeinitrd 3 \
	'initramfs next to /boot/vmlinuz-.* refused: .*over the limit of 2147483648'
mkdir -p "$T/tree-notbz/boot"
head -c 8192 /dev/urandom >"$T/tree-notbz/boot/vmlinuz-$R"
hostile notbz
check "a kernel that is no bzImage: refused" refused notbz 3 'not a bzImage'
mkdir -p "$T/tree-dev/boot"
mkfifo "$T/tree-dev/boot/vmlinuz-$R"
hostile dev
check "a kernel that is a FIFO: refused" refused dev 3 'not a regular file'

mkdir -p "$T/tree-bigdir/boot"
mkfs_dir "$T/bigdir.fs" 32 "$T/tree-bigdir" >/dev/null
yes 'expand_dir /boot' | head -n 17000 | debugfs -w -f - "$T/bigdir.fs" >/dev/null 2>&1
fetch bigdir --release $R "$T/bigdir.fs"
check "a /boot of 17000 empty blocks: refused, over the directory budget" refused bigdir 3 \
	'reading the directory holding "vmlinuz-.*": over the entry budget'
small=$T/small.img
truncate -s 8M "$small"
printf 'label: dos\nstart=2048, size=2048, type=83\n' | sfdisk -q "$small"
put "$small" "$T/root.fs" 2048
fetch small --release $R "$small"
check "a file system larger than its partition: not read, the message says so (exit 1)" \
	exit_says "$RC" 1 "$T/small.err" 'ext2/3/4 that cannot be read: its superblock claims 8192 blocks of 1024 bytes, more than the partition.s 1048576 bytes'

cp "$gpt" "$T/badgpt.img"
printf '\xff' | dd of="$T/badgpt.img" bs=1 seek=$((512 + 40)) conv=notrunc status=none
printf '\xff' | dd of="$T/badgpt.img" bs=1 seek=$((12 * MiB - 512 + 40)) conv=notrunc status=none
fetch badgpt --release $R "$T/badgpt.img"
check "a corrupt GPT (both copies): refused, exit 3, the message says which checks failed" \
	refused badgpt 3 'corrupt GPT: primary: header CRC32 mismatch at LBA 1; backup: header CRC32 mismatch'
dd if="$gpt" of="$T/badgpt.img" bs=1 skip=$((12 * MiB - 512 + 40)) seek=$((12 * MiB - 512 + 40)) \
	count=1 conv=notrunc status=none
fetch backupgpt --release $R "$T/badgpt.img"
check "the primary GPT corrupt, the backup intact: found, with a note" found backupgpt 3 false "$K" "$I" &&
	check "... the note says the backup was used" grep -q 'primary GPT bad (header CRC32 mismatch at LBA 1), backup used' "$T/backupgpt.json"

cp "$gpt" "$T/forged.img"
qemu-img create -q -f qcow2 -b /etc/hostname -F raw "$T/hdr.qcow2"
dd if="$T/hdr.qcow2" of="$T/forged.img" bs=512 count=1 conv=notrunc status=none
fetch forged --release $R "$T/forged.img"
check "a raw disk whose first sector is a qcow2 header naming a host file: not opened as qcow2" \
	refused forged 3 'names a backing or data file; not opened as qcow2 on a guess'
fetch bad-release --release "../../etc" "$gpt"
check "a release with a slash: refused (exit 3)" refused bad-release 3 'is not 1-64 of'
fetch two-disks --release $R "$T/whole.fs" "$gpt"
check "two disks: the first that has it (disk 0)" grep -q '"disk": 0,' "$T/two-disks.json"
fetch second-disk --release $R "$T/root2.fs" "$T/gpt.qcow2"
check "two disks: found on disk 1" grep -q '"disk": 1,' "$T/second-disk.json"

# ---- the real Debian 12 cloud image ------------------------------------------------------------
envf=$ROOT/.cache/distro/debian12-cloud.env
if [ ! -r "$envf" ]; then
	skip "no Debian 12 cloud image (guest/build-distro)"
	done_testing
	exit
fi
. "$envf"
if [ ! -r "$DISTRO_IMG" ]; then
	skip "no $DISTRO_IMG"
	done_testing
	exit
fi
stamp() { stat -c '%Y %s' "$DISTRO_IMG" "${DISTRO_QCOW2:-/dev/null}"; }
before=$(stamp)
off=$(($(sfdisk -d "$DISTRO_IMG" | sed -n 's/.*img3 : start= *\([0-9]*\),.*/\1/p') * 512))
debugfs -c -R "dump /boot/vmlinuz-$DISTRO_KVER $T/deb-k" "$DISTRO_IMG?offset=$off" >/dev/null 2>&1
debugfs -c -R "dump /boot/initrd.img-$DISTRO_KVER $T/deb-i" "$DISTRO_IMG?offset=$off" >/dev/null 2>&1
timed() { # timed NAME ARGS...: three fetches, their ms in MS
	local n
	MS=
	for n in 1 2 3; do
		fetch "$1" "${@:2}"
		MS="$MS $(jget "$T/$1.json" ms)"
	done
}
timed deb-raw --release "$DISTRO_KVER" "$DISTRO_IMG"
check "Debian 12 raw: partition 3 of GPT, debugfs's vmlinuz and initrd" found deb-raw 3 false "$T/deb-k" "$T/deb-i"
check "... the root's UUID" grep -q "\"fs_uuid\": \"$DISTRO_ROOT_UUID\"" "$T/deb-raw.json"
diag "Debian 12 raw: fetch of $(jget "$T/deb-raw.json" kernel_bytes) + $(jget "$T/deb-raw.json" initrd_bytes) bytes took (ms):$MS; read $(jget "$T/deb-raw.json" bytes_read) bytes"
timed deb-nbd --nbd --release "$DISTRO_KVER" "$DISTRO_IMG"
check "Debian 12 raw through qemu-nbd" found deb-nbd 3 false "$T/deb-k" "$T/deb-i"
diag "Debian 12 raw through qemu-nbd: (ms):$MS"
if [ -r "${DISTRO_QCOW2:-}" ]; then
	timed deb-qcow2 --release "$DISTRO_KVER" "$DISTRO_QCOW2"
	check "Debian 12 qcow2: the same files" found deb-qcow2 3 false "$T/deb-k" "$T/deb-i"
	diag "Debian 12 qcow2: (ms):$MS"
else
	skip "no Debian 12 qcow2 image"
fi
fetch deb-missing --release 6.1.0-27-cloud-amd64 "$DISTRO_IMG"
check "Debian 12, another release: exit 1, lists the one there" grep -q \
	"/boot without vmlinuz-6.1.0-27-cloud-amd64; it has initrd.img-$DISTRO_KVER, vmlinuz-$DISTRO_KVER" "$T/deb-missing.err"
check "the Debian images are not modified" test "$(stamp)" = "$before"
check "no qemu-nbd left running" no_process "qemu-nbd.*$T/"
done_testing
