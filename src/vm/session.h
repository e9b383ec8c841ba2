/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One QEMU process of a VM: start it paused with its QMP socket and console FIFOs in the run
 * directory, reap it, ask it to quit, read its console and stderr, close it. */
#ifndef HVDUMP_VM_SESSION_H
#define HVDUMP_VM_SESSION_H

#include <stdbool.h>

#include "qemu/cmdline.h"
#include "qemu/process.h"
#include "qemu/qmp.h"
#include "vm/console.h"
#include "vm/rundir.h"

struct session {
	struct qemu_proc proc;
	bool running;          /* not reaped yet */
	int status;            /* its wait() status once reaped */
	struct qmp *qmp;       /* NULL once QMP is gone */
	int console_fd;        /* the console's output (read end of console.out), -1 if none */
	int console_in_fd;     /* its input (console.in) */
	bool relay;            /* copy the console to our stdout */
	bool quit_sent;
	struct console con;
};

/* Before each start: nothing open. */
void session_init(struct session *s, bool relay);

/* Start QEMU for boot B (the caller filled all but its sockets and console) in run directory
 * RD.  With SAVE_FD, also the guest saver's port: *SAVE_FD is our connected end
 * (non-blocking).  0 (QMP handshake done, QEMU paused), or -errno after logging why (what QEMU
 * said on its way out included); session_close() either way. */
__attribute__((warn_unused_result)) int session_start(struct session *s, const struct rundir *rd,
						       struct qemu_boot *b, int *save_fd);

/* Reap QEMU if it has exited (SIGCHLD). */
void session_reap(struct session *s);

/* Run a QMP command that needs no reply; its failure is logged. */
void session_command(struct session *s, const char *cmd);

/* Ask QEMU to quit (QMP, or SIGTERM without it), once. */
void session_quit(struct session *s);

/* Kill QEMU and wait for it. */
void session_kill(struct session *s);

/* Input on the console or stderr: read what is there, at most SESSION_READ_BUDGET bytes (the
 * rest waits for the next wakeup: a guest printing without pause does not hold the loop),
 * relay, log, watch.  True when the budget ended the reading. */
#define SESSION_READ_BUDGET (1u << 20)
bool session_console_input(struct session *s);
bool session_stderr_input(struct session *s);

/* QEMU is gone or going: close QMP, drain and close the console and stderr. */
void session_close(struct session *s);

#endif
