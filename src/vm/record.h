/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Crash records (DIR/crash.json, docs/crash-record.md): their states, their updates, and a
 * typed reader.  Nothing here needs a running VM, so `hvdump run` and `hvdump save --from`
 * read and write records the same way. */
#ifndef HVDUMP_VM_RECORD_H
#define HVDUMP_VM_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dump/layout.h"
#include "dump/saver.h"

#define RECORD_FORMAT "hvdump-crash-record/1"

/* A crash's state, named in its record's "state".  The names are in one table (record.c). */
enum crash_state {
	CRASH_CRASHED,           /* "crashed": seen, kept paused (or being handled) */
	CRASH_PRESERVED,         /* "preserved": laid out for its capture boot */
	CRASH_CAPTURE_RUNNING,   /* "capture-running": its capture guest runs */
	CRASH_SAVE_FAILED,       /* "save-failed": the host saver stopped on an error */
	CRASH_PRESERVED_UNSAVED, /* "preserved-unsaved": kept in RUN-DIR/crash-N.ram */
	CRASH_SAVED,             /* "saved": the dump is complete (final) */
	CRASH_SAVED_BY_GUEST,    /* "saved-by-guest": the capture guest saved it (final) */
	CRASH_DISCARDED,         /* "discarded": dropped on the operator's word (final) */
	CRASH_DUMPED,            /* "dumped": dump-restart's QEMU dump is written (final) */
	CRASH_DUMP_FAILED,       /* "dump-failed": dump-restart failed; kept paused */
	CRASH_STATE_COUNT
};

const char *crash_state_name(enum crash_state s);
/* 0, or -EINVAL for a name that is no state. */
__attribute__((warn_unused_result)) int crash_state_parse(const char *name, enum crash_state *s);
/* Final: the record does not change again (its reserve is dropped). */
bool crash_state_final(enum crash_state s);
/* Its memory is still held, unsaved: a dump may be written from it. */
bool crash_state_unsaved(enum crash_state s);
/* May a record in state FROM move to TO? */
bool crash_state_may_become(enum crash_state from, enum crash_state to);

/* Write DIR/crash.json from J (stolen), atomically; with a full file system, into the space
 * kept beside it.  Failures are logged (and returned, -errno, for a caller whose next step
 * rests on the record; for most the record is information, the dump and the memory are what
 * matter). */
int record_write(const char *dir, json_t *j);

/* Update DIR/crash.json: move it to STATE and merge the members of CHANGES (stolen; may be
 * NULL), and stamp the time.  A move the state machine does not allow (out of a final state,
 * say) is refused with a warning and changes nothing.  A final state drops the space kept
 * beside the record. */
int record_update(const char *dir, enum crash_state state, json_t *changes);

/* The same without a change of state. */
int record_merge(const char *dir, json_t *changes);

/* Make a crash directory BASE/NAME-TIME[-N] (N up to RECORD_DIR_TRIES; then
 * NAME-TIME-XXXXXX, random, when those are taken: in a shared dump directory someone may take
 * the predictable names first) into OUT, 0700, BASE made if missing, with the space kept for
 * its record.  0 or -errno (logged). */
#define RECORD_DIR_TRIES 9
__attribute__((warn_unused_result)) int record_make_dir(const char *base, const char *name,
							 char *out, size_t outlen);

/* A PT_LOAD of a capture, as the record has it. */
struct record_segment {
	uint64_t paddr, bytes;
	uint64_t at;          /* now_at_gpa: where the capture boot has it */
	bool in_ram_file;     /* else in a DIMM file at AT */
	uint64_t ram_off;     /* with IN_RAM_FILE: its offset in the RAM file */
};

/* A record read back, checked.  Strings point into JSON. */
struct crash_record {
	json_t *json;
	const char *vm;
	uint64_t crash;
	enum crash_state state;
	const char *ram_file;
	const char *dump_file;   /* NULL until saved */
	bool released_by_guest;  /* "released_by_guest": the capture guest's saver freed part of
				  * this crash (that part is in the dump on its disk, not here) */
	/* the "capture" section and "dimms" (record_read_capture()) */
	struct machine_layout layout;
	uint64_t hdr_off, hdr_gpa;
	struct saver_dimm dimms[SAVER_MAX_DIMMS];
	size_t ndimms;
	struct record_segment *segs;
	size_t nsegs;
};

/* Read DIR/crash.json: its format, "vm" (a valid name), "crash", "state" and "ram_file" (an
 * absolute path).  0, or -errno with WHY naming what is wrong (-ENOENT: no record, -EINVAL:
 * malformed).  record_free() in either case. */
__attribute__((warn_unused_result)) int record_read(const char *dir, struct crash_record *r,
						    char *why, size_t len);

/* The same for a record's text TEXT[0, TLEN) (not NUL-terminated; NAME stands for the file
 * in WHY): 0, or -EINVAL with WHY.  record_free() in either case. */
__attribute__((warn_unused_result)) int record_parse(const char *text, size_t tlen,
						     const char *name, struct crash_record *r,
						     char *why, size_t len);

/* Read R's "capture" section and "dimms": a machine layout, the header's offset matching its
 * address, page-aligned DIMMs above the RAM file's memory, and page-aligned segments each
 * wholly in one RAM range of the layout (ram_file_offset: where the layout puts its address)
 * or wholly in one of the DIMM files.  0, or -EINVAL (-ENOMEM) with WHY. */
__attribute__((warn_unused_result)) int record_read_capture(struct crash_record *r, char *why,
							    size_t len);

void record_free(struct crash_record *r);

#endif
