// SPDX-License-Identifier: GPL-2.0-or-later
// Configuration validation and the QEMU command line it produces.
#include <errno.h>
#include <string.h>

#include "qemu/cmdline.h"
#include "tap.h"
#include "vm/config.h"

static int check(struct vm_config *c, unsigned host_cpus, const char *want_substr)
{
	char msg[512] = "";
	int r = vm_config_check(c, host_cpus, msg, sizeof(msg));

	if (!want_substr)
		return tap_ok(r == 0, "valid config accepted%s%s", *msg ? ": " : "", msg);
	if (!tap_ok(r == -EINVAL && strstr(msg, want_substr), "refused: %s", msg))
		tap_diag("  wanted a message containing '%s' (r=%d)", want_substr, r);
	return 0;
}

static int has_arg(const struct argv *a, const char *s)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i], s))
			return 1;
	return 0;
}

static const char *after(const struct argv *a, const char *opt, int nth)
{
	for (size_t i = 0; i + 1 < a->n; i++)
		if (!strcmp(a->v[i], opt) && nth-- == 0)
			return a->v[i + 1];
	return NULL;
}

/* Does A hold OPT followed by VALUE anywhere? */
static bool has_value(const struct argv *a, const char *opt, const char *value)
{
	for (size_t i = 0; i + 1 < a->n; i++)
		if (!strcmp(a->v[i], opt) && !strcmp(a->v[i + 1], value))
			return true;
	return false;
}

/* The default boot region of a pc guest of MEM bytes with an RD-byte initrd. */
static uint64_t brd(uint64_t mem, uint64_t rd)
{
	struct vm_config c;

	vm_config_init(&c);
	c.memory = mem;
	return vm_boot_region_default(&c, rd);
}

int main(void)
{
	struct vm_config c;
	struct argv a = { 0 };
	struct qemu_boot b;
	char dmsg[256];
	const unsigned char qcow[] = "QFI\xfb\0\0\0\3";

	vm_config_init(&c);
	check(&c, 2, "--kernel");
	c.kernel = "/boot/vmlinuz";
	check(&c, 2, NULL);
	c.memory = 64ull << 20;
	check(&c, 2, "too small");
	c.memory = (1ull << 30) + 4096;
	check(&c, 2, "multiple of 2M");
	c.memory = 1ull << 50;
	check(&c, 2, "64T");
	c.memory = 2ull << 30;
	c.cpus = 9;
	check(&c, 2, "use 1 to 8");
	c.cpus = 0;
	check(&c, 2, "out of range");
	c.cpus = 300;
	check(&c, 200, "use 1 to 255");
	c.cpus = 2;
	c.name = "bad/name";
	check(&c, 2, "--name");
	c.name = "-x";
	check(&c, 2, "--name");
	c.name = "web-01.prod_a";
	check(&c, 2, NULL);
	/* what boots: a kernel or a disk, and --initrd/--append only with --kernel */
	{
		const char *k = c.kernel;
		static const char *const bad[] = { "-no-reboot" };
		c.kernel = NULL;
		check(&c, 2, "nothing to boot");
		c.ndisks = 1;
		snprintf(c.disks[0].path, sizeof(c.disks[0].path), "/d/root.img");
		check(&c, 2, NULL);
		c.append = "root=/dev/vda1";
		check(&c, 2, "--append needs --kernel");
		c.append = NULL;
		c.nnics = 1;
		c.nics[0].kind = QEMU_NIC_BRIDGE;
		snprintf(c.nics[0].opts, sizeof(c.nics[0].opts), "br0");
		check(&c, 2, "setuid");
		c.sandbox = false;
		check(&c, 2, NULL);
		c.sandbox = true;
		c.nnics = 0;
		c.qemu_args[0] = bad[0];
		c.nqemu_args = 1;
		check(&c, 2, "--qemu-arg -no-reboot: refused");
		c.nqemu_args = 0;
		c.ndisks = 0;
		c.kernel = k;
	}

	tap_is_int(qemu_lowmem(QEMU_MACHINE_PC, 1ull << 30), 1ull << 30, "1G guest: all RAM is low");
	tap_is_int(qemu_lowmem(QEMU_MACHINE_PC, 3ull << 30), 3ull << 30, "3G guest: all RAM is low");
	tap_is_int(qemu_lowmem(QEMU_MACHINE_PC, 5ull << 30), 3ull << 30,
		   "5G guest: low RAM pinned at 3G");
	tap_is_int(qemu_lowmem(QEMU_MACHINE_Q35, 1ull << 30), 1ull << 30, "q35 1G guest: all low");
	tap_is_int(qemu_lowmem(QEMU_MACHINE_Q35, 5ull << 29), 2ull << 30,
		   "q35 2.5G guest: low RAM pinned at 2G (Q35 would pick 2.75G, and 2G once -m "
		   "grows past it)");
	tap_is_int(qemu_lowmem(QEMU_MACHINE_Q35, 8ull << 30), 2ull << 30, "q35 8G guest: 2G low");

	{
		enum on_crash oc;
		tap_ok(on_crash_parse("pause", &oc) == 0 && oc == ON_CRASH_PAUSE, "on-crash pause");
		tap_ok(on_crash_parse("poweroff", &oc) == 0 && oc == ON_CRASH_POWEROFF,
		       "on-crash poweroff");
		tap_ok(on_crash_parse("explode", &oc) == -EINVAL, "on-crash unknown refused");
	}

	tap_is_str(qemu_disk_format(qcow, 8), "qcow2", "qcow2 magic");
	tap_is_str(qemu_disk_format((const unsigned char *)"\0\0\0\0", 4), "raw", "raw otherwise");
	tap_is_str(qemu_disk_format(qcow, 2), "raw", "short header is raw");

	tap_ok(qemu_disk_parse("/nonexistent/disk,with,commas.img", &c.disks[0], dmsg, sizeof(dmsg)) == 0,
	       "a disk path with commas");
	snprintf(c.disks[0].format, sizeof(c.disks[0].format), "raw");
	c.ndisks = 1;
	c.initrd = "/boot/initrd";
	memset(&b, 0, sizeof(b));
	b.qemu = c.qemu;
	b.name = c.name;
	b.cpus = c.cpus;
	b.kernel = c.kernel;
	b.initrd = c.initrd;
	b.disks = c.disks;
	b.ndisks = c.ndisks;
	b.accel = "tcg";
	b.cpu_model = "max";
	b.ram_fd = 9;
	b.ram_size = 2ull << 30;
	b.lowmem_pin = 3ull << 30;
	b.append = "console=ttyS0";
	b.qmp_fd = 7;
	b.console_path = "/run/x,y/console";
	b.console_in_fd = 11;
	b.console_out_fd = 12;
	tap_is_int(qemu_build_argv(&b, &a), 0, "argv built");
	tap_ok(has_arg(&a, "-nodefaults") && has_arg(&a, "-S"), "no default devices, starts paused");
	tap_ok(!has_arg(&a, "-sandbox"), "no sandbox unless asked");
	tap_is_str(after(&a, "-machine", 0),
		   "pc,accel=tcg,max-ram-below-4g=3221225472,memory-backend=ram0,vmport=off",
		   "machine pins the low-RAM split");
	tap_is_str(after(&a, "-object", 0),
		   "memory-backend-file,id=ram0,mem-path=/proc/self/fd/9,size=2048M,share=on",
		   "RAM is a shared file, the one QEMU inherits");
	tap_is_str(after(&a, "-m", 0), "2048M", "-m equals the backend size");
	tap_is_str(after(&a, "-smp", 0), "2", "vCPUs");
	tap_is_str(after(&a, "-device", 0), "pvpanic", "pvpanic device");
	tap_is_str(after(&a, "-device", 1), "vmcoreinfo", "vmcoreinfo device");
	tap_is_str(after(&a, "-action", 0), "panic=pause", "panic pauses the guest");
	tap_is_str(after(&a, "-action", 1), "reboot=shutdown", "reboot ends QEMU");
	tap_is_str(after(&a, "-action", 2), "watchdog=pause",
		   "an expired watchdog pauses the guest (for hvdump to dump)");
	tap_ok(!has_value(&a, "-device", "i6300esb"), "no watchdog device unless asked");
	tap_is_str(after(&a, "-chardev", 0), "socket,id=qmp,fd=7,server=on,wait=off", "QMP on fd");
	tap_is_str(after(&a, "-add-fd", 0), "fd=11,set=1,opaque=/run/x,,y/console.in",
		   "console input: an fd set, where it is in opaque, comma in the path doubled");
	tap_is_str(after(&a, "-add-fd", 1), "fd=12,set=2,opaque=/run/x,,y/console.out",
		   "console output: an fd set");
	tap_is_str(after(&a, "-chardev", 1), "null,id=console",
		   "the serial port's chardev starts null (switched to the fd sets over QMP)");
	{
		int fds[QEMU_BOOT_MAX_FDS];
		size_t n = qemu_boot_fds(&b, fds);
		tap_ok(n == 4 && fds[0] == 7 && fds[1] == 9 && fds[2] == 11 && fds[3] == 12,
		       "QEMU inherits QMP, RAM and the console (%zu descriptors)", n);
	}
	tap_is_str(after(&a, "-drive", 0),
		   "if=virtio,cache=writeback,file=/nonexistent/disk,,with,,commas.img,format=raw",
		   "commas in paths are escaped");
	tap_is_str(after(&a, "-initrd", 0), "/boot/initrd", "initrd");
	tap_is_str(after(&a, "-append", 0), "console=ttyS0", "append");
	{
		char *line = argv_join(&a);
		tap_ok(line && strstr(line, "'if=virtio") == NULL && strstr(line, "-append console=ttyS0"),
		       "joined command line is readable");
		free(line);
	}
	argv_free(&a);
	/* a capture boot re-attaches a crashed kernel's DIMM from the descriptor QEMU inherits */
	{
		struct qemu_dimm d = { .index = 3, .path = "/dev/shm/x/dimm-3", .fd = 20,
				       .gpa = 9ull << 30, .size = 128ull << 20 };
		int fds[QEMU_BOOT_MAX_FDS];
		char *line;
		size_t n;

		memset(&a, 0, sizeof(a));
		b.slots = 8;
		b.maxmem = 16ull << 30;
		b.dimms = &d;
		b.ndimms = 1;
		b.save_port_fd = 14;
		b.sandbox = true;
		b.watchdog = true;
		tap_is_int(qemu_build_argv(&b, &a), 0, "capture argv built");
		tap_ok(has_value(&a, "-device", "i6300esb"), "--watchdog: an i6300esb");
		tap_is_str(after(&a, "-sandbox", 0),
			   "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
			   "sandbox: seccomp with every optional group denied");
		tap_is_str(after(&a, "-object", 1),
			   "memory-backend-file,id=hvdimm3,mem-path=/proc/self/fd/20,size=134217728,"
			   "share=on,readonly=on", "re-attached DIMM: its inherited file, read-only");
		line = argv_join(&a);
		tap_ok(line && !strstr(line, "dimm-3"), "the DIMM's path is not on the command line");
		free(line);
		n = qemu_boot_fds(&b, fds);
		tap_ok(n == 6 && fds[4] == 14 && fds[5] == 20,
		       "QEMU inherits the guest saver's socket and the DIMM's file too");
		argv_free(&a);
	}
	/* the boot region a capture boot gets by default, and the refusal of one too small */
	{
		const uint64_t M = 1ull << 20, G = 1ull << 30;
		struct vm_config d;
		char msg[512];
		tap_ok(brd(1 * G, 2 * M) == 256 * M, "default boot region: 256M for a small initrd");
		tap_ok(brd(4 * G, 26 * M) == 384 * M,
		       "default boot region: 384M for a 26 MB initrd and RAM above 4 GiB (%llu MiB)",
		       (unsigned long long)(brd(4 * G, 26 * M) >> 20));
		tap_ok(brd(4 * G, 64 * M) == 640 * M,
		       "default boot region: 640M for a 64 MB initrd (%llu MiB)",
		       (unsigned long long)(brd(4 * G, 64 * M) >> 20));
		tap_ok(brd(1 * G, 64 * M) == 512 * M,
		       "default boot region: 512M for a 64 MB initrd without RAM above 4 GiB (%llu MiB)",
		       (unsigned long long)(brd(1 * G, 64 * M) >> 20));
		tap_ok(brd(16 * G, 2 * M) == 256 * M, "the default does not grow with RAM");
		tap_ok(brd(1 * G, 26 * M) == 384 * M,
		       "whole memory blocks: 384M, not 320M, for a 26 MB initrd on a 1 GiB guest (%llu MiB)",
		       (unsigned long long)(brd(1 * G, 26 * M) >> 20));
		tap_ok(brd(4 * G, UINT64_MAX) % (128 * M) == 0, "no overflow on an absurd initrd size");
		vm_config_init(&d);
		d.kernel = "/boot/vmlinuz";
		d.memory = 4 * G;
		d.boot_region = 256 * M;
		tap_ok(vm_config_check_boot_region(&d, 64 * M, msg, sizeof(msg)) == -EINVAL &&
			       strstr(msg, "--boot-region 256M is too small") && strstr(msg, "needs at least 464M"),
		       "a boot region too small for the initrd is refused, naming what would do: %s", msg);
		d.boot_region = 464 * M;
		tap_ok(vm_config_check_boot_region(&d, 64 * M, msg, sizeof(msg)) == 0, "... and that size is accepted");
	}
	return tap_done();
}
