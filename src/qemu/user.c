// SPDX-License-Identifier: GPL-2.0-or-later
// QEMU's user.  hvdump drops to it itself in the child it forks for QEMU, rather than with
// QEMU's -runas: -runas calls setgid/initgroups/setuid late in QEMU's start-up, after the
// seccomp sandbox is in place, and the sandbox's elevateprivileges=deny kills it for that
// (QEMU 7.2: "Bad system call").  Dropping before exec keeps the sandbox whole, and QEMU
// never runs a line of its own code as root: what it needs of hvdump's private places it
// gets as descriptors (qemu/cmdline.h), the rest (kernel, initrd, disks) it opens as its user.
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qemu/user.h"

int qemu_user_lookup(const char *name, struct qemu_user *out)
{
	struct passwd pw, *found = NULL;
	char buf[16384];
	int n = QEMU_USER_MAX_GROUPS, r;

	memset(out, 0, sizeof(*out));
	if (strlen(name) >= sizeof(out->name))
		return -ENAMETOOLONG;
	r = getpwnam_r(name, &pw, buf, sizeof(buf), &found);
	if (r)
		return -r;
	if (!found)
		return -ENOENT;
	snprintf(out->name, sizeof(out->name), "%s", pw.pw_name);
	out->uid = pw.pw_uid;
	out->gid = pw.pw_gid;
	if (getgrouplist(pw.pw_name, pw.pw_gid, out->groups, &n) < 0)
		return -E2BIG;
	out->ngroups = n;
	return 0;
}

int qemu_user_enter(const struct qemu_user *u)
{
	uid_t ruid, euid, suid;

	/* groups first: once the user ID is not root's, they cannot be set any more */
	if (setgroups((size_t)u->ngroups, u->groups) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
	    setresuid(u->uid, u->uid, u->uid) < 0)
		return -errno;
	if (getresuid(&ruid, &euid, &suid) < 0)
		return -errno;
	if (ruid != u->uid || euid != u->uid || suid != u->uid || setuid(0) == 0)
		return -EPERM;
	return 0;
}

int qemu_user_can_open(const struct qemu_user *u, const char *path, int flags)
{
	int status = 0, fd;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* the exit status carries the errno (errno values fit in 1..133) */
		if (qemu_user_enter(u) < 0)
			_exit(EPERM);
		fd = open(path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		_exit(fd < 0 ? (errno > 0 && errno < 255 ? errno : EIO) : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status))
		return -EIO;
	return -WEXITSTATUS(status);
}
