// SPDX-License-Identifier: GPL-2.0-or-later
// Applying a capture plan.  The copies run before the capture QEMU exists, so this is pure
// downtime: in-kernel copies of each zone, then the header.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "dump/capture.h"
#include "format/elfcore.h"

int capture_apply(int ram_fd, const struct capture_plan *p, const uint8_t *notes,
		  size_t notes_len, const struct kmap *km, char *why, size_t whylen)
{
	struct stat st;
	struct statvfs sv;
	uint8_t *hdr;
	int r;

	if (fstat(ram_fd, &st) < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot stat the RAM file: %s", strerror(errno));
		return r;
	}
	if ((uint64_t)st.st_size != p->ext_off) {
		snprintf(why, whylen, "RAM file is %lld bytes, the plan expects %llu",
			 (long long)st.st_size, (unsigned long long)p->ext_off);
		return -EINVAL;
	}
	if (fstatvfs(ram_fd, &sv) == 0 && (uint64_t)sv.f_bavail * sv.f_frsize < p->ext_size) {
		snprintf(why, whylen, "the RAM file's file system lacks the %llu MiB the capture "
			 "layout needs", (unsigned long long)(p->ext_size >> 20));
		return -ENOSPC;
	}
	if (ftruncate(ram_fd, (off_t)p->next.ram_size) < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot grow the RAM file: %s", strerror(errno));
		return r;
	}
	/* In-kernel copies: no page faults in our address space, and a full tmpfs is an
	 * error code (ENOSPC) instead of the SIGBUS a write through a mapping would get. */
	for (size_t i = 0; i < p->ncopies; i++) {
		loff_t src = (loff_t)p->copies[i].src_off, dst = (loff_t)p->copies[i].dst_off;
		uint64_t left = p->copies[i].size;
		while (left) {
			ssize_t n = copy_file_range(ram_fd, &src, ram_fd, &dst, left, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				r = n < 0 ? -errno : -EIO;
				snprintf(why, whylen, "cannot copy crashed memory into the extension: %s",
					 strerror(-r));
				return r;
			}
			left -= (uint64_t)n;
		}
	}
	hdr = malloc(p->hdr_size);
	if (!hdr)
		return -ENOMEM;
	r = elfcore_build(hdr, p->hdr_size, p->hdr_gpa, p->loads, p->nloads, notes, notes_len, km);
	if (r < 0)
		snprintf(why, whylen, "cannot build the ELF core header");
	if (r == 0 && pwrite(ram_fd, hdr, p->hdr_size, (off_t)p->hdr_off) != (ssize_t)p->hdr_size) {
		r = errno ? -errno : -EIO;
		snprintf(why, whylen, "cannot write the ELF core header: %s", strerror(-r));
	}
	if (r == 0 && fdatasync(ram_fd) < 0) {
		r = -errno;
		snprintf(why, whylen, "cannot sync the RAM file: %s", strerror(errno));
	}
	free(hdr);
	for (size_t z = 0; r == 0 && z < p->nzones; z++)
		if (fallocate(ram_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)p->zones[z].start, (off_t)p->zones[z].size) < 0)
			break; /* kept: harmless, the boot overwrites it */
	return r;
}

int capture_read_header(int fd, uint64_t off, struct elfcore_segment **segs, size_t *nsegs)
{
	uint8_t *hdr = malloc(CAPTURE_HDR_READ);
	size_t got = 0, need = 0;
	int r;

	*segs = NULL;
	*nsegs = 0;
	if (!hdr)
		return -ENOMEM;
	while (got < CAPTURE_HDR_READ) {
		ssize_t n = pread(fd, hdr + got, CAPTURE_HDR_READ - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	r = got ? elfcore_parse(hdr, got, 0, segs, nsegs, &need) : -EIO;
	free(hdr);
	return r;
}
