/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The crashed kernel's own command line (what its /proc/cmdline showed), read from its memory
 * through kallsyms (kallsyms.h) and guest-physical reads alone:
 *
 *   saved_command_line   char * in the kernel image (init/main.c; kallsyms 'D' or 'B')
 *        |               paddr = kallsyms_kimage_to_phys(&saved_command_line)
 *        v
 *   the string           memblock-allocated, NUL-terminated, in the direct map:
 *                        paddr = pointer - page_offset_base
 *   page_offset_base     unsigned long in the kernel image (arch/x86/kernel/head64.c): the
 *                        direct map's base, randomized by KASLR (CONFIG_RANDOMIZE_MEMORY) in
 *                        1 GiB (PUD) steps from 0xffff888000000000 (4-level paging) or
 *                        0xff11000000000000 (5-level)
 *
 * A kernel without CONFIG_DYNAMIC_MEMORY_LAYOUT has no page_offset_base variable: its direct
 * map is at the constant KCMDLINE_PAGE_OFFSET_L4, used when saved_command_line is in kallsyms
 * but page_offset_base is not.  (Without CONFIG_KALLSYMS_ALL kallsyms holds no data symbols at
 * all, and saved_command_line is missing first: -ENOENT.)
 *
 * Every value read from the guest is untrusted: page_offset_base must be 1 GiB-aligned, at
 * or above the paging mode's unrandomized base and below the kernel image mapping, the
 * pointer must lie in the direct map [page_offset_base, page_offset_base + 2^46 or 2^52),
 * and at most KCMDLINE_SIZE bytes
 * are read, a page at a time (the string may end just before memory the callback cannot
 * read), up to the first NUL.  Nothing here prints, exits or keeps state. */
#ifndef HVDUMP_FORMAT_KCMDLINE_H
#define HVDUMP_FORMAT_KCMDLINE_H

#include <stddef.h>
#include <stdint.h>

#include "format/kallsyms.h"
#include "format/kmap.h"

/* COMMAND_LINE_SIZE on x86-64: the string and its NUL lie within this many bytes. */
#define KCMDLINE_SIZE 2048u
/* The direct map's base without KASLR (__PAGE_OFFSET_BASE_L4 and _L5): KASLR only moves it
 * up.  Its size is 2^MAX_PHYSMEM_BITS: 46 bits with 4-level paging, 52 with 5-level
 * (VMCOREINFO's NUMBER(pgtable_l5_enabled)=1; a kernel without that key has 4 levels). */
#define KCMDLINE_PAGE_OFFSET_L4 KMAP_PAGE_OFFSET_L4
#define KCMDLINE_PAGE_OFFSET_L5 KMAP_PAGE_OFFSET_L5
#define KCMDLINE_PHYS_BITS_L4 KMAP_PHYS_BITS_L4
#define KCMDLINE_PHYS_BITS_L5 KMAP_PHYS_BITS_L5
/* page_offset_base is randomized in steps of this (PUD_SIZE). */
#define KCMDLINE_PAGE_OFFSET_ALIGN KMAP_PAGE_OFFSET_ALIGN

/* Read the command line of the kernel whose VMCOREINFO is VMCOREINFO[0, LEN) and whose
 * kallsyms tables KS opened (kallsyms_open() over the same RD and CTX), reading
 * guest-physical memory through RD(CTX, ...).  On success OUT holds the command line,
 * NUL-terminated: printable ASCII, spaces and tabs only; it may be empty.  On error WHY (if
 * not NULL) says what was wrong in one line.  Returns 0, or:
 *   -EOPNOTSUPP  KS is NULL (kallsyms_open() failed: -EOPNOTSUPP there means VMCOREINFO has
 *                no kallsyms tables, a kernel before 6.0)
 *   -ENOENT      no saved_command_line symbol (or no NUMBER(phys_base) in VMCOREINFO)
 *   -ERANGE      a variable outside the kernel image mapping, page_offset_base not a
 *                direct-map base, or the pointer (NULL included) outside the direct map
 *   -EBADMSG     no NUL within KCMDLINE_SIZE bytes, or a byte that is not printable ASCII,
 *                space or tab before it; or kallsyms tables that are malformed
 *   -ENOSPC      the command line does not fit in OUTLEN bytes (KCMDLINE_SIZE always does)
 *   -EINVAL      a malformed NUMBER(phys_base), NUMBER(pgtable_l5_enabled) neither 0 nor 1,
 *                or OUTLEN is 0
 *   RD's error   a read failed (e.g. -EFAULT: not in the memory RD can read) */
__attribute__((warn_unused_result)) int kcmdline_read(const char *vmcoreinfo, size_t len,
						       struct kallsyms *ks, kallsyms_read_fn rd,
						       void *ctx, char *out, size_t outlen,
						       char *why, size_t whylen);

/* kallsyms_open(), kcmdline_read() and kallsyms_close() in one call: kallsyms_open()'s errors
 * are passed on (-EOPNOTSUPP: VMCOREINFO describes no kallsyms tables, a kernel before 6.0),
 * with WHY set. */
__attribute__((warn_unused_result)) int kcmdline_lookup(const char *vmcoreinfo, size_t len,
							 kallsyms_read_fn rd, void *ctx,
							 char *out, size_t outlen,
							 char *why, size_t whylen);

#endif
