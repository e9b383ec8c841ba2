/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One reader for both dump formats hvdump meets: an ELF vmcore (QEMU dump-guest-memory,
 * /proc/vmcore, hvdump's own) or a kdump-compressed file (makedumpfile, hvdump's saver).
 *
 *   dumpfile_open(path)
 *     first 8 bytes "\x7fELF..."  -> vmcore.h     PT_LOADs, notes, VMCOREINFO
 *                   "KDUMP   "    -> kdump.h      bitmaps, page descriptors, notes
 *   both give: guest-physical reads, the notes blob, the VMCOREINFO text, the memory ranges,
 *   kernel virtual reads (vmcore.h's x86-64 page-table walk over the physical reads)
 *
 * Physical reads of a kdump file go through kdump_read_page() and a small cache of decoded
 * pages.  A read error means the same thing in either format:
 *   -EFAULT   the address is not in the dump (outside every PT_LOAD; a pfn not in bitmap 1)
 *   -ENODATA  the page is RAM the dump left out: filtered (bitmap 2 clear, dump level not 1)
 *             or missing from an incomplete kdump file
 *   -EIO      the file could not be read (truncated under us, I/O error), or the page's
 *             stored data is corrupt (does not decompress to 4096 bytes; snappy)
 * Virtual reads add -ENXIO (not mapped), -ENOKEY (no translation) and -EBADMSG (malformed
 * page-table entry), as vmcore.h.
 *
 * Everything in the file is untrusted; the format readers check it.  Nothing here prints,
 * exits or keeps global state.  One handle is not thread-safe (it caches pages). */
#ifndef HVDUMP_FORMAT_DUMPFILE_H
#define HVDUMP_FORMAT_DUMPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "format/kdump.h"

enum dumpfile_format { DUMPFILE_ELF, DUMPFILE_KDUMP, DUMPFILE_SOURCE };

#define DUMPFILE_PAGE_SIZE 4096u
/* Decoded kdump pages kept for physical reads (direct-mapped by pfn). */
#define DUMPFILE_CACHE_PAGES 16u

/* Accept a kdump file marked incomplete (its missing pages read as -ENODATA). */
#define DUMPFILE_OPEN_INCOMPLETE 0x1u

struct dumpfile;

/* Open PATH, find its format from its first bytes, and open it with that format's reader.
 * FLAGS: DUMPFILE_OPEN_*.  Returns 0 with *OUT set, or a negative errno with WHY (if not
 * NULL) holding a one-line explanation without the file name:
 *   -ENOEXEC      neither an ELF file nor a kdump-compressed one (WHY says what it looks
 *                 like: empty, flattened makedumpfile format, old diskdump, ...)
 *   -EPROTONOSUPPORT, -EINVAL, -EFBIG    an ELF file vmcore_open() refuses (vmcore.h)
 *   -EBADMSG      a malformed kdump file;  -ENOTSUP a kdump file this reader cannot read;
 *   -EAGAIN       an incomplete kdump file without DUMPFILE_OPEN_INCOMPLETE
 *   -ENOMEM, or what open/read failed with (-ENOENT, -EACCES, -EISDIR, ...). */
__attribute__((warn_unused_result)) int dumpfile_open(const char *path, unsigned flags,
						       struct dumpfile **out, char *why,
						       size_t whylen);
void dumpfile_close(struct dumpfile *d);

/* Crashed memory that is not in a file yet (the host saver's view of the preserved RAM):
 * guest-physical RANGES (sorted, disjoint, page-aligned) read through READ, and the notes
 * (NT_PRSTATUS, VMCOREINFO).  Everything else works as for a file; ranges and notes are
 * copied, READ and CTX must outlive the handle.  READ returns 0 or a negative errno. */
struct dumpfile_source {
	int (*read)(void *ctx, uint64_t paddr, void *buf, size_t len);
	void *ctx;
	const struct dumpfile_range *ranges;
	size_t nranges;
	const uint8_t *notes;
	size_t notes_len;
};
__attribute__((warn_unused_result)) int dumpfile_open_source(const struct dumpfile_source *src,
							      struct dumpfile **out);

enum dumpfile_format dumpfile_format(const struct dumpfile *d);

/* The kdump header (compression in info->status, incomplete flag, ...), or NULL for ELF. */
const struct kdump_info *dumpfile_kdump_info(const struct dumpfile *d);

/* "ELF", "kdump-zstd", "kdump-lzo", "kdump-zlib", "kdump-snappy" or "kdump-none" (no
 * compression flag in the header status), or "memory" (dumpfile_open_source). */
const char *dumpfile_format_name(const struct dumpfile *d);

/* Size of the file in bytes, as it was at open. */
uint64_t dumpfile_file_size(const struct dumpfile *d);

/* ELF: bytes the PT_LOADs claim beyond the end of the file (a truncated dump); kdump: 0. */
uint64_t dumpfile_missing_bytes(const struct dumpfile *d);

/* Is the memory an ELF dump claims plausible for the size of its file?  A PT_LOAD is a few
 * bytes of header whatever the memory it describes, and the bytes past its p_filesz read as
 * zeros without being stored (makedumpfile -E writes such zero tails), so a 4 KiB file can
 * claim terabytes that a tool would then walk or write out page by page.  Real dumps store
 * at least the kernel's own memory (its struct page arrays alone are 1/64 of RAM): a claim
 * above DUMPFILE_CLAIM_FREE bytes and above DUMPFILE_CLAIM_RATIO times the file's size is
 * refused with -EFBIG and WHY saying what was claimed (a kdump file's bitmaps grow with the
 * memory it describes, and memory sources are ours: both 0). */
#define DUMPFILE_CLAIM_FREE (16ull << 30)
#define DUMPFILE_CLAIM_RATIO 4096u
int dumpfile_claim_check(const struct dumpfile *d, char *why, size_t whylen);

/* The ELF notes (NT_PRSTATUS per CPU, VMCOREINFO, ...) and the VMCOREINFO text (not
 * NUL-terminated).  NULL with *LEN = 0 when the dump has none.  Held by D. */
const uint8_t *dumpfile_notes(const struct dumpfile *d, size_t *len);
const char *dumpfile_vmcoreinfo(const struct dumpfile *d, size_t *len);

/* A range of guest-physical memory the dump describes: a PT_LOAD (ELF) or a run of set
 * bits in bitmap 1 (kdump).  Whether each page of it can be read is another matter. */
struct dumpfile_range {
	uint64_t start;
	uint64_t size;
};

/* The first range, in address order, that ends above FROM, clipped to start at FROM or
 * later: iterate with FROM = 0, then FROM = R->start + R->size.  Returns 0, or -ENOENT when
 * there is none.  Cost: a binary search (ELF), a bitmap scan from FROM (kdump). */
__attribute__((warn_unused_result)) int dumpfile_next_range(const struct dumpfile *d,
							     uint64_t from,
							     struct dumpfile_range *r);

/* Does the dump hold data for page PFN: inside a PT_LOAD (ELF; bytes past p_filesz read as
 * zeros), or set in bitmap 2 (kdump, whose descriptor may still be missing in an incomplete
 * file)?  0 for a pfn outside every range, or one a kdump tool filtered out. */
int dumpfile_pfn_dumped(const struct dumpfile *d, uint64_t pfn);

/* Read LEN bytes of guest-physical memory at PADDR (may span pages and ranges).  0 or the
 * errors listed at the top; on error BUF's contents are unspecified. */
__attribute__((warn_unused_result)) int dumpfile_read_phys(struct dumpfile *d, uint64_t paddr,
							    void *buf, size_t len);

/* Kernel virtual address translation and reads (vmcore.h's rules, over dumpfile_read_phys). */
__attribute__((warn_unused_result)) int dumpfile_kvtop(struct dumpfile *d, uint64_t vaddr,
							uint64_t *paddr);
__attribute__((warn_unused_result)) int dumpfile_read_virt(struct dumpfile *d, uint64_t vaddr,
							    void *buf, size_t len);

/* Page-table levels the translation walks (4 or 5), or 0 when it cannot translate. */
unsigned dumpfile_paging_levels(const struct dumpfile *d);

/* dumpfile_read_phys() and dumpfile_read_virt() as read callbacks taking the handle as CTX
 * (kallsyms_read_fn, kinfo_read_fn, printk's and kdump's readers): one pair for every user. */
int dumpfile_phys_cb(void *d, uint64_t paddr, void *buf, size_t len);
int dumpfile_virt_cb(void *d, uint64_t vaddr, void *buf, size_t len);

/* What the dump holds, page by page (4096-byte guest-physical pages of every range;
 * total = zero + nonzero + excluded + missing + unreadable). */
struct dumpfile_page_stats {
	uint64_t total;
	uint64_t zero;        /* stored (or implied by the format) and all zero bytes */
	uint64_t nonzero;     /* stored, not all zero */
	uint64_t excluded;    /* kdump: RAM (bitmap 1) the dump tool filtered out (bitmap 2) */
	uint64_t missing;     /* no data in the file: an incomplete kdump, a truncated ELF */
	uint64_t unreadable;  /* corrupt data or an I/O error */
	uint64_t first_unreadable; /* paddr of the first unreadable page (if unreadable > 0) */
	int first_error;      /* its error */
};

/* Read every page of every range and count.  Returns 0 (problems are counted, not returned)
 * or -ENOMEM.  Costs a pass over the whole dump (a kdump's shared zero page is recognised
 * by its descriptor and not decompressed again). */
__attribute__((warn_unused_result)) int dumpfile_page_stats(struct dumpfile *d,
							     struct dumpfile_page_stats *st);

#endif
