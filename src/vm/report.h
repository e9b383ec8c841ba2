/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What hvdump tells the host's tools about crashes and saves (docs/service.md): one journal
 * entry per crash and per save outcome (fixed MESSAGE_IDs, HVDUMP_* fields), the node-exporter
 * textfile, and the work after each save outcome (the off-host copy, the hooks, the vacuum),
 * which runs in a process of its own so the supervisor never waits for it. */
#ifndef HVDUMP_VM_REPORT_H
#define HVDUMP_VM_REPORT_H

#include <stdint.h>

#include "vm/config.h"

/* journalctl MESSAGE_ID=... lists every one of them, of every VM */
#define REPORT_MSGID_CRASH       "97bb481814d44717bf59098dd2f9cf17"
#define REPORT_MSGID_SAVED       "96634b54a744427d929cb2684143e19a"
#define REPORT_MSGID_SAVE_FAILED "246caf2a2e7c42a595b85fd58cadafca"
#define REPORT_MSGID_COPY        "98f35c026fd14ea89c5b87d1d423c740"

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

/* N crashes are preserved unsaved in the live RAM file, holding BYTES of crashed memory (the
 * metrics' gauge, with those kept). */
void report_preserved(const struct vm_config *c, unsigned n, uint64_t bytes);

/* N crashes holding BYTES are kept unsaved in a RAM file of their own (hvdump stops, or
 * reboots the guest, with them unsaved): they stay in the gauge. */
void report_kept(const struct vm_config *c, unsigned n, uint64_t bytes);

/* Send one journal entry, EVENT for the crash in DIR (its record read for the fields),
 * with MSGID and PRIORITY (syslog's); MESSAGE is the text.  Nothing when journald does not
 * listen or C says not to. */
void report_journal(const struct vm_config *c, const char *msgid, int priority,
		    const char *event, const char *dir, const char *message);

#endif
