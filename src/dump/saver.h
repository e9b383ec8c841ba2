/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host saver: writes a crash's dump from the preserved memory while the capture guest
 * runs, in a thread of its own, and reports which RAM-file ranges are durably saved (and so
 * may be released). */
#ifndef HVDUMP_DUMP_SAVER_H
#define HVDUMP_DUMP_SAVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dump/layout.h"

enum save_format { SAVE_ELF, SAVE_KDUMP };

struct saver_config {
	const char *ram_path;         /* file holding the crash now */
	struct machine_layout layout; /* its layout (maps the header's addresses to offsets) */
	uint64_t hdr_off;             /* the ELF core header hvdump wrote, as a file offset */
	const char *out_path;         /* final dump path; written as OUT.part, then renamed */
	enum save_format format;
	uint64_t chunk;               /* durability (and release) granularity, bytes */
	bool resume;                  /* continue OUT.part from its progress file (ELF) or its
				       * resume record (kdump) */
	int compression;              /* kdump: enum kdump_compression */
	int level;                    /* kdump: 0 = the default */
	unsigned threads;             /* kdump: compression threads (0: one per online CPU) */
};

/* Progress of an unfinished dump, kept beside it as OUT.part.progress: the first DONE bytes of
 * the memory (the PT_LOADs in order) are durable in OUT.part and were released. */
__attribute__((warn_unused_result)) int saver_read_progress(const char *out_path,
							     uint64_t *done);

struct saver_range {
	uint64_t off, len;            /* RAM-file bytes whose dump data is durable */
};

struct saver;

/* Start saving in a new thread.  With cfg->resume the durable part of OUT.part is kept and
 * not read again from the RAM file (it was released).  Returns 0 or -errno. */
__attribute__((warn_unused_result)) int saver_start(const struct saver_config *cfg,
						     struct saver **out);

/* Readable (eventfd) whenever there is news: durable ranges or the end. */
int saver_event_fd(const struct saver *s);

/* Drain the event counter and take up to MAX durable ranges reported since the last call. */
size_t saver_take(struct saver *s, struct saver_range *out, size_t max);

/* Bytes of guest memory saved so far, and in all. */
void saver_progress(struct saver *s, uint64_t *done, uint64_t *total);

/* Has the thread finished?  If so *RESULT is 0 or -errno, with a reason in WHY. */
bool saver_finished(struct saver *s, int *result, char *why, size_t whylen);

/* Stop early (if running), join, free. */
void saver_free(struct saver *s);

#endif
