/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The QEMU command line for one boot of a VM, built in one place, in a fixed order. */
#ifndef HVDUMP_QEMU_CMDLINE_H
#define HVDUMP_QEMU_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qemu/hw.h"
#include "qemu/user.h"
#include "util/argv.h"

/* The virtio-serial port of the guest saver (phyp's release_region, over a socket). */
#define HVDUMP_SAVE_PORT "org.hvdump.save"

/* The console's FIFOs are handed to QEMU as these fd sets (-add-fd); the serial port starts
 * on a null chardev and is switched to them over QMP (chardev-change) once QEMU is up and
 * paused, before the guest runs. */
#define QEMU_CONSOLE_FDSET_IN 1
#define QEMU_CONSOLE_FDSET_OUT 2

/* A pc-dimm attached at start-up: a DIMM file of an earlier boot that holds crashed memory,
 * re-attached read-only at the guest-physical address it had. */
struct qemu_dimm {
	unsigned index;          /* backend "hvdimmINDEX", device "dimmINDEX" */
	const char *path;        /* where the file is (for messages) */
	int fd;                  /* the file, opened by us; QEMU inherits it */
	uint64_t gpa, size;
};

struct qemu_boot {
	const char *qemu;        /* the qemu-system-x86_64 binary */
	const struct qemu_user *user; /* who QEMU runs as (qemu_spawn()); NULL: as we do */
	const char *name;        /* the VM's name (-name guest=) */
	unsigned cpus;
	enum qemu_machine machine;
	const char *uefi_code;   /* non-NULL: OVMF, with the variable store UEFI_VARS_FD */
	int uefi_vars_fd;        /* the VM's variable store, opened by us; QEMU inherits it */
	const char *kernel, *initrd; /* kernel NULL: the firmware boots the first disk; initrd
				  * may be NULL */
	const int *file_fds;     /* NFILE_FDS more descriptors QEMU inherits (kernel and initrd
				  * named /proc/self/fd/N) */
	size_t nfile_fds;
	const struct qemu_disk *disks; /* NDISKS disk images, virtio, formats known */
	size_t ndisks;
	const struct qemu_nic *nics; /* NNICS virtio-net cards, MACs set */
	size_t nnics;
	const char *const *extra; /* NEXTRA words appended (--qemu-arg, checked) */
	size_t nextra;
	bool sandbox;            /* -sandbox QEMU_SANDBOX_OPTS (qemu/sandbox.h) */
	const char *accel;       /* "kvm" or "tcg" */
	const char *cpu_model;   /* resolved -cpu */
	int ram_fd;              /* the file backing guest RAM, opened by us; QEMU inherits it */
	uint64_t ram_size;       /* -m and backend size */
	uint64_t lowmem_pin;     /* value for max-ram-below-4g */
	const char *append;      /* final kernel command line */
	unsigned slots;          /* memory hotplug slots (0: no hotplug) */
	uint64_t maxmem;         /* with slots: RAM plus the device-memory span in use */
	const struct qemu_dimm *dimms; /* with slots: DIMMs attached at start-up, read-only */
	size_t ndimms;
	int qmp_fd;              /* listening sockets QEMU inherits */
	int console_in_fd, console_out_fd; /* QEMU's ends of the serial console's FIFOs
				  * (read-only, write-only), inherited */
	const char *console_path; /* PATH.in and PATH.out: where those FIFOs are (for ps) */
	int save_port_fd;        /* > 0: a virtio-serial port org.hvdump.save on this socket */
	bool watchdog;           /* an i6300esb; every boot gets -action watchdog=pause */
};

/* Build the argv for QEMU.  Returns 0 or -ENOMEM.
 *
 * QEMU opens no file of the run directory by name: the RAM file and the DIMM files are
 * descriptors it inherits, named /proc/self/fd/N (reopening that link reaches the file
 * hvdump opened, whatever became of its path, and needs no access to the directory), the
 * console's FIFOs are fd sets, the UEFI variable store is a descriptor too.  The kernel,
 * initrd, disks and UEFI code are the operator's paths. */
__attribute__((warn_unused_result)) int qemu_build_argv(const struct qemu_boot *b,
							 struct argv *out);

/* The descriptors QEMU must inherit for boot B, into OUT (room for QEMU_BOOT_MAX_FDS).
 * Returns how many. */
#define QEMU_BOOT_MAX_FDS (8 + 256)
size_t qemu_boot_fds(const struct qemu_boot *b, int *out);

/* Guess a disk image's format from its first bytes: "qcow2" or "raw". */
const char *qemu_disk_format(const unsigned char *head, size_t len);

#endif
