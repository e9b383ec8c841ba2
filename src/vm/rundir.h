/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The per-VM runtime directory: lock, RAM file, sockets and state, all private to us.
 *
 *   <run-dir>/            0700
 *     lock                0600  flock()ed by the live hvdump; holds its pid
 *     state.json          0600  what this VM is doing (running, crashed, ...)
 *     ram                 0600  guest RAM (QEMU memory-backend-file, share=on); given to
 *                               QEMU's user under --qemu-user, as are the dimm-N files
 *     qmp.sock                  listening socket handed to QEMU
 *     console.in console.out    0600 FIFOs of the serial console (handed to QEMU's file
 *                               chardev as descriptors): a
 *                               pipe holds a megabyte of console text, so the log loses
 *                               nothing while hvdump is busy (a socket takes a buffer per
 *                               byte QEMU writes and fills after a few hundred)
 *     control.sock        0600  hvdump's own control socket (`hvdump save`)
 */
#ifndef HVDUMP_VM_RUNDIR_H
#define HVDUMP_VM_RUNDIR_H

#include <stddef.h>
#include <stdint.h>

#include "qemu/user.h"

struct rundir {
	char path[4096];
	char ram[4200], qmp[4200], console[4200], state[4200], lock[4200], control[4200];
	char save[4200], console_in[4200], console_out[4200];
	int lock_fd;
	int created;   /* we made the directory (so we may remove it) */
};

/* The parent of root's run directories when it exists: the tmpfs hvdump's service mounts
 * there (dist/systemd/run-hvdump.mount, docs/service.md). */
#define RUNDIR_SERVICE_BASE "/run/hvdump"

/* Default parent of run directories: $HVDUMP_RUN_BASE; else $RUNTIME_DIRECTORY (systemd's
 * RuntimeDirectory=, its first one); else for root RUNDIR_SERVICE_BASE when it is a
 * directory; else /dev/shm/hvdump-<uid>. */
const char *rundir_default_base(void);

/* Claim PATH for VM NAME: create it 0700 (parents too), take the lock.  A directory of a live
 * VM (locked) or one holding a preserved crash is refused; a stale one is cleaned.  Warns when
 * systemd-logind would delete PATH at this user's logout (util/logind.h).  On error
 * MSG names the problem.  Returns 0 or -errno (-EBUSY: in use, -EEXIST: holds a crash). */
__attribute__((warn_unused_result)) int rundir_open(struct rundir *rd, const char *path,
						     char *msg, size_t msglen);

/* Create the RAM file afresh: SIZE bytes, sparse, 0600.  Checks that the file system can hold
 * it.  Returns 0 or -errno with MSG set. */
__attribute__((warn_unused_result)) int rundir_create_ram(struct rundir *rd, uint64_t size,
							   char *msg, size_t msglen);

/* The RAM file for QEMU to inherit: opened read-write (close-on-exec), not through a
 * symbolic link, and a regular file; with OWNER (--qemu-user), given to that user, who must
 * reopen it as /proc/self/fd/N.  A descriptor, or -errno with MSG set. */
__attribute__((warn_unused_result)) int rundir_open_ram(const struct rundir *rd,
							 const struct qemu_user *owner, char *msg,
							 size_t msglen);

/* Atomically replace state.json with TEXT. */
__attribute__((warn_unused_result)) int rundir_write_state(struct rundir *rd, const char *text);

/* Remove everything we put in the directory and the directory itself; drop the lock. */
void rundir_remove(struct rundir *rd);

/* Drop the lock, keep the contents (a preserved crash stays for later recovery). */
void rundir_release(struct rundir *rd);

#endif
