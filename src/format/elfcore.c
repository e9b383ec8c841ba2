// SPDX-License-Identifier: GPL-2.0-or-later
// ELF64 core reading and writing.  Fields are read and written byte by byte in little-endian
// order, never by casting untrusted buffers to structs.
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "format/elfcore.h"
#include "format/le.h"

_Static_assert(sizeof(Elf64_Ehdr) == ELFCORE_EHDR_SIZE, "Elf64_Ehdr is 64 bytes");
_Static_assert(sizeof(Elf64_Phdr) == ELFCORE_PHDR_SIZE, "Elf64_Phdr is 56 bytes");
_Static_assert(sizeof(Elf64_Nhdr) == 12, "Elf64_Nhdr is 12 bytes");

/* Where each field sits, by <elf.h>'s names (the structs are never laid over input). */
#define EH(field) offsetof(Elf64_Ehdr, field)
#define PH(field) offsetof(Elf64_Phdr, field)
#define NH(field) offsetof(Elf64_Nhdr, field)
#define NHDR_SIZE sizeof(Elf64_Nhdr)

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

int elfnote_next(const uint8_t *buf, size_t len, size_t *pos, struct elfnote *n)
{
	size_t off = *pos, namesz, descsz, name_end, desc_end;

	if (off >= len || len - off < NHDR_SIZE)
		return 0;
	namesz = le32_get(buf + off + NH(n_namesz));
	descsz = le32_get(buf + off + NH(n_descsz));
	if (namesz == 0 && descsz == 0)
		return 0; /* zero padding after the last note */
	/* namesz and descsz are at most 2^32-1, so none of these sums overflow size_t */
	name_end = off + NHDR_SIZE + pad4(namesz);
	desc_end = name_end + pad4(descsz);
	if (name_end > len || desc_end > len || off + NHDR_SIZE + namesz > len ||
	    name_end + descsz > len)
		return -EBADMSG;
	n->type = le32_get(buf + off + NH(n_type));
	n->name = (const char *)buf + off + NHDR_SIZE;
	n->namesz = (uint32_t)namesz;
	n->desc = buf + name_end;
	n->descsz = (uint32_t)descsz;
	n->offset = off;
	n->size = desc_end - off;
	*pos = desc_end;
	return 1;
}

int elfnote_is(const struct elfnote *n, const char *name)
{
	size_t l = strlen(name);
	size_t nl = n->namesz;

	if (nl && n->name[nl - 1] == '\0')
		nl--;
	return nl == l && memcmp(n->name, name, l) == 0;
}

size_t elfnote_size(const char *name, size_t descsz)
{
	return NHDR_SIZE + pad4(strlen(name) + 1) + pad4(descsz);
}

int elfnote_append(uint8_t *out, size_t cap, size_t *len, const char *name, uint32_t type,
		   const void *desc, size_t descsz)
{
	size_t nl = strlen(name) + 1, need = elfnote_size(name, descsz);
	uint8_t *p;

	if (descsz > UINT32_MAX || *len > cap || cap - *len < need)
		return -ENOSPC;
	p = out + *len;
	memset(p, 0, need);
	le32_put(p + NH(n_namesz), (uint32_t)nl);
	le32_put(p + NH(n_descsz), (uint32_t)descsz);
	le32_put(p + NH(n_type), type);
	memcpy(p + NHDR_SIZE, name, nl);
	if (descsz)
		memcpy(p + NHDR_SIZE + pad4(nl), desc, descsz);
	*len += need;
	return 0;
}

static bool kimage_load(const struct elfcore_segment *s)
{
	return s->type == PT_LOAD && s->vaddr >= ELFCORE_KIMAGE_START && s->vaddr < ELFCORE_KIMAGE_END;
}

static int by_paddr(const void *a, const void *b)
{
	const struct elfcore_segment *x = *(const struct elfcore_segment *const *)a;
	const struct elfcore_segment *y = *(const struct elfcore_segment *const *)b;

	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

/* Is [PA, PA + LEN) inside one of the N RAM loads R (sorted by paddr)?  The last one starting
 * at or below PA is the only candidate when they do not overlap; overlapping loads (a
 * malformed file) may make an alias be kept, never a RAM load dropped. */
static bool covered(struct elfcore_segment *const *r, size_t n, uint64_t pa, uint64_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid]->paddr <= pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && pa - r[lo - 1]->paddr <= r[lo - 1]->memsz &&
	       len <= r[lo - 1]->memsz - (pa - r[lo - 1]->paddr);
}

/* Drop the kernel-image PT_LOADs whose memory a RAM PT_LOAD holds; the new count. */
static size_t drop_aliases(struct elfcore_segment *segs, size_t n)
{
	struct elfcore_segment **ram;
	size_t nram = 0, nk = 0, out = 0;

	for (size_t i = 0; i < n; i++)
		nk += kimage_load(&segs[i]);
	if (nk == 0 || !(ram = malloc(n * sizeof(*ram))))
		return n; /* nothing to drop, or no memory to look: keep them */
	for (size_t i = 0; i < n; i++)
		if (segs[i].type == PT_LOAD && !kimage_load(&segs[i]))
			ram[nram++] = &segs[i];
	qsort(ram, nram, sizeof(*ram), by_paddr);
	bool *drop = calloc(n ? n : 1, sizeof(*drop));
	if (drop)
		for (size_t i = 0; i < n; i++)
			drop[i] = kimage_load(&segs[i]) &&
				  covered(ram, nram, segs[i].paddr, segs[i].memsz);
	free(ram);
	if (!drop)
		return n;
	for (size_t i = 0; i < n; i++)
		if (!drop[i])
			segs[out++] = segs[i];
	free(drop);
	return out;
}

int elfcore_parse(const uint8_t *hdr, size_t hdrlen, uint64_t file_size,
		  struct elfcore_segment **segsp, size_t *nsegsp, size_t *need)
{
	struct elfcore_segment *segs;
	uint64_t phoff, end;
	uint16_t phentsize, phnum;
	size_t n = 0;

	*segsp = NULL;
	*nsegsp = 0;
	if (need)
		*need = ELFCORE_EHDR_SIZE;
	if (hdrlen < ELFCORE_EHDR_SIZE)
		return -ENODATA;
	if (memcmp(hdr, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	if (hdr[EI_CLASS] != ELFCLASS64 || hdr[EI_DATA] != ELFDATA2LSB ||
	    hdr[EI_VERSION] != EV_CURRENT)
		return -EPROTONOSUPPORT;
	if (le16_get(hdr + EH(e_type)) != ET_CORE)
		return -EINVAL;
	if (le16_get(hdr + EH(e_machine)) != EM_X86_64)
		return -EPROTONOSUPPORT;
	phoff = le64_get(hdr + EH(e_phoff));
	phentsize = le16_get(hdr + EH(e_phentsize));
	phnum = le16_get(hdr + EH(e_phnum));
	if (phentsize != ELFCORE_PHDR_SIZE || phnum == 0 || phnum == PN_XNUM)
		return -EINVAL;
	if (__builtin_add_overflow(phoff, (uint64_t)phnum * ELFCORE_PHDR_SIZE, &end) ||
	    (file_size && end > file_size))
		return -EINVAL;
	if (end > hdrlen) {
		if (need)
			*need = end > SIZE_MAX ? SIZE_MAX : (size_t)end;
		return -ENODATA;
	}
	segs = calloc(phnum, sizeof(*segs));
	if (!segs)
		return -ENOMEM;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *p = hdr + phoff + (uint64_t)i * ELFCORE_PHDR_SIZE;
		struct elfcore_segment s = {
			.type = le32_get(p + PH(p_type)),
			.offset = le64_get(p + PH(p_offset)),
			.vaddr = le64_get(p + PH(p_vaddr)),
			.paddr = le64_get(p + PH(p_paddr)),
			.filesz = le64_get(p + PH(p_filesz)),
			.memsz = le64_get(p + PH(p_memsz)),
		};
		uint64_t send;

		if (s.type != PT_LOAD && s.type != PT_NOTE)
			continue;
		if (s.filesz > s.memsz ||
		    __builtin_add_overflow(s.offset, s.filesz, &send) ||
		    (file_size && send > file_size)) {
			free(segs);
			return -EINVAL;
		}
		segs[n++] = s;
	}
	n = drop_aliases(segs, n);
	*segsp = segs;
	*nsegsp = n;
	return 0;
}

/* Of LOAD, the part [*PA, *PA + *LEN) inside KM's image, with its file-backed part *FILE;
 * false when they do not overlap. */
static bool ktext_piece(const struct elfcore_load *l, const struct kmap *km, uint64_t *pa,
			uint64_t *len, uint64_t *file)
{
	uint64_t ls = l->paddr, le, ts = km->text_paddr, te, s, e, fe;

	if (__builtin_add_overflow(ls, l->size, &fe) || __builtin_add_overflow(fe, l->zero_tail, &le) ||
	    __builtin_add_overflow(ts, km->text_size, &te))
		return false;
	s = ls > ts ? ls : ts;
	e = le < te ? le : te;
	if (s >= e)
		return false;
	*pa = s;
	*len = e - s;
	*file = fe > s ? (fe < e ? fe : e) - s : 0;
	return true;
}

/* The virtual address of physical [PADDR, PADDR + SIZE) in M's direct map, or 0 when it does
 * not lie inside the map. */
static uint64_t direct_vaddr(const struct kmap *m, uint64_t paddr, uint64_t size)
{
	uint64_t end;

	if (!m->direct_base || __builtin_add_overflow(paddr, size, &end) ||
	    end > (1ull << m->direct_bits))
		return 0;
	return m->direct_base + paddr;
}

size_t elfcore_ktext_count(const struct elfcore_load *loads, size_t nloads, const struct kmap *km)
{
	uint64_t pa, len, file;
	size_t n = 0;

	if (!km || !km->text_size)
		return 0;
	for (size_t i = 0; i < nloads; i++)
		n += ktext_piece(&loads[i], km, &pa, &len, &file);
	return n;
}

size_t elfcore_header_size(size_t nloads, size_t nktext, size_t notes_len)
{
	return ELFCORE_EHDR_SIZE + (nloads + nktext + 1) * ELFCORE_PHDR_SIZE + notes_len;
}

static void put_phdr(uint8_t *p, uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr,
		     uint64_t paddr, uint64_t filesz, uint64_t memsz, uint64_t align)
{
	le32_put(p + PH(p_type), type);
	le32_put(p + PH(p_flags), flags);
	le64_put(p + PH(p_offset), offset);
	le64_put(p + PH(p_vaddr), vaddr);
	le64_put(p + PH(p_paddr), paddr);
	le64_put(p + PH(p_filesz), filesz);
	le64_put(p + PH(p_memsz), memsz);
	le64_put(p + PH(p_align), align);
}

int elfcore_build(uint8_t *out, size_t cap, uint64_t base_addr, const struct elfcore_load *loads,
		  size_t nloads, const uint8_t *notes, size_t notes_len, const struct kmap *km)
{
	size_t nk = elfcore_ktext_count(loads, nloads, km);
	size_t nph = nloads + nk + 1, need = elfcore_header_size(nloads, nk, notes_len), notes_off;
	uint8_t *p;

	if (nph > ELFCORE_MAX_PHDRS || cap < need)
		return -EINVAL;
	memset(out, 0, cap);
	memcpy(out, ELFMAG, SELFMAG);
	out[EI_CLASS] = ELFCLASS64;
	out[EI_DATA] = ELFDATA2LSB;
	out[EI_VERSION] = EV_CURRENT;
	out[EI_OSABI] = ELFOSABI_NONE;
	le16_put(out + EH(e_type), ET_CORE);
	le16_put(out + EH(e_machine), EM_X86_64);
	le32_put(out + EH(e_version), EV_CURRENT);
	le64_put(out + EH(e_phoff), ELFCORE_EHDR_SIZE); /* right after the header */
	le16_put(out + EH(e_ehsize), ELFCORE_EHDR_SIZE);
	le16_put(out + EH(e_phentsize), ELFCORE_PHDR_SIZE);
	le16_put(out + EH(e_phnum), (uint16_t)nph);

	notes_off = ELFCORE_EHDR_SIZE + nph * ELFCORE_PHDR_SIZE;
	p = out + ELFCORE_EHDR_SIZE;
	put_phdr(p, PT_NOTE, 0, base_addr + notes_off, 0, 0, notes_len, notes_len, 0);
	for (size_t i = 0; nk && i < nloads; i++) {
		uint64_t pa, len, file;

		if (!ktext_piece(&loads[i], km, &pa, &len, &file))
			continue;
		p += ELFCORE_PHDR_SIZE;
		put_phdr(p, PT_LOAD, PF_R | PF_W | PF_X, loads[i].data_addr + (pa - loads[i].paddr),
			 km->text_vaddr + (pa - km->text_paddr), pa, file, len, 0);
	}
	for (size_t i = 0; i < nloads; i++) {
		uint64_t va = loads[i].vaddr;

		p += ELFCORE_PHDR_SIZE;
		if (loads[i].zero_tail > UINT64_MAX - loads[i].size)
			return -EINVAL;
		if (!va && km)
			va = direct_vaddr(km, loads[i].paddr, loads[i].size + loads[i].zero_tail);
		put_phdr(p, PT_LOAD, PF_R | PF_W | PF_X, loads[i].data_addr, va, loads[i].paddr,
			 loads[i].size, loads[i].size + loads[i].zero_tail, 0);
	}
	if (notes_len) /* no notes: NOTES may be NULL, and memcpy must not see it */
		memcpy(out + notes_off, notes, notes_len);
	return 0;
}
