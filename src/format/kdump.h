/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kdump-compressed dump files (makedumpfile's "diskdump" format, header version 6, what
 * `crash` and makedumpfile read): a writer for a streaming, multi-threaded saver with durable
 * checkpoints and resume, and a reader that treats every byte of the file as hostile.
 *
 *   block 0        disk_dump_header   "KDUMP   ", v6, utsname, status, sizes
 *   block 1        kdump_sub_header   phys_base, dump_level 0, note/vmcoreinfo offsets
 *                  ELF notes          NT_PRSTATUS per CPU, ..., VMCOREINFO
 *   last sub block hvdump resume record (ignored by other readers)
 *   bitmap 1       valid (RAM) pfns
 *   bitmap 2       dumped pfns (= bitmap 1: zero pages are dumped as a shared zero page)
 *   page_desc[]    one per dumped pfn, in pfn order; room is reserved for every valid pfn
 *   page data      the shared zero page, then pages in pfn order
 *
 * Diagram and field offsets: docs/kdump-format.md.  The page size is 4096 (x86-64).
 *
 * Zero pages: as makedumpfile does at dump level 1 for this format, a page of zeros stores no
 * data; its descriptor points at one raw zero page at the start of the data area, and it
 * stays set in bitmap 2, so every reader gets zeros (crash needs no --zero_excluded).  As
 * nothing is left out, the sub header says dump_level 0 (crash then shows no "[PARTIAL
 * DUMP]", and makedumpfile may refilter it to any level).
 *
 * Compression: none, zlib, LZO (lzo1x_1) or zstd, per page; a page that does not compress
 * below 4096 bytes is stored raw.  The format has no LZ4 flag (DUMP_DH_COMPRESSED_* knows
 * zlib, LZO, snappy and zstd), so LZO is the fast choice crash and makedumpfile can read. */
#ifndef HVDUMP_FORMAT_KDUMP_H
#define HVDUMP_FORMAT_KDUMP_H

#include <stddef.h>
#include <stdint.h>

#define KDUMP_PAGE_SIZE 4096u
#define KDUMP_SIGNATURE "KDUMP   "
#define KDUMP_HEADER_VERSION 6

/* disk_dump_header.status and page_desc.flags bits (makedumpfile's spelling). */
#define DUMP_DH_COMPRESSED_ZLIB 0x1u
#define DUMP_DH_COMPRESSED_LZO 0x2u
#define DUMP_DH_COMPRESSED_SNAPPY 0x4u
#define DUMP_DH_COMPRESSED_INCOMPLETE 0x8u
#define DUMP_DH_EXCLUDED_VMEMMAP 0x10u
#define DUMP_DH_COMPRESSED_ZSTD 0x20u

enum kdump_compression {
	KDUMP_COMPRESS_NONE,
	KDUMP_COMPRESS_ZLIB,
	KDUMP_COMPRESS_LZO,
	KDUMP_COMPRESS_ZSTD,
};

/* "none", "zlib", "lzo", "zstd" <-> enum.  parse returns 0 or -EINVAL. */
const char *kdump_compression_name(enum kdump_compression c);
__attribute__((warn_unused_result)) int kdump_compression_parse(const char *name,
								 enum kdump_compression *c);

/* struct new_utsname: six NUL-terminated fields (64 characters each at most). */
struct kdump_utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

/* sysname "Linux", machine "x86_64", release from VMCOREINFO's OSRELEASE (TEXT[0, LEN));
 * the rest empty.  Returns 0, or -ENOENT when there is no OSRELEASE, -E2BIG when it is
 * longer than 64 characters (the release is then empty; the other fields are filled). */
__attribute__((warn_unused_result)) int kdump_utsname_from_vmcoreinfo(const char *text,
								       size_t len,
								       struct kdump_utsname *u);

/* Read LEN bytes of the crashed kernel's virtual memory at VADDR: 0 or a negative errno. */
typedef int (*kdump_read_virt_fn)(void *ctx, uint64_t vaddr, void *buf, size_t len);

/* The crashed kernel's own struct new_utsname (init_uts_ns.name: nodename, version, ...),
 * found through VMCOREINFO's SYMBOL(init_uts_ns) and OFFSET(uts_namespace.name) and read
 * through READ, as makedumpfile writes it.  Readers such as libkdumpfile refuse a header
 * whose release, version or machine is empty.  Every field must be NUL-terminated within
 * its 65 bytes and printable, sysname "Linux", release VMCOREINFO's OSRELEASE; else U is
 * kdump_utsname_from_vmcoreinfo()'s and the result -EBADMSG (-ENOENT without the symbol, or
 * READ's error). */
__attribute__((warn_unused_result)) int kdump_utsname_from_memory(const char *text, size_t len,
								   kdump_read_virt_fn read,
								   void *ctx,
								   struct kdump_utsname *u);

/* ---- compression: thread-safe, one context per thread ------------------------------------ */

struct kdump_compressor;

/* A per-thread compression context for ALG.  LEVEL 0 picks the default: zlib 1
 * (Z_BEST_SPEED, as makedumpfile), zstd 1 (as makedumpfile); LZO and none ignore it.  zlib
 * accepts 1..9, zstd 1..19.  Returns 0, -EINVAL or -ENOMEM. */
__attribute__((warn_unused_result)) int kdump_compressor_new(enum kdump_compression alg,
							      int level,
							      struct kdump_compressor **out);
void kdump_compressor_free(struct kdump_compressor *c);

/* One page, ready for the appender. */
struct kdump_cpage {
	uint32_t size;    /* bytes of data: 0 for a zero page, else 1..4096 */
	uint32_t flags;   /* 0 (raw, size 4096) or one DUMP_DH_COMPRESSED_* */
	int zero;         /* the page was all zero bytes: nothing stored */
	const uint8_t *data; /* the OUT buffer given to kdump_compress_page() */
};

/* Does PAGE (4096 bytes) hold only zeros? */
int kdump_page_is_zero(const void *page);

/* Compress the 4096-byte PAGE into OUT (at least KDUMP_PAGE_SIZE bytes; CP->data points at
 * it).  Zero pages give CP->zero = 1, size 0; a page that does not shrink is copied raw
 * (flags 0, size 4096).  Pure apart from C's scratch space: threads may call it at the same
 * time with different contexts, also while another thread appends.  Returns 0, or -EIO if
 * the compression library failed. */
__attribute__((warn_unused_result)) int kdump_compress_page(struct kdump_compressor *c,
							     const void *page, void *out,
							     struct kdump_cpage *cp);

/* ---- writer: one thread appends, in pfn order ---------------------------------------------- */

struct kdump_range {
	uint64_t start_pfn, end_pfn;  /* [start_pfn, end_pfn) */
};

struct kdump_writer_opts {
	const char *path;             /* created (truncated if it exists), mode 0600; or a
				       * block device, used as the file: its first bytes, up to
				       * the page data, are zeroed (resume needs a regular file) */
	const char *final_path;       /* NULL: the file stays at PATH; else finish renames it
				       * here (same file system) */
	uint64_t max_mapnr;           /* pfns [0, max_mapnr) */
	const struct kdump_range *ranges; /* the valid pfns, any order, may overlap; each
					   * inside [0, max_mapnr) */
	size_t nranges;
	const uint8_t *notes;         /* ELF notes blob (NT_PRSTATUS per CPU, VMCOREINFO, ...)
				       * stored whole as the note area; may be NULL */
	size_t notes_len;             /* at most KDUMP_NOTES_MAX */
	const char *vmcoreinfo;       /* VMCOREINFO text; NULL: the note in NOTES, if any */
	size_t vmcoreinfo_len;
	const struct kdump_utsname *uts; /* NULL: kdump_utsname_from_vmcoreinfo() */
	int nr_cpus;                  /* 0: the number of NT_PRSTATUS notes (at least 1) */
	const uint8_t *exclude;       /* NULL, or a bitmap of pfns [0, max_mapnr) left out of
				       * the dump (bit set): they stay in bitmap 1 (RAM) but
				       * not in bitmap 2 and get no descriptor */
	int dump_level;               /* what EXCLUDE left out, makedumpfile's -d bits, for
				       * the sub header (0 with no EXCLUDE) */
	enum kdump_compression compression;
	int level;                    /* 0: the default (see kdump_compressor_new) */
	int64_t tv_sec, tv_usec;      /* dump time; both 0: now */
	int oneshot;                  /* no resume record (kdump_writer_resume refuses the
				       * file) and no padding before the page data: the layout
				       * of makedumpfile, for files written in one go */
};

#define KDUMP_NOTES_MAX (64u << 20)

struct kdump_writer;

/* Create the file: headers marked DUMP_DH_COMPRESSED_INCOMPLETE, notes, both bitmaps, the
 * shared zero page and a resume record, all fsync'd (with PATH's directory).  phys_base
 * comes from VMCOREINFO's NUMBER(phys_base) (0 without one).  Returns 0, -EINVAL for bad
 * options (no valid pfn, a range past max_mapnr, notes too large), -EFBIG when the layout
 * does not fit the format's 32-bit block counts, or an I/O -errno. */
__attribute__((warn_unused_result)) int kdump_writer_create(const struct kdump_writer_opts *o,
							     struct kdump_writer **out);

/* Reopen PATH left unfinished by a writer (a crash, or kdump_writer_free() without finish),
 * drop what was written after the last durable checkpoint (kdump_writer_sync or create), and
 * continue: kdump_writer_next_pfn() says which pfn to append next.  The checkpoint is held
 * to the file, which may be damaged: its record to the headers and bitmaps, its end of the
 * data to the file's size, the shared zero page must be zeros, and every descriptor it keeps
 * must point at data it keeps (or at the zero page).  FINAL_PATH as for create.  Compression
 * and level are those of the first writer.  Returns 0, -EALREADY when the file was finished,
 * -EBADMSG when it is not a resumable hvdump file or is damaged (WHY says why, if not NULL),
 * -ENOTSUP for a kdump file kdump_open() cannot read, or an I/O -errno.  -EALREADY, -EBADMSG
 * and -ENOTSUP leave the file as it was. */
__attribute__((warn_unused_result)) int kdump_writer_resume(const char *path,
							     const char *final_path,
							     struct kdump_writer **out,
							     char *why, size_t whylen);

/* The pfn the next kdump_writer_append() must carry: the lowest valid pfn not excluded and
 * not yet appended, or max_mapnr when every such pfn has been appended. */
uint64_t kdump_writer_next_pfn(const struct kdump_writer *w);

/* Does the file get PFN's data (bitmap 2), or was it left out (or is it not RAM)? */
int kdump_writer_dumps(const struct kdump_writer *w, uint64_t pfn);

/* The compression this writer uses (pass it to kdump_compressor_new in each thread); for a
 * resumed writer it is the original's. */
enum kdump_compression kdump_writer_compression(const struct kdump_writer *w);
int kdump_writer_level(const struct kdump_writer *w);

/* Append the page for PFN, which must be kdump_writer_next_pfn() (else -EINVAL; nothing
 * changes).  CP comes from kdump_compress_page() with this writer's compression (or flags 0);
 * its data is copied, so the caller may reuse the buffer at once.  Data and descriptors are
 * buffered and written with large pwrite()s.  Single-threaded: one appender per writer.
 * After an I/O error every later call returns that error. */
__attribute__((warn_unused_result)) int kdump_writer_append(struct kdump_writer *w, uint64_t pfn,
							     const struct kdump_cpage *cp);

/* Checkpoint: write out buffered data and descriptors, fdatasync, then record the checkpoint
 * in the resume record and fdatasync again.  On success *DURABLE_PFN (if not NULL) is the pfn
 * below which every appended page is on stable storage and survives a resume: the guest
 * memory behind it may be released.  Returns 0 or an I/O -errno. */
__attribute__((warn_unused_result)) int kdump_writer_sync(struct kdump_writer *w,
							   uint64_t *durable_pfn);

/* Complete the file: every valid pfn must have been appended (else -EINVAL).  Flushes,
 * fdatasyncs, rewrites the header without DUMP_DH_COMPRESSED_INCOMPLETE, marks the resume
 * record finished, fsyncs, renames PATH to FINAL_PATH (if given) and fsyncs its directory.
 * The writer must still be freed. */
__attribute__((warn_unused_result)) int kdump_writer_finish(struct kdump_writer *w);

/* Close without finishing (the file stays incomplete and resumable from its last durable
 * checkpoint; buffered pages are dropped) or after finish.  NULL is fine. */
void kdump_writer_free(struct kdump_writer *w);

/* After a resume, pages and file_bytes cover the whole file; zero_pages, raw_pages and
 * data_bytes only what this writer appended. */
struct kdump_writer_stats {
	uint64_t pages;           /* appended */
	uint64_t zero_pages;
	uint64_t raw_pages;       /* stored uncompressed */
	uint64_t data_bytes;      /* page data appended (the shared zero page not included) */
	uint64_t file_bytes;      /* current end of the data area */
};
void kdump_writer_get_stats(const struct kdump_writer *w, struct kdump_writer_stats *st);

/* Bytes a file of the writer's layout takes besides its page data: header, sub header with
 * NOTES_LEN bytes of notes and the resume block, both bitmaps over MAX_MAPNR pfns, NVALID
 * page descriptors and the shared zero page (what a save needs before its first page).
 * 0, or -EOVERFLOW / -EFBIG as kdump_writer_create would fail. */
__attribute__((warn_unused_result)) int kdump_writer_overhead(uint64_t max_mapnr, uint64_t nvalid,
							       size_t notes_len, uint64_t *bytes);

/* Where kdump_writer_resume() would continue the unfinished file K (open on FD; opened with
 * KDUMP_OPEN_INCOMPLETE): *NEXT_PFN, the first pfn after its last durable checkpoint, and
 * *DATA_END, the end of the data that checkpoint keeps.  Reads only.  0, -EALREADY when K
 * is complete, -EBADMSG when it has no valid resume record. */
struct kdump;
__attribute__((warn_unused_result)) int kdump_writer_resume_point(int fd, const struct kdump *k,
								   uint64_t *next_pfn,
								   uint64_t *data_end);

/* ---- reader ------------------------------------------------------------------------------ */

struct kdump;

struct kdump_info {
	int32_t header_version;
	uint32_t status;            /* DUMP_DH_* bits of the header */
	int incomplete;             /* DUMP_DH_COMPRESSED_INCOMPLETE */
	int flattened;              /* the file is in makedumpfile's flattened layout
				     * (flat.h); file_size is then the rearranged file's */
	struct kdump_utsname uts;   /* NUL-terminated copies */
	int64_t tv_sec, tv_usec;
	int32_t nr_cpus;
	int32_t dump_level;
	uint64_t phys_base;
	uint64_t max_mapnr;
	uint64_t nr_valid;          /* bits set in bitmap 1 */
	uint64_t nr_dumped;         /* bits set in bitmap 2 = descriptors */
	uint64_t file_size;
};

#define KDUMP_OPEN_INCOMPLETE 0x1u  /* accept a file marked incomplete */

/* Read and check a kdump-compressed file on FD (not closed by kdump_close; must stay open):
 * signature and version (1..6), block size 4096, header sizes against the file size, both
 * bitmaps (sizes against max_mapnr, bitmap 2 a subset of bitmap 1), the notes and VMCOREINFO
 * areas, and every page descriptor (offset inside the data area, offset + size inside the
 * file, size 1..4096, flags raw or exactly one known compression, raw means 4096).  Nothing
 * is trusted; memory use is bounded by the file's size.  A flattened file (makedumpfile -F,
 * QEMU's and libvirt's kdump formats) is read in place through flat.h.  Returns 0, -EBADMSG
 * for a malformed file, -ENOTSUP for a valid file we cannot read (another block size, split
 * dumps), -EAGAIN for an incomplete file without KDUMP_OPEN_INCOMPLETE, -ENOMEM, or an I/O
 * -errno; WHY (if not NULL) gets a one-line explanation. */
__attribute__((warn_unused_result)) int kdump_open(int fd, unsigned flags, struct kdump **out,
						    char *why, size_t whylen);
void kdump_close(struct kdump *k);

const struct kdump_info *kdump_get_info(const struct kdump *k);

enum kdump_pfn_state {
	KDUMP_PFN_ABSENT,     /* beyond max_mapnr or not RAM (bitmap 1 clear) */
	KDUMP_PFN_EXCLUDED,   /* RAM, but filtered out (bitmap 2 clear) */
	KDUMP_PFN_DUMPED,     /* has a descriptor */
};
enum kdump_pfn_state kdump_pfn_state(const struct kdump *k, uint64_t pfn);

/* The first pfn >= FROM that is valid (bitmap 1), or max_mapnr. */
uint64_t kdump_next_valid(const struct kdump *k, uint64_t from);

/* Read PFN's 4096 bytes into BUF.  Returns 0; 1 with BUF zeroed for a page excluded from a
 * dump whose dump_level excludes only zero pages (so it was a zero page); -ENOENT for an
 * absent pfn; -ENODATA for a page excluded by other filtering, or missing from an
 * incomplete dump (descriptor offset 0); -EBADMSG when its data does not decompress to
 * exactly 4096 bytes; -ENOTSUP for snappy pages; or an I/O -errno.  Not thread-safe on one
 * handle (it keeps decompression state): open one per thread. */
__attribute__((warn_unused_result)) int kdump_read_page(struct kdump *k, uint64_t pfn, void *buf);

/* The descriptor of a dumped PFN (for tools): offset, size, flags.  0 or -ENOENT. */
__attribute__((warn_unused_result)) int kdump_page_desc(struct kdump *k, uint64_t pfn,
							 uint64_t *offset, uint32_t *size,
							 uint32_t *flags);

/* The ELF notes and the VMCOREINFO text, held by K.  0, or -ENOENT when the file has none. */
__attribute__((warn_unused_result)) int kdump_notes(const struct kdump *k, const uint8_t **notes,
						     size_t *len);
__attribute__((warn_unused_result)) int kdump_vmcoreinfo(const struct kdump *k, const char **text,
							  size_t *len);

#endif
