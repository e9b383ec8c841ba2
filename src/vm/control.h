/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket of a running `hvdump run` (RUN-DIR/control.sock, 0600): one JSON
 * request per connection, one JSON reply.  Used by `hvdump save`.
 *
 *   {"cmd": "status"}       -> {"ok": true, "state": ..., "crashes": [...], ...}
 *   {"cmd": "save-resume"}  -> start or continue saving the unsaved dumps
 *   {"cmd": "save-discard"} -> drop the unsaved dumps, free and give back their memory */
#ifndef HVDUMP_VM_CONTROL_H
#define HVDUMP_VM_CONTROL_H

struct vm;

/* Serve one client on the listening socket FD (non-blocking accept).  Never fails the VM:
 * a bad client gets an error reply or is dropped. */
void control_serve(struct vm *vm, int fd);

#endif
