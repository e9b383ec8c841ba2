/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Partition tables of a guest's disk image (GPT and MBR, with the logical partitions of an
 * extended one), read through a callback: pure and bounds-checked, every byte untrusted (the
 * guest owns its disk).  See docs/guest-disk.md.
 *
 *   LBA 0        LBA 1          LBA 2..       ...                     last LBA
 *   +----------+--------------+-------------+-----------------------+--------------+
 *   | MBR:     | GPT header   | GPT entries | partitions            | backup GPT   |
 *   | 4 slots  | "EFI PART",  | (usually    |                       | header (its  |
 *   | at 446,  | CRC32s of    | 128 x 128   |  MBR extended: a chain | entries just |
 *   | 0x55AA   | itself and   | bytes)      |  of EBRs, each one     | before it)   |
 *   | at 510   | the entries  |             |  logical + a link      |              |
 *   +----------+--------------+-------------+-----------------------+--------------+
 */
#ifndef HVDUMP_FORMAT_PARTTABLE_H
#define HVDUMP_FORMAT_PARTTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PARTTABLE_MAX 128u          /* partitions reported; more are ignored (a note says) */
#define PARTTABLE_GPT_ARRAY_MAX (256u << 10) /* bytes of GPT entry array read and checked */

enum parttable_kind { PARTTABLE_NONE, PARTTABLE_MBR, PARTTABLE_GPT };

struct parttable_entry {
	unsigned number;       /* as Linux numbers it: GPT slot + 1; MBR 1-4, logical 5.. */
	uint64_t start, size;  /* bytes, inside the disk (checked) */
	uint8_t mbr_type;      /* MBR system ID; 0 for GPT */
	uint8_t type_guid[16]; /* GPT type, on-disk (mixed-endian) byte order; zeros for MBR */
	char type_name[24];    /* "Linux filesystem", "EFI system", "swap", ... or "type 0xNN" */
	char label[40];        /* GPT partition name (ASCII; other characters as '?'); "" */
	bool logical;          /* MBR logical partition */
};

struct parttable {
	enum parttable_kind kind;
	unsigned sector_size;  /* 512 or 4096 (GPT found at LBA 1 of that size); 512 for MBR */
	size_t n;
	struct parttable_entry e[PARTTABLE_MAX];
	char note[200];        /* what was odd but not fatal: backup GPT used, entries skipped */
};

/* Read exactly LEN bytes at byte offset OFF of the disk into BUF: 0 or -errno. */
typedef int (*parttable_read_fn)(void *ctx, void *buf, size_t len, uint64_t off);

/* Read the partition table of a disk of DISK_SIZE bytes.  GPT (a protective MBR, then the
 * primary header at LBA 1 for 512- or 4096-byte sectors, else the backup at the last LBA;
 * header and entry-array CRC32 checked, at most PARTTABLE_GPT_ARRAY_MAX bytes of entries),
 * else MBR (slots with a boot flag other than 0 or 0x80 mean "no table"; an extended
 * partition's chain is followed at most PARTTABLE_MAX steps and never to an EBR seen before).
 * Partitions that do not fit the disk or their extended partition are skipped with a note.
 *
 * Returns 0 with OUT filled (kind PARTTABLE_NONE when sector 0 holds no table: the disk may
 * be one file system); -EBADMSG when a GPT is there but neither header nor entry array is
 * intact (WHY says what failed, for each copy); -errno from READ.  OUT is zeroed first. */
__attribute__((warn_unused_result)) int parttable_read(parttable_read_fn read, void *ctx,
						       uint64_t disk_size, struct parttable *out,
						       char *why, size_t whylen);

/* The table kind as text: "none", "MBR", "GPT". */
const char *parttable_kind_name(enum parttable_kind kind);

#endif
