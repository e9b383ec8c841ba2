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
#include "vm/crashes.h"
#include "vm/guestmem.h"
#include "vm/memback.h"

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

struct guestsave {
	int fd;                    /* connected to the capture QEMU's port, -1 if none */
	char line[GUESTSAVE_LINE];
	size_t len;
	bool overlong;
	struct elfcore_segment *segs; /* PT_LOADs of the crash being saved */
	size_t nsegs;
	int crash;                 /* the index in the crash list they belong to, -1 */
};

void guestsave_init(struct guestsave *g);
void guestsave_close(struct guestsave *g);

/* What the guest's requests did, for the supervisor to act on. */
struct gs_outcome {
	bool released;             /* memory was freed and credited to MB: give it back */
	int saved;                 /* the index of the crash the guest says is saved, or -1 */
};

/* The port is readable: serve every complete request.  Released memory is freed through GM
 * and credited to MB; the crash the guest sees is the newest of CRASHES, if unsaved. */
void guestsave_input(struct guestsave *g, const struct crash_list *crashes, struct guest_mem *gm,
		     struct memback *mb, struct gs_outcome *out);

#endif
