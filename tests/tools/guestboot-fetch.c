// SPDX-License-Identifier: GPL-2.0-or-later
// guestboot-fetch: guestboot_fetch() from the command line, for tests and measurements.
// Usage: guestboot-fetch [--json] [--nbd] [--qemu-nbd PATH] --release R --out DIR
//                        DISK[,format=raw|qcow2] ...
//   --nbd   read raw images through qemu-nbd too (the qcow2 path), to compare
// Prints what was fetched (key=value lines, or one JSON object) and exits 0; when nothing was
// fetched prints the reason on stderr (and {"error": ..., "errno": ...} with --json) and
// exits 1 when the kernel is not there (-ENOENT), 3 when it was refused or a disk could not
// be read; 2 on usage errors.
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk/guestboot.h"

#define MAX_DISKS 16

static void usage(void)
{
	fprintf(stderr, "usage: guestboot-fetch [--json] [--nbd] [--qemu-nbd PATH] --release R "
		"--out DIR DISK[,format=raw|qcow2] ...\n");
	exit(2);
}

static void print_found(const struct guestboot_found *f, bool json)
{
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:i, s:i, s:s, s:s, s:s, s:b, "
				      "s:s, s:I, s:I}",
				      "kernel", f->kernel, "initrd", f->initrd, "kernel_src",
				      f->kernel_src, "initrd_src", f->initrd_src, "kernel_bytes",
				      (json_int_t)f->kernel_bytes, "initrd_bytes",
				      (json_int_t)f->initrd_bytes, "disk", (int)f->disk, "partition",
				      (int)f->partition, "table", f->table, "fs_type", f->fs_type,
				      "fs_uuid", f->fs_uuid, "separate_boot", f->separate_boot,
				      "note", f->note, "ms", (json_int_t)f->ms, "bytes_read",
				      (json_int_t)f->bytes_read);
		char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
		if (!s) {
			fprintf(stderr, "guestboot-fetch: out of memory\n");
			exit(2);
		}
		printf("%s\n", s);
		free(s);
		json_decref(o);
		return;
	}
	printf("kernel=%s\nkernel_bytes=%llu\nkernel_src=%s\n", f->kernel,
	       (unsigned long long)f->kernel_bytes, f->kernel_src);
	printf("initrd=%s\ninitrd_bytes=%llu\ninitrd_src=%s\n", f->initrd,
	       (unsigned long long)f->initrd_bytes, f->initrd_src);
	printf("disk=%u\npartition=%u\ntable=%s\nfs_type=%s\nfs_uuid=%s\nseparate_boot=%d\n",
	       f->disk, f->partition, f->table, f->fs_type, f->fs_uuid, f->separate_boot);
	printf("note=%s\nms=%lld\nbytes_read=%llu\n", f->note, f->ms,
	       (unsigned long long)f->bytes_read);
}

/* "PATH[,format=F]" into D (PATH is cut at the comma in place). */
static void parse_disk(char *arg, struct guest_disk *d)
{
	char *comma = strrchr(arg, ',');

	d->path = arg;
	if (comma && !strncmp(comma + 1, "format=", 7)) {
		*comma = '\0';
		d->format = comma + 8;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },   { "nbd", no_argument, NULL, 'n' },
		{ "qemu-nbd", required_argument, NULL, 'q' },
		{ "release", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' }, { NULL, 0, NULL, 0 },
	};
	struct guest_disk disks[MAX_DISKS] = { { 0 } };
	const char *release = NULL, *out = NULL, *qemu_nbd = NULL;
	bool json = false, nbd = false;
	struct guestboot_found *found;
	char why[8192];
	size_t n = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'n': nbd = true; break;
		case 'q': qemu_nbd = optarg; break;
		case 'r': release = optarg; break;
		case 'o': out = optarg; break;
		default: usage();
		}
	}
	if (!release || !out || optind >= argc || argc - optind > MAX_DISKS)
		usage();
	for (; optind < argc; optind++, n++) {
		parse_disk(argv[optind], &disks[n]);
		disks[n].via_nbd = nbd;
	}
	if (!(found = calloc(1, sizeof(*found))))
		return 2;
	r = guestboot_fetch(disks, n, release, qemu_nbd, out, found, why, sizeof(why));
	if (r == 0) {
		print_found(found, json);
	} else {
		fprintf(stderr, "guestboot-fetch: %s\n", why);
		if (json) {
			json_t *o = json_pack("{s:s, s:i, s:I}", "error", why, "errno", -r, "ms",
					      (json_int_t)found->ms);
			char *s = o ? json_dumps(o, 0) : NULL;
			if (s)
				printf("%s\n", s);
			free(s);
			json_decref(o);
		}
	}
	free(found);
	return r == 0 ? 0 : r == -ENOENT ? 1 : 3;
}
