// SPDX-License-Identifier: GPL-2.0-or-later
// saveport.h: the guest end of hvdump's save protocol (DESIGN.md section 4), header-only for
// hvdump-save: finding the virtio-serial port, and one request/answer line at a time.
//
// Lines are "\n"-terminated ASCII; the host answers each request with one line within
// SAVEPORT_TIMEOUT_MS.  The channel is the virtio-serial port named SAVEPORT_NAME (found in
// /sys/class/virtio-ports, opened as /dev/vportNpM), or for tests a UNIX socket or any file
// that can be read and written.
//
// A virtio port whose host end is not open yet reports POLLHUP and blocks writes: writing
// waits for the host (up to the timeout).  Once the request is written, a hangup is an
// error: read() then returns 0.
#ifndef HVDUMP_GUEST_SAVEPORT_H
#define HVDUMP_GUEST_SAVEPORT_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SAVEPORT_NAME "org.hvdump.save"
#define SAVEPORT_WAIT_MS 5000            /* for the port to show up in sysfs and /dev */
#define SAVEPORT_TIMEOUT_MS 30000        /* for each answer */
#define SAVEPORT_LINE_MAX 1024

static inline uint64_t saveport_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline void saveport_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}


struct saveport {
	int fd;
	int is_dev;                   /* a character device (the virtio port): a hangup before we
				       * write means "host not connected yet", worth waiting for */
	char buf[SAVEPORT_LINE_MAX];
	size_t len;
};

/* The /dev node of the virtio-serial port named SAVEPORT_NAME, into OUT; waits up to
 * SAVEPORT_WAIT_MS for it.  0, -ENOENT (no such port) or -ENODEV (no /dev node). */
static inline int saveport_find(char *out, size_t outlen)
{
	uint64_t deadline = saveport_now_ms() + SAVEPORT_WAIT_MS;

	for (;;) {
		DIR *d = opendir("/sys/class/virtio-ports");
		struct dirent *e;
		int found = 0;

		while (d && !found && (e = readdir(d))) {
			char p[512], name[64] = "";
			FILE *f;

			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "/sys/class/virtio-ports/%s/name", e->d_name);
			f = fopen(p, "re");
			if (!f)
				continue;
			if (fgets(name, sizeof(name), f))
				name[strcspn(name, "\n")] = '\0';
			fclose(f);
			if (strcmp(name, SAVEPORT_NAME) == 0) {
				snprintf(out, outlen, "/dev/%s", e->d_name);
				found = 1;
			}
		}
		if (d)
			closedir(d);
		if (found && access(out, F_OK) == 0)
			return 0;
		if (saveport_now_ms() >= deadline)
			return found ? -ENODEV : -ENOENT;
		saveport_sleep_ms(100);
	}
}

/* Open PATH: a UNIX socket is connected to, anything else opened read-write. */
static inline int saveport_open(struct saveport *sp, const char *path)
{
	struct stat st;

	memset(sp, 0, sizeof(*sp));
	sp->fd = -1;
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISSOCK(st.st_mode)) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		if (strlen(path) >= sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		strcpy(sa.sun_path, path);
		sp->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (sp->fd < 0)
			return -errno;
		if (connect(sp->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
			int ret = -errno;
			close(sp->fd);
			sp->fd = -1;
			return ret;
		}
		return 0;
	}
	sp->is_dev = S_ISCHR(st.st_mode);
	sp->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	return sp->fd < 0 ? -errno : 0;
}

static inline void saveport_close(struct saveport *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	sp->fd = -1;
}

/* Milliseconds left until DEADLINE, for poll(). */
static inline int saveport_remaining(uint64_t deadline)
{
	uint64_t t = saveport_now_ms();
	return t >= deadline ? 0 : (int)(deadline - t);
}

/* Poll the port for EVENTS until DEADLINE: 0 with *REVENTS, -EINTR (poll again),
 * -ETIMEDOUT, or poll's -errno. */
static inline int saveport_poll(struct saveport *sp, short events, uint64_t deadline,
				short *revents)
{
	struct pollfd p = { .fd = sp->fd, .events = events };
	int r = poll(&p, 1, saveport_remaining(deadline));

	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	*revents = p.revents;
	return 0;
}

/* Write all of S, waiting for the host end to open. */
static inline int saveport_write(struct saveport *sp, const char *s, size_t len,
				 uint64_t deadline)
{
	while (len > 0) {
		short revents = 0;
		int r = saveport_poll(sp, POLLOUT, deadline, &revents);

		if (r == -EINTR)
			continue;
		if (r < 0)
			return r;
		if (!(revents & POLLOUT)) {
			if (!sp->is_dev || (revents & (POLLERR | POLLNVAL)))
				return -EPIPE;
			/* a virtio port whose host end is not open yet: poll says POLLHUP at once */
			if (saveport_remaining(deadline) == 0)
				return -ENOTCONN;
			saveport_sleep_ms(100);
			continue;
		}
		ssize_t n = write(sp->fd, s, len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One answer line into LINE: NUL-terminated, without the "\n" (nor a "\r" before it), control
 * and non-ASCII bytes replaced by '?'.  -EPROTO for a line longer than the buffer. */
static inline int saveport_read_line(struct saveport *sp, char *line, size_t linelen,
				     uint64_t deadline)
{
	for (;;) {
		char *nl = memchr(sp->buf, '\n', sp->len);
		if (nl) {
			size_t n = (size_t)(nl - sp->buf);
			if (n >= linelen)
				return -EPROTO;
			memcpy(line, sp->buf, n);
			line[n] = '\0';
			if (n && line[n - 1] == '\r')
				line[n - 1] = '\0';
			sp->len -= n + 1;
			memmove(sp->buf, nl + 1, sp->len);
			for (char *q = line; *q; q++)
				if (*q < ' ' || *q > '~')
					*q = '?'; /* printed on the console */
			return 0;
		}
		if (sp->len == sizeof(sp->buf))
			return -EPROTO; /* a line longer than any answer */
		short revents = 0;
		int r = saveport_poll(sp, POLLIN, deadline, &revents);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return r;
		ssize_t n = read(sp->fd, sp->buf + sp->len, sizeof(sp->buf) - sp->len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE; /* the host closed its end */
		sp->len += (size_t)n;
	}
}

/* Send REQ (no newline) and read the answer into ANS.  0, or -errno for a dead channel
 * (-ETIMEDOUT: no answer within SAVEPORT_TIMEOUT_MS). */
static inline int saveport_request(struct saveport *sp, const char *req, char *ans,
				   size_t anslen)
{
	uint64_t deadline = saveport_now_ms() + SAVEPORT_TIMEOUT_MS;
	char line[SAVEPORT_LINE_MAX];
	int n = snprintf(line, sizeof(line), "%s\n", req);
	int ret;

	if (n < 0 || (size_t)n >= sizeof(line))
		return -EINVAL;
	ret = saveport_write(sp, line, (size_t)n, deadline);
	if (ret < 0)
		return ret;
	return saveport_read_line(sp, ans, anslen, deadline);
}

/* "ok" or "ok ...". */
static inline int saveport_is_ok(const char *ans)
{
	return strncmp(ans, "ok", 2) == 0 && (ans[2] == '\0' || ans[2] == ' ');
}

#endif
