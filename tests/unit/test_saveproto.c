// SPDX-License-Identifier: GPL-2.0-or-later
// The guest saver's requests, as the untrusted guest may send them: the parser, and the check
// that a release covers only the crash's own memory, with segments that overlap, wrap or
// leave holes (they come from a header in guest memory).
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "vm/saveproto.h"

#define P 4096ull

static void test_parse(void)
{
	struct gs_request r;

	guestsave_parse("hello 1", &r);
	tap_is_int(r.kind, GS_HELLO, "hello 1");
	guestsave_parse("hello 2", &r);
	tap_is_int(r.kind, GS_UNKNOWN, "another protocol version is unknown");
	guestsave_parse("status", &r);
	tap_is_int(r.kind, GS_STATUS, "status");
	guestsave_parse("done", &r);
	tap_is_int(r.kind, GS_DONE, "done");
	guestsave_parse("done ", &r);
	tap_is_int(r.kind, GS_UNKNOWN, "done with a trailing space is not done");
	guestsave_parse("release 100000 2000", &r);
	tap_ok(r.kind == GS_RELEASE && r.paddr == 0x100000 && r.size == 0x2000, "release in hex");
	guestsave_parse("release 0x100000 0x2000", &r);
	tap_ok(r.kind == GS_RELEASE && r.paddr == 0x100000 && r.size == 0x2000, "... with 0x");
	guestsave_parse("release 1000 1000 x", &r);
	tap_is_int(r.kind, GS_UNKNOWN, "trailing words are refused");
	guestsave_parse("release 1000", &r);
	tap_is_int(r.kind, GS_UNKNOWN, "a missing size is refused");
	guestsave_parse("release zz 1000", &r);
	tap_is_int(r.kind, GS_UNKNOWN, "not hex is refused");
	guestsave_parse("releasex 1000 1000", &r);
	tap_is_int(r.kind, GS_UNKNOWN, "the word must be exact");
	guestsave_parse("", &r);
	tap_is_int(r.kind, GS_UNKNOWN, "an empty line is unknown");
}

static struct elfcore_segment seg(uint64_t paddr, uint64_t size, uint64_t at)
{
	return (struct elfcore_segment){ .type = PT_LOAD, .offset = at, .paddr = paddr,
					 .filesz = size, .memsz = size };
}

static void test_check(void)
{
	struct elfcore_segment s[4] = {
		seg(0x1000, 0x9f000, 0x100000000ull),   /* [4K, 640K) relocated */
		seg(0x100000, 0x3ff00000, 0x100000),    /* [1M, 1G) in place */
		seg(0x100000000ull, 0x40000000, 0x140000000ull),
	};
	const char *why = NULL;
	uint64_t end;

	tap_is_int(guestsave_check(s, 3, 0x100000, 16 * P, &why), 0, "inside one segment");
	tap_is_int(guestsave_check(s, 3, 0x1000, 0x9f000, &why), 0, "a whole segment");
	tap_is_int(guestsave_check(s, 3, 0xff000, 2 * P, &why), -ERANGE,
		   "across the hole between segments: refused");
	tap_ok(why && strstr(why, "not all memory"), "... saying why");
	tap_is_int(guestsave_check(s, 3, 0x3ffff000, 2 * P, &why), -ERANGE,
		   "running past the last byte of a segment: refused");
	tap_is_int(guestsave_check(s, 3, 0x0, P, &why), -ERANGE, "page 0 is no crash memory");
	tap_is_int(guestsave_check(s, 3, 0x100800, P, &why), -EINVAL, "unaligned address");
	tap_is_int(guestsave_check(s, 3, 0x100000, 0x800, &why), -EINVAL, "unaligned size");
	tap_is_int(guestsave_check(s, 3, 0x100000, 0, &why), -EINVAL, "empty");
	tap_is_int(guestsave_check(s, 3, UINT64_MAX - P + 1, 2 * P, &why), -EINVAL, "wrapping");
	tap_is_int(guestsave_check(s, 0, 0x100000, P, &why), -ERANGE, "no segments: nothing");

	/* adjacent segments: a range across their border is all crash memory */
	s[0] = seg(0x200000, 0x100000, 0x200000);
	s[1] = seg(0x300000, 0x100000, 0x900000);
	tap_is_int(guestsave_check(s, 2, 0x2ff000, 2 * P, &why), 0, "across adjacent segments");
	tap_ok(guestsave_piece(s, 2, 0x2ff000, 0x301000, &end) == &s[0] && end == 0x300000,
	       "... walked as a piece of the first");
	tap_ok(guestsave_piece(s, 2, 0x300000, 0x301000, &end) == &s[1] && end == 0x301000,
	       "... then a piece of the second");

	/* forged: two copies of one half cover "twice" what a sum of overlaps would count */
	s[0] = seg(0x400000, 0x100000, 0x400000);
	s[1] = seg(0x400000, 0x100000, 0x400000);
	tap_is_int(guestsave_check(s, 2, 0x400000, 0x200000, &why), -ERANGE,
		   "overlapping segments do not stand in for memory that is not there");
	/* forged: a segment reaching past the top of the address space */
	s[0] = seg(UINT64_MAX - 0xfff, 0x2000, 0);
	tap_is_int(guestsave_check(s, 1, UINT64_MAX - 0xfff, P, &why), -EINVAL,
		   "a range at the very top cannot be page-aligned and end in range");
	tap_ok(guestsave_piece(s, 1, UINT64_MAX - 0xfff, UINT64_MAX, &end) == &s[0] &&
		       end == UINT64_MAX, "a wrapping segment ends at the top, not at its wrap");
}

int main(void)
{
	test_parse();
	test_check();
	return tap_done();
}
