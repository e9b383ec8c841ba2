/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `hvdump save --from CRASH-DIR`: write a kept crash's dump without its `hvdump run`. */
#ifndef HVDUMP_CLI_SAVE_OFFLINE_H
#define HVDUMP_CLI_SAVE_OFFLINE_H

#include <stdbool.h>

#include "format/kdump.h"

struct save_offline_opts {
	int format;            /* enum save_format, or -1: continue a partial dump's, else kdump */
	enum kdump_compression compress; /* kdump: page compression */
	bool compress_set;     /* ... given on the command line (zstd if not) */
	unsigned dump_level;   /* kdump: makedumpfile's -d bits */
	unsigned threads;      /* kdump: compression threads, 0: one per CPU */
	uint64_t min_free;     /* kept free on the dump's file system (space.h), 0: default */
};

/* Returns the exit code: 0 saved, 1 refused or failed (one line says why; also when the dump
 * does not fit above the reserve: the record's space_check says so), 2 the directory or its
 * record is unusable. */
int save_offline(const char *from, const struct save_offline_opts *opt);

#endif
