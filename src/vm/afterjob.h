/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The work after a save outcome, in a process of its own (the supervisor never waits for
 * it): after a saved dump, its off-host copy (--dump-target), then the --on-saved hook, then
 * the vacuum of the dump directory; after a failed save, the --on-save-failed hook.  What it
 * does is logged, and the copy's result is merged into the crash's record. */
#ifndef HVDUMP_VM_AFTERJOB_H
#define HVDUMP_VM_AFTERJOB_H

#include <stdbool.h>

#include "vm/config.h"

/* Start it for the crash in DIR (SAVED: its dump is saved, else the save failed); nothing
 * when C asks for none of it.  A process that cannot be started is a warning. */
void afterjob_start(const struct vm_config *c, const char *dir, bool saved);

/* Run shell command CMD with the environment of an outcome (EVENT, the crash in DIR) for at
 * most TIMEOUT_S seconds (then its process group is stopped), and log how it ended; NAME
 * names it in the log.  Blocks.  0 (it exited 0) or -1. */
int afterjob_hook(const char *name, const char *cmd, const char *event, const struct vm_config *c,
		  const char *dir, unsigned timeout_s);

#endif
