// SPDX-License-Identifier: GPL-2.0-or-later
// Giving memory back (src/vm/memback.h), the parts with no QEMU and no RAM file: how much is
// due after a crash, how many DIMM slots a capture QEMU gets, what a credit does, what a
// capture boot keeps, and when the supervisor should look again (memback_wake_ms) for each
// state of the boot probe.
#include <stdio.h>
#include <string.h>

#include "dump/release.h"
#include "tap.h"
#include "util/clock.h"
#include "vm/memback.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define BLK RELEASE_DIMM_ALIGN

static struct memback mb; /* holds a dimm_set: a megabyte, not on the stack */

static void t_return_bytes(void)
{
	tap_is_int(memback_return_bytes(4 * GiB, 384 * MiB), 4 * GiB - 384 * MiB,
		   "4G guest, 384M boot region: 3712M (29 blocks)");
	tap_is_int(memback_return_bytes(4 * GiB, 400 * MiB), 4 * GiB - 384 * MiB,
		   "4G, 400M: 3696M rounded up to a whole block");
	tap_is_int(memback_return_bytes(385 * MiB, 384 * MiB), BLK,
		   "1M more than the region: a block");
	tap_is_int(memback_return_bytes(384 * MiB, 384 * MiB), 0, "the region is all of it: 0");
	tap_is_int(memback_return_bytes(256 * MiB, 384 * MiB), 0, "a region larger than memory: 0");
	tap_is_int(memback_return_bytes(1024 * GiB, 512 * MiB), 1024 * GiB - 512 * MiB, "1T, 512M");
}

static void t_slots(void)
{
	memset(&mb, 0, sizeof(mb));
	tap_is_int(memback_slots(&mb), 8, "nothing due, no DIMMs: the 8 spare");
	mb.target = memback_return_bytes(4 * GiB, 384 * MiB);
	tap_is_int(memback_slots(&mb), 37, "4G guest, 384M region: 29 blocks + 8");
	mb.target = 100 * MiB;
	tap_is_int(memback_slots(&mb), 9, "100M due: one block + 8");
	mb.target = 29 * BLK;
	mb.dimms.n = 3;
	tap_is_int(memback_slots(&mb), 40, "29 blocks and 3 DIMMs to re-attach: 40");
	mb.dimms.n = 0;
	mb.target = (RELEASE_SLOTS - 8) * BLK;
	tap_is_int(memback_slots(&mb), RELEASE_SLOTS, "248 blocks: exactly the 256 slots");
	mb.target += 1;
	tap_is_int(memback_slots(&mb), RELEASE_SLOTS, "a byte more: still 256 (the cap)");
	mb.target = 64 * GiB;
	tap_is_int(memback_slots(&mb), RELEASE_SLOTS, "64G due: 256");
	mb.target = ~0ull - BLK;
	tap_is_int(memback_slots(&mb), RELEASE_SLOTS, "absurd target: 256, no wrap");
}

static void t_credit_and_capture(void)
{
	memback_init(&mb, "/run/hvdump/x", 4 * GiB, 384 * MiB, 30);
	tap_ok(!strcmp(mb.dimms.dir, "/run/hvdump/x") && mb.memory == 4 * GiB &&
	       mb.boot_region == 384 * MiB && mb.hotplug_delay_s == 30 && mb.target == 0 &&
	       mb.pending == 0 && mb.added == 0 && mb.released == 0 && mb.dimms.n == 0,
	       "memback_init: the configuration, nothing due");

	memback_credit(&mb, 5 * BLK);
	tap_ok(mb.pending == 5 * BLK && mb.released == 5 * BLK && mb.added == 0 && mb.target == 0,
	       "credit 5 blocks: pending and released 5 blocks");
	memback_credit(&mb, 4096);
	tap_ok(mb.pending == 5 * BLK + 4096 && mb.released == 5 * BLK + 4096,
	       "credit a page more: both grow by it");
	memback_credit(&mb, 0);
	tap_ok(mb.pending == 5 * BLK + 4096 && mb.released == 5 * BLK + 4096, "credit 0: no change");

	/* a capture guest crashed before all came back: the next capture boot */
	mb.added = 2 * BLK;
	mb.hotplug_after_ms = 12345;
	mb.probe.state = PROBE_UP;
	mb.probe.scans = 4;
	mb.probe.paddr = 0x1080000;
	memback_enter_capture(&mb, mb.boot_region);
	tap_is_int(mb.target, 29 * BLK, "enter_capture: the whole return is due (29 blocks)");
	tap_is_int(mb.pending, 5 * BLK + 4096,
		   "... what was freed and not given back stays pending");
	tap_ok(mb.added == 0 && mb.hotplug_after_ms == 0, "... nothing added yet, no deadline");
	tap_ok(mb.probe.state == PROBE_UNKNOWN && mb.probe.scans == 0 && mb.probe.paddr == 0 &&
	       mb.probe.buf == NULL, "... and the probe starts over");
}

static void t_wake(void)
{
	static const enum probe_state states[] = { PROBE_UNKNOWN, PROBE_BLIND, PROBE_UP };
	long long w, now;
	int all = 1;

	memset(&mb, 0, sizeof(mb));
	for (unsigned i = 0; i < 3; i++) {
		mb.probe.state = states[i];
		all &= memback_wake_ms(&mb, false, false) == -1 &&
		       memback_wake_ms(&mb, false, true) == -1;
	}
	tap_ok(all, "nothing pending, no saver held: -1 in every probe state, final or not");

	/* waiting for the capture kernel */
	mb.probe.state = PROBE_UNKNOWN;
	mb.pending = BLK;
	mb.probe.next_ms = 0;
	tap_is_int(memback_wake_ms(&mb, false, false), PROBE_INTERVAL_MS,
		   "memory due, probe not up, its next look already due: the probe interval");
	tap_is_int(memback_wake_ms(&mb, false, true), PROBE_INTERVAL_MS, "... final too");
	now = clock_ms();
	mb.probe.next_ms = now + 800;
	w = memback_wake_ms(&mb, false, false);
	tap_ok(w <= 800 && w >= 800 - (clock_ms() - now) - 1,
	       "the probe's next look 800 ms away: %lld ms", w);
	mb.probe.next_ms = clock_ms() + 50;
	tap_is_int(memback_wake_ms(&mb, false, false), PROBE_INTERVAL_MS,
		   "its next look 50 ms away: not sooner than the probe interval");
	mb.pending = 0;
	mb.probe.next_ms = 0;
	tap_is_int(memback_wake_ms(&mb, true, false), PROBE_INTERVAL_MS,
		   "a saver held, nothing pending: the probe interval too");
	mb.probe.state = PROBE_BLIND;
	mb.pending = 4096;
	mb.hotplug_after_ms = 0;
	tap_is_int(memback_wake_ms(&mb, false, false), 0,
		   "blind probe, memory due, the delay over: now");
	mb.hotplug_after_ms = clock_ms() + 60000;
	{
		long long due = memback_wake_ms(&mb, false, false);
		tap_ok(due > 59000 && due <= 60000,
		       "blind probe, memory due: when the delay ends (%lld ms)", due);
	}
	mb.hotplug_after_ms = 0;

	/* the capture kernel is up */
	mb.probe.state = PROBE_UP;
	mb.pending = 0;
	tap_is_int(memback_wake_ms(&mb, true, false), -1, "up, saver held, nothing pending: -1");
	mb.pending = BLK - 4096;
	tap_is_int(memback_wake_ms(&mb, false, false), -1,
		   "up, less than a block pending: -1 (the saver's events bring more)");
	tap_is_int(memback_wake_ms(&mb, false, true), 0, "... unless final: 0");
	mb.pending = BLK;
	tap_is_int(memback_wake_ms(&mb, false, false), 0, "up, a block pending: 0");
	mb.pending = 3 * BLK + 1;
	tap_is_int(memback_wake_ms(&mb, true, false), 0, "up, more than three blocks: 0");
}

int main(void)
{
	t_return_bytes();
	t_slots();
	t_credit_and_capture();
	t_wake();
	return tap_done();
}
