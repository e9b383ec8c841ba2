/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest saver's requests: phyp's `echo START SIZE > /sys/kernel/release_region`, over a
 * virtio-serial port.  A tool in the capture guest saves /proc/vmcore to the guest's own
 * storage and asks hvdump to release what it saved.  The guest is untrusted: only ranges
 * inside the crash it sees are freed. */
#ifndef HVDUMP_VM_GUESTSAVE_H
#define HVDUMP_VM_GUESTSAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/elfcore.h"
#include "vm/saveproto.h"
#include "vm/crashes.h"
#include "vm/guestmem.h"
#include "vm/memback.h"

struct guestsave {
	int fd;                    /* connected to the capture QEMU's port, -1 if none */
	char line[GUESTSAVE_LINE];
	size_t len;
	bool overlong;
	struct elfcore_segment *segs; /* PT_LOADs of the crash being saved */
	size_t nsegs;
	int crash;                 /* the index in the crash list they belong to, -1 */
	long long warn_ms;         /* refusals are logged at most GUESTSAVE_WARNS per minute: */
	unsigned warns;            /* ... the window's start and count, */
	unsigned long long unsaid; /* ... and the refusals not logged since */
};

#define GUESTSAVE_WARNS 10         /* refusals logged per minute, at most */
#define GUESTSAVE_READ_BUDGET (64u << 10) /* bytes of requests served per wakeup */

void guestsave_init(struct guestsave *g);
void guestsave_close(struct guestsave *g);

/* What the guest's requests did, for the supervisor to act on. */
struct gs_outcome {
	bool released;             /* memory was freed and credited to MB: give it back */
	int saved;                 /* the index of the crash the guest says is saved, or -1 */
};

/* The port is readable: serve every complete request.  Released memory is freed through GM
 * and credited to MB, each page once (CRASHES keeps which were); the crash the guest sees is
 * the newest of CRASHES, if unsaved, with the segments hvdump wrote for it. */
void guestsave_input(struct guestsave *g, struct crash_list *crashes, struct guest_mem *gm,
		     struct memback *mb, struct gs_outcome *out);

#endif
