/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The client side of a running `hvdump run`'s control socket (vm/control.h), for the
 * commands that talk to one: save, dump, nmi. */
#ifndef HVDUMP_CLI_CTLCLIENT_H
#define HVDUMP_CLI_CTLCLIENT_H

#include <jansson.h>

/* Where the VM is: a NAME (its run directory found as hvdump run finds it) or a RUN_DIR. */
struct ctl_target {
	const char *name;
	const char *run_dir;
};

/* TARGET from a command's one operand: a path (it holds a '/') is a run directory, anything
 * else a VM name.  0, or -EINVAL after saying why. */
int ctl_target_parse(const char *arg, struct ctl_target *t);

/* Send {"cmd": CMD} and wait up to TIMEOUT_MS for the reply.  0 with *REPLY (the caller's),
 * or 2 (the exit code of "no VM") after saying why. */
int ctl_request(const struct ctl_target *t, const char *cmd, int timeout_ms, json_t **reply);

/* The reply's "error" text, or "refused". */
const char *ctl_error(const json_t *reply);

#endif
