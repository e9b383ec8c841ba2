/* SPDX-License-Identifier: GPL-2.0-or-later */
/* makedumpfile's "flattened" format (what `makedumpfile -F` and QEMU's dump-guest-memory
 * kdump-zlib/-lzo/-snappy write, libvirt's virsh dump --format kdump-* too), read in place:
 * one walk over the records builds a map of the rearranged file, and reads go through it, so
 * the file never has to be rewritten with `makedumpfile -R`.
 *
 *   0        makedumpfile_header    "makedumpfile\0" in 16 bytes, then type = 1 and
 *                                   version = 1 as big-endian int64; zeros up to 4096
 *   4096     makedumpfile_data_header   offset, buf_size: big-endian int64 each
 *            buf_size bytes             they belong at `offset` of the rearranged file
 *            makedumpfile_data_header   ...
 *            ...
 *            makedumpfile_data_header   offset = buf_size = -1 (END_FLAG_FLAT_HEADER)
 *
 * The rearranged file is what writing each record's bytes at its offset, in order, into an
 * empty file gives: a later record wins where it overlaps an earlier one (makedumpfile
 * rewrites its sub header at the end), bytes no record wrote are zeros (a hole), and its size
 * is the largest offset + buf_size.  Records come in any order.
 *
 * As makedumpfile -R and crash, the reader checks the signature (13 bytes with its NUL) and
 * the type but not the version (both writers write 1); bytes after the end marker are
 * ignored (makedumpfile -R stops reading there).  A record of 0 bytes writes nothing. */
#ifndef HVDUMP_FORMAT_FLAT_H
#define HVDUMP_FORMAT_FLAT_H

#include <stddef.h>
#include <stdint.h>

#define MAKEDUMPFILE_SIGNATURE "makedumpfile"
#define MAX_SIZE_MDF_HEADER 4096u     /* the flat header's room; records start here */
#define TYPE_FLAT_HEADER 1
#define VERSION_FLAT_HEADER 1
#define END_FLAG_FLAT_HEADER (-1)
#define FLAT_DATA_HEADER_SIZE 16u     /* struct makedumpfile_data_header */
#define FLAT_MAX_RECORDS (16u << 20)  /* more are refused: the map's memory is bounded */

struct flat;

/* Do the first LEN bytes of a file look like a flattened dump (the signature with its NUL)?
 * 1 or 0.  flat_open() checks the rest, so a damaged header is refused with a reason rather
 * than taken for another format. */
int flat_detect(const uint8_t *first, size_t len);

/* Walk the records of the flattened file on FD (FILE_SIZE bytes, e.g. from fstat; FD is not
 * closed by flat_close and must stay open) and build the map of the rearranged file: sorted
 * extents that do not overlap, at most 2 * records - 1 of them (a record that lands inside an
 * earlier one splits it).  Every record must be a non-negative offset and size whose sum
 * fits an int64, lie inside the file, and the walk must reach the end marker; at most
 * FLAT_MAX_RECORDS records.  The file is read once, in large chunks.  Returns 0, -EBADMSG
 * for a malformed file (WHY, if not NULL, gets one line naming the byte offset at fault),
 * -ENOMEM, or an I/O -errno (-EIO when the file is shorter than FILE_SIZE). */
__attribute__((warn_unused_result)) int flat_open(int fd, uint64_t file_size, struct flat **out,
						   char *why, size_t whylen);

/* Read LEN bytes of the rearranged file at OFF into BUF, as kdump_pread_full() reads a file:
 * 0 or a negative errno.  A read may span several records; bytes no record wrote read as
 * zeros; a read that runs past flat_size() fails with -EIO (BUF then holds garbage), as a
 * short read would.  Thread-safe: F is not changed. */
__attribute__((warn_unused_result)) int flat_pread(const struct flat *f, int fd, void *buf,
						    size_t len, uint64_t off);

/* The size of the rearranged file. */
uint64_t flat_size(const struct flat *f);

/* NULL is fine. */
void flat_close(struct flat *f);

#endif
