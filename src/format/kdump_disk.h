/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kdump-compressed on-disk layout: the byte offsets crash and makedumpfile use on x86-64,
 * the little-endian codecs, and the layout arithmetic shared by the writer and the reader.
 * Internal to src/format/kdump*.c and the tests; the public API is kdump.h.
 *
 * makedumpfile writes native x86-64 structs holding int, long, off_t and struct timeval.  The
 * structs below spell out that layout with fixed-width fields and the implicit padding made
 * explicit; they are never written raw: the codecs put each field at its offsetof()
 * little-endian.  See docs/kdump-format.md for the diagram. */
#ifndef HVDUMP_FORMAT_KDUMP_DISK_H
#define HVDUMP_FORMAT_KDUMP_DISK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "format/le.h"

#include "format/kdump.h"

#define KDUMP_SIG_LEN 8u
#define KDUMP_UTS_LEN 65u

/* struct disk_dump_header, block 0. */
struct kdump_disk_header {
	char signature[KDUMP_SIG_LEN];     /* "KDUMP   " */
	int32_t header_version;            /* 6 */
	char utsname[6][KDUMP_UTS_LEN];    /* struct new_utsname */
	uint8_t pad0[6];                   /* struct timeval is 8-aligned */
	int64_t tv_sec;
	int64_t tv_usec;
	uint32_t status;                   /* DUMP_DH_* */
	int32_t block_size;
	int32_t sub_hdr_size;              /* blocks */
	uint32_t bitmap_blocks;            /* both bitmaps */
	uint32_t max_mapnr;                /* 32-bit, obsolete: max_mapnr_64 */
	uint32_t total_ram_blocks;
	uint32_t device_blocks;
	uint32_t written_blocks;
	uint32_t current_cpu;
	int32_t nr_cpus;
	/* struct task_struct *tasks[]: empty, 8-aligned */
};
_Static_assert(offsetof(struct kdump_disk_header, header_version) == 8, "dh version");
_Static_assert(offsetof(struct kdump_disk_header, utsname) == 12, "dh utsname");
_Static_assert(offsetof(struct kdump_disk_header, tv_sec) == 408, "dh timestamp");
_Static_assert(offsetof(struct kdump_disk_header, tv_usec) == 416, "dh timestamp usec");
_Static_assert(offsetof(struct kdump_disk_header, status) == 424, "dh status");
_Static_assert(offsetof(struct kdump_disk_header, block_size) == 428, "dh block_size");
_Static_assert(offsetof(struct kdump_disk_header, sub_hdr_size) == 432, "dh sub_hdr_size");
_Static_assert(offsetof(struct kdump_disk_header, bitmap_blocks) == 436, "dh bitmap_blocks");
_Static_assert(offsetof(struct kdump_disk_header, max_mapnr) == 440, "dh max_mapnr");
_Static_assert(offsetof(struct kdump_disk_header, current_cpu) == 456, "dh current_cpu");
_Static_assert(offsetof(struct kdump_disk_header, nr_cpus) == 460, "dh nr_cpus");
_Static_assert(sizeof(struct kdump_disk_header) == 464, "dh size");

/* struct kdump_sub_header, block 1 (header_version 6 fields). */
struct kdump_disk_sub_header {
	uint64_t phys_base;
	int32_t dump_level;
	int32_t split;
	uint64_t start_pfn;                /* 32-bit era, obsolete */
	uint64_t end_pfn;
	int64_t offset_vmcoreinfo;         /* v3+: file offset of the VMCOREINFO text */
	uint64_t size_vmcoreinfo;
	int64_t offset_note;               /* v4+: file offset of the ELF notes */
	uint64_t size_note;
	int64_t offset_eraseinfo;          /* v5+ */
	uint64_t size_eraseinfo;
	uint64_t start_pfn_64;             /* v6+ */
	uint64_t end_pfn_64;
	uint64_t max_mapnr_64;
};
_Static_assert(offsetof(struct kdump_disk_sub_header, dump_level) == 8, "kh dump_level");
_Static_assert(offsetof(struct kdump_disk_sub_header, offset_vmcoreinfo) == 32, "kh vmcoreinfo");
_Static_assert(offsetof(struct kdump_disk_sub_header, offset_note) == 48, "kh note");
_Static_assert(offsetof(struct kdump_disk_sub_header, offset_eraseinfo) == 64, "kh eraseinfo");
_Static_assert(offsetof(struct kdump_disk_sub_header, start_pfn_64) == 80, "kh start_pfn_64");
_Static_assert(offsetof(struct kdump_disk_sub_header, max_mapnr_64) == 96, "kh max_mapnr_64");
_Static_assert(sizeof(struct kdump_disk_sub_header) == 104, "kh size");

/* struct page_desc: one per set bit of the 2nd bitmap, in pfn order. */
struct kdump_disk_page_desc {
	int64_t offset;                    /* file offset of the page data; 0: missing */
	uint32_t size;                     /* bytes stored, at most block_size */
	uint32_t flags;                    /* 0 raw, or one DUMP_DH_COMPRESSED_* */
	uint64_t page_flags;               /* unused (0) */
};
_Static_assert(offsetof(struct kdump_disk_page_desc, size) == 8, "pd size");
_Static_assert(offsetof(struct kdump_disk_page_desc, flags) == 12, "pd flags");
_Static_assert(offsetof(struct kdump_disk_page_desc, page_flags) == 16, "pd page_flags");
_Static_assert(sizeof(struct kdump_disk_page_desc) == 24, "pd size");
#define KDUMP_DESC_SIZE 24u

/* hvdump's resume record: two 64-byte slots, at offsets 0 and 512 of the last block of the
 * sub-header area (crash and makedumpfile never read past the sub header and the notes).
 * The slot with the highest seq whose crc32 checks out wins, so a torn write of one slot
 * leaves the other. */
struct kdump_disk_resume {
	char magic[8];                     /* "HVKDRES1" */
	uint64_t seq;                      /* slot = seq % 2 */
	uint64_t next_pfn;                 /* every valid pfn below is durable */
	uint64_t data_end;                 /* file offset: end of durable page data */
	uint64_t ndumped;                  /* descriptors durable: rank of next_pfn */
	uint32_t state;                    /* KDUMP_RESUME_WRITING or _FINISHED */
	int32_t level;                     /* compression level the writer used */
	uint64_t data_off;                 /* start of the data area (the shared zero page) */
	uint32_t crc;                      /* crc32 of bytes [0, 56) */
	uint32_t reserved;
};
_Static_assert(offsetof(struct kdump_disk_resume, state) == 40, "resume state");
_Static_assert(offsetof(struct kdump_disk_resume, data_off) == 48, "resume data_off");
_Static_assert(offsetof(struct kdump_disk_resume, crc) == 56, "resume crc");
_Static_assert(sizeof(struct kdump_disk_resume) == 64, "resume size");
#define KDUMP_RESUME_MAGIC "HVKDRES1"
#define KDUMP_RESUME_SLOT_STRIDE 512u
#define KDUMP_RESUME_WRITING 1u
#define KDUMP_RESUME_FINISHED 2u

/* Offsets into an uncompressed header block of the fields above. */
#define KDUMP_DH(field) offsetof(struct kdump_disk_header, field)
#define KDUMP_KH(field) offsetof(struct kdump_disk_sub_header, field)

/* The largest max_mapnr we accept: 2^40 pfns of 4 KiB = 4 PiB, x86-64's 52-bit physical
 * address space. */
#define KDUMP_MAX_MAPNR (UINT64_C(1) << 40)

/* Put a one-line reason into WHY (if not NULL) and return ERR: the readers' error style. */
static inline int kdump_fail(char *why, size_t whylen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline int kdump_fail(char *why, size_t whylen, int err, const char *fmt, ...)
{
	if (why && whylen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* Decoded page descriptor. */
struct kdump_desc {
	uint64_t offset;                   /* as stored: the sign bit is refused by the reader */
	uint32_t size;
	uint32_t flags;
	uint64_t page_flags;
};

void kdump_desc_encode(uint8_t out[KDUMP_DESC_SIZE], const struct kdump_desc *d);
struct kdump_desc kdump_desc_decode(const uint8_t in[KDUMP_DESC_SIZE]);

/* Where everything goes for a file with MAX_MAPNR pfns, NVALID of them valid, and
 * SUB_BYTES of sub header + notes + vmcoreinfo (the writer adds the resume block). */
struct kdump_layout {
	uint32_t sub_hdr_blocks;           /* sub_hdr_size, including the resume block */
	uint32_t bitmap_blocks;            /* both bitmaps */
	uint64_t bitmap_bytes;             /* one bitmap */
	uint64_t bitmap1_off, bitmap2_off;
	uint64_t resume_off;               /* the resume block (0: none, ONESHOT) */
	uint64_t desc_off;                 /* page_desc array */
	uint64_t data_off;                 /* page data: the shared zero page first */
};

/* With ONESHOT the layout has no resume block and the page data follows the descriptors
 * at once (as makedumpfile lays a file out), for files written in one go; else the sub
 * header ends with the resume block and the data starts on a block boundary.
 * Returns 0 or -EOVERFLOW / -EFBIG when the numbers do not fit the format. */
__attribute__((warn_unused_result)) int kdump_layout_compute(uint64_t max_mapnr, uint64_t nvalid,
							      uint64_t sub_bytes, int oneshot,
							      struct kdump_layout *l);

/* pread/pwrite all of LEN bytes at OFF, retrying on EINTR and short transfers.  0, or a
 * negative errno: -EIO when the file ends first (read), -ENOSPC when nothing more can be
 * written (write). */
__attribute__((warn_unused_result)) int kdump_pread_full(int fd, void *buf, size_t len,
							  uint64_t off);
__attribute__((warn_unused_result)) int kdump_pwrite_full(int fd, const void *buf, size_t len,
							   uint64_t off);

/* Bitmap helpers over a little-endian bit order (bit i of byte i/8 is pfn i % 8), as the
 * format and crash store it. */
static inline int kdump_bit_test(const uint8_t *map, uint64_t pfn)
{
	return (map[pfn >> 3] >> (pfn & 7)) & 1;
}

static inline void kdump_bit_set(uint8_t *map, uint64_t pfn)
{
	map[pfn >> 3] |= (uint8_t)(1u << (pfn & 7));
}

/* The first set bit at or after FROM and below LIMIT, or LIMIT. */
uint64_t kdump_bit_next(const uint8_t *map, uint64_t from, uint64_t limit);

/* Set bits in [0, LIMIT). */
uint64_t kdump_bit_count(const uint8_t *map, uint64_t limit);

/* Resume record codec: encode fills the crc; decode returns 0 or -EBADMSG. */
void kdump_resume_encode(uint8_t out[64], const struct kdump_disk_resume *r);
__attribute__((warn_unused_result)) int kdump_resume_decode(const uint8_t in[64],
							     struct kdump_disk_resume *r);

/* The reader's internals the writer's resume path uses. */
struct kdump;
#define KDUMP_OPEN_NO_DESC_CHECK 0x100u  /* internal: skip the descriptor walk */
const uint8_t *kdump_bitmap1(const struct kdump *k);
const uint8_t *kdump_bitmap2(const struct kdump *k);
uint64_t kdump_sub_hdr_blocks(const struct kdump *k);
uint64_t kdump_desc_offset(const struct kdump *k);

#endif
