/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where a crashed x86-64 kernel mapped itself: what an ELF core header needs to follow
 * kexec's layout (a PT_LOAD for the kernel image at its virtual address, and the virtual
 * address of every RAM segment in the direct map), so that debuggers which read a vmcore by
 * virtual address (drgn) find the page tables.  Read from the kernel's memory alone:
 *
 *   _text, _end          kallsyms (kallsyms.h): the image as the kernel relocated it; the
 *                        kernel's own kexec_file headers use [_text, _end) too
 *   its physical start   kallsyms_kimage_to_phys(_text): VMCOREINFO's NUMBER(phys_base)
 *   page_offset_base     the direct map's base, a variable in the image (randomized by KASLR
 *                        in 1 GiB steps); a kernel without it has the constant base
 *                        KMAP_PAGE_OFFSET_L4 (4-level paging) or _L5 (VMCOREINFO's
 *                        NUMBER(pgtable_l5_enabled)=1); the map covers 2^46 or 2^52 bytes
 *
 * Every value read is untrusted: _text page-aligned, below _end, the image at most
 * KMAP_IMAGE_MAX bytes inside the image mapping; page_offset_base 1 GiB-aligned, at or
 * above its paging mode's unrandomized base and below the image mapping.  Nothing here
 * prints, exits or keeps state. */
#ifndef HVDUMP_FORMAT_KMAP_H
#define HVDUMP_FORMAT_KMAP_H

#include <stddef.h>
#include <stdint.h>

#include "format/kallsyms.h"

#define KMAP_PAGE_OFFSET_L4 0xffff888000000000ull
#define KMAP_PAGE_OFFSET_L5 0xff11000000000000ull
#define KMAP_PHYS_BITS_L4 46u
#define KMAP_PHYS_BITS_L5 52u
#define KMAP_PAGE_OFFSET_ALIGN (1ull << 30)   /* KASLR moves the base in PUD_SIZE steps */
#define KMAP_IMAGE_MAX (1ull << 30)           /* KERNEL_IMAGE_SIZE's largest value */

struct kmap {
	uint64_t text_vaddr;     /* _text */
	uint64_t text_paddr;     /* where it is in physical memory */
	uint64_t text_size;      /* _end - _text, rounded up to a page */
	uint64_t direct_base;    /* page_offset_base */
	unsigned direct_bits;    /* the direct map covers [base, base + 2^bits) */
};

/* The u64 the kernel-image variable NAME holds, read through RD.  -ENOENT when kallsyms lacks
 * NAME (WHY untouched: the caller decides); other errors with WHY set. */
__attribute__((warn_unused_result)) int kmap_read_var(const char *vmcoreinfo, size_t len,
						       struct kallsyms *ks, kallsyms_read_fn rd,
						       void *ctx, const char *name, uint64_t *val,
						       char *why, size_t whylen);

/* The direct map's base and size in bits (the rules above).  0, or -EINVAL (a malformed
 * NUMBER(pgtable_l5_enabled)), -ERANGE (page_offset_base is not a direct-map base) or a read
 * error, with WHY set. */
__attribute__((warn_unused_result)) int kmap_direct_map(const char *vmcoreinfo, size_t len,
							 struct kallsyms *ks, kallsyms_read_fn rd,
							 void *ctx, uint64_t *base, unsigned *bits,
							 char *why, size_t whylen);

/* Fill OUT for the kernel whose VMCOREINFO is VMCOREINFO[0, LEN), reading guest-physical
 * memory through RD(CTX, ...).  0, or -EOPNOTSUPP (no kallsyms tables in VMCOREINFO: a kernel
 * before 6.0), -ENOENT (no _text or _end), -ERANGE/-EBADMSG (values that break the rules
 * above), or a read error; WHY says which in one line. */
__attribute__((warn_unused_result)) int kmap_lookup(const char *vmcoreinfo, size_t len,
						     kallsyms_read_fn rd, void *ctx,
						     struct kmap *out, char *why, size_t whylen);

#endif
