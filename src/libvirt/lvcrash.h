/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A libvirt domain's crash (docs/hvdump-libvirt.md): keep the crashed RAM by a hard link
 * before anything can destroy the domain, take the vCPU state through QEMU's monitor, write
 * the crash directory (record, notes) as `hvdump run` does; then boot the capture domain on
 * the kept RAM (libvirt/lvcapture.h), or, with on_crash pause, leave the domain paused for
 * `hvdump save --from`. */
#ifndef HVDUMP_LIBVIRT_LVCRASH_H
#define HVDUMP_LIBVIRT_LVCRASH_H

#include "libvirt/conn.h"
#include "libvirt/domxml.h"
#include "libvirt/lvcapture.h"
#include "vm/config.h"

/* The crash being served. */
struct lvcrash {
	const char *name, *uuid;    /* the domain */
	int id;                     /* its libvirt id (as in the RAM file's directory) */
	const struct domxml *xml;   /* its running definition (ready: domcheck) */
	unsigned number;            /* of this domain, in this watch, from 1 */
	const struct vm_config *cfg; /* the domain's name, memory, kernel or disk; the watch's
				     * options (must outlive a capture) */
	const char *live_xml;       /* its running definition as libvirt gave it */
	const char *uri;            /* the connection's, for the record */
	char dir[4096];             /* out: its crash directory ("" when none was made) */
};

/* Serve the crash of C->name on connection L (its QEMU paused by libvirt's on_crash
 * preserve).  With cfg->on_crash assisted: 0 with *CAP, the capture domain running (the
 * caller steps it), else -errno after logging what failed and what was kept.  With pause:
 * 0 when its RAM is kept and its record written (state preserved-unsaved; `hvdump save
 * --from C->dir` writes the dump; nothing of the domain is changed but its RAM backend's
 * discard-data, turned off), *CAP NULL. */
__attribute__((warn_unused_result)) int lvcrash_serve(struct lvconn *l, struct lvcrash *c,
						       struct lvcapture **cap);

#endif
