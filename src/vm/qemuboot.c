// SPDX-License-Identifier: GPL-2.0-or-later
// The QEMU of one boot: its command line from the VM's configuration and the boot (production
// or capture: firmware, kernel, DIMMs, slots), the files it inherits, started paused.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu/cmdline.h"
#include "qemu/qmp.h"
#include "util/log.h"
#include "vm/firmware.h"
#include "vm/supervisor.h"

/* A capture boot's kernel and initrd as descriptors QEMU inherits (they may be in the run
 * directory, which QEMU's user cannot reach).  0 or -errno (logged). */
static int open_boot_files(struct vm *vm, struct qemu_boot *b, int files[2], char paths[2][32])
{
	const char *name[2] = { vm->boot.kernel, vm->boot.initrd };

	b->kernel = b->initrd = NULL;
	b->file_fds = files;
	b->nfile_fds = 0;
	for (int i = 0; i < 2 && name[i]; i++) {
		struct stat st;
		int fd = open(name[i], O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
			close(fd);
			fd = -EINVAL;
			errno = EINVAL;
		}
		if (fd < 0) {
			fd = -errno;
			log_err("capture %s %s: %s", i ? "initrd" : "kernel", name[i], strerror(-fd));
			while (b->nfile_fds)
				close(files[--b->nfile_fds]);
			return fd;
		}
		files[b->nfile_fds++] = fd;
		snprintf(paths[i], sizeof(paths[i]), "/proc/self/fd/%d", fd);
		*(i ? &b->initrd : &b->kernel) = paths[i];
	}
	return 0;
}

int vm_start_qemu(struct vm *vm, const char *const *vital_events)
{
	struct qemu_dimm dimms[VM_MAX_DIMMS];
	char paths[2][32];
	int files[2];
	struct qemu_boot b = {
		.qemu = vm->cfg->qemu,
		.user = vm->cfg->qemu_user,
		.name = vm->cfg->name,
		.cpus = vm->cfg->cpus,
		.machine = vm->cfg->machine,
		.uefi_vars_fd = -1,
		.kernel = vm->cfg->kernel,
		.initrd = vm->cfg->initrd,
		.disks = vm->cfg->disks,
		.ndisks = vm->cfg->ndisks,
		.nics = vm->cfg->nics,
		.nnics = vm->cfg->nnics,
		.extra = vm->cfg->qemu_args,
		.nextra = vm->cfg->nqemu_args,
		.sandbox = vm->sandbox,
		.watchdog = vm->cfg->watchdog,
		.accel = vm->accel,
		.cpu_model = vm->cpu_model,
		.ram_fd = -1,
		.ram_size = vm->boot.cur.ram_size,
		/* Pinned: a production boot gets min(RAM, 3 GiB) below 4 GiB (2 GiB on q35)
		 * whatever QEMU's defaults are; a capture boot keeps the crashed boot's split
		 * exactly, so every crashed page keeps its guest-physical address. */
		.lowmem_pin = vm->boot.capture ? vm->boot.cur.lowmem
					       : qemu_lowmem_pin(vm->cfg->machine),
	};
	bool guest_saves = vm->boot.capture && vm->cfg->save == SAVE_GUEST;
	char msg[512];
	int r;

	if (vm->boot.fresh_ram) {
		r = rundir_create_ram(&vm->rd, vm->boot.cur.ram_size, msg, sizeof(msg));
		if (r < 0) {
			log_err("%s", msg);
			return r;
		}
	}
	b.ram_fd = rundir_open_ram(&vm->rd, vm->cfg->qemu_user, msg, sizeof(msg));
	if (b.ram_fd < 0) {
		log_err("%s", msg);
		return b.ram_fd;
	}
	/* UEFI for the guest's own boots; a capture boot starts its kernel directly under
	 * SeaBIOS (docs/hvdump-run.md: OVMF's allocations are not bounded by mem=) */
	if (vm->cfg->firmware == QEMU_FIRMWARE_UEFI && !vm->boot.capture) {
		b.uefi_vars_fd = vm_uefi_vars_open(vm->cfg, msg, sizeof(msg));
		if (b.uefi_vars_fd < 0) {
			log_err("%s", msg);
			close(b.ram_fd);
			return b.uefi_vars_fd;
		}
		b.uefi_code = vm->cfg->uefi_code;
	}
	if (vm->boot.capture) {
		/* room to give the guest its memory back as pc-dimms while the dump is saved, and
		 * the DIMMs of the crashed kernel, re-attached where they were */
		uint64_t base = layout_device_memory_base(&vm->boot.cur);
		b.slots = vm->mb.slots = memback_slots(&vm->mb);
		b.maxmem = vm->boot.cur.ram_size +
			   dimms_span(&vm->mb.dimms, base, dimms_window(&vm->boot.cur), vm->cfg->memory);
		b.dimms = dimms;
		b.ndimms = dimms_for_qemu(&vm->mb.dimms, dimms, VM_MAX_DIMMS);
		r = dimms_open_for_qemu(dimms, b.ndimms);
		if (r < 0) {
			close(b.ram_fd);
			return r;
		}
	}
	if (vm->boot.capture) {
		r = open_boot_files(vm, &b, files, paths);
		if (r < 0) {
			dimms_close_for_qemu(dimms, b.ndimms);
			close(b.ram_fd);
			return r;
		}
	}
	b.append = boot_append(vm->cfg, &vm->boot);
	r = b.append ? session_start(&vm->s, &vm->rd, &b, guest_saves ? &vm->gs.fd : NULL)
		     : -ENOMEM;
	free((char *)b.append);
	/* QEMU holds its own copies */
	dimms_close_for_qemu(dimms, b.ndimms);
	for (size_t i = 0; i < b.nfile_fds; i++)
		close(b.file_fds[i]);
	close(b.ram_fd);
	if (b.uefi_vars_fd >= 0)
		close(b.uefi_vars_fd);
	if (r == 0)
		qmp_set_vital_events(vm->s.qmp, vital_events);
	vm->qmp_dropped = 0;
	return r;
}
