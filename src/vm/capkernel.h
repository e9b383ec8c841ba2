/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel a capture boot starts: the one given with --kernel, or, for a guest booted from
 * its disk, the kernel that crashed, read from that disk (disk/guestboot.h), with the command
 * line it had (dump/kcmdline_ram.h).  Decided after QEMU is gone, before the capture layout
 * (whose zones depend on the initrd) and before anything overwrites the crashed RAM. */
#ifndef HVDUMP_VM_CAPKERNEL_H
#define HVDUMP_VM_CAPKERNEL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "dump/notes.h"
#include "vm/boot.h"
#include "vm/config.h"

struct capture_kernel {
	char kernel[PATH_MAX];   /* the capture kernel ("" only before capkernel_prepare()) */
	char initrd[PATH_MAX];   /* its initrd, "" for none */
	char *cmdline;           /* the base command line, before the capture's own parameters
				  * (malloc'd; "" for none) */
	char release[65];        /* the crashed kernel's release ("" with --kernel) */
	uint64_t initrd_size, initrd_addr_max;
	uint64_t boot_region;    /* mem= of the capture boot */
	bool from_disk;
	long long fetch_ms;      /* reading the disk, with the command line */
};

/* Decide CK for the capture boot after the crash of boot CRASHED.  With cfg->kernel: that
 * kernel, initrd and --append, the boot region of the configuration.  Without: the release
 * of the crashed kernel from NOTES (VMCOREINFO's OSRELEASE), its command line from the
 * crashed RAM (RAM_FD, laid out as CRASHED), cleaned of what a crash and a capture boot put
 * there (mem=, elfcorehdr=, crashkernel=, hvdump's hotplug parameters), its vmlinuz and initrd
 * copied from the first disk that has them into OUTDIR; a crashed capture boot reuses what
 * its own boot had (PREV, when it is from disk).  The boot region, unless --boot-region gave
 * it, is the default for that initrd.  0, or -errno with WHY saying exactly what was looked
 * for and what is missing (the crash is then kept, never half booted). */
__attribute__((warn_unused_result)) int capkernel_prepare(const struct vm_config *cfg,
							   const struct boot *crashed,
							   const struct capture_kernel *prev,
							   int ram_fd, const struct crash_notes *notes,
							   const char *outdir,
							   struct capture_kernel *ck, char *why,
							   size_t whylen);

/* CMDLINE without the parameters a crashed or capture kernel's line holds that the next
 * capture boot must not inherit: mem=, elfcorehdr=, crashkernel=, memhp_default_state=,
 * memory_hotplug.memmap_on_memory=.  malloc'd, NULL without memory. */
char *capkernel_clean_cmdline(const char *cmdline);

/* Remove the kernel and initrd CK fetched from the guest's disk (none with --kernel). */
void capkernel_remove_files(const struct capture_kernel *ck);

/* Free what CK holds and empty it. */
void capkernel_clear(struct capture_kernel *ck);

/* Copy SRC into DST (DST's old contents freed).  0 or -ENOMEM. */
__attribute__((warn_unused_result)) int capkernel_copy(struct capture_kernel *dst,
							const struct capture_kernel *src);

#endif
