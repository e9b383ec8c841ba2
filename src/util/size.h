/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Human sizes ("2G", "512M", "1.5G", "4096") and durations, parsed strictly. */
#ifndef HVDUMP_UTIL_SIZE_H
#define HVDUMP_UTIL_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* Parse S as a byte count.  A bare number is taken in DEFAULT_UNIT bytes (1 for bytes,
 * 1 << 20 for "MiB unless suffixed" as QEMU's -m does).  Suffixes K M G T (powers of 1024,
 * optional "i"/"iB"/"B", any case) and one decimal fraction are accepted.  Returns 0, or
 * -EINVAL for malformed text, -ERANGE when the value does not fit in 64 bits. */
__attribute__((warn_unused_result)) int size_parse(const char *s, uint64_t default_unit,
						    uint64_t *out);

/* Format BYTES exactly when possible ("2G", "1536M", "4097B"), into BUF. */
const char *size_format(uint64_t bytes, char *buf, size_t len);

/* Format BYTES as a rounded human figure ("1.50 GiB"), into BUF. */
const char *size_human(uint64_t bytes, char *buf, size_t len);

/* Parse an unsigned decimal integer in [MIN, MAX] with no trailing junk. */
__attribute__((warn_unused_result)) int uint_parse(const char *s, uint64_t min, uint64_t max,
						    uint64_t *out);

#endif
