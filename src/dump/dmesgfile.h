/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A dump's kernel log into a file, as `makedumpfile --dump-dmesg` writes it: what
 * `hvdump dmesg -o` does, and the dmesg.txt every saved dump gets beside it (as kdump-tools
 * leaves one beside its vmcore), so the log is one `less` away without any tool. */
#ifndef HVDUMP_DUMP_DMESGFILE_H
#define HVDUMP_DUMP_DMESGFILE_H

#include <stddef.h>
#include <stdint.h>

#include "format/dumpfile.h"
#include "format/printk.h"

/* Write the kernel log of the dump D (opened by the caller; NAME stands for it in messages) to
 * OUT_PATH: a temporary file beside it (0600), synced, renamed into place only when the whole
 * log is written, the directory synced.  RES gets what printk_dump() found.  0, or a negative
 * errno with WHY saying what failed: -ENOKEY (no VMCOREINFO), a log that cannot be read
 * (printk's error), or the file's error. */
__attribute__((warn_unused_result)) int dmesg_write_file(struct dumpfile *d, const char *name,
							  const char *out_path,
							  struct printk_result *res, char *why,
							  size_t whylen);

#endif
