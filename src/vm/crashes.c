// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>

#include "vm/crashes.h"

struct preserved_crash *crashes_add(struct crash_list *l, const char *dir, unsigned crash,
				    uint64_t hdr_off)
{
	struct preserved_crash *pc;

	if (l->n == VM_MAX_CRASHES)
		return NULL;
	pc = &l->c[l->n++];
	memset(pc, 0, sizeof(*pc));
	snprintf(pc->dir, sizeof(pc->dir), "%s", dir);
	pc->crash = crash;
	pc->hdr_off = hdr_off;
	return pc;
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
	l->n = 0;
}
