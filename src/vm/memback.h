/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Giving memory back to a capture guest: what was freed on the host and is due, the DIMMs it
 * comes back as, and when the guest can take it (the boot probe, or a delay).  The order is
 * the contract: memory is credited here only after its dump data is durable and it was freed
 * on the host; then the same amount is hot-added. */
#ifndef HVDUMP_VM_MEMBACK_H
#define HVDUMP_VM_MEMBACK_H

#include <stdbool.h>
#include <stdint.h>

#include "dump/layout.h"
#include "dump/notes.h"
#include "qemu/qmp.h"
#include "vm/dimms.h"
#include "vm/probe.h"

struct memback {
	struct dimm_set dimms;
	struct boot_probe probe;
	uint64_t target;       /* memory to hot-add in all: pre-crash RAM minus the boot region */
	uint64_t pending;      /* freed on the host, not yet returned */
	uint64_t added;        /* returned as DIMMs */
	uint64_t released;     /* freed on the host in all */
	unsigned slots;        /* DIMM slots of this capture QEMU */
	long long hotplug_after_ms; /* without the probe, no hot-add before this: the kernel
				     * refuses memory above mem= until it has booted */
	long long boot_start_ms, boot_start_cpu_us[2]; /* the capture QEMU started; our CPU time
							* then: supervisor thread, process */
	/* the VM's configuration */
	uint64_t memory, boot_region;
	unsigned hotplug_delay_s;
};

/* Memory to hot-add after a crash of a guest with MEMORY bytes of RAM: all but the boot
 * region, in whole memory blocks. */
uint64_t memback_return_bytes(uint64_t memory, uint64_t boot_region);

void memback_init(struct memback *mb, const char *run_dir, uint64_t memory, uint64_t boot_region,
		  unsigned hotplug_delay_s);

/* A fresh production boot: remove the DIMM files, nothing is due. */
void memback_reset(struct memback *mb);

/* The next boot is a capture boot in BOOT_REGION bytes: the whole return (RAM beyond it) is
 * due again.  What was freed and not yet given back stays pending (a capture guest that
 * crashed before its memory returned passes it on); the DIMMs it did get hold the new crash
 * and come back as that crash is saved. */
void memback_enter_capture(struct memback *mb, uint64_t boot_region);

/* DIMM slots for the capture QEMU: one per block to give back, the DIMMs it re-attaches, a few
 * spare, at most RELEASE_SLOTS (the guest's kernel walks every slot while it boots). */
unsigned memback_slots(const struct memback *mb);

/* The capture QEMU runs: start the clocks (the probe, the delay, the CPU account). */
void memback_boot_started(struct memback *mb);

/* BYTES were freed on the host: they are due back. */
void memback_credit(struct memback *mb, uint64_t bytes);

/* Can the capture guest take memory now?  Looks with the boot probe at the RAM file RAM_FD
 * (-1: use the delay), skipping STALE kernels' notes; says once when it is up. */
bool memback_guest_up(struct memback *mb, int ram_fd, const struct notes_stale *stale);

/* Hot-add what is due as DIMMs through Q (FINAL: everything left), at most a batch per call.
 * CUR is the running boot's layout.  The caller checked memback_guest_up(). */
void memback_give(struct memback *mb, struct qmp *q, const struct machine_layout *cur,
		  bool final);

/* Milliseconds until memory (or a saver held for the booting guest, SAVER_HELD) wants another
 * look: -1 nothing pending, 0 now.  FINAL: nothing is left to save, all of it is due. */
long long memback_wake_ms(const struct memback *mb, bool saver_held, bool final);

#endif
