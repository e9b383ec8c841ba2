/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QEMU's seccomp sandbox: the filter hvdump runs QEMU under, and whether this QEMU has it. */
#ifndef HVDUMP_QEMU_SANDBOX_H
#define HVDUMP_QEMU_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

/* -sandbox: QEMU's seccomp filter with every optional group denied: obsolete system calls,
 * set*uid/set*gid (elevateprivileges), fork and exec (spawn), scheduler and priority changes
 * (resourcecontrol).  A QEMU taken over by its guest cannot start programs nor change who it
 * is.  The same string libvirt uses. */
#define QEMU_SANDBOX_OPTS "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"

/* Does QEMU (the binary QEMU) run under QEMU_SANDBOX_OPTS on this host?  Starts it once with
 * them and no machine, QMP on a pipe (qmp_capabilities, quit): true when it exits 0 within
 * a few seconds.  Else WHY has QEMU's first line of complaint (a QEMU built without seccomp
 * says "-sandbox support is not enabled in this QEMU binary"; a kernel without seccomp
 * filters makes it fail to install the filter) or what else went wrong.  Never fails. */
bool qemu_sandbox_probe(const char *qemu, char *why, size_t whylen);

#endif
