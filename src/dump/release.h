/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Giving saved memory back: punch it out of the RAM file, and hot-add fresh file-backed
 * pc-dimms to the running guest so it ends with the memory it had before the crash. */
#ifndef HVDUMP_DUMP_RELEASE_H
#define HVDUMP_DUMP_RELEASE_H

#include <stdint.h>

#include "qemu/qmp.h"
#include "qemu/user.h"

#define RELEASE_DIMM_ALIGN (128ull << 20)  /* x86 Linux memory block size for small guests */
#define RELEASE_SLOTS 256                   /* QEMU's most pc-dimm slots (ACPI_MAX_RAM_SLOTS) */

/* Free [OFF, OFF+LEN) of the RAM file on the host (the file keeps its size; the range reads
 * back as zeros).  Returns 0 or -errno. */
__attribute__((warn_unused_result)) int release_punch(int ram_fd, uint64_t off, uint64_t len);

/* Bytes of the RAM file still allocated on the host in [OFF, OFF+LEN). */
uint64_t release_allocated(int ram_fd, uint64_t off, uint64_t len);

/* Hot-add a SIZE-byte pc-dimm at guest-physical ADDR: backend "hvdimmINDEX", device
 * "dimmINDEX", backed by a new 0600 file at PATH (shared, so a later crash preserves it),
 * created here (not through a link), given to OWNER if not NULL (QEMU's user: QEMU reopens
 * it, and holds that memory anyway) and handed to QEMU as a descriptor (add-fd).
 * *GPA gets where QEMU reports it (query-memory-devices; ADDR when it cannot tell).  Returns 0
 * or -errno with WHY set; on failure nothing is left half-added. */
__attribute__((warn_unused_result)) int release_add_dimm(struct qmp *q, const char *path,
							  const struct qemu_user *owner,
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

/* The size of the next DIMM to hot-add: PENDING bytes released but not yet returned, ADDED
 * returned so far, TARGET the total to return, HAVE the memory the guest has now (its boot
 * region plus ADDED), SLOTS_LEFT the DIMM slots still free.  Returns 0 to wait for more.
 *
 * A DIMM is one memory block (RELEASE_DIMM_ALIGN) whenever the slots allow it: a kernel
 * booted with memory_hotplug.memmap_on_memory=1 then keeps the block's struct pages on the
 * block itself, so adding it takes nothing from the memory the guest already uses (a capture
 * guest lives in a small boot region: a single 4 GiB DIMM wanted 64 MiB of struct pages from
 * it and killed it), and the guest ends with the MemTotal it had before the crash, struct
 * pages accounted as at boot.  When the slots are too few for that (guests much larger than
 * 32 GiB), a DIMM is just large enough for the rest to fit the slots, but never larger than
 * twice HAVE, so its struct pages (1/64 of it, taken from HAVE) always fit.  The last DIMM
 * may be smaller than a block only when FINAL. */
uint64_t release_dimm_size(uint64_t pending, uint64_t added, uint64_t target, uint64_t have,
			   unsigned slots_left, int final);

#endif
