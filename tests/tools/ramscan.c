// SPDX-License-Identifier: GPL-2.0-or-later
// ramscan: find the demo guest's pattern pages in a RAM image and check every byte.
// Usage: ramscan FILE SEED PAGES.  Exit 0 only when pages 0..PAGES-1 of SEED are each found
// intact; prints counts of found, damaged, duplicate and missing pages.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pattern.h"

int main(int argc, char **argv)
{
	unsigned long seed, pages;
	unsigned char *seen, *map;
	unsigned long found = 0, damaged = 0, dups = 0, missing = 0, other = 0;
	struct stat st;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: ramscan FILE SEED PAGES\n");
		return 2;
	}
	seed = strtoul(argv[2], NULL, 0);
	pages = strtoul(argv[3], NULL, 0);
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "ramscan: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	seen = calloc(pages ? pages : 1, 1);
	map = st.st_size ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0) : NULL;
	if (!seen || map == MAP_FAILED) {
		fprintf(stderr, "ramscan: cannot map %s\n", argv[1]);
		return 2;
	}
	for (off_t off = 0; off + PATTERN_PAGE_SIZE <= st.st_size; off += PATTERN_PAGE_SIZE) {
		const unsigned char *p = map + off;
		uint32_t s, idx;

		if (memcmp(p, PATTERN_MAGIC, sizeof(PATTERN_MAGIC) - 1) != 0)
			continue;
		if (!pattern_parse_header(p, &s, &idx) || s != seed) {
			other++;
			continue;
		}
		if (!pattern_check_page(p, &s, &idx)) {
			damaged++;
			if (damaged <= 5)
				printf("damaged page %u at file offset 0x%llx\n", idx, (unsigned long long)off);
			continue;
		}
		if (idx >= pages) {
			other++;
			continue;
		}
		if (seen[idx]++)
			dups++;
		else
			found++;
	}
	for (unsigned long i = 0; i < pages; i++)
		if (!seen[i] && ++missing <= 5)
			printf("missing page %lu\n", i);
	printf("pattern pages: expected=%lu found=%lu damaged=%lu duplicate=%lu missing=%lu "
	       "other-seed=%lu\n", pages, found, damaged, dups, missing, other);
	return found == pages && damaged == 0 && missing == 0 ? 0 : 1;
}
