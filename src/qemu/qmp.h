/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QMP client: greeting and capability negotiation, commands with timeouts, queued events.
 *
 * QEMU sends one JSON object per line.  Reads are non-blocking and may end anywhere inside
 * a message; complete lines are parsed, events are queued in arrival order, and a reply is
 * matched to its command by the "id" we attach.  Nothing here exits or aborts: a broken or
 * hostile peer yields an error code. */
#ifndef HVDUMP_QEMU_QMP_H
#define HVDUMP_QEMU_QMP_H

#include <jansson.h>
#include <stddef.h>

struct qmp;

/* Longest single QMP message we accept; QEMU's replies are far smaller. */
#define QMP_MAX_MESSAGE (16u << 20)
/* Bounds on what a peer can make us hold or do: events queued (a guest can make QEMU emit some,
 * ACPI_DEVICE_OST for one, as fast as it likes), replies no command claimed, and bytes read
 * by one qmp_pump() (the rest waits for the next call: the descriptor stays readable). */
#define QMP_MAX_EVENTS 1024u
#define QMP_MAX_STRAY 64u
#define QMP_PUMP_BYTES (1u << 20)

/* Wrap a connected stream socket FD (ownership passes to the client, also on error). */
__attribute__((warn_unused_result)) int qmp_open_fd(int fd, struct qmp **out);

/* Connect to the UNIX socket at PATH. */
__attribute__((warn_unused_result)) int qmp_connect(const char *path, struct qmp **out);

void qmp_close(struct qmp *q);

/* Read the greeting and enter command mode (qmp_capabilities).  -ETIMEDOUT after TIMEOUT_MS,
 * -EPROTO if the peer does not speak QMP. */
__attribute__((warn_unused_result)) int qmp_handshake(struct qmp *q, int timeout_ms);

/* The QEMU version from the greeting ("7.2.22"), or "" before the handshake. */
const char *qmp_qemu_version(const struct qmp *q);

/* Run CMD with ARGS (a JSON object, or NULL; the reference is stolen).  On success *RET (if
 * not NULL) receives a new reference to the "return" value.  Returns 0; -EREMOTEIO if QEMU
 * answered with an error (its description in *ERR, malloc'd, if ERR is not NULL);
 * -ETIMEDOUT; -EPIPE if the connection closed; -EPROTO on a malformed message.
 * Events that arrive meanwhile are queued for qmp_next_event(). */
__attribute__((warn_unused_result)) int qmp_command(struct qmp *q, const char *cmd, json_t *args,
						     int timeout_ms, json_t **ret, char **err);

/* qmp_command() with the descriptor FD passed along (SCM_RIGHTS, on the command's first
 * bytes) for a command that takes one: getfd (then "fd:NAME" names it) or add-fd (its reply
 * gives the number QEMU holds it under).  FD stays ours; QEMU gets a copy. */
__attribute__((warn_unused_result)) int qmp_command_fd(struct qmp *q, const char *cmd,
							json_t *args, int fd, int timeout_ms,
							json_t **ret, char **err);

/* Hand QEMU a copy of FD under NAME (getfd), for a command that names it "fd:NAME" and takes
 * it over; a later getfd of the same NAME replaces one not taken.  As qmp_command(). */
__attribute__((warn_unused_result)) int qmp_getfd(struct qmp *q, const char *name, int fd,
						   int timeout_ms, char **err);

/* The descriptor to poll for readability. */
int qmp_fd(const struct qmp *q);

/* Consume whatever is readable now without blocking; queue events.  Returns 0, or -EPIPE
 * once the peer has closed (after queueing anything it sent first), or -EPROTO. */
__attribute__((warn_unused_result)) int qmp_pump(struct qmp *q);

/* Pop the oldest queued event (a new reference), or NULL when none is queued. */
json_t *qmp_next_event(struct qmp *q);

/* Event names that are never dropped from a full queue (NAMES: a NULL-terminated array that
 * must outlive Q; only events the peer cannot repeat at will belong here).  When
 * QMP_MAX_EVENTS are queued, a new event first makes room by dropping the oldest queued one
 * not named here; if there is none, the new one is dropped unless it is vital itself. */
void qmp_set_vital_events(struct qmp *q, const char *const *names);

/* Events dropped so far because the queue was full. */
unsigned long long qmp_dropped_events(const struct qmp *q);

/* Feed raw bytes as if read from the socket (for tests and fuzzing of the framing). */
__attribute__((warn_unused_result)) int qmp_feed(struct qmp *q, const char *buf, size_t len);

/* Create a client with no socket, for qmp_feed(). */
__attribute__((warn_unused_result)) int qmp_new_detached(struct qmp **out);

/* Number of replies received that matched no outstanding command (late replies after a
 * timeout land here). */
unsigned qmp_stray_replies(const struct qmp *q);

#endif
