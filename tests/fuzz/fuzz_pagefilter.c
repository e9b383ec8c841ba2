// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: page filtering by type (pagefilter.h) over a dump made of the input (in a
// memfd; an ELF vmcore or a kdump-compressed file, as dumpfile_open decides from its first
// bytes): the struct page walk at dump levels 31, 16 and 10, 31 again (the same bitmap) and
// 31 over 16's bitmap (the union), then the zero-page scan, each result checked against what
// pagefilter.h promises.  A broken promise is a __builtin_trap().
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format/dumpfile.h"
#include "format/pagefilter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bitmaps cover pfns [0, min(end of the last range, MAX_PFN)): 128 KiB each, a walk of
 * at most 4 GiB of pages (all of QEMU's layout below 4 GiB, the BIOS ROM included). */
#define MAX_PFN (UINT64_C(1) << 20)
/* The zero scan reads at most this many pages (it reads every page it looks at). */
#define ZERO_PAGES 1024u
/* Pages whose zero verdict is read back and checked. */
#define ZERO_CHECKS 64u
#define PAD 8u /* bitmap bytes past max_pfn: they must stay clear */

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)
/* The harness's own loops over bitmaps: no coverage feedback (it would reward bitmap sizes,
 * not paths through pagefilter.c), and no cost of tracing 128 KiB a pass. */
#define QUIET __attribute__((no_sanitize("coverage")))

static int fd = -1;

struct bm {
	uint8_t *valid;     /* pages wholly inside a range of the dump */
	uint8_t *a, *b, *c; /* scratch bitmaps (each MAX_PFN / 8 + PAD bytes) */
	uint64_t max_pfn, nbytes, in_ranges;
};

QUIET static uint64_t popcount(const uint8_t *bm, uint64_t nbytes)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < nbytes; i++)
		n += (uint64_t)__builtin_popcount(bm[i]);
	return n;
}

/* Every bit of X is set in Y. */
QUIET static int subset(const uint8_t *x, const uint8_t *y, uint64_t nbytes)
{
	for (uint64_t i = 0; i < nbytes; i++)
		if (x[i] & ~y[i])
			return 0;
	return 1;
}

/* X and Y have no bit in common. */
QUIET static int disjoint(const uint8_t *x, const uint8_t *y, uint64_t nbytes)
{
	for (uint64_t i = 0; i < nbytes; i++)
		if (x[i] & y[i])
			return 0;
	return 1;
}

/* U is X | Y. */
QUIET static int is_union(const uint8_t *u, const uint8_t *x, const uint8_t *y, uint64_t nbytes)
{
	for (uint64_t i = 0; i < nbytes; i++)
		if (u[i] != (x[i] | y[i]))
			return 0;
	return 1;
}

QUIET static void set_range(uint8_t *bm, uint64_t pfn, uint64_t end)
{
	for (; pfn < end; pfn++)
		pagefilter_set(bm, pfn);
}

/* The pfn below which N pages are set in VALID and clear in SKIP (or MAX_PFN). */
QUIET static uint64_t nth_candidate(const struct bm *m, const uint8_t *skip, uint64_t n)
{
	uint64_t seen = 0, i;

	for (i = 0; i < m->nbytes && seen < n; i++)
		seen += (uint64_t)__builtin_popcount(m->valid[i] & ~skip[i]);
	return i * 8 < m->max_pfn ? i * 8 : m->max_pfn;
}

/* The first pfn from PFN below LIM set in VALID and clear in SKIP, or LIM. */
QUIET static uint64_t next_candidate(const struct bm *m, const uint8_t *skip, uint64_t pfn,
				     uint64_t lim)
{
	while (pfn < lim && (!pagefilter_test(m->valid, pfn) || pagefilter_test(skip, pfn)))
		pfn++;
	return pfn;
}

/* Nothing at or above max_pfn was marked. */
QUIET static int clear_above(const struct bm *m, const uint8_t *bm)
{
	uint64_t last = m->max_pfn >> 3;

	if ((m->max_pfn & 7) && (bm[last] >> (m->max_pfn & 7)))
		return 0;
	for (uint64_t i = (m->max_pfn + 7) >> 3; i < m->nbytes + PAD; i++)
		if (bm[i])
			return 0;
	return 1;
}

static int stats_zero(const struct pagefilter_stats *st)
{
	static const struct pagefilter_stats none;

	return memcmp(st, &none, sizeof(none)) == 0;
}

/* The ranges, as pagefilter sees them: whole pages, below max_pfn.  0, or -1 for no range. */
static int ranges(struct dumpfile *d, struct bm *m)
{
	struct dumpfile_range rg;
	uint64_t from = 0, end = 0;

	/* non-empty, in order, not wrapping */
	while (dumpfile_next_range(d, from, &rg) == 0) {
		CHECK(rg.size != 0 && rg.start >= from && rg.start + rg.size > rg.start);
		from = end = rg.start + rg.size;
	}
	if (end == 0)
		return -1;
	m->max_pfn = end / DUMPFILE_PAGE_SIZE < MAX_PFN ? end / DUMPFILE_PAGE_SIZE : MAX_PFN;
	m->nbytes = (m->max_pfn + 7) / 8;
	memset(m->valid, 0, m->nbytes + PAD);
	memset(m->a, 0, m->nbytes + PAD);
	memset(m->b, 0, m->nbytes + PAD);
	memset(m->c, 0, m->nbytes + PAD);
	for (from = 0; dumpfile_next_range(d, from, &rg) == 0; from = rg.start + rg.size) {
		uint64_t pfn = rg.start / DUMPFILE_PAGE_SIZE + (rg.start % DUMPFILE_PAGE_SIZE != 0);
		uint64_t stop = (rg.start + rg.size) / DUMPFILE_PAGE_SIZE;

		if (pfn >= m->max_pfn)
			break;
		if (stop > m->max_pfn)
			stop = m->max_pfn;
		if (pfn < stop) {
			set_range(m->valid, pfn, stop);
			m->in_ranges += stop - pfn;
		}
	}
	return 0;
}

/* One walk at LEVEL into the cleared bitmap EXCL; the promises that hold for any input. */
static int scan(struct dumpfile *d, const struct bm *m, unsigned level, uint8_t *excl,
		struct pagefilter_stats *st)
{
	char why[256];
	int r;

	memset(st, 0, sizeof(*st));
	memset(why, 'x', sizeof(why));
	r = pagefilter_scan(d, level, excl, m->max_pfn, st, why, sizeof(why));
	CHECK(clear_above(m, excl));
	if (r < 0) {
		/* refused before it marked or counted anything, and says why */
		CHECK(r == -ENOTSUP || r == -ENOMEM);
		CHECK(why[0] != '\0' && memchr(why, '\0', sizeof(why)));
		CHECK(stats_zero(st) && popcount(excl, m->nbytes) == 0);
		return r;
	}
	CHECK(r == 0 && why[0] == '\0');
	uint64_t excluded = pagefilter_excluded(st);
	/* each page counted once, when its bit was set; only pages of the ranges */
	CHECK(popcount(excl, m->nbytes) == excluded);
	CHECK(subset(excl, m->valid, m->nbytes));
	CHECK(excluded + st->no_memmap + st->memmap_unreadable <= m->in_ranges);
	CHECK(st->zero == 0);
	CHECK(st->memmap_end <= m->max_pfn && (st->memmap_end == 0) == (st->sections == 0));
	/* only what the level asks for */
	CHECK((level & PAGEFILTER_FREE) || st->free == 0);
	CHECK((level & (PAGEFILTER_CACHE | PAGEFILTER_CACHE_PRI)) || st->cache == 0);
	CHECK((level & PAGEFILTER_CACHE_PRI) || st->cache_private == 0);
	CHECK((level & PAGEFILTER_USER) || st->user == 0);
	return 0;
}

static void progress(void *ctx, uint64_t pfn)
{
	uint64_t *last = ctx;

	CHECK(pfn > *last);
	*last = pfn;
}

/* The zero scan over the first ZERO_PAGES candidate pages, skipping SKIP. */
static void zero_scan(struct dumpfile *d, const struct bm *m, const uint8_t *skip, uint8_t *zero)
{
	static uint8_t page[DUMPFILE_PAGE_SIZE];
	static const uint8_t zeros[DUMPFILE_PAGE_SIZE];
	struct pagefilter_stats st = { 0 };
	uint64_t lim = nth_candidate(m, skip, ZERO_PAGES), last = 0, checked = 0;

	if (pagefilter_zero_scan(d, skip, zero, lim, &st, progress, &last) < 0)
		return;
	CHECK(clear_above(m, zero));
	CHECK(popcount(zero, m->nbytes) == st.zero && last <= lim);
	st.zero = 0;
	CHECK(stats_zero(&st)); /* the scan counts nothing else */
	CHECK(subset(zero, m->valid, m->nbytes));
	CHECK(disjoint(zero, skip, m->nbytes));
	/* read back: a page marked zero reads as zeros; one not marked, not skipped and
	 * readable does not */
	for (uint64_t pfn = next_candidate(m, skip, 0, lim); pfn < lim && checked < ZERO_CHECKS;
	     pfn = next_candidate(m, skip, pfn + 1, lim)) {
		int r = dumpfile_read_phys(d, pfn * DUMPFILE_PAGE_SIZE, page, sizeof(page));
		if (pagefilter_test(zero, pfn))
			CHECK(r == 0 && memcmp(page, zeros, sizeof(page)) == 0);
		else
			CHECK(r < 0 || memcmp(page, zeros, sizeof(page)) != 0);
		checked++;
	}
}

static void run(struct dumpfile *d)
{
	static uint8_t bitmaps[4][MAX_PFN / 8 + PAD];
	struct pagefilter_stats s31, s31b, s16, s10, su;
	struct bm m = { .valid = bitmaps[0], .a = bitmaps[1], .b = bitmaps[2], .c = bitmaps[3] };
	uint8_t *e31, *e16;
	int r31, r16;

	if (ranges(d, &m) < 0)
		return;
	/* the levels without a walk, and one above the range */
	CHECK(pagefilter_scan(d, 32, m.a, m.max_pfn, &s31, NULL, 0) == -EINVAL);
	memset(&s31, 0, sizeof(s31));
	CHECK(pagefilter_scan(d, PAGEFILTER_ZERO, m.a, m.max_pfn, &s31, NULL, 0) == 0);
	CHECK(stats_zero(&s31) && popcount(m.a, m.nbytes + PAD) == 0);

	r31 = scan(d, &m, 31, m.a, &s31);
	e31 = m.a;
	/* again: the same verdicts */
	CHECK(scan(d, &m, 31, m.b, &s31b) == r31);
	CHECK(memcmp(m.a, m.b, m.nbytes) == 0 && memcmp(&s31, &s31b, sizeof(s31)) == 0);
	memset(m.b, 0, m.nbytes);
	(void)scan(d, &m, 10, m.b, &s10);
	memset(m.b, 0, m.nbytes);
	r16 = scan(d, &m, 16, m.b, &s16);
	e16 = m.b;
	if (r31 == 0 && r16 == 0) {
		/* 31 over 16's bitmap: the union, only the new pages counted, the same walk */
		memcpy(m.c, e16, m.nbytes);
		memset(&su, 0, sizeof(su));
		CHECK(pagefilter_scan(d, 31, m.c, m.max_pfn, &su, NULL, 0) == 0);
		CHECK(is_union(m.c, e31, e16, m.nbytes));
		CHECK(popcount(m.c, m.nbytes) ==
		      popcount(e16, m.nbytes) + pagefilter_excluded(&su));
		CHECK(su.sections == s31.sections && su.no_memmap == s31.no_memmap &&
		      su.memmap_unreadable == s31.memmap_unreadable &&
		      su.bad_order == s31.bad_order && su.memmap_end == s31.memmap_end);
		/* a page 16 left out may be one 31 leaves out for another reason */
		CHECK(su.free <= s31.free && su.cache <= s31.cache &&
		      su.cache_private <= s31.cache_private && su.user <= s31.user &&
		      su.hwpoison <= s31.hwpoison && su.offline <= s31.offline);
	}
	memset(m.c, 0, m.nbytes + PAD);
	zero_scan(d, &m, e31, m.c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dumpfile *d;
	char path[64];

	if (fd < 0) {
		fd = memfd_create("fuzz_pagefilter", MFD_CLOEXEC);
		if (fd < 0)
			abort(); /* the harness, not the input */
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (dumpfile_open(path, DUMPFILE_OPEN_INCOMPLETE, &d, NULL, 0) < 0)
		return 0;
	run(d);
	dumpfile_close(d);
	return 0;
}
