// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dump/layout.h"
#include "vm/saveproto.h"

void guestsave_parse(const char *line, struct gs_request *r)
{
	unsigned long long a, b;
	char extra;

	memset(r, 0, sizeof(*r));
	if (!strcmp(line, "hello 1"))
		r->kind = GS_HELLO;
	else if (!strcmp(line, "status"))
		r->kind = GS_STATUS;
	else if (!strcmp(line, "done"))
		r->kind = GS_DONE;
	else if (!strncmp(line, "release ", 8) &&
		 sscanf(line, "release %llx %llx %c", &a, &b, &extra) == 2) {
		r->kind = GS_RELEASE;
		r->paddr = a;
		r->size = b;
	}
}

const struct elfcore_segment *guestsave_piece(const struct elfcore_segment *segs, size_t n,
					     uint64_t pos, uint64_t end, uint64_t *piece_end)
{
	for (size_t k = 0; k < n; k++) {
		const struct elfcore_segment *s = &segs[k];
		uint64_t send;
		if (__builtin_add_overflow(s->paddr, s->memsz, &send))
			send = UINT64_MAX;
		if (pos >= s->paddr && pos < send) {
			*piece_end = end < send ? end : send;
			return s;
		}
	}
	return NULL;
}

int guestsave_check(const struct elfcore_segment *segs, size_t n, uint64_t paddr, uint64_t size,
		    const char **why)
{
	uint64_t end, pos;

	if (!size || paddr % LAYOUT_PAGE || size % LAYOUT_PAGE ||
	    __builtin_add_overflow(paddr, size, &end)) {
		*why = "range must be non-empty and page-aligned";
		return -EINVAL;
	}
	/* the whole range must be crash memory: walk it a segment at a time (the segments come
	 * from a header in guest memory, so they are not trusted to be disjoint or sorted) */
	for (pos = paddr; pos < end;) {
		if (!guestsave_piece(segs, n, pos, end, &pos)) {
			*why = "range is not all memory of the crashed kernel";
			return -ERANGE;
		}
	}
	return 0;
}

size_t guestsave_page_index(const struct elfcore_segment *segs, size_t n,
			    const struct elfcore_segment *seg, uint64_t paddr)
{
	size_t idx = 0;

	for (size_t k = 0; k < n && &segs[k] != seg; k++)
		idx += (size_t)((segs[k].memsz + LAYOUT_PAGE - 1) / LAYOUT_PAGE);
	return idx + (size_t)((paddr - seg->paddr) / LAYOUT_PAGE);
}
