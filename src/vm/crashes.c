// SPDX-License-Identifier: GPL-2.0-or-later
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/crashes.h"

#define PAGE 4096u

struct preserved_crash *crashes_add(struct crash_list *l, const char *dir, unsigned crash,
				    uint64_t hdr_off, struct elfcore_segment *segs, size_t nsegs)
{
	struct preserved_crash *pc;
	size_t words;

	if (l->n == VM_MAX_CRASHES) {
		free(segs);
		return NULL;
	}
	pc = &l->c[l->n];
	memset(pc, 0, sizeof(*pc));
	snprintf(pc->dir, sizeof(pc->dir), "%s", dir);
	pc->crash = crash;
	pc->hdr_off = hdr_off;
	pc->segs = segs;
	pc->nsegs = nsegs;
	words = (crashes_npages(pc) + 63) / 64;
	pc->released = calloc(words ? words : 1, sizeof(uint64_t));
	if (!pc->released) {
		free(segs);
		memset(pc, 0, sizeof(*pc));
		return NULL;
	}
	l->n++;
	return pc;
}

size_t crashes_npages(const struct preserved_crash *pc)
{
	size_t n = 0;

	for (size_t k = 0; k < pc->nsegs; k++)
		if (pc->segs[k].type == PT_LOAD)
			n += (size_t)((pc->segs[k].memsz + PAGE - 1) / PAGE);
	return n;
}

int crashes_oldest_unsaved(const struct crash_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		if (!l->c[i].saved_ms)
			return (int)i;
	return -1;
}

int crashes_newest_unsaved(const struct crash_list *l)
{
	return l->n && !l->c[l->n - 1].saved_ms ? (int)l->n - 1 : -1;
}

void crashes_mark_saved(struct crash_list *l, unsigned i, long long now_ms)
{
	if (i < l->n)
		l->c[i].saved_ms = now_ms > 0 ? now_ms : 1;
}

bool crashes_all_saved(const struct crash_list *l)
{
	return crashes_oldest_unsaved(l) < 0;
}

void crashes_clear(struct crash_list *l)
{
	for (unsigned i = 0; i < l->n; i++) {
		free(l->c[i].segs);
		free(l->c[i].released);
	}
	l->n = 0;
}

uint64_t crashes_unsaved_bytes(const struct crash_list *l, unsigned *n)
{
	uint64_t sum = 0;

	*n = 0;
	for (unsigned i = 0; i < l->n; i++) {
		if (l->c[i].saved_ms)
			continue;
		(*n)++;
		for (size_t k = 0; k < l->c[i].nsegs; k++)
			if (l->c[i].segs[k].type == PT_LOAD)
				sum += l->c[i].segs[k].filesz;
	}
	return sum;
}
