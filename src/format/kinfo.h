/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a crashed x86-64 kernel's memory says about each of its CPUs (`hvdump info`'s CPU
 * lines): for every "CORE" NT_PRSTATUS note, its registers, which CPU it is, the task it was
 * running, the kernel symbol of its RIP and the kernel text addresses on its stack.
 *
 * Found through the kernel's own kallsyms tables (kallsyms.h) and kernel virtual reads:
 *
 *   __per_cpu_offset[i]         u64 per possible CPU; read until a read fails, at most
 *                               KINFO_MAX_PERCPU entries (NR_CPUS)
 *   NT_PRSTATUS note            GS_BASE == __per_cpu_offset[i] in kernel mode: it is CPU i;
 *                               else the note's position is its CPU number (QEMU and the
 *                               kernel write one note per CPU, in CPU order)
 *   current_task (to 6.1) or    per-CPU variables; __per_cpu_offset[i] + &current_task
 *   pcpu_hot (6.2 on, whose     (modulo 2^64: an offset may be "negative") holds the
 *   first member it is)         task_struct pointer
 *   task_struct.comm            16 bytes at an offset neither VMCOREINFO nor kallsyms gives:
 *                               the first 8-aligned place in init_task's first 16 KiB that
 *                               holds "swapper/0" (or "swapper"), init_task's comm
 *   the stack                   RSP up to the end of its 16 KiB (THREAD_SIZE) block: the
 *                               words in [_stext, _etext) that kallsyms resolves
 *
 * Everything read from the guest is untrusted: addresses are added with overflow checks
 * (except where the kernel itself adds modulo 2^64, as above), every read goes through the
 * caller's callback, which checks it against the memory the dump holds, and the work per
 * dump is bounded (the KINFO_* limits below).  A value that fails a check leaves the field
 * it would have given unknown; nothing here prints, exits or keeps global state. */
#ifndef HVDUMP_FORMAT_KINFO_H
#define HVDUMP_FORMAT_KINFO_H

#include <stddef.h>
#include <stdint.h>

#include "format/kallsyms.h"
#include "format/prstatus.h"

/* __per_cpu_offset entries read and compared with GS_BASE (the kernel's NR_CPUS limit). */
#define KINFO_MAX_PERCPU 8192u
/* Notes whose RIP is looked up in kallsyms (each lookup is a scan of the tables). */
#define KINFO_SYMBOLIZED_CPUS 1024u
/* Notes whose stacks are scanned (the panicking CPU's always is), and entries kept. */
#define KINFO_STACK_CPUS 16u
#define KINFO_STACK_ENTRIES 8u
#define KINFO_STACK_BYTES (16u << 10)            /* THREAD_SIZE on x86-64 */
/* Kernel modules live between the end of the kernel image mapping and this. */
#define KINFO_MODULES_END 0xffffffffff000000ull
/* "name+0xOFFSET/0xSIZE" with its NUL: the longest kallsyms name and two 64-bit numbers. */
#define KINFO_SYM_MAX (KALLSYMS_NAME_MAX + 48u)

/* Read LEN bytes of kernel virtual memory at VADDR.  Returns 0 or a negative errno. */
typedef int (*kinfo_read_fn)(void *ctx, uint64_t vaddr, void *buf, size_t len);

struct kinfo_source {
	const char *info;          /* VMCOREINFO text (NUMBER(KERNEL_IMAGE_SIZE)); may be NULL */
	size_t info_len;
	const uint8_t *notes;      /* the dump's ELF notes; may be NULL */
	size_t notes_len;
	struct kallsyms *ks;       /* NULL: no tasks, symbols or stacks */
	kinfo_read_fn read;
	void *read_ctx;
	long panic_cpu;            /* the CPU the kernel log says panicked, or -1: its stack is
				    * scanned even beyond the first KINFO_STACK_CPUS notes */
};

/* Where an address is: a user-mode RIP, the kernel image mapping, the module area after it,
 * or none of these. */
enum kinfo_area { KINFO_AREA_USER, KINFO_AREA_KERNEL, KINFO_AREA_MODULE, KINFO_AREA_UNKNOWN };

struct kinfo_cpu {
	unsigned note;             /* position among the CORE NT_PRSTATUS notes, from 0 */
	uint32_t descsz;           /* the note's payload size */
	struct prstatus regs;      /* pr_pid and the registers */
	unsigned cpu;              /* the CPU number: from GS_BASE, else the note's position */
	int cpu_from_gs;           /* 1 when GS_BASE told it */
	int have_task;             /* task and comm were read, and comm looks like one */
	uint64_t task;             /* the current task_struct's address */
	char comm[17];             /* its comm: 1 to 15 printable ASCII bytes, NUL-terminated */
	enum kinfo_area rip_area;
	char rip_symbol[KINFO_SYM_MAX];  /* "" unless kallsyms resolved a kernel-mode RIP (first
					  * KINFO_SYMBOLIZED_CPUS notes only) */
	int have_stack;            /* the stack was scanned: kernel mode, _stext and _etext
				    * known, among the first KINFO_STACK_CPUS notes or the
				    * panicking CPU */
	unsigned nstack;           /* entries in stack[], innermost first */
	char stack[KINFO_STACK_ENTRIES][KINFO_SYM_MAX];
};

struct kinfo;

/* Prepare the walk over SRC (copied; what it points to must outlive *OUT): find the
 * per-CPU offsets, the current-task variable and the comm offset through SRC->ks (when any
 * is missing, CPUs get no task), _stext and _etext (else no stacks), and tell whether the
 * notes' pr_pid are QEMU's CPU index + 1 rather than pids.  Returns 0, or -ENOMEM. */
__attribute__((warn_unused_result)) int kinfo_open(const struct kinfo_source *src,
						    struct kinfo **out);

/* Were the notes written by QEMU (a "QEMU" note, or every pr_pid is its position + 1, as
 * QEMU and hvdump's register fallback write them)?  Then pr_pid is no pid. */
int kinfo_qemu_pids(const struct kinfo *k);

/* The next CPU, in note order.  Returns 1 with *CPU filled, 0 after the last note,
 * -EINVAL for a CORE NT_PRSTATUS note of the wrong size (CPU->note and CPU->descsz name it;
 * the next call goes on after it), or -EBADMSG when the notes are malformed from here on
 * (CPU->note = the CORE NT_PRSTATUS notes seen so far; the walk is over). */
__attribute__((warn_unused_result)) int kinfo_next_cpu(struct kinfo *k, struct kinfo_cpu *cpu);

/* "user", "kernel", "module" or "unknown". */
const char *kinfo_area_name(enum kinfo_area a);

/* Free K.  NULL is accepted; SRC->ks stays the caller's. */
void kinfo_close(struct kinfo *k);

#endif
