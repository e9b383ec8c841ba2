/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VMCOREINFO: the kernel's "KEY=value\n" description of itself (release, symbol addresses,
 * structure offsets), carried in an ELF note named "VMCOREINFO".  Input is untrusted. */
#ifndef HVDUMP_FORMAT_VMCOREINFO_H
#define HVDUMP_FORMAT_VMCOREINFO_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/* Longest VMCOREINFO we accept (the kernel's is one page, VMCOREINFO_BYTES = 4 KiB). */
#define VMCOREINFO_MAX 4096u

/* Copy the value of KEY (e.g. "OSRELEASE", "SYMBOL(log_buf)") from TEXT[0, LEN) into OUT as
 * a NUL-terminated string.  Returns 0, -ENOENT if absent, -E2BIG if it does not fit. */
__attribute__((warn_unused_result)) int vmcoreinfo_get(const char *text, size_t len,
							const char *key, char *out, size_t outlen);

/* Like vmcoreinfo_get() for a hexadecimal value (SYMBOL(x), NUMBER(phys_base) may be
 * decimal: NUMBER values are parsed as signed decimal, others as hex). */
__attribute__((warn_unused_result)) int vmcoreinfo_get_u64(const char *text, size_t len,
							    const char *key, uint64_t *out);

/* Find the VMCOREINFO note among NOTES[0, LEN); *TEXT and *TLEN get its payload. -ENOENT if
 * none, -EBADMSG if the notes are malformed. */
__attribute__((warn_unused_result)) int vmcoreinfo_find(const uint8_t *notes, size_t len,
							 const char **text, size_t *tlen);

/* Is there a VMCOREINFO note at the start of PAGE (AVAIL readable bytes)?  The kernel keeps it
 * page-aligned; it must be named "VMCOREINFO" and its text start with "OSRELEASE=".  Returns
 * the note's total size (header + name + desc, padded) or 0. */
size_t vmcoreinfo_note_at(const uint8_t *page, size_t avail);

/* A note vmcoreinfo_scan() should pass over (an earlier kernel's, say): CTX, the note, its
 * length. */
typedef bool (*vmcoreinfo_skip_fn)(void *ctx, const uint8_t *note, size_t len);

/* The lowest VMCOREINFO note starting on a PAGE-aligned offset in BUF[0, LEN) that SKIP (may
 * be NULL) does not pass over; the bytes up to AVAIL are readable (a note may run past its
 * page).  Its offset, with its length in *NOTE_LEN, or -1.  BUF is guest memory: nothing is
 * read beyond AVAIL, and a page without a note costs 16 bytes of reading. */
long long vmcoreinfo_scan(const uint8_t *buf, size_t len, size_t avail, size_t page,
			  vmcoreinfo_skip_fn skip, void *ctx, size_t *note_len);

#endif
