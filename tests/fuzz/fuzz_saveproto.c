// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the guest saver's requests.  Input: a segment count (first byte, 0-8), that
// many segments (paddr, memsz, offset: 8 bytes each, little-endian) as a forged header might
// give them, then a request line.  Invariants: a release is accepted only if every byte of it
// lies in some segment (checked independently at every point where coverage can change), and
// walking an accepted range piece by piece visits each byte once, each piece inside the
// segment returned for it.
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm/saveproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEGS 8

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t seg_end(const struct elfcore_segment *s)
{
	return s->paddr + s->memsz < s->paddr ? UINT64_MAX : s->paddr + s->memsz;
}

static int covered(const struct elfcore_segment *s, size_t n, uint64_t pos)
{
	for (size_t k = 0; k < n; k++)
		if (pos >= s[k].paddr && pos < seg_end(&s[k]))
			return 1;
	return 0;
}

/* Is every byte of [A, E) in a segment?  Coverage changes only at segment borders, so looking
 * at A and at every border inside the range decides it. */
static int all_covered(const struct elfcore_segment *s, size_t n, uint64_t a, uint64_t e)
{
	if (!covered(s, n, a))
		return 0;
	for (size_t k = 0; k < n; k++) {
		uint64_t b[2] = { s[k].paddr, seg_end(&s[k]) };
		for (int i = 0; i < 2; i++)
			if (b[i] > a && b[i] < e && !covered(s, n, b[i]))
				return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elfcore_segment segs[MAX_SEGS];
	struct gs_request rq;
	char line[GUESTSAVE_LINE];
	const char *why = NULL;
	size_t n, len;
	int r;

	if (size < 1)
		return 0;
	n = data[0] % (MAX_SEGS + 1);
	if (size < 1 + n * 24)
		return 0;
	for (size_t k = 0; k < n; k++) {
		const uint8_t *p = data + 1 + k * 24;
		segs[k] = (struct elfcore_segment){ .type = PT_LOAD, .paddr = get64(p),
						    .memsz = get64(p + 8), .offset = get64(p + 16) };
		segs[k].filesz = segs[k].memsz;
	}
	len = size - 1 - n * 24;
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	memcpy(line, data + 1 + n * 24, len);
	line[len] = '\0';
	guestsave_parse(line, &rq);
	if (rq.kind != GS_RELEASE)
		return 0;
	r = guestsave_check(segs, n, rq.paddr, rq.size, &why);
	if (r < 0) {
		if (!why)
			__builtin_trap();
		/* a valid, page-aligned range of crash memory must not be refused */
		if (r == -34 /* ERANGE */ && all_covered(segs, n, rq.paddr, rq.paddr + rq.size))
			__builtin_trap();
		return 0;
	}
	if (!rq.size || rq.paddr + rq.size < rq.paddr || rq.paddr % 4096 || rq.size % 4096 ||
	    !all_covered(segs, n, rq.paddr, rq.paddr + rq.size))
		__builtin_trap();
	{
		uint64_t pos = rq.paddr, end = rq.paddr + rq.size, next;
		unsigned steps = 0;
		while (pos < end) {
			const struct elfcore_segment *s = guestsave_piece(segs, n, pos, end, &next);
			if (!s || next <= pos || next > end || pos < s->paddr || next > seg_end(s) ||
			    ++steps > 2 * MAX_SEGS + 2)
				__builtin_trap();
			pos = next;
		}
		if (pos != end)
			__builtin_trap();
	}
	return 0;
}
