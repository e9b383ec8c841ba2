/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Starting and reaping a QEMU process. */
#ifndef HVDUMP_QEMU_PROCESS_H
#define HVDUMP_QEMU_PROCESS_H

#include <sys/types.h>

#include "qemu/user.h"
#include "util/argv.h"

struct qemu_proc {
	pid_t pid;
	int stderr_fd;       /* read end of QEMU's stderr, non-blocking */
};

/* Start ARGV[0] with ARGV.  KEEP_FDS (NKEEP of them) stay open in the child at the same
 * numbers; everything else is close-on-exec.  The child gets its own process group, so a
 * terminal ^C reaches hvdump only, and dies with us (PDEATHSIG) rather than run unsupervised.
 * Signals blocked in the parent are unblocked in the child.  With USER (not NULL), the child
 * becomes that user before exec (qemu_user_enter(); the caller is root).  Returns 0 or
 * -errno (logged when the child could not become USER). */
__attribute__((warn_unused_result)) int qemu_spawn(const struct argv *argv, const int *keep_fds,
						    int nkeep, const struct qemu_user *user,
						    struct qemu_proc *out);

/* Describe a wait() status in words ("exited with status 1", "killed by SIGKILL"). */
const char *qemu_status_text(int status, char *buf, size_t len);

#endif
