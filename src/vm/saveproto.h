/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest saver's protocol, pure: a request line parsed, a release range checked against the
 * crash's segments.  The guest is untrusted: everything it sends passes through here first
 * (fuzzed in tests/fuzz/fuzz_saveproto.c). */
#ifndef HVDUMP_VM_SAVEPROTO_H
#define HVDUMP_VM_SAVEPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "format/elfcore.h"

/* One request line (at most GUESTSAVE_LINE - 1 bytes):
 *   hello 1                  -> ok hvdump 1
 *   status                   -> ok preserved=N released=BYTES returned=BYTES
 *   release PADDR SIZE       -> ok released=BYTES | err WHY   (hex, page-aligned)
 *   done                     -> ok | err WHY                  (the dump is saved) */
#define GUESTSAVE_LINE 256

enum gs_kind { GS_UNKNOWN, GS_HELLO, GS_STATUS, GS_RELEASE, GS_DONE };

struct gs_request {
	enum gs_kind kind;
	uint64_t paddr, size;  /* GS_RELEASE */
};

/* Parse LINE (NUL-terminated, no newline). */
void guestsave_parse(const char *line, struct gs_request *r);

/* May the guest release [PADDR, PADDR+SIZE)?  It must be non-empty, page-aligned, and all of
 * it memory of the crash: inside the PT_LOAD segments SEGS (N of them).  0, or -EINVAL /
 * -ERANGE with WHY. */
__attribute__((warn_unused_result)) int guestsave_check(const struct elfcore_segment *segs,
							 size_t n, uint64_t paddr, uint64_t size,
							 const char **why);

/* The segment of SEGS (N of them) holding address POS, and in *PIECE_END where the piece of
 * [POS, END) it holds ends; NULL if none holds POS.  Walking a range with it visits each byte
 * once, however the segments overlap. */
const struct elfcore_segment *guestsave_piece(const struct elfcore_segment *segs, size_t n,
					     uint64_t pos, uint64_t end, uint64_t *piece_end);

/* The index of the page holding PADDR among the pages of the PT_LOAD segments SEGS (N of
 * them, in order; each takes whole pages), SEG being the one of them that holds it. */
size_t guestsave_page_index(const struct elfcore_segment *segs, size_t n,
			    const struct elfcore_segment *seg, uint64_t paddr);

#endif
