// SPDX-License-Identifier: GPL-2.0-or-later
// kdump-mapcmp: compare which pages two kdump-compressed dumps of the same memory hold (their
// bitmap 2), e.g. hvdump convert -d 31 against makedumpfile -d 31.
// Usage: kdump-mapcmp A B [--below PFN] [--common]
//   --below PFN  compare pfns under PFN only (QEMU's ELF dumps carry the BIOS ROM at the top
//                of 4 GiB, which makedumpfile leaves out as beyond the kernel's memory map)
//   --common     compare only pfns both files describe as RAM (bitmap 1 of both)
// Prints "kdump-mapcmp: A dumps N, B dumps M, only-A X, only-B Y, both-RAM Z" and up to 8
// pfns of each difference with their state; exits 0 when the dumped sets are equal, 1 when
// they differ, 2 on usage or read errors.
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/kdump.h"

static struct kdump *open_dump(const char *path)
{
	struct kdump *k;
	char why[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || kdump_open(fd, 0, &k, why, sizeof(why)) < 0) {
		fprintf(stderr, "kdump-mapcmp: %s: %s\n", path, fd < 0 ? "cannot open" : why);
		return NULL;
	}
	return k;
}

int main(int argc, char **argv)
{
	uint64_t below = UINT64_MAX, na = 0, nb = 0, onlya = 0, onlyb = 0, ram = 0;
	struct kdump *a, *b;
	int shown_a = 0, shown_b = 0;

	int common = 0;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--below") && i + 1 < argc)
			below = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--common"))
			common = 1;
		else
			argc = 0;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: kdump-mapcmp A B [--below PFN] [--common]\n");
		return 2;
	}
	a = open_dump(argv[1]);
	b = open_dump(argv[2]);
	if (!a || !b)
		return 2;
	uint64_t max = kdump_get_info(a)->max_mapnr;
	if (kdump_get_info(b)->max_mapnr > max)
		max = kdump_get_info(b)->max_mapnr;
	if (max > below)
		max = below;
	for (uint64_t pfn = 0; pfn < max; pfn++) {
		enum kdump_pfn_state sa = kdump_pfn_state(a, pfn), sb = kdump_pfn_state(b, pfn);
		if (common && (sa == KDUMP_PFN_ABSENT || sb == KDUMP_PFN_ABSENT))
			continue;
		int da = sa == KDUMP_PFN_DUMPED, db = sb == KDUMP_PFN_DUMPED;
		na += da;
		nb += db;
		ram += sa != KDUMP_PFN_ABSENT && sb != KDUMP_PFN_ABSENT;
		if (da && !db && onlya++ < 8)
			shown_a++, printf("only in A: pfn %#" PRIx64 " (B: %s)\n", pfn,
					  sb == KDUMP_PFN_ABSENT ? "absent" : "excluded");
		if (db && !da && onlyb++ < 8)
			shown_b++, printf("only in B: pfn %#" PRIx64 " (A: %s)\n", pfn,
					  sa == KDUMP_PFN_ABSENT ? "absent" : "excluded");
	}
	printf("kdump-mapcmp: A dumps %" PRIu64 ", B dumps %" PRIu64 ", only-A %" PRIu64
	       ", only-B %" PRIu64 ", both-RAM %" PRIu64 "\n", na, nb, onlya, onlyb, ram);
	(void)shown_a;
	(void)shown_b;
	kdump_close(a);
	kdump_close(b);
	return onlya || onlyb ? 1 : 0;
}
