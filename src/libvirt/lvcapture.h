/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The capture domain: after a libvirt domain's crash is kept (libvirt/lvcrash.h), the crashed
 * domain is destroyed and a transient domain with the same name and UUID boots the capture
 * kernel on the kept RAM file (libvirt/capxml.h); the dump is saved while it runs and its
 * memory comes back as pc-dimms through a QMP monitor of hvdump's own on that QEMU.  The
 * companion's loop steps each capture between libvirt's events (docs/hvdump-libvirt.md). */
#ifndef HVDUMP_LIBVIRT_LVCAPTURE_H
#define HVDUMP_LIBVIRT_LVCAPTURE_H

#include <stdbool.h>

#include "libvirt/conn.h"
#include "vm/crashflow.h"

struct lvcapture;

/* What a capture starts from: the crash kept by lvcrash (its RAM file RD->ram, the crashed
 * boot BOOT, the crash CR with its notes and directory), the domain's running XML as libvirt
 * gave it (LIVE_XML) and the configuration CFG (the domain's memory, kernel or disk filled
 * in). */
struct lvcapture_in {
	const char *name, *uuid;
	const struct vm_config *cfg;
	const struct rundir *rd;
	const struct boot *boot;
	const struct dimm_set *dimms;
	struct crash *cr;
	const char *live_xml;
	const char *confinement;   /* libvirt's confining driver of the domain, NULL: none */
};

/* Destroy the crashed domain, lay out the capture boot in the kept file, start the capture
 * domain and its save.  0 with *OUT (the caller steps it, lvcapture_step(), until it ends);
 * -errno after logging what failed: the crash then stays kept in RD (its record says why),
 * and the domain was started afresh from its persistent definition when it had been
 * destroyed already. */
__attribute__((warn_unused_result)) int lvcapture_start(struct lvconn *l,
							 const struct lvcapture_in *in,
							 struct lvcapture **out);

/* Work on capture C: QEMU's events, the saver's news, memory due back.  False once C is over
 * (its QEMU gone, everything cleaned up or kept): lvcapture_free() it. */
bool lvcapture_step(struct lvcapture *c, struct lvconn *l);

/* Is C serving domain NAME (its crash is the one the capture guest runs on)? */
bool lvcapture_is(const struct lvcapture *c, const char *name);

/* Is C still saving or giving memory back (the loop should look often)? */
bool lvcapture_busy(const struct lvcapture *c);

/* The capture domain itself crashed: say what is kept; the domain stays paused. */
void lvcapture_crashed(struct lvcapture *c);

/* hvdump stops: end C's save (what is durable stays saved), keep what is unsaved where the
 * record says, leave the domain running. */
void lvcapture_abandon(struct lvcapture *c);

void lvcapture_free(struct lvcapture *c);

#endif
