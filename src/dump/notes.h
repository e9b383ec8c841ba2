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
#define NOTES_MAX_STALE 64

struct crash_notes {
	uint8_t *buf;             /* the notes, verbatim from QEMU, VMCOREINFO appended if found */
	size_t len, cap;
	unsigned ncpus;           /* NT_PRSTATUS notes */
	struct prstatus cpu[NOTES_MAX_CPUS];
	const char *vmcoreinfo_source;  /* "qemu", "guest-memory" or NULL */
	char osrelease[65];
};

/* The VMCOREINFO text among NOTES (not NUL-terminated; *LEN its length), or NULL. */
const char *notes_vmcoreinfo(const struct crash_notes *notes, size_t *len);

/* The KERNELOFFSETs of kernels that crashed since the last fresh boot.  Each left its
 * VMCOREINFO page somewhere in memory, and a later kernel may not have overwritten it: a scan
 * for the live kernel's note must skip theirs. */
struct notes_stale {
	char kaslr[NOTES_MAX_STALE][32];
	unsigned n;
};

/* The KERNELOFFSET of the VMCOREINFO note at NOTE (LEN bytes) into OUT; -ENOENT without. */
__attribute__((warn_unused_result)) int notes_kaslr(const uint8_t *note, size_t len, char *out,
						    size_t outlen);

/* Is the VMCOREINFO note at NOTE (LEN bytes) one of a kernel in S? */
bool notes_is_stale(const struct notes_stale *s, const uint8_t *note, size_t len);

/* Remember the kernel whose notes are N (nothing if they have no VMCOREINFO). */
void notes_stale_add(struct notes_stale *s, const struct crash_notes *n);

/* Ask the paused QEMU for its notes: a one-page dump-guest-memory into PATH (an ELF core
 * the caller keeps: `readelf -n` reads it; created here with open_new_private() and handed to
 * QEMU as a descriptor), keeping its PT_NOTE bytes.  Returns 0 or -errno with WHY set. */
__attribute__((warn_unused_result)) int notes_from_qemu(struct qmp *q, const char *path,
							 struct crash_notes *n, char *why,
							 size_t whylen);

/* The fallback: build NT_PRSTATUS notes from HMP `info registers -a`.  No QEMU CPU-state
 * notes and no VMCOREINFO come this way (notes_find_vmcoreinfo() supplies the latter). */
__attribute__((warn_unused_result)) int notes_from_registers(struct qmp *q, struct crash_notes *n,
							      char *why, size_t whylen);

/* The same from TEXT[0, LEN), `info registers -a` as QEMU's HMP printed it (through
 * libvirt's monitor passthrough, say).  0 or -errno with WHY set. */
__attribute__((warn_unused_result)) int notes_from_hmp(const char *text, size_t len,
							struct crash_notes *n, char *why,
							size_t whylen);

/* The lowest page-aligned VMCOREINFO note starting in BUF[0, LEN) (the bytes up to AVAIL are
 * readable: a note may run past its page) that is not one of STALE's kernels (STALE may be
 * NULL): its offset, with its length in *NOTE_LEN, or -1 if there is none.  Reads at most 16
 * bytes of a page without a note. */
long long notes_scan_buf(const uint8_t *buf, size_t len, size_t avail,
			 const struct notes_stale *stale, size_t *note_len);

#define NOTES_SCAN_CHUNK (4u << 20)
#define NOTES_NOTE_READ (12u + 12u + 4096u) /* a VMCOREINFO note: header, name, text */
#define NOTES_SCAN_BUF (NOTES_SCAN_CHUNK + NOTES_NOTE_READ)

/* The lowest page-aligned VMCOREINFO note in file FD's [OFF, OFF+LEN) that is not one of
 * STALE's kernels, read a chunk at a time into BUF (NOTES_SCAN_BUF bytes), skipping holes
 * (never-written memory holds no note), so a sparse region costs little.  Bottom-up: the
 * kernel allocates its note early in its boot, when the page allocator hands out the lowest
 * free pages of the zone.  0 with the note's file offset in *AT, its length in *NOTE_LEN and
 * the note itself at the start of BUF, -ENOENT, or -errno. */
__attribute__((warn_unused_result)) int notes_scan_file(int fd, uint64_t off, uint64_t len,
							 const struct notes_stale *stale,
							 uint8_t *buf, uint64_t *at,
							 size_t *note_len);

/* notes_scan_file() over the RAM ranges RAM[0, NRAM) of the file FD laid out as M, those
 * above 4 GiB first (where a kernel with memory there allocates its note), then the rest. */
__attribute__((warn_unused_result)) int notes_scan_ram(int fd, const struct machine_layout *m,
							const struct mem_range *ram, size_t nram,
							const struct notes_stale *stale,
							uint8_t *buf, uint64_t *at,
							size_t *note_len);

/* If the notes lack VMCOREINFO, look for the kernel's page-aligned VMCOREINFO note in the
 * crashed RAM (RAM file RAM_FD laid out as M, in the ranges RAM that are in it; notes of the
 * kernels in STALE are skipped) and append it.  The ranges above 4 GiB are scanned first:
 * a kernel with memory there takes its early allocations from the bottom of that zone.
 * Returns 0 (found or not needed), -ENOENT if not found, other -errno on I/O errors. */
__attribute__((warn_unused_result)) int notes_find_vmcoreinfo(struct crash_notes *n, int ram_fd,
							       const struct machine_layout *m,
							       const struct mem_range *ram,
							       size_t nram,
							       const struct notes_stale *stale);

/* Re-derive ncpus, cpu[] and osrelease from buf. */
void notes_index(struct crash_notes *n);

void notes_free(struct crash_notes *n);

#endif
