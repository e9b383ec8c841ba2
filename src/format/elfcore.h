/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ELF64 core files: reading notes out of untrusted cores, and writing the ELF core header a
 * capture kernel reads through elfcorehdr=.
 *
 * The header written here is what Linux's /proc/vmcore expects of a kdump header:
 *
 *   +-------------------+ elfcorehdr (guest-physical address H)
 *   | Elf64_Ehdr        |  e_type ET_CORE, e_machine EM_X86_64, e_phoff 64
 *   | Elf64_Phdr[0]     |  PT_NOTE: p_offset = guest-physical address of the notes
 *   | Elf64_Phdr[1..k]  |  PT_LOAD: the kernel image, p_vaddr = _text (aliases, kmap.h)
 *   | Elf64_Phdr[k+1..] |  PT_LOAD: p_paddr = crashed address, p_offset = where the bytes
 *   |                   |           live now (a relocated copy or the same address),
 *   |                   |           p_vaddr = its direct-map address
 *   | notes             |  NT_PRSTATUS per vCPU, QEMU CPU state, VMCOREINFO
 *   +-------------------+
 *
 * All multi-byte fields are little-endian.  Nothing here trusts its input: every offset and
 * size is checked against the buffer before use. */
#ifndef HVDUMP_FORMAT_ELFCORE_H
#define HVDUMP_FORMAT_ELFCORE_H

#include <stddef.h>
#include <stdint.h>

#include "format/kmap.h"

#define ELFCORE_EHDR_SIZE 64u
#define ELFCORE_PHDR_SIZE 56u
#define ELFCORE_MAX_PHDRS 65535u

struct elfnote {
	uint32_t type;
	const char *name;     /* not necessarily NUL-terminated; namesz bytes */
	uint32_t namesz;      /* including the NUL the producer wrote, if any */
	const uint8_t *desc;
	uint32_t descsz;
	size_t offset;        /* of the note header within the buffer */
	size_t size;          /* header + padded name + padded desc */
};

/* Walk the notes in BUF[0, LEN): *POS is the offset of the next note (start at 0).  Returns
 * 1 with *N filled, 0 at the end (a zero-size tail is the end too), -EBADMSG when a note
 * runs past the buffer. */
__attribute__((warn_unused_result)) int elfnote_next(const uint8_t *buf, size_t len, size_t *pos,
						      struct elfnote *n);

/* Does note N have name NAME (compared without the trailing NUL)? */
int elfnote_is(const struct elfnote *n, const char *name);

/* Bytes one note takes with NAME and DESCSZ bytes of payload. */
size_t elfnote_size(const char *name, size_t descsz);

/* Append a note to OUT (capacity CAP, used *LEN).  Returns 0 or -ENOSPC. */
__attribute__((warn_unused_result)) int elfnote_append(uint8_t *out, size_t cap, size_t *len,
							const char *name, uint32_t type,
							const void *desc, size_t descsz);

struct elfcore_segment {
	uint32_t type;        /* PT_LOAD or PT_NOTE */
	uint64_t offset;      /* p_offset */
	uint64_t vaddr;
	uint64_t paddr;
	uint64_t filesz;
	uint64_t memsz;
};

/* Parse an ELF64 little-endian x86-64 core's header and program headers.  On success *SEGS
 * is a malloc'd array of *NSEGS PT_LOAD/PT_NOTE segments (others skipped), each checked to
 * lie within FILE_SIZE when FILE_SIZE is not 0.  A PT_LOAD in the kernel image mapping whose
 * physical range lies inside another PT_LOAD (kexec's kernel text segment) is an alias and
 * skipped too: every returned PT_LOAD is guest-physical memory.  HDR/HDRLEN must hold at least the ELF and
 * program headers (else -ENODATA and *NEED says how many bytes are needed). */
__attribute__((warn_unused_result)) int elfcore_parse(const uint8_t *hdr, size_t hdrlen,
						       uint64_t file_size,
						       struct elfcore_segment **segs,
						       size_t *nsegs, size_t *need);

struct elfcore_load {
	uint64_t paddr;       /* guest-physical address in the crashed guest */
	uint64_t size;
	uint64_t data_addr;   /* where the bytes are now (p_offset) */
	uint64_t vaddr;       /* p_vaddr; 0 when unknown */
	uint64_t zero_tail;   /* bytes of zeros after SIZE with no file data (p_memsz -
			       * p_filesz); usually 0 */
};

/* The crashed kernel's image mapping: [__START_KERNEL_map, MODULES_END).  A PT_LOAD there is
 * an alias of RAM another PT_LOAD holds (kexec's and hvdump's headers put the kernel image
 * there for debuggers that read by virtual address). */
#define ELFCORE_KIMAGE_START 0xffffffff80000000ull
#define ELFCORE_KIMAGE_END 0xffffffffff000000ull

/* The kernel-image PT_LOADs elfcore_build() adds for KM (kmap.h; NULL: none): one per load
 * that overlaps [text_paddr, text_paddr + text_size). */
size_t elfcore_ktext_count(const struct elfcore_load *loads, size_t nloads, const struct kmap *km);

/* Bytes elfcore_build() writes for NLOADS loads, NKTEXT kernel-image PT_LOADs and NOTES_LEN
 * bytes of notes. */
size_t elfcore_header_size(size_t nloads, size_t nktext, size_t notes_len);

/* Write a kdump-style ELF core header into OUT (at least elfcore_header_size() bytes; the
 * rest of CAP is zeroed).  The notes follow the program headers; BASE_ADDR is the
 * guest-physical address OUT will live at, so the PT_NOTE's p_offset can point at them.
 * With KM (may be NULL), as kexec lays its headers out: PT_LOADs for the kernel image at
 * its virtual address come first, pointing at the same bytes as the RAM loads that hold it,
 * and each RAM load without a VADDR gets its direct-map address (when it lies inside the map).
 * Returns 0 or -EINVAL. */
__attribute__((warn_unused_result)) int elfcore_build(uint8_t *out, size_t cap, uint64_t base_addr,
						       const struct elfcore_load *loads, size_t nloads,
						       const uint8_t *notes, size_t notes_len,
						       const struct kmap *km);

#endif
