/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Dump conversion: any dump hvdump reads (ELF vmcore, kdump-compressed) to a kdump-compressed
 * file or an ELF vmcore, optionally leaving out pages by type (makedumpfile's dump levels,
 * format/pagefilter.h).
 *
 *   1. open IN (dumpfile.h); refuse an incomplete or truncated input: a conversion must not
 *      pass a partial dump off as a whole one
 *   2. the pages to write: IN's pages, less those IN itself left out, less those the dump
 *      level leaves out (struct page walk, then a pass for zero pages when level bit 1)
 *   3. write OUT.part (mode 0600): worker threads each read pages through their own handle
 *      on IN and compress them; one thread appends in pfn order
 *   4. fsync, rename to OUT, fsync the directory.  On any failure OUT.part is removed and
 *      OUT is left as it was.
 */
#ifndef HVDUMP_DUMP_CONVERT_H
#define HVDUMP_DUMP_CONVERT_H

#include <stdbool.h>
#include <stdint.h>

#include "format/kdump.h"
#include "format/pagefilter.h"

enum convert_format { CONVERT_KDUMP, CONVERT_ELF };

/* Called from the converting thread: PHASE ("scanning", "converting"), DONE of TOTAL bytes. */
typedef void (*convert_progress_fn)(void *ctx, const char *phase, uint64_t done,
				    uint64_t total);

struct convert_opts {
	const char *in, *out;
	enum convert_format format;
	enum kdump_compression compression;  /* kdump only */
	int level;                           /* compression level, 0 = the default */
	unsigned dump_level;                 /* 0..31 */
	unsigned threads;                    /* 0: one per online CPU (at most 64) */
	bool force;                          /* replace an existing OUT */
	bool force_size;                     /* accept an implausible memory claim
					      * (dumpfile_claim_check) */
	convert_progress_fn progress;        /* may be NULL */
	void *ctx;
};

struct convert_result {
	char in_format[24];                  /* dumpfile_format_name() */
	uint64_t in_bytes, out_bytes;
	uint64_t pages;                      /* pages of RAM the input describes */
	uint64_t excluded_before;            /* already left out of the input */
	uint64_t beyond_memmap;              /* left out as above the kernel's memory map
					      * (filtering by type only, as makedumpfile) */
	struct pagefilter_stats filter;      /* left out now, by reason */
	uint64_t written;                    /* pages with data in OUT */
	uint64_t segments;                   /* ELF: PT_LOADs written */
	uint64_t ktext_segments;             /* ELF: of them, kernel-image aliases (kmap.h) */
	char ktext_why[200];                 /* ELF: why there are none ("" when there are) */
	unsigned out_dump_level;             /* the level OUT's header records */
	unsigned threads;
	double seconds, scan_seconds;
	bool bad_input;                      /* the failure is IN's (or the options'), not I/O */
};

/* Convert O->in to O->out.  Returns 0 with RES filled, or a negative errno with WHY holding
 * a one-line reason (RES->bad_input tells a bad input from a failed write). */
__attribute__((warn_unused_result)) int convert_run(const struct convert_opts *o,
						     struct convert_result *res, char *why,
						     size_t whylen);

#endif
