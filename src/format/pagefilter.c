// SPDX-License-Identifier: GPL-2.0-or-later
// Page filtering by type: a walk of the crashed kernel's struct page array (see
// pagefilter.h for the rules).  The struct pages of one memory section are read in chunks
// through the dump's own page tables; nothing read from the dump is trusted.
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/le.h"
#include "format/pagefilter.h"
#include "format/vmcoreinfo.h"

#define PAGE_SHIFT 12
#define CHUNK_PAGES 512u            /* struct pages read at once (32 KiB of 64-byte pages) */
#define MAX_STRUCT_PAGE 1024u       /* SIZE(page) above this is not a kernel's */
#define MAX_ROOTS (1u << 24)
#define SECTION_MARKED_PRESENT 0x1u
#define SECTION_HAS_MEM_MAP 0x2u
/* The encoded mem_map is page-aligned minus a multiple of a section's struct pages, so its
 * low PAGE_SHIFT bits are free for the section flags (mmzone.h's argument). */
#define SECTION_MAP_MASK (~(uint64_t)((1u << PAGE_SHIFT) - 1))
#define PAGE_MAPPING_ANON 0x1u
#define IS_HUGETLB UINT64_MAX
#define ZERO_RUN 64u

/* An optional VMCOREINFO number: HAVE says whether it was there. */
struct opt {
	bool have;
	int64_t v;
};

struct pf {
	struct dumpfile *d;
	const char *vi;
	size_t vlen;
	unsigned level;
	uint8_t *excl;
	uint64_t max_pfn;
	struct pagefilter_stats *st;
	char *why;
	size_t whylen;

	uint64_t mem_section, nroots, per_root, ms_size, ms_map_off;
	unsigned sect_shift;             /* pfn bits of a section: SECTION_SIZE_BITS - 12 */
	uint64_t page_size;              /* SIZE(page) */
	uint64_t off_flags, off_mapping;
	struct opt off_mapcount, off_private, off_head, off_order, off_dtor;
	unsigned order_width, dtor_width; /* bytes */
	struct opt pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab, pg_hwpoison,
		pg_hugetlb, head_mask;
	struct opt buddy_mc, offline_mc, slab_mc, hugetlb_mc, unaccepted_mc, hugetlb_dtor,
		free_huge_page;
	uint64_t max_order;              /* LENGTH(zone.free_area) */

	uint64_t root_idx, root_ptr;
	bool root_valid;
	uint8_t *buf;                    /* CHUNK_PAGES + 1 struct pages */
};

__attribute__((format(printf, 3, 4))) static int failf(struct pf *p, int err, const char *fmt,
							...)
{
	va_list ap;

	if (p->why && p->whylen) {
		va_start(ap, fmt);
		vsnprintf(p->why, p->whylen, fmt, ap);
		va_end(ap);
	}
	return err;
}

static struct opt get(struct pf *p, const char *key)
{
	uint64_t v;
	struct opt o = { false, 0 };

	if (vmcoreinfo_get_u64(p->vi, p->vlen, key, &v) == 0) {
		o.have = true;
		o.v = (int64_t)v;
	}
	return o;
}

/* A required entry, in [LO, HI]. */
static int need(struct pf *p, const char *key, int64_t lo, int64_t hi, uint64_t *out)
{
	struct opt o = get(p, key);

	if (!o.have)
		return failf(p, -ENOTSUP, "VMCOREINFO has no %s", key);
	if (o.v < lo || o.v > hi)
		return failf(p, -ENOTSUP, "VMCOREINFO's %s=%lld is out of range", key,
			     (long long)o.v);
	*out = (uint64_t)o.v;
	return 0;
}

/* An optional field offset or bit number: dropped when absurd. */
static struct opt get_bounded(struct pf *p, const char *key, int64_t hi)
{
	struct opt o = get(p, key);

	if (o.have && (o.v < 0 || o.v > hi))
		o.have = false;
	return o;
}

static void kernel_version(struct pf *p, unsigned *major, unsigned *minor)
{
	char rel[65];

	*major = *minor = 0;
	if (vmcoreinfo_get(p->vi, p->vlen, "OSRELEASE", rel, sizeof(rel)) == 0 &&
	    sscanf(rel, "%u.%u", major, minor) != 2)
		*major = *minor = 0;
}

static int setup(struct pf *p)
{
	uint64_t shift;
	unsigned major, minor;
	int r;

	if (!p->vi)
		return failf(p, -ENOTSUP, "the dump has no VMCOREINFO");
	if (dumpfile_paging_levels(p->d) == 0)
		return failf(p, -ENOTSUP, "the dump's kernel page tables cannot be walked");
	if ((r = need(p, "SYMBOL(mem_section)", INT64_MIN, INT64_MAX, &p->mem_section)) < 0 ||
	    (r = need(p, "LENGTH(mem_section)", 1, MAX_ROOTS, &p->nroots)) < 0 ||
	    (r = need(p, "SIZE(mem_section)", 8, 4096, &p->ms_size)) < 0 ||
	    (r = need(p, "OFFSET(mem_section.section_mem_map)", 0, 4088, &p->ms_map_off)) < 0 ||
	    (r = need(p, "NUMBER(SECTION_SIZE_BITS)", PAGE_SHIFT + 1, 40, &shift)) < 0 ||
	    (r = need(p, "SIZE(page)", 32, MAX_STRUCT_PAGE, &p->page_size)) < 0 ||
	    (r = need(p, "OFFSET(page.flags)", 0, (int64_t)p->page_size - 8, &p->off_flags)) < 0 ||
	    (r = need(p, "OFFSET(page.mapping)", 0, (int64_t)p->page_size - 8,
		      &p->off_mapping)) < 0)
		return r;
	if (p->ms_map_off + 8 > p->ms_size)
		return failf(p, -ENOTSUP, "VMCOREINFO's mem_section is smaller than its "
			     "section_mem_map offset");
	p->sect_shift = (unsigned)shift - PAGE_SHIFT;
	p->per_root = 4096 / p->ms_size; /* SPARSEMEM_EXTREME: one page of sections per root */
	if (get(p, "NUMBER(MAX_PHYSMEM_BITS)").have) {
		uint64_t bits;
		if ((r = need(p, "NUMBER(MAX_PHYSMEM_BITS)", (int64_t)shift, 64, &bits)) < 0)
			return r;
		uint64_t sections = bits - shift >= 40 ? UINT64_MAX : UINT64_C(1) << (bits - shift);
		if (p->nroots != (sections + p->per_root - 1) / p->per_root)
			return failf(p, -ENOTSUP, "mem_section is not SPARSEMEM_EXTREME's root "
				     "array (LENGTH %llu)", (unsigned long long)p->nroots);
	}

	int64_t lim = (int64_t)p->page_size;
	p->off_mapcount = get_bounded(p, "OFFSET(page._mapcount)", lim - 4);
	p->off_private = get_bounded(p, "OFFSET(page.private)", lim - 8);
	p->off_head = get_bounded(p, "OFFSET(page.compound_head)", lim - 8);
	kernel_version(p, &major, &minor);
	bool new_layout = major > 4 || (major == 4 && minor >= 16);
	p->order_width = new_layout ? 1 : 2;
	p->dtor_width = new_layout ? 1 : (major == 4 && minor >= 4) ? 2 : 8;
	p->off_order = get_bounded(p, "OFFSET(page.compound_order)", lim - p->order_width);
	p->off_dtor = get_bounded(p, "OFFSET(page.compound_dtor)", lim - p->dtor_width);
	p->pg_lru = get_bounded(p, "NUMBER(PG_lru)", 63);
	p->pg_private = get_bounded(p, "NUMBER(PG_private)", 63);
	p->pg_swapcache = get_bounded(p, "NUMBER(PG_swapcache)", 63);
	p->pg_swapbacked = get_bounded(p, "NUMBER(PG_swapbacked)", 63);
	p->pg_slab = get_bounded(p, "NUMBER(PG_slab)", 63);
	p->pg_hwpoison = get_bounded(p, "NUMBER(PG_hwpoison)", 63);
	p->pg_hugetlb = get_bounded(p, "NUMBER(PG_hugetlb)", 63);
	p->head_mask = get(p, "NUMBER(PG_head_mask)");
	p->buddy_mc = get(p, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)");
	p->offline_mc = get(p, "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)");
	p->slab_mc = get(p, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)");
	p->hugetlb_mc = get(p, "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)");
	p->unaccepted_mc = get(p, "NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)");
	p->hugetlb_dtor = get(p, "NUMBER(HUGETLB_PAGE_DTOR)");
	p->free_huge_page = get(p, "SYMBOL(free_huge_page)");
	if (!p->off_mapcount.have) {
		p->buddy_mc.have = p->offline_mc.have = p->slab_mc.have = false;
		p->hugetlb_mc.have = p->unaccepted_mc.have = false;
	}
	struct opt fa = get_bounded(p, "LENGTH(zone.free_area)", 64);
	p->max_order = fa.have && fa.v > 0 ? (uint64_t)fa.v : 11;

	/* what each level cannot do without */
	if ((p->level & PAGEFILTER_FREE) && (!p->buddy_mc.have || !p->off_private.have))
		return failf(p, -ENOTSUP, "VMCOREINFO cannot tell free pages (no %s)",
			     !p->off_private.have ? "OFFSET(page.private)"
						  : "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)");
	if ((p->level & (PAGEFILTER_CACHE | PAGEFILTER_CACHE_PRI)) &&
	    (!p->pg_lru.have || !p->pg_swapcache.have || !p->pg_private.have))
		return failf(p, -ENOTSUP, "VMCOREINFO cannot tell cache pages (no %s)",
			     !p->pg_lru.have ? "NUMBER(PG_lru)" : !p->pg_swapcache.have
			     ? "NUMBER(PG_swapcache)" : "NUMBER(PG_private)");
	if ((p->level & (PAGEFILTER_CACHE | PAGEFILTER_CACHE_PRI | PAGEFILTER_USER)) &&
	    !p->pg_slab.have && !p->slab_mc.have)
		return failf(p, -ENOTSUP, "VMCOREINFO cannot tell slab pages (no NUMBER(PG_slab))");
	return 0;
}

static bool bit(uint64_t flags, struct opt b)
{
	return b.have && ((flags >> b.v) & 1);
}

static bool is_slab(const struct pf *p, uint64_t flags, int32_t mapcount)
{
	if (p->slab_mc.have && mapcount == (int32_t)p->slab_mc.v)
		return true;
	return bit(flags, p->pg_slab);
}

static bool is_anon(const struct pf *p, uint64_t mapping, uint64_t flags, int32_t mapcount)
{
	return (mapping & PAGE_MAPPING_ANON) && !is_slab(p, flags, mapcount);
}

static bool is_cache(const struct pf *p, uint64_t flags)
{
	if (bit(flags, p->pg_lru))
		return true;
	/* PG_swapcache means swap cache only on swap-backed pages (kernels since 4.10) */
	return (!p->pg_swapbacked.have || bit(flags, p->pg_swapbacked)) &&
	       bit(flags, p->pg_swapcache);
}

static bool is_hugetlb(const struct pf *p, uint64_t dtor)
{
	return dtor == IS_HUGETLB ||
	       (p->hugetlb_dtor.have && (uint64_t)p->hugetlb_dtor.v == dtor) ||
	       (p->free_huge_page.have && (uint64_t)p->free_huge_page.v == dtor);
}

static uint64_t get_width(const uint8_t *b, unsigned width)
{
	return width == 1 ? b[0] : width == 2 ? le16_get(b) : le64_get(b);
}

/* The order and destructor of a compound head page, from the struct page after it. */
static void compound(const struct pf *p, uint64_t pfn, int32_t mapcount, const uint8_t *next,
		     uint64_t *order, uint64_t *dtor)
{
	*order = *dtor = 0;
	if (p->hugetlb_mc.have || p->pg_hugetlb.have) {
		uint64_t flags1 = le64_get(next + p->off_flags);
		*order = flags1 & 0xff;
		if (p->hugetlb_mc.have ? mapcount == (int32_t)p->hugetlb_mc.v
				       : bit(flags1, p->pg_hugetlb))
			*dtor = IS_HUGETLB;
	} else {
		if (p->off_order.have)
			*order = get_width(next + p->off_order.v, p->order_width);
		if (p->off_dtor.have)
			*dtor = get_width(next + p->off_dtor.v, p->dtor_width);
	}
	if (*order >= 64 || (pfn & ((UINT64_C(1) << *order) - 1)) != 0)
		*order = 0; /* not a head page's order */
}

/* Leave out [PFN, PFN + N) clipped to END, counting in *COUNTER the pages newly left out. */
static void leave_out(struct pf *p, uint64_t pfn, uint64_t n, uint64_t end, uint64_t *counter)
{
	uint64_t stop = n > end - pfn ? end : pfn + n;

	for (; pfn < stop; pfn++) {
		if (!pagefilter_test(p->excl, pfn)) {
			pagefilter_set(p->excl, pfn);
			(*counter)++;
		}
	}
}

/* Judge the page PFN by its struct page SP (NEXT: the struct page after it, or NULL).
 * Returns how many pages, from PFN on, the verdict covers; *COUNTER is NULL to keep them. */
static uint64_t judge(struct pf *p, uint64_t pfn, const uint8_t *sp, const uint8_t *next,
		      uint64_t **counter)
{
	uint64_t flags = le64_get(sp + p->off_flags);
	uint64_t mapping = le64_get(sp + p->off_mapping);
	int32_t mapcount = p->off_mapcount.have ? (int32_t)le32_get(sp + p->off_mapcount.v) : 0;
	uint64_t priv = p->off_private.have ? le64_get(sp + p->off_private.v) : 0;
	uint64_t head = p->off_head.have ? le64_get(sp + p->off_head.v) : 0;
	uint64_t order = 0, dtor = 0;
	struct pagefilter_stats *st = p->st;

	*counter = NULL;
	if (p->head_mask.have && (flags & (uint64_t)p->head_mask.v) && next)
		compound(p, pfn, mapcount, next, &order, &dtor);
	if (head & 1)
		return 1; /* a tail page: it went with its head, if its head went */
	if ((p->level & PAGEFILTER_FREE) && !is_slab(p, flags, mapcount) &&
	    mapcount == (int32_t)p->buddy_mc.v) {
		if (priv >= p->max_order) {
			st->bad_order++;
			return 1;
		}
		*counter = &st->free;
		return UINT64_C(1) << priv;
	}
	if ((p->level & PAGEFILTER_FREE) && p->unaccepted_mc.have &&
	    mapcount == (int32_t)p->unaccepted_mc.v) {
		*counter = &st->free;
		return UINT64_C(1) << (p->max_order - 1);
	}
	bool cache = (p->level & (PAGEFILTER_CACHE | PAGEFILTER_CACHE_PRI)) && is_cache(p, flags) &&
		     !is_anon(p, mapping, flags, mapcount);
	if (cache && (p->level & PAGEFILTER_CACHE) && !bit(flags, p->pg_private))
		*counter = &st->cache;
	else if (cache && (p->level & PAGEFILTER_CACHE_PRI))
		*counter = bit(flags, p->pg_private) ? &st->cache_private : &st->cache;
	else if ((p->level & PAGEFILTER_USER) &&
		 (is_anon(p, mapping, flags, mapcount) || is_hugetlb(p, dtor)))
		*counter = &st->user;
	else if (bit(flags, p->pg_hwpoison))
		*counter = &st->hwpoison;
	else if (p->offline_mc.have && !is_slab(p, flags, mapcount) &&
		 mapcount == (int32_t)p->offline_mc.v)
		*counter = &st->offline;
	else
		return 1;
	return UINT64_C(1) << order;
}

/* The virtual address of the struct page of pfn 0 as section NR encodes it: 0 when the
 * section has no mem_map we can read, with the error. */
static int section_memmap(struct pf *p, uint64_t nr, uint64_t *base)
{
	uint64_t root = nr / p->per_root, addr, map;
	uint8_t b[8];
	int r;

	if (root >= p->nroots)
		return -ENOENT;
	if (!p->root_valid || p->root_idx != root) {
		r = dumpfile_read_virt(p->d, p->mem_section + root * 8, b, 8);
		if (r < 0)
			return r;
		p->root_idx = root;
		p->root_ptr = le64_get(b);
		p->root_valid = true;
	}
	if (p->root_ptr == 0)
		return -ENOENT;
	addr = p->root_ptr + (nr % p->per_root) * p->ms_size + p->ms_map_off;
	r = dumpfile_read_virt(p->d, addr, b, 8);
	if (r < 0)
		return r;
	map = le64_get(b);
	if ((map & (SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP)) !=
	    (SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP))
		return -ENOENT;
	*base = map & SECTION_MAP_MASK;
	return 0;
}

/* The whole pages of R below MAX_PFN: [*PFN, *END) (empty when *PFN >= *END). */
static void range_pfns(const struct dumpfile_range *r, uint64_t max_pfn, uint64_t *pfn,
		       uint64_t *end)
{
	uint64_t e;

	*pfn = r->start >> PAGE_SHIFT;
	if (r->start & (DUMPFILE_PAGE_SIZE - 1))
		(*pfn)++;
	*end = __builtin_add_overflow(r->start, r->size, &e) ? UINT64_MAX >> PAGE_SHIFT
							     : e >> PAGE_SHIFT;
	if (*end > max_pfn)
		*end = max_pfn;
}

/* Judge the pages [PFN, END) of one section whose struct pages start at BASE. */
static void walk_section(struct pf *p, uint64_t base, uint64_t pfn, uint64_t end,
			 uint64_t section_end)
{
	while (pfn < end) {
		uint64_t chunk_end = (pfn / CHUNK_PAGES + 1) * CHUNK_PAGES;
		if (chunk_end > end)
			chunk_end = end;
		uint64_t n = chunk_end - pfn, i = 0;
		uint64_t vaddr = base + pfn * p->page_size; /* wraps as the kernel's does */
		/* one struct page more, for a compound head at the chunk's end */
		bool extra = chunk_end < section_end &&
			     dumpfile_read_virt(p->d, vaddr, p->buf, (n + 1) * p->page_size) == 0;

		if (!extra && dumpfile_read_virt(p->d, vaddr, p->buf, n * p->page_size) < 0) {
			p->st->memmap_unreadable += n;
			pfn = chunk_end;
			continue;
		}
		while (i < n) {
			const uint8_t *sp = p->buf + i * p->page_size;
			const uint8_t *next = i + 1 < n || extra ? sp + p->page_size : NULL;
			uint64_t *counter, cover = judge(p, pfn + i, sp, next, &counter);
			if (counter)
				leave_out(p, pfn + i, cover, end, counter);
			i += cover; /* i < 512 and cover <= 2^63: no overflow */
		}
		pfn += i;   /* past the chunk when the last verdict reached beyond it */
	}
}

int pagefilter_scan(struct dumpfile *d, unsigned level, uint8_t *excl, uint64_t max_pfn,
		    struct pagefilter_stats *st, char *why, size_t whylen)
{
	struct pf p = { .d = d, .level = level, .excl = excl, .max_pfn = max_pfn, .st = st,
			.why = why, .whylen = whylen };
	struct dumpfile_range rg;
	int r;

	if (why && whylen)
		why[0] = '\0';
	if (level > PAGEFILTER_LEVEL_MAX)
		return failf(&p, -EINVAL, "dump level %u is above 31", level);
	if (!(level & PAGEFILTER_BY_TYPE))
		return 0;
	p.vi = dumpfile_vmcoreinfo(d, &p.vlen);
	r = setup(&p);
	if (r < 0)
		return r;
	p.buf = malloc((CHUNK_PAGES + 1) * p.page_size);
	if (!p.buf)
		return failf(&p, -ENOMEM, "out of memory");

	uint64_t last_section = UINT64_MAX;
	for (uint64_t from = 0; dumpfile_next_range(d, from, &rg) == 0; from = rg.start + rg.size) {
		uint64_t pfn, end;
		range_pfns(&rg, max_pfn, &pfn, &end);
		while (pfn < end) {
			uint64_t nr = pfn >> p.sect_shift, base = 0;
			uint64_t section_end = (nr + 1) << p.sect_shift;
			uint64_t stop = section_end < end ? section_end : end;
			if (section_memmap(&p, nr, &base) < 0) {
				st->no_memmap += stop - pfn;
				pfn = stop;
				continue;
			}
			if (nr != last_section)
				st->sections++;
			last_section = nr;
			if (stop > st->memmap_end)
				st->memmap_end = stop;
			walk_section(&p, base, pfn, stop, section_end);
			pfn = stop;
		}
	}
	free(p.buf);
	return 0;
}

uint64_t pagefilter_excluded(const struct pagefilter_stats *st)
{
	return st->zero + st->cache + st->cache_private + st->user + st->free + st->hwpoison +
	       st->offline;
}

int pagefilter_zero_scan(struct dumpfile *d, const uint8_t *skip, uint8_t *zero,
			 uint64_t max_pfn, struct pagefilter_stats *st,
			 pagefilter_progress_fn progress, void *ctx)
{
	static const uint8_t zeros[DUMPFILE_PAGE_SIZE];
	struct dumpfile_range rg;
	uint8_t *buf = malloc((size_t)ZERO_RUN * DUMPFILE_PAGE_SIZE);
	uint64_t ticks = 0;

	if (!buf)
		return -ENOMEM;
	for (uint64_t from = 0; dumpfile_next_range(d, from, &rg) == 0; from = rg.start + rg.size) {
		uint64_t pfn, end;
		range_pfns(&rg, max_pfn, &pfn, &end);
		while (pfn < end) {
			if (pagefilter_test(skip, pfn)) {
				pfn++;
				continue;
			}
			uint64_t n = 1;
			while (n < ZERO_RUN && pfn + n < end && !pagefilter_test(skip, pfn + n))
				n++;
			bool whole = dumpfile_read_phys(d, pfn << PAGE_SHIFT, buf,
							(size_t)n * DUMPFILE_PAGE_SIZE) == 0;
			for (uint64_t i = 0; i < n; i++) {
				uint8_t *pg = buf + i * DUMPFILE_PAGE_SIZE;
				if (!whole && dumpfile_read_phys(d, (pfn + i) << PAGE_SHIFT, pg,
								 DUMPFILE_PAGE_SIZE) < 0)
					continue;
				if (memcmp(pg, zeros, DUMPFILE_PAGE_SIZE) == 0) {
					pagefilter_set(zero, pfn + i);
					st->zero++;
				}
			}
			pfn += n;
			if (progress && ++ticks % 256 == 0)
				progress(ctx, pfn);
		}
	}
	free(buf);
	return 0;
}
