/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Choosing the accelerator: KVM only where it really runs a stock guest, TCG otherwise. */
#ifndef HVDUMP_QEMU_ACCEL_H
#define HVDUMP_QEMU_ACCEL_H

#include <stdbool.h>

struct accel_probe {
	bool kvm_ok;
	bool cached;          /* the answer came from this host boot's probe cache */
	char reason[256];     /* why KVM was or was not chosen, in operator terms */
};

/* Decide whether KVM works on this host: /dev/kvm must open and speak API 12, and QEMU with
 * -accel kvm must boot KERNEL far enough to reach its root-mount panic within a few seconds.
 * The answer is cached per host boot (keyed by boot_id and the QEMU binary) under
 * CACHE_DIR if that is not NULL.  Never fails: any problem is a reason to use TCG. */
void accel_probe_kvm(const char *qemu, const char *kernel, const char *cache_dir,
		     struct accel_probe *out);

/* The default cache directory: $XDG_CACHE_HOME/hvdump or ~/.cache/hvdump (static storage). */
const char *accel_cache_dir(void);

#endif
