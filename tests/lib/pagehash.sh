# SPDX-License-Identifier: GPL-2.0-or-later
# The page-exact test of a dump (guest/README.md, "the page-exact correctness test"): a
# --crash-hook hashes every page of the crashed memory on the host before anything is written;
# a dump of that crash, however it was made, must hold the same pages with the same bytes.
# Sourced after common.sh.
#
#   hvdump run ... --crash-hook "$(pagehash_hook)"        crash N hashed into $T/hostN.hsh
#   check_pages "dump is page-exact" 1 "$dump"            one test point
PAGEHASH_TOOLS=$ROOT/build/tests/tools

# pagehash_hook [BOOT-REGION [SEED PAGES]]: the --crash-hook command (tests/lib/hash-crash)
# that hashes crash N's memory into $T/hostN.hsh and each of its DIMMs into $T/hostN.dimmI.hsh,
# and lists the DIMMs in $T/dimmsN.txt.  BOOT-REGION (hvdump's --boot-region) is needed when a
# capture guest may crash: only that much of the RAM file is then the crashed kernel's.  With
# SEED and PAGES it also counts each DIMM's pattern pages (ramscan) into $T/scanN.I.txt.
pagehash_hook() {
	printf '%q ' "$ROOT/tests/lib/hash-crash" "$T" "$@"
}

# pagehash_magic FILE: the first 8 bytes of FILE, NULs dropped
pagehash_magic() { head -c 8 -- "$1" | tr -d '\0'; }

# dump_pages DUMP OUT: hash every page of DUMP, a saved dump (ELF: hvdump-vmcheck;
# kdump-compressed: kdump-check, which also validates every header, bitmap and descriptor)
# into the page-hash record file OUT.
dump_pages() {
	case $(pagehash_magic "$1") in
	$'\x7fELF'*) "$PAGEHASH_TOOLS/hvdump-vmcheck" --out "$2" "$1" ;;
	'KDUMP   ') "$PAGEHASH_TOOLS/kdump-check" "$1" --hash "$2" ;;
	*)
		echo "dump_pages: $1 is neither an ELF core nor a kdump-compressed file" >&2
		return 2
		;;
	esac
}

# pages_match N FILE: pagecmp of FILE's pages against crash N's (the RAM file's hashes and
# its DIMMs'), leaving out 0xa0000-0x100000 (the legacy VGA and BIOS hole: not System RAM to
# the guest, so in no dump).  FILE is a page-hash record file (HVPGHSH1: hvdump-vmcheck's,
# kdump-check --hash's, or a disk image the capture guest wrote one to) or a saved dump, hashed
# here first.
pages_match() {
	local n=$1 file=$2 host=("$T/host$1.hsh") f
	for f in "$T/host$n".dimm*.hsh; do
		[ -e "$f" ] && host+=("$f")
	done
	if [ "$(pagehash_magic "$file")" != HVPGHSH1 ]; then
		dump_pages "$file" "$T/pages.$_tap_n.hsh" || return
		file=$T/pages.$_tap_n.hsh
	fi
	"$PAGEHASH_TOOLS/pagecmp" "${host[@]}" "$file" --skip 0xa0000-0x100000
}

# check_pages DESCRIPTION N FILE: one test point, pages_match N FILE; pagecmp's summary is
# shown either way.
check_pages() {
	check "$1" pages_match "$2" "$3"
	local st=$?
	[ $st -eq 0 ] && diag "$(grep '^pagecmp: ' <<<"$CHECK_OUT")"
	return $st
}
