/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The DIMMs that hold memory given back to a capture guest and, after a crash of that guest,
 * its crashed memory (docs/capture-layout.md).  A DIMM outlives the QEMU that plugged it: its
 * file is the only copy of what the crashed kernel kept there. */
#ifndef HVDUMP_VM_DIMMS_H
#define HVDUMP_VM_DIMMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dump/layout.h"
#include "dump/release.h"
#include "dump/saver.h"
#include "qemu/cmdline.h"
#include "qemu/qmp.h"

#define VM_MAX_DIMMS RELEASE_SLOTS
/* Hot-added DIMMs start this far above QEMU's device-memory base, so that the extensions of
 * crashes that strike before the previous dump is saved (each grows the RAM file by about the
 * boot region) do not push that base past DIMMs the next capture boot must re-attach. */
#define VM_DIMM_HEADROOM (4ull << 30)

/* A pc-dimm of this QEMU process, or one to re-attach in the next. */
struct vm_dimm {
	unsigned index;        /* QEMU backend "hvdimmINDEX", device "dimmINDEX" */
	char path[4200];       /* its file, RUN-DIR/dimm-INDEX */
	uint64_t gpa, size;
	unsigned crash;        /* 0: memory of the running kernel; else the number of the crash
				* whose memory it holds, attached read-only */
	bool gone;             /* that crash is saved: file removed, unplug requested */
};

struct dimm_set {
	char dir[4096];        /* where the files are: the run directory */
	const struct qemu_user *owner; /* who gets the files (--qemu-user), or NULL */
	struct vm_dimm d[VM_MAX_DIMMS];
	unsigned n;
	unsigned next;         /* index of the next DIMM */
};

/* Where hot-added DIMMs go for a boot of layout CUR: at or above this address. */
uint64_t dimms_window(const struct machine_layout *cur);

/* The lowest address at or above WINDOW where SIZE bytes overlap no DIMM QEMU may still hold
 * (dropped ones included: the guest may not have ejected them yet), block-aligned past any
 * it meets. */
uint64_t dimms_place(const struct dimm_set *s, uint64_t window, uint64_t size);

/* Hot-add SIZE bytes to the running guest as a new file-backed DIMM placed by dimms_place().
 * 0 or -errno with WHY set. */
__attribute__((warn_unused_result)) int dimms_add(struct dimm_set *s, struct qmp *q,
						   uint64_t window, uint64_t size, char *why,
						   size_t whylen);

/* The running kernel crashed (crash CRASH): its DIMMs now hold that crash; DIMMs already
 * dropped are forgotten (the next QEMU does not get them). */
void dimms_crashed(struct dimm_set *s, unsigned crash);

/* The ranges of the DIMMs holding crash CRASH (0: every DIMM with crashed memory not yet
 * saved), sorted by address, into OUT (at most MAX).  Returns how many. */
size_t dimms_ranges(const struct dimm_set *s, unsigned crash, struct mem_range *out, size_t max);

/* The same DIMMs as dimms_ranges(s, 0, ...), as QEMU and saver sources.  The QEMU DIMMs'
 * files are not open yet (fd -1). */
size_t dimms_for_qemu(const struct dimm_set *s, struct qemu_dimm *out, size_t max);
size_t dimms_for_saver(const struct dimm_set *s, struct saver_dimm *out, size_t max);

/* Open the files of the N DIMMs D for QEMU to inherit: read-only (they are attached
 * read-only), not through a symbolic link, regular files.  0, or -errno (logged) with none
 * left open. */
__attribute__((warn_unused_result)) int dimms_open_for_qemu(struct qemu_dimm *d, size_t n);

/* Close what dimms_open_for_qemu() opened. */
void dimms_close_for_qemu(struct qemu_dimm *d, size_t n);

/* The device-memory span (bytes above BASE, QEMU's device-memory base) a capture boot must
 * allow for: the DIMMs it re-attaches above WINDOW and MEMORY more to hot-add. */
uint64_t dimms_span(const struct dimm_set *s, uint64_t base, uint64_t window, uint64_t memory);

/* The DIMM with crashed memory holding GPA, or NULL. */
const struct vm_dimm *dimms_holding(const struct dimm_set *s, uint64_t gpa);

/* Crash CRASH is saved (or discarded): free its DIMMs on the host, remove their files, ask the
 * guest (through Q, if any) to unplug them.  Returns the bytes that were still allocated. */
uint64_t dimms_drop_crash(struct dimm_set *s, struct qmp *q, unsigned crash);

/* QMP DEVICE_DELETED for DEVICE: drop the backend of a DIMM the guest gave up. */
void dimms_deleted(struct dimm_set *s, struct qmp *q, const char *device);

/* The RAM file is being kept as crash file of crash NCRASH: rename the DIMM files with
 * crashed memory RUN-DIR/crash-NCRASH.dimm-I.  0 or the first -errno (those files keep their
 * names).  They stay registered until dimms_unregister_crashed(). */
__attribute__((warn_unused_result)) int dimms_keep(struct dimm_set *s, unsigned ncrash);

/* Forget the DIMMs with crashed memory without touching their files (they were kept). */
void dimms_unregister_crashed(struct dimm_set *s);

/* Remove every DIMM file still registered and forget them (a fresh boot, or the end). */
void dimms_forget(struct dimm_set *s);

/* The DIMMs of crash CRASH for its record: [{"file", "gpa", "bytes"}]. */
json_t *dimms_json(const struct dimm_set *s, unsigned crash);

#endif
