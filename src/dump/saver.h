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
#include "format/elfcore.h"

enum save_format { SAVE_ELF, SAVE_KDUMP };

#define SAVER_MAX_DIMMS 256 /* RELEASE_SLOTS: every DIMM QEMU can hold */

/* A DIMM file: crashed memory outside the RAM file, which the capture boot maps at GPA. */
struct saver_dimm {
	const char *path;
	uint64_t gpa, size;
};

struct saver_config {
	const char *ram_path;         /* file holding the crash now */
	struct machine_layout layout; /* its layout (maps the header's addresses to offsets) */
	const struct saver_dimm *dimms; /* the DIMM files the header's addresses may point into */
	size_t ndimms;
	uint64_t hdr_off;             /* the ELF core header hvdump wrote, as a file offset */
	const struct elfcore_segment *segs; /* that header's segments as hvdump wrote them (kept
				       * on the host: the copy in the RAM file is the capture
				       * guest's to change), NSEGS of them; NULL: read the
				       * header at HDR_OFF (no guest runs on that file) */
	size_t nsegs;
	const char *out_path;         /* final dump path; written as OUT.part, then renamed */
	enum save_format format;
	uint64_t chunk;               /* durability (and release) granularity, bytes */
	bool resume;                  /* continue OUT.part from its progress file (ELF) or its
				       * resume record (kdump) */
	int compression;              /* kdump: enum kdump_compression */
	int level;                    /* kdump: 0 = the default */
	unsigned dump_level;          /* kdump: pages to leave out by type, makedumpfile's -d
				       * bits (format/pagefilter.h); 0 = none.  Pages left out
				       * are reported durable with their chunk, so released */
	unsigned threads;             /* kdump: compression threads (0: one per online CPU) */
	bool hold;                    /* start held: a guest is booting and comes first; nothing
				       * is read or written until saver_release() */
	uint64_t min_free;            /* the guard: before each chunk the saver checks the free
				       * space of OUT's file system and stops with -ENOSPC (what
				       * is durable kept, resumable) rather than let it fall
				       * below this many bytes; 0: no guard (space.h) */
};

/* Progress of an unfinished dump, kept beside it as OUT.part.progress: the first DONE bytes of
 * the memory (the PT_LOADs in order) are durable in OUT.part and were released. */
__attribute__((warn_unused_result)) int saver_read_progress(const char *out_path,
							     uint64_t *done);

struct saver_range {
	uint64_t gpa, len;            /* bytes whose dump data is durable, by the guest-physical
				       * address where the capture boot has them (p_offset) */
};

struct saver;

/* Start saving in a new thread.  With cfg->resume the durable part of OUT.part is kept and
 * not read again from the RAM file (it was released).  Returns 0 or -errno (-E2BIG: more than
 * SAVER_MAX_DIMMS DIMM files). */
__attribute__((warn_unused_result)) int saver_start(const struct saver_config *cfg,
						     struct saver **out);

/* Readable (eventfd) whenever there is news: durable ranges or the end. */
int saver_event_fd(const struct saver *s);

/* Drain the event counter and take up to MAX durable ranges reported since the last call. */
size_t saver_take(struct saver *s, struct saver_range *out, size_t max);

/* Bytes of guest memory saved so far, and in all. */
void saver_progress(struct saver *s, uint64_t *done, uint64_t *total);

/* Has the thread ended (its durable ranges may still wait to be taken)? */
bool saver_ended(struct saver *s);

/* Has the thread finished and every range been taken?  If so *RESULT is 0 or -errno, with a
 * reason in WHY. */
bool saver_finished(struct saver *s, int *result, char *why, size_t whylen);

/* Has the page filter of cfg->dump_level run?  Then *LEFT_OUT is how many pages it left
 * out, and WARNING (empty if none) why it could not run (the dump is then saved whole). */
bool saver_filter_result(struct saver *s, uint64_t *left_out, char *warning, size_t len);

/* A saver started with cfg->hold starts now, at full speed. */
void saver_release(struct saver *s);

/* Ask the thread to stop and wait for it.  It may have finished before it saw the request:
 * saver_take() and saver_finished() still tell what it made durable and how it ended. */
void saver_stop(struct saver *s);

/* Stop early (if running), join, free. */
void saver_free(struct saver *s);

#endif
