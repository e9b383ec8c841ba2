// SPDX-License-Identifier: GPL-2.0-or-later
// released-check: how much of a saved crash's memory is still allocated on the host.
// Reads the record's capture segments (where each crashed range lives in the RAM file) and
// sums the allocated bytes in them with SEEK_DATA/SEEK_HOLE.
// Usage: released-check CRASH.json [RAMFILE]; prints "allocated=N of=M", exit 0.
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <unistd.h>

#include "dump/release.h"

int main(int argc, char **argv)
{
	json_error_t e;
	json_t *rec, *segs;
	const char *ram;
	uint64_t alloc = 0, total = 0;
	size_t i;
	json_t *seg;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: released-check CRASH.json [RAMFILE]\n");
		return 2;
	}
	rec = json_load_file(argv[1], 0, &e);
	segs = json_object_get(json_object_get(rec, "capture"), "segments");
	ram = argc > 2 ? argv[2] : json_string_value(json_object_get(rec, "ram_file"));
	if (!json_is_array(segs) || !ram || (fd = open(ram, O_RDONLY)) < 0) {
		fprintf(stderr, "released-check: cannot read %s or its RAM file\n", argv[1]);
		return 2;
	}
	json_array_foreach(segs, i, seg) {
		uint64_t off = (uint64_t)json_integer_value(json_object_get(seg, "ram_file_offset"));
		uint64_t len = (uint64_t)json_integer_value(json_object_get(seg, "bytes"));
		alloc += release_allocated(fd, off, len);
		total += len;
	}
	printf("allocated=%llu of=%llu\n", (unsigned long long)alloc, (unsigned long long)total);
	close(fd);
	return 0;
}
