// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>

#include "dump/release.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/config.h"
#include "vm/memback.h"

/* DIMMs hot-added per call: each is a few QMP round trips, and the supervisor has other work
 * (the rest follows at its next wakeup). */
#define GIVE_BACK_BATCH 32
/* Let the firmware and the decompressor go first: no probe before this into the boot. */
#define PROBE_FIRST_MS 500

_Static_assert(VM_BOOT_REGION_STEP == RELEASE_DIMM_ALIGN,
	       "default boot regions are whole blocks of the memory given back");

uint64_t memback_return_bytes(uint64_t memory, uint64_t boot_region)
{
	uint64_t rest = memory > boot_region ? memory - boot_region : 0;
	return (rest + RELEASE_DIMM_ALIGN - 1) & ~(RELEASE_DIMM_ALIGN - 1);
}

void memback_init(struct memback *mb, const char *run_dir, uint64_t memory, uint64_t boot_region,
		  unsigned hotplug_delay_s)
{
	memset(mb, 0, sizeof(*mb));
	snprintf(mb->dimms.dir, sizeof(mb->dimms.dir), "%s", run_dir);
	mb->memory = memory;
	mb->boot_region = boot_region;
	mb->hotplug_delay_s = hotplug_delay_s;
}

void memback_reset(struct memback *mb)
{
	dimms_forget(&mb->dimms);
	probe_reset(&mb->probe);
	mb->hotplug_after_ms = 0;
	mb->target = mb->pending = mb->added = mb->released = 0;
}

void memback_enter_capture(struct memback *mb, uint64_t boot_region)
{
	mb->boot_region = boot_region;
	mb->target = memback_return_bytes(mb->memory, mb->boot_region);
	mb->added = mb->released = 0;
	mb->hotplug_after_ms = 0;
	probe_reset(&mb->probe);
}

unsigned memback_slots(const struct memback *mb)
{
	uint64_t n = (mb->target + RELEASE_DIMM_ALIGN - 1) / RELEASE_DIMM_ALIGN + mb->dimms.n + 8;

	return n < RELEASE_SLOTS ? (unsigned)n : RELEASE_SLOTS;
}

void memback_boot_started(struct memback *mb)
{
	long long now = clock_ms();

	if (!mb->hotplug_after_ms)
		mb->hotplug_after_ms = now + (long long)mb->hotplug_delay_s * 1000;
	mb->boot_start_ms = now;
	mb->boot_start_cpu_us[0] = clock_cpu_us(true);
	mb->boot_start_cpu_us[1] = clock_cpu_us(false);
}

void memback_credit(struct memback *mb, uint64_t bytes)
{
	mb->released += bytes;
	mb->pending += bytes;
}

/* Say what the wait for the capture kernel cost us. */
static void log_up(const struct memback *mb, long long now)
{
	long long ms = now - mb->boot_start_ms;
	long long sup = clock_cpu_us(true) - mb->boot_start_cpu_us[0];
	long long all = clock_cpu_us(false) - mb->boot_start_cpu_us[1];

	log_info("the capture kernel is up (system_state %u); giving memory back", mb->probe.last);
	log_info("while the capture guest booted (%lld ms) hvdump's supervisor used %.1f ms of "
		 "CPU (%.1f%% of a core; boot probe: %u scans, %.1f ms), the rest of hvdump "
		 "%.1f ms", ms, (double)sup / 1000.0, ms > 0 ? (double)sup / 10.0 / (double)ms : 0.0,
		 mb->probe.scans, (double)mb->probe.scan_us / 1000.0, (double)(all - sup) / 1000.0);
}

bool memback_guest_up(struct memback *mb, int ram_fd, const struct notes_stale *stale)
{
	long long now = clock_ms();
	enum probe_state st;

	if (mb->probe.state == PROBE_UP)
		return true;
	if (now < mb->hotplug_after_ms - (long long)mb->hotplug_delay_s * 1000 + PROBE_FIRST_MS)
		return false;
	if (mb->probe.state == PROBE_BLIND || ram_fd < 0)
		return now >= mb->hotplug_after_ms;
	st = probe_look(&mb->probe, ram_fd, mb->boot_region, stale, now);
	if (st == PROBE_BLIND) {
		log_info("the capture kernel has no kallsyms in VMCOREINFO; hot-adding memory %u s "
			 "into its boot", mb->hotplug_delay_s);
		return now >= mb->hotplug_after_ms;
	}
	if (st == PROBE_UP)
		log_up(mb, now);
	return st == PROBE_UP;
}

void memback_give(struct memback *mb, struct qmp *q, const struct machine_layout *cur, bool final)
{
	uint64_t batch = 0;
	unsigned first = 0, n = 0;
	char a[32], b[32], c[32];

	while (q && n < GIVE_BACK_BATCH) {
		unsigned slots = mb->dimms.n < mb->slots ? mb->slots - mb->dimms.n : 0;
		uint64_t size = release_dimm_size(mb->pending, mb->added, mb->target,
						  mb->boot_region + mb->added, slots, final);
		char why[512];

		if (!size)
			break;
		if (dimms_add(&mb->dimms, q, dimms_window(cur), size, why, sizeof(why)) < 0) {
			log_warn("cannot give memory back to the guest: %s", why);
			mb->pending = 0; /* do not retry in a loop; the host memory is free */
			break;
		}
		if (!n++)
			first = mb->dimms.d[mb->dimms.n - 1].index;
		batch += size;
		mb->added += size;
		mb->pending -= size < mb->pending ? size : mb->pending;
	}
	if (mb->target && mb->added >= mb->target)
		mb->pending = 0; /* the rest freed was never the guest's to get back (the boot
				  * region's copies): nothing more is due */
	if (!n)
		return;
	log_info("gave %s back to the guest as %u DIMM%s (%u-%u) (%s of %s returned)",
		 size_human(batch, a, sizeof(a)), n, n == 1 ? "" : "s", first,
		 mb->dimms.d[mb->dimms.n - 1].index, size_human(mb->added, b, sizeof(b)),
		 size_human(mb->target, c, sizeof(c)));
	if (mb->added >= mb->target)
		log_info("the guest has all its memory back");
}

long long memback_wake_ms(const struct memback *mb, bool saver_held, bool final)
{
	/* a held saver or memory due wait for the capture kernel: the boot probe's next look */
	if ((mb->pending || saver_held) && mb->probe.state == PROBE_BLIND) {
		long long wait = mb->hotplug_after_ms - clock_ms();
		return wait > 0 ? wait : 0; /* the delay decides */
	}
	if ((mb->pending || saver_held) && mb->probe.state != PROBE_UP) {
		long long wait = mb->probe.next_ms - clock_ms();
		return wait > PROBE_INTERVAL_MS ? wait : PROBE_INTERVAL_MS;
	}
	if (!mb->pending)
		return -1;
	/* running: the saver's events bring the next DIMMs; the final ones, and what a batch
	 * left (a full block or more), are ours */
	return final || mb->pending >= RELEASE_DIMM_ALIGN ? 0 : -1;
}
