// SPDX-License-Identifier: GPL-2.0-or-later
// Page filtering by type on a synthetic guest whose struct pages say what each page is:
// page cache with and without private data, swap cache, anonymous and slab pages, a free
// buddy block, a transparent huge page and a hugetlbfs page (compound), an offline page;
// and hostile ones: a free block with an impossible order, a compound head with a
// misaligned order, a section whose mem_map is not mapped, a section without a mem_map,
// missing VMCOREINFO entries.  Each level leaves out exactly the expected pages.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/dumpfile.h"
#include "format/pagefilter.h"
#include "tap.h"
#include "unit/synth.h"

#define MEMSZ (10u << 20)
#define NPFN (MEMSZ / 4096u)
#define SECT_PFNS 512u              /* SECTION_SIZE_BITS 21 */
#define P_ROOTS 0x10000u            /* mem_section roots (one page) */
#define P_SECTS 0x11000u            /* root 0: the section entries */
#define P_MEMMAP 0x20000u           /* struct pages of sections 0..2: 1536 * 64 bytes */
#define VMEMMAP 0xffffea0000000000ull
#define VMEMMAP_HOLE 0xffffeb0000000000ull /* section 3's mem_map: not mapped */

#define PG_lru 4
#define PG_swapcache 10
#define PG_slab 9
#define PG_private 13
#define PG_swapbacked 19
#define PG_HEAD (1ull << 16)

static uint8_t *sp(struct synth *s, uint64_t pfn)
{
	return s->mem + P_MEMMAP + pfn * 64;
}

static void page(struct synth *s, uint64_t pfn, uint64_t flags, uint64_t mapping,
		 int32_t mapcount, uint64_t priv)
{
	synth_put(sp(s, pfn), flags, 8);
	synth_put(sp(s, pfn) + 24, mapping, 8);
	synth_put(sp(s, pfn) + 48, (uint32_t)mapcount, 4);
	synth_put(sp(s, pfn) + 40, priv, 8);
}

/* A compound page: head flags, tails point back (compound_head | 1), order/dtor in page 1. */
static void compound(struct synth *s, uint64_t head, unsigned order, uint64_t mapping,
		     uint8_t dtor)
{
	page(s, head, PG_HEAD, mapping, -1, 0);
	for (uint64_t i = 1; i < (1u << order); i++)
		synth_put(sp(s, head + i) + 8, (VMEMMAP + head * 64) | 1, 8);
	sp(s, head + 1)[17] = (uint8_t)order;
	sp(s, head + 1)[16] = dtor;
}

static const char *FULL_INFO =
	"OFFSET(page._mapcount)=48\nOFFSET(page.private)=40\nOFFSET(page.compound_head)=8\n"
	"OFFSET(page.compound_order)=17\nOFFSET(page.compound_dtor)=16\n"
	"NUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
	"NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\nNUMBER(PG_head_mask)=65536\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\nNUMBER(HUGETLB_PAGE_DTOR)=2\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\nLENGTH(zone.free_area)=11\n"
	"LENGTH(mem_section)=4\nSIZE(mem_section)=16\nOFFSET(mem_section.section_mem_map)=0\n"
	"NUMBER(SECTION_SIZE_BITS)=21\n";

/* Build the guest; DROP (if not NULL) is a VMCOREINFO line left out.  Returns the path of
 * its ELF vmcore in a temporary file. */
static char *make_dump(const char *drop, const char *extra)
{
	static char path[64];
	struct synth s;
	size_t len;
	char info[2048];

	if (synth_init(&s, MEMSZ, 4))
		abort();
	/* every mem_map byte reachable at VMEMMAP + pfn * 64 for sections 0..2 */
	for (uint64_t off = 0; off < 3 * SECT_PFNS * 64; off += 4096)
		synth_map(&s, VMEMMAP + off, P_MEMMAP + off, 4096);
	uint64_t roots = synth_map_range(&s, P_ROOTS, 4096);
	uint64_t sects = synth_map_range(&s, P_SECTS, 4096);
	synth_put(s.mem + P_ROOTS, sects, 8);
	for (unsigned nr = 0; nr < 3; nr++)
		synth_put(s.mem + P_SECTS + nr * 16, VMEMMAP | 3, 8);
	synth_put(s.mem + P_SECTS + 3 * 16, VMEMMAP_HOLE | 3, 8); /* mem_map not mapped */
	synth_put(s.mem + P_SECTS + 4 * 16, VMEMMAP | 1, 8);      /* present, no mem_map */

	/* section 0 */
	page(&s, 100, 1ull << PG_lru, 0xffff888000123000ull, -1, 0);         /* cache */
	page(&s, 101, 1ull << PG_lru | 1ull << PG_private, 0xffff888000123000ull, -1, 7);
	page(&s, 102, 1ull << PG_lru | 1ull << PG_swapbacked, 0xffff888000456001ull, 0, 0);
	page(&s, 103, 1ull << PG_slab, 0xffff888000456001ull, -1, 0);        /* slab: kept */
	page(&s, 104, 1ull << PG_swapcache | 1ull << PG_swapbacked, 0xffff888000123000ull, -1,
	     0);                                                             /* swap cache */
	page(&s, 105, 1ull << PG_swapcache, 0xffff888000123000ull, -1, 0);  /* not swap-backed */
	/* section 1: one free block of order 9 */
	page(&s, 512, 0, 0, -129, 9);
	/* section 2 */
	page(&s, 1024, 0, 0, -129, 11);                                      /* bad order */
	compound(&s, 1040, 4, 0xffff888000456001ull, 0);                     /* anon THP */
	compound(&s, 1057, 4, 0xffff888000456001ull, 0);                     /* misaligned */
	page(&s, 1100, 0, 0, -257, 0);                                       /* offline */
	compound(&s, 1200, 2, 0, 2);                                         /* hugetlbfs */

	snprintf(info, sizeof(info), "%sSYMBOL(mem_section)=%llx\n%s", FULL_INFO,
		 (unsigned long long)roots, extra ? extra : "");
	if (drop) {
		char *at = strstr(info, drop);
		if (!at)
			abort();
		char *eol = strchr(at, '\n');
		memmove(at, eol + 1, strlen(eol + 1) + 1);
	}
	synth_infof(&s, "%s", info);
	uint8_t *elf = synth_elf(&s, 1, &len);
	snprintf(path, sizeof(path), "/tmp/test_pagefilter.XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, elf, len) != (ssize_t)len)
		abort();
	close(fd);
	free(elf);
	synth_free(&s);
	return path;
}

static int scan(const char *path, unsigned level, uint8_t *bm, struct pagefilter_stats *st,
		char *why)
{
	struct dumpfile *d;
	int r;

	memset(bm, 0, NPFN / 8);
	memset(st, 0, sizeof(*st));
	if (dumpfile_open(path, 0, &d, why, 256) < 0)
		return -EIO;
	r = pagefilter_scan(d, level, bm, NPFN, st, why, 256);
	dumpfile_close(d);
	return r;
}

static unsigned count(const uint8_t *bm, uint64_t from, uint64_t to)
{
	unsigned n = 0;

	for (uint64_t p = from; p < to; p++)
		n += pagefilter_test(bm, p);
	return n;
}

int main(void)
{
	uint8_t bm[NPFN / 8];
	struct pagefilter_stats st;
	char why[256];
	char *path = make_dump(NULL, NULL);
	int r;

	r = scan(path, 2, bm, &st, why);
	tap_ok(r == 0, "level 2 scans (%s)", why);
	tap_ok(st.cache == 2 && pagefilter_test(bm, 100) && pagefilter_test(bm, 104) &&
	   !pagefilter_test(bm, 101) && !pagefilter_test(bm, 105),
	   "level 2: the cache page and the swap-cache page, not the private one (%llu)",
	   (unsigned long long)st.cache);
	tap_ok(st.offline == 1 && pagefilter_test(bm, 1100), "any type level: the offline page");
	tap_ok(count(bm, 0, NPFN) == 3, "level 2 leaves out 3 pages in all (%u)", count(bm, 0, NPFN));
	tap_ok(st.memmap_unreadable == SECT_PFNS && st.no_memmap == SECT_PFNS,
	   "a section with an unmapped mem_map (%llu pages) and one without (%llu) are kept",
	   (unsigned long long)st.memmap_unreadable, (unsigned long long)st.no_memmap);
	tap_ok(st.sections == 4 && st.memmap_end == 4 * SECT_PFNS,
	   "4 sections with a mem_map, ending at pfn %llu", (unsigned long long)st.memmap_end);

	r = scan(path, 4, bm, &st, why);
	tap_ok(r == 0 && st.cache == 2 && st.cache_private == 1 && pagefilter_test(bm, 101),
	   "level 4: private cache too");

	r = scan(path, 8, bm, &st, why);
	tap_ok(r == 0 && st.user == 1 + 16 + 1 + 4,
	   "level 8: anon page, THP (16), misaligned anon head (1), hugetlbfs (4): %llu",
	   (unsigned long long)st.user);
	tap_ok(pagefilter_test(bm, 102) && !pagefilter_test(bm, 103), "slab page with anon-looking "
	   "mapping kept");
	tap_ok(count(bm, 1040, 1056) == 16 && !pagefilter_test(bm, 1039) && !pagefilter_test(bm, 1056),
	   "the THP goes as a whole, nothing around it");
	tap_ok(count(bm, 1057, 1073) == 1 && pagefilter_test(bm, 1057),
	   "a misaligned compound order is judged as one page");
	tap_ok(count(bm, 1200, 1204) == 4, "hugetlbfs page by its destructor");

	r = scan(path, 16, bm, &st, why);
	tap_ok(r == 0 && st.free == SECT_PFNS && count(bm, 512, 1024) == SECT_PFNS,
	   "level 16: the order-9 free block (%llu)", (unsigned long long)st.free);
	tap_ok(st.bad_order == 1 && !pagefilter_test(bm, 1024), "a free order of 11 is refused");

	r = scan(path, 31, bm, &st, why);
	tap_ok(r == 0 && pagefilter_excluded(&st) == 2 + 1 + 22 + SECT_PFNS + 1 &&
	   count(bm, 0, NPFN) == pagefilter_excluded(&st),
	   "level 31: the counts add up to the bitmap (%u)", count(bm, 0, NPFN));

	/* bits already set stay set and are not counted again */
	struct dumpfile *d;
	if (dumpfile_open(path, 0, &d, why, sizeof(why)) == 0) {
		memset(&st, 0, sizeof(st));
		r = pagefilter_scan(d, 31, bm, NPFN, &st, why, sizeof(why));
		tap_ok(r == 0 && pagefilter_excluded(&st) == 0, "a second scan adds nothing");
		/* zero scan: every page not left out and all zero */
		uint8_t zero[NPFN / 8] = { 0 };
		memset(&st, 0, sizeof(st));
		r = pagefilter_zero_scan(d, bm, zero, NPFN, &st, NULL, NULL);
		tap_ok(r == 0 && st.zero > NPFN / 2 && !pagefilter_test(zero, 512) &&
		   count(zero, 0, NPFN) == st.zero, "zero scan: %llu zero pages, none already out",
		   (unsigned long long)st.zero);
		uint8_t pg[4096];
		int bad = 0;
		for (uint64_t p = 0; p < NPFN; p++)
			if (dumpfile_read_phys(d, p * 4096, pg, 4096) == 0 &&
			    pagefilter_test(zero, p) != (!pagefilter_test(bm, p) &&
							kdump_page_is_zero(pg)))
				bad++;
		tap_ok(bad == 0, "zero scan marks exactly the zero pages (%d wrong)", bad);
		r = pagefilter_scan(d, 32, bm, NPFN, &st, why, sizeof(why));
		tap_ok(r == -EINVAL, "level 32 refused");
		r = pagefilter_scan(d, 1, bm, NPFN, &st, why, sizeof(why));
		tap_ok(r == 0, "level 1 needs no struct pages");
		dumpfile_close(d);
	}

	/* the same memory as a dumpfile_source (what the host saver has): the same verdicts */
	struct dumpfile *f, *m;
	if (dumpfile_open(path, 0, &f, why, sizeof(why)) == 0) {
		struct dumpfile_range rg = { 0, MEMSZ };
		struct dumpfile_source src = { .read = dumpfile_phys_cb, .ctx = f, .ranges = &rg,
					       .nranges = 1 };
		src.notes = dumpfile_notes(f, &src.notes_len);
		uint8_t bm2[NPFN / 8] = { 0 };
		struct pagefilter_stats st2 = { 0 };
		r = dumpfile_open_source(&src, &m);
		tap_ok(r == 0 && strcmp(dumpfile_format_name(m), "memory") == 0,
		       "a dumpfile over a read callback");
		if (r == 0) {
			memset(bm, 0, sizeof(bm));
			memset(&st, 0, sizeof(st));
			r = pagefilter_scan(f, 31, bm, NPFN, &st, why, sizeof(why));
			int r2 = pagefilter_scan(m, 31, bm2, NPFN, &st2, why, sizeof(why));
			tap_ok(r == 0 && r2 == 0 && memcmp(bm, bm2, sizeof(bm)) == 0 &&
			       pagefilter_excluded(&st) == pagefilter_excluded(&st2),
			       "level 31 over the callback leaves out the same pages as over the file");
			uint8_t pg[4096];
			tap_ok(dumpfile_read_phys(m, MEMSZ, pg, 1) == -EFAULT &&
			       dumpfile_pfn_dumped(m, NPFN - 1) && !dumpfile_pfn_dumped(m, NPFN),
			       "reads and pfns outside its ranges are refused");
			dumpfile_close(m);
		}
		dumpfile_close(f);
	}
	unlink(path);

	struct {
		const char *drop, *extra;
		unsigned level;
		const char *want;
	} bad_cases[] = {
		{ "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)", NULL, 16, "PAGE_BUDDY_MAPCOUNT_VALUE" },
		{ "NUMBER(PG_lru)", NULL, 2, "NUMBER(PG_lru)" },
		{ "NUMBER(PG_slab)", NULL, 8, "PG_slab" },
		{ "SIZE(mem_section)", NULL, 31, "SIZE(mem_section)" },
		{ "NUMBER(SECTION_SIZE_BITS)", "NUMBER(SECTION_SIZE_BITS)=99\n", 31,
		  "out of range" },
		{ "LENGTH(mem_section)", "LENGTH(mem_section)=0\n", 31, "out of range" },
		{ "LENGTH(mem_section)", "LENGTH(mem_section)=4\nNUMBER(MAX_PHYSMEM_BITS)=46\n", 31,
		  "SPARSEMEM_EXTREME" },
	};
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		path = make_dump(bad_cases[i].drop, bad_cases[i].extra);
		r = scan(path, bad_cases[i].level, bm, &st, why);
		tap_ok(r == -ENOTSUP && strstr(why, bad_cases[i].want),
		   "without %s, level %u: -ENOTSUP, \"%s\"", bad_cases[i].drop, bad_cases[i].level,
		   why);
		unlink(path);
	}
	/* a hostile section size: huge sections are fine (the walk is per page) */
	path = make_dump("NUMBER(SECTION_SIZE_BITS)", "NUMBER(SECTION_SIZE_BITS)=40\n");
	r = scan(path, 31, bm, &st, why);
	tap_ok(r == 0, "SECTION_SIZE_BITS 40 (one huge section): no crash (%s)", why);
	unlink(path);
	return tap_done();
}
