/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The next (or current) boot of a VM: its RAM file layout, the System RAM its kernel has, and
 * whether it is a capture boot with the last crash as /proc/vmcore. */
#ifndef HVDUMP_VM_BOOT_H
#define HVDUMP_VM_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dump/layout.h"
#include "vm/config.h"

struct boot {
	struct machine_layout cur;     /* RAM file layout of this boot */
	struct mem_range ram[LAYOUT_MAX_RANGES]; /* the running kernel's RAM */
	size_t nram;
	bool fresh_ram;                /* create the RAM file anew (zeroed) */
	bool capture;                  /* a capture boot: /proc/vmcore holds the last crash */
	uint64_t elfcorehdr;           /* with CAPTURE: the ELF core header's address */
	uint64_t boot_region;          /* with CAPTURE: mem= */
	const char *kernel, *initrd;   /* with CAPTURE: what it boots (initrd NULL: none) */
	const char *cmdline;           /* with CAPTURE: the command line before its own
					* parameters */
	/* of the boot files, for the capture layout */
	uint64_t initrd_size;
	uint64_t initrd_addr_max;
};

/* Read the initrd's size and the kernel's initrd_addr_max.  0 or -errno. */
__attribute__((warn_unused_result)) int boot_read_files(struct boot *b, const struct vm_config *c);

/* Read KERNEL's initrd_addr_max (the boot protocol's default when KERNEL is NULL).  0 or
 * -errno. */
__attribute__((warn_unused_result)) int boot_read_kernel(struct boot *b, const char *kernel);

/* The next boot is an ordinary one: fresh zeroed RAM of the configured size. */
void boot_production(struct boot *b, const struct vm_config *c);

/* The next boot is a capture boot in the RAM file laid out as NEXT, its header at HDR_GPA,
 * of KERNEL and INITRD (NULL: none) with CMDLINE in BOOT_REGION bytes.  The strings must
 * outlive the boot. */
void boot_capture(struct boot *b, const struct machine_layout *next, uint64_t hdr_gpa,
		  uint64_t boot_region, const char *kernel, const char *initrd,
		  const char *cmdline);

/* The kernel command line of boot B (malloc'd, NULL without memory). */
char *boot_append(const struct vm_config *c, const struct boot *b);

#endif
