/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What happens after a guest kernel panics: the crash record, the vCPU notes, the capture
 * boot's layout in the RAM file, the operator's hook, keeping a RAM file of unsaved crashes.
 * Each step returns what it did; the supervisor decides what follows. */
#ifndef HVDUMP_VM_CRASHFLOW_H
#define HVDUMP_VM_CRASHFLOW_H

#include <jansson.h>
#include <stdint.h>

#include "dump/layout.h"
#include "dump/notes.h"
#include "vm/boot.h"
#include "vm/capkernel.h"
#include "vm/config.h"
#include "vm/crashes.h"
#include "vm/dimms.h"
#include "vm/rundir.h"
#include "vm/session.h"

/* The crash being handled. */
struct crash {
	unsigned number;       /* in this hvdump run, from 1 */
	char time[40];         /* when (UTC) */
	const char *how;       /* what detected it: "pvpanic", "console", "watchdog", "stall"
				* or "operator" */
	json_t *detail;        /* how it was detected, for the record (owned; may be NULL) */
	char panic[512];       /* the console's panic text, "" if none */
	char capture_error[2560]; /* why no capture boot, for the record; "" */
	char dir[4096];        /* its crash directory */
	long long mono_ms;     /* when (monotonic) */
	bool panic_from_log;   /* no console saw it: the panic line is read from the crashed
				* kernel's log (a libvirt domain's crash) */
	struct crash_notes notes;
};

/* What a crash step works on.  S is the paused QEMU, BOOT the boot that crashed. */
struct crash_ctx {
	const struct vm_config *cfg;
	const struct rundir *rd;
	struct session *s;
	const struct boot *boot;
	const struct dimm_set *dimms;
	struct crash *c;
};

enum crash_action {
	CRASH_ACT_CAPTURE,     /* notes taken: end QEMU, lay out and boot the capture */
	CRASH_ACT_DUMPED,      /* dump-restart wrote its dump: end QEMU, boot afresh */
	CRASH_ACT_PAUSE,       /* keep the guest paused (asked for, or a step failed) */
	CRASH_ACT_DROP,        /* --on-crash poweroff: end QEMU, discard the guest */
};

/* Act on cfg->on_crash for the crash X->c (its number, time, how and panic set; QEMU paused,
 * QMP alive): make its directory and record, take the notes or the dump. */
enum crash_action crash_handle(const struct crash_ctx *x);

/* Run the operator's --crash-hook, if any, on the preserved RAM (QEMU is gone, nothing has
 * been written yet).  Its failure is logged, never fatal. */
void crash_run_hook(const struct crash_ctx *x);

/* Where the capture boot finds the crash. */
struct capture_next {
	struct machine_layout next;    /* the RAM file's layout for the capture boot */
	uint64_t hdr_off, hdr_gpa;     /* its ELF core header */
	struct elfcore_segment *segs;  /* ... and its segments as written, read back before any
					* guest runs (malloc'd, the caller's) */
	size_t nsegs;
	struct capture_kernel ck;      /* what it boots (the caller's: capkernel_clear()) */
};

/* After CRASH_ACT_CAPTURE and QEMU's end: choose the capture kernel (capkernel_prepare();
 * PREV is what the boot that crashed was given, if it was a capture boot), lay out the
 * capture boot in the RAM file, with the crashes of LIST still unsaved in it, and record it
 * (state preserved).  STALE gains the crashed kernel.  0, or -errno after logging why (the
 * crashed RAM is then kept, and the record says why). */
__attribute__((warn_unused_result)) int crash_prepare_capture(const struct crash_ctx *x,
							       const struct crash_list *list,
							       struct notes_stale *stale,
							       const struct capture_kernel *prev,
							       struct capture_next *out);

/* The crashed RAM X->rd->ram is a file of its own that no capture guest boots (yet): a
 * libvirt domain's, kept by a hard link.  Laid out as X->boot->cur with the crashed kernel's
 * RAM in X->boot->ram, the vCPU notes X->c->notes taken: find VMCOREINFO in it if the notes
 * lack it, write notes.elf, append an ELF core header that maps every crashed page where it
 * is (capture_plan_keep(); the crashed bytes are not touched), and write the record, state
 * preserved-unsaved with its capture section, as `hvdump save --from` reads it.  0, or -errno
 * after logging why (the record then says crashed, with capture_error). */
__attribute__((warn_unused_result)) int crash_keep_in_place(const struct crash_ctx *x,
							     struct notes_stale *stale);

/* The capture QEMU of the newest crash of LIST runs (crashed at CRASH_MONO_MS): say so and
 * note it in its record. */
void crash_capture_started(const struct crash_list *list, long long crash_mono_ms);

/* The guest of a boot whose RAM file holds the unsaved crashes of LIST is going away: keep the
 * file as RUN-DIR/crash-NCRASH.ram and the DIMM files with crashed memory beside it, and say
 * so in their records; the DIMMs are forgotten.  0 or -errno (then the RAM file is where it
 * was and the run directory must be kept). */
__attribute__((warn_unused_result)) int crash_keep_ram_file(const struct rundir *rd,
							     const struct crash_list *list,
							     struct dimm_set *dimms, unsigned ncrash);

#endif
