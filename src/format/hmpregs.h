/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsing QEMU's HMP `info registers -a` text (x86-64) into NT_PRSTATUS register sets: the
 * fallback when dump-guest-memory cannot give us the vCPU notes. */
#ifndef HVDUMP_FORMAT_HMPREGS_H
#define HVDUMP_FORMAT_HMPREGS_H

#include <stddef.h>
#include <stdint.h>

#include "format/prstatus.h"

/* Parse TEXT[0, LEN).  Fills up to MAX entries of OUT (in "CPU#n" order) and sets *NCPUS.
 * Each CPU must show at least RAX..R15, RIP and RFL, else -EBADMSG.  Returns 0 or -errno. */
__attribute__((warn_unused_result)) int hmpregs_parse(const char *text, size_t len,
						       struct prstatus *out, unsigned max,
						       unsigned *ncpus);

/* The same text's halt state of each CPU ("HLT=0|1", which every CPU block must show): up to
 * MAX entries of HALTED (1 halted), in "CPU#n" order, and *NCPUS.  0 or -errno. */
__attribute__((warn_unused_result)) int hmpregs_halted(const char *text, size_t len,
							uint8_t *halted, unsigned max,
							unsigned *ncpus);

/* Append a "CORE" NT_PRSTATUS note for P to OUT (capacity CAP, used *LEN). */
__attribute__((warn_unused_result)) int prstatus_note_append(uint8_t *out, size_t cap,
							      size_t *len,
							      const struct prstatus *p);

#endif
