/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The QEMU command line for one boot of a VM, built in one place, in a fixed order. */
#ifndef HVDUMP_QEMU_CMDLINE_H
#define HVDUMP_QEMU_CMDLINE_H

#include <stddef.h>
#include <stdint.h>

#include "util/argv.h"

/* The virtio-serial port of the guest saver (phyp's release_region, over a socket). */
#define HVDUMP_SAVE_PORT "org.hvdump.save"

/* A pc-dimm attached at start-up: a DIMM file of an earlier boot that holds crashed memory,
 * re-attached read-only at the guest-physical address it had. */
struct qemu_dimm {
	unsigned index;          /* backend "hvdimmINDEX", device "dimmINDEX" */
	const char *path;
	uint64_t gpa, size;
};

struct qemu_boot {
	const char *qemu;        /* the qemu-system-x86_64 binary */
	const char *name;        /* the VM's name (-name guest=) */
	unsigned cpus;
	const char *kernel, *initrd; /* initrd may be NULL */
	const char *const *disks; /* NDISKS disk images, attached as virtio drives */
	size_t ndisks;
	const char *accel;       /* "kvm" or "tcg" */
	const char *cpu_model;   /* resolved -cpu */
	const char *ram_path;    /* file backing guest RAM */
	uint64_t ram_size;       /* -m and backend size */
	uint64_t lowmem_pin;     /* value for max-ram-below-4g */
	const char *append;      /* final kernel command line */
	unsigned slots;          /* memory hotplug slots (0: no hotplug) */
	uint64_t maxmem;         /* with slots: RAM plus the device-memory span in use */
	const struct qemu_dimm *dimms; /* with slots: DIMMs attached at start-up, read-only */
	size_t ndimms;
	int qmp_fd;              /* listening sockets QEMU inherits */
	const char *console_path;     /* PATH.in and PATH.out: the serial console's FIFOs */
	int save_port_fd;        /* > 0: a virtio-serial port org.hvdump.save on this socket */
};

/* Build the argv for QEMU.  Returns 0 or -ENOMEM. */
__attribute__((warn_unused_result)) int qemu_build_argv(const struct qemu_boot *b,
							 struct argv *out);

/* Guess a disk image's format from its first bytes: "qcow2" or "raw". */
const char *qemu_disk_format(const unsigned char *head, size_t len);

#endif
