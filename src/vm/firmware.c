// SPDX-License-Identifier: GPL-2.0-or-later
// The VM's UEFI variable store (--firmware uefi): one file per VM that outlives the run, as
// a real machine's NVRAM does (boot entries, Secure Boot state), made from OVMF's template
// the first time.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu/user.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "vm/firmware.h"

#define UEFI_VARS_MAX (64u << 20) /* OVMF's stores are 128 KiB (2M build) or 528 KiB (4M) */

const char *vm_uefi_vars_path(const struct vm_config *c, char *buf, size_t len)
{
	if (c->uefi_vars)
		return c->uefi_vars;
	snprintf(buf, len, "%s/%s.efivars.fd", c->dump_dir ? c->dump_dir : vm_default_dump_dir(),
		 c->name);
	return buf;
}

/* Copy the template TPL into the new file FD. */
static int copy_template(const char *tpl, int fd, char *msg, size_t msglen)
{
	char buf[65536];
	struct stat st;
	int in = open_regular(tpl, O_RDONLY), r = 0;
	ssize_t n;

	if (in < 0) {
		snprintf(msg, msglen, "UEFI variable template %s: %s (Debian package ovmf)", tpl,
			 strerror(-in));
		return in;
	}
	if (fstat(in, &st) < 0 || st.st_size == 0 || (uint64_t)st.st_size > UEFI_VARS_MAX) {
		snprintf(msg, msglen, "UEFI variable template %s: not a variable store (%lld bytes)",
			 tpl, (long long)st.st_size);
		close(in);
		return -EINVAL;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0 && (r = write_full(fd, buf, (size_t)n)) == 0)
		;
	if (n < 0)
		r = -errno;
	close(in);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0)
		snprintf(msg, msglen, "copying %s: %s", tpl, strerror(-r));
	return r;
}

int vm_uefi_vars_open(const struct vm_config *c, char *msg, size_t msglen)
{
	char buf[PATH_MAX], dir[PATH_MAX];
	const char *path = vm_uefi_vars_path(c, buf, sizeof(buf));
	char *slash;
	int fd, r;

	fd = open_regular(path, O_RDWR);
	if (fd == -ENOENT) {
		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			r = mkdir_p(dir, 0700);
			if (r < 0) {
				snprintf(msg, msglen, "UEFI variable store %s: %s", dir, strerror(-r));
				return r;
			}
		}
		fd = open_new_private(path, O_RDWR);
		if (fd < 0) {
			snprintf(msg, msglen, "UEFI variable store %s: %s", path, strerror(-fd));
			return fd;
		}
		r = copy_template(c->uefi_vars_template, fd, msg, msglen);
		if (r == 0)
			r = fsync_parent(path);
		if (r < 0) {
			close(fd);
			unlink(path);
			return r;
		}
		log_info("UEFI variable store %s made from %s", path, c->uefi_vars_template);
	} else if (fd < 0) {
		snprintf(msg, msglen, "UEFI variable store %s: %s", path, strerror(-fd));
		return fd;
	}
	if (c->qemu_user && fchown(fd, c->qemu_user->uid, c->qemu_user->gid) < 0) {
		r = -errno;
		snprintf(msg, msglen, "UEFI variable store %s: giving it to %s: %s", path,
			 c->qemu_user->name, strerror(-r));
		close(fd);
		return r;
	}
	return fd;
}
