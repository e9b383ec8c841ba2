/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A read-only libext2fs io_manager over a byte range (a partition) of a struct blockdev.
 * Reads outside the range fail; writes, discards and zeroing fail with EROFS.  A few
 * read-ahead windows turn libext2fs's block-at-a-time file reads into large requests (one
 * qemu-nbd round trip per window, not per block). */
#ifndef HVDUMP_DISK_EXTIO_H
#define HVDUMP_DISK_EXTIO_H

#include <stddef.h>
#include <stdint.h>

#include <ext2fs/ext2fs.h>

#include "disk/blockdev.h"

#define EXTIO_WINDOWS 4
#define EXTIO_WINDOW (1u << 20)   /* bytes read ahead on a miss */

struct extio_range {
	uint32_t magic;           /* set by extio_name() */
	struct blockdev *bd;
	uint64_t start, size;     /* bytes; start + size inside bd (the caller checked) */
};

/* The io_manager; pass it to ext2fs_open2() with the name extio_name() made. */
io_manager extio_manager(void);

/* Make NAME (at least 40 bytes) the device name under which extio_manager() opens R.  R must
 * outlive the file system opened on it. */
void extio_name(struct extio_range *r, char *name, size_t len);

#endif
