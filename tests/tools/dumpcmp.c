// SPDX-License-Identifier: GPL-2.0-or-later
// dumpcmp: check that every page a converted dump holds equals the original's.
// Usage: dumpcmp ORIG OTHER
//   ORIG, OTHER: ELF vmcores or kdump-compressed files (src/format/dumpfile.h).  Every page
//   of OTHER's ranges that OTHER can read is compared with ORIG's page at the same address;
//   pages OTHER left out (filtered) are counted.  A page OTHER holds that ORIG does not, or
//   that differs, is a failure.
// Prints "dumpcmp: compared N, left out M, differ D, extra E" and exits 0 when D = E = 0,
// 1 otherwise, 2 on usage or open errors.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "format/dumpfile.h"

#define PG 4096u

int main(int argc, char **argv)
{
	struct dumpfile *a, *b;
	struct dumpfile_range r;
	uint8_t pa[PG], pb[PG];
	uint64_t compared = 0, left = 0, differ = 0, extra = 0;
	char why[256];

	if (argc != 3) {
		fprintf(stderr, "usage: dumpcmp ORIG OTHER\n");
		return 2;
	}
	if (dumpfile_open(argv[1], 0, &a, why, sizeof(why)) < 0 ||
	    dumpfile_open(argv[2], 0, &b, why, sizeof(why)) < 0) {
		fprintf(stderr, "dumpcmp: %s\n", why);
		return 2;
	}
	for (uint64_t from = 0; dumpfile_next_range(b, from, &r) == 0; from = r.start + r.size) {
		for (uint64_t p = r.start; p + PG <= r.start + r.size; p += PG) {
			int rb = dumpfile_read_phys(b, p, pb, PG);
			if (rb == -ENODATA) {
				left++;
				continue;
			}
			int ra = dumpfile_read_phys(a, p, pa, PG);
			if (rb < 0 || ra < 0) {
				if (extra++ < 8)
					printf("page %#" PRIx64 ": orig %s, other %s\n", p,
					       ra < 0 ? strerror(-ra) : "ok",
					       rb < 0 ? strerror(-rb) : "ok");
				continue;
			}
			compared++;
			if (memcmp(pa, pb, PG) != 0 && differ++ < 8)
				printf("page %#" PRIx64 " differs\n", p);
		}
	}
	printf("dumpcmp: compared %" PRIu64 ", left out %" PRIu64 ", differ %" PRIu64
	       ", extra %" PRIu64 "\n", compared, left, differ, extra);
	dumpfile_close(a);
	dumpfile_close(b);
	return differ || extra ? 1 : 0;
}
