/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BTF, the BPF Type Format the kernel carries for itself (CONFIG_DEBUG_INFO_BTF: the .BTF
 * section, [__start_BTF, __stop_BTF) in the image): enough of it to find where a member of
 * a structure lies, e.g. task_struct.pid, which neither VMCOREINFO nor kallsyms gives.
 *
 *   header   magic 0xeb9f (little-endian here), version 1, flags, hdr_len, then the type and
 *            string sections as offsets and lengths from the end of the header
 *   types    ids from 1, each a 12-byte btf_type {name_off, info (kind << 24 | vlen, bit 31
 *            kind_flag), size or type} followed by its kind's data (struct and union: vlen
 *            12-byte members {name_off, type, offset in bits; with kind_flag, bits 0-23})
 *   strings  NUL-terminated, addressed by offset
 *
 * A member of an anonymous struct or union member is found through it (as C lets one name
 * it), up to BTF_MAX_DEPTH levels.  The input is untrusted: every offset, length, id and
 * string is checked; work is bounded by the input's size.  Nothing here prints or exits. */
#ifndef HVDUMP_FORMAT_BTF_H
#define HVDUMP_FORMAT_BTF_H

#include <stddef.h>
#include <stdint.h>

#define BTF_MAGIC 0xeb9fu
#define BTF_MAX_SIZE (64u << 20)   /* a kernel's is a few MB */
#define BTF_MAX_DEPTH 8u

/* The byte offset of member MEMBER in the first complete struct named STRUCT_NAME in
 * BTF[0, LEN).  Returns 0 with *OFFSET set; -ENOENT when there is no such struct or member,
 * -EBADMSG for malformed BTF (or a member that is a bitfield or not byte-aligned), -ENOMEM. */
__attribute__((warn_unused_result)) int btf_member_offset(const uint8_t *btf, size_t len,
							   const char *struct_name,
							   const char *member, uint64_t *offset);

#endif
