// SPDX-License-Identifier: GPL-2.0-or-later
// Input checks for `hvdump run`: every file is opened and sniffed before anything is created.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu/user.h"
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

	r = qemu_user_can_open(u, cfg->kernel, O_RDONLY);
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
		r = qemu_user_can_open(u, cfg->disks[i], O_RDWR);
		if (r < 0) {
			snprintf(msg, msglen, "--qemu-user %s cannot read and write disk %s: %s",
				 u->name, cfg->disks[i], strerror(-r));
			return r;
		}
	}
	if (cfg->accel == ACCEL_KVM && (r = qemu_user_can_open(u, "/dev/kvm", O_RDWR)) < 0) {
		snprintf(msg, msglen, "--qemu-user %s cannot open /dev/kvm for --accel kvm: %s (add "
			 "it to /dev/kvm's group)", u->name, strerror(-r));
		return r;
	}
	return 0;
}

int vm_check_files(const struct vm_config *cfg, char *msg, size_t msglen)
{
	unsigned char head[0x210];
	size_t got = 0;
	int r;

	r = find_executable(cfg->qemu);
	if (r < 0) {
		snprintf(msg, msglen, "QEMU binary %s: %s (install qemu-system-x86 or use --qemu)",
			 cfg->qemu, strerror(-r));
		return r;
	}

	r = check_readable("kernel", cfg->kernel, msg, msglen, head, sizeof(head), &got);
	if (r < 0)
		return r;
	/* Linux boot protocol: "HdrS" at 0x202 in a bzImage */
	if (got < 0x206 || memcmp(head + 0x202, "HdrS", 4) != 0) {
		snprintf(msg, msglen, "kernel %s is not an x86 Linux bzImage (no boot header)",
			 cfg->kernel);
		return -EINVAL;
	}
	if (cfg->initrd) {
		r = check_readable("initrd", cfg->initrd, msg, msglen, head, 1, &got);
		if (r < 0)
			return r;
		if (got == 0) {
			snprintf(msg, msglen, "initrd %s is empty", cfg->initrd);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < cfg->ndisks; i++) {
		if (access(cfg->disks[i], R_OK | W_OK) < 0) {
			int e = errno;
			snprintf(msg, msglen, "disk %s: %s", cfg->disks[i], strerror(e));
			return -e;
		}
		r = check_readable("disk", cfg->disks[i], msg, msglen, NULL, 0, NULL);
		if (r < 0)
			return r;
	}
	return cfg->qemu_user ? check_qemu_user(cfg, msg, msglen) : 0;
}

