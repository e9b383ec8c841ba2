// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel a capture boot starts (capkernel.h).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/guestboot.h"
#include "dump/kcmdline_ram.h"
#include "format/elfcore.h"
#include "format/kcmdline.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/capkernel.h"

void capkernel_clear(struct capture_kernel *ck)
{
	free(ck->cmdline);
	memset(ck, 0, sizeof(*ck));
}

void capkernel_remove_files(const struct capture_kernel *ck)
{
	if (!ck->from_disk)
		return;
	if (ck->kernel[0])
		unlink(ck->kernel);
	if (ck->initrd[0])
		unlink(ck->initrd);
}

int capkernel_copy(struct capture_kernel *dst, const struct capture_kernel *src)
{
	char *line = src->cmdline ? strdup(src->cmdline) : NULL;

	if (src->cmdline && !line)
		return -ENOMEM;
	free(dst->cmdline);
	*dst = *src;
	dst->cmdline = line;
	return 0;
}

/* Is WORD (LEN bytes) a parameter the next capture boot must not inherit? */
static bool dropped(const char *word, size_t len)
{
	static const char *const drop[] = { "mem=", "elfcorehdr=", "crashkernel=",
					    "memhp_default_state=",
					    "memory_hotplug.memmap_on_memory=" };

	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (len >= strlen(drop[i]) && !strncmp(word, drop[i], strlen(drop[i])))
			return true;
	return false;
}

char *capkernel_clean_cmdline(const char *cmdline)
{
	size_t n = strlen(cmdline), o = 0;
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	/* words split at blanks; a quoted value ("a b") stays one word */
	for (const char *p = cmdline; *p;) {
		const char *w;
		bool quoted = false;
		while (*p == ' ' || *p == '\t')
			p++;
		for (w = p; *p && (quoted || (*p != ' ' && *p != '\t')); p++)
			if (*p == '"')
				quoted = !quoted;
		if (p == w || dropped(w, (size_t)(p - w)))
			continue;
		if (o)
			out[o++] = ' ';
		memcpy(out + o, w, (size_t)(p - w));
		o += (size_t)(p - w);
	}
	out[o] = '\0';
	return out;
}

/* The boot region: --boot-region, or the default for an initrd of CK's size, checked. */
static int choose_region(const struct vm_config *cfg, struct capture_kernel *ck, char *why,
			 size_t whylen)
{
	struct vm_config c = *cfg;

	if (!cfg->boot_region_given)
		c.boot_region = vm_boot_region_default(cfg, ck->initrd_size);
	if (vm_config_check_boot_region(&c, ck->initrd_size, why, whylen) < 0)
		return -EINVAL;
	ck->boot_region = c.boot_region;
	return 0;
}

static int from_config(const struct vm_config *cfg, const struct boot *crashed,
		       struct capture_kernel *ck)
{
	snprintf(ck->kernel, sizeof(ck->kernel), "%s", cfg->kernel);
	snprintf(ck->initrd, sizeof(ck->initrd), "%s", cfg->initrd ? cfg->initrd : "");
	/* --append's crashkernel= would be reserved out of the boot region (128M of 384M) */
	ck->cmdline = capkernel_clean_cmdline(cfg->append ? cfg->append : "");
	ck->initrd_size = crashed->initrd_size;
	ck->initrd_addr_max = crashed->initrd_addr_max;
	ck->boot_region = cfg->boot_region;
	return ck->cmdline ? 0 : -ENOMEM;
}

/* The crashed kernel's command line into CK. */
static int crashed_cmdline(const struct boot *crashed, int ram_fd,
			   const struct crash_notes *notes, struct capture_kernel *ck, char *why,
			   size_t whylen)
{
	char line[KCMDLINE_SIZE], how[256];
	size_t vlen = 0;
	const char *vmci = notes_vmcoreinfo(notes, &vlen);
	int r = crash_kernel_cmdline(ram_fd, &crashed->cur, crashed->ram, crashed->nram, vmci, vlen,
				     line, sizeof(line), how, sizeof(how));

	if (r < 0) {
		snprintf(why, whylen, "the crashed kernel's command line could not be read from its "
			 "memory (%s), and a capture boot of a disk-booted guest needs it (root=, "
			 "console=)", how);
		return r;
	}
	ck->cmdline = capkernel_clean_cmdline(line);
	return ck->cmdline ? 0 : -ENOMEM;
}

/* The crashed kernel and initrd from the guest's disks into OUTDIR. */
static int fetch(const struct vm_config *cfg, const char *outdir, struct capture_kernel *ck,
		 char *why, size_t whylen)
{
	struct guest_disk disks[VM_MAX_DISKS];
	struct guestboot_found *f = calloc(1, sizeof(*f));
	char a[32];
	int r;

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->ndisks; i++)
		disks[i] = (struct guest_disk){ .path = cfg->disks[i].path,
						.format = cfg->disks[i].format };
	r = guestboot_fetch(disks, cfg->ndisks, ck->release, NULL, outdir, f, why, whylen);
	if (r == 0) {
		snprintf(ck->kernel, sizeof(ck->kernel), "%s", f->kernel);
		snprintf(ck->initrd, sizeof(ck->initrd), "%s", f->initrd);
		ck->initrd_size = f->initrd_bytes;
		log_info("capture kernel %s from disk %u (%s) partition %u (%s %s%s): %s with %s "
			 "initrd, read in %lld ms%s%s", ck->release, f->disk,
			 cfg->disks[f->disk].path, f->partition, f->fs_type, f->fs_uuid,
			 f->separate_boot ? ", /boot" : "", f->kernel_src,
			 f->initrd[0] ? size_human(f->initrd_bytes, a, sizeof(a)) : "no", f->ms,
			 f->note[0] ? "; " : "", f->note);
	}
	free(f);
	return r;
}

int capkernel_prepare(const struct vm_config *cfg, const struct boot *crashed,
		      const struct capture_kernel *prev, int ram_fd,
		      const struct crash_notes *notes, const char *outdir,
		      struct capture_kernel *ck, char *why, size_t whylen)
{
	long long t0 = clock_ms();
	struct boot probe = { .initrd_addr_max = 0 };
	int r;

	capkernel_clear(ck);
	if (cfg->kernel)
		return from_config(cfg, crashed, ck);
	if (crashed->capture && prev && prev->from_disk) {
		/* a capture guest crashed: it runs the kernel its boot was given */
		r = capkernel_copy(ck, prev);
		return r < 0 ? r : choose_region(cfg, ck, why, whylen);
	}
	ck->from_disk = true;
	if (!notes->osrelease[0]) {
		snprintf(why, whylen, "the crashed kernel's release is unknown (no VMCOREINFO from "
			 "QEMU or in its memory), so hvdump cannot tell which /boot/vmlinuz-* on the "
			 "guest's disk to boot");
		return -ENOENT;
	}
	snprintf(ck->release, sizeof(ck->release), "%s", notes->osrelease);
	if (prev)
		capkernel_remove_files(prev); /* the last capture's, no longer booted */
	r = crashed_cmdline(crashed, ram_fd, notes, ck, why, whylen);
	if (r == 0)
		r = fetch(cfg, outdir, ck, why, whylen);
	if (r == 0 && (r = boot_read_kernel(&probe, ck->kernel)) < 0)
		snprintf(why, whylen, "reading %s: %s", ck->kernel, strerror(-r));
	if (r == 0) {
		ck->initrd_addr_max = probe.initrd_addr_max;
		r = choose_region(cfg, ck, why, whylen);
	}
	ck->fetch_ms = clock_ms() - t0;
	return r;
}
