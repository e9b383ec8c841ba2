// SPDX-License-Identifier: GPL-2.0-or-later
// ELF64 core reading and writing.  Fields are read and written byte by byte in little-endian
// order, never by casting untrusted buffers to structs.
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/elfcore.h"

_Static_assert(sizeof(Elf64_Ehdr) == ELFCORE_EHDR_SIZE, "Elf64_Ehdr is 64 bytes");
_Static_assert(sizeof(Elf64_Phdr) == ELFCORE_PHDR_SIZE, "Elf64_Phdr is 56 bytes");
_Static_assert(sizeof(Elf64_Nhdr) == 12, "Elf64_Nhdr is 12 bytes");

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

int elfnote_next(const uint8_t *buf, size_t len, size_t *pos, struct elfnote *n)
{
	size_t off = *pos, namesz, descsz, name_end, desc_end;

	if (off >= len || len - off < 12)
		return 0;
	namesz = get32(buf + off);
	descsz = get32(buf + off + 4);
	if (namesz == 0 && descsz == 0)
		return 0; /* zero padding after the last note */
	/* namesz and descsz are at most 2^32-1, so none of these sums overflow size_t */
	name_end = off + 12 + pad4(namesz);
	desc_end = name_end + pad4(descsz);
	if (name_end > len || desc_end > len || off + 12 + namesz > len || name_end + descsz > len)
		return -EBADMSG;
	n->type = get32(buf + off + 8);
	n->name = (const char *)buf + off + 12;
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
	return 12 + pad4(strlen(name) + 1) + pad4(descsz);
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
	put32(p, (uint32_t)nl);
	put32(p + 4, (uint32_t)descsz);
	put32(p + 8, type);
	memcpy(p + 12, name, nl);
	if (descsz)
		memcpy(p + 12 + pad4(nl), desc, descsz);
	*len += need;
	return 0;
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
	if (get16(hdr + 16) != ET_CORE)
		return -EINVAL;
	if (get16(hdr + 18) != EM_X86_64)
		return -EPROTONOSUPPORT;
	phoff = get64(hdr + 32);
	phentsize = get16(hdr + 54);
	phnum = get16(hdr + 56);
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
			.type = get32(p),
			.offset = get64(p + 8),
			.vaddr = get64(p + 16),
			.paddr = get64(p + 24),
			.filesz = get64(p + 32),
			.memsz = get64(p + 40),
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
	*segsp = segs;
	*nsegsp = n;
	return 0;
}

size_t elfcore_header_size(size_t nloads, size_t notes_len)
{
	return ELFCORE_EHDR_SIZE + (nloads + 1) * ELFCORE_PHDR_SIZE + notes_len;
}

static void put_phdr(uint8_t *p, uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr,
		     uint64_t paddr, uint64_t filesz, uint64_t memsz, uint64_t align)
{
	put32(p, type);
	put32(p + 4, flags);
	put64(p + 8, offset);
	put64(p + 16, vaddr);
	put64(p + 24, paddr);
	put64(p + 32, filesz);
	put64(p + 40, memsz);
	put64(p + 48, align);
}

int elfcore_build(uint8_t *out, size_t cap, uint64_t base_addr, const struct elfcore_load *loads,
		  size_t nloads, const uint8_t *notes, size_t notes_len)
{
	size_t need = elfcore_header_size(nloads, notes_len), notes_off;
	uint8_t *p;

	if (nloads + 1 > ELFCORE_MAX_PHDRS || cap < need)
		return -EINVAL;
	memset(out, 0, need);
	memcpy(out, ELFMAG, SELFMAG);
	out[EI_CLASS] = ELFCLASS64;
	out[EI_DATA] = ELFDATA2LSB;
	out[EI_VERSION] = EV_CURRENT;
	out[EI_OSABI] = ELFOSABI_NONE;
	put16(out + 16, ET_CORE);
	put16(out + 18, EM_X86_64);
	put32(out + 20, EV_CURRENT);
	put64(out + 32, ELFCORE_EHDR_SIZE);          /* e_phoff: right after the header */
	put16(out + 52, ELFCORE_EHDR_SIZE);          /* e_ehsize */
	put16(out + 54, ELFCORE_PHDR_SIZE);
	put16(out + 56, (uint16_t)(nloads + 1));

	notes_off = ELFCORE_EHDR_SIZE + (nloads + 1) * ELFCORE_PHDR_SIZE;
	p = out + ELFCORE_EHDR_SIZE;
	put_phdr(p, PT_NOTE, 0, base_addr + notes_off, 0, 0, notes_len, notes_len, 0);
	for (size_t i = 0; i < nloads; i++) {
		p += ELFCORE_PHDR_SIZE;
		put_phdr(p, PT_LOAD, PF_R | PF_W | PF_X, loads[i].data_addr, loads[i].vaddr,
			 loads[i].paddr, loads[i].size, loads[i].size, 0);
	}
	memcpy(out + notes_off, notes, notes_len);
	return 0;
}
