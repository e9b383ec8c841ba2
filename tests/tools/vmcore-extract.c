// SPDX-License-Identifier: GPL-2.0-or-later
// vmcore-extract: build, on the host, the ELF file a capture kernel shows as /proc/vmcore.
// It reads the ELF core header hvdump wrote into the RAM file (where elfcorehdr= points),
// follows its PT_NOTE and PT_LOADs (guest-physical addresses in the capture layout) and
// writes a standalone ELF core.  Independent tools (readelf, makedumpfile) then check it.
// Usage: vmcore-extract CRASH.json OUT.elf [RAMFILE]
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump/layout.h"
#include "format/elfcore.h"

static int copy_range(int in, uint64_t off, int out, uint64_t outoff, uint64_t len)
{
	static char buf[1 << 20];
	while (len) {
		size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		ssize_t r = pread(in, buf, n, (off_t)off);
		if (r <= 0 || pwrite(out, buf, (size_t)r, (off_t)outoff) != r)
			return -1;
		off += (uint64_t)r;
		outoff += (uint64_t)r;
		len -= (uint64_t)r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	json_error_t je;
	json_t *rec, *cap;
	struct machine_layout m;
	uint64_t hdr_off, pos;
	uint8_t *hdr;
	struct elfcore_segment *segs;
	size_t nsegs, need, hdrlen = 1 << 20;
	const char *ram;
	int in, out;

	if (argc < 3) {
		fprintf(stderr, "usage: vmcore-extract CRASH.json OUT.elf [RAMFILE]\n");
		return 2;
	}
	rec = json_load_file(argv[1], 0, &je);
	cap = json_object_get(rec, "capture");
	if (!rec || !cap) {
		fprintf(stderr, "vmcore-extract: %s: no capture layout in the record\n", argv[1]);
		return 2;
	}
	ram = argc > 3 ? argv[3] : json_string_value(json_object_get(rec, "ram_file"));
	m.ram_size = (uint64_t)json_integer_value(json_object_get(cap, "ram_file_bytes"));
	m.lowmem = (uint64_t)json_integer_value(json_object_get(cap, "lowmem_bytes"));
	hdr_off = (uint64_t)json_integer_value(json_object_get(cap, "elfcorehdr_offset"));
	in = open(ram, O_RDONLY);
	out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	hdr = malloc(hdrlen);
	if (in < 0 || out < 0 || !hdr || pread(in, hdr, hdrlen, (off_t)hdr_off) != (ssize_t)hdrlen) {
		fprintf(stderr, "vmcore-extract: cannot read %s or write %s\n", ram, argv[2]);
		return 2;
	}
	if (elfcore_parse(hdr, hdrlen, 0, &segs, &nsegs, &need) < 0) {
		fprintf(stderr, "vmcore-extract: no valid ELF core header at offset %llu\n",
			(unsigned long long)hdr_off);
		return 1;
	}
	/* output: ELF header + phdrs, then each segment's bytes in order */
	pos = ELFCORE_EHDR_SIZE + nsegs * ELFCORE_PHDR_SIZE;
	{
		struct elfcore_load *loads = calloc(nsegs, sizeof(*loads));
		uint8_t *notes = NULL;
		size_t notes_len = 0, nl = 0;
		for (size_t i = 0; i < nsegs; i++) {
			uint64_t src;
			if (layout_gpa_to_off(&m, segs[i].offset, &src) < 0) {
				fprintf(stderr, "vmcore-extract: segment %zu at 0x%llx is not RAM\n", i,
					(unsigned long long)segs[i].offset);
				return 1;
			}
			if (segs[i].type == 4 /* PT_NOTE */) {
				notes = malloc(segs[i].filesz);
				if (!notes || pread(in, notes, segs[i].filesz, (off_t)src) != (ssize_t)segs[i].filesz)
					return 2;
				notes_len = segs[i].filesz;
				continue;
			}
			loads[nl++] = (struct elfcore_load){ .paddr = segs[i].paddr, .size = segs[i].memsz,
							     .vaddr = segs[i].vaddr };
		}
		/* notes right after the headers, then the loads */
		pos = ELFCORE_EHDR_SIZE + (nl + 1) * ELFCORE_PHDR_SIZE + notes_len;
		pos = (pos + 4095) & ~4095ull;
		for (size_t i = 0, li = 0; i < nsegs; i++) {
			uint64_t src;
			if (segs[i].type == 4)
				continue;
			if (layout_gpa_to_off(&m, segs[i].offset, &src) < 0 ||
			    copy_range(in, src, out, pos, segs[i].memsz) < 0) {
				fprintf(stderr, "vmcore-extract: copy failed\n");
				return 2;
			}
			loads[li++].data_addr = pos;
			pos += segs[i].memsz;
		}
		{
			size_t hs = elfcore_header_size(nl, 0, notes_len);
			uint8_t *h = calloc(1, hs);
			/* base 0: the PT_NOTE offset becomes the file offset of the notes */
			if (!h || elfcore_build(h, hs, 0, loads, nl, notes, notes_len, NULL) < 0 ||
			    pwrite(out, h, hs, 0) != (ssize_t)hs)
				return 2;
			free(h);
		}
		printf("vmcore-extract: %zu loads, %zu bytes of notes, %llu bytes\n", nl, notes_len,
		       (unsigned long long)pos);
		free(loads);
		free(notes);
	}
	close(out);
	return 0;
}
