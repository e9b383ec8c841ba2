// SPDX-License-Identifier: GPL-2.0-or-later
// One reader over ELF vmcores and kdump-compressed files: format detection, physical reads
// (kdump through a small page cache), ranges, page statistics, and the x86-64 translation
// of vmcore.h over either.  The format readers do the checking of the file itself.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/dumpfile.h"
#include "format/kdump_disk.h"
#include "util/size.h"
#include "format/vmcore.h"
#include "format/vmcoreinfo.h"

#define STATS_CHUNK (256u * DUMPFILE_PAGE_SIZE)

struct cache_entry {
	uint64_t pfn;
	int valid;
};

struct dumpfile {
	enum dumpfile_format format;
	uint64_t file_size;
	struct vmcore *elf;              /* DUMPFILE_ELF */
	struct kdump *kd;                /* DUMPFILE_KDUMP */
	struct dumpfile_source src;      /* DUMPFILE_SOURCE: ranges and notes are our copies */
	int fd;                          /* the kdump file; -1 for ELF (vmcore keeps its own) */
	const uint8_t *notes;
	size_t notes_len;
	const char *info;
	size_t info_len;
	struct cache_entry cache[DUMPFILE_CACHE_PAGES];
	uint8_t *pages;                  /* DUMPFILE_CACHE_PAGES pages, kdump only */
	struct vmcore_xlat xlat;         /* over dumpfile_read_phys */
};

static int fail(char *why, size_t whylen, int err, const char *msg)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", msg);
	return err;
}

int dumpfile_phys_cb(void *d, uint64_t paddr, void *buf, size_t len)
{
	return dumpfile_read_phys(d, paddr, buf, len);
}

int dumpfile_virt_cb(void *d, uint64_t vaddr, void *buf, size_t len)
{
	return dumpfile_read_virt(d, vaddr, buf, len);
}

static const char *elf_open_error(int err)
{
	switch (err) {
	case -ENOEXEC:
		return "not an ELF file";
	case -EPROTONOSUPPORT:
		return "not a 64-bit little-endian x86-64 ELF core";
	case -EINVAL:
		return "malformed ELF core (program headers outside the file, overlapping "
		       "PT_LOADs, or not ET_CORE)";
	case -EFBIG:
		return "ELF notes larger than 16 MiB: not a vmcore";
	default:
		return strerror(-err);
	}
}

static int open_elf(struct dumpfile *d, const char *path, char *why, size_t whylen)
{
	int r = vmcore_open(path, &d->elf);

	if (r < 0)
		return fail(why, whylen, r, elf_open_error(r));
	d->format = DUMPFILE_ELF;
	d->notes = vmcore_notes(d->elf, &d->notes_len);
	d->info = vmcore_info(d->elf, &d->info_len);
	return 0;
}

static int open_kdump(struct dumpfile *d, unsigned flags, char *why, size_t whylen)
{
	const char *text;
	size_t len;
	int r;

	r = kdump_open(d->fd, flags & DUMPFILE_OPEN_INCOMPLETE ? KDUMP_OPEN_INCOMPLETE : 0,
		       &d->kd, why, whylen);
	if (r < 0) {
		char detail[256];

		if (why && whylen && (r == -EBADMSG || r == -ENOTSUP)) {
			snprintf(detail, sizeof(detail), "%s", why);
			snprintf(why, whylen, "%s kdump-compressed file: %s",
				 r == -EBADMSG ? "malformed" : "unsupported", detail);
		}
		return r;
	}
	d->format = DUMPFILE_KDUMP;
	d->pages = malloc((size_t)DUMPFILE_CACHE_PAGES * DUMPFILE_PAGE_SIZE);
	if (!d->pages)
		return fail(why, whylen, -ENOMEM, "out of memory");
	if (kdump_notes(d->kd, &d->notes, &d->notes_len) < 0) {
		d->notes = NULL;
		d->notes_len = 0;
	}
	/* the sub header's own VMCOREINFO area, else the note (header versions 3 and 4 may
	 * have only one of them) */
	if (kdump_vmcoreinfo(d->kd, &text, &len) == 0) {
		d->info = text;
		d->info_len = len;
	} else if (d->notes && vmcoreinfo_find(d->notes, d->notes_len, &d->info,
					       &d->info_len) < 0) {
		d->info = NULL;
		d->info_len = 0;
	}
	return 0;
}

int dumpfile_open(const char *path, unsigned flags, struct dumpfile **out, char *why,
		  size_t whylen)
{
	struct dumpfile *d;
	uint8_t magic[8] = { 0 };
	struct stat st;
	ssize_t n;
	int r;

	if (why && whylen)
		why[0] = '\0';
	d = calloc(1, sizeof(*d));
	if (!d)
		return fail(why, whylen, -ENOMEM, "out of memory");
	d->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (d->fd < 0) {
		r = -errno;
		fail(why, whylen, r, strerror(-r));
		goto out_free;
	}
	if (fstat(d->fd, &st) < 0) {
		r = -errno;
		fail(why, whylen, r, strerror(-r));
		goto out_free;
	}
	if (S_ISDIR(st.st_mode)) {
		r = fail(why, whylen, -EISDIR, strerror(EISDIR));
		goto out_free;
	}
	d->file_size = (uint64_t)st.st_size;
	do {
		n = pread(d->fd, magic, sizeof(magic), 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		r = -errno;
		fail(why, whylen, r, strerror(-r));
		goto out_free;
	}
	if (n == 0) {
		r = fail(why, whylen, -ENOEXEC, "empty file");
		goto out_free;
	}
	if ((size_t)n >= SELFMAG && memcmp(magic, ELFMAG, SELFMAG) == 0) {
		close(d->fd);
		d->fd = -1;
		r = open_elf(d, path, why, whylen);
	} else if ((size_t)n == sizeof(magic) &&
		   (memcmp(magic, KDUMP_SIGNATURE, 8) == 0 || memcmp(magic, "DISKDUMP", 8) == 0 ||
		    memcmp(magic, "makedump", 8) == 0)) {
		/* kdump_open names the old and flattened formats precisely */
		r = open_kdump(d, flags, why, whylen);
	} else {
		r = fail(why, whylen, -ENOEXEC,
			 "not an ELF file or a kdump-compressed dump");
	}
	if (r < 0)
		goto out_free;
	vmcore_xlat_init(&d->xlat, d->info, d->info_len, dumpfile_phys_cb, d);
	*out = d;
	return 0;

out_free:
	dumpfile_close(d);
	return r;
}

int dumpfile_open_source(const struct dumpfile_source *src, struct dumpfile **out)
{
	struct dumpfile *d = calloc(1, sizeof(*d));
	struct dumpfile_range *rg;
	uint8_t *notes;
	const char *text;
	size_t tlen;

	if (!d)
		return -ENOMEM;
	d->fd = -1;
	d->format = DUMPFILE_SOURCE;
	d->src = *src;
	rg = calloc(src->nranges ? src->nranges : 1, sizeof(*rg));
	notes = malloc(src->notes_len ? src->notes_len : 1);
	d->src.ranges = rg;
	d->src.notes = notes;
	if (!rg || !notes) {
		dumpfile_close(d);
		return -ENOMEM;
	}
	for (size_t i = 0; i < src->nranges; i++) {
		rg[i] = src->ranges[i];
		if (rg[i].size == 0 || rg[i].start + rg[i].size < rg[i].start ||
		    (i && rg[i].start < rg[i - 1].start + rg[i - 1].size)) {
			dumpfile_close(d);
			return -EINVAL;
		}
	}
	if (src->notes_len) /* a source without notes may have none to point at */
		memcpy(notes, src->notes, src->notes_len);
	d->notes = notes;
	d->notes_len = src->notes_len;
	if (vmcoreinfo_find(d->notes, d->notes_len, &text, &tlen) == 0) {
		d->info = text;
		d->info_len = tlen;
	}
	vmcore_xlat_init(&d->xlat, d->info, d->info_len, dumpfile_phys_cb, d);
	*out = d;
	return 0;
}

void dumpfile_close(struct dumpfile *d)
{
	if (!d)
		return;
	if (d->format == DUMPFILE_SOURCE) {
		free((void *)d->src.ranges);
		free((void *)d->src.notes);
	}
	vmcore_close(d->elf);
	kdump_close(d->kd);
	if (d->fd >= 0)
		close(d->fd);
	free(d->pages);
	free(d);
}

enum dumpfile_format dumpfile_format(const struct dumpfile *d)
{
	return d->format;
}

const struct kdump_info *dumpfile_kdump_info(const struct dumpfile *d)
{
	return d->kd ? kdump_get_info(d->kd) : NULL;
}

const char *dumpfile_format_name(const struct dumpfile *d)
{
	uint32_t st;

	if (d->format == DUMPFILE_ELF)
		return "ELF";
	if (d->format == DUMPFILE_SOURCE)
		return "memory";
	st = kdump_get_info(d->kd)->status;
	if (st & DUMP_DH_COMPRESSED_ZSTD)
		return "kdump-zstd";
	if (st & DUMP_DH_COMPRESSED_LZO)
		return "kdump-lzo";
	if (st & DUMP_DH_COMPRESSED_ZLIB)
		return "kdump-zlib";
	if (st & DUMP_DH_COMPRESSED_SNAPPY)
		return "kdump-snappy";
	return "kdump-none";
}

uint64_t dumpfile_file_size(const struct dumpfile *d)
{
	return d->file_size;
}

uint64_t dumpfile_missing_bytes(const struct dumpfile *d)
{
	return d->elf ? vmcore_missing_bytes(d->elf) : 0;
}

int dumpfile_claim_check(const struct dumpfile *d, char *why, size_t whylen)
{
	uint64_t claim = 0, limit;

	if (!d->elf)
		return 0;
	for (size_t i = 0; i < vmcore_nloads(d->elf); i++)
		if (__builtin_add_overflow(claim, vmcore_load(d->elf, i)->memsz, &claim))
			claim = UINT64_MAX;
	if (__builtin_add_overflow(claim, vmcore_missing_bytes(d->elf), &claim))
		claim = UINT64_MAX;
	if (__builtin_mul_overflow(d->file_size, (uint64_t)DUMPFILE_CLAIM_RATIO, &limit))
		limit = UINT64_MAX;
	if (claim <= DUMPFILE_CLAIM_FREE || claim <= limit)
		return 0;
	if (why && whylen) {
		char a[32], b[32];
		snprintf(why, whylen,
			 "its PT_LOADs claim %s of memory, more than %u times the size of the file "
			 "(%s): not a plausible dump", size_human(claim, a, sizeof(a)),
			 DUMPFILE_CLAIM_RATIO, size_human(d->file_size, b, sizeof(b)));
	}
	return -EFBIG;
}

const uint8_t *dumpfile_notes(const struct dumpfile *d, size_t *len)
{
	*len = d->notes_len;
	return d->notes;
}

const char *dumpfile_vmcoreinfo(const struct dumpfile *d, size_t *len)
{
	*len = d->info_len;
	return d->info;
}

static int elf_next_range(const struct dumpfile *d, uint64_t from, struct dumpfile_range *r)
{
	size_t lo = 0, hi = vmcore_nloads(d->elf);

	/* the first load ending above FROM (loads are sorted and disjoint) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct elfcore_segment *s = vmcore_load(d->elf, mid);

		if (s->memsz > from - s->paddr || s->paddr > from) /* end > from */
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo == vmcore_nloads(d->elf))
		return -ENOENT;
	const struct elfcore_segment *s = vmcore_load(d->elf, lo);
	uint64_t start = s->paddr > from ? s->paddr : from;

	r->start = start;
	r->size = s->memsz - (start - s->paddr);
	return 0;
}

/* The index of the first source range ending above FROM, or nranges. */
static size_t source_find(const struct dumpfile *d, uint64_t from)
{
	size_t lo = 0, hi = d->src.nranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct dumpfile_range *g = &d->src.ranges[mid];

		if (g->start > from || g->size > from - g->start)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int source_next_range(const struct dumpfile *d, uint64_t from, struct dumpfile_range *r)
{
	size_t i = source_find(d, from);

	if (i == d->src.nranges)
		return -ENOENT;
	const struct dumpfile_range *g = &d->src.ranges[i];
	r->start = g->start > from ? g->start : from;
	r->size = g->size - (r->start - g->start);
	return 0;
}

/* A read that must lie inside one range (the ranges of a source are never adjacent in a
 * way a caller relies on: reads are split at range ends). */
static int source_read(struct dumpfile *d, uint64_t paddr, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		size_t i = source_find(d, paddr);
		if (i == d->src.nranges || d->src.ranges[i].start > paddr)
			return -EFAULT;
		const struct dumpfile_range *g = &d->src.ranges[i];
		uint64_t n = g->size - (paddr - g->start);
		if (n > len)
			n = len;
		int r = d->src.read(d->src.ctx, paddr, p, (size_t)n);
		if (r < 0)
			return r;
		p += n;
		len -= (size_t)n;
		paddr += n;
	}
	return 0;
}

static int kdump_next_range(const struct dumpfile *d, uint64_t from, struct dumpfile_range *r)
{
	const struct kdump_info *in = kdump_get_info(d->kd);
	const uint8_t *bm = kdump_bitmap1(d->kd);
	uint64_t pfn = kdump_next_valid(d->kd, from / DUMPFILE_PAGE_SIZE), end;

	if (pfn >= in->max_mapnr)
		return -ENOENT;
	end = pfn + 1;
	while (end < in->max_mapnr) {
		if (end % 8 == 0 && in->max_mapnr - end >= 8 && bm[end / 8] == 0xff) {
			end += 8;
			continue;
		}
		if (!kdump_bit_test(bm, end))
			break;
		end++;
	}
	/* max_mapnr <= 2^40: no overflow */
	r->start = pfn * DUMPFILE_PAGE_SIZE;
	if (r->start < from)
		r->start = from;
	r->size = end * DUMPFILE_PAGE_SIZE - r->start;
	return 0;
}

int dumpfile_next_range(const struct dumpfile *d, uint64_t from, struct dumpfile_range *r)
{
	if (d->format == DUMPFILE_SOURCE)
		return source_next_range(d, from, r);
	return d->elf ? elf_next_range(d, from, r) : kdump_next_range(d, from, r);
}

/* Map kdump_read_page()'s results onto the reader's conventions (dumpfile.h). */
static int kdump_page_error(int r)
{
	switch (r) {
	case -ENOENT:
		return -EFAULT;
	case -EBADMSG:
	case -ENOTSUP:
		return -EIO;
	default:
		return r;
	}
}

static int kdump_page(struct dumpfile *d, uint64_t pfn, const uint8_t **page)
{
	unsigned slot = (unsigned)(pfn % DUMPFILE_CACHE_PAGES);
	uint8_t *p = d->pages + (size_t)slot * DUMPFILE_PAGE_SIZE;
	int r;

	if (d->cache[slot].valid && d->cache[slot].pfn == pfn) {
		*page = p;
		return 0;
	}
	d->cache[slot].valid = 0;
	r = kdump_read_page(d->kd, pfn, p);
	if (r < 0)
		return kdump_page_error(r);
	d->cache[slot].pfn = pfn;
	d->cache[slot].valid = 1;
	*page = p;
	return 0;
}

int dumpfile_pfn_dumped(const struct dumpfile *d, uint64_t pfn)
{
	struct dumpfile_range r;

	if (pfn > UINT64_MAX / DUMPFILE_PAGE_SIZE)
		return 0;
	if (d->kd)
		return kdump_pfn_state(d->kd, pfn) == KDUMP_PFN_DUMPED;
	if (d->format == DUMPFILE_SOURCE) {
		size_t i = source_find(d, pfn * DUMPFILE_PAGE_SIZE);
		return i < d->src.nranges && d->src.ranges[i].start <= pfn * DUMPFILE_PAGE_SIZE;
	}
	return dumpfile_next_range(d, pfn * DUMPFILE_PAGE_SIZE, &r) == 0 &&
	       r.start == pfn * DUMPFILE_PAGE_SIZE;
}

int dumpfile_read_phys(struct dumpfile *d, uint64_t paddr, void *buf, size_t len)
{
	uint8_t *out = buf;

	if (d->elf)
		return vmcore_read_phys(d->elf, paddr, buf, len);
	if (d->format == DUMPFILE_SOURCE)
		return source_read(d, paddr, buf, len);
	while (len) {
		size_t off = (size_t)(paddr % DUMPFILE_PAGE_SIZE), n = DUMPFILE_PAGE_SIZE - off;
		const uint8_t *page;
		int r;

		if (n > len)
			n = len;
		r = kdump_page(d, paddr / DUMPFILE_PAGE_SIZE, &page);
		if (r < 0)
			return r;
		memcpy(out, page + off, n);
		out += n;
		len -= n;
		if (len && __builtin_add_overflow(paddr, n, &paddr))
			return -EFAULT;
	}
	return 0;
}

int dumpfile_kvtop(struct dumpfile *d, uint64_t vaddr, uint64_t *paddr)
{
	return vmcore_xlat_kvtop(&d->xlat, vaddr, paddr);
}

int dumpfile_read_virt(struct dumpfile *d, uint64_t vaddr, void *buf, size_t len)
{
	return vmcore_xlat_read_virt(&d->xlat, vaddr, buf, len);
}

unsigned dumpfile_paging_levels(const struct dumpfile *d)
{
	return vmcore_xlat_levels(&d->xlat);
}

static void count_unreadable(struct dumpfile_page_stats *st, uint64_t paddr, int err)
{
	if (!st->unreadable++) {
		st->first_unreadable = paddr;
		st->first_error = err;
	}
}

static void count_page(struct dumpfile_page_stats *st, const uint8_t *page)
{
	if (kdump_page_is_zero(page))
		st->zero++;
	else
		st->nonzero++;
}

/* ELF: the part of a PT_LOAD the file holds is read in large pieces, a piece that fails is
 * read again page by page so only the bad pages are counted as such; the pages past p_filesz
 * (a zero tail, as makedumpfile -E writes) are counted as zero without reading: a few bytes
 * of header may claim terabytes of them.  A last partial page is counted as a page. */
static void elf_count_stored(struct dumpfile *d, uint64_t start, uint64_t size, uint8_t *buf,
			     struct dumpfile_page_stats *st)
{
	for (uint64_t off = 0; off < size;) {
		size_t n = size - off < STATS_CHUNK ? (size_t)(size - off) : STATS_CHUNK;

		memset(buf, 0, STATS_CHUNK);
		if (dumpfile_read_phys(d, start + off, buf, n) == 0) {
			for (size_t p = 0; p < n; p += DUMPFILE_PAGE_SIZE)
				count_page(st, buf + p);
		} else {
			for (size_t p = 0; p < n; p += DUMPFILE_PAGE_SIZE) {
				size_t m = n - p < DUMPFILE_PAGE_SIZE ? n - p : DUMPFILE_PAGE_SIZE;
				int r;

				memset(buf, 0, DUMPFILE_PAGE_SIZE);
				r = dumpfile_read_phys(d, start + off + p, buf, m);
				if (r < 0)
					count_unreadable(st, start + off + p, r);
				else
					count_page(st, buf);
			}
		}
		st->total += (n + DUMPFILE_PAGE_SIZE - 1) / DUMPFILE_PAGE_SIZE;
		off += n;
	}
}

static int elf_stats(struct dumpfile *d, struct dumpfile_page_stats *st)
{
	uint64_t bytes = 0;
	uint8_t *buf = malloc(STATS_CHUNK);

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < vmcore_nloads(d->elf); i++) {
		const struct elfcore_segment *s = vmcore_load(d->elf, i);
		/* whole pages from the segment's start that hold file bytes; the rest is zeros */
		uint64_t stored = s->filesz % DUMPFILE_PAGE_SIZE, tail;

		if (__builtin_add_overflow(s->filesz, stored ? DUMPFILE_PAGE_SIZE - stored : 0,
					   &stored) || stored > s->memsz)
			stored = s->memsz;
		tail = (s->memsz - stored) / DUMPFILE_PAGE_SIZE +
		       ((s->memsz - stored) % DUMPFILE_PAGE_SIZE != 0);
		elf_count_stored(d, s->paddr, stored, buf, st);
		st->zero += tail;
		st->total += tail;
		if (__builtin_add_overflow(bytes, s->memsz, &bytes))
			bytes = UINT64_MAX;
	}
	/* What a truncated file lacks is in no range (vmcore clips the PT_LOADs): the pages it
	 * should have held are the ones the full length adds.  A page cut in two was read
	 * (its tail as zeros) and is not missing. */
	uint64_t miss = dumpfile_missing_bytes(d), want;
	if (miss) {
		if (__builtin_add_overflow(bytes, miss, &want))
			want = UINT64_MAX;
		want = want / DUMPFILE_PAGE_SIZE + (want % DUMPFILE_PAGE_SIZE != 0);
		if (want > st->total) {
			st->missing += want - st->total;
			st->total = want;
		}
	}
	free(buf);
	return 0;
}

/* kdump: from the bitmaps and descriptors.  Pages sharing one stored zero page (hvdump's
 * writer) are recognised by that page's offset once it has been read as zeros. */
static int kdump_stats(struct dumpfile *d, struct dumpfile_page_stats *st)
{
	const struct kdump_info *in = kdump_get_info(d->kd);
	uint8_t *page = malloc(DUMPFILE_PAGE_SIZE);
	uint64_t zero_off = 0;

	if (!page)
		return -ENOMEM;
	for (uint64_t pfn = kdump_next_valid(d->kd, 0); pfn < in->max_mapnr;
	     pfn = kdump_next_valid(d->kd, pfn + 1)) {
		uint64_t off;
		uint32_t size, flags;
		int r;

		st->total++;
		if (kdump_pfn_state(d->kd, pfn) == KDUMP_PFN_EXCLUDED) {
			st->excluded++;
			continue;
		}
		r = kdump_page_desc(d->kd, pfn, &off, &size, &flags);
		if (r < 0) {
			count_unreadable(st, pfn * DUMPFILE_PAGE_SIZE, kdump_page_error(r));
			continue;
		}
		if (off == 0) {
			st->missing++;
			continue;
		}
		if (zero_off && off == zero_off && flags == 0) {
			st->zero++;
			continue;
		}
		r = kdump_read_page(d->kd, pfn, page);
		if (r < 0) {
			count_unreadable(st, pfn * DUMPFILE_PAGE_SIZE, kdump_page_error(r));
			continue;
		}
		if (kdump_page_is_zero(page)) {
			st->zero++;
			if (flags == 0)
				zero_off = off;
		} else {
			st->nonzero++;
		}
	}
	free(page);
	return 0;
}

int dumpfile_page_stats(struct dumpfile *d, struct dumpfile_page_stats *st)
{
	memset(st, 0, sizeof(*st));
	return d->kd ? kdump_stats(d, st) : elf_stats(d, st);
}
