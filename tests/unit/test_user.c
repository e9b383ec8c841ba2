// SPDX-License-Identifier: GPL-2.0-or-later
// QEMU's user (--qemu-user): looking it up, becoming it for good in a child, and what it can
// open: a file of hvdump's private directory by path, no; by the descriptor hvdump opened,
// reopened as /proc/self/fd/N, only once the file is the user's (what QEMU's memory backends
// do with the RAM and DIMM files).  The identity checks need root; as another user they are
// skipped, the lookups still run.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qemu/user.h"
#include "tap.h"

static void test_lookup(void)
{
	struct qemu_user u;

	tap_is_int(qemu_user_lookup("root", &u), 0, "root is found");
	tap_ok(u.uid == 0 && u.gid == 0 && !strcmp(u.name, "root"), "... uid 0, gid 0");
	tap_ok(u.ngroups >= 1, "... with its groups (%d)", u.ngroups);
	tap_is_int(qemu_user_lookup("hvdump-no-such-user", &u), -ENOENT, "an unknown user: -ENOENT");
	tap_is_int(qemu_user_lookup("a-name-far-too-long-for-any-user-database-to-hold-as-a-user-name",
				    &u), -ENAMETOOLONG, "a name too long: -ENAMETOOLONG");
}

/* In a child: become U and report the IDs it has then (0 if all are U's and root's cannot be
 * taken back). */
static int entered_ok(const struct qemu_user *u)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		uid_t r, e, s;
		gid_t rg, eg, sg, groups[QEMU_USER_MAX_GROUPS];
		int n;

		if (qemu_user_enter(u) < 0)
			_exit(1);
		n = getgroups(QEMU_USER_MAX_GROUPS, groups);
		getresuid(&r, &e, &s);
		getresgid(&rg, &eg, &sg);
		for (int i = 0; i < n; i++)
			if (groups[i] == 0)
				_exit(2);
		_exit(r != u->uid || e != u->uid || s != u->uid || rg != u->gid || eg != u->gid ||
		      sg != u->gid || setuid(0) == 0 || setgid(0) == 0 ? 3 : 0);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* In a child that becomes U: open /proc/self/fd/FD (inherited) read-write.  0 or errno. */
static int reopen_as(const struct qemu_user *u, int fd)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		char path[64];
		if (qemu_user_enter(u) < 0)
			_exit(EPERM);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		_exit(open(path, O_RDWR) < 0 ? errno : 0);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_identity(void)
{
	char dir[] = "/tmp/hvdump-test-user-XXXXXX", path[64];
	struct qemu_user u;
	int fd;

	if (geteuid() != 0) {
		tap_ok(1, "# SKIP becoming another user needs root");
		return;
	}
	if (qemu_user_lookup("nobody", &u) < 0) {
		tap_ok(1, "# SKIP no user nobody");
		return;
	}
	tap_is_int(entered_ok(&u), 0, "a child becomes nobody: uid, gid, groups; root is gone");
	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof(path), "%s/ram", dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	tap_ok(fd >= 0, "a 0600 file in a 0700 directory of root's");
	tap_is_int(qemu_user_can_open(&u, path, O_RDONLY), -EACCES, "nobody cannot open it by path");
	fcntl(fd, F_SETFD, 0);
	tap_is_int(reopen_as(&u, fd), EACCES, "... nor reopen root's file as /proc/self/fd/N");
	tap_ok(fchown(fd, u.uid, u.gid) == 0, "the file given to nobody");
	tap_is_int(reopen_as(&u, fd), 0, "... nobody reopens it as /proc/self/fd/N");
	tap_is_int(qemu_user_can_open(&u, path, O_RDONLY), -EACCES,
		   "... and still cannot reach it by path");
	tap_is_int(qemu_user_can_open(&u, "/proc/self/status", O_RDONLY), 0,
		   "what nobody may read, it can open");
	close(fd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_lookup();
	test_identity();
	return tap_done();
}
