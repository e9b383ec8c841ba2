// SPDX-License-Identifier: GPL-2.0-or-later
// QMP client on jansson.  The framing is line-based; everything QEMU sends is parsed as
// untrusted input with a size cap, since a wedged QEMU must not take the supervisor with it.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qemu/qmp.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/log.h"

struct qmp {
	int fd;
	char *buf;
	size_t len, cap;
	bool overlong;     /* discarding the rest of an oversized line */
	json_t *events;    /* array of queued events */
	json_t *replies;   /* array of replies not yet claimed */
	bool greeted;
	char version[32];
	unsigned long long next_id;
	unsigned stray;
	const char *const *vital;  /* qmp_set_vital_events() */
	unsigned long long dropped;
};


int qmp_new_detached(struct qmp **out)
{
	struct qmp *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->fd = -1;
	q->events = json_array();
	q->replies = json_array();
	if (!q->events || !q->replies) {
		qmp_close(q);
		return -ENOMEM;
	}
	*out = q;
	return 0;
}

int qmp_open_fd(int fd, struct qmp **out)
{
	struct qmp *q;
	int flags, r;

	r = qmp_new_detached(&q);
	if (r < 0) {
		close(fd);
		return r;
	}
	q->fd = fd;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		r = -errno;
		qmp_close(q);
		return r;
	}
	*out = q;
	return 0;
}

int qmp_connect(const char *path, struct qmp **out)
{
	int fd = unix_connect(path);

	if (fd < 0)
		return fd;
	return qmp_open_fd(fd, out);
}

void qmp_close(struct qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	json_decref(q->events);
	json_decref(q->replies);
	free(q->buf);
	free(q);
}

int qmp_fd(const struct qmp *q) { return q->fd; }
const char *qmp_qemu_version(const struct qmp *q) { return q->version; }
unsigned qmp_stray_replies(const struct qmp *q) { return q->stray; }

static void take_greeting(struct qmp *q, json_t *msg)
{
	json_t *v = json_object_get(json_object_get(msg, "QMP"), "version");
	json_t *qv = json_object_get(v, "qemu");
	json_int_t maj = json_integer_value(json_object_get(qv, "major"));
	json_int_t min = json_integer_value(json_object_get(qv, "minor"));
	json_int_t mic = json_integer_value(json_object_get(qv, "micro"));

	snprintf(q->version, sizeof(q->version), "%lld.%lld.%lld", (long long)maj, (long long)min,
		 (long long)mic);
	q->greeted = true;
}

static bool vital(const struct qmp *q, json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "event"));

	for (const char *const *v = q->vital; v && *v; v++)
		if (name && !strcmp(name, *v))
			return true;
	return false;
}

/* Queue EV (stolen), within QMP_MAX_EVENTS.  0 or -ENOMEM. */
static int queue_event(struct qmp *q, json_t *ev)
{
	size_t n = json_array_size(q->events);

	if (n >= QMP_MAX_EVENTS) {
		size_t i = 0;

		while (i < n && vital(q, json_array_get(q->events, i)))
			i++;
		if (i < n) {
			json_array_remove(q->events, i);
			q->dropped++;
		} else if (!vital(q, ev)) {
			json_decref(ev);
			q->dropped++;
			return 0;
		} /* else a vital event goes past the cap: the guest cannot repeat those at will */
	}
	return json_array_append_new(q->events, ev) ? -ENOMEM : 0;
}

/* Classify one complete line.  Returns 0 or -EPROTO. */
static int take_line(struct qmp *q, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *msg;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	if (!len)
		return 0;
	msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!msg) {
		log_debug("qmp: malformed message: %s", jerr.text);
		return -EPROTO;
	}
	if (!json_is_object(msg)) {
		json_decref(msg);
		return -EPROTO;
	}
	if (json_object_get(msg, "QMP")) {
		take_greeting(q, msg);
		json_decref(msg);
		return 0;
	}
	if (json_is_string(json_object_get(msg, "event")))
		return queue_event(q, msg);
	if (json_object_get(msg, "return") || json_is_object(json_object_get(msg, "error"))) {
		if (json_array_size(q->replies) >= QMP_MAX_STRAY) {
			/* the oldest unclaimed reply: its command gave up long ago */
			json_array_remove(q->replies, 0);
			q->stray++;
		}
		return json_array_append_new(q->replies, msg) ? -ENOMEM : 0;
	}
	json_decref(msg);
	return -EPROTO;
}

int qmp_feed(struct qmp *q, const char *data, size_t n)
{
	int result = 0;

	while (n) {
		const char *nl = memchr(data, '\n', n);
		size_t chunk = nl ? (size_t)(nl - data) + 1 : n;

		if (q->overlong) {
			if (nl)
				q->overlong = false;
		} else if (q->len + chunk > QMP_MAX_MESSAGE) {
			q->len = 0;
			q->overlong = !nl;
			result = -EPROTO;
		} else {
			if (q->len + chunk > q->cap) {
				size_t cap = q->cap ? q->cap : 4096;
				char *nb;
				while (cap < q->len + chunk)
					cap *= 2;
				nb = realloc(q->buf, cap);
				if (!nb)
					return -ENOMEM;
				q->buf = nb;
				q->cap = cap;
			}
			memcpy(q->buf + q->len, data, chunk);
			q->len += chunk;
			if (nl) {
				int r = take_line(q, q->buf, q->len - 1);
				q->len = 0;
				if (r < 0 && result == 0)
					result = r;
			}
		}
		data += chunk;
		n -= chunk;
	}
	return result;
}

int qmp_pump(struct qmp *q)
{
	char chunk[65536];
	size_t taken = 0;
	int result = 0;

	while (taken < QMP_PUMP_BYTES) {
		ssize_t n = read(q->fd, chunk, sizeof(chunk));
		if (n > 0) {
			int r = qmp_feed(q, chunk, (size_t)n);
			if (r < 0 && result == 0)
				result = r;
			taken += (size_t)n;
			continue;
		}
		if (n == 0)
			return -EPIPE;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return result;
		return -errno;
	}
	return result; /* more may be readable: the caller's poll says so at once */
}

void qmp_set_vital_events(struct qmp *q, const char *const *names)
{
	q->vital = names;
}

unsigned long long qmp_dropped_events(const struct qmp *q)
{
	return q->dropped;
}

json_t *qmp_next_event(struct qmp *q)
{
	json_t *ev;

	if (json_array_size(q->events) == 0)
		return NULL;
	ev = json_incref(json_array_get(q->events, 0));
	json_array_remove(q->events, 0);
	return ev;
}

/* Wait until the descriptor is readable or the deadline passes, then pump. */
static int wait_and_pump(struct qmp *q, long long deadline)
{
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
	long long left = deadline - clock_ms();
	int r;

	if (left <= 0)
		return -ETIMEDOUT;
	r = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (r == 0)
		return -ETIMEDOUT;
	return qmp_pump(q);
}

int qmp_handshake(struct qmp *q, int timeout_ms)
{
	long long deadline = clock_ms() + timeout_ms;
	int r;

	while (!q->greeted) {
		r = wait_and_pump(q, deadline);
		if (r < 0)
			return r;
	}
	return qmp_command(q, "qmp_capabilities", NULL, (int)(deadline - clock_ms()) + 1, NULL, NULL);
}

/* Send the first piece of BUF with FD attached (SCM_RIGHTS): QEMU keeps the descriptors that
 * come with the bytes of a command for that command (getfd, add-fd). */
static ssize_t send_with_fd(int sock, const char *buf, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;

	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL);
}

/* Send BUF; FD (if >= 0) goes with its first byte. */
static int send_all(struct qmp *q, const char *buf, size_t len, int fd, long long deadline)
{
	while (len) {
		ssize_t n = fd >= 0 ? send_with_fd(q->fd, buf, len, fd)
				    : send(q->fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			fd = -1;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = q->fd, .events = POLLOUT };
			long long left = deadline - clock_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		return n < 0 ? (errno == ECONNRESET ? -EPIPE : -errno) : -EPIPE;
	}
	return 0;
}

/* Find and remove the reply carrying ID; stray replies (other ids) are counted and dropped. */
static json_t *claim_reply(struct qmp *q, const char *id)
{
	while (json_array_size(q->replies)) {
		json_t *msg = json_incref(json_array_get(q->replies, 0));
		const char *mid = json_string_value(json_object_get(msg, "id"));

		json_array_remove(q->replies, 0);
		if (mid && strcmp(mid, id) == 0)
			return msg;
		q->stray++;
		json_decref(msg);
	}
	return NULL;
}

int qmp_command(struct qmp *q, const char *cmd, json_t *args, int timeout_ms, json_t **ret,
		char **err)
{
	return qmp_command_fd(q, cmd, args, -1, timeout_ms, ret, err);
}

int qmp_getfd(struct qmp *q, const char *name, int fd, int timeout_ms, char **err)
{
	return qmp_command_fd(q, "getfd", json_pack("{s:s}", "fdname", name), fd, timeout_ms, NULL,
			      err);
}

int qmp_command_fd(struct qmp *q, const char *cmd, json_t *args, int fd, int timeout_ms,
		   json_t **ret, char **err)
{
	long long deadline = clock_ms() + (timeout_ms > 0 ? timeout_ms : 1);
	char id[32];
	json_t *req, *reply = NULL, *e;
	char *text;
	int r;

	if (ret)
		*ret = NULL;
	if (err)
		*err = NULL;
	if (q->fd < 0) {
		json_decref(args);
		return -ENOTCONN;
	}
	snprintf(id, sizeof(id), "hvdump-%llu", ++q->next_id);
	req = json_pack("{s:s, s:s}", "execute", cmd, "id", id);
	if (!req) {
		json_decref(args);
		return -ENOMEM;
	}
	if (args && json_object_set_new(req, "arguments", args) < 0) {
		json_decref(req);
		return -ENOMEM;
	}
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!text)
		return -ENOMEM;
	r = send_all(q, text, strlen(text), fd, deadline);
	if (r == 0)
		r = send_all(q, "\n", 1, -1, deadline);
	free(text);
	if (r < 0)
		return r;

	while (!(reply = claim_reply(q, id))) {
		r = wait_and_pump(q, deadline);
		if (r == -EPROTO)
			continue; /* a malformed line is logged and skipped */
		if (r < 0) {
			/* the reply may have arrived together with the EOF */
			if ((reply = claim_reply(q, id)))
				break;
			return r;
		}
	}
	e = json_object_get(reply, "error");
	if (e) {
		if (err) {
			const char *desc = json_string_value(json_object_get(e, "desc"));
			*err = strdup(desc ? desc : "unspecified QMP error");
		}
		json_decref(reply);
		return -EREMOTEIO;
	}
	if (ret)
		*ret = json_incref(json_object_get(reply, "return"));
	json_decref(reply);
	return 0;
}
