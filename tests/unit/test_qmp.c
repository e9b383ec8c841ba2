// SPDX-License-Identifier: GPL-2.0-or-later
// QMP framing and the command/event protocol against a scripted fake QEMU on a socketpair:
// split messages, events interleaved with replies, errors, malformed and oversized input,
// timeouts and a peer that hangs up.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu/qmp.h"
#include "tap.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, " \
		 "\"package\": \"\"}, \"capabilities\": [\"oob\"]}}\r\n"

struct fake {
	int fd;
	const char *script; /* what to do, one step per line: "S text" send, "R" read one line,
			     * "s N text" send in N-byte pieces, "C" close, "D" read one line and
			     * the descriptor that came with it (%INO% is its inode, 0 if none) */
};

/* Read the first byte of a command and the descriptor sent with it: its inode, or 0. */
static unsigned long long recv_fd_ino(int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	unsigned long long ino = 0;
	struct stat st;
	int got;

	if (recvmsg(fd, &msg, 0) != 1)
		return 0;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
		memcpy(&got, CMSG_DATA(cm), sizeof(got));
		if (fstat(got, &st) == 0)
			ino = (unsigned long long)st.st_ino;
		close(got);
	}
	return ino;
}

/* Read one command line from the client; return the "id" it carried (static buffer). */
static const char *read_cmd(int fd)
{
	static char line[4096];
	size_t n = 0;
	char *id, *end;

	while (n < sizeof(line) - 1 && read(fd, line + n, 1) == 1 && line[n] != '\n')
		n++;
	line[n] = '\0';
	id = strstr(line, "\"id\":\"");
	if (!id)
		return "";
	id += 6;
	end = strchr(id, '"');
	if (end)
		*end = '\0';
	return id;
}

static void send_str(int fd, const char *s, size_t piece)
{
	size_t n = strlen(s);
	while (n) {
		size_t k = piece && piece < n ? piece : n;
		if (write(fd, s, k) != (ssize_t)k)
			return;
		s += k;
		n -= k;
		if (piece)
			usleep(1000);
	}
}

/* Script steps: each is "op:arg" with %ID% replaced by the last command's id. */
static void *fake_main(void *arg)
{
	struct fake *f = arg;
	char *script = strdup(f->script), *save = NULL, id[64] = "";
	unsigned long long ino = 0;

	for (char *step = strtok_r(script, "\n", &save); step; step = strtok_r(NULL, "\n", &save)) {
		char out[8192], *p;
		size_t piece = 0;

		if (step[0] == 'R') {
			snprintf(id, sizeof(id), "%s", read_cmd(f->fd));
			continue;
		}
		if (step[0] == 'D') {
			ino = recv_fd_ino(f->fd);
			snprintf(id, sizeof(id), "%s", read_cmd(f->fd));
			continue;
		}
		if (step[0] == 'C')
			break;
		if (step[0] == 'W') {
			usleep(300000);
			continue;
		}
		if (step[0] == 's') {
			piece = (size_t)strtoul(step + 1, &step, 10);
			step += 1;
		} else {
			step += 2;
		}
		/* substitute %ID% or %INO% */
		p = strstr(step, "%ID%");
		if (p)
			snprintf(out, sizeof(out), "%.*s%s%s\n", (int)(p - step), step, id, p + 4);
		else if ((p = strstr(step, "%INO%")))
			snprintf(out, sizeof(out), "%.*s%llu%s\n", (int)(p - step), step, ino, p + 5);
		else
			snprintf(out, sizeof(out), "%s\n", step);
		send_str(f->fd, out, piece);
	}
	free(script);
	shutdown(f->fd, SHUT_RDWR);
	close(f->fd);
	return NULL;
}

static struct qmp *start(const char *script, pthread_t *th, struct fake *f)
{
	int sv[2];
	struct qmp *q = NULL;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return NULL;
	f->fd = sv[1];
	f->script = script;
	pthread_create(th, NULL, fake_main, f);
	if (qmp_open_fd(sv[0], &q) < 0)
		return NULL;
	return q;
}

static void test_handshake_and_events(void)
{
	pthread_t th;
	struct fake f;
	const char *script =
		"s7 " GREETING "\n"
		"R\n"
		"S {\"return\": {}, \"id\": \"%ID%\"}\n"
		"R\n"
		"S {\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}\n"
		"s3 {\"timestamp\": {\"seconds\": 1, \"microseconds\": 5}, \"event\": \"STOP\"}\n"
		"s1 {\"return\": {\"status\": \"running\", \"running\": true}, \"id\": \"%ID%\"}\n"
		"S {\"timestamp\": {\"seconds\": 9, \"microseconds\": 0}, \"event\": \"GUEST_PANICKED\", "
		"\"data\": {\"action\": \"pause\"}}\n"
		"C\n";
	struct qmp *q = start(script, &th, &f);
	json_t *ret = NULL, *ev;
	int r;

	r = qmp_handshake(q, 5000);
	tap_is_int(r, 0, "handshake over a greeting split into 7-byte pieces");
	tap_is_str(qmp_qemu_version(q), "7.2.22", "QEMU version from the greeting");
	r = qmp_command(q, "query-status", NULL, 5000, &ret, NULL);
	tap_is_int(r, 0, "command whose reply arrives byte by byte after two events");
	tap_is_str(json_string_value(json_object_get(ret, "status")), "running", "reply content");
	json_decref(ret);
	ev = qmp_next_event(q);
	tap_is_str(json_string_value(json_object_get(ev, "event")), "RESUME", "first event queued");
	json_decref(ev);
	ev = qmp_next_event(q);
	tap_is_str(json_string_value(json_object_get(ev, "event")), "STOP", "second event in order");
	json_decref(ev);
	tap_ok(qmp_next_event(q) == NULL, "no more events yet");
	pthread_join(th, NULL);
	r = qmp_pump(q);
	tap_is_int(r, -EPIPE, "EOF reported as -EPIPE");
	ev = qmp_next_event(q);
	tap_is_str(json_string_value(json_object_get(ev, "event")), "GUEST_PANICKED",
		   "event sent just before hang-up is kept");
	json_decref(ev);
	qmp_close(q);
}

static void test_errors(void)
{
	pthread_t th;
	struct fake f;
	const char *script =
		"S " GREETING "\n"
		"R\n"
		"S {\"return\": {}, \"id\": \"%ID%\"}\n"
		"R\n"
		"S {\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not been found\"}, \"id\": \"%ID%\"}\n"
		"R\n"
		"S this is not json\n"
		"S {\"return\": {}, \"id\": \"stale-id\"}\n"
		"S [1, 2, 3]\n"
		"S {\"return\": 42, \"id\": \"%ID%\"}\n"
		"R\n"
		"W\n"
		"C\n";
	struct qmp *q = start(script, &th, &f);
	json_t *ret = NULL;
	char *err = NULL;
	int r;

	r = qmp_handshake(q, 5000);
	tap_is_int(r, 0, "handshake");
	r = qmp_command(q, "nope", NULL, 5000, &ret, &err);
	tap_is_int(r, -EREMOTEIO, "QEMU error reply gives -EREMOTEIO");
	tap_is_str(err, "The command nope has not been found", "error description passed on");
	free(err);
	r = qmp_command(q, "query-thing", json_pack("{s:i}", "x", 1), 5000, &ret, NULL);
	tap_is_int(r, 0, "reply found after malformed lines and a stray reply");
	tap_is_int(json_integer_value(ret), 42, "reply value");
	tap_is_int(qmp_stray_replies(q), 1, "stray reply counted");
	json_decref(ret);
	r = qmp_command(q, "slow", NULL, 100, &ret, NULL);
	tap_is_int(r, -ETIMEDOUT, "no reply within 100 ms gives -ETIMEDOUT");
	pthread_join(th, NULL);
	r = qmp_command(q, "after-close", NULL, 1000, &ret, NULL);
	tap_ok(r == -EPIPE || r == -ECONNRESET, "command to a closed peer fails cleanly (%d)", r);
	qmp_close(q);
}

/* A descriptor goes with the command that takes it (getfd, add-fd), and with no other. */
static void test_fd_passing(void)
{
	pthread_t th;
	struct fake f;
	const char *script =
		"S " GREETING "\n"
		"R\n"
		"S {\"return\": {}, \"id\": \"%ID%\"}\n"
		"D\n"
		"S {\"return\": {\"ino\": %INO%}, \"id\": \"hvdump-2\"}\n"
		"D\n"
		"S {\"return\": {\"ino\": %INO%}, \"id\": \"hvdump-3\"}\n"
		"C\n";
	struct qmp *q = start(script, &th, &f);
	char path[] = "/tmp/hvdump-test-qmp-XXXXXX";
	int fd = mkstemp(path), r;
	json_t *ret = NULL;
	struct stat st;

	unlink(path);
	tap_ok(fd >= 0 && fstat(fd, &st) == 0, "a file to pass");
	r = qmp_handshake(q, 5000);
	tap_is_int(r, 0, "handshake");
	r = qmp_command_fd(q, "add-fd", NULL, fd, 5000, &ret, NULL);
	tap_is_int(r, 0, "command with a descriptor");
	tap_ok(json_integer_value(json_object_get(ret, "ino")) == (json_int_t)st.st_ino,
	       "the peer got our file with the command's bytes");
	json_decref(ret);
	tap_ok(fcntl(fd, F_GETFD) >= 0, "our descriptor stays open");
	r = qmp_command(q, "query-fdsets", NULL, 5000, &ret, NULL);
	tap_is_int(r, 0, "next command");
	tap_is_int(json_integer_value(json_object_get(ret, "ino")), 0, "carries no descriptor");
	json_decref(ret);
	pthread_join(th, NULL);
	close(fd);
	qmp_close(q);
}

static void test_feed(void)
{
	struct qmp *q;
	char *big;
	json_t *ev;
	int r;

	r = qmp_new_detached(&q);
	tap_is_int(r, 0, "detached client");
	r = qmp_feed(q, "{\"event\": \"A\", \"timestamp\": {}}\r\n{\"ev", 37);
	tap_is_int(r, 0, "feed one message and a half");
	r = qmp_feed(q, "ent\": \"B\"}\n\n   \n", 16);
	tap_is_int(r, 0, "rest of the second message plus blank lines");
	ev = qmp_next_event(q);
	tap_is_str(json_string_value(json_object_get(ev, "event")), "A", "event A");
	json_decref(ev);
	ev = qmp_next_event(q);
	tap_is_str(json_string_value(json_object_get(ev, "event")), "B", "event B");
	json_decref(ev);
	r = qmp_feed(q, "{\"event\": 5}\n", 13);
	tap_is_int(r, -EPROTO, "event name that is not a string is a protocol error");
	r = qmp_feed(q, "{\"a\":1,\"a\":2}\n", 14);
	tap_is_int(r, -EPROTO, "duplicate keys refused");
	r = qmp_feed(q, "\"just a string\"\n", 16);
	tap_is_int(r, -EPROTO, "non-object message refused");

	big = malloc(QMP_MAX_MESSAGE + 10);
	memset(big, ' ', QMP_MAX_MESSAGE + 10);
	r = qmp_feed(q, big, QMP_MAX_MESSAGE + 10);
	tap_is_int(r, -EPROTO, "oversized line refused");
	r = qmp_feed(q, "still the long line\n{\"event\": \"C\"}\n", 36);
	tap_is_int(r, 0, "rest of oversized line discarded up to its newline");
	ev = qmp_next_event(q);
	tap_is_str(json_string_value(json_object_get(ev, "event")), "C", "framing recovers after it");
	json_decref(ev);
	free(big);
	qmp_close(q);
}

/* A peer that floods events (a guest can make QEMU send ACPI_DEVICE_OST at will) fills the
 * queue to QMP_MAX_EVENTS and no further; the vital events stay, in order, and the drops are
 * counted.  Unclaimed replies are capped too. */
static void test_flood(void)
{
	static const char *const vital[] = { "GUEST_PANICKED", "SHUTDOWN", NULL };
	struct qmp *q = NULL;
	unsigned n = 0, panicked = 0, shutdown = 0, ost = 0, order_ok = 1;
	char line[128];
	json_t *ev;
	int r;

	r = qmp_new_detached(&q);
	tap_ok(r == 0, "detached client");
	if (r < 0)
		return;
	qmp_set_vital_events(q, vital);
	for (unsigned i = 0; i < 5000; i++) {
		const char *name = i == 10 ? "GUEST_PANICKED" : i == 4000 ? "SHUTDOWN" :
				   "ACPI_DEVICE_OST";
		int len = snprintf(line, sizeof(line), "{\"event\": \"%s\", \"data\": {\"i\": %u}}\n",
				   name, i);
		if (qmp_feed(q, line, (size_t)len) < 0)
			break;
	}
	for (unsigned i = 0; i < 100; i++) {
		int len = snprintf(line, sizeof(line), "{\"return\": {}, \"id\": \"x%u\"}\n", i);
		if (qmp_feed(q, line, (size_t)len) < 0)
			break;
	}
	tap_ok(qmp_dropped_events(q) == 5000 - QMP_MAX_EVENTS, "5000 events: %llu dropped",
	       qmp_dropped_events(q));
	tap_ok(qmp_stray_replies(q) >= 100 - QMP_MAX_STRAY,
	       "100 unclaimed replies: the oldest dropped, counted as stray (%u)",
	       qmp_stray_replies(q));
	while ((ev = qmp_next_event(q)) != NULL) {
		const char *name = json_string_value(json_object_get(ev, "event"));

		n++;
		if (!strcmp(name, "GUEST_PANICKED"))
			panicked++, order_ok &= shutdown == 0;
		else if (!strcmp(name, "SHUTDOWN"))
			shutdown++;
		else
			ost++;
		json_decref(ev);
	}
	tap_ok(n == QMP_MAX_EVENTS, "the queue held %u events", n);
	tap_ok(panicked == 1 && shutdown == 1 && order_ok,
	       "GUEST_PANICKED and SHUTDOWN kept, in order, among %u ACPI_DEVICE_OST", ost);
	qmp_close(q);
}

int main(void)
{
	test_handshake_and_events();
	test_errors();
	test_fd_passing();
	test_feed();
	test_flood();
	return tap_done();
}
