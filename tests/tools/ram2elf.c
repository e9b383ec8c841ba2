// SPDX-License-Identifier: GPL-2.0-or-later
// ram2elf: write an ELF vmcore from a RAM file laid out as QEMU does (low RAM below 4 GiB,
// the rest above), with the notes of NOTES.elf: the same crashed memory, for peers that
// read ELF (makedumpfile).  Usage: ram2elf RAMFILE LOWMEM NOTES.elf OUT.elf
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump/layout.h"
#include "format/elfcore.h"
#include "util/fsutil.h"

int main(int argc, char **argv)
{
	struct machine_layout m;
	struct mem_range r[4];
	struct elfcore_load loads[4];
	struct elfcore_segment *segs;
	size_t n, nsegs, need, flen = 0, notes_len = 0, hs;
	const uint8_t *notes = NULL;
	char *nf = NULL;
	static char buf[8 << 20];
	struct stat st;
	uint64_t pos;
	int in, out;

	if (argc != 5) {
		fprintf(stderr, "usage: ram2elf RAMFILE LOWMEM NOTES.elf OUT.elf\n");
		return 2;
	}
	in = open(argv[1], O_RDONLY);
	if (in < 0 || fstat(in, &st) < 0 || read_file(argv[3], 64 << 20, &nf, &flen) < 0 ||
	    elfcore_parse((const uint8_t *)nf, flen, flen, &segs, &nsegs, &need) < 0) {
		fprintf(stderr, "ram2elf: cannot read %s or %s\n", argv[1], argv[3]);
		return 2;
	}
	for (size_t i = 0; i < nsegs; i++)
		if (segs[i].type == 4) {
			notes = (const uint8_t *)nf + segs[i].offset;
			notes_len = segs[i].filesz;
		}
	m.ram_size = (uint64_t)st.st_size;
	m.lowmem = strtoull(argv[2], NULL, 0);
	n = layout_production_ram(&m, r);
	hs = elfcore_header_size(n, 0, notes_len);
	pos = (hs + 4095) & ~4095ull;
	for (size_t i = 0; i < n; i++) {
		loads[i] = (struct elfcore_load){ .paddr = r[i].start, .size = r[i].size, .data_addr = pos };
		pos += r[i].size;
	}
	out = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	{
		uint8_t *h = calloc(1, hs);
		if (out < 0 || !h || elfcore_build(h, hs, 0, loads, n, notes, notes_len, NULL) < 0 ||
		    pwrite(out, h, hs, 0) != (ssize_t)hs)
			return 2;
		free(h);
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t off, done = 0;
		if (layout_gpa_to_off(&m, r[i].start, &off) < 0)
			return 2;
		while (done < r[i].size) {
			size_t k = r[i].size - done < sizeof(buf) ? (size_t)(r[i].size - done) : sizeof(buf);
			if (pread(in, buf, k, (off_t)(off + done)) != (ssize_t)k ||
			    pwrite(out, buf, k, (off_t)(loads[i].data_addr + done)) != (ssize_t)k)
				return 2;
			done += k;
		}
	}
	close(out);
	return 0;
}
