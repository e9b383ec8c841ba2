/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Page filtering by type, makedumpfile's dump levels: which pages of a dump can be left out
 * because the kernel's own struct page says what they hold.
 *
 *   level bit  what is left out                          how it is recognised
 *   1  ZERO    pages whose 4096 bytes are all zero        reading the page (the caller's job:
 *                                                        pagefilter_zero_scan)
 *   2  CACHE   page cache without private data            PG_lru (or swap cache), mapping not
 *                                                        anonymous, no PG_private
 *   4  CACHE_PRI  page cache, with or without private     as 2, PG_private allowed
 *   8  USER    process memory                             mapping & PAGE_MAPPING_ANON, or a
 *                                                        hugetlbfs compound page
 *   16 FREE    free pages                                 the buddy allocator's page type, with
 *                                                        the block's order in page.private
 * With any of 2..16, hardware-poisoned and logically offline pages are left out too.  A
 * compound page (THP, large folio) goes as a whole, by its head page's order.
 *
 * The struct pages are found through VMCOREINFO: SYMBOL(mem_section) (SPARSEMEM_EXTREME
 * roots), each section's encoded mem_map, SIZE(page) and the OFFSET(page.*) and NUMBER(PG_*)
 * entries, read with the dump's own kernel page tables (dumpfile_read_virt).  Everything read
 * is untrusted: offsets are held inside SIZE(page), orders inside the free-area count and
 * the dump, and a struct page that cannot be read keeps its page (counted, never guessed).
 * Kernels 4.16 to 6.10+ (the _mapcount page types of 6.9/6.10, PG_hugetlb of 6.6) follow the
 * same rules as makedumpfile, so both tools leave out the same pages. */
#ifndef HVDUMP_FORMAT_PAGEFILTER_H
#define HVDUMP_FORMAT_PAGEFILTER_H

#include <stddef.h>
#include <stdint.h>

#include "format/dumpfile.h"

#define PAGEFILTER_ZERO       1u
#define PAGEFILTER_CACHE      2u
#define PAGEFILTER_CACHE_PRI  4u
#define PAGEFILTER_USER       8u
#define PAGEFILTER_FREE       16u
#define PAGEFILTER_LEVEL_MAX  31u
/* The levels that need the struct page walk. */
#define PAGEFILTER_BY_TYPE    (PAGEFILTER_CACHE | PAGEFILTER_CACHE_PRI | PAGEFILTER_USER | \
			       PAGEFILTER_FREE)

/* Pages left out, by reason, and what could not be judged. */
struct pagefilter_stats {
	uint64_t zero, cache, cache_private, user, free, hwpoison, offline;
	uint64_t sections;          /* memory sections with a mem_map that were walked */
	uint64_t no_memmap;         /* pages of the dump without a readable mem_map entry */
	uint64_t memmap_unreadable; /* pages whose struct page could not be read (kept) */
	uint64_t bad_order;         /* free blocks or compound pages with an impossible order
				     * (the page is judged alone) */
	uint64_t memmap_end;        /* 1 + the highest pfn of the dump in a section with a
				     * mem_map: above it is no memory the kernel manages (QEMU
				     * dumps the BIOS ROM below 4 GiB); 0 when none was found */
};

/* Total pages left out. */
uint64_t pagefilter_excluded(const struct pagefilter_stats *st);

/* Mark in EXCL (a bitmap of pfns [0, MAX_PFN), bit set = leave out; the caller allocates and
 * clears it) the pages of D's ranges that LEVEL's type bits (2..16) leave out, adding to ST.
 * Bits already set stay set.  Pages at or above MAX_PFN are not looked at.  Returns 0; or
 * -ENOTSUP when D cannot be filtered by type (no VMCOREINFO, no page-table translation, a
 * required VMCOREINFO entry missing or absurd, a memory model other than SPARSEMEM_EXTREME),
 * with WHY naming what is missing; -EINVAL for a level above 31.  A level without type bits
 * is a no-op. */
__attribute__((warn_unused_result)) int pagefilter_scan(struct dumpfile *d, unsigned level,
							 uint8_t *excl, uint64_t max_pfn,
							 struct pagefilter_stats *st, char *why,
							 size_t whylen);

/* Mark in ZERO (a bitmap over [0, MAX_PFN) like EXCL) every page of D's ranges below
 * MAX_PFN that is not set in SKIP and whose data reads as all zero bytes; ST->zero counts
 * them.  Pages that cannot be read are left alone.  PROGRESS (may be NULL) is called now
 * and then with the pfn reached.  Returns 0 or -ENOMEM. */
typedef void (*pagefilter_progress_fn)(void *ctx, uint64_t pfn);
__attribute__((warn_unused_result)) int pagefilter_zero_scan(struct dumpfile *d,
							      const uint8_t *skip, uint8_t *zero,
							      uint64_t max_pfn,
							      struct pagefilter_stats *st,
							      pagefilter_progress_fn progress,
							      void *ctx);

/* Bit helpers for EXCL-style bitmaps. */
static inline int pagefilter_test(const uint8_t *bm, uint64_t pfn)
{
	return (bm[pfn >> 3] >> (pfn & 7)) & 1;
}

static inline void pagefilter_set(uint8_t *bm, uint64_t pfn)
{
	bm[pfn >> 3] |= (uint8_t)(1u << (pfn & 7));
}

#endif
