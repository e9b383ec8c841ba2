// SPDX-License-Identifier: GPL-2.0-or-later
// File-system helpers shared by the supervisor and the dump writers.
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/fsutil.h"

int mkdir_p(const char *path, unsigned mode)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Check the existing directory P (LAST: PATH itself) for path_check_private(). */
static int check_dir(const char *p, bool last, char *msg, size_t msglen)
{
	uid_t me = geteuid();
	struct stat st;

	if (lstat(p, &st) < 0)
		return errno == ENOENT ? 1 : -errno;
	if (S_ISLNK(st.st_mode)) {
		if (st.st_uid != 0 && st.st_uid != me) {
			snprintf(msg, msglen, "%s is a symbolic link owned by uid %u, not by you or "
				 "root: refusing to follow it", p, (unsigned)st.st_uid);
			return -EPERM;
		}
		if (stat(p, &st) < 0)
			return errno == ENOENT ? 1 : -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(msg, msglen, "%s is not a directory", p);
		return -ENOTDIR;
	}
	if (last ? st.st_uid != me : st.st_uid != 0 && st.st_uid != me) {
		snprintf(msg, msglen, "%s is owned by uid %u, not by you%s: refusing to keep guest "
			 "memory or records there", p, (unsigned)st.st_uid, last ? "" : " or root");
		return -EPERM;
	}
	if ((st.st_mode & 022) && (last || !(st.st_mode & S_ISVTX))) {
		snprintf(msg, msglen, "%s is writable by %s (mode %04o): refusing to keep guest "
			 "memory or records there", p, st.st_mode & 002 ? "everyone" : "its group",
			 (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int path_check_private(const char *path, char *msg, size_t msglen)
{
	char buf[4096];
	size_t n;
	int r;

	if (path[0] == '/')
		n = (size_t)snprintf(buf, sizeof(buf), "%s", path);
	else if (getcwd(buf, sizeof(buf) - 1))
		n = strlen(buf) + (size_t)snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%s",
						   path);
	else
		return -errno;
	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	for (char *p = buf + 1;; p++) {
		bool last = *p == '\0';
		if (*p != '/' && !last)
			continue;
		*p = '\0';
		r = check_dir(buf, last, msg, msglen);
		if (r != 0)
			return r < 0 ? r : 0; /* 1: from here on nothing exists yet */
		if (last)
			return 0;
		*p = '/';
	}
}

int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int open_new_private(const char *path, int flags)
{
	struct stat st;
	int fd;

	for (int attempt = 0; attempt < 2; attempt++) {
		fd = open(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
		if (lstat(path, &st) < 0)
			continue; /* gone meanwhile */
		if (!S_ISREG(st.st_mode) || st.st_uid != geteuid())
			return -EEXIST;
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
	}
	return -EEXIST;
}

int open_regular(const char *path, int flags)
{
	struct stat st;
	int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int write_file_atomic(const char *path, const void *buf, size_t len, unsigned mode)
{
	char tmp[4200];
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open_new_private(tmp, O_WRONLY);
	if (fd < 0)
		return fd;
	if (mode != 0600 && fchmod(fd, mode) < 0) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	r = write_full(fd, buf, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	return fsync_parent(path);
}

int fsync_parent(const char *path)
{
	char dir[4096];
	int dfd, r = 0;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (fsync(dfd) < 0)
		r = -errno;
	close(dfd);
	return r;
}

int read_file(const char *path, size_t max, char **out, size_t *lenp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	size_t len = 0, cap = 4096;
	char *buf;

	if (fd < 0)
		return -errno;
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n;
		if (len == cap) {
			char *nb;
			if (cap >= max) {
				r = -EFBIG;
				break;
			}
			cap = cap * 2 > max ? max : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*out = buf;
	if (lenp)
		*lenp = len;
	return 0;
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int unix_listen(const char *path)
{
	struct sockaddr_un sa;
	int fd, r = unix_addr(path, &sa);

	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 4) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int unix_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd, r = unix_addr(path, &sa);

	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}
