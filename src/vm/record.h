/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Crash records (DIR/crash.json, docs/crash-record.md): updates that need no running VM, so
 * `hvdump run` and `hvdump save --from` write them the same way. */
#ifndef HVDUMP_VM_RECORD_H
#define HVDUMP_VM_RECORD_H

#include <jansson.h>

/* Update DIR/crash.json: set STATE (if not NULL) and the time, and merge the members of
 * CHANGES (stolen; may be NULL).  Failures are logged: the record is information, the dump and
 * the memory are what matter.  A final state (saved, saved-by-guest, discarded) drops the
 * space kept beside the record. */
void record_update(const char *dir, const char *state, json_t *changes);

#endif
