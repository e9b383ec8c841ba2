/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest-physical memory of the current boot as the host holds it: the RAM file (by the
 * boot's layout) and the DIMM files with crashed memory.  Freeing saved memory goes through
 * here. */
#ifndef HVDUMP_VM_GUESTMEM_H
#define HVDUMP_VM_GUESTMEM_H

#include <stdint.h>

#include "dump/layout.h"
#include "vm/dimms.h"

struct guest_mem {
	const char *ram_path;
	int ram_fd;                        /* -1 until guestmem_open() */
	const struct machine_layout *cur;  /* the layout of the RAM file now */
	const struct dimm_set *dimms;
};

/* Open the RAM file read-write if it is not open: 0 or -errno. */
__attribute__((warn_unused_result)) int guestmem_open(struct guest_mem *m);
void guestmem_close(struct guest_mem *m);

/* Free [GPA, GPA+LEN) on the host, in the RAM file or the DIMM files holding it; *FREED = bytes
 * that were still allocated.  -ERANGE if part of it is in neither (nothing after that part is
 * freed). */
__attribute__((warn_unused_result)) int guestmem_punch(struct guest_mem *m, uint64_t gpa,
							uint64_t len, uint64_t *freed);

#endif
