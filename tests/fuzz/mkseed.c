// SPDX-License-Identifier: GPL-2.0-or-later
// mkseed: seed corpora for the fuzz targets.
// Usage: mkseed OUTDIR [VMCORE]
// Writes OUTDIR/{elfcore,vmcoreinfo,printk}/: small synthetic vmcores (lockless ring with
// 4- and 5-level paging, log_buf), and, given a real VMCORE, a cut-down copy of it that holds
// only the pages `hvdump dmesg` reads (its notes, page tables and printk ring), so the fuzzer
// starts from what a real kernel writes at a size it can mutate quickly.
// Writes OUTDIR/pagefilter/: synthetic vmcores with a SPARSEMEM_EXTREME struct page array
// (four kernel generations' VMCOREINFO; free, cache, user, slab, compound, hugetlb, poisoned,
// offline and unaccepted pages), and, given VMCORE, a cut-down copy that holds what the
// struct page walk of three windows of its first memory section reads (mem_section root and
// entries, page tables, the windows' struct pages; the windows' other pages read as zeros),
// each checked with pagefilter_scan() at level 31.
// Writes OUTDIR/kinfo/: synthetic crashed kernels for the CPU walk (synth_kinfo.h: 4- and
// 5-level paging, current_task and pcpu_hot, both kallsyms layouts, QEMU's pids, 20 CPUs),
// cut down to the pages the walk reads and checked with kinfo; and, given VMCORE,
// OUTDIR/kinfo-real/: the same cut of it (kallsyms tables, per-CPU offsets, tasks, stacks,
// the log).
// Writes OUTDIR/record/: crash records as hvdump writes them, with capture plans of layout.c
// (a 1 GiB and a 5 GiB guest, a capture guest's crash with a DIMM, a saved crash), each
// checked with record_parse() and record_read_capture().
// Writes OUTDIR/kdump_resume/: OUT.part files of the kdump writer stopped after one or two
// checkpoints (zstd, none, LZO with pages left out, zlib), some damaged (a torn resume
// record, a file cut short), a finished and a one-shot file, each checked by resuming it.
// Writes OUTDIR/kallsyms/: the synthetic kallsyms tables of synth_kallsyms.h in each layout,
// packed as fuzz_kallsyms reads them (kallsyms_input.h), each checked with its lookup.
// Writes OUTDIR/kcmdline/: crashed kernels' command lines as fuzz_kcmdline reads them
// (kcmdline_input.h): without and with KASLR, 5-level paging, no page_offset_base, a string
// across a page, 2047 characters, too little room, no saved_command_line; each checked.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/dumpfile.h"
#include "format/kdump.h"
#include "format/kdump_disk.h"
#include "format/kinfo.h"
#include "format/pagefilter.h"
#include "format/panicscan.h"
#include "format/printk.h"
#include "format/vmcore.h"
#include "format/vmcoreinfo.h"
#include "dump/layout.h"
#include "vm/config.h"
#include "util/fsutil.h"
#include "vm/record.h"
#include "fuzz/kallsyms_input.h"
#include "fuzz/kcmdline_input.h"
#include "unit/synth.h"
#include "unit/synth_kallsyms.h"
#include "unit/synth_kinfo.h"
#include "unit/synth_btf.h"
#include "format/kallsyms.h"

struct pages {
	uint64_t *pfn;
	size_t n, cap;
};

static void trace_page(void *ctx, uint64_t paddr, size_t len)
{
	struct pages *p = ctx;

	for (uint64_t pfn = paddr / 4096; pfn <= (paddr + len - 1) / 4096; pfn++) {
		if (p->n && p->pfn[p->n - 1] == pfn)
			continue;
		if (p->n == p->cap) {
			p->cap = p->cap ? 2 * p->cap : 256;
			p->pfn = realloc(p->pfn, p->cap * sizeof(*p->pfn));
			if (!p->pfn)
				abort();
		}
		p->pfn[p->n++] = pfn;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The traced pages as PT_LOADs: sorted, each run of adjacent pages one segment. */
static struct elfcore_load *pages_loads(struct pages *pg, size_t *nloads)
{
	struct elfcore_load *loads;

	qsort(pg->pfn, pg->n, sizeof(*pg->pfn), cmp_u64);
	loads = calloc(pg->n + 1, sizeof(*loads));
	if (!loads)
		abort();
	*nloads = 0;
	for (size_t i = 0; i < pg->n; i++) {
		struct elfcore_load *last = *nloads ? &loads[*nloads - 1] : NULL;

		if (i && pg->pfn[i] == pg->pfn[i - 1])
			continue;
		if (last && last->paddr + last->size == pg->pfn[i] * 4096) {
			last->size += 4096;
			continue;
		}
		loads[(*nloads)++] = (struct elfcore_load){ .paddr = pg->pfn[i] * 4096, .size = 4096 };
	}
	return loads;
}

static int write_file(const char *dir, const char *sub, const char *name, const void *buf,
		      size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "mkseed: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int put_all(const char *dir, const char *name, const uint8_t *elf, size_t len,
		   const uint8_t *notes, size_t nlen)
{
	if (write_file(dir, "elfcore", name, elf, len) || write_file(dir, "printk", name, elf, len) ||
	    write_file(dir, "vmcoreinfo", name, notes, nlen))
		return -1;
	return 0;
}

static int null_emit(void *ctx, const char *buf, size_t len)
{
	(void)ctx, (void)buf, (void)len;
	return 0;
}

static int read_virt(void *ctx, uint64_t va, void *buf, size_t len)
{
	return vmcore_read_virt(ctx, va, buf, len);
}

/* Cut VMCORE down to the pages the kernel-log walk touches. */
/* The cut-down vmcore: LOADS (sizes set, data_addr filled here) with the bytes of V they
 * name, after an ELF header with NOTES.  *HDR: the header's size; *LEN: the image's. */
static uint8_t *cut_image(struct vmcore *v, struct elfcore_load *loads, size_t nloads,
			  const uint8_t *notes, size_t nlen, size_t *hdr, size_t *len)
{
	uint8_t *out;
	size_t off;

	*hdr = elfcore_header_size(nloads, 0, nlen);
	off = *hdr;
	for (size_t i = 0; i < nloads; i++) {
		loads[i].data_addr = off;
		off += loads[i].size;
	}
	out = calloc(1, off);
	if (!out || elfcore_build(out, *hdr, 0, loads, nloads, notes, nlen, NULL) < 0)
		abort();
	for (size_t i = 0; i < nloads; i++) {
		uint8_t *dst = out + loads[i].data_addr;
		if (loads[i].size && vmcore_read_phys(v, loads[i].paddr, dst, loads[i].size) < 0)
			abort();
	}
	*len = off;
	return out;
}

static int from_dump(const char *dir, const char *path)
{
	struct printk_source src = { .read = read_virt };
	struct printk_result res;
	struct pages pg = { 0 };
	struct elfcore_load *loads;
	struct vmcore *v;
	const uint8_t *notes;
	uint8_t *out;
	size_t nlen, nloads = 0, hdr, off;
	int r;

	r = vmcore_open(path, &v);
	if (r < 0) {
		fprintf(stderr, "mkseed: %s: %s\n", path, strerror(-r));
		return -1;
	}
	src.info = vmcore_info(v, &src.info_len);
	src.read_ctx = v;
	vmcore_set_trace(v, trace_page, &pg);
	r = printk_dump(&src, null_emit, NULL, &res);
	vmcore_set_trace(v, NULL, NULL);
	if (r < 0) {
		fprintf(stderr, "mkseed: %s: %s\n", path, res.why);
		goto fail;
	}
	loads = pages_loads(&pg, &nloads);
	notes = vmcore_notes(v, &nlen);
	out = cut_image(v, loads, nloads, notes, nlen, &hdr, &off);
	r = put_all(dir, "real-dump.elf", out, off, notes, nlen);
	printf("mkseed: %s: %zu pages in %zu PT_LOADs, %zu bytes, %llu records\n", path,
	       (size_t)(off - hdr) / 4096, nloads, off, (unsigned long long)res.records);
	free(out);
	free(loads);
	free(pg.pfn);
	vmcore_close(v);
	return r;
fail:
	free(pg.pfn);
	vmcore_close(v);
	return -1;
}

static int synthetic(const char *dir)
{
	static const char *const lines[] = {
		"Linux version 6.1.0-synthetic", "Command line: console=ttyS0",
		"two\nlines", "tab\tand \x01 and \xe2\x82\xac", "sysrq: Trigger a crash",
		"Kernel panic - not syncing: sysrq triggered crash",
	};
	int r = 0;

	for (unsigned levels = 4; levels <= 5; levels++) {
		struct synth s;
		struct synth_prb ring;
		uint64_t base, p = 0x4000;
		uint8_t *elf;
		size_t len;
		char name[32];

		if (synth_init(&s, 64 * 1024, levels))
			return -1;
		base = synth_map_range(&s, p, synth_prb_bytes(4, 9));
		synth_prb_init(&ring, s.mem + p, base, 0, 4, 9, 42, 3 * 512 - 48);
		synth_infof(&s, "SYMBOL(prb)=%llx\n%s", (unsigned long long)SYNTH_TEXT(p),
			    SYNTH_PRB_INFO);
		for (int i = 0; i < 24; i++)
			synth_prb_add(&ring, (uint64_t)i * 1234567, lines[i % 6], strlen(lines[i % 6]));
		elf = synth_elf(&s, 1, &len);
		snprintf(name, sizeof(name), "synthetic-prb-%ulevel.elf", levels);
		r |= put_all(dir, name, elf, len, elf + 64 + 2 * 56, elfnote_size("VMCOREINFO", s.info_len));
		free(elf);
		synth_free(&s);
	}
	{
		struct synth s;
		struct synth_logbuf l;
		uint64_t base, p = 0x4000, i;
		uint8_t *elf;
		size_t len;

		if (synth_init(&s, 64 * 1024, 4))
			return -1;
		base = synth_map_range(&s, p, 64 + 512);
		synth_logbuf_init(&l, s.mem + p, base, 0, 512);
		synth_infof(&s, "SYMBOL(log_buf)=%llx\nSYMBOL(log_buf_len)=%llx\n"
			    "SYMBOL(log_first_idx)=%llx\nSYMBOL(log_next_idx)=%llx\n%s",
			    (unsigned long long)base, (unsigned long long)base + 8,
			    (unsigned long long)base + 16, (unsigned long long)base + 24,
			    SYNTH_LOGBUF_INFO);
		i = synth_logbuf_put(&l, 400, 1000, lines[0], strlen(lines[0]), 12);
		synth_logbuf_marker(&l, i);
		i = synth_logbuf_put(&l, 0, 2000, lines[2], strlen(lines[2]), 0);
		i = synth_logbuf_put(&l, i, 3000, lines[3], strlen(lines[3]), 20);
		l.first = 400;
		l.next = i;
		synth_logbuf_sync(&l);
		elf = synth_elf(&s, 1, &len);
		r |= put_all(dir, "synthetic-logbuf.elf", elf, len, elf + 64 + 2 * 56,
			     elfnote_size("VMCOREINFO", s.info_len));
		free(elf);
		synth_free(&s);
	}
	return r;
}

/* --- pagefilter ----------------------------------------------------------------------- */

/* Level 31 over the seed at PATH: what it leaves out.  0, or -1 when it cannot filter. */
static int pf_check(const char *path, struct pagefilter_stats *st, uint64_t *pages)
{
	struct dumpfile_range rg;
	struct dumpfile *d;
	uint64_t from = 0, end = 0;
	uint8_t *excl;
	char why[256];
	int r;

	r = dumpfile_open(path, 0, &d, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, "mkseed: %s: %s\n", path, why);
		return -1;
	}
	*pages = 0;
	for (; dumpfile_next_range(d, from, &rg) == 0; from = end) {
		end = rg.start + rg.size;
		*pages += rg.size / 4096;
	}
	excl = calloc(1, end / 4096 / 8 + 1);
	if (!excl)
		abort();
	memset(st, 0, sizeof(*st));
	r = pagefilter_scan(d, 31, excl, end / 4096, st, why, sizeof(why));
	if (r < 0)
		fprintf(stderr, "mkseed: %s: dump level 31: %s\n", path, why);
	free(excl);
	dumpfile_close(d);
	return r < 0 ? -1 : 0;
}

static void pf_print(const char *what, size_t bytes, const struct pagefilter_stats *st,
		     uint64_t pages)
{
	printf("mkseed: %s: %zu bytes; level 31 of %" PRIu64 " pages: %" PRIu64 " free, %" PRIu64
	       " cache, %" PRIu64 " cache with private, %" PRIu64 " user, %" PRIu64 " poisoned, %"
	       PRIu64 " offline, %" PRIu64 " bad order, %" PRIu64 " without struct page\n",
	       what, bytes, pages, st->free, st->cache, st->cache_private, st->user, st->hwpoison,
	       st->offline, st->bad_order, st->no_memmap + st->memmap_unreadable);
}

/* Synthetic struct page arrays.  Fields, as VMCOREINFO below says: flags 0, compound_head 8,
 * compound_dtor/order (in the first tail page) 16/17 (6.1), 16/18 as u16 (4.9), 16 as a
 * pointer and 32 (3.10), mapping 24, private 40, _mapcount 48. */
enum pf_gen { PF_3_10, PF_4_9, PF_6_1, PF_6_10 };

struct pf_synth {
	struct synth s;
	enum pf_gen gen;
	uint8_t *sp;      /* struct pages of pfn 0.. */
	uint64_t vmemmap;
};

#define PF_MEM (384u << 10)
#define PF_PAGES (PF_MEM / 4096)

static uint8_t *pf_page(struct pf_synth *p, uint64_t pfn)
{
	return p->sp + pfn * 64;
}

static void pf_flags(struct pf_synth *p, uint64_t pfn, uint64_t flags, uint64_t mapping)
{
	synth_put(pf_page(p, pfn), flags, 8);
	synth_put(pf_page(p, pfn) + 24, mapping, 8);
}

static void pf_mapcount(struct pf_synth *p, uint64_t pfn, int32_t mc, uint64_t priv)
{
	synth_put(pf_page(p, pfn) + 48, (uint32_t)mc, 4);
	synth_put(pf_page(p, pfn) + 40, priv, 8);
}

/* A compound page of 2^ORDER at PFN: head flags FLAGS, mapping MAPPING, destructor DTOR. */
static void pf_compound(struct pf_synth *p, uint64_t pfn, unsigned order, uint64_t flags,
			uint64_t mapping, uint64_t dtor, int32_t head_mc)
{
	uint8_t *tail = pf_page(p, pfn + 1);

	pf_flags(p, pfn, flags | (1u << 16), mapping);
	if (p->gen >= PF_6_10) {
		synth_put(pf_page(p, pfn) + 48, (uint32_t)head_mc, 4);
		synth_put(tail, order, 1); /* the folio's order in the tail's flags */
	} else if (p->gen == PF_6_1) {
		tail[16] = (uint8_t)dtor;
		tail[17] = (uint8_t)order;
	} else if (p->gen == PF_4_9) {
		synth_put(tail + 16, dtor, 2);
		synth_put(tail + 18, order, 2);
	} else {
		synth_put(tail + 16, dtor, 8);
		synth_put(tail + 32, order, 2);
	}
	for (uint64_t i = 1; i < (UINT64_C(1) << order); i++)
		if (p->gen != PF_3_10) /* no compound_head: PG_tail and first_page then */
			synth_put(pf_page(p, pfn + i) + 8, (p->vmemmap + pfn * 64) | 1, 8);
}

static int pf_synthetic_one(const char *dir, enum pf_gen gen, unsigned levels, unsigned nloads,
			    const char *name)
{
	static const char *const release[] = { "3.10.0-synthetic", "4.9.0-synthetic",
					       "6.1.0-synthetic", "6.10.0-synthetic" };
	const uint64_t lru = 1u << 4, priv = 1u << 13, swapcache = 1u << 10,
		       swapbacked = 1u << 19, slab = 1u << 9, hwpoison = 1u << 22;
	const uint64_t file = 0xffff888000100000ull, anon = 0xffff888000200001ull;
	const int32_t buddy = gen < PF_6_1 ? -128 : -129, offline = -257, hugetlb_mc = -2049,
		      slab_mc = -4097, unaccepted_mc = -8193;
	struct pf_synth p = { .gen = gen };
	struct synth *s = &p.s;
	uint64_t sp, roots, sect, roots_va, sect_va;
	struct pagefilter_stats st;
	uint64_t pages;
	uint8_t *elf;
	size_t len;
	char path[4096];
	int r;

	if (synth_init(s, PF_MEM, levels))
		return -1;
	/* OSRELEASE comes first: the kernel generation decides the field widths */
	char rest[sizeof(s->info)];
	const char *nl = memchr(s->info, '\n', s->info_len);
	size_t restlen = s->info_len - (size_t)(nl + 1 - s->info);
	memcpy(rest, nl + 1, restlen);
	s->info_len = 0;
	synth_infof(s, "OSRELEASE=%s\n%.*s", release[gen], (int)restlen, rest);

	p.vmemmap = levels == 5 ? 0xffd4000000000000ull : 0xffffea0000000000ull;
	sp = synth_alloc(s, PF_PAGES * 64);
	roots = synth_alloc(s, 4096);
	sect = synth_alloc(s, 4096);
	p.sp = s->mem + sp;
	for (uint64_t off = 0; off < PF_PAGES * 64; off += 4096)
		synth_map(s, p.vmemmap + off, sp + off, 4096);
	roots_va = synth_map_range(s, roots, 4096);
	sect_va = synth_map_range(s, sect, 4096);
	synth_put(s->mem + roots, sect_va, 8);
	synth_put(s->mem + sect, p.vmemmap | 0xf, 8); /* section 0: pfn 0's struct page, flags */

	synth_infof(s, "SYMBOL(mem_section)=%llx\nLENGTH(mem_section)=%u\nSIZE(mem_section)=16\n"
		    "OFFSET(mem_section.section_mem_map)=0\nNUMBER(SECTION_SIZE_BITS)=27\n",
		    (unsigned long long)roots_va, levels == 5 ? 131072u : 2048u);
	if (gen != PF_3_10)
		synth_infof(s, "NUMBER(MAX_PHYSMEM_BITS)=%u\nOFFSET(page.compound_head)=8\n",
			    levels == 5 ? 52u : 46u);
	synth_infof(s, "OFFSET(page.lru)=8\nOFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
		    "LENGTH(zone.free_area)=11\nNUMBER(PG_lru)=4\nNUMBER(PG_private)=13\n"
		    "NUMBER(PG_swapcache)=10\nNUMBER(PG_head_mask)=65536\n"
		    "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=%d\n", buddy);
	if (gen != PF_3_10)
		synth_infof(s, "NUMBER(PG_swapbacked)=19\nNUMBER(PG_hwpoison)=22\n");
	switch (gen) {
	case PF_3_10:
		synth_infof(s, "NUMBER(PG_slab)=7\nOFFSET(page.compound_dtor)=16\n"
			    "OFFSET(page.compound_order)=32\n"
			    "SYMBOL(free_huge_page)=ffffffff81234560\n");
		break;
	case PF_4_9:
		synth_infof(s, "NUMBER(PG_slab)=9\nOFFSET(page.compound_dtor)=16\n"
			    "OFFSET(page.compound_order)=18\nNUMBER(HUGETLB_PAGE_DTOR)=2\n");
		break;
	case PF_6_1:
		synth_infof(s, "NUMBER(PG_slab)=9\nOFFSET(page.compound_dtor)=16\n"
			    "OFFSET(page.compound_order)=17\nNUMBER(HUGETLB_PAGE_DTOR)=2\n"
			    "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=%d\n", offline);
		break;
	case PF_6_10:
		synth_infof(s, "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=%d\n"
			    "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=%d\n"
			    "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=%d\n"
			    "NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)=%d\n",
			    offline, hugetlb_mc, slab_mc, unaccepted_mc);
		break;
	}

	/* the pages: what each is, by its struct page */
	for (uint64_t pfn = 0; pfn < PF_PAGES; pfn++)
		pf_flags(&p, pfn, 1u << 12, 0);                       /* reserved: kept */
	pf_flags(&p, 1, lru, file);                                   /* page cache */
	pf_flags(&p, 2, lru | priv, file);                            /* ... with buffers */
	pf_flags(&p, 3, lru | swapbacked, anon);                      /* anonymous */
	pf_flags(&p, 4, 0, 0);                                        /* free, order 2 */
	pf_mapcount(&p, 4, buddy, 2);
	for (uint64_t pfn = 5; pfn < 8; pfn++)
		pf_flags(&p, pfn, 0, 0);
	pf_flags(&p, 8, 0, 0);                                        /* free, order 0 */
	pf_mapcount(&p, 8, buddy, 0);
	if (gen == PF_6_10)                                           /* slab */
		pf_mapcount(&p, 9, slab_mc, 0), pf_flags(&p, 9, 0, anon);
	else
		pf_flags(&p, 9, gen == PF_3_10 ? 1u << 7 : slab, anon);
	pf_flags(&p, 10, swapcache | swapbacked, 0);                  /* swap cache (shmem) */
	pf_flags(&p, 11, swapcache, file);                            /* PG_owner_priv_1 */
	pf_compound(&p, 12, 2, lru | swapbacked, anon, 1, 0);         /* THP, anonymous */
	pf_compound(&p, 16, 3, 0, 0, 2, hugetlb_mc);                  /* hugetlb */
	if (gen == PF_3_10)
		synth_put(pf_page(&p, 17) + 16, 0xffffffff81234560ull, 8);
	pf_flags(&p, 24, hwpoison, 0);                                /* poisoned */
	pf_mapcount(&p, 25, offline, 0);                              /* offline */
	pf_flags(&p, 25, 0, 0);
	pf_mapcount(&p, 26, buddy, 40);                               /* free, impossible order */
	pf_flags(&p, 26, 0, 0);
	pf_compound(&p, 28, 2, lru, file, 0, 0);                      /* large page-cache folio */
	pf_mapcount(&p, 32, buddy, 4);                                /* free, order 4 */
	for (uint64_t pfn = 32; pfn < 48; pfn++)
		pf_flags(&p, pfn, 0, 0);
	pf_flags(&p, 48, lru | priv | swapcache | swapbacked, anon);  /* anonymous in swap cache */
	if (gen == PF_6_10)                                           /* not yet accepted */
		pf_mapcount(&p, 56, unaccepted_mc, 0), pf_flags(&p, 56, 0, 0);

	elf = synth_elf(s, nloads, &len);
	r = write_file(dir, "pagefilter", name, elf, len);
	free(elf);
	synth_free(s);
	if (r < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/pagefilter/%s", dir, name);
	if (pf_check(path, &st, &pages) < 0)
		return -1;
	pf_print(name, len, &st, pages);
	if (!st.free || !st.cache || !st.user || st.no_memmap || st.memmap_unreadable) {
		fprintf(stderr, "mkseed: %s: the struct page walk does not see the synthetic "
			"pages\n", path);
		return -1;
	}
	return 0;
}

static int pf_synthetic(const char *dir)
{
	return pf_synthetic_one(dir, PF_3_10, 4, 1, "synthetic-3.10.elf") ||
	       pf_synthetic_one(dir, PF_4_9, 4, 2, "synthetic-4.9.elf") ||
	       pf_synthetic_one(dir, PF_6_1, 4, 1, "synthetic-6.1.elf") ||
	       pf_synthetic_one(dir, PF_6_10, 5, 3, "synthetic-6.10-5level.elf") ? -1 : 0;
}

struct pf_interval {
	uint64_t start, end; /* pfns */
};

static int cmp_interval(const void *a, const void *b)
{
	const struct pf_interval *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* The seed keeps the struct pages of windows of PF_WINDOW pfns (4 MiB of memory, 64 KiB of
 * struct pages) of the first memory section: the one with the most free pages, the one with
 * the most page cache, the one with the most process memory: 40 to 60 pages, 200 KB, for
 * the same code as the whole section (32768 pfns, 2 MiB of struct pages), which made a 2 MB
 * seed that ran at under 100 executions a second and whose mutants filled the corpus
 * (2048-pfn windows: 450 KB, `tests/fuzz/run 20000` spent 45 s on fuzz_pagefilter; these:
 * 17 s). */
#define PF_WINDOW 1024u
#define PF_STEP 512u

/* Fill W[0..2] with the start pfns of section NR's windows (UINT64_MAX: none has such pages)
 * for free, cache and user pages, as level 16, 6 and 8 see them in the dump at PATH. */
static void pf_windows(const char *path, uint64_t nr, unsigned shift, uint64_t w[3])
{
	static const unsigned levels[3] = {
		PAGEFILTER_FREE, PAGEFILTER_CACHE | PAGEFILTER_CACHE_PRI, PAGEFILTER_USER
	};
	uint64_t lo = nr << shift, hi = (nr + 1) << shift;
	uint8_t *excl = calloc(1, hi / 8 + 1);
	struct pagefilter_stats st;
	struct dumpfile *d;
	char why[256];

	w[0] = w[1] = w[2] = UINT64_MAX;
	if (!excl)
		abort();
	if (dumpfile_open(path, 0, &d, why, sizeof(why)) < 0) {
		free(excl);
		return;
	}
	for (unsigned l = 0; l < 3; l++) {
		uint64_t best = 0;
		memset(excl, 0, hi / 8 + 1);
		memset(&st, 0, sizeof(st));
		if (pagefilter_scan(d, levels[l], excl, hi, &st, why, sizeof(why)) < 0)
			continue;
		for (uint64_t start = lo; start < hi; start += PF_STEP) {
			uint64_t n = 0;
			for (uint64_t pfn = start; pfn < start + PF_WINDOW && pfn < hi; pfn++)
				n += (uint64_t)pagefilter_test(excl, pfn);
			if (n > best) {
				best = n;
				w[l] = start;
			}
		}
	}
	dumpfile_close(d);
	free(excl);
}

/* Cut VMCORE down to what the struct page walk of windows of its first memory section
 * reads: the windows' pages stay in the dump's ranges (as p_memsz past p_filesz: zeros),
 * with data only for the pages the walk reads (mem_section, page tables, struct pages). */
static int pf_from_dump(const char *dir, const char *path)
{
	uint64_t ms, nroots, ms_size, map_off, sbits, psize, base = 0, nr0, sects = 0;
	struct pages pg = { 0 };
	struct pf_interval *iv = NULL;
	struct elfcore_load *loads = NULL;
	struct pagefilter_stats st;
	const uint8_t *notes;
	const char *info;
	struct vmcore *v;
	uint8_t b[8], *out = NULL;
	size_t ilen, nlen, niv = 0, nloads = 0, hdr, off, k = 0;
	uint64_t pages;
	char opath[4096];
	int r;

	r = vmcore_open(path, &v);
	if (r < 0) {
		fprintf(stderr, "mkseed: %s: %s\n", path, strerror(-r));
		return -1;
	}
	info = vmcore_info(v, &ilen);
	if (!info || vmcore_nloads(v) == 0 ||
	    vmcoreinfo_get_u64(info, ilen, "SYMBOL(mem_section)", &ms) < 0 ||
	    vmcoreinfo_get_u64(info, ilen, "LENGTH(mem_section)", &nroots) < 0 ||
	    vmcoreinfo_get_u64(info, ilen, "SIZE(mem_section)", &ms_size) < 0 ||
	    vmcoreinfo_get_u64(info, ilen, "OFFSET(mem_section.section_mem_map)", &map_off) < 0 ||
	    vmcoreinfo_get_u64(info, ilen, "NUMBER(SECTION_SIZE_BITS)", &sbits) < 0 ||
	    vmcoreinfo_get_u64(info, ilen, "SIZE(page)", &psize) < 0 || ms_size < 8 ||
	    ms_size > 4096 || sbits <= 12 || sbits > 40 || psize == 0 || psize > 1024) {
		fprintf(stderr, "mkseed: %s: VMCOREINFO describes no SPARSEMEM_EXTREME struct page "
			"array: no pagefilter seed\n", path);
		vmcore_close(v);
		return 0;
	}
	unsigned shift = (unsigned)sbits - 12;
	uint64_t per_root = 4096 / ms_size;
	nr0 = (vmcore_load(v, 0)->paddr / 4096) >> shift;

	vmcore_set_trace(v, trace_page, &pg);
	/* the root and the entry of every section of every range, as the walk reads them */
	for (size_t i = 0; i < vmcore_nloads(v); i++) {
		const struct elfcore_segment *s = vmcore_load(v, i);
		uint64_t nr = (s->paddr / 4096) >> shift;
		uint64_t last = ((s->paddr + s->memsz - 1) / 4096) >> shift;
		for (; nr <= last && sects < 65536; nr++, sects++) {
			uint64_t root = nr / per_root, entry;
			if (root >= nroots || vmcore_read_virt(v, ms + root * 8, b, 8) < 0 ||
			    synth_get(b, 8) == 0)
				continue;
			entry = synth_get(b, 8) + (nr % per_root) * ms_size + map_off;
			if (vmcore_read_virt(v, entry, b, 8) < 0)
				continue;
			if (nr == nr0 && (synth_get(b, 8) & 3) == 3)
				base = synth_get(b, 8) & ~(uint64_t)4095;
		}
	}
	if (!base) {
		vmcore_set_trace(v, NULL, NULL);
		fprintf(stderr, "mkseed: %s: memory section %" PRIu64 " has no mem_map: no "
			"pagefilter seed\n", path, nr0);
		goto fail;
	}
	/* each window's struct pages and the one after it (the walk reads one more, for a
	 * compound page), a page at a time: a hole stops no other page */
	uint64_t win[3], send = (nr0 + 1) << shift;
	pf_windows(path, nr0, shift, win);
	vmcore_set_trace(v, trace_page, &pg);
	for (unsigned l = 0; l < 3; l++) {
		static uint8_t page[4096];
		uint64_t w1 = win[l] + PF_WINDOW < send ? win[l] + PF_WINDOW : send;
		if (win[l] == UINT64_MAX)
			continue;
		for (uint64_t va = (base + win[l] * psize) & ~(uint64_t)4095;
		     va < base + (w1 + 1) * psize; va += 4096)
			(void)vmcore_read_virt(v, va, page, sizeof(page));
	}
	vmcore_set_trace(v, NULL, NULL);

	/* the pages to keep and the windows' pages as intervals: kept pages are data, the
	 * rest of the windows reads as zeros */
	qsort(pg.pfn, pg.n, sizeof(*pg.pfn), cmp_u64);
	iv = calloc(pg.n + 3 * vmcore_nloads(v), sizeof(*iv));
	loads = calloc(2 * (pg.n + 3 * vmcore_nloads(v)) + 1, sizeof(*loads));
	if (!iv || !loads)
		abort();
	for (size_t i = 0; i < pg.n; i++)
		iv[niv++] = (struct pf_interval){ pg.pfn[i], pg.pfn[i] + 1 };
	for (size_t i = 0; i < vmcore_nloads(v); i++) {
		const struct elfcore_segment *s = vmcore_load(v, i);
		for (unsigned l = 0; l < 3; l++) {
			uint64_t a = (s->paddr + 4095) / 4096, e = (s->paddr + s->memsz) / 4096;
			if (win[l] == UINT64_MAX)
				continue;
			if (a < win[l])
				a = win[l];
			if (e > win[l] + PF_WINDOW)
				e = win[l] + PF_WINDOW;
			if (e > send)
				e = send;
			if (a < e)
				iv[niv++] = (struct pf_interval){ a, e };
		}
	}
	qsort(iv, niv, sizeof(*iv), cmp_interval);
	/* merge into disjoint runs, then cut each run into loads: data, then a zero tail */
	size_t m = 0;
	for (size_t i = 0; i < niv; i++) {
		if (m && iv[i].start <= iv[m - 1].end) {
			if (iv[i].end > iv[m - 1].end)
				iv[m - 1].end = iv[i].end;
		} else {
			iv[m++] = iv[i];
		}
	}
	niv = m;
	for (size_t i = 0; i < niv; i++) {
		struct elfcore_load *cur = NULL;
		for (uint64_t pfn = iv[i].start; pfn < iv[i].end; pfn++) {
			while (k < pg.n && pg.pfn[k] < pfn)
				k++;
			bool data = k < pg.n && pg.pfn[k] == pfn;
			if (!cur || (data && cur->zero_tail)) {
				cur = &loads[nloads++];
				*cur = (struct elfcore_load){ .paddr = pfn * 4096 };
			}
			if (data)
				cur->size += 4096;
			else
				cur->zero_tail += 4096;
		}
	}
	notes = vmcore_notes(v, &nlen);
	out = cut_image(v, loads, nloads, notes, nlen, &hdr, &off);
	if (write_file(dir, "pagefilter", "real-dump.elf", out, off) < 0)
		goto fail;
	snprintf(opath, sizeof(opath), "%s/pagefilter/real-dump.elf", dir);
	if (pf_check(opath, &st, &pages) < 0)
		goto fail;
	printf("mkseed: %s: %zu pages kept in %zu PT_LOADs for the struct page walk of memory "
	       "section %" PRIu64 ", %u pfns from %#" PRIx64 " (free), %#" PRIx64 " (cache), %#"
	       PRIx64 " (user)\n", path, (size_t)(off - hdr) / 4096, nloads, nr0, PF_WINDOW,
	       win[0], win[1], win[2]);
	pf_print("real-dump.elf", off, &st, pages);
	if (!st.free || !st.cache)
		fprintf(stderr, "mkseed: warning: %s: level 31 finds no %s pages\n", opath,
			!st.free ? "free" : "cache");
	free(out);
	free(loads);
	free(iv);
	free(pg.pfn);
	vmcore_close(v);
	return 0;
fail:
	free(out);
	free(loads);
	free(iv);
	free(pg.pfn);
	vmcore_close(v);
	return -1;
}

/* --- kinfo ------------------------------------------------------------------------------ */

static int read_phys(void *ctx, uint64_t pa, void *buf, size_t len)
{
	return vmcore_read_phys(ctx, pa, buf, len);
}

/* What fuzz_kinfo does with a seed: the log's panicking CPU, kallsyms, every CPU.  Returns
 * the CPUs with a task (*NCPUS: all of them), or -1 without kallsyms. */
static int kinfo_walk_vmcore(struct vmcore *v, unsigned *ncpus)
{
	static struct panicscan ps;
	static struct kinfo_cpu c;
	struct printk_source ps_src = { .read = read_virt, .read_ctx = v };
	struct kinfo_source src = { .read = read_virt, .read_ctx = v, .panic_cpu = -1 };
	struct printk_result res;
	struct kinfo *k;
	unsigned long cpu, pid;
	char comm[64];
	int tasks = 0, r;

	src.info = ps_src.info = vmcore_info(v, &ps_src.info_len);
	src.info_len = ps_src.info_len;
	src.notes = vmcore_notes(v, &src.notes_len);
	panicscan_init(&ps);
	(void)printk_dump(&ps_src, panicscan_feed, &ps, &res);
	panicscan_finish(&ps);
	if (panicscan_task(&ps, &cpu, &pid, comm, sizeof(comm)) == 0)
		src.panic_cpu = (long)cpu;
	*ncpus = 0;
	if (!src.info || kallsyms_open(src.info, src.info_len, read_phys, v, &src.ks) < 0)
		return -1;
	if (kinfo_open(&src, &k) < 0)
		abort();
	while ((r = kinfo_next_cpu(k, &c)) != 0 && r != -EBADMSG) {
		if (r == 1) {
			(*ncpus)++;
			tasks += c.have_task;
		}
	}
	kinfo_close(k);
	kallsyms_close(src.ks);
	return tasks;
}

static int kinfo_walk(const uint8_t *img, size_t len, unsigned *ncpus)
{
	struct vmcore *v;
	int r;

	*ncpus = 0;
	if (vmcore_open_mem(img, len, &v) < 0)
		return -1;
	r = kinfo_walk_vmcore(v, ncpus);
	vmcore_close(v);
	return r;
}

/* Cut V down to the pages fuzz_kinfo's walk reads, less the pfns in [DROP_LO, DROP_HI); check
 * that the copy gives the same CPUs and tasks, and (WANT_TASKS >= 0) that many tasks; write
 * it to DIR/SUB/NAME. */
static int kinfo_cut(struct vmcore *v, const char *dir, const char *sub, const char *name,
		     uint64_t drop_lo, uint64_t drop_hi, int want_tasks)
{
	struct pages pg = { 0 };
	struct elfcore_load *loads;
	const uint8_t *notes;
	uint8_t *out;
	size_t nlen, nloads, hdr, len, kept = 0;
	unsigned ncpus, cut_ncpus;
	int tasks, r;

	vmcore_set_trace(v, trace_page, &pg);
	tasks = kinfo_walk_vmcore(v, &ncpus);
	vmcore_set_trace(v, NULL, NULL);
	if (tasks < 0 || (want_tasks >= 0 && tasks != want_tasks)) {
		fprintf(stderr, "mkseed: %s: kinfo finds %d tasks on %u CPUs\n", name, tasks, ncpus);
		free(pg.pfn);
		return -1;
	}
	for (size_t i = 0; i < pg.n; i++)
		if (pg.pfn[i] < drop_lo || pg.pfn[i] >= drop_hi)
			pg.pfn[kept++] = pg.pfn[i];
	pg.n = kept;
	loads = pages_loads(&pg, &nloads);
	notes = vmcore_notes(v, &nlen);
	out = cut_image(v, loads, nloads, notes, nlen, &hdr, &len);
	r = kinfo_walk(out, len, &cut_ncpus);
	if (r != tasks || cut_ncpus != ncpus) {
		fprintf(stderr, "mkseed: %s: the cut-down copy gives %d tasks on %u CPUs, the whole "
			"%d on %u\n", name, r, cut_ncpus, tasks, ncpus);
		r = -1;
	} else {
		r = write_file(dir, sub, name, out, len);
		printf("mkseed: %s: %zu pages in %zu PT_LOADs, %zu bytes, %u CPUs, %d tasks\n",
		       name, (size_t)(len - hdr) / 4096, nloads, len, ncpus, tasks);
	}
	free(out);
	free(loads);
	free(pg.pfn);
	return r;
}

/* The synthetic kernels, cut down: all but the first page of __per_cpu_offset goes (its walk
 * stops there, as at the end of memory), and the pages nothing reads. */
static int kinfo_synthetic(const char *dir)
{
	static const struct { const char *name; struct synth_kinfo_opts o; } seeds[] = {
		{ "synthetic-4level.elf", { .levels = 4, .ncpus = 4, .panic_cpu = 1, .bad_note = 1 } },
		{ "synthetic-5level-pcpu_hot.elf", { .levels = 5, .ncpus = 4, .panic_cpu = 1,
					      .pcpu_hot = 1, .addresses = 1, .qemu = 1,
					      .swapper = 1 } },
		{ "synthetic-20cpus.elf", { .levels = 4, .ncpus = 20, .panic_cpu = 19 } },
	};
	static uint8_t notes[16384];
	int r = 0;

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct synth s;
		struct vmcore *v;
		uint8_t *elf;
		size_t nlen, len;

		if (synth_kinfo(&s, &seeds[i].o, notes, sizeof(notes), &nlen))
			return -1;
		elf = synth_elf_notes(&s, 1, notes, nlen, &len);
		if (vmcore_open_mem(elf, len, &v) < 0)
			abort();
		r |= kinfo_cut(v, dir, "kinfo", seeds[i].name, SK_PCO / 4096 + 1,
			       SK_PCO / 4096 + 8 * KINFO_MAX_PERCPU / 4096, (int)seeds[i].o.ncpus);
		vmcore_close(v);
		free(elf);
		synth_free(&s);
	}
	return r;
}

/* A real dump, cut down.  Its kallsyms tables (1.4 MB of a 6.1 kernel's) make each run take
 * over 100 ms under the sanitizers: the seed goes to kinfo-real/, which the quick run leaves
 * out (docs/fuzzing.md). */
static int kinfo_from_dump(const char *dir, const char *path)
{
	struct vmcore *v;
	int r = vmcore_open(path, &v);

	if (r < 0) {
		fprintf(stderr, "mkseed: %s: %s\n", path, strerror(-r));
		return -1;
	}
	r = kinfo_cut(v, dir, "kinfo-real", "real-dump.elf", 0, 0, -1);
	vmcore_close(v);
	return r;
}

/* --- record ---------------------------------------------------------------------------- */

/* Crash records as hvdump writes them (vm/crashflow.c, record_write's indentation) for a
 * crash of a guest of MEMORY bytes with its low RAM as `hvdump run` pins it, with a capture
 * plan of layout.c; with DIMM, the crashed guest was a capture guest with one DIMM of memory
 * given back.  Each is checked with record_parse and record_read_capture. */
static int record_seed(const char *dir, const char *name, uint64_t memory, bool dimm,
		       const char *state)
{
	const uint64_t dimm_gpa = 16ull << 30, dimm_size = 128ull << 20;
	struct machine_layout cur = { .ram_size = memory, .lowmem = qemu_lowmem(QEMU_MACHINE_PC, memory) };
	struct mem_range ram[4], dimms[1] = { { dimm_gpa, dimm_size } };
	struct capture_inputs in = {
		.cur = cur, .ram = ram, .nram = layout_production_ram(&cur, ram),
		.dimms = dimms, .ndimms = dimm, .boot_region = 128ull << 20,
		.firmware_zone = LAYOUT_FIRMWARE_ZONE, .initrd_size = 12ull << 20,
		.initrd_addr_max = 0x7fffffff, .notes_len = 8192,
	};
	static struct capture_plan p;
	struct crash_record r;
	json_t *j, *segs = json_array(), *rg = json_array(), *dj = json_array();
	json_t *zones = json_array(), *copies = json_array();
	char why[512], *text;
	int ret;

	if (dimm)
		ram[in.nram++] = dimms[0];
	if (capture_plan_build(&in, &p, why, sizeof(why)) < 0) {
		fprintf(stderr, "mkseed: record/%s: %s\n", name, why);
		return -1;
	}
	for (size_t i = 0; i < in.nram; i++)
		json_array_append_new(rg, json_pack("{s:I, s:I}", "gpa", (json_int_t)ram[i].start,
						    "bytes", (json_int_t)ram[i].size));
	for (size_t i = 0; i < p.nloads; i++) {
		uint64_t off = 0;
		int ok = layout_gpa_to_off(&p.next, p.loads[i].data_addr, &off) == 0;
		json_array_append_new(segs, json_pack("{s:I, s:I, s:I, s:o, s:b}", "paddr",
			(json_int_t)p.loads[i].paddr, "bytes", (json_int_t)p.loads[i].size,
			"now_at_gpa", (json_int_t)p.loads[i].data_addr, "ram_file_offset",
			ok ? json_integer((json_int_t)off) : json_null(),
			"relocated", p.loads[i].data_addr != p.loads[i].paddr));
	}
	for (size_t i = 0; i < p.nzones; i++)
		json_array_append_new(zones, json_pack("{s:I, s:I}", "gpa",
			(json_int_t)p.zones[i].start, "bytes", (json_int_t)p.zones[i].size));
	for (size_t i = 0; i < p.ncopies; i++)
		json_array_append_new(copies, json_pack("{s:I, s:I, s:I}", "from_offset",
			(json_int_t)p.copies[i].src_off, "to_offset", (json_int_t)p.copies[i].dst_off,
			"bytes", (json_int_t)p.copies[i].size));
	if (dimm)
		json_array_append_new(dj, json_pack("{s:s, s:I, s:I}", "file",
			"/run/hvdump/demo/crash-2.dimm-0", "gpa", (json_int_t)dimm_gpa, "bytes",
			(json_int_t)dimm_size));
	j = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:b, s:s, s:s, s:s,"
		      " s:[{s:i, s:s, s:s}], s:{s:I, s:I, s:o}, s:s, s:o, s:s, s:s}",
		      "format", RECORD_FORMAT, "vm", "demo", "crash", dimm ? 2 : 1,
		      "time", "2026-12-03T20:19:00.123456Z", "detected_by", "pvpanic",
		      "on_crash", "capture", "in_capture_boot", dimm, "kernel_release", "6.1.0-27-amd64",
		      "panic", "Kernel panic - not syncing: sysrq triggered crash", "vmcoreinfo", "qemu",
		      "vcpus", "cpu", 0, "rip", "0xffffffffb383d023", "rsp", "0xff72301b40003fc0",
		      "crashed_ram", "ram_file_bytes", (json_int_t)cur.ram_size, "lowmem_bytes",
		      (json_int_t)cur.lowmem, "ranges", rg,
		      "ram_file", dimm ? "/run/hvdump/demo/crash-2.ram" : "/run/hvdump/demo/crash-1.ram",
		      "dimms", dj, "notes_file", "notes.elf", "state", state);
	json_object_set_new(j, "capture", json_pack(
		"{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "ram_file_bytes",
		(json_int_t)p.next.ram_size, "lowmem_bytes", (json_int_t)p.next.lowmem,
		"extension_offset", (json_int_t)p.ext_off, "extension_bytes", (json_int_t)p.ext_size,
		"elfcorehdr_gpa", (json_int_t)p.hdr_gpa, "elfcorehdr_offset", (json_int_t)p.hdr_off,
		"overwritten_zones", zones, "copies", copies, "segments", segs));
	json_object_set_new(j, "crash_to_capture_start_ms", json_integer(812));
	if (!strcmp(state, "saved")) {
		json_t *saved = json_pack("{s:s, s:s, s:i, s:i, s:i, s:s}", "dump_file",
			"/var/crash/demo-20261203T201900Z/vmcore.kdump", "dump_format", "kdump-zstd",
			"save_ms", 5230, "dump_level", 31, "pages_left_out", 201544,
			"updated", "2026-12-03T20:19:06.000000Z");
		json_object_update(j, saved);
		json_decref(saved);
	}
	if (!strcmp(state, "save-failed"))
		json_object_set_new(j, "save_error", json_string("No space left on device"));
	text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!text)
		abort();
	ret = record_parse(text, strlen(text), name, &r, why, sizeof(why));
	if (ret == 0)
		ret = record_read_capture(&r, why, sizeof(why));
	if (ret < 0)
		fprintf(stderr, "mkseed: record/%s: %s\n", name, why);
	else
		printf("mkseed: record/%s: %zu bytes, %zu segments, %zu DIMMs\n", name, strlen(text),
		       r.nsegs, r.ndimms);
	record_free(&r);
	if (ret == 0)
		ret = write_file(dir, "record", name, text, strlen(text));
	free(text);
	return ret < 0 ? -1 : 0;
}

static int record_seeds(const char *dir)
{
	return record_seed(dir, "preserved-unsaved-1g.json", 1ull << 30, false,
			   "preserved-unsaved") ||
	       record_seed(dir, "capture-running-5g.json", 5ull << 30, false, "capture-running") ||
	       record_seed(dir, "save-failed-dimm.json", 1ull << 30, true, "save-failed") ||
	       record_seed(dir, "saved-1g.json", 1ull << 30, false, "saved") ? -1 : 0;
}

/* --- kallsyms --------------------------------------------------------------------------- */

/* fuzz_kallsyms's seeds: the synthetic tables of synth_kallsyms.h (the symbols test_kallsyms
 * uses: a look-alike before system_state, a duplicate, a name of 200 characters with a 2-byte
 * length, an absolute per-CPU value) in each layout, packed behind the 26 bytes that place
 * them (kallsyms_input.h) into one 4 KiB page, looking up system_state, jiffies, init_uts_ns
 * and "a" (no such symbol).  Each is checked with the target's own lookup. */
static int ks_seed(const char *dir, enum synth_ks_mode mode, unsigned name, const char *file)
{
	static const uint64_t want[5] = { 0x300, 0x400, 0x500, 0, 0 };
	static uint8_t img[SYNTH_KS_O_NAMES + 0x10000], seed[16384];
	static char big[201];
	struct synth_ks ks;
	const unsigned asz = mode == SYNTH_KS_ADDRESSES ? 8 : 4;
	size_t o[6], at, ttlen;
	const char *nm;
	uint64_t v = 0;
	int r;

	memset(big, 'b', sizeof(big) - 1);
	synth_ks_init(&ks, img, sizeof(img), FUZZ_KS_KV, mode);
	if (mode == SYNTH_KS_ABS_PERCPU)
		synth_ks_sym(&ks, 'D', "cpu_number", 0x1e000, 1);
	synth_ks_sym(&ks, 'T', "_stext", FUZZ_KS_KV, 0);
	synth_ks_sym(&ks, 'T', "system_stat", FUZZ_KS_KV + 0x100, 0);
	synth_ks_sym(&ks, 'd', "dup", FUZZ_KS_KV + 0x180, 0);
	synth_ks_sym(&ks, 'D', "system_state_x", FUZZ_KS_KV + 0x200, 0);
	synth_ks_sym(&ks, 'D', "system_state", FUZZ_KS_KV + 0x300, 0);
	synth_ks_sym(&ks, 'D', "init_uts_ns", FUZZ_KS_KV + 0x400, 0);
	synth_ks_sym(&ks, 't', big, FUZZ_KS_KV + 0x480, 0);
	synth_ks_sym(&ks, 'D', "jiffies", FUZZ_KS_KV + 0x500, 0);
	synth_ks_sym(&ks, 'd', "dup", FUZZ_KS_KV + 0x580, 0);
	synth_ks_sym(&ks, 'B', "_end", FUZZ_KS_KV + 0xff000, 0);
	synth_ks_finish(&ks);
	ttlen = synth_get(img + SYNTH_KS_O_TINDEX + 2 * 255, 2);
	ttlen += strlen((const char *)img + SYNTH_KS_O_TTABLE + ttlen) + 1;

	/* packed: num_syms, relative_base, token index and table, offsets, names */
	memset(seed, 0, sizeof(seed));
	at = 32;
	o[1] = at, at += 8;
	o[5] = at, at += 8;
	o[3] = at, at += 512;
	o[2] = at, at += (ttlen + 7) & ~(size_t)7;
	o[4] = at, at += ((size_t)ks.n * asz + 7) & ~(size_t)7;
	o[0] = at, at += ks.names_len;
	at = (at + 4095) & ~(size_t)4095; /* names are read to the end of their page */
	if (at > sizeof(seed))
		abort();
	memcpy(seed + o[1], img + SYNTH_KS_O_NUM, 4);
	memcpy(seed + o[5], img + SYNTH_KS_O_BASE, 8);
	memcpy(seed + o[3], img + SYNTH_KS_O_TINDEX, 512);
	memcpy(seed + o[2], img + SYNTH_KS_O_TTABLE, ttlen);
	memcpy(seed + o[4], img + SYNTH_KS_O_ADDRS, (size_t)ks.n * asz);
	memcpy(seed + o[0], img + SYNTH_KS_O_NAMES, ks.names_len);
	for (int i = 0; i < 6; i++)
		synth_put(seed + 4 * i, o[i], 4);
	seed[24] = mode == SYNTH_KS_ADDRESSES;
	seed[25] = (uint8_t)name;
	r = fuzz_ks_lookup(seed, at, &nm, &v);
	if (want[name] ? r != 0 || v != FUZZ_KS_KV + want[name] : r != -ENOENT) {
		fprintf(stderr, "mkseed: kallsyms/%s: looking up %s gives %d (%#llx)\n", file, nm,
			r, (unsigned long long)v);
		return -1;
	}
	printf("mkseed: kallsyms/%s: %zu bytes, %u symbols, %s %s\n", file, at, ks.n, nm,
	       r == 0 ? "found" : "not found");
	return write_file(dir, "kallsyms", file, seed, at);
}

static int ks_seeds(const char *dir)
{
	return ks_seed(dir, SYNTH_KS_ABS_PERCPU, 0, "percpu-system_state") ||
	       ks_seed(dir, SYNTH_KS_ABS_PERCPU, 3, "percpu-missing") ||
	       ks_seed(dir, SYNTH_KS_RELATIVE, 2, "relative-jiffies") ||
	       ks_seed(dir, SYNTH_KS_RELATIVE, 0, "relative-system_state") ||
	       ks_seed(dir, SYNTH_KS_ADDRESSES, 2, "addresses-jiffies") ||
	       ks_seed(dir, SYNTH_KS_ADDRESSES, 1, "addresses-init_uts_ns") ? -1 : 0;
}

/* --- kcmdline -------------------------------------------------------------------------- */

/* One fuzz_kcmdline seed: HEAD0 and OUTLEN's byte, the variables at data bytes 0 (the
 * pointer) and 8 (page_offset_base = BASE), the string STR at data byte AT (the pointer is
 * BASE + its physical address), checked to give WANT. */
static int kc_seed(const char *dir, const char *file, uint8_t head0, uint8_t small,
		   uint64_t base, size_t at, const char *str, int want)
{
	static uint8_t seed[FUZZ_KC_HEAD + 8192];
	static struct fuzz_kc_run run;
	size_t len = FUZZ_KC_HEAD + at + strlen(str) + 1;

	if (len > sizeof(seed))
		abort();
	memset(seed, 0, sizeof(seed));
	seed[0] = head0;
	seed[1] = small;
	synth_put(seed + 2, FUZZ_KC_DATA_VOFF, 4);
	synth_put(seed + 6, FUZZ_KC_DATA_VOFF + 8, 4);
	synth_put(seed + FUZZ_KC_HEAD, base + FUZZ_KC_DATA_PA + at, 8);
	synth_put(seed + FUZZ_KC_HEAD + 8, base, 8);
	memcpy(seed + FUZZ_KC_HEAD + at, str, strlen(str) + 1);
	if (fuzz_kc_run(seed, len, &run) != 0 || run.r != want ||
	    (want == 0 && strcmp(run.out, str))) {
		fprintf(stderr, "mkseed: kcmdline/%s: %d, not %d (%s)\n", file, run.r, want, run.why);
		return -1;
	}
	printf("mkseed: kcmdline/%s: %zu bytes, %d%s%s\n", file, len, run.r, run.r ? ": " : "",
	       run.why);
	return write_file(dir, "kcmdline", file, seed, len);
}

static int kc_seeds(const char *dir)
{
	static const char cl[] = "BOOT_IMAGE=/boot/vmlinuz-6.1.0-57-cloud-amd64 root=UUID="
				 "3e1f5a7c-0d2b-4c8e-9f61-2a4b6c8d0e1f ro console=ttyS0,115200\tquiet";
	static char big[KCMDLINE_SIZE];
	const uint64_t l4 = KCMDLINE_PAGE_OFFSET_L4, l5 = KCMDLINE_PAGE_OFFSET_L5;
	const uint64_t kaslr = 0xffff9a4bc0000000ull;

	memset(big, 'x', sizeof(big) - 1);
	return kc_seed(dir, "l4", 0, 0, l4, 16, cl, 0) ||
	       kc_seed(dir, "kaslr", 0, 0, kaslr, 16, cl, 0) ||
	       kc_seed(dir, "l5", 1, 0, l5, 16, cl, 0) ||
	       kc_seed(dir, "no-page_offset_base", 4 * FUZZ_KC_NO_POB, 0, l4, 16, cl, 0) ||
	       kc_seed(dir, "across-a-page", 0, 0, kaslr, 4096 - 20, cl, 0) ||
	       kc_seed(dir, "longest", 0, 0, kaslr, 16, big, 0) ||
	       kc_seed(dir, "no-room", 0x10, 9, kaslr, 16, cl, -ENOSPC) ||
	       kc_seed(dir, "no-saved_command_line", 4 * FUZZ_KC_NO_SCL, 0, l4, 16, cl, -ENOENT) ||
	       kc_seed(dir, "no-pgtable_l5_enabled", 2, 0, l4, 16, cl, 0) ? -1 : 0;
}

/* --- kdump resume ---------------------------------------------------------------------- */

/* OUT.part files as the kdump writer leaves them when it is stopped, each run of the writer
 * on 68 valid pfns of 512 (zero, text and a few incompressible pages), with checkpoints at
 * SYNC1 and SYNC2 (0: none), then damaged: TEAR flips a bit of the newest resume record (a
 * torn write: the older one is used), CUT_OLDER cuts the file 6000 bytes past the older
 * checkpoint's data, CUT_SHORT 100 bytes before the newest's.  The seed is FLAGS (fuzz
 * target's bit 0: right crc32s) and the file; mkseed checks that resuming it gives WANT. */
struct kdr_recipe {
	const char *name;
	enum kdump_compression alg;
	uint64_t sync1, sync2;
	bool tear, cut_older, cut_short, finish, oneshot, exclude;
	uint8_t flags;
	int want;
};

#define KDR_MAPNR 512u

static void kdr_page(uint64_t pfn, uint8_t *p)
{
	uint64_t x = pfn * 0x9E3779B97F4A7C15ull + 1;

	if (pfn % 4 == 0) {
		memset(p, 0, 4096);
	} else if (pfn % 16 == 1) {
		for (unsigned i = 0; i < 4096; i += 8) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			memcpy(p + i, &x, 8);
		}
	} else {
		for (unsigned i = 0; i < 4096; i++)
			p[i] = (uint8_t)("kdump resume seed "[i % 18] + (i / 512 == pfn % 8));
		memcpy(p, &pfn, sizeof(pfn));
	}
}

static int kdr_feed(struct kdump_writer *w, struct kdump_compressor *c, uint64_t stop)
{
	static uint8_t page[4096], out[4096];
	struct kdump_cpage cp;
	int r = 0;

	while (r == 0 && kdump_writer_next_pfn(w) < stop) {
		uint64_t pfn = kdump_writer_next_pfn(w);
		kdr_page(pfn, page);
		r = kdump_compress_page(c, page, out, &cp);
		if (r == 0)
			r = kdump_writer_append(w, pfn, &cp);
	}
	return r;
}

/* The data_end of resume slot S of IMG (LEN bytes), 0 if it does not decode. */
static uint64_t kdr_data_end(const uint8_t *img, size_t len, int s, uint64_t *seq)
{
	uint64_t off = (uint64_t)synth_get(img + KDUMP_DH(sub_hdr_size), 4) * 4096 +
		       (uint64_t)s * KDUMP_RESUME_SLOT_STRIDE;
	struct kdump_disk_resume r;

	if (off + 64 > len || kdump_resume_decode(img + off, &r) < 0)
		return 0;
	*seq = r.seq;
	return r.data_end;
}

static int kdr_seed(const char *dir, const struct kdr_recipe *k)
{
	static const struct kdump_range ranges[] = { { 0, 24 }, { 40, 64 }, { 300, 320 } };
	static const char vmci[] = "OSRELEASE=6.1.0-27-amd64\nPAGESIZE=4096\n"
				   "NUMBER(phys_base)=-530579456\nKERNELOFFSET=25600000\n";
	uint8_t notes[1024], prs[336] = { 0 }, exclude[KDR_MAPNR / 8] = { 0 }, *img = NULL;
	size_t nlen = 0, len = 0;
	char path[4096], why[256];
	struct kdump_writer *w = NULL;
	struct kdump_compressor *c = NULL;
	int r;

	for (uint64_t pfn = 8; pfn < 16; pfn++)
		exclude[pfn / 8] |= (uint8_t)(1u << (pfn % 8));
	if (elfnote_append(notes, sizeof(notes), &nlen, "CORE", NT_PRSTATUS, prs, sizeof(prs)) ||
	    elfnote_append(notes, sizeof(notes), &nlen, "VMCOREINFO", 0, vmci, strlen(vmci)))
		abort();
	struct kdump_writer_opts o = {
		.path = path, .max_mapnr = KDR_MAPNR, .ranges = ranges, .nranges = 3,
		.notes = notes, .notes_len = nlen, .compression = k->alg, .tv_sec = 1796328000,
		.exclude = k->exclude ? exclude : NULL, .dump_level = k->exclude ? 31 : 0,
		.oneshot = k->oneshot,
	};
	snprintf(path, sizeof(path), "%s/kdump_resume/.%s.part", dir, k->name);
	r = kdump_compressor_new(k->alg, 0, &c);
	if (r == 0)
		r = kdump_writer_create(&o, &w);
	if (r == 0 && k->sync1 && (r = kdr_feed(w, c, k->sync1)) == 0)
		r = kdump_writer_sync(w, NULL);
	if (r == 0 && k->sync2 && (r = kdr_feed(w, c, k->sync2)) == 0)
		r = kdump_writer_sync(w, NULL);
	if (r == 0 && k->finish && (r = kdr_feed(w, c, KDR_MAPNR)) == 0)
		r = kdump_writer_finish(w);
	kdump_writer_free(w); /* the crash, or the end */
	kdump_compressor_free(c);
	if (r == 0) {
		char *text = NULL;
		r = read_file(path, 64u << 20, &text, &len);
		img = (uint8_t *)text;
	}
	if (r < 0) {
		fprintf(stderr, "mkseed: kdump_resume/%s: %s\n", k->name, strerror(-r));
		unlink(path);
		return -1;
	}
	if (k->tear || k->cut_older || k->cut_short) {
		uint64_t seq0 = 0, seq1 = 0, end0 = kdr_data_end(img, len, 0, &seq0);
		uint64_t end1 = kdr_data_end(img, len, 1, &seq1);
		int newest = seq1 > seq0;
		uint64_t off = (uint64_t)synth_get(img + KDUMP_DH(sub_hdr_size), 4) * 4096;
		if (k->tear)
			img[off + (uint64_t)newest * KDUMP_RESUME_SLOT_STRIDE + 20] ^= 0x40;
		if (k->cut_older && (newest ? end0 : end1) + 6000 < len)
			len = (newest ? end0 : end1) + 6000;
		if (k->cut_short)
			len = (newest ? end1 : end0) - 100;
	}
	/* the seed: the flags byte, then the file */
	{
		uint8_t *seed = malloc(len + 1);
		struct kdump_writer *rw = NULL;
		char sname[128];
		if (!seed)
			abort();
		seed[0] = k->flags;
		memcpy(seed + 1, img, len);
		snprintf(sname, sizeof(sname), "%s", k->name);
		r = write_file(dir, "kdump_resume", sname, seed, len + 1);
		free(seed);
		/* check it: resume a copy (resuming cuts the file) */
		if (r == 0) {
			int fd = open_new_private(path, O_WRONLY);
			r = fd < 0 || write(fd, img, len) != (ssize_t)len ? -EIO : 0;
			if (fd >= 0)
				close(fd);
		}
		if (r == 0) {
			r = kdump_writer_resume(path, NULL, &rw, why, sizeof(why));
			if (r != k->want) {
				fprintf(stderr, "mkseed: kdump_resume/%s: resuming gives %d (%s), not "
					"%d\n", k->name, r, why, k->want);
				r = -1;
			} else {
				if (r == 0)
					snprintf(why, sizeof(why), "resumes at pfn %llu",
						 (unsigned long long)kdump_writer_next_pfn(rw));
				printf("mkseed: kdump_resume/%s: %zu bytes, %s%s\n", k->name, len + 1,
				       r == 0 ? "" : "refused: ", why);
				r = 0;
			}
			kdump_writer_free(rw);
		}
	}
	unlink(path);
	free(img);
	return r;
}

static int kdr_seeds(const char *dir)
{
	static const struct kdr_recipe seeds[] = {
		{ "zstd-2checkpoints", KDUMP_COMPRESS_ZSTD, 48, 310, .flags = 1, .want = 0 },
		{ "zstd-torn", KDUMP_COMPRESS_ZSTD, 48, 310, .tear = true, .want = 0 },
		{ "none-torn-cut", KDUMP_COMPRESS_NONE, 8, 20, .tear = true, .cut_older = true,
		  .want = 0 },
		{ "lzo-excluded", KDUMP_COMPRESS_LZO, 305, 0, .exclude = true, .flags = 1,
		  .want = 0 },
		{ "zlib-short", KDUMP_COMPRESS_ZLIB, 44, 0, .cut_short = true, .flags = 1,
		  .want = -EBADMSG },
		{ "zstd-finished", KDUMP_COMPRESS_ZSTD, 0, 0, .finish = true, .flags = 1,
		  .want = -EALREADY },
		{ "zstd-oneshot", KDUMP_COMPRESS_ZSTD, 40, 0, .oneshot = true, .flags = 1,
		  .want = -EBADMSG },
	};
	int r = 0;

	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		r |= kdr_seed(dir, &seeds[i]);
	return r;
}

/* fuzz_btf: the synthetic BTF of test_btf, and the real kernel's from a dump (through its
 * kallsyms: __start_BTF, __stop_BTF). */
static int btf_seeds(const char *dir, const char *path)
{
	size_t len = synth_btf();
	struct kallsyms *ks = NULL;
	uint64_t start, stop, pa;
	struct vmcore *v = NULL;
	const char *info;
	size_t ilen;
	uint8_t *buf;
	int r, w = 0;

	if (write_file(dir, "btf", "synthetic", sb_out, len) < 0)
		return -1;
	if (!path)
		return 0;
	if (vmcore_open(path, &v) < 0)
		return 0; /* from_dump() says why */
	info = vmcore_info(v, &ilen);
	r = kallsyms_open(info, ilen, read_phys, v, &ks);
	if (r == 0 && kallsyms_find(ks, "__start_BTF", &start) == 0 &&
	    kallsyms_find(ks, "__stop_BTF", &stop) == 0 && stop > start &&
	    stop - start <= BTF_MAX_SIZE &&
	    kallsyms_kimage_to_phys(info, ilen, start, &pa) == 0 &&
	    (buf = malloc((size_t)(stop - start)))) {
		if (vmcore_read_phys(v, pa, buf, (size_t)(stop - start)) == 0)
			w = write_file(dir, "btf", "real-kernel", buf, (size_t)(stop - start));
		free(buf);
	}
	if (r < 0)
		fprintf(stderr, "mkseed: %s: no kallsyms for a BTF seed: %s\n", path, strerror(-r));
	kallsyms_close(ks);
	vmcore_close(v);
	return w < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: mkseed OUTDIR [VMCORE]\n");
		return 2;
	}
	if (synthetic(argv[1]) < 0 || pf_synthetic(argv[1]) < 0 || kinfo_synthetic(argv[1]) < 0 ||
	    record_seeds(argv[1]) < 0 || kdr_seeds(argv[1]) < 0 ||
	    ks_seeds(argv[1]) < 0 || kc_seeds(argv[1]) < 0 ||
	    btf_seeds(argv[1], argc == 3 ? argv[2] : NULL) < 0)
		return 1;
	if (argc == 3 && (from_dump(argv[1], argv[2]) < 0 || pf_from_dump(argv[1], argv[2]) < 0 ||
			  kinfo_from_dump(argv[1], argv[2]) < 0))
		return 1;
	return 0;
}
