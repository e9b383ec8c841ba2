// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/log.h"
#include "vm/session.h"

#define QMP_START_TIMEOUT_MS 15000
#define QMP_CMD_TIMEOUT_MS 5000
#define CONSOLE_PIPE_BYTES (1 << 20)
#define TO_STR_(x) #x
#define TO_STR(x) TO_STR_(x)

void session_init(struct session *s, bool relay)
{
	struct console con = s->con;

	memset(s, 0, sizeof(*s));
	s->con = con;
	console_reset(&s->con);
	s->console_fd = s->console_in_fd = s->proc.stderr_fd = -1;
	s->relay = relay;
}

/* QEMU's ends of the console FIFOs (B's console_in_fd, console_out_fd): blocking, as QEMU
 * would open them itself.  Opened after ours, so the write end finds its reader.  0 or
 * -errno. */
static int console_qemu_ends(const struct rundir *rd, struct qemu_boot *b)
{
	b->console_out_fd = -1;
	b->console_in_fd = open(rd->console_in, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (b->console_in_fd >= 0)
		b->console_out_fd = open(rd->console_out,
					 O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (b->console_in_fd < 0 || b->console_out_fd < 0) {
		int e = -errno;
		if (b->console_in_fd >= 0)
			close(b->console_in_fd);
		if (b->console_out_fd >= 0)
			close(b->console_out_fd);
		b->console_in_fd = b->console_out_fd = -1;
		return e;
	}
	fcntl(b->console_in_fd, F_SETFL, 0);
	fcntl(b->console_out_fd, F_SETFL, 0);
	return 0;
}

static void close_qemu_ends(struct qemu_boot *b)
{
	if (b->qmp_fd >= 0)
		close(b->qmp_fd);
	if (b->save_port_fd > 0)
		close(b->save_port_fd);
	if (b->console_in_fd >= 0)
		close(b->console_in_fd);
	if (b->console_out_fd >= 0)
		close(b->console_out_fd);
	b->qmp_fd = b->save_port_fd = b->console_in_fd = b->console_out_fd = -1;
}

static void console_close(struct session *s)
{
	if (s->console_fd >= 0)
		close(s->console_fd);
	if (s->console_in_fd >= 0)
		close(s->console_in_fd);
	s->console_fd = s->console_in_fd = -1;
}

/* The console FIFOs (RUN-DIR/console.in and .out), made afresh, our ends open: 0 or
 * -errno. */
static int console_fifos(struct session *s, const struct rundir *rd)
{
	const char *path[2] = { rd->console_in, rd->console_out };

	for (int i = 0; i < 2; i++) {
		if (unlink(path[i]) < 0 && errno != ENOENT)
			return -errno;
		if (mkfifo(path[i], 0600) < 0)
			return -errno;
	}
	/* O_RDWR on the input: it never blocks, and QEMU's open never waits for us */
	s->console_in_fd = open(rd->console_in, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	s->console_fd = open(rd->console_out, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (s->console_in_fd < 0 || s->console_fd < 0) {
		int e = -errno;
		console_close(s);
		return e;
	}
	/* as much as an unprivileged process may ask for; the default 64 KiB if not */
	if (fcntl(s->console_fd, F_SETPIPE_SZ, CONSOLE_PIPE_BYTES) < 0)
		log_debug("console pipe stays at its default size: %s", strerror(errno));
	return 0;
}

/* The sockets QEMU inherits: QMP (our connection waits in its backlog) and, with SAVE_FD, the
 * guest saver's port.  0 or -errno (logged); what was made is closed on error. */
static int make_sockets(struct session *s, const struct rundir *rd, struct qemu_boot *b,
			int *qmp_conn, int *save_fd)
{
	int r, con;

	b->qmp_fd = unix_listen(rd->qmp);
	con = b->qmp_fd >= 0 ? console_fifos(s, rd) : -1;
	if (con == 0)
		con = console_qemu_ends(rd, b);
	if (b->qmp_fd < 0 || con < 0) {
		r = b->qmp_fd < 0 ? b->qmp_fd : con;
		log_err("cannot create the QMP socket and console FIFOs in %s: %s", rd->path,
			strerror(-r));
		goto fail;
	}
	/* Connecting before QEMU exists is fine: the connections wait in the backlog, and once
	 * our copies of the listening sockets are closed, a QEMU that dies resets them. */
	*qmp_conn = unix_connect(rd->qmp);
	if (*qmp_conn < 0) {
		r = *qmp_conn;
		log_err("cannot connect to our own sockets in %s: %s", rd->path, strerror(-r));
		goto fail;
	}
	b->console_path = rd->console;
	if (save_fd) {
		b->save_port_fd = unix_listen(rd->save);
		*save_fd = b->save_port_fd >= 0 ? unix_connect(rd->save) : -1;
		if (*save_fd < 0) {
			r = b->save_port_fd < 0 ? b->save_port_fd : *save_fd;
			log_err("cannot create the guest saver's socket: %s", strerror(-r));
			goto fail;
		}
	}
	return 0;
fail:
	close_qemu_ends(b);
	if (*qmp_conn >= 0)
		close(*qmp_conn);
	if (save_fd && *save_fd >= 0)
		close(*save_fd);
	*qmp_conn = -1;
	console_close(s);
	return r;
}

static int spawn(struct session *s, struct qemu_boot *b)
{
	struct argv argv = { 0 };
	int keep[QEMU_BOOT_MAX_FDS], r;
	size_t nkeep = qemu_boot_fds(b, keep);
	char *line;

	r = qemu_build_argv(b, &argv);
	if (r < 0) {
		log_err("out of memory building the QEMU command line");
		argv_free(&argv);
		return r;
	}
	line = argv_join(&argv);
	log_debug("starting: %s", line ? line : argv.v[0]);
	free(line);
	r = qemu_spawn(&argv, keep, (int)nkeep, b->user, &s->proc);
	argv_free(&argv);
	if (r < 0) {
		log_err("cannot run QEMU (%s): %s", b->qemu, strerror(-r));
		return r;
	}
	s->running = true;
	return 0;
}

/* Switch the serial port from its null chardev to the console FIFOs QEMU holds as fd sets
 * (qemu_build_argv()), then drop those sets: the chardev keeps its own copies.  "append": a
 * FIFO cannot be truncated, and QEMU would try.  0 or -errno (logged). */
static int console_attach(struct session *s)
{
	char *err = NULL;
	json_t *args = json_pack("{s:s, s:{s:s, s:{s:s, s:s, s:b}}}", "id", "console", "backend",
				 "type", "file", "data", "in",
				 "/dev/fdset/" TO_STR(QEMU_CONSOLE_FDSET_IN), "out",
				 "/dev/fdset/" TO_STR(QEMU_CONSOLE_FDSET_OUT), "append", 1);
	int r = qmp_command(s->qmp, "chardev-change", args, QMP_CMD_TIMEOUT_MS, NULL, &err);

	if (r < 0) {
		log_err("QEMU cannot attach the console to its FIFOs: %s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	for (int i = 0; i < 2; i++) {
		int set = i ? QEMU_CONSOLE_FDSET_OUT : QEMU_CONSOLE_FDSET_IN;
		if (qmp_command(s->qmp, "remove-fd", json_pack("{s:i}", "fdset-id", set),
				QMP_CMD_TIMEOUT_MS, NULL, NULL) < 0)
			log_debug("QEMU kept the console's fd set %d", set);
	}
	return 0;
}

int session_start(struct session *s, const struct rundir *rd, struct qemu_boot *b, int *save_fd)
{
	int qmp_conn = -1, r;

	b->qmp_fd = b->save_port_fd = b->console_in_fd = b->console_out_fd = -1;
	if (save_fd)
		*save_fd = -1;
	r = make_sockets(s, rd, b, &qmp_conn, save_fd);
	if (r < 0)
		return r;
	r = spawn(s, b);
	close_qemu_ends(b);
	if (r < 0) {
		close(qmp_conn);
		if (save_fd && *save_fd >= 0)
			close(*save_fd);
		if (save_fd)
			*save_fd = -1;
		return r;
	}
	if (save_fd)
		fcntl(*save_fd, F_SETFL, O_NONBLOCK);
	r = qmp_open_fd(qmp_conn, &s->qmp);
	if (r == 0)
		r = qmp_handshake(s->qmp, QMP_START_TIMEOUT_MS);
	if (r == 0)
		r = console_attach(s);
	if (r < 0) {
		/* collect what QEMU said on its way out */
		for (int i = 0; i < 50 && s->running; i++) {
			session_reap(s);
			if (s->running)
				usleep(20000);
		}
		if (s->proc.stderr_fd >= 0)
			session_stderr_input(s);
		log_err("QEMU did not start%s%s", s->con.err_last[0] ? ": " : "", s->con.err_last);
		return r;
	}
	log_debug("QMP connected to QEMU %s", qmp_qemu_version(s->qmp));
	return 0;
}

void session_reap(struct session *s)
{
	int status;

	if (s->running && waitpid(s->proc.pid, &status, WNOHANG) == s->proc.pid) {
		s->running = false;
		s->status = status;
	}
}

void session_command(struct session *s, const char *cmd)
{
	char *err = NULL;
	int r;

	if (!s->qmp)
		return;
	r = qmp_command(s->qmp, cmd, NULL, QMP_CMD_TIMEOUT_MS, NULL, &err);
	if (r < 0 && r != -EPIPE)
		log_warn("QMP %s failed: %s", cmd, err ? err : strerror(-r));
	free(err);
}

void session_quit(struct session *s)
{
	if (s->quit_sent || !s->running)
		return;
	s->quit_sent = true;
	session_command(s, "quit");
	if (!s->qmp && s->running)
		kill(s->proc.pid, SIGTERM);
}

void session_kill(struct session *s)
{
	if (s->running) {
		kill(s->proc.pid, SIGKILL);
		waitpid(s->proc.pid, &s->status, 0);
		s->running = false;
	}
}

bool session_console_input(struct session *s)
{
	char buf[8192];
	size_t taken = 0;

	while (taken < SESSION_READ_BUDGET) {
		ssize_t n = read(s->console_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN) {
				close(s->console_fd);
				s->console_fd = -1;
			}
			return false;
		}
		if (s->relay && write_full(STDOUT_FILENO, buf, (size_t)n) < 0)
			log_debug("console relay to stdout failed: %s", strerror(errno));
		console_feed(&s->con, buf, (size_t)n);
		taken += (size_t)n;
	}
	return true;
}

bool session_stderr_input(struct session *s)
{
	char buf[1024];
	size_t taken = 0;

	while (taken < SESSION_READ_BUDGET) {
		ssize_t n = read(s->proc.stderr_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN) {
				close(s->proc.stderr_fd);
				s->proc.stderr_fd = -1;
				console_err_feed(&s->con, NULL, 0, true);
			}
			return false;
		}
		console_err_feed(&s->con, buf, (size_t)n, false);
		taken += (size_t)n;
	}
	return true;
}

void session_close(struct session *s)
{
	if (s->qmp)
		qmp_close(s->qmp);
	s->qmp = NULL;
	/* QEMU is gone or going: take what is left, within bounds all the same */
	for (int i = 0; i < 16 && s->console_fd >= 0 && session_console_input(s); i++)
		;
	console_close(s);
	console_flush(&s->con);
	if (s->proc.stderr_fd >= 0) {
		for (int i = 0; i < 16 && s->proc.stderr_fd >= 0 && session_stderr_input(s); i++)
			;
		if (s->proc.stderr_fd >= 0)
			close(s->proc.stderr_fd);
	}
	s->proc.stderr_fd = -1;
}
