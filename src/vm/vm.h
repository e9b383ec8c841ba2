/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running and supervising one VM: QEMU start, console, QMP events, reboot, crash, shutdown. */
#ifndef HVDUMP_VM_VM_H
#define HVDUMP_VM_VM_H

#include "vm/config.h"

/* Exit codes of `hvdump run`, documented in docs/hvdump-run.md. */
enum vm_exit {
	VM_EXIT_POWEROFF = 0, /* the guest powered itself off */
	VM_EXIT_ERROR = 1,    /* hvdump itself failed */
	VM_EXIT_USAGE = 2,    /* bad options or input files; nothing was started */
	VM_EXIT_QEMU = 3,     /* QEMU failed to start or died unexpectedly */
	VM_EXIT_CRASHED = 4,  /* a crash's memory is kept unsaved (or dropped: --on-crash
			       * poweroff); see the log and the records */
	VM_EXIT_STOPPED = 5,  /* stopped by a signal; the guest was forced off */
	VM_EXIT_CRASH_LOOP = 6, /* capture guests kept crashing before they were in service:
				 * no more capture boots; every unsaved crash is kept */
};

/* Check the input files named by CFG (kernel is a bzImage, initrd and disks readable, the
 * UEFI code; with --qemu-user, by that user too, and /dev/kvm for --accel kvm), and set each
 * disk's format that was not given from its first bytes.
 * Returns 0 or -errno with a one-line explanation in MSG. */
__attribute__((warn_unused_result)) int vm_check_files(struct vm_config *cfg, char *msg,
							size_t msglen);

/* Run the VM until it powers off, crashes (per cfg->on_crash) or is stopped.  Blocks the
 * termination signals and handles them itself.  Returns an enum vm_exit code. */
int vm_run(const struct vm_config *cfg);

#endif
