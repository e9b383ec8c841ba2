// SPDX-License-Identifier: GPL-2.0-or-later
// The kdump writer's state, shared by its two halves: kdump_write.c (create, append,
// checkpoint, finish) and kdump_resume.c (continue from a checkpoint).  Not for other users:
// they see struct kdump_writer only through format/kdump.h.
#ifndef HVDUMP_FORMAT_KDUMP_WRITER_INT_H
#define HVDUMP_FORMAT_KDUMP_WRITER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "format/kdump.h"
#include "format/kdump_disk.h"

#define DATA_BUF (1u << 20)
#define DESC_BUF 4096u               /* descriptors (96 KiB) */

struct kdump_writer {
	int fd;
	char *path, *final_path;
	enum kdump_compression alg;
	int level;
	uint64_t max_mapnr, nvalid;
	uint8_t *bm;                 /* pfns to dump (bitmap 2), ceil(max_mapnr / 8) bytes */
	struct kdump_layout l;
	uint8_t hdr[KDUMP_PAGE_SIZE]; /* block 0, rewritten complete by finish */
	uint64_t next_pfn, ndumped, seq;
	uint64_t data_end;           /* logical end of the data, buffered bytes included */
	uint8_t *dbuf;
	size_t dlen;
	uint64_t dbuf_off;           /* file offset of dbuf[0] */
	uint8_t *descbuf;
	size_t ndesc;
	uint64_t desc_rank0;         /* rank of descbuf's first descriptor */
	int err;                     /* sticky I/O error */
	int finished;
	int oneshot;                 /* no resume record */
	struct kdump_writer_stats st;
};

/* The header's status flag for compression C. */
uint32_t kdump_writer_alg_flag(enum kdump_compression c);
/* Is LEVEL a level compression C accepts? */
int kdump_writer_level_ok(enum kdump_compression c, int level);
/* Write zeros to FD's [FROM, TO) (where the file system cannot punch or zero a range).  0 or
 * -errno. */
int kdump_writer_write_zeros(int fd, uint64_t from, uint64_t to);
/* A writer for PATH (renamed to FINAL_PATH when finished) of MAX_MAPNR pfns, fd -1, all
 * buffers allocated; NULL when out of memory. */
struct kdump_writer *kdump_writer_alloc(const char *path, const char *final_path,
					uint64_t max_mapnr);

#endif
