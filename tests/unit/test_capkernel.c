// SPDX-License-Identifier: GPL-2.0-or-later
// The capture kernel's choice (src/vm/capkernel.c) where no disk is needed: the command line a
// capture boot inherits, the configured kernel, and the refusals of a disk boot that cannot
// name its kernel.
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vm/capkernel.h"
#include "tap.h"

static void clean(const char *in, const char *want)
{
	char *got = capkernel_clean_cmdline(in);

	tap_ok(got && !strcmp(got, want), "clean '%s' -> '%s' (got '%s')", in, want,
	       got ? got : "(null)");
	free(got);
}

int main(void)
{
	const uint64_t M = 1ull << 20, G = 1ull << 30;
	struct vm_config cfg;
	struct boot crashed;
	struct crash_notes notes;
	struct capture_kernel ck = { .cmdline = NULL }, prev = { .cmdline = NULL };
	char why[1024];

	clean("BOOT_IMAGE=/boot/vmlinuz-6.1.0-27-cloud-amd64 root=UUID=abc ro console=ttyS0,115200",
	      "BOOT_IMAGE=/boot/vmlinuz-6.1.0-27-cloud-amd64 root=UUID=abc ro console=ttyS0,115200");
	clean("root=/dev/vda1 crashkernel=512M quiet", "root=/dev/vda1 quiet");
	clean("root=/dev/vda1 ro mem=256M elfcorehdr=0x100000000 memhp_default_state=online "
	      "memory_hotplug.memmap_on_memory=1 swiotlb=1024",
	      "root=/dev/vda1 ro swiotlb=1024");
	clean("  a\tb  ", "a b");
	clean("dyndbg=\"file x.c +p\" mem=1G x", "dyndbg=\"file x.c +p\" x");
	clean("memory=1 memmap=1G!4G", "memory=1 memmap=1G!4G");
	clean("", "");

	vm_config_init(&cfg);
	memset(&crashed, 0, sizeof(crashed));
	memset(&notes, 0, sizeof(notes));
	cfg.kernel = "/boot/vmlinuz";
	cfg.initrd = "/boot/initrd";
	/* crashkernel= in --append: the capture kernel must not reserve it out of its boot region */
	cfg.append = "console=ttyS0 crashkernel=128M";
	cfg.boot_region = 384 * M;
	crashed.initrd_size = 26 * M;
	crashed.initrd_addr_max = 0x7fffffff;
	tap_ok(capkernel_prepare(&cfg, &crashed, NULL, -1, &notes, "/nonexistent", &ck, why,
				 sizeof(why)) == 0 &&
	       !strcmp(ck.kernel, "/boot/vmlinuz") && !strcmp(ck.initrd, "/boot/initrd") &&
	       !strcmp(ck.cmdline, "console=ttyS0") && ck.boot_region == 384 * M &&
	       ck.initrd_size == 26 * M && !ck.from_disk,
	       "--kernel: the configured kernel, initrd, command line (without crashkernel=) and boot region");

	/* a disk boot whose crashed kernel did not say who it is */
	cfg.kernel = cfg.initrd = cfg.append = NULL;
	cfg.memory = 2 * G;
	tap_ok(capkernel_prepare(&cfg, &crashed, NULL, -1, &notes, "/nonexistent", &ck, why,
				 sizeof(why)) == -ENOENT && strstr(why, "release is unknown") &&
	       strstr(why, "/boot/vmlinuz-"), "disk boot without VMCOREINFO: refused, saying why (%s)",
	       why);

	/* a crashed capture guest boots what its boot was given, in a region for that initrd */
	prev.from_disk = true;
	snprintf(prev.kernel, sizeof(prev.kernel), "/run/x/vmlinuz-6.1.0-27-cloud-amd64");
	snprintf(prev.release, sizeof(prev.release), "6.1.0-27-cloud-amd64");
	prev.cmdline = strdup("root=UUID=abc ro");
	prev.initrd_size = 13 * M;
	crashed.capture = true;
	tap_ok(capkernel_prepare(&cfg, &crashed, &prev, -1, &notes, "/nonexistent", &ck, why,
				 sizeof(why)) == 0 &&
	       !strcmp(ck.kernel, prev.kernel) && !strcmp(ck.cmdline, "root=UUID=abc ro") &&
	       ck.cmdline != prev.cmdline && ck.boot_region == vm_boot_region_default(&cfg, 13 * M),
	       "crashed capture guest: its own kernel again (boot region %llu MiB)",
	       (unsigned long long)(ck.boot_region >> 20));
	cfg.boot_region = 1536 * M;
	cfg.boot_region_given = true;
	tap_ok(capkernel_prepare(&cfg, &crashed, &prev, -1, &notes, "/nonexistent", &ck, why,
				 sizeof(why)) == -EINVAL && strstr(why, "--boot-region"),
	       "a --boot-region the guest cannot have is refused (%s)", why);
	capkernel_clear(&ck);
	capkernel_clear(&prev);
	tap_ok(ck.cmdline == NULL && !ck.kernel[0], "cleared");
	return tap_done();
}
