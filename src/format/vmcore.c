// SPDX-License-Identifier: GPL-2.0-or-later
// ELF vmcore reader: headers, notes, physical reads, x86-64 kernel address translation.
// The program headers are read on their own (wherever e_phoff puts them) so a hostile e_phoff
// never makes us read the whole file, and every page-table entry is checked as it is used.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/le.h"
#include "format/vmcore.h"
#include "format/vmcoreinfo.h"

#define PTE_PRESENT   (1ull << 0)
#define PTE_PSE       (1ull << 7)
#define PTE_ADDR_MASK 0x000ffffffffff000ull /* bits 12..51 */

struct vmcore {
	int fd;                          /* -1 for an in-memory image */
	const uint8_t *mem;
	uint64_t size;
	uint64_t missing;                /* segment bytes past the end of the file */

	struct elfcore_segment *loads;
	size_t nloads;
	uint8_t *notes;
	size_t notes_len;
	const char *info;
	size_t info_len;

	struct vmcore_xlat xlat;         /* over vmcore_read_phys */

	vmcore_trace_fn trace;
	void *trace_ctx;
};


static int file_read(struct vmcore *v, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;

	if (off > v->size || len > v->size - off)
		return -EIO;
	if (v->fd < 0) {
		memcpy(buf, v->mem + off, len);
		return 0;
	}
	while (len) {
		ssize_t n = pread(v->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int cmp_paddr(const void *a, const void *b)
{
	const struct elfcore_segment *x = a, *y = b;

	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

/* Read the ELF and program headers.  elfcore_parse() wants them in one buffer, so the
 * program headers are copied right behind the ELF header and e_phoff is rewritten to 64. */
static int read_headers(struct vmcore *v)
{
	uint8_t ehdr[ELFCORE_EHDR_SIZE], *buf;
	struct elfcore_segment *segs;
	uint64_t phoff, tab;
	size_t nsegs, need, notes_cap = 0;
	uint16_t phnum;
	int r;

	if (v->size < SELFMAG)
		return -ENOEXEC;
	r = file_read(v, 0, ehdr, v->size < sizeof(ehdr) ? (size_t)v->size : sizeof(ehdr));
	if (r < 0)
		return r;
	if (memcmp(ehdr, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	if (v->size < ELFCORE_EHDR_SIZE)
		return -EINVAL;
	phoff = le64_get(ehdr + offsetof(Elf64_Ehdr, e_phoff));
	phnum = le16_get(ehdr + offsetof(Elf64_Ehdr, e_phnum));
	tab = (uint64_t)phnum * ELFCORE_PHDR_SIZE;
	if (phoff > v->size || tab > v->size - phoff)
		return -EINVAL;
	buf = malloc(ELFCORE_EHDR_SIZE + tab);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, ehdr, sizeof(ehdr));
	le64_put(buf + offsetof(Elf64_Ehdr, e_phoff), ELFCORE_EHDR_SIZE);
	r = file_read(v, phoff, buf + ELFCORE_EHDR_SIZE, (size_t)tab);
	if (r < 0)
		goto out_buf;
	/* file size 0: segments past the end are allowed here and clipped below */
	r = elfcore_parse(buf, ELFCORE_EHDR_SIZE + (size_t)tab, 0, &segs, &nsegs, &need);
	if (r == -ENODATA)
		r = -EINVAL;
	if (r < 0)
		goto out_buf;

	for (size_t i = 0; i < nsegs; i++) {
		uint64_t end;

		if (segs[i].type == PT_LOAD &&
		    __builtin_add_overflow(segs[i].paddr, segs[i].memsz, &end)) {
			r = -EINVAL;
			goto out_segs;
		}
		/* A truncated dump (a full disk, an interrupted copy) still has its first part:
		 * keep what the file holds; what it lacks reads as "not in the dump". */
		if (segs[i].offset > v->size || segs[i].filesz > v->size - segs[i].offset) {
			uint64_t have = segs[i].offset > v->size ? 0 : v->size - segs[i].offset;

			if (__builtin_add_overflow(v->missing, segs[i].filesz - have, &v->missing))
				v->missing = UINT64_MAX;
			segs[i].filesz = have;
			if (segs[i].type == PT_LOAD)
				segs[i].memsz = have;
		}
		if (segs[i].type == PT_NOTE) {
			if (segs[i].filesz > VMCORE_MAX_NOTES ||
			    notes_cap + segs[i].filesz + 3 > VMCORE_MAX_NOTES) {
				r = -EFBIG;
				goto out_segs;
			}
			notes_cap += (size_t)segs[i].filesz + 3;
		}
	}
	v->notes = malloc(notes_cap ? notes_cap : 1);
	if (!v->notes) {
		r = -ENOMEM;
		goto out_segs;
	}
	/* read the notes, and keep only the PT_LOADs in segs */
	for (size_t i = 0; i < nsegs; i++) {
		size_t n = (size_t)segs[i].filesz;

		if (segs[i].type == PT_LOAD) {
			if (segs[i].memsz) /* an empty segment holds nothing to find */
				segs[v->nloads++] = segs[i];
			continue;
		}
		r = file_read(v, segs[i].offset, v->notes + v->notes_len, n);
		if (r < 0)
			goto out_segs;
		v->notes_len += n;
		while (v->notes_len % 4)
			v->notes[v->notes_len++] = 0;
	}
	/* sorted and disjoint, so a lookup is a binary search whatever the file claims */
	qsort(segs, v->nloads, sizeof(*segs), cmp_paddr);
	for (size_t i = 1; i < v->nloads; i++) {
		if (segs[i].paddr - segs[i - 1].paddr < segs[i - 1].memsz) {
			r = -EINVAL;
			goto out_segs;
		}
	}
	v->loads = segs;
	free(buf);
	return 0;

out_segs:
	free(segs);
	v->nloads = 0;
out_buf:
	free(buf);
	return r;
}

static int phys_read(void *ctx, uint64_t paddr, void *buf, size_t len)
{
	return vmcore_read_phys(ctx, paddr, buf, len);
}

static int vmcore_init(struct vmcore *v)
{
	int r = read_headers(v);

	if (r < 0)
		return r;
	if (vmcoreinfo_find(v->notes, v->notes_len, &v->info, &v->info_len) < 0) {
		v->info = NULL;
		v->info_len = 0;
	}
	vmcore_xlat_init(&v->xlat, v->info, v->info_len, phys_read, v);
	return 0;
}

static int vmcore_new(struct vmcore **out)
{
	struct vmcore *v = calloc(1, sizeof(*v));

	*out = NULL;
	if (!v)
		return -ENOMEM;
	v->fd = -1;
	vmcore_xlat_init(&v->xlat, NULL, 0, NULL, NULL);
	*out = v;
	return 0;
}

int vmcore_open(const char *path, struct vmcore **out)
{
	struct vmcore *v;
	struct stat st;
	int r;

	r = vmcore_new(&v);
	if (r < 0)
		return r;
	v->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (v->fd < 0) {
		r = -errno;
		goto out_free;
	}
	if (fstat(v->fd, &st) < 0) {
		r = -errno;
		goto out_free;
	}
	if (S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		goto out_free;
	}
	v->size = (uint64_t)st.st_size;
	r = vmcore_init(v);
	if (r < 0)
		goto out_free;
	*out = v;
	return 0;

out_free:
	vmcore_close(v);
	return r;
}

int vmcore_open_mem(const void *buf, size_t len, struct vmcore **out)
{
	struct vmcore *v;
	int r;

	r = vmcore_new(&v);
	if (r < 0)
		return r;
	v->mem = buf;
	v->size = len;
	r = vmcore_init(v);
	if (r < 0) {
		vmcore_close(v);
		return r;
	}
	*out = v;
	return 0;
}

void vmcore_close(struct vmcore *v)
{
	if (!v)
		return;
	if (v->fd >= 0)
		close(v->fd);
	free(v->loads);
	free(v->notes);
	free(v);
}

const uint8_t *vmcore_notes(const struct vmcore *v, size_t *len)
{
	*len = v->notes_len;
	return v->notes;
}

const char *vmcore_info(const struct vmcore *v, size_t *len)
{
	*len = v->info_len;
	return v->info;
}

size_t vmcore_nloads(const struct vmcore *v)
{
	return v->nloads;
}

const struct elfcore_segment *vmcore_load(const struct vmcore *v, size_t i)
{
	return i < v->nloads ? &v->loads[i] : NULL;
}

uint64_t vmcore_missing_bytes(const struct vmcore *v)
{
	return v->missing;
}

unsigned vmcore_paging_levels(const struct vmcore *v)
{
	return vmcore_xlat_levels(&v->xlat);
}

void vmcore_set_trace(struct vmcore *v, vmcore_trace_fn fn, void *ctx)
{
	v->trace = fn;
	v->trace_ctx = ctx;
}

int vmcore_read_phys(struct vmcore *v, uint64_t paddr, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		const struct elfcore_segment *s;
		size_t lo = 0, hi = v->nloads;
		uint64_t rel, n, in_file;
		int r;

		/* the last segment starting at or below paddr */
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;
			if (v->loads[mid].paddr <= paddr)
				lo = mid;
			else
				hi = mid;
		}
		if (!v->nloads || v->loads[lo].paddr > paddr ||
		    paddr - v->loads[lo].paddr >= v->loads[lo].memsz)
			return -EFAULT;
		s = &v->loads[lo];
		rel = paddr - s->paddr;
		n = s->memsz - rel;
		if (n > len)
			n = len;
		in_file = rel < s->filesz ? s->filesz - rel : 0;
		if (in_file > n)
			in_file = n;
		if (in_file) {
			/* read_headers clipped p_filesz to the file */
			r = file_read(v, s->offset + rel, p, (size_t)in_file);
			if (r < 0)
				return r;
		}
		memset(p + in_file, 0, (size_t)(n - in_file));
		if (v->trace)
			v->trace(v->trace_ctx, paddr, (size_t)n);
		p += n;
		len -= (size_t)n;
		if (len && __builtin_add_overflow(paddr, n, &paddr))
			return -EFAULT;
	}
	return 0;
}

static int canonical(uint64_t vaddr, unsigned levels)
{
	unsigned bits = 12 + 9 * levels; /* 48 or 57 */
	int64_t sx = (int64_t)(vaddr << (64 - bits)) >> (64 - bits);

	return (uint64_t)sx == vaddr;
}

static uint64_t text_to_phys(const struct vmcore_xlat *x, uint64_t vaddr)
{
	/* phys_base is negative under KASLR when the kernel sits below its link address; the
	 * sum is meant modulo 2^64 and checked later by the reader. */
	return vaddr - VMCORE_START_KERNEL_MAP + x->phys_base;
}

static int in_text(const struct vmcore_xlat *x, uint64_t vaddr)
{
	return vaddr >= VMCORE_START_KERNEL_MAP && vaddr - VMCORE_START_KERNEL_MAP < x->image_size;
}

static int info_u64(const char *info, size_t len, const char *key, uint64_t *out)
{
	return vmcoreinfo_get_u64(info, len, key, out);
}

void vmcore_xlat_init(struct vmcore_xlat *x, const char *info, size_t len, vmcore_phys_fn read,
		      void *ctx)
{
	uint64_t l5 = 0, sme = 0, sym;

	memset(x, 0, sizeof(*x));
	x->read = read;
	x->ctx = ctx;
	x->err = -ENOKEY;
	if (!info || !read)
		return;
	if (info_u64(info, len, "NUMBER(phys_base)", &x->phys_base) < 0)
		return;
	if (info_u64(info, len, "SYMBOL(init_top_pgt)", &sym) < 0 &&
	    info_u64(info, len, "SYMBOL(init_level4_pgt)", &sym) < 0)
		return;
	if (info_u64(info, len, "NUMBER(KERNEL_IMAGE_SIZE)", &x->image_size) < 0)
		x->image_size = 1ull << 30;
	if (info_u64(info, len, "NUMBER(pgtable_l5_enabled)", &l5) < 0)
		l5 = 0;
	if (info_u64(info, len, "NUMBER(sme_mask)", &sme) < 0)
		sme = 0;
	x->err = -EBADMSG;
	/* the kernel image mapping is at most the 2 GiB from __START_KERNEL_map to the top */
	if (l5 > 1 || x->image_size == 0 || x->image_size > (2ull << 30) || !in_text(x, sym) ||
	    sym % VMCORE_PAGE_SIZE)
		return;
	x->levels = l5 ? 5 : 4;
	x->addr_mask = PTE_ADDR_MASK & ~sme;
	x->pgd = text_to_phys(x, sym);
	x->err = 0;
}

unsigned vmcore_xlat_levels(const struct vmcore_xlat *x)
{
	return x->err ? 0 : x->levels;
}

/* Walk the page tables.  The depth is fixed, so a table that points at itself (or at any
 * table above it) cannot make this loop; it only yields some wrong-but-bounded address that
 * the reader then checks. */
static int walk(struct vmcore_xlat *x, uint64_t vaddr, uint64_t *paddr)
{
	uint64_t table = x->pgd;

	for (unsigned level = x->levels; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t idx = (vaddr >> shift) & 511, e;
		uint8_t raw[8];
		int r;

		r = x->read(x->ctx, table + idx * 8, raw, sizeof(raw));
		if (r < 0)
			return r;
		e = le64_get(raw);
		if (!(e & PTE_PRESENT))
			return -ENXIO;
		if (level == 1) {
			*paddr = (e & x->addr_mask) | (vaddr & (VMCORE_PAGE_SIZE - 1));
			return 0;
		}
		if (e & PTE_PSE) {
			uint64_t page = 1ull << shift;

			if (level > 3) /* no 512 GiB or 256 TiB pages */
				return -EBADMSG;
			*paddr = (e & x->addr_mask & ~(page - 1)) | (vaddr & (page - 1));
			return 0;
		}
		table = e & x->addr_mask;
	}
	return -EBADMSG; /* not reached: level 1 always returns */
}

int vmcore_xlat_kvtop(struct vmcore_xlat *x, uint64_t vaddr, uint64_t *paddr)
{
	uint64_t vpage = vaddr / VMCORE_PAGE_SIZE, ppage;
	unsigned slot = (unsigned)(vpage % VMCORE_TLB_SIZE);
	int r;

	if (x->err)
		return x->err;
	if (in_text(x, vaddr)) {
		*paddr = text_to_phys(x, vaddr);
		return 0;
	}
	if (!canonical(vaddr, x->levels))
		return -ENXIO;
	if (x->tlb[slot].valid && x->tlb[slot].vpage == vpage) {
		*paddr = x->tlb[slot].ppage * VMCORE_PAGE_SIZE + vaddr % VMCORE_PAGE_SIZE;
		return 0;
	}
	r = walk(x, vaddr & ~(uint64_t)(VMCORE_PAGE_SIZE - 1), &ppage);
	if (r < 0)
		return r;
	x->tlb[slot].vpage = vpage;
	x->tlb[slot].ppage = ppage / VMCORE_PAGE_SIZE;
	x->tlb[slot].valid = 1;
	*paddr = ppage + vaddr % VMCORE_PAGE_SIZE;
	return 0;
}

int vmcore_xlat_read_virt(struct vmcore_xlat *x, uint64_t vaddr, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		size_t n = VMCORE_PAGE_SIZE - vaddr % VMCORE_PAGE_SIZE;
		uint64_t paddr;
		int r;

		if (n > len)
			n = len;
		r = vmcore_xlat_kvtop(x, vaddr, &paddr);
		if (r < 0)
			return r;
		r = x->read(x->ctx, paddr, p, n);
		if (r < 0)
			return r;
		p += n;
		len -= n;
		if (len && __builtin_add_overflow(vaddr, n, &vaddr))
			return -ENXIO;
	}
	return 0;
}

int vmcore_kvtop(struct vmcore *v, uint64_t vaddr, uint64_t *paddr)
{
	return vmcore_xlat_kvtop(&v->xlat, vaddr, paddr);
}

int vmcore_read_virt(struct vmcore *v, uint64_t vaddr, void *buf, size_t len)
{
	return vmcore_xlat_read_virt(&v->xlat, vaddr, buf, len);
}
