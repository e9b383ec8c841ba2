/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `hvdump libvirt watch`: libvirt's event loop, and each crash of a watched domain served
 * (libvirt/lvcrash.h) while the others go on being watched. */
#ifndef HVDUMP_LIBVIRT_WATCH_H
#define HVDUMP_LIBVIRT_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "libvirt/conn.h"
#include "vm/config.h"

struct lvwatch {
	struct lvconn *conn;       /* read-write, opened after lvconn_events_init() */
	const struct vm_config *base; /* the options each crash is served with (dump directory,
				    * on_crash assisted or pause, save format, hooks...); the
				    * domain's facts are added to a copy */
	bool all;                  /* every domain of the connection */
	const char *const *domains; /* else these (names or UUIDs, checked ready at start) */
	size_t ndomains;
};

/* Watch until SIGINT or SIGTERM (0) or until libvirt closes the connection (-EPIPE, logged).
 * -errno when the watch cannot start (logged). */
__attribute__((warn_unused_result)) int lvwatch_run(const struct lvwatch *w);

#endif
