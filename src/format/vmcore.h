/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading an x86-64 Linux ELF vmcore offline: its notes, its VMCOREINFO, guest-physical reads
 * through the PT_LOADs, and kernel-virtual reads through the guest's own page tables.
 *
 *   ELF file                              guest memory
 *   +------------+
 *   | Ehdr       |  e_phoff -> Phdrs (anywhere: QEMU puts section headers first)
 *   | Phdr NOTE  |--> notes: NT_PRSTATUS..., VMCOREINFO ("KEY=value\n" text)
 *   | Phdr LOAD  |--> [p_paddr, p_paddr + p_memsz) from p_offset; bytes past p_filesz read 0
 *   | ...        |    (p_vaddr is ignored: QEMU and hvdump write 0 there)
 *   +------------+
 *
 * Kernel virtual addresses are translated the way the guest's MMU would:
 *   [__START_KERNEL_map, + KERNEL_IMAGE_SIZE)  phys = vaddr - __START_KERNEL_map + phys_base
 *   anything else                               walk the page tables rooted at init_top_pgt
 *                                               (4 or 5 levels, 1 GiB and 2 MiB pages)
 * using NUMBER(phys_base), SYMBOL(init_top_pgt) (or init_level4_pgt), NUMBER(pgtable_l5_enabled),
 * NUMBER(KERNEL_IMAGE_SIZE) and NUMBER(sme_mask) from VMCOREINFO.  The translation alone
 * (struct vmcore_xlat, at the end) works over any physical reader: dumpfile.h uses it for
 * kdump-compressed files.
 *
 * Everything in the file is untrusted: offsets, sizes, page-table entries.  Nothing here
 * prints, exits or keeps global state; errors are negative errno values:
 *   -ENOEXEC      not an ELF file           -EPROTONOSUPPORT  not a 64-bit LE x86-64 core
 *   -EINVAL       malformed headers         -EFBIG            notes or headers absurdly large
 *   -EFAULT       address not in the dump   -ENXIO            virtual address not mapped
 *   -EBADMSG      malformed page-table entry or note
 *   -ENOKEY       VMCOREINFO lacks what the translation needs (or has no VMCOREINFO) */
#ifndef HVDUMP_FORMAT_VMCORE_H
#define HVDUMP_FORMAT_VMCORE_H

#include <stddef.h>
#include <stdint.h>

#include "format/elfcore.h"

#define VMCORE_START_KERNEL_MAP 0xffffffff80000000ull
#define VMCORE_PAGE_SIZE 4096u
/* Largest PT_NOTE payload accepted (all segments together). */
#define VMCORE_MAX_NOTES (16u << 20)

struct vmcore;

/* Open the ELF vmcore at PATH.  On success *OUT owns an open descriptor.  Returns 0 or a
 * negative errno (see above; also whatever open/pread fail with). */
__attribute__((warn_unused_result)) int vmcore_open(const char *path, struct vmcore **out);

/* The same over an in-memory image BUF[0, LEN), which must outlive the vmcore. */
__attribute__((warn_unused_result)) int vmcore_open_mem(const void *buf, size_t len,
							 struct vmcore **out);

void vmcore_close(struct vmcore *v);

/* All PT_NOTE payloads, concatenated (each padded to 4 bytes).  *LEN gets their length. */
const uint8_t *vmcore_notes(const struct vmcore *v, size_t *len);

/* The VMCOREINFO note's text (not NUL-terminated) and its length, or NULL if the dump has none
 * (or its notes are malformed before one is found). */
const char *vmcore_info(const struct vmcore *v, size_t *len);

/* The PT_LOAD segments with p_memsz > 0, sorted by p_paddr (overlapping ones make
 * vmcore_open fail with -EINVAL). */
size_t vmcore_nloads(const struct vmcore *v);
const struct elfcore_segment *vmcore_load(const struct vmcore *v, size_t i);

/* Read LEN bytes of guest-physical memory at PADDR into BUF.  The range may span adjacent
 * PT_LOADs; bytes past a segment's p_filesz (up to p_memsz) read as zeros.  -EFAULT if any byte
 * lies outside every PT_LOAD, -EIO on a short read of the file. */
__attribute__((warn_unused_result)) int vmcore_read_phys(struct vmcore *v, uint64_t paddr,
							  void *buf, size_t len);

/* Translate the kernel virtual address VADDR to guest-physical *PADDR (see above).  -ENOKEY
 * if VMCOREINFO lacks what is needed, -ENXIO if VADDR is non-canonical or not mapped,
 * -EFAULT if a page table lies outside the dump, -EBADMSG on a malformed entry (or when
 * VMCOREINFO's translation values are absurd: init_top_pgt outside the kernel image or not
 * page-aligned, pgtable_l5_enabled not 0 or 1). */
__attribute__((warn_unused_result)) int vmcore_kvtop(struct vmcore *v, uint64_t vaddr,
						      uint64_t *paddr);

/* Read LEN bytes at kernel virtual address VADDR, translating page by page. */
__attribute__((warn_unused_result)) int vmcore_read_virt(struct vmcore *v, uint64_t vaddr,
							  void *buf, size_t len);

/* Bytes the segments claim beyond the end of the file (0 unless the dump is truncated).  A
 * truncated dump opens; its missing part reads as -EFAULT. */
uint64_t vmcore_missing_bytes(const struct vmcore *v);

/* Page-table levels the translation walks (4 or 5), or 0 when it cannot translate. */
unsigned vmcore_paging_levels(const struct vmcore *v);

/* Called with every guest-physical range the vmcore reads from its file (for tools that
 * cut a small dump out of a large one).  NULL to stop. */
typedef void (*vmcore_trace_fn)(void *ctx, uint64_t paddr, size_t len);
void vmcore_set_trace(struct vmcore *v, vmcore_trace_fn fn, void *ctx);

/* ---- the translation alone, over any source of guest-physical memory ------------------- */

/* Read LEN bytes of guest-physical memory at PADDR into BUF: 0 or a negative errno, which the
 * translation passes on (-EFAULT by convention for "not in the dump"). */
typedef int (*vmcore_phys_fn)(void *ctx, uint64_t paddr, void *buf, size_t len);

#define VMCORE_TLB_SIZE 8u

/* Kernel virtual-to-physical translation state (what vmcore_kvtop uses inside a vmcore; the
 * kdump-compressed reader uses it over its own pages).  The fields are private: use the
 * functions below.  No allocation; nothing to free. */
struct vmcore_xlat {
	vmcore_phys_fn read;
	void *ctx;
	int err;                         /* != 0: why there is no translation */
	unsigned levels;
	uint64_t phys_base;
	uint64_t pgd;                    /* physical address of init_top_pgt */
	uint64_t image_size;
	uint64_t addr_mask;              /* PTE address bits without the SME C-bit */
	struct {
		uint64_t vpage, ppage;
		int valid;
	} tlb[VMCORE_TLB_SIZE];
};

/* Set X up from VMCOREINFO INFO[0, LEN) (NULL: no translation) to read page tables through
 * READ(CTX, ...), which must outlive X.  Never fails: when VMCOREINFO lacks or garbles what
 * is needed, every translation returns -ENOKEY or -EBADMSG (vmcore_xlat_levels() says 0). */
void vmcore_xlat_init(struct vmcore_xlat *x, const char *info, size_t len, vmcore_phys_fn read,
		      void *ctx);

/* vmcore_kvtop() and vmcore_read_virt() over X; same results. */
__attribute__((warn_unused_result)) int vmcore_xlat_kvtop(struct vmcore_xlat *x, uint64_t vaddr,
							   uint64_t *paddr);
__attribute__((warn_unused_result)) int vmcore_xlat_read_virt(struct vmcore_xlat *x,
							       uint64_t vaddr, void *buf,
							       size_t len);

/* Page-table levels X walks (4 or 5), or 0 when it cannot translate. */
unsigned vmcore_xlat_levels(const struct vmcore_xlat *x);

#endif
