// SPDX-License-Identifier: GPL-2.0-or-later
// Disk images as read-only block devices.  qemu-nbd is our child (qemu_spawn: its own process
// group, killed with us, stderr captured) rather than libnbd's socket activation, so that its
// refusal ("Failed to get shared "write" lock", a wrong format) reaches the operator's
// message instead of our stderr.
#include <errno.h>
#include <fcntl.h>
#include <libnbd.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "disk/blockdev.h"
#include "qemu/process.h"
#include "util/argv.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/log.h"

#define NBD_START_MS 10000  /* qemu-nbd has this long to listen */
#define NBD_STOP_MS 2000    /* and this long to go once we hang up */
#define NBD_REQ_MAX (32u << 20)

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Decide the format of the image open at FD.  0 or -errno (WHY). */
static int detect_format(struct blockdev *bd, int fd, const char *path, char *why, size_t whylen)
{
	uint8_t h[104] = { 0 };
	ssize_t n = pread(fd, h, sizeof(h), 0);
	uint32_t version;
	bool backing, data_file;

	if (n < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	bd->detected = true;
	if (n < 4 || memcmp(h, "QFI\xfb", 4)) {
		snprintf(bd->format, sizeof(bd->format), "raw");
		return 0;
	}
	snprintf(bd->format, sizeof(bd->format), "qcow2");
	/* backing_file_offset (8), and for version 3 the external data file bit of
	 * incompatible_features (72): a guest-written header must not point us at host files */
	version = (uint32_t)be64(h);
	backing = be64(h + 8) != 0;
	data_file = version >= 3 && (be64(h + 72) & 4);
	if (backing || data_file) {
		snprintf(why, whylen, "%s starts like a qcow2 image that names a backing or data "
			 "file; not opened as qcow2 on a guess (a guest can write such a header to "
			 "its raw disk): give format=qcow2 if it is the host's image, format=raw if "
			 "it is a raw disk", path);
		return -EPERM;
	}
	return 0;
}

static void server_message(struct blockdev *bd, char *buf, size_t len)
{
	ssize_t n = bd->server_err >= 0 ? read(bd->server_err, buf, len - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = *(p + 1) ? ' ' : '\0';
}

/* Stop qemu-nbd: it exits by itself once its one client is gone; SIGTERM if it does not. */
static void server_stop(struct blockdev *bd)
{
	long long deadline = clock_ms() + NBD_STOP_MS;
	int st;

	while (bd->server > 0) {
		pid_t w = waitpid(bd->server, &st, WNOHANG);
		if (w == bd->server || (w < 0 && errno != EINTR)) {
			bd->server = 0;
			break;
		}
		if (clock_ms() > deadline) {
			kill(bd->server, SIGTERM);
			if (waitpid(bd->server, &st, 0) < 0)
				log_debug("qemu-nbd %d: %s", (int)bd->server, strerror(errno));
			bd->server = 0;
			break;
		}
		poll(NULL, 0, 5);
	}
	if (bd->server_err >= 0)
		close(bd->server_err);
	bd->server_err = -1;
}

/* Wait for qemu-nbd to listen on SOCK, and connect.  0 or -errno (WHY). */
static int nbd_attach(struct blockdev *bd, const char *sock, char *why, size_t whylen)
{
	long long deadline = clock_ms() + NBD_START_MS;
	char msg[512], status[80];
	struct stat st;
	int wst;

	for (;;) {
		pid_t w = waitpid(bd->server, &wst, WNOHANG);
		if (w == bd->server) {
			bd->server = 0;
			server_message(bd, msg, sizeof(msg));
			snprintf(why, whylen, "qemu-nbd %s: %s",
				 qemu_status_text(wst, status, sizeof(status)),
				 msg[0] ? msg : "(no message)");
			return -EIO;
		}
		if (stat(sock, &st) == 0) {
			bd->nbd = nbd_create();
			if (!bd->nbd) {
				snprintf(why, whylen, "libnbd: %s", nbd_get_error());
				return -ENOMEM;
			}
			if (nbd_connect_unix(bd->nbd, sock) == 0)
				return 0;
			nbd_close(bd->nbd);
			bd->nbd = NULL;
		}
		if (clock_ms() > deadline) {
			snprintf(why, whylen, "qemu-nbd did not listen within %d s", NBD_START_MS / 1000);
			return -ETIMEDOUT;
		}
		poll(NULL, 0, 5);
	}
}

static int nbd_start(struct blockdev *bd, const char *path, const char *qemu_nbd, char *why,
		     size_t whylen)
{
	char real[PATH_MAX], sock[96];
	struct argv a = { 0 };
	struct qemu_proc proc;
	const char *tmp = getenv("TMPDIR");
	int64_t size;
	int r;

	/* an absolute path: QEMU reads "proto:..." and "json:{...}" file names as options */
	if (!realpath(path, real)) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (snprintf(bd->sockdir, sizeof(bd->sockdir), "%s/hvdump-nbd.XXXXXX",
		     tmp && *tmp == '/' && strlen(tmp) < 40 ? tmp : "/tmp") >= (int)sizeof(bd->sockdir) ||
	    !mkdtemp(bd->sockdir)) {
		r = -errno;
		bd->sockdir[0] = '\0';
		snprintf(why, whylen, "cannot make a private directory for qemu-nbd's socket: %s",
			 strerror(-r));
		return r;
	}
	snprintf(sock, sizeof(sock), "%s/sock", bd->sockdir);
	argv_add(&a, qemu_nbd ? qemu_nbd : "qemu-nbd");
	argv_add(&a, "--read-only");
	argv_addf(&a, "--format=%s", bd->format);
	argv_addf(&a, "--socket=%s", sock);
	argv_add(&a, "--shared=1");
	argv_add(&a, "--");
	argv_add(&a, real);
	r = argv_error(&a) ?: qemu_spawn(&a, NULL, 0, NULL, &proc);
	argv_free(&a);
	if (r < 0) {
		snprintf(why, whylen, "cannot run %s: %s", qemu_nbd ? qemu_nbd : "qemu-nbd",
			 strerror(-r));
		return r;
	}
	bd->server = proc.pid;
	bd->server_err = proc.stderr_fd;
	if ((r = nbd_attach(bd, sock, why, whylen)) < 0)
		return r;
	size = nbd_get_size(bd->nbd);
	if (size < 0) {
		snprintf(why, whylen, "qemu-nbd: no size: %s", nbd_get_error());
		return -EIO;
	}
	bd->size = (uint64_t)size;
	return 0;
}

int blockdev_open(struct blockdev *bd, const char *path, const char *format, bool via_nbd,
		  const char *qemu_nbd, char *why, size_t whylen)
{
	struct stat st;
	int fd, r;

	memset(bd, 0, sizeof(*bd));
	bd->fd = bd->server_err = -1;
	fd = open_regular(path, O_RDONLY);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", path,
			 fd == -EINVAL ? "not a regular file" : strerror(-fd));
		return fd;
	}
	if (format && strcmp(format, "raw") && strcmp(format, "qcow2")) {
		snprintf(why, whylen, "%s: format=%s: only raw and qcow2", path, format);
		r = -EINVAL;
	} else if (format) {
		snprintf(bd->format, sizeof(bd->format), "%s", format);
		r = 0;
	} else {
		r = detect_format(bd, fd, path, why, whylen);
	}
	if (r == 0 && (via_nbd || strcmp(bd->format, "raw"))) {
		close(fd);
		bd->via_nbd = true;
		r = nbd_start(bd, path, qemu_nbd, why, whylen);
		if (r < 0)
			blockdev_close(bd);
		return r;
	}
	if (r == 0 && fstat(fd, &st) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	bd->fd = fd;
	bd->size = (uint64_t)st.st_size;
	return 0;
}

int blockdev_read(struct blockdev *bd, void *buf, size_t len, uint64_t off)
{
	uint64_t end;

	if (__builtin_add_overflow(off, (uint64_t)len, &end) || end > bd->size)
		return -ERANGE;
	bd->reads++;
	bd->bytes += len;
	while (len) {
		size_t n = len < NBD_REQ_MAX ? len : NBD_REQ_MAX;
		if (bd->nbd) {
			if (nbd_pread(bd->nbd, buf, n, off, 0) < 0) {
				log_debug("nbd read of %zu bytes at %llu: %s", n,
					  (unsigned long long)off, nbd_get_error());
				return -EIO;
			}
		} else {
			ssize_t got = pread(bd->fd, buf, n, (off_t)off);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				log_debug("read of %zu bytes at %llu: %s", n,
					  (unsigned long long)off, got ? strerror(errno) : "end of file");
				return -EIO;
			}
			n = (size_t)got;
		}
		buf = (char *)buf + n;
		off += n;
		len -= n;
	}
	return 0;
}

void blockdev_close(struct blockdev *bd)
{
	if (bd->nbd) {
		if (nbd_shutdown(bd->nbd, 0) < 0)
			log_debug("nbd shutdown: %s", nbd_get_error());
		nbd_close(bd->nbd);
		bd->nbd = NULL;
	}
	server_stop(bd);
	if (bd->sockdir[0]) {
		char sock[96];
		snprintf(sock, sizeof(sock), "%s/sock", bd->sockdir);
		unlink(sock);
		rmdir(bd->sockdir);
		bd->sockdir[0] = '\0';
	}
	if (bd->fd >= 0)
		close(bd->fd);
	bd->fd = -1;
}
