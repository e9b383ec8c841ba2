// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm/boot.h"

int boot_read_files(struct boot *b, const struct vm_config *c)
{
	struct stat st;

	b->initrd_size = 0;
	if (c->initrd) {
		if (stat(c->initrd, &st) < 0)
			return -errno;
		b->initrd_size = (uint64_t)st.st_size;
	}
	return boot_read_kernel(b, c->kernel);
}

int boot_read_kernel(struct boot *b, const char *kernel)
{
	unsigned char head[0x240];
	ssize_t n = 0;
	int fd = kernel ? open(kernel, O_RDONLY | O_CLOEXEC) : -1;

	if (kernel && fd < 0)
		return -errno;
	if (fd >= 0) {
		n = pread(fd, head, sizeof(head), 0);
		close(fd);
	}
	b->initrd_addr_max = layout_initrd_addr_max(head, n > 0 ? (size_t)n : 0);
	return 0;
}

void boot_production(struct boot *b, const struct vm_config *c)
{
	b->cur.ram_size = c->memory;
	b->cur.lowmem = vm_lowmem(c);
	b->nram = layout_production_ram(&b->cur, b->ram);
	b->fresh_ram = true;
	b->capture = false;
	b->elfcorehdr = 0;
}

void boot_capture(struct boot *b, const struct machine_layout *next, uint64_t hdr_gpa,
		  uint64_t boot_region, const char *kernel, const char *initrd,
		  const char *cmdline)
{
	b->cur = *next;
	b->boot_region = boot_region;
	b->kernel = kernel;
	b->initrd = initrd;
	b->cmdline = cmdline;
	b->nram = layout_capture_ram(boot_region, b->ram);
	b->fresh_ram = false;
	b->capture = true;
	b->elfcorehdr = hdr_gpa;
}

/* Does the guest's own command line LINE set PARAM (e.g. "swiotlb=")? */
static bool user_sets(const char *line, const char *param)
{
	size_t n = strlen(param);

	for (const char *p = line; p && (p = strstr(p, param)); p += n)
		if (p == line || p[-1] == ' ')
			return true;
	return false;
}

/* The capture kernel's command line adds to the guest's:
 *   mem=B elfcorehdr=...                 boot in the boot region, find the crash
 *   memhp_default_state=online           use memory as it comes back
 *   memory_hotplug.memmap_on_memory=1    each returned block carries its own struct pages
 *                                        (release_dimm_size()), so the guest ends with the
 *                                        MemTotal it had and never pays for them from the
 *                                        boot region
 *   swiotlb=1024                         only when the crashed guest had no RAM above 4 GiB:
 *                                        such a kernel had no bounce buffer, but the capture
 *                                        QEMU's hot-pluggable memory above 4 GiB would make
 *                                        the kernel take its default 64 MiB of the boot
 *                                        region; 2 MiB keeps a 32-bit DMA device working.
 *                                        With RAM above 4 GiB both kernels take the default.
 * Nothing is reserved in the boot region only to make numbers match. */
char *boot_append(const struct vm_config *c, const struct boot *b)
{
	const char *user = c->append ? c->append : "";
	char *out = NULL;
	int n;

	if (!b->capture)
		return strdup(user);
	if (b->cmdline)
		user = b->cmdline;
	n = asprintf(&out, "%s%s%s mem=%lluM elfcorehdr=0x%llx memhp_default_state=online "
		     "memory_hotplug.memmap_on_memory=1%s",
		     user, c->capture_append ? " " : "", c->capture_append ? c->capture_append : "",
		     (unsigned long long)(b->boot_region >> 20), (unsigned long long)b->elfcorehdr,
		     c->memory <= vm_lowmem(c) && !user_sets(user, "swiotlb=") ? " swiotlb=1024"
										     : "");
	return n < 0 ? NULL : out;
}
