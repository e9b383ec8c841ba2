// SPDX-License-Identifier: GPL-2.0-or-later
// Run directories.  The RAM file in here may be the only copy of a crashed kernel's memory,
// so nothing in this file deletes a directory whose state says it holds a crash.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "util/fsutil.h"
#include "util/log.h"
#include "util/logind.h"
#include "util/size.h"
#include "vm/rundir.h"

const char *rundir_default_base(void)
{
	static char base[4096];
	const char *env = getenv("HVDUMP_RUN_BASE"), *rt = getenv("RUNTIME_DIRECTORY");
	struct stat st;

	if (env && *env)
		snprintf(base, sizeof(base), "%s", env);
	else if (rt && *rt == '/') /* systemd's RuntimeDirectory=: the first one it lists */
		snprintf(base, sizeof(base), "%.*s", (int)strcspn(rt, ":"), rt);
	else if (getuid() == 0 && lstat(RUNDIR_SERVICE_BASE, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(base, sizeof(base), "%s", RUNDIR_SERVICE_BASE);
	else
		snprintf(base, sizeof(base), "/dev/shm/hvdump-%u", (unsigned)getuid());
	return base;
}

/* Would logind delete PATH when this user logs out?  Say so, with the ways out. */
static void warn_logout(const char *path)
{
	char real[PATH_MAX], buf[1024];
	struct passwd pw, *found = NULL;
	enum logind_risk risk;

	if (getuid() <= LOGIND_SYSTEM_UID_MAX || !realpath(path, real) ||
	    getpwuid_r(getuid(), &pw, buf, sizeof(buf), &found) != 0 || !found)
		return;
	risk = logind_logout_risk("", real, getuid(), pw.pw_name);
	if (risk == LOGIND_REMOVE_IPC)
		log_warn("run directory %s is in /dev/shm, and systemd-logind deletes %s's files there "
			 "when %s's last session ends (RemoveIPC=yes, the default): a crashed guest's "
			 "memory kept there would be lost at logout.  Fix: `loginctl enable-linger %s`, "
			 "or --run-dir on a tmpfs logind does not clean, or RemoveIPC=no in "
			 "/etc/systemd/logind.conf (docs/service.md)",
			 real, pw.pw_name, pw.pw_name, pw.pw_name);
	else if (risk == LOGIND_RUNTIME)
		log_warn("run directory %s is in /run/user, which systemd-logind removes when %s's last "
			 "session ends: a crashed guest's memory kept there would be lost at logout.  "
			 "Fix: `loginctl enable-linger %s`, or --run-dir on a tmpfs logind does not "
			 "clean (docs/service.md)",
			 real, pw.pw_name, pw.pw_name);
}

static void set_paths(struct rundir *rd)
{
	snprintf(rd->ram, sizeof(rd->ram), "%s/ram", rd->path);
	snprintf(rd->qmp, sizeof(rd->qmp), "%s/qmp.sock", rd->path);
	snprintf(rd->console, sizeof(rd->console), "%s/console", rd->path);
	snprintf(rd->console_in, sizeof(rd->console_in), "%s/console.in", rd->path);
	snprintf(rd->console_out, sizeof(rd->console_out), "%s/console.out", rd->path);
	snprintf(rd->state, sizeof(rd->state), "%s/state.json", rd->path);
	snprintf(rd->lock, sizeof(rd->lock), "%s/lock", rd->path);
	snprintf(rd->control, sizeof(rd->control), "%s/control.sock", rd->path);
	snprintf(rd->save, sizeof(rd->save), "%s/save.sock", rd->path);
}

/* Does the stale directory's state.json say it holds a crash? */
static int holds_crash(const struct rundir *rd)
{
	char *text = NULL;
	int crashed = 0;

	if (read_file(rd->state, 1 << 20, &text, NULL) == 0) {
		crashed = strstr(text, "\"state\": \"crashed\"") != NULL ||
			  strstr(text, "\"preserved\": true") != NULL;
		free(text);
	} else if (access(rd->ram, F_OK) == 0) {
		crashed = 1; /* RAM file without a readable state: assume it matters */
	}
	return crashed;
}

static void remove_contents(struct rundir *rd)
{
	unlink(rd->ram);
	unlink(rd->qmp);
	unlink(rd->console_in);
	unlink(rd->console_out);
	unlink(rd->control);
	unlink(rd->save);
	unlink(rd->state);
	unlink(rd->lock);
}

int rundir_open(struct rundir *rd, const char *path, char *msg, size_t msglen)
{
	struct stat st;
	char pidtxt[32] = "";
	int fd, r;

	memset(rd, 0, sizeof(*rd));
	rd->lock_fd = -1;
	if (snprintf(rd->path, sizeof(rd->path), "%s", path) >= (int)sizeof(rd->path) - 32) {
		snprintf(msg, msglen, "run directory path is too long");
		return -ENAMETOOLONG;
	}
	set_paths(rd);
	msg[0] = '\0';
	r = path_check_private(path, msg, msglen);
	if (r < 0) {
		if (!*msg)
			snprintf(msg, msglen, "cannot check run directory %s: %s", path, strerror(-r));
		return r == -ENOTDIR ? r : -EPERM;
	}

	if (lstat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			snprintf(msg, msglen, "run directory %s exists and is not a directory", path);
			return -ENOTDIR;
		}
		if (st.st_uid != getuid() || (st.st_mode & 077)) {
			snprintf(msg, msglen,
				 "run directory %s must be owned by you with mode 0700 (it is %04o)",
				 path, (unsigned)(st.st_mode & 07777));
			return -EPERM;
		}
	} else {
		char parent[4096];
		char *slash;
		snprintf(parent, sizeof(parent), "%s", path);
		slash = strrchr(parent, '/');
		if (slash && slash != parent) {
			*slash = '\0';
			r = mkdir_p(parent, 0700);
			if (r < 0) {
				snprintf(msg, msglen, "cannot create %s: %s", parent, strerror(-r));
				return r;
			}
		}
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			r = -errno;
			snprintf(msg, msglen, "cannot create run directory %s: %s", path, strerror(errno));
			return r;
		}
		rd->created = 1;
	}

	fd = open(rd->lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		snprintf(msg, msglen, "cannot open %s: %s", rd->lock, strerror(errno));
		return r;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = pread(fd, pidtxt, sizeof(pidtxt) - 1, 0);
		pidtxt[n > 0 ? n : 0] = '\0';
		pidtxt[strcspn(pidtxt, "\n")] = '\0';
		close(fd);
		snprintf(msg, msglen, "a live VM already uses run directory %s (hvdump pid %s)", path,
			 *pidtxt ? pidtxt : "unknown");
		return -EBUSY;
	}
	rd->lock_fd = fd;
	if (!rd->created) {
		if (holds_crash(rd)) {
			snprintf(msg, msglen,
				 "run directory %s holds a preserved crash (see its state.json); "
				 "recover or remove it before starting the VM again",
				 path);
			close(fd);
			rd->lock_fd = -1;
			return -EEXIST;
		}
		if (access(rd->state, F_OK) == 0 || access(rd->ram, F_OK) == 0 ||
		    access(rd->qmp, F_OK) == 0) /* not one systemd just made (RuntimeDirectory=) */
			log_warn("cleaning up stale run directory %s left by an earlier run", path);
		unlink(rd->ram);
		unlink(rd->qmp);
		unlink(rd->console_in);
		unlink(rd->console_out);
		unlink(rd->state);
		rd->created = 1;
	}
	warn_logout(path);
	snprintf(pidtxt, sizeof(pidtxt), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pidtxt, strlen(pidtxt), 0) < 0)
		log_warn("cannot record our pid in %s: %s", rd->lock, strerror(errno));
	return 0;
}

int rundir_create_ram(struct rundir *rd, uint64_t size, char *msg, size_t msglen)
{
	struct statvfs sv;
	struct statfs sf;
	char a[32], b[32];
	int fd, r;

	unlink(rd->ram); /* a fresh boot gets fresh zeroed memory */
	if (statvfs(rd->path, &sv) == 0) {
		uint64_t avail = (uint64_t)sv.f_bavail * sv.f_frsize;
		if (avail < size) {
			snprintf(msg, msglen,
				 "%s has %s free but guest RAM needs %s; free space or use a larger "
				 "--run-dir file system",
				 rd->path, size_human(avail, a, sizeof(a)), size_human(size, b, sizeof(b)));
			return -ENOSPC;
		}
	}
	if (statfs(rd->path, &sf) == 0 && sf.f_type != TMPFS_MAGIC &&
	    sf.f_type != HUGETLBFS_MAGIC)
		log_warn("run directory %s is not on tmpfs: guest RAM will be written to disk", rd->path);
	fd = open(rd->ram, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		snprintf(msg, msglen, "cannot create RAM file %s: %s", rd->ram, strerror(errno));
		return r;
	}
	if (ftruncate(fd, (off_t)size) < 0) {
		r = -errno;
		snprintf(msg, msglen, "cannot size RAM file %s: %s", rd->ram, strerror(errno));
		close(fd);
		unlink(rd->ram);
		return r;
	}
	close(fd);
	return 0;
}

int rundir_open_ram(const struct rundir *rd, const struct qemu_user *owner, char *msg,
		    size_t msglen)
{
	int fd = open_regular(rd->ram, O_RDWR), r;

	if (fd == -EINVAL) {
		snprintf(msg, msglen, "RAM file %s is not a regular file", rd->ram);
		return fd;
	}
	if (fd < 0) {
		snprintf(msg, msglen, "cannot open RAM file %s: %s", rd->ram, strerror(-fd));
		return fd;
	}
	if (owner && fchown(fd, owner->uid, owner->gid) < 0) {
		r = -errno;
		snprintf(msg, msglen, "cannot give RAM file %s to user %s: %s", rd->ram, owner->name,
			 strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

int rundir_write_state(struct rundir *rd, const char *text)
{
	return write_file_atomic(rd->state, text, strlen(text), 0600);
}

void rundir_remove(struct rundir *rd)
{
	remove_contents(rd);
	if (rd->lock_fd >= 0)
		close(rd->lock_fd);
	rd->lock_fd = -1;
	if (rd->created && rmdir(rd->path) < 0 && errno != ENOENT)
		log_warn("could not remove run directory %s: %s", rd->path, strerror(errno));
}

void rundir_release(struct rundir *rd)
{
	if (rd->lock_fd >= 0)
		close(rd->lock_fd);
	rd->lock_fd = -1;
}
