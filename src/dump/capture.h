/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Laying out a capture boot in the RAM file: grow it, copy the zones the fresh boot will
 * overwrite, write the ELF core header and notes. */
#ifndef HVDUMP_DUMP_CAPTURE_H
#define HVDUMP_DUMP_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "dump/layout.h"

/* Apply PLAN to the RAM file RAM_FD: grow the file, copy the zones, write the header, sync.
 * Only then, with the crash safe in the extension, are the zones' originals freed (punched:
 * they read as zeros), so the capture boot starts on clean memory there, like a fresh boot,
 * and no copy of the crashed data is held twice.  Nothing else below the old end of the file
 * is touched.  Returns 0 or -errno with WHY set (the crashed data is untouched on failure:
 * only the extension may be partially written).  A zone that cannot be freed is left as it
 * is (its copy is what the header points to), and is not a failure. */
__attribute__((warn_unused_result)) int capture_apply(int ram_fd, const struct capture_plan *plan,
						       const uint8_t *notes, size_t notes_len,
						       char *why, size_t whylen);

#endif
