// SPDX-License-Identifier: GPL-2.0-or-later
// The virtual hardware options (src/qemu/hw.c) and what qemu_build_argv makes of them.
#include <errno.h>
#include <string.h>

#include "qemu/cmdline.h"
#include "qemu/hw.h"
#include "tap.h"

static char msg[512];

static int nic(const char *spec, struct qemu_nic *n)
{
	msg[0] = '\0';
	return qemu_nic_parse(spec, n, msg, sizeof(msg));
}

static int args(const char *const *v, size_t n)
{
	msg[0] = '\0';
	return qemu_extra_args_check(v, n, msg, sizeof(msg));
}

/* Is WORD one element of A? */
static int has(const struct argv *a, const char *word)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i], word))
			return 1;
	return 0;
}

static int has_prefix(const struct argv *a, const char *prefix)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strncmp(a->v[i], prefix, strlen(prefix)))
			return 1;
	return 0;
}

static void test_nics(void)
{
	struct qemu_nic n;
	uint8_t m1[6], m2[6], m3[6];
	char mac[18];

	tap_ok(nic("user", &n) == 0 && n.kind == QEMU_NIC_USER && !n.opts[0], "user");
	tap_ok(nic("user,hostfwd=tcp::8080-:80,hostfwd=udp:127.0.0.1:5353-10.0.2.15:53", &n) == 0 &&
	       !strcmp(n.opts, "hostfwd=tcp::8080-:80,hostfwd=udp:127.0.0.1:5353-10.0.2.15:53"),
	       "user with two forwards (%s)", n.opts);
	tap_ok(nic("user,hostfwd=tcp::8080-:80,script=/tmp/x", &n) == -EINVAL &&
	       strstr(msg, "unknown option 'script=/tmp/x'"), "no other netdev options (%s)", msg);
	tap_ok(nic("user,hostfwd=tcp::8080-:80;x", &n) == -EINVAL && strstr(msg, "hostfwd="),
	       "a forward is checked character by character");
	tap_ok(nic("user,hostfwd=tcp::8080", &n) == -EINVAL, "a forward needs both ends");
	tap_ok(nic("tap=tap0,mac=52:54:00:aa:bb:cc", &n) == 0 && n.kind == QEMU_NIC_TAP &&
	       !strcmp(n.opts, "tap0") && n.mac_given && n.mac[5] == 0xcc, "tap with a MAC");
	tap_ok(nic("tap=tap0,ifname=x", &n) == -EINVAL, "tap takes only mac=");
	tap_ok(nic("tap=a/b", &n) == -EINVAL && strstr(msg, "not an interface name"),
	       "interface names are checked");
	tap_ok(nic("tap=0123456789abcdef", &n) == -EINVAL, "interface names fit IFNAMSIZ");
	tap_ok(nic("bridge=br0", &n) == 0 && n.kind == QEMU_NIC_BRIDGE, "bridge");
	tap_ok(nic("bridge=br0,mac=01:00:00:00:00:01", &n) == -EINVAL, "a multicast MAC is refused");
	tap_ok(nic("bridge=br0,mac=52:54:00:aa:bb", &n) == -EINVAL, "a short MAC is refused");
	tap_ok(nic("socket=x", &n) == -EINVAL && strstr(msg, "use user"), "unknown kind");

	qemu_nic_default_mac("web-01", 0, m1);
	qemu_nic_default_mac("web-01", 0, m2);
	qemu_nic_default_mac("web-01", 1, m3);
	qemu_mac_format(m1, mac);
	tap_ok(!memcmp(m1, m2, 6) && memcmp(m1, m3, 6) && !strncmp(mac, "52:54:00:", 9),
	       "default MACs: the same for the same VM and card, another for the next card (%s)",
	       mac);
	qemu_nic_default_mac("web-02", 0, m2);
	tap_ok(memcmp(m1, m2, 6) != 0, "default MACs differ between VMs");
}

static void test_disks_and_args(void)
{
	struct qemu_disk d;
	static const char *const ok_args[] = { "-device", "virtio-rng-pci", "-boot", "menu=on",
					       "-object", "rng-random,id=rng0,filename=/dev/urandom" };
	static const char *const mem[] = { "-object", "memory-backend-ram,id=m1,size=1G" };
	static const char *const mem2[] = { "--object", "id=m1,qom-type=memory-backend-file" };
	static const char *const dimm[] = { "-device", "id=d1,driver=pc-dimm,memdev=m1" };
	static const char *const noreboot[] = { "-no-reboot" };
	static const char *const flash[] = { "-drive", "file=x.fd,if=pflash,format=raw" };
	static const char *const chr[] = { "-chardev", "socket,path=/tmp/s,id=qmp" };
	static const char *const eq[] = { "-device=virtio-rng-pci" };

	tap_ok(qemu_disk_parse("a.img", &d, msg, sizeof(msg)) == 0 && !strcmp(d.path, "a.img") &&
	       !d.format[0], "disk without format");
	tap_ok(qemu_disk_parse("/x/a,b.qcow2,format=qcow2", &d, msg, sizeof(msg)) == 0 &&
	       !strcmp(d.path, "/x/a,b.qcow2") && !strcmp(d.format, "qcow2"), "disk with format");
	tap_ok(qemu_disk_parse("a.img,format=vmdk", &d, msg, sizeof(msg)) == -EINVAL &&
	       strstr(msg, "vmdk"), "unknown format refused");
	tap_ok(qemu_disk_parse(",format=raw", &d, msg, sizeof(msg)) == -EINVAL, "no file name");

	tap_ok(args(ok_args, 6) == 0, "ordinary devices and options pass (%s)", msg);
	tap_ok(args(mem, 2) == -EINVAL && strstr(msg, "memory backend"), "memory backend refused");
	tap_ok(args(mem2, 2) == -EINVAL, "... also as --object qom-type=");
	tap_ok(args(dimm, 2) == -EINVAL && strstr(msg, "plugs memory"), "pc-dimm refused (%s)", msg);
	tap_ok(args(noreboot, 1) == -EINVAL && strstr(msg, "-no-reboot"), "-no-reboot refused");
	tap_ok(args(flash, 2) == -EINVAL && strstr(msg, "--firmware"), "pflash refused (%s)", msg);
	tap_ok(args(chr, 2) == -EINVAL, "hvdump's chardev ids refused");
	{
		const char *wd[] = { "-device", "i6300esb,id=w" }, *wd2[] = { "-watchdog", "ib700" };
		tap_ok(args(wd, 2) == -EINVAL && strstr(msg, "--watchdog"),
		       "a watchdog device of the user's refused (%s)", msg);
		tap_ok(args(wd2, 2) == -EINVAL && strstr(msg, "--watchdog"), "-watchdog refused");
	}
	tap_ok(args(eq, 1) == -EINVAL && strstr(msg, "two"), "an option and value in one word");
}

static void test_argv(void)
{
	struct qemu_disk disk;
	struct qemu_nic nics[2];
	static const char *const extra[] = { "-device", "virtio-rng-pci" };
	struct qemu_boot b = {
		.qemu = "qemu-system-x86_64", .name = "vm", .cpus = 2, .machine = QEMU_MACHINE_Q35,
		.uefi_code = "/usr/share/OVMF/OVMF_CODE_4M.fd", .uefi_vars_fd = 11,
		.disks = &disk, .ndisks = 1, .nics = nics, .nnics = 2, .extra = extra, .nextra = 2,
		.accel = "tcg", .cpu_model = "max", .ram_fd = 9, .ram_size = 2ull << 30,
		.lowmem_pin = QEMU_LOWMEM_Q35, .qmp_fd = 3, .console_in_fd = 4, .console_out_fd = 5,
		.console_path = "/run/x/console",
	};
	struct argv a = { 0 };
	int fds[QEMU_BOOT_MAX_FDS];
	size_t nfd;

	tap_ok(qemu_disk_parse("/d/root.qcow2,format=qcow2", &disk, msg, sizeof(msg)) == 0, "disk");
	tap_ok(nic("user,hostfwd=tcp::8080-:80", &nics[0]) == 0 && nic("tap=tap7", &nics[1]) == 0,
	       "nics");
	qemu_nic_default_mac("vm", 0, nics[0].mac);
	qemu_nic_default_mac("vm", 1, nics[1].mac);
	tap_ok(qemu_build_argv(&b, &a) == 0, "argv built");
	tap_ok(has_prefix(&a, "q35,accel=tcg,max-ram-below-4g=2147483648,"), "q35 with low RAM pinned");
	tap_ok(has(&a, "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd"),
	       "OVMF code read-only");
	tap_ok(has(&a, "if=pflash,format=raw,unit=1,file=/proc/self/fd/11"), "variable store by fd");
	tap_ok(has(&a, "if=virtio,cache=writeback,file=/d/root.qcow2,format=qcow2"), "disk format");
	tap_ok(has(&a, "user,id=hvnet0,hostfwd=tcp::8080-:80") &&
	       has(&a, "tap,id=hvnet1,ifname=tap7,script=no,downscript=no"), "netdevs");
	tap_ok(has_prefix(&a, "virtio-net-pci,netdev=hvnet0,mac=52:54:00:"), "virtio-net with MAC");
	tap_ok(!has(&a, "-kernel") && !has(&a, "-append"), "no kernel: the firmware boots the disk");
	tap_ok(!strcmp(a.v[a.n - 2], "-device") && !strcmp(a.v[a.n - 1], "virtio-rng-pci"),
	       "extra words last");
	nfd = qemu_boot_fds(&b, fds);
	tap_ok(nfd == 5 && fds[4] == 11, "the variable store is inherited");
	argv_free(&a);
}

int main(void)
{
	tap_ok(qemu_lowmem_unpinned(QEMU_MACHINE_PC, 512ull << 20) == 512ull << 20 &&
	       qemu_lowmem_unpinned(QEMU_MACHINE_PC, 3400ull << 20) == 3400ull << 20 &&
	       qemu_lowmem_unpinned(QEMU_MACHINE_PC, 4ull << 30) == 3ull << 30,
	       "unpinned pc: all RAM low below 3.5 GiB, else 3 GiB");
	tap_ok(qemu_lowmem_unpinned(QEMU_MACHINE_Q35, 2600ull << 20) == 2600ull << 20 &&
	       qemu_lowmem_unpinned(QEMU_MACHINE_Q35, 3ull << 30) == 2ull << 30,
	       "unpinned q35: all RAM low below 2.75 GiB, else 2 GiB");
	test_nics();
	test_disks_and_args();
	test_argv();
	return tap_done();
}
