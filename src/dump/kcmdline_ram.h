/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The crashed kernel's command line, read from the crashed RAM file: what a capture boot of
 * the same kernel needs to boot like it (root=UUID=..., console=...), chosen inside the guest
 * (GRUB) and so unknown to hvdump but in the crashed memory.  format/kcmdline.h finds it
 * (kallsyms, saved_command_line, page_offset_base, the direct map); this gives it the RAM
 * file's guest-physical reads. */
#ifndef HVDUMP_DUMP_KCMDLINE_RAM_H
#define HVDUMP_DUMP_KCMDLINE_RAM_H

#include <stddef.h>

#include "dump/layout.h"
#include "format/kmap.h"
#include "dump/notes.h"

/* The command line of the kernel that crashed, from RAM file RAM_FD laid out as M
 * (layout_gpa_to_off(): the boot that crashed, not the capture boot), reading guest-physical
 * memory only inside RAM[0, NRAM) (the crashed kernel's System RAM; memory that is not in
 * the RAM file, such as a DIMM's, cannot be read).  VMCOREINFO[0, VMCOREINFO_LEN) is the
 * crashed kernel's (crash_notes: from QEMU or found in guest memory); NULL if there is none.
 * Read the RAM before anything overwrites it: before the capture boot starts.
 * On success OUT (OUTLEN bytes; KCMDLINE_SIZE always suffices) holds the command line,
 * NUL-terminated, printable ASCII, spaces and tabs; on error WHY says what was wrong in one
 * line.  Returns 0, or kcmdline_lookup()'s errors (format/kcmdline.h):
 *   -EOPNOTSUPP  no VMCOREINFO, or no kallsyms tables in it (a kernel before 6.0)
 *   -ENOENT      no saved_command_line in kallsyms
 *   -ERANGE      a pointer or page_offset_base outside where it must be
 *   -EBADMSG     no NUL within COMMAND_LINE_SIZE, a byte that is not printable, malformed
 *                kallsyms tables
 *   -ENOSPC      OUTLEN too small
 *   -EFAULT      a read outside RAM or outside the RAM file;  -EIO the file ends early;
 *   -ENOMEM, or what pread failed with. */
__attribute__((warn_unused_result)) int crash_kernel_cmdline(int ram_fd,
							      const struct machine_layout *m,
							      const struct mem_range *ram,
							      size_t nram,
							      const char *vmcoreinfo,
							      size_t vmcoreinfo_len, char *out,
							      size_t outlen, char *why,
							      size_t whylen);

/* Where the crashed kernel mapped itself (format/kmap.h), from the same RAM file and ranges as
 * crash_kernel_cmdline(): for the ELF core header's kernel-image PT_LOAD and direct-map
 * p_vaddr.  0 or kmap_lookup()'s errors, with WHY set. */
__attribute__((warn_unused_result)) int crash_kernel_kmap(int ram_fd, const struct machine_layout *m,
							   const struct mem_range *ram, size_t nram,
							   const char *vmcoreinfo,
							   size_t vmcoreinfo_len, struct kmap *out,
							   char *why, size_t whylen);

/* Each CPU's pid in NOTES' NT_PRSTATUS notes (dump/taskpid.h), from the same RAM file and
 * ranges: the number of notes set, or taskpid_set()'s error with WHY set. */
int crash_notes_pids(int ram_fd, const struct machine_layout *m, const struct mem_range *ram,
		     size_t nram, struct crash_notes *notes, char *why, size_t whylen);

/* The crashed kernel's panic ("Kernel panic - not syncing: WHAT": WHAT, as the console watch
 * of `hvdump run` records it; the whole line if it has no "not syncing: "), from its log in the
 * same RAM file and ranges, found with NOTES' VMCOREINFO (format/printk.h, panicscan.h): for a
 * crash that no console showed.  0 with OUT set (cut at OUTLEN), or -errno with WHY and OUT
 * "" (-EOPNOTSUPP no VMCOREINFO, -ENOENT no panic in the log, printk_dump()'s errors). */
__attribute__((warn_unused_result)) int crash_kernel_panic(int ram_fd,
							    const struct machine_layout *m,
							    const struct mem_range *ram,
							    size_t nram,
							    const struct crash_notes *notes,
							    char *out, size_t outlen, char *why,
							    size_t whylen);

#endif
