/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Laying out a capture boot in the RAM file: grow it, copy the zones the fresh boot will
 * overwrite, write the ELF core header and notes. */
#ifndef HVDUMP_DUMP_CAPTURE_H
#define HVDUMP_DUMP_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "dump/layout.h"
#include "format/elfcore.h"

/* Apply PLAN to the RAM file RAM_FD: grow the file, copy the zones, write the header, sync.
 * Only then, with the crash safe in the extension, are the zones' originals freed (punched:
 * they read as zeros), so the capture boot starts on clean memory there, like a fresh boot,
 * and no copy of the crashed data is held twice.  Nothing else below the old end of the file
 * is touched.  Returns 0 or -errno with WHY set (the crashed data is untouched on failure:
 * only the extension may be partially written).  A zone that cannot be freed is left as it
 * is (its copy is what the header points to), and is not a failure.  KM (NULL: unknown) is
 * where the crashed kernel mapped itself: the header then follows kexec's layout
 * (elfcore_build()). */
__attribute__((warn_unused_result)) int capture_apply(int ram_fd, const struct capture_plan *plan,
						       const uint8_t *notes, size_t notes_len,
						       const struct kmap *km, char *why,
						       size_t whylen);

/* The most of a capture's ELF core header that is read back: its program headers must fit. */
#define CAPTURE_HDR_READ (1u << 20)

/* Read back the ELF core header capture_apply() wrote at offset OFF of the RAM file FD and
 * parse it: *SEGS (malloc'd, header order) gets its *NSEGS PT_LOAD and PT_NOTE segments.
 * 0, -EIO (cannot read CAPTURE_HDR_READ bytes there) or elfcore_parse()'s error. */
__attribute__((warn_unused_result)) int capture_read_header(int fd, uint64_t off,
							     struct elfcore_segment **segs,
							     size_t *nsegs);

#endif
