/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Progress of long work on stderr: a bar redrawn in place on a terminal, a line every few
 * seconds otherwise (logs, CI). */
#ifndef HVDUMP_UTIL_PROGRESS_H
#define HVDUMP_UTIL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	char what[48];
	uint64_t total;
	bool enabled, tty, drawn;
	long long start_ms, last_ms;
};

/* Start reporting WHAT ("saving", "converting") out of TOTAL bytes; ENABLED false: silent. */
void progress_start(struct progress *p, const char *what, uint64_t total, bool enabled);

/* DONE bytes of TOTAL are done (drawn at most 10 times a second, or every 5 s in logs). */
void progress_update(struct progress *p, uint64_t done);

/* Clear the bar (a terminal) so the next line starts clean. */
void progress_end(struct progress *p);

#endif
