#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Self-check of the page-hash correctness test's tools, all on the host, no guest:
# tests/tools/pagehash (hashes a RAM file), guest/tools/hvdump-vmcheck (hashes an ELF core
# file; compiled here for the host) and tests/tools/pagecmp (compares the two).
# It makes a synthetic 6 MiB RAM file (low RAM 4 MiB, so its last 2 MiB are at 4 GiB) and a
# hand-built ELF64 core file with two PT_LOADs (one with p_offset != p_paddr) and a PT_NOTE.
# Prints TAP; exits non-zero if any check fails.
# Usage: tests/tools/selfcheck-pagehash.sh   (after `make`; TOOLS=dir overrides
#        <repo>/${O:-build}/tests/tools; CC picks the compiler for hvdump-vmcheck)
set -uo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tools=${TOOLS:-$repo/${O:-build}/tests/tools}
for t in pagehash pagecmp; do
	if [ ! -x "$tools/$t" ]; then
		echo "Bail out! $tools/$t not built (run make)"
		exit 2
	fi
done
tmp=$(mktemp -d /tmp/selfcheck-pagehash.XXXXXX)
# KEEP=1 keeps the temporary files for a look.
trap 'if [ -n "${KEEP:-}" ]; then echo "# files kept in $tmp"; else rm -rf "$tmp"; fi' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $*"; }
diag() { sed 's/^/# /'; }
# check DESCRIPTION COMMAND...: one test point; shows the command's output on failure.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		not_ok "$desc"
		printf '%s\n' "$out" | diag
	fi
}
# Run a command; save stdout+stderr to $tmp/out and the status to $rc.
rc=0
run() { "$@" >"$tmp/out" 2>&1; rc=$?; }
# has REGEX: $tmp/out has a line matching the extended regex.
has() { grep -Eq -- "$1" "$tmp/out"; }
show() { diag <"$tmp/out"; }
expect() { # expect DESCRIPTION WANT_RC REGEX...
	local desc=$1 want=$2 re
	shift 2
	if [ "$rc" != "$want" ]; then
		not_ok "$desc (exit $rc, want $want)"
		show
		return
	fi
	for re in "$@"; do
		if ! has "$re"; then
			not_ok "$desc (no line matching /$re/)"
			show
			return
		fi
	done
	ok "$desc"
}

# ---- little-endian ELF builders --------------------------------------------------------
le() { # le VALUE NBYTES: raw little-endian bytes
	local v=$1 i s=
	for ((i = 0; i < $2; i++)); do s+=$(printf '\\x%02x' $(((v >> (8 * i)) & 255))); done
	printf '%b' "$s"
}
note() { # note NAME TYPE DESC: one Elf64_Nhdr entry, name and desc padded to 4 bytes
	local name=$1 type=$2 desc=$3
	local nsz=$((${#name} + 1)) dsz=${#desc}
	le "$nsz" 4; le "$dsz" 4; le "$type" 4
	printf '%s' "$name"; head -c $(((nsz + 3) / 4 * 4 - ${#name})) /dev/zero
	printf '%s' "$desc"; head -c $(((4 - dsz % 4) % 4)) /dev/zero
}
# mkcore OUT RAMFILE SPEC...: ELF64 ET_CORE file; SPEC = PADDR:RAMOFF:MEMSZ[:FILESZ] makes a
# PT_LOAD whose data is MEMSZ bytes of RAMFILE from RAMOFF.  The data starts at offset 4096.
mkcore() {
	local out=$1 ram=$2 spec
	shift 2
	local nph=$(($# + 1)) notes=$tmp/notes.bin
	{
		note CORE 1 "$(head -c 336 /dev/zero | tr '\0' 'p')"
		note CORE 1 "$(head -c 336 /dev/zero | tr '\0' 'q')"
		note VMCOREINFO 0 "$(printf 'PAGESIZE=4096\nOSRELEASE=6.1.0-selfcheck\nKERNELOFFSET=0\n')"
	} >"$notes"
	local nsize notes_off=$((64 + 56 * nph))
	nsize=$(stat -c %s "$notes")
	{
		printf '\177ELF'; le 2 1; le 1 1; le 1 1; le 0 9       # e_ident
		le 4 2; le 62 2; le 1 4; le 0 8                        # ET_CORE, EM_X86_64, entry
		le 64 8; le 0 8; le 0 4; le 64 2; le 56 2; le "$nph" 2 # phoff, shoff, flags, sizes
		le 0 2; le 0 2; le 0 2
		le 4 4; le 0 4; le "$notes_off" 8; le 0 8; le 0 8      # PT_NOTE
		le "$nsize" 8; le "$nsize" 8; le 4 8
		local off=4096 paddr ramoff memsz filesz
		for spec in "$@"; do
			IFS=: read -r paddr ramoff memsz filesz <<<"$spec"
			filesz=${filesz:-$memsz}
			le 1 4; le 7 4; le "$off" 8; le 0 8; le "$((paddr))" 8 # PT_LOAD
			le "$((filesz))" 8; le "$((memsz))" 8; le 4096 8
			off=$((off + memsz))
		done
		cat "$notes"
	} >"$out"
	local off=4096
	for spec in "$@"; do
		IFS=: read -r paddr ramoff memsz filesz <<<"$spec"
		dd if="$ram" of="$out" bs=4096 skip=$((ramoff / 4096)) seek=$((off / 4096)) \
			count=$((memsz / 4096)) conv=notrunc status=none
		off=$((off + memsz))
	done
}
flip_bit() { # flip_bit FILE OFFSET: xor one byte with 0x01
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf '%b' "$(printf '\\x%02x' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
u64_at() { od -An -tu8 -j "$2" -N8 "$1" | tr -d ' '; }
x64_at() { od -An -tx8 -j "$2" -N8 "$1" | tr -d ' '; }

# ---- 1: build hvdump-vmcheck for the host -----------------------------------------------
vmcheck=$tmp/hvdump-vmcheck
read -r -a cc <<<"${CC:-cc}" # CC may carry flags, e.g. "cc -fsanitize=address"
check "hvdump-vmcheck compiles for the host (${CC:-cc})" \
	"${cc[@]}" -O2 -Wall -Wextra -Werror -I"$repo/guest/tools" -o "$vmcheck" \
	"$repo/guest/tools/hvdump-vmcheck.c"
[ -x "$vmcheck" ] || { echo "Bail out! cannot build hvdump-vmcheck"; exit 2; }

# ---- synthetic RAM: 3 MiB random, 1 MiB zero, 2 MiB random; low RAM = 4 MiB -------------
ram=$tmp/ram.bin
{ head -c 3M /dev/urandom; head -c 1M /dev/zero; head -c 2M /dev/urandom; } >"$ram"
run "$tools/pagehash" "$ram" 4M "$tmp/host.hsh"
expect "pagehash hashes the RAM file" 0 '^pagehash: pages=1536 low=1024 high=512 '

hdr_ok=1
[ "$(head -c 8 "$tmp/host.hsh")" = HVPGHSH1 ] || hdr_ok=0
[ "$(u64_at "$tmp/host.hsh" 8)" = 1536 ] || hdr_ok=0
[ "$(stat -c %s "$tmp/host.hsh")" = $((32 + 16 * 1536)) ] || hdr_ok=0
[ "$(x64_at "$tmp/host.hsh" $((32 + 16 * 1023)))" = 00000000003ff000 ] || hdr_ok=0
[ "$(x64_at "$tmp/host.hsh" $((32 + 16 * 1024)))" = 0000000100000000 ] || hdr_ok=0
[ "$(x64_at "$tmp/host.hsh" $((32 + 16 * 1535)))" = 00000001001ff000 ] || hdr_ok=0
if [ "$hdr_ok" = 1 ]; then
	ok "record file: magic, count, size, paddrs 0x3ff000 -> 0x100000000 at the low/high seam"
else
	not_ok "record file: magic, count, size, paddrs at the low/high seam"
	od -A x -t x8 "$tmp/host.hsh" | head -5 | diag
fi

if command -v xxhsum >/dev/null 2>&1; then
	want=$(dd if="$ram" bs=4096 skip=1100 count=1 status=none | xxhsum -H1 - | cut -d' ' -f1)
	got=$(x64_at "$tmp/host.hsh" $((32 + 16 * 1100 + 8)))
	if [ "$want" = "$got" ]; then
		ok "page hash equals XXH64 (xxhsum -H1): $got"
	else
		not_ok "page hash equals XXH64 (xxhsum -H1): got $got, xxhsum says $want"
	fi
else
	skip "xxhsum not installed (apt-get install xxhash): no XXH64 cross-check"
fi

# 1280 random pages all distinct, 256 zero pages all the same, and different from the rest.
distinct=$(od -An -v -tx8 -j 32 -w16 "$tmp/host.hsh" | awk '{ print $2 }' | sort -u | wc -l)
if [ "$distinct" = 1281 ]; then
	ok "1281 distinct hashes: 1280 random pages and the zero page"
else
	not_ok "1281 distinct hashes: 1280 random pages and the zero page (got $distinct)"
fi

# ---- the fake vmcore: PT_LOAD paddr 0 (3 MiB, at file offset 4096), paddr 4 GiB (2 MiB) ---
core=$tmp/vmcore
mkcore "$core" "$ram" 0:0:0x300000 0x100000000:0x400000:0x200000
run "$vmcheck" --out "$tmp/guest.hsh" "$core"
expect "hvdump-vmcheck hashes the fake vmcore" 0 \
	'^hvdump-guest: vmcheck loads=2 pages=1280 kimage_pages=0 prstatus=2 vmcoreinfo=6\.1\.0-selfcheck seconds=[0-9]+\.[0-9]{2}$'

run "$tools/pagecmp" "$tmp/host.hsh" "$tmp/guest.hsh" --skip 0x300000-0x400000
expect "pagecmp: all matched (zero MiB skipped)" 0 \
	'^pagecmp: host=1536 guest=1280 matched=1280 mismatched=0 guest-only=0 uncovered=0 duplicates=0$' \
	'^pagecmp: skipped=256 '

run "$tools/pagecmp" "$tmp/host.hsh" "$tmp/guest.hsh"
expect "pagecmp without --skip: 256 uncovered pages, exit 1" 1 \
	'^pagecmp: host=1536 guest=1280 matched=1280 mismatched=0 guest-only=0 uncovered=256 duplicates=0$' \
	'^pagecmp: uncovered 0x300000-0x400000 \(256 pages\)$'

# A block device holds the records followed by whatever was there: still valid.
cp "$tmp/guest.hsh" "$tmp/guest-dev.hsh"
head -c 1M /dev/urandom >>"$tmp/guest-dev.hsh"
run "$tools/pagecmp" "$tmp/host.hsh" "$tmp/guest-dev.hsh" --skip 0x300000-0x400000
expect "pagecmp reads a record file with trailing bytes (a block device image)" 0 \
	'^pagecmp: host=1536 guest=1280 matched=1280 '

run "$vmcheck" "$core"
if [ "$rc" = 0 ] && [ "$(wc -l <"$tmp/out")" = 1 ] && has '^hvdump-guest: vmcheck loads=2 pages=1280 '; then
	ok "hvdump-vmcheck without --out prints just the summary"
else
	not_ok "hvdump-vmcheck without --out prints just the summary (exit $rc)"
	show
fi

# One flipped bit in the page at paddr 0x100005000 (file offset 4096 + 3 MiB + 5 pages + 77).
cp "$core" "$tmp/vmcore-flip"
flip_bit "$tmp/vmcore-flip" $((4096 + 0x300000 + 5 * 4096 + 77))
run "$vmcheck" --out "$tmp/guest-flip.hsh" "$tmp/vmcore-flip"
run "$tools/pagecmp" "$tmp/host.hsh" "$tmp/guest-flip.hsh" --skip 0x300000-0x400000
expect "one flipped bit: mismatched=1 at paddr 0x100005000, exit 1" 1 \
	'^pagecmp: mismatch at paddr 0x100005000: ' \
	'^pagecmp: host=1536 guest=1280 matched=1279 mismatched=1 guest-only=0 uncovered=0 duplicates=0$'

# A zero page flipped: a single bit in an otherwise all-zero page must change its hash.
cp "$ram" "$tmp/ram-flip.bin"
flip_bit "$tmp/ram-flip.bin" $((0x300000 + 4095))
run "$tools/pagehash" "$tmp/ram-flip.bin" 4M "$tmp/host-flip.hsh"
run "$tools/pagecmp" "$tmp/host.hsh" "$tmp/host-flip.hsh"
expect "one bit set in a zero page changes its hash" 1 \
	'^pagecmp: mismatch at paddr 0x300000: ' \
	'^pagecmp: host=1536 guest=1536 matched=1535 mismatched=1 guest-only=0 uncovered=0 duplicates=0$'

# Extra PT_LOADs: paddr 0 again (a duplicate) and 2 GiB (not RAM on the host: guest-only).
mkcore "$tmp/vmcore-extra" "$ram" 0:0:0x300000 0x100000000:0x400000:0x200000 0:0:4096 \
	0x80000000:0:4096
run "$vmcheck" --out "$tmp/guest-extra.hsh" "$tmp/vmcore-extra"
run "$tools/pagecmp" "$tmp/host.hsh" "$tmp/guest-extra.hsh" --skip=300000-400000
expect "duplicate and guest-only pages are reported, exit 1" 1 \
	'^pagecmp: guest-only 0x80000000-0x80001000 \(1 pages\)$' \
	'^pagecmp: duplicated 0x0-0x1000 \(1 pages\)$' \
	'^pagecmp: host=1536 guest=1282 matched=1281 mismatched=0 guest-only=1 uncovered=0 duplicates=1$'

# ---- malformed input ---------------------------------------------------------------------
mkcore "$tmp/bad1" "$ram" 0:0:0x3000:0x2000
run "$vmcheck" --out "$tmp/bad.hsh" "$tmp/bad1"
expect "hvdump-vmcheck rejects p_filesz != p_memsz" 1 \
	'^hvdump-guest: vmcheck FAILED: PT_LOAD 1 \(paddr 0x0\): p_filesz 0x2000 != p_memsz 0x3000$'
if [ "$(head -c 8 "$tmp/bad.hsh" 2>/dev/null)" != HVPGHSH1 ]; then
	ok "a failed run leaves no valid record file"
else
	not_ok "a failed run leaves no valid record file"
fi

mkcore "$tmp/bad2" "$ram" 0:0:0x2800
run "$vmcheck" "$tmp/bad2"
expect "hvdump-vmcheck rejects p_memsz that is not a page multiple" 1 \
	'^hvdump-guest: vmcheck FAILED: .*p_memsz 0x2800 is not a multiple of 4096'

head -c $((4096 + 0x300000 + 0x100000)) "$core" >"$tmp/bad3"
run "$vmcheck" "$tmp/bad3"
expect "hvdump-vmcheck rejects a segment past the end of the file" 1 \
	'^hvdump-guest: vmcheck FAILED: PT_LOAD 2 .*past the end of the file'

head -c 4096 "$ram" >"$tmp/bad4"
run "$vmcheck" "$tmp/bad4"
expect "hvdump-vmcheck rejects a non-ELF file" 1 '^hvdump-guest: vmcheck FAILED: .*not an ELF file$'

cp "$core" "$tmp/bad5"
printf '\x39\x00' | dd of="$tmp/bad5" bs=1 seek=54 conv=notrunc status=none # e_phentsize
run "$vmcheck" "$tmp/bad5"
expect "hvdump-vmcheck rejects a bad e_phentsize" 1 '^hvdump-guest: vmcheck FAILED: .*e_phentsize 57'

cp "$core" "$tmp/bad6"
printf '\x00\xff\xff\xff\xff\xff\xff\xff' | dd of="$tmp/bad6" bs=1 seek=32 conv=notrunc \
	status=none # e_phoff near 2^64: offset + size overflows
run "$vmcheck" "$tmp/bad6"
expect "hvdump-vmcheck rejects a program header table past the end of the file" 1 \
	'^hvdump-guest: vmcheck FAILED: .*program header table .* past the end'

# A PT_NOTE whose note claims more bytes than the segment holds.
cp "$core" "$tmp/bad7"
printf '\xff\xff\x00\x00' | dd of="$tmp/bad7" bs=1 seek=$((64 + 3 * 56 + 4)) conv=notrunc \
	status=none # first note's n_descsz
run "$vmcheck" "$tmp/bad7"
expect "hvdump-vmcheck rejects a note running past its PT_NOTE" 1 \
	'^hvdump-guest: vmcheck FAILED: PT_NOTE 0: note at offset 0x0 .*runs past'

head -c $((32 + 16 * 100)) "$tmp/guest.hsh" >"$tmp/short.hsh"
run "$tools/pagecmp" "$tmp/host.hsh" "$tmp/short.hsh"
expect "pagecmp rejects a record file shorter than its count (exit 2)" 2 \
	'record count exceeds the file size'

run "$tools/pagecmp" "$tmp/host.hsh" "$core"
expect "pagecmp rejects a file without the magic (exit 2)" 2 'bad magic'

run "$tools/pagecmp" "$tmp/host.hsh" "$tmp/guest.hsh" --skip 0x400000-0x300000
expect "pagecmp rejects an empty --skip range (exit 2)" 2 'bad --skip range'

echo "1..$n"
[ "$failed" = 0 ]
