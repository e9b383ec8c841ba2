/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VM's UEFI variable store (--firmware uefi). */
#ifndef HVDUMP_VM_FIRMWARE_H
#define HVDUMP_VM_FIRMWARE_H

#include <stddef.h>

#include "vm/config.h"

/* Where C's variable store is: --uefi-vars, else DUMP-DIR/NAME.efivars.fd (BUF holds it). */
const char *vm_uefi_vars_path(const struct vm_config *c, char *buf, size_t len);

/* Open C's variable store read-write for QEMU to inherit; when it does not exist, make it
 * (0600, its directory 0700) from c->uefi_vars_template.  Under --qemu-user the file becomes
 * that user's (QEMU writes it).  A descriptor, or -errno with MSG set. */
__attribute__((warn_unused_result)) int vm_uefi_vars_open(const struct vm_config *c, char *msg,
							   size_t msglen);

#endif
