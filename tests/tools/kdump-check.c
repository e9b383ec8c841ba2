// SPDX-License-Identifier: GPL-2.0-or-later
// kdump-check: verify a kdump-compressed dump with src/format/kdump.h (headers, bitmaps,
// every descriptor, every page decompressed to exactly 4096 bytes), print a summary, and
// optionally hash every valid page into a pagehash.h record file for tests/tools/pagecmp.
// Usage: kdump-check [--incomplete] DUMP [--hash OUT.hsh [--lowmem L]]
//   --incomplete  accept a dump marked incomplete (missing pages are counted, not errors)
//   --hash OUT    one record per valid pfn (paddr = pfn * 4096), zero pages hashed as zero
//                 pages; pages excluded by filtering cannot be hashed and are counted
//   --lowmem L    with --hash: skip pfns in [L, 4 GiB), the part of the guest-physical
//                 space a RAM file (pagehash RAMFILE LOWMEM) does not hold
// Prints "kdump-check: ok ..." and exits 0; prints "kdump-check: FAILED: <why>" and exits 1
// for a bad dump; exits 2 on usage or I/O errors.
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/elfcore.h"
#include "format/kdump.h"
#include "format/vmcoreinfo.h"
#include "pagehash.h"

#define FOUR_GIB (UINT64_C(4) << 30)
#ifndef NT_PRSTATUS
#define NT_PRSTATUS 1
#endif

static void usage(void)
{
	fprintf(stderr, "usage: kdump-check [--incomplete] DUMP [--hash OUT.hsh [--lowmem L]]\n");
	exit(2);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned shift = 0;

	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case '\0': break;
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	default: return -1;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int main(int argc, char **argv)
{
	const char *dump = NULL, *hash_out = NULL;
	uint64_t lowmem = UINT64_MAX;
	unsigned flags = 0;
	char why[512];
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--hash") && i + 1 < argc)
			hash_out = argv[++i];
		else if (!strcmp(argv[i], "--lowmem") && i + 1 < argc) {
			if (parse_u64(argv[++i], &lowmem) < 0 || lowmem % KDUMP_PAGE_SIZE)
				usage();
		} else if (!strcmp(argv[i], "--incomplete"))
			flags |= KDUMP_OPEN_INCOMPLETE;
		else if (argv[i][0] == '-' || dump)
			usage();
		else
			dump = argv[i];
	}
	if (!dump || (lowmem != UINT64_MAX && !hash_out))
		usage();

	int fd = open(dump, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "kdump-check: %s: %s\n", dump, strerror(errno));
		return 2;
	}
	struct kdump *k;
	ret = kdump_open(fd, flags, &k, why, sizeof(why));
	if (ret < 0) {
		printf("kdump-check: FAILED: %s: %s\n", dump, why);
		return 1;
	}
	const struct kdump_info *in = kdump_get_info(k);

	/* notes and VMCOREINFO */
	const uint8_t *notes;
	size_t notes_len = 0, pos = 0;
	int nprstatus = 0, bad_notes = 0;
	struct elfnote n;
	if (kdump_notes(k, &notes, &notes_len) == 0) {
		while ((ret = elfnote_next(notes, notes_len, &pos, &n)) == 1)
			nprstatus += n.type == NT_PRSTATUS && elfnote_is(&n, "CORE");
		bad_notes = ret < 0;
	}
	const char *vmci;
	size_t vmci_len;
	char osrelease[65] = "none";
	if (kdump_vmcoreinfo(k, &vmci, &vmci_len) == 0 &&
	    vmcoreinfo_get(vmci, vmci_len, "OSRELEASE", osrelease, sizeof(osrelease)) < 0)
		strcpy(osrelease, "?");

	/* every dumped page */
	static uint8_t page[KDUMP_PAGE_SIZE];
	uint64_t by_flag[0x21] = { 0 }, zero = 0, missing = 0, bad = 0, stored = 0, high = 0;
	for (uint64_t pfn = kdump_next_valid(k, 0); pfn < in->max_mapnr;
	     pfn = kdump_next_valid(k, pfn + 1)) {
		uint64_t off;
		uint32_t size, f;
		if (kdump_pfn_state(k, pfn) != KDUMP_PFN_DUMPED)
			continue;
		ret = kdump_page_desc(k, pfn, &off, &size, &f);
		if (ret == 0 && off == 0) {
			missing++;
			continue;
		}
		if (ret == 0)
			ret = kdump_read_page(k, pfn, page);
		if (ret < 0) {
			if (bad++ < 5)
				printf("kdump-check: pfn %#" PRIx64 ": %s\n", pfn, strerror(-ret));
			continue;
		}
		by_flag[f <= 0x20 ? f : 0]++;
		if (off >= high) { /* data shared between pages (the zero page) counts once */
			stored += size;
			high = off + size;
		}
		zero += kdump_page_is_zero(page);
	}
	if (bad) {
		printf("kdump-check: FAILED: %s: %" PRIu64 " pages do not read back\n", dump, bad);
		return 1;
	}

	/* page hashes */
	uint64_t hashed = 0, skipped = 0, excluded = 0;
	if (hash_out) {
		struct pagehash_writer *pw = malloc(sizeof(*pw));
		int hfd = open(hash_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (!pw || hfd < 0 || pagehash_writer_open(pw, hfd) < 0) {
			fprintf(stderr, "kdump-check: %s: %s\n", hash_out, strerror(errno));
			return 2;
		}
		for (uint64_t pfn = kdump_next_valid(k, 0); pfn < in->max_mapnr;
		     pfn = kdump_next_valid(k, pfn + 1)) {
			uint64_t paddr = pfn * KDUMP_PAGE_SIZE;
			if (paddr >= lowmem && paddr < FOUR_GIB) {
				skipped++;
				continue;
			}
			ret = kdump_read_page(k, pfn, page);
			if (ret == -ENODATA) {
				excluded++;
				continue;
			}
			if (ret < 0) {
				printf("kdump-check: FAILED: pfn %#" PRIx64 ": %s\n", pfn,
				       strerror(-ret));
				return 1;
			}
			if (pagehash_writer_add(pw, paddr, pagehash_page(page)) < 0) {
				fprintf(stderr, "kdump-check: %s: %s\n", hash_out, strerror(errno));
				return 2;
			}
			hashed++;
		}
		if (pagehash_writer_finish(pw) < 0 || close(hfd) < 0) {
			fprintf(stderr, "kdump-check: %s: %s\n", hash_out, strerror(errno));
			return 2;
		}
		free(pw);
	}

	printf("kdump-check: ok %s version=%d release=%s machine=%s status=%#x dump_level=%d "
	       "nr_cpus=%d phys_base=%#" PRIx64 " max_mapnr=%#" PRIx64 " valid=%" PRIu64
	       " dumped=%" PRIu64 " zero=%" PRIu64 " raw=%" PRIu64 " zlib=%" PRIu64
	       " lzo=%" PRIu64 " snappy=%" PRIu64 " zstd=%" PRIu64 " missing=%" PRIu64
	       " stored_mb=%.1f file_mb=%.1f notes=%zu prstatus=%d vmcoreinfo=%s%s%s\n",
	       dump, in->header_version, in->uts.release[0] ? in->uts.release : "-",
	       in->uts.machine[0] ? in->uts.machine : "-", in->status, in->dump_level,
	       in->nr_cpus, in->phys_base, in->max_mapnr, in->nr_valid, in->nr_dumped, zero,
	       by_flag[0], by_flag[DUMP_DH_COMPRESSED_ZLIB], by_flag[DUMP_DH_COMPRESSED_LZO],
	       by_flag[DUMP_DH_COMPRESSED_SNAPPY], by_flag[DUMP_DH_COMPRESSED_ZSTD], missing,
	       (double)stored / 1e6, (double)in->file_size / 1e6, notes_len, nprstatus,
	       osrelease, in->incomplete ? " INCOMPLETE" : "",
	       bad_notes ? " (notes malformed)" : "");
	if (hash_out)
		printf("kdump-check: hashed=%" PRIu64 " skipped_lowmem_hole=%" PRIu64
		       " excluded=%" PRIu64 " -> %s\n", hashed, skipped, excluded, hash_out);
	kdump_close(k);
	close(fd);
	return 0;
}
