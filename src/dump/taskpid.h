/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Each crashed CPU's pid in its NT_PRSTATUS note, as the kernel's own crash_save_cpu() writes
 * it.  QEMU writes its CPU index + 1 there; debuggers take pr_pid as the thread that ran on
 * the CPU (drgn's crashed_thread() looks that pid up), so hvdump puts the pid of the task
 * each CPU was running (0 for an idle CPU, as the kernel does) before the notes are written
 * anywhere.  The task comes from format/kinfo.h (per-CPU current task); task_struct.pid's
 * offset from the kernel's BTF (format/btf.h), which neither VMCOREINFO nor kallsyms gives.
 * A kernel without BTF, kallsyms or a readable task keeps QEMU's values; nothing else in
 * the notes changes. */
#ifndef HVDUMP_DUMP_TASKPID_H
#define HVDUMP_DUMP_TASKPID_H

#include <stddef.h>

#include "dump/notes.h"
#include "format/kallsyms.h"

#define TASKPID_PID_MAX 4194304u   /* PID_MAX_LIMIT on 64-bit */

/* Rewrite pr_pid in N's CORE NT_PRSTATUS notes (and N->cpu[]) from crashed memory read
 * through RD(CTX, guest-physical address, ...).  Returns the number of notes set (0 to
 * N->ncpus), or a negative errno with WHY saying why none could be. */
int taskpid_set(struct crash_notes *n, kallsyms_read_fn rd, void *ctx, char *why, size_t whylen);

#endif
