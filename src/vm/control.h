/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket of a running `hvdump run` (RUN-DIR/control.sock, 0600): one JSON
 * request per connection, one JSON reply.  Used by `hvdump save`.
 *
 *   {"cmd": "status"}       -> {"ok": true, "crashes": [...], "saving": ..., ...}
 *   {"cmd": "save-resume"}  -> start or continue saving the unsaved dumps
 *   {"cmd": "save-discard"} -> drop the unsaved dumps, free and give back their memory
 *   {"cmd": "dump"}         -> stop the running guest and take the crash path with it
 *                              (detected_by "operator"): {"ok", "crash", "dir", "capture"}
 *   {"cmd": "nmi"}          -> inject an NMI (QEMU's first vCPU): {"ok", "crashes_seen",
 *                              "wait_ms"}
 *   anything else           -> {"ok": false, "error": "..."} */
#ifndef HVDUMP_VM_CONTROL_H
#define HVDUMP_VM_CONTROL_H

#include <jansson.h>

enum control_cmd {
	CONTROL_BAD,           /* no {"cmd": "..."} object */
	CONTROL_UNKNOWN,       /* a command we do not know */
	CONTROL_STATUS,
	CONTROL_SAVE_RESUME,
	CONTROL_SAVE_DISCARD,
	CONTROL_DUMP,          /* stop the guest and dump it as a crash (operator) */
	CONTROL_NMI,           /* inject an NMI */
};

/* The command in one request line TEXT (LEN bytes). */
enum control_cmd control_parse(const char *text, size_t len);

/* Accept one client on the listening socket LFD (non-blocking) and read its request within
 * 250 ms (a client too slow for that gets "expected {...}" back).  Returns the connection, or -1 if there was none; *CMD is its command. */
int control_accept(int lfd, enum control_cmd *cmd);

/* Send REPLY (stolen) and close the connection FD. */
void control_reply(int fd, json_t *reply);

/* {"ok": false, "error": MSG} and {"ok": true}. */
json_t *control_error(const char *msg);
json_t *control_ok(void);

#endif
