/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Retention of a dump directory: remove the oldest saved crashes until limits hold, as
 * `journalctl --vacuum-*` and kdump-tools' KDUMP_NUM_DUMPS do.  Only a crash whose dump is
 * finished (saved, saved-by-guest, discarded, dumped) is ever removed: one whose memory is
 * still preserved, unsaved or being saved is the only copy of its evidence, and is never
 * touched, whatever the limits say.  `hvdump vacuum` and the vacuum after each save of
 * `hvdump run` share it. */
#ifndef HVDUMP_VM_VACUUM_H
#define HVDUMP_VM_VACUUM_H

#include <stdbool.h>
#include <stdint.h>

struct vacuum_limits {
	long long keep;          /* keep at most this many saved crashes; -1: no such limit */
	uint64_t max_use, keep_free;
	bool has_max_use, has_keep_free;
	bool dry_run;            /* say what would go, remove nothing */
	bool to_log;             /* say it in the log (hvdump run); else stdout/stderr */
};

/* Does L set any limit? */
bool vacuum_limited(const struct vacuum_limits *l);

/* Remove the oldest saved crash directories of BASE until L holds, never SPARE (a crash
 * directory, e.g. one whose copy runs; may be NULL).  0 the limits hold, 1 they do not (only
 * crashes that may not be removed are left, or a removal failed: said), 2 BASE cannot be
 * read. */
int vacuum_run(const char *base, const struct vacuum_limits *l, const char *spare);

#endif
