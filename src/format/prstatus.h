/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x86-64 NT_PRSTATUS notes (struct elf_prstatus): the registers of one CPU at the crash. */
#ifndef HVDUMP_FORMAT_PRSTATUS_H
#define HVDUMP_FORMAT_PRSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/elfcore.h"

#define PRSTATUS_X86_64_SIZE 336u  /* sizeof(struct elf_prstatus) on x86-64 */
#define PRSTATUS_PID_OFFSET 32u    /* pr_pid */

/* Indices into pr_reg (struct user_regs_struct), the kernel's order. */
enum prstatus_reg {
	PR_R15, PR_R14, PR_R13, PR_R12, PR_RBP, PR_RBX, PR_R11, PR_R10, PR_R9, PR_R8, PR_RAX,
	PR_RCX, PR_RDX, PR_RSI, PR_RDI, PR_ORIG_RAX, PR_RIP, PR_CS, PR_EFLAGS, PR_RSP, PR_SS,
	PR_FS_BASE, PR_GS_BASE, PR_DS, PR_ES, PR_FS, PR_GS, PR_NREGS
};

struct prstatus {
	uint32_t pid;
	uint64_t reg[PR_NREGS];
};

/* Decode note N if it is a "CORE" NT_PRSTATUS of the x86-64 size.  Returns 0 or -EINVAL. */
__attribute__((warn_unused_result)) int prstatus_decode(const struct elfnote *n,
							 struct prstatus *out);

/* Are the pr_pid of the x86-64 "CORE" NT_PRSTATUS notes in NOTES[0, LEN) (may be NULL) QEMU's
 * CPU numbers, each its note's position + 1 (as QEMU and hvdump's register fallback write
 * them), rather than pids?  False without such a note. */
bool prstatus_pids_are_cpu_numbers(const uint8_t *notes, size_t len);

#endif
