/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Has the capture kernel finished booting?  A kernel booted with mem= refuses hot-added memory
 * above it until system_state reaches SYSTEM_RUNNING, and says so only on its console.  So we
 * look: the capture kernel's own VMCOREINFO note is in its boot region (the RAM file's first
 * B bytes), its kallsyms give system_state's address, and the value is read from the same
 * file.  RUNNING is 2 or 3 depending on the kernel version and is the state that lasts: a
 * value of at least 2, the same for PROBE_STABLE_MS, counts.  Without kallsyms in VMCOREINFO
 * (before 6.0) the probe is blind and a delay must decide.
 *
 * The look must cost the booting guest nothing: the region is scanned from the bottom (where
 * the kernel's early allocations land) with large reads, skipping what the guest has not
 * written; a scan waits PROBE_IDLE_FACTOR times its own duration after the last
 * (PROBE_INTERVAL_MS to PROBE_MAX_WAIT_MS), so the waiting takes a few percent of a core at
 * most, whatever the region's size.  Reads, not a mapping: a read of a hole allocates
 * nothing on the host. */
#ifndef HVDUMP_VM_PROBE_H
#define HVDUMP_VM_PROBE_H

#include <stdint.h>

#include "dump/notes.h"

#define PROBE_INTERVAL_MS 200
#define PROBE_MAX_WAIT_MS 1000
#define PROBE_IDLE_FACTOR 30
#define PROBE_STABLE_MS 500

enum probe_state {
	PROBE_BLIND = -1,      /* this kernel cannot tell us (no kallsyms in VMCOREINFO) */
	PROBE_UNKNOWN = 0,     /* not up yet, as far as we can see */
	PROBE_UP = 1,          /* system_state RUNNING, steadily */
};

struct boot_probe {
	enum probe_state state;
	uint8_t *buf;          /* NOTES_SCAN_BUF bytes for its scans */
	uint64_t paddr;        /* of the capture kernel's system_state, 0 until found */
	uint32_t last;         /* last value read */
	long long last_ms;     /* when it was first seen with that value */
	long long next_ms;     /* no scan before this */
	unsigned scans;        /* scans so far and their cost */
	long long scan_us;
};

/* Forget what was found (free the buffer): a new capture kernel boots. */
void probe_reset(struct boot_probe *p);

/* One look at the capture kernel in [0, REGION) of the RAM file FD at NOW_MS (monotonic),
 * skipping the notes of STALE kernels.  Returns the state after it; a scan for the note is
 * made only from p->next_ms on. */
enum probe_state probe_look(struct boot_probe *p, int fd, uint64_t region,
			    const struct notes_stale *stale, long long now_ms);

#endif
