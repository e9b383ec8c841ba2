/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kallsyms: find a kernel symbol's address in a crashed guest from the kernel's own compressed
 * symbol tables, located through VMCOREINFO and read through a physical-memory callback.
 *
 * Since Linux 6.0 VMCOREINFO carries SYMBOL(kallsyms_names), SYMBOL(kallsyms_num_syms),
 * SYMBOL(kallsyms_token_table), SYMBOL(kallsyms_token_index) and either SYMBOL(kallsyms_offsets)
 * + SYMBOL(kallsyms_relative_base) (CONFIG_KALLSYMS_BASE_RELATIVE) or SYMBOL(kallsyms_addresses).
 * Those SYMBOL() values are already KASLR-relocated (crash_core exports &x); KERNELOFFSET is
 * not added again.  The tables live in the kernel image mapping:
 *
 *   kallsyms_num_syms     u32                    number of symbols, N
 *   kallsyms_names        N entries: len, len token bytes
 *                         len is one byte, or two when bit 7 of the first is set (6.1 "big"
 *                         symbols): len = (b0 & 0x7f) | b1 << 7
 *   kallsyms_token_index  u16[256]               offset of token t in kallsyms_token_table
 *   kallsyms_token_table  NUL-terminated strings a token byte expands to
 *   kallsyms_offsets      s32[N] (base-relative) or kallsyms_addresses u64[N]
 *   kallsyms_relative_base u64                   relocated base for the offsets
 *
 * An expanded name starts with its type character ('T', 'd', ...), which is not part of the
 * name.  With CONFIG_KALLSYMS_ABSOLUTE_PERCPU (x86-64 SMP up to 6.14) an offset >= 0 is an
 * absolute (per-CPU) value and an offset < 0 means relative_base - 1 - offset; without it
 * every offset is an unsigned distance from relative_base.  Which of the two a kernel uses is
 * not in VMCOREINFO: it is inferred from the last (highest-addressed) symbol, whose offset is
 * negative only under ABSOLUTE_PERCPU.
 *
 * Kernel-image virtual addresses become physical as
 *   paddr = vaddr - __START_KERNEL_map + phys_base     (modulo 2^64: phys_base may be
 *                                                       "negative", e.g. -148897792)
 * with __START_KERNEL_map = 0xffffffff80000000 and phys_base = NUMBER(phys_base).
 *
 * Everything read from the guest is untrusted: counts, lengths and token offsets are bounded
 * (the limits below), every table access is checked against the kernel image mapping before the
 * callback is asked, and a malformed table is an error, never an out-of-bounds access.  Memory
 * use is bounded by one KALLSYMS_WINDOW of names plus the token table. */
#ifndef HVDUMP_FORMAT_KALLSYMS_H
#define HVDUMP_FORMAT_KALLSYMS_H

#include <stddef.h>
#include <stdint.h>

#define KALLSYMS_START_KERNEL_MAP 0xffffffff80000000ull
/* Kernel image mapping size when VMCOREINFO has no NUMBER(KERNEL_IMAGE_SIZE) (KASLR's 1 GiB). */
#define KALLSYMS_IMAGE_SIZE_DEFAULT (1ull << 30)
/* Physical addresses at or above this are refused (x86-64's architectural maximum). */
#define KALLSYMS_PHYS_LIMIT (1ull << 52)
/* Most symbols accepted in kallsyms_num_syms (a 6.1 distribution kernel has ~150k). */
#define KALLSYMS_MAX_SYMS (1u << 22)
/* Longest name looked up, without the type character (the kernel's KSYM_NAME_LEN is 512). */
#define KALLSYMS_NAME_MAX 511u
/* Largest token table accepted: token offsets and terminators must lie below this (a 6.1
 * table is under 1 KiB). */
#define KALLSYMS_TOKEN_TABLE_MAX 16384u
/* Most bytes of kallsyms_names one lookup walks (a 6.1 kernel has ~1.1 MiB). */
#define KALLSYMS_NAMES_MAX (64u << 20)
/* kallsyms_names is read through a cache of one window of this size. */
#define KALLSYMS_WINDOW (64u << 10)

/* Read LEN bytes of guest-physical memory at PADDR into BUF.  Returns 0, or a negative errno
 * (e.g. -EFAULT when the range is not all backed); a failed read is passed to the caller. */
typedef int (*kallsyms_read_fn)(void *ctx, uint64_t paddr, void *buf, size_t len);

struct kallsyms;

/* Translate kernel-image virtual address VADDR to physical using VMCOREINFO's
 * NUMBER(phys_base) (and NUMBER(KERNEL_IMAGE_SIZE) when present).  Returns 0 with *PADDR set,
 * -ENOENT if phys_base is missing, -EINVAL if it is malformed, -ERANGE if VADDR lies outside
 * [__START_KERNEL_map, __START_KERNEL_map + KERNEL_IMAGE_SIZE) or the result is not below
 * KALLSYMS_PHYS_LIMIT. */
__attribute__((warn_unused_result)) int kallsyms_kimage_to_phys(const char *vmcoreinfo, size_t len,
								 uint64_t vaddr, uint64_t *paddr);

/* Prepare lookups: find the tables through VMCOREINFO[0, LEN), read kallsyms_num_syms, the
 * token index and token table (and kallsyms_relative_base) through RD(CTX, ...).  *OUT is
 * freed with kallsyms_close(); VMCOREINFO need not outlive it, CTX must.  Returns 0,
 * -EOPNOTSUPP if VMCOREINFO does not describe the kallsyms tables (kernel before 6.0 or
 * without CONFIG_KALLSYMS), -ENOENT/-EINVAL/-ERANGE as kallsyms_kimage_to_phys() for the
 * table addresses, -EBADMSG if the tables break the limits above, -ENOMEM, or RD's error. */
__attribute__((warn_unused_result)) int kallsyms_open(const char *vmcoreinfo, size_t len,
						       kallsyms_read_fn rd, void *ctx,
						       struct kallsyms **out);

/* Find symbol NAME (e.g. "system_state", no type character) and set *VADDR to its address as
 * the running kernel saw it (relocated; a per-CPU symbol's value is its per-CPU offset).  With
 * several symbols of the same name (static functions) the first in table order (the lowest
 * address) wins.  A linear scan of kallsyms_names.  Returns 0, -ENOENT if no symbol has that
 * name, -EINVAL if NAME is empty or longer than KALLSYMS_NAME_MAX, -EBADMSG if kallsyms_names
 * is malformed (bad length, more than KALLSYMS_NAMES_MAX bytes), or RD's error (a table that
 * runs off the memory the callback can read). */
__attribute__((warn_unused_result)) int kallsyms_find(struct kallsyms *ks, const char *name,
						       uint64_t *vaddr);

/* Reverse lookup: the symbol VADDR lies in.  The candidates are the symbols whose address
 * lies in the kernel image mapping (per-CPU offsets and other absolute values are not);
 * the nearest at or below VADDR wins (the first in table order among aliases), and its
 * size is the distance to the next higher one, as the kernel's own "%pS" computes it.
 * NAME gets the name (no type character), NUL-terminated; *OFFSET = VADDR - its address;
 * *SIZE (if not NULL) its size.  A linear scan of the address table, then of
 * kallsyms_names up to the winner.  Returns 0, -ENOENT if VADDR is outside the image
 * mapping, below every candidate or at or above the highest one (which ends the image:
 * _end, __brk_limit and the like; a module address is never in the image), -ENOSPC if
 * NAMELEN cannot hold the name (KALLSYMS_NAME_MAX + 1 always can), -EBADMSG if the tables
 * are malformed, or RD's error. */
__attribute__((warn_unused_result)) int kallsyms_addr_to_name(struct kallsyms *ks, uint64_t vaddr,
							       char *name, size_t namelen,
							       uint64_t *offset, uint64_t *size);

/* Number of symbols in the table (kallsyms_num_syms). */
uint32_t kallsyms_count(const struct kallsyms *ks);

/* Free what kallsyms_open() allocated.  NULL is accepted. */
void kallsyms_close(struct kallsyms *ks);

/* kallsyms_open(), kallsyms_find() and kallsyms_close() in one call. */
__attribute__((warn_unused_result)) int kallsyms_lookup(const char *vmcoreinfo, size_t len,
							 kallsyms_read_fn rd, void *ctx,
							 const char *name, uint64_t *vaddr);

#endif
