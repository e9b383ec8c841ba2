// SPDX-License-Identifier: GPL-2.0-or-later
// QEMU command line.  Devices are added explicitly and in order; nothing comes from QEMU's
// defaults (-nodefaults), so a fresh process means freshly reset hardware we fully know.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "qemu/cmdline.h"
#include "qemu/sandbox.h"

const char *qemu_disk_format(const unsigned char *head, size_t len)
{
	if (len >= 4 && memcmp(head, "QFI\xfb", 4) == 0)
		return "qcow2";
	return "raw";
}

/* QEMU's option parser treats ',' as a separator; a literal comma is written twice. */
static void add_path_opt(struct argv *a, const char *prefix, const char *path, const char *suffix)
{
	char buf[8192];
	size_t o = 0;

	for (const char *s = path; *s && o + 2 < sizeof(buf); s++) {
		buf[o++] = *s;
		if (*s == ',')
			buf[o++] = ',';
	}
	buf[o] = '\0';
	argv_addf(a, "%s%s%s", prefix, buf, suffix);
}

/* virtio-net cards on netdevs hvnetN: user (slirp, with its forwards), an existing tap
 * (no scripts: hvdump runs none), or a bridge through QEMU's helper. */
static void add_nics(struct argv *a, const struct qemu_boot *b)
{
	for (size_t i = 0; i < b->nnics; i++) {
		const struct qemu_nic *n = &b->nics[i];
		char mac[18];

		argv_add(a, "-netdev");
		if (n->kind == QEMU_NIC_USER)
			argv_addf(a, "user,id=hvnet%zu%s%s", i, n->opts[0] ? "," : "", n->opts);
		else if (n->kind == QEMU_NIC_TAP)
			argv_addf(a, "tap,id=hvnet%zu,ifname=%s,script=no,downscript=no", i, n->opts);
		else
			argv_addf(a, "bridge,id=hvnet%zu,br=%s", i, n->opts);
		qemu_mac_format(n->mac, mac);
		argv_add(a, "-device");
		argv_addf(a, "virtio-net-pci,netdev=hvnet%zu,mac=%s", i, mac);
	}
}

int qemu_build_argv(const struct qemu_boot *b, struct argv *a)
{
	const struct qemu_boot *c = b;
	char suffix[128];

	argv_add(a, c->qemu);
	argv_addf(a, "-name");
	argv_addf(a, "guest=%s,debug-threads=on", c->name);
	argv_add(a, "-nodefaults");
	argv_add(a, "-no-user-config");
	argv_add(a, "-display");
	argv_add(a, "none");
	argv_add(a, "-S"); /* start paused: we attach to QMP and the console, then "cont" */
	if (b->sandbox) {
		argv_add(a, "-sandbox");
		argv_add(a, QEMU_SANDBOX_OPTS);
	}

	argv_add(a, "-machine");
	argv_addf(a, "%s,accel=%s,max-ram-below-4g=%llu,memory-backend=ram0,vmport=off",
		  qemu_machine_name(b->machine), b->accel, (unsigned long long)b->lowmem_pin);
	if (b->uefi_code) {
		argv_add(a, "-drive");
		add_path_opt(a, "if=pflash,format=raw,unit=0,readonly=on,file=", b->uefi_code, "");
		argv_add(a, "-drive");
		argv_addf(a, "if=pflash,format=raw,unit=1,file=/proc/self/fd/%d", b->uefi_vars_fd);
	}
	argv_add(a, "-cpu");
	argv_add(a, b->cpu_model);
	argv_add(a, "-smp");
	argv_addf(a, "%u", c->cpus);
	argv_add(a, "-m");
	if (b->slots)
		argv_addf(a, "%lluM,slots=%u,maxmem=%lluM", (unsigned long long)(b->ram_size >> 20),
			  b->slots, (unsigned long long)(b->maxmem >> 20));
	else
		argv_addf(a, "%lluM", (unsigned long long)(b->ram_size >> 20));
	argv_add(a, "-object");
	argv_addf(a, "memory-backend-file,id=ram0,mem-path=/proc/self/fd/%d,size=%lluM,share=on",
		  b->ram_fd, (unsigned long long)(b->ram_size >> 20));

	for (size_t i = 0; b->slots && i < b->ndimms; i++) {
		const struct qemu_dimm *d = &b->dimms[i];
		/* read-only: guest writes to the crashed memory are discarded */
		argv_add(a, "-object");
		argv_addf(a, "memory-backend-file,id=hvdimm%u,mem-path=/proc/self/fd/%d,size=%llu,"
			  "share=on,readonly=on", d->index, d->fd, (unsigned long long)d->size);
		argv_add(a, "-device");
		argv_addf(a, "pc-dimm,id=dimm%u,memdev=hvdimm%u,addr=0x%llx", d->index, d->index,
			  (unsigned long long)d->gpa);
	}

	argv_add(a, "-chardev");
	argv_addf(a, "socket,id=qmp,fd=%d,server=on,wait=off", b->qmp_fd);
	argv_add(a, "-mon");
	argv_add(a, "chardev=qmp,mode=control");
	/* The console: the FIFOs as fd sets (opaque: where they are, so ps tells whose QEMU this
	 * is), and a serial port on a null chardev until it is switched to them over QMP
	 * (chardev-change).  QEMU 7.2's pipe chardev takes only a path (PATH.in, PATH.out), its file chardev
	 * takes an input only over QMP; the guest runs no instruction before that. */
	snprintf(suffix, sizeof(suffix), "fd=%d,set=%d,opaque=", b->console_in_fd,
		 QEMU_CONSOLE_FDSET_IN);
	argv_add(a, "-add-fd");
	add_path_opt(a, suffix, b->console_path, ".in");
	snprintf(suffix, sizeof(suffix), "fd=%d,set=%d,opaque=", b->console_out_fd,
		 QEMU_CONSOLE_FDSET_OUT);
	argv_add(a, "-add-fd");
	add_path_opt(a, suffix, b->console_path, ".out");
	argv_add(a, "-chardev");
	argv_add(a, "null,id=console");
	argv_add(a, "-serial");
	argv_add(a, "chardev:console");

	if (b->save_port_fd > 0) {
		argv_add(a, "-device");
		argv_add(a, "virtio-serial-pci,id=hvser");
		argv_add(a, "-chardev");
		argv_addf(a, "socket,id=hvsave,fd=%d,server=on,wait=off", b->save_port_fd);
		argv_add(a, "-device");
		argv_add(a, "virtserialport,bus=hvser.0,chardev=hvsave,name=" HVDUMP_SAVE_PORT);
	}
	argv_add(a, "-device");
	argv_add(a, "pvpanic");
	argv_add(a, "-device");
	argv_add(a, "vmcoreinfo");
	argv_add(a, "-action");
	argv_add(a, "panic=pause");
	argv_add(a, "-action");
	argv_add(a, "reboot=shutdown");
	/* an expired watchdog stops the guest for hvdump to dump (QMP event WATCHDOG) */
	argv_add(a, "-action");
	argv_add(a, "watchdog=pause");
	if (b->watchdog) {
		argv_add(a, "-device");
		argv_add(a, "i6300esb");
	}

	for (size_t i = 0; i < c->ndisks; i++) {
		snprintf(suffix, sizeof(suffix), ",format=%s", c->disks[i].format);
		argv_add(a, "-drive");
		add_path_opt(a, "if=virtio,cache=writeback,file=", c->disks[i].path, suffix);
	}
	add_nics(a, b);

	if (c->kernel) {
		argv_add(a, "-kernel");
		argv_add(a, c->kernel);
		if (c->initrd) {
			argv_add(a, "-initrd");
			argv_add(a, c->initrd);
		}
		argv_add(a, "-append");
		argv_add(a, b->append ? b->append : "");
	}
	for (size_t i = 0; i < b->nextra; i++)
		argv_add(a, b->extra[i]);
	return argv_error(a);
}

size_t qemu_boot_fds(const struct qemu_boot *b, int *out)
{
	size_t n = 0;

	out[n++] = b->qmp_fd;
	out[n++] = b->ram_fd;
	out[n++] = b->console_in_fd;
	out[n++] = b->console_out_fd;
	if (b->save_port_fd > 0)
		out[n++] = b->save_port_fd;
	if (b->uefi_code)
		out[n++] = b->uefi_vars_fd;
	for (size_t i = 0; i < b->nfile_fds && i < 2; i++)
		out[n++] = b->file_fds[i];
	for (size_t i = 0; b->slots && i < b->ndimms && n < QEMU_BOOT_MAX_FDS; i++)
		out[n++] = b->dimms[i].fd;
	return n;
}
