// SPDX-License-Identifier: GPL-2.0-or-later
// Configuration defaults and validation: every refusal names the option and the reason.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/size.h"
#include "vm/config.h"

void vm_config_init(struct vm_config *c)
{
	const char *q = getenv("HVDUMP_QEMU");

	memset(c, 0, sizeof(*c));
	c->name = "hvdump";
	c->memory = 1ull << 30;
	c->cpus = 1;
	c->qemu = q && *q ? q : "qemu-system-x86_64";
	c->accel = ACCEL_AUTO;
	c->on_crash = ON_CRASH_ASSISTED;
	c->boot_region = VM_BOOT_REGION_DEFAULT;
	c->dump_format = "elf";
	c->save = SAVE_HOST;
	c->hotplug_delay_s = 30;
	c->save_format = SAVE_KDUMP;
	c->compress = KDUMP_COMPRESS_ZSTD;
	c->console = true;
	c->sandbox = true;
	c->shutdown_timeout_s = 10;
	c->machine = QEMU_MACHINE_PC;
	c->firmware = QEMU_FIRMWARE_BIOS;
	c->uefi_code = VM_UEFI_CODE;
	c->uefi_vars_template = VM_UEFI_VARS_TEMPLATE;
	c->report.journal = true;
	c->report.hook_timeout_s = VM_HOOK_TIMEOUT_DEFAULT;
	c->report.vacuum.keep = -1;
	c->report.vacuum.to_log = true;
}

bool vm_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

uint64_t vm_lowmem(const struct vm_config *c)
{
	return qemu_lowmem(c->machine, c->memory);
}

int vm_config_check(const struct vm_config *c, unsigned host_cpus, char *msg, size_t msglen)
{
	char a[32], b[32];
	unsigned max_cpus = host_cpus * 4;

	if (max_cpus > VM_MAX_CPUS)
		max_cpus = VM_MAX_CPUS;
	if (max_cpus == 0)
		max_cpus = 1;
	if (!vm_name_valid(c->name)) {
		snprintf(msg, msglen,
			 "--name '%s': use 1-64 characters of letters, digits, '.', '_' or '-'",
			 c->name);
		return -EINVAL;
	}
	if ((!c->kernel || !*c->kernel) && c->ndisks == 0) {
		snprintf(msg, msglen, "nothing to boot: give --kernel FILE, or --disk FILE for the "
			 "firmware to boot");
		return -EINVAL;
	}
	if ((c->initrd || c->append) && !c->kernel) {
		snprintf(msg, msglen, "--%s needs --kernel (a disk boot's own boot loader chooses "
			 "the initrd and command line)", c->initrd ? "initrd" : "append");
		return -EINVAL;
	}
	if (qemu_extra_args_check(c->qemu_args, c->nqemu_args, msg, msglen) < 0)
		return -EINVAL;
	for (size_t i = 0; i < c->nnics; i++)
		if (c->nics[i].kind == QEMU_NIC_BRIDGE && c->sandbox) {
			snprintf(msg, msglen, "--nic bridge=%s: QEMU's bridge helper is a setuid "
				 "program, which QEMU's sandbox does not let it run; put a tap device "
				 "in the bridge and use --nic tap=IFNAME, or add --no-sandbox",
				 c->nics[i].opts);
			return -EINVAL;
		}
	if (c->memory < VM_MIN_MEMORY) {
		snprintf(msg, msglen, "--memory %s is too small: a Linux guest needs at least %s",
			 size_format(c->memory, a, sizeof(a)), size_format(VM_MIN_MEMORY, b, sizeof(b)));
		return -EINVAL;
	}
	if (c->memory % VM_MEMORY_ALIGN) {
		snprintf(msg, msglen, "--memory %s is not a multiple of 2M",
			 size_format(c->memory, a, sizeof(a)));
		return -EINVAL;
	}
	if (c->memory > (1ull << 46)) {
		snprintf(msg, msglen, "--memory %s exceeds the 64T a guest can address",
			 size_format(c->memory, a, sizeof(a)));
		return -EINVAL;
	}
	if (c->cpus == 0 || c->cpus > max_cpus) {
		snprintf(msg, msglen,
			 "--cpus %u is out of range: this host has %u CPUs, so use 1 to %u",
			 c->cpus, host_cpus, max_cpus);
		return -EINVAL;
	}
	if (c->dump_level && (c->save != SAVE_HOST || c->save_format != SAVE_KDUMP)) {
		snprintf(msg, msglen, "--dump-level %u: pages are left out by the host saver's "
			 "kdump writer only (--save host --save-format kdump)", c->dump_level);
		return -EINVAL;
	}
	if (c->append && strlen(c->append) > 2048) {
		snprintf(msg, msglen, "--append is %zu bytes; the x86 kernel command line holds 2048",
			 strlen(c->append));
		return -EINVAL;
	}
	if (!c->report.dump_target && (c->report.dump_target_identity ||
				       c->report.ndump_target_opts || c->report.dump_target_drop_local)) {
		snprintf(msg, msglen, "--dump-target-identity, --dump-target-ssh-option and "
			 "--dump-target-drop-local go with --dump-target URL");
		return -EINVAL;
	}
	return 0;
}

static const char *const on_crash_names[] = {
	[ON_CRASH_ASSISTED] = "assisted",
	[ON_CRASH_PAUSE] = "pause",
	[ON_CRASH_DUMP_RESTART] = "dump-restart",
	[ON_CRASH_POWEROFF] = "poweroff",
};

const char *on_crash_name(enum on_crash oc)
{
	return (unsigned)oc < sizeof(on_crash_names) / sizeof(on_crash_names[0]) ? on_crash_names[oc]
										 : "?";
}

int on_crash_parse(const char *s, enum on_crash *out)
{
	for (unsigned i = 0; i < sizeof(on_crash_names) / sizeof(on_crash_names[0]); i++) {
		if (!strcmp(s, on_crash_names[i])) {
			*out = (enum on_crash)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* What a capture boot needs before its service starts: kernel, bounce buffer, the unpacking
 * initramfs (archive, and files in a rootfs limited to half the memory). */
static uint64_t boot_need(const struct vm_config *c, uint64_t initrd_size)
{
	uint64_t swiotlb = c->memory > vm_lowmem(c) ? VM_BOOT_SWIOTLB_HIGH : VM_BOOT_SWIOTLB_LOW;
	uint64_t rd = initrd_size > (1ull << 40) ? (1ull << 40) : initrd_size;

	return VM_BOOT_KERNEL + swiotlb + VM_BOOT_INITRD_FACTOR * rd;
}

uint64_t vm_boot_region_default(const struct vm_config *c, uint64_t initrd_size)
{
	/* whole memory blocks (a 320M region of a 1 GiB guest left 704M to return, and the guest
	 * got 768M: 6% more MemTotal than before the crash) */
	const uint64_t step = VM_BOOT_REGION_STEP;
	uint64_t b = boot_need(c, initrd_size) + VM_BOOT_WORK;

	b = (b + step - 1) / step * step;
	return b < VM_BOOT_REGION_DEFAULT ? VM_BOOT_REGION_DEFAULT : b;
}

int vm_config_check_boot_region(const struct vm_config *c, uint64_t initrd_size, char *msg,
				size_t msglen)
{
	char a[32], b[32], n[32];
	uint64_t need = boot_need(c, initrd_size) + VM_BOOT_MIN_FREE;

	if (c->on_crash != ON_CRASH_ASSISTED)
		return 0;
	if (c->boot_region % VM_MEMORY_ALIGN) {
		snprintf(msg, msglen, "--boot-region %s is not a multiple of 2M",
			 size_format(c->boot_region, a, sizeof(a)));
		return -EINVAL;
	}
	if (c->boot_region < need) {
		snprintf(msg, msglen,
			 "--boot-region %s is too small: a capture boot with this %s initrd needs "
			 "at least %s",
			 size_format(c->boot_region, a, sizeof(a)), size_human(initrd_size, b, sizeof(b)),
			 size_format((need + VM_MEMORY_ALIGN - 1) & ~(VM_MEMORY_ALIGN - 1), n, sizeof(n)));
		return -EINVAL;
	}
	if (c->boot_region > vm_lowmem(c) / 2) {
		snprintf(msg, msglen,
			 "--boot-region %s is more than half of the guest's %s of low RAM; use a "
			 "smaller boot region, a larger --memory, or --on-crash pause",
			 size_format(c->boot_region, a, sizeof(a)),
			 size_format(vm_lowmem(c), b, sizeof(b)));
		return -EINVAL;
	}
	return 0;
}

const char *vm_default_dump_dir(void)
{
	static char dir[4096];
	const char *env = getenv("HVDUMP_DUMP_BASE"), *home = getenv("HOME");

	if (env && *env)
		snprintf(dir, sizeof(dir), "%s", env);
	else if (getuid() == 0 || !home)
		snprintf(dir, sizeof(dir), "/var/crash/hvdump");
	else
		snprintf(dir, sizeof(dir), "%s/.local/share/hvdump/crash", home);
	return dir;
}
