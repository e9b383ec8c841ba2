/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Collecting the crashed guest's ELF notes: every vCPU's registers and VMCOREINFO. */
#ifndef HVDUMP_DUMP_NOTES_H
#define HVDUMP_DUMP_NOTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dump/layout.h"
#include "format/prstatus.h"
#include "qemu/qmp.h"

#define NOTES_MAX_CPUS 256

struct crash_notes {
	uint8_t *buf;             /* the notes, verbatim from QEMU, VMCOREINFO appended if found */
	size_t len, cap;
	unsigned ncpus;           /* NT_PRSTATUS notes */
	struct prstatus cpu[NOTES_MAX_CPUS];
	const char *vmcoreinfo_source;  /* "qemu", "guest-memory" or NULL */
	char osrelease[65];
};

/* Ask the paused QEMU for its notes: a one-page dump-guest-memory into PATH (an ELF core
 * the caller keeps: `readelf -n` reads it), keeping its PT_NOTE bytes.  Returns 0 or -errno with WHY set. */
__attribute__((warn_unused_result)) int notes_from_qemu(struct qmp *q, const char *path,
							 struct crash_notes *n, char *why,
							 size_t whylen);

/* The fallback: build NT_PRSTATUS notes from HMP `info registers -a`.  No QEMU CPU-state
 * notes and no VMCOREINFO come this way (notes_find_vmcoreinfo() supplies the latter). */
__attribute__((warn_unused_result)) int notes_from_registers(struct qmp *q, struct crash_notes *n,
							      char *why, size_t whylen);

/* If the notes lack VMCOREINFO, look for the kernel's page-aligned VMCOREINFO note in the
 * crashed RAM (RAM file RAM_FD laid out as M, scanning the ranges RAM) and append it.
 * Returns 0 (found or not needed), -ENOENT if not found, other -errno on I/O errors. */
__attribute__((warn_unused_result)) int notes_find_vmcoreinfo(struct crash_notes *n, int ram_fd,
							       const struct machine_layout *m,
							       const struct mem_range *ram,
							       size_t nram);

/* Re-derive ncpus, cpu[] and osrelease from buf. */
void notes_index(struct crash_notes *n);

void notes_free(struct crash_notes *n);

#endif
