/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Giving saved memory back: punch it out of the RAM file, and hot-add fresh file-backed
 * pc-dimms to the running guest so it ends with the memory it had before the crash. */
#ifndef HVDUMP_DUMP_RELEASE_H
#define HVDUMP_DUMP_RELEASE_H

#include <stdint.h>

#include "qemu/qmp.h"

#define RELEASE_DIMM_ALIGN (128ull << 20)  /* x86 Linux memory block size for small guests */
#define RELEASE_SLOTS 32

/* Free [OFF, OFF+LEN) of the RAM file on the host (the file keeps its size; the range reads
 * back as zeros).  Returns 0 or -errno. */
__attribute__((warn_unused_result)) int release_punch(int ram_fd, uint64_t off, uint64_t len);

/* Bytes of the RAM file still allocated on the host in [OFF, OFF+LEN). */
uint64_t release_allocated(int ram_fd, uint64_t off, uint64_t len);

/* Hot-add a SIZE-byte pc-dimm at guest-physical ADDR: backend "hvdimmINDEX", device
 * "dimmINDEX", backed by a new 0600 file at PATH (shared, so a later crash preserves it).
 * *GPA gets where QEMU reports it (query-memory-devices; ADDR when it cannot tell).  Returns 0
 * or -errno with WHY set; on failure nothing is left half-added. */
__attribute__((warn_unused_result)) int release_add_dimm(struct qmp *q, const char *path,
							  uint64_t size, uint64_t addr,
							  unsigned index, uint64_t *gpa,
							  char *why, size_t whylen);

/* Where QEMU has the pc-dimm "dimmINDEX": *GPA and *SIZE from query-memory-devices, checked
 * (page-aligned, no overflow).  Returns 0, -ENOENT if QEMU lists no such DIMM, -EPROTO if the
 * reply is malformed, or a qmp_command() error. */
__attribute__((warn_unused_result)) int release_query_dimm(struct qmp *q, unsigned index,
							    uint64_t *gpa, uint64_t *size);

/* Ask for the pc-dimm "dimmINDEX" to be unplugged (device_del; the guest ejects it, then QEMU
 * sends DEVICE_DELETED).  Returns 0 or -errno with WHY set. */
__attribute__((warn_unused_result)) int release_del_dimm(struct qmp *q, unsigned index, char *why,
							  size_t whylen);

/* Drop the backend "hvdimmINDEX" of a DIMM QEMU has deleted.  Returns 0 or -errno. */
__attribute__((warn_unused_result)) int release_del_backend(struct qmp *q, unsigned index);

/* How much to hot-add now: PENDING bytes released but not yet returned, ADDED returned so far,
 * TARGET the total to return.  Returns a multiple of RELEASE_DIMM_ALIGN (or the exact rest
 * of TARGET at the end), 0 to wait.  Sizes grow with what was added, so a 64 GiB guest needs
 * about a dozen DIMMs. */
uint64_t release_dimm_size(uint64_t pending, uint64_t added, uint64_t target, int final);

#endif
