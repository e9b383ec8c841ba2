/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The crashes preserved in the current RAM file, oldest first, and which of them are saved.
 * The only place their list changes. */
#ifndef HVDUMP_VM_CRASHES_H
#define HVDUMP_VM_CRASHES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/elfcore.h"

#define VM_MAX_CRASHES 64

struct preserved_crash {
	char dir[4096];        /* its crash directory (crash.json, notes.elf, dump) */
	unsigned crash;        /* its number in this run */
	uint64_t hdr_off;      /* its ELF core header in the RAM file */
	struct elfcore_segment *segs; /* that header's segments as hvdump wrote them, kept here:
				       * the copy in guest memory is the capture guest's */
	size_t nsegs;
	uint64_t *released;    /* one bit per page of its PT_LOADs, in order: freed and
				* credited (each page is credited once) */
	long long saved_ms;    /* when its dump was complete (or dropped), 0 while unsaved */
	bool guest_released;   /* the capture guest's saver freed some of it (recorded as
				* "released_by_guest" before the first page was freed): the host
				* cannot save it whole any more */
};

struct crash_list {
	struct preserved_crash c[VM_MAX_CRASHES];
	unsigned n;
};

/* Add crash CRASH (directory DIR, header at HDR_OFF with NSEGS segments SEGS, malloc'd: the
 * list takes them), unsaved.  NULL when the list is full or memory is short (SEGS freed). */
struct preserved_crash *crashes_add(struct crash_list *l, const char *dir, unsigned crash,
				    uint64_t hdr_off, struct elfcore_segment *segs, size_t nsegs);

/* The pages of crash PC's PT_LOADs (the bits of PC->released). */
size_t crashes_npages(const struct preserved_crash *pc);

/* The oldest unsaved crash (the one the host saver writes next), or -1. */
int crashes_oldest_unsaved(const struct crash_list *l);

/* The newest crash if it is unsaved (the one the capture guest sees as /proc/vmcore), or -1:
 * an older crash still unsaved is not the guest's. */
int crashes_newest_unsaved(const struct crash_list *l);

/* Crash I's dump is complete (or dropped) at NOW_MS. */
void crashes_mark_saved(struct crash_list *l, unsigned i, long long now_ms);

/* The crashed memory the unsaved crashes hold (their PT_LOADs), bytes; their number into *N. */
uint64_t crashes_unsaved_bytes(const struct crash_list *l, unsigned *n);

/* Is every preserved crash saved (true for none)? */
bool crashes_all_saved(const struct crash_list *l);

/* The RAM file holding them is saved or kept elsewhere: the list starts again (what it held
 * is freed). */
void crashes_clear(struct crash_list *l);

#endif
