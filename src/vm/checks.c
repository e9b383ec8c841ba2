// SPDX-License-Identifier: GPL-2.0-or-later
// Input checks for `hvdump run`: every file is opened and sniffed before anything is created.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu/cmdline.h"
#include "qemu/user.h"
#include "util/log.h"
#include "vm/vm.h"

static int check_readable(const char *what, const char *path, char *msg, size_t msglen,
			  unsigned char *head, size_t headlen, size_t *got)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		int e = errno;
		snprintf(msg, msglen, "%s %s: %s", what, path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(msg, msglen, "%s %s: not a regular file", what, path);
		return -EINVAL;
	}
	n = headlen ? pread(fd, head, headlen, 0) : 0;
	if (n < 0) {
		int e = errno;
		close(fd);
		snprintf(msg, msglen, "%s %s: %s", what, path, strerror(e));
		return -e;
	}
	close(fd);
	if (got)
		*got = (size_t)n;
	return 0;
}

/* Find BIN the way execvp() will; 0 if it is an executable file. */
static int find_executable(const char *bin)
{
	char path[4096];
	const char *p, *end;

	if (strchr(bin, '/'))
		return access(bin, X_OK) == 0 ? 0 : -errno;
	p = getenv("PATH");
	for (p = p ? p : "/usr/local/bin:/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		snprintf(path, sizeof(path), "%.*s/%s", (int)(end - p), p, bin);
		if (access(path, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

/* With --qemu-user, QEMU opens the kernel, initrd and disks as that user: can it?  Asked
 * of the kernel in a child that becomes the user.  0 or -errno with MSG set. */
static int check_qemu_user(const struct vm_config *cfg, char *msg, size_t msglen)
{
	const struct qemu_user *u = cfg->qemu_user;
	int r;

	r = cfg->kernel ? qemu_user_can_open(u, cfg->kernel, O_RDONLY) : 0;
	if (r == 0 && cfg->initrd && (r = qemu_user_can_open(u, cfg->initrd, O_RDONLY)) < 0) {
		snprintf(msg, msglen, "--qemu-user %s cannot read initrd %s: %s", u->name,
			 cfg->initrd, strerror(-r));
		return r;
	}
	if (r < 0) {
		snprintf(msg, msglen, "--qemu-user %s cannot read kernel %s: %s", u->name,
			 cfg->kernel, strerror(-r));
		return r;
	}
	for (size_t i = 0; i < cfg->ndisks; i++) {
		r = qemu_user_can_open(u, cfg->disks[i].path, O_RDWR);
		if (r < 0) {
			snprintf(msg, msglen, "--qemu-user %s cannot read and write disk %s: %s",
				 u->name, cfg->disks[i].path, strerror(-r));
			return r;
		}
	}
	if (cfg->firmware == QEMU_FIRMWARE_UEFI &&
	    (r = qemu_user_can_open(u, cfg->uefi_code, O_RDONLY)) < 0) {
		snprintf(msg, msglen, "--qemu-user %s cannot read UEFI code %s: %s", u->name,
			 cfg->uefi_code, strerror(-r));
		return r;
	}
	if (cfg->accel == ACCEL_KVM && (r = qemu_user_can_open(u, "/dev/kvm", O_RDWR)) < 0) {
		snprintf(msg, msglen, "--qemu-user %s cannot open /dev/kvm for --accel kvm: %s (add "
			 "it to /dev/kvm's group)", u->name, strerror(-r));
		return r;
	}
	return 0;
}

/* A bzImage: "HdrS" at 0x202 (the Linux boot protocol's header). */
static int check_kernel(const char *kernel, char *msg, size_t msglen)
{
	unsigned char head[0x210];
	size_t got = 0;
	int r = check_readable("kernel", kernel, msg, msglen, head, sizeof(head), &got);

	if (r < 0)
		return r;
	if (got < 0x206 || memcmp(head + 0x202, "HdrS", 4) != 0) {
		snprintf(msg, msglen, "kernel %s is not an x86 Linux bzImage (no boot header)",
			 kernel);
		return -EINVAL;
	}
	return 0;
}

/* Each disk readable and writable; a format not given is detected here, once: QEMU is then
 * told it on every boot, so what the guest writes into a raw disk's first bytes can never
 * make a later boot read it as qcow2 (with a backing file of the guest's choosing). */
static int check_disks(struct vm_config *cfg, char *msg, size_t msglen)
{
	unsigned char head[4];
	size_t got = 0;
	int r;

	for (size_t i = 0; i < cfg->ndisks; i++) {
		struct qemu_disk *d = &cfg->disks[i];
		if (access(d->path, R_OK | W_OK) < 0) {
			int e = errno;
			snprintf(msg, msglen, "disk %s: %s", d->path, strerror(e));
			return -e;
		}
		r = check_readable("disk", d->path, msg, msglen, head, sizeof(head), &got);
		if (r < 0)
			return r;
		if (!d->format[0]) {
			snprintf(d->format, sizeof(d->format), "%s", qemu_disk_format(head, got));
			log_info("disk %s: format %s (detected; give %s,format=%s to state it)",
				 d->path, d->format, d->path, d->format);
		}
	}
	return 0;
}

int vm_check_files(struct vm_config *cfg, char *msg, size_t msglen)
{
	unsigned char head[1];
	size_t got = 0;
	int r;

	r = find_executable(cfg->qemu);
	if (r < 0) {
		snprintf(msg, msglen, "QEMU binary %s: %s (install qemu-system-x86 or use --qemu)",
			 cfg->qemu, strerror(-r));
		return r;
	}
	if (cfg->kernel && (r = check_kernel(cfg->kernel, msg, msglen)) < 0)
		return r;
	if (cfg->initrd) {
		r = check_readable("initrd", cfg->initrd, msg, msglen, head, 1, &got);
		if (r < 0)
			return r;
		if (got == 0) {
			snprintf(msg, msglen, "initrd %s is empty", cfg->initrd);
			return -EINVAL;
		}
	}
	r = check_disks(cfg, msg, msglen);
	if (r < 0)
		return r;
	if (cfg->firmware == QEMU_FIRMWARE_UEFI) {
		r = check_readable("UEFI code (--uefi-code; Debian package ovmf)", cfg->uefi_code,
				   msg, msglen, NULL, 0, NULL);
		if (r < 0)
			return r;
	}
	return cfg->qemu_user ? check_qemu_user(cfg, msg, msglen) : 0;
}
