/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What hvdump tells the host's tools about crashes and saves (docs/service.md): one journal
 * entry per crash and per save outcome (fixed MESSAGE_IDs, HVDUMP_* fields), the node-exporter
 * textfile, and the work after each save outcome (the off-host copy, the hooks, the vacuum),
 * which runs in a process of its own so the supervisor never waits for it. */
#ifndef HVDUMP_VM_REPORT_H
#define HVDUMP_VM_REPORT_H

#include <stdint.h>

#include "vm/config.h"
#include "vm/journal.h"

/* hvdump run starts supervising C's VM: the metrics file is written (all zero). */
void report_start(const struct vm_config *c);

/* Crash NUMBER of this run was seen (HOW: pvpanic, watchdog, ...; PANIC and KERNEL, its
 * panic line and release, may be ""); its record goes into DIR ("" when none is made:
 * --on-crash poweroff). */
void report_crash(const struct vm_config *c, const char *dir, unsigned number, const char *how,
		  const char *panic, const char *kernel);

/* The save of the crash in DIR ended: its record says how (saved, saved-by-guest or
 * save-failed; any other state is no outcome and is ignored).  The journal entry and the
 * metrics now; the copy, the hook and the vacuum in a process of their own. */
void report_outcome(const struct vm_config *c, const char *dir);

/* The save of the crash in DIR was refused (no room for its dump, vm/saveflow.c): reported
 * as a failed save (event "save-refused"), the --on-save-failed hook run. */
void report_refused(const struct vm_config *c, const char *dir);

/* N crashes are preserved unsaved in the live RAM file, holding BYTES of crashed memory (the
 * metrics' gauge, with those kept). */
void report_preserved(const struct vm_config *c, unsigned n, uint64_t bytes);

/* N crashes holding BYTES are kept unsaved in a RAM file of their own (hvdump stops, or
 * reboots the guest, with them unsaved): they stay in the gauge. */
void report_kept(const struct vm_config *c, unsigned n, uint64_t bytes);

#endif
