/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Room for a dump, before its save starts: what the dump will take against what the crash
 * directory's file system has free above a reserve that is never written into.  The save
 * goes ahead as configured, falls back to `--dump-level 31` (kdump), or is refused: the
 * crash stays preserved and unsaved, nothing is lost, and `hvdump save --resume` (or
 * `--from`) saves it once there is room.  The saver's guard (saver_config.min_free) keeps
 * the same reserve while it writes, so a wrong estimate stops a save, it never fills the
 * disk.
 *
 *   ELF     the estimate is exact: the header and every byte of every segment
 *   kdump   pages sampled evenly over the crash (1 in 1..256, at least SPACE_SAMPLES when
 *           there are as many), compressed with the save's codec, scaled up, plus 25%, plus
 *           the file's headers, bitmaps and descriptors; the pages the dump level leaves out
 *           by type found by the same page filter the saver runs (format/pagefilter.h)
 *
 * Test hooks (environment, for the integration tests only, never for operators):
 *   HVDUMP_TEST_SPACE_ESTIMATE=BYTES   the estimate is BYTES at every level (a wrong one)
 *   HVDUMP_TEST_SPACE_OFF=1            no check and no guard (a disk another writer fills) */
#ifndef HVDUMP_DUMP_SPACE_H
#define HVDUMP_DUMP_SPACE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dump/saveconf.h"
#include "format/kdump.h"

#define SPACE_RESERVE_MIN (64ull << 20)  /* the default reserve: 1% of the file system, */
#define SPACE_RESERVE_MAX (2ull << 30)   /* ... at least 64 MiB, at most 2 GiB */
#define SPACE_SAMPLES 4096u              /* kdump: pages compressed for an estimate */
#define SPACE_STRIDE_MAX 256u            /* ... at least 1 in 256 */

/* The reserve of a file system of FS_BYTES: MIN_FREE if not 0 (--min-free), else the
 * default. */
uint64_t space_reserve(uint64_t fs_bytes, uint64_t min_free);

enum space_decision {
	SPACE_AS_CONFIGURED,  /* the dump fits: saved as asked */
	SPACE_DUMP_LEVEL_31,  /* it fits only at --dump-level 31: saved so */
	SPACE_REFUSED,        /* it does not fit: not started, the crash stays preserved */
};

/* "as-configured", "dump-level-31", "refused" */
const char *space_decision_name(enum space_decision d);

#define SPACE_NO_FALLBACK UINT64_MAX

/* The decision, pure: NEED bytes as configured, NEED31 at dump level 31 (SPACE_NO_FALLBACK:
 * no such fallback: ELF, level 31 already, a partial dump continued), FREE bytes free of
 * which RESERVE must stay free. */
enum space_decision space_decide(uint64_t free, uint64_t reserve, uint64_t need,
				 uint64_t need31);

/* One save to check. */
struct space_request {
	const struct save_source *src;   /* the crash; its segs may be NULL (header read) */
	const struct save_target *t;     /* where and as what; t->resume: what a partial dump
					  * still needs */
	enum kdump_compression comp;
	unsigned dump_level;             /* as configured (kdump) */
	uint64_t min_free;               /* --min-free, 0: the default reserve */
};

/* What was found and decided. */
struct space_check {
	uint64_t free_bytes, fs_bytes, reserve_bytes;
	uint64_t estimate_bytes;         /* what the save as decided needs */
	uint64_t estimate_configured;    /* ... as configured */
	uint64_t estimate_level31;       /* ... at level 31 (SPACE_NO_FALLBACK: not estimated) */
	char method[48];                 /* how: "elf-exact", "kdump-sampled", ... */
	uint64_t sampled, pages;         /* kdump: pages compressed, of pages to write */
	enum space_decision decision;
	unsigned dump_level;             /* the level the save applies (kdump) */
	unsigned level_configured;       /* ... the level asked for (a partial kdump file's own) */
	uint64_t guard;                  /* for saver_config.min_free */
	bool resume;                     /* the rest of a partial dump was estimated */
	long long ms;                    /* the estimate took */
	char note[256];                  /* what the estimate could not do (empty: none) */
};

/* Check RQ: statvfs of the crash directory, the estimate, the decision.  0 with C filled,
 * or -errno with WHY set when the file system or the crash cannot be read (the caller then
 * saves without a check, the guard still on). */
__attribute__((warn_unused_result)) int space_check_run(const struct space_request *rq,
							 struct space_check *c, char *why,
							 size_t len);

/* Log C in operator terms: free, reserve, estimate, what happens and, when refused, what to
 * do; RETRY is the command that saves the crash once there is room. */
void space_check_log(const struct space_check *c, const char *dir, const char *retry);

/* C as the record's "space_check" member: {"space_check": {...}} (NULL: out of memory). */
json_t *space_check_json(const struct space_check *c);

#endif
