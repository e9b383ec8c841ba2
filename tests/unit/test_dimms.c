// SPDX-License-Identifier: GPL-2.0-or-later
// The DIMM set's bookkeeping (src/vm/dimms.h) on sets built by hand, no QEMU: where a new
// DIMM goes (dimms_place), what a crash does to the set (dimms_crashed), and what the next
// capture boot is given (dimms_ranges, dimms_for_qemu, dimms_for_saver, dimms_span,
// dimms_holding).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vm/dimms.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define BLK RELEASE_DIMM_ALIGN
#define W (9 * GiB)               /* a block-aligned window */

static struct dimm_set set;       /* a megabyte: not on the stack */

static void reset(void)
{
	memset(&set, 0, sizeof(set));
	snprintf(set.dir, sizeof(set.dir), "/run/hvdump/test");
}

/* Append DIMM INDEX at [GPA, GPA + SIZE) of crash CRASH (0: the running kernel's). */
static struct vm_dimm *add(unsigned index, uint64_t gpa, uint64_t size, unsigned crash, bool gone)
{
	struct vm_dimm *d = &set.d[set.n++];

	memset(d, 0, sizeof(*d));
	d->index = index;
	snprintf(d->path, sizeof(d->path), "/run/hvdump/test/dimm-%u", index);
	d->gpa = gpa;
	d->size = size;
	d->crash = crash;
	d->gone = gone;
	if (index >= set.next)
		set.next = index + 1;
	return d;
}

#define place_is(size, want, what) \
	tap_is_int(dimms_place(&set, W, (size)), (want), what)

static void t_place(void)
{
	reset();
	tap_is_int(dimms_place(&set, W, BLK), W, "empty set: the window");
	tap_is_int(dimms_place(&set, W + 4096, 3 * BLK), W + 4096,
		   "empty set: the window as given, even unaligned");

	add(0, W, BLK, 0, false);
	place_is(BLK, W + BLK, "one DIMM at the window: right after it");
	add(1, W + 3 * BLK, BLK, 0, false);
	place_is(BLK, W + BLK, "a gap of two blocks takes one");
	place_is(2 * BLK, W + BLK, "... and exactly two");
	place_is(2 * BLK + 4096, W + 4 * BLK, "one page more does not fit: past the last DIMM");

	/* a DIMM whose end is not block-aligned pushes the next to the following block */
	reset();
	add(0, W + 64 * MiB, 100 * MiB, 0, false);
	place_is(BLK, W + 2 * BLK, "overlap with an unaligned end: block-aligned past it (256M)");
	place_is(64 * MiB, W, "64M fit below it, touching it");
	place_is(64 * MiB + 4096, W + 2 * BLK, "64M and a page do not");

	/* listed from the top down: one pass is not enough */
	reset();
	add(2, W + 2 * BLK, BLK, 0, false);
	add(1, W + BLK, BLK, 0, false);
	add(0, W, BLK, 0, false);
	place_is(BLK, W + 3 * BLK, "three DIMMs listed top-down: past all three");

	/* DIMMs below the window or touching it do not move it; one straddling it does */
	reset();
	add(0, W - BLK, BLK, 0, false);
	add(1, W + BLK, BLK, 0, false);
	place_is(BLK, W, "DIMMs ending at the window and starting a block above: the window");
	add(2, W - 64 * MiB, BLK, 0, false);
	place_is(BLK, W + 2 * BLK, "a DIMM straddling the window start: past it and the next");

	/* gone DIMMs (unplug asked, maybe not done) still block their addresses */
	reset();
	add(0, W, BLK, 0, true);
	add(1, W + BLK, BLK, 3, true);
	place_is(BLK, W + 2 * BLK, "dropped DIMMs still block");
	add(2, W + 3 * BLK, BLK, 2, false);
	place_is(BLK, W + 2 * BLK, "crashed DIMMs block too; the gap between is used");
}

static void t_crashed(void)
{
	reset();
	add(0, W, BLK, 0, false);             /* the running kernel's */
	add(1, W + BLK, BLK, 0, true);        /* dropped before the crash */
	add(2, W + 2 * BLK, BLK, 1, false);   /* an older crash's, not yet saved */
	add(3, W + 3 * BLK, BLK, 1, true);    /* an older crash's, saved */
	add(4, W + 4 * BLK, BLK, 0, false);
	dimms_crashed(&set, 2);
	tap_is_int(set.n, 3, "crash: the two dropped DIMMs are forgotten");
	tap_ok(set.n == 3 && set.d[0].index == 0 && set.d[1].index == 2 && set.d[2].index == 4,
	       "the rest keep their order (0, 2, 4)");
	tap_ok(set.d[0].crash == 2 && set.d[2].crash == 2,
	       "the running kernel's DIMMs now hold crash 2");
	tap_is_int(set.d[1].crash, 1, "the older crash's DIMM keeps its number");
	tap_ok(!set.d[0].gone && !set.d[1].gone && !set.d[2].gone, "none is gone");
	tap_ok(set.d[1].gpa == W + 2 * BLK && set.d[1].size == BLK &&
	       !strcmp(set.d[1].path, "/run/hvdump/test/dimm-2"), "entries move whole");
	tap_is_int(set.next, 5, "the next index is not reused");

	dimms_crashed(&set, 3);
	tap_ok(set.n == 3 && set.d[0].crash == 2 && set.d[1].crash == 1 && set.d[2].crash == 2,
	       "a second crash with no new DIMMs changes nothing");

	reset();
	dimms_crashed(&set, 1);
	tap_is_int(set.n, 0, "an empty set stays empty");
}

/* A capture boot's set: crash 1's and crash 2's DIMMs, out of address order, a dropped one of
 * crash 2 and one of the running kernel (crash 0). */
static void mixed(void)
{
	reset();
	add(0, W + 5 * BLK, BLK, 2, false);
	add(1, W, BLK, 1, false);
	add(2, W + 2 * BLK, 2 * BLK, 2, false);
	add(3, W + BLK, BLK, 2, true);
	add(4, W + 7 * BLK, BLK, 0, false);
	add(5, W + 4 * BLK, BLK, 1, false);
}

static void t_ranges(void)
{
	struct mem_range r[VM_MAX_DIMMS];
	struct qemu_dimm q[VM_MAX_DIMMS];
	struct saver_dimm sv[VM_MAX_DIMMS];
	size_t n;
	unsigned seen;

	mixed();
	memset(r, 0xff, sizeof(r));
	n = dimms_ranges(&set, 0, r, VM_MAX_DIMMS);
	tap_is_int(n, 4, "ranges of every unsaved crash: 4 (not the dropped, not the running)");
	tap_ok(n == 4 && r[0].start == W && r[0].size == BLK && r[1].start == W + 2 * BLK &&
	       r[1].size == 2 * BLK && r[2].start == W + 4 * BLK && r[2].size == BLK &&
	       r[3].start == W + 5 * BLK && r[3].size == BLK, "... sorted by address, exact");
	n = dimms_ranges(&set, 2, r, VM_MAX_DIMMS);
	tap_ok(n == 2 && r[0].start == W + 2 * BLK && r[0].size == 2 * BLK &&
	       r[1].start == W + 5 * BLK && r[1].size == BLK, "crash 2 alone: its two, sorted");
	n = dimms_ranges(&set, 1, r, VM_MAX_DIMMS);
	tap_ok(n == 2 && r[0].start == W && r[1].start == W + 4 * BLK,
	       "crash 1 alone: its two, sorted");
	tap_is_int(dimms_ranges(&set, 7, r, VM_MAX_DIMMS), 0, "a crash with no DIMMs: none");
	memset(r, 0xff, sizeof(r));
	n = dimms_ranges(&set, 0, r, 2);
	tap_ok(n == 2 && r[2].start == ~0ull, "MAX 2: two, nothing written past them");

	n = dimms_for_qemu(&set, q, VM_MAX_DIMMS);
	tap_is_int(n, 4, "for QEMU: the same 4 DIMMs");
	seen = 0;
	for (size_t i = 0; i < n; i++) {
		const struct vm_dimm *d = NULL;
		for (unsigned j = 0; j < set.n; j++)
			if (set.d[j].index == q[i].index)
				d = &set.d[j];
		if (d && q[i].path == d->path && q[i].gpa == d->gpa && q[i].size == d->size)
			seen |= 1u << q[i].index;
	}
	tap_is_int(seen, 1u << 0 | 1u << 1 | 1u << 2 | 1u << 5,
		   "... DIMMs 0, 1, 2, 5 with their index, file, address and size");

	n = dimms_for_saver(&set, sv, VM_MAX_DIMMS);
	tap_is_int(n, 4, "for the saver: the same 4");
	seen = 0;
	for (size_t i = 0; i < n; i++)
		for (unsigned j = 0; j < set.n; j++)
			if (sv[i].path == set.d[j].path && sv[i].gpa == set.d[j].gpa &&
			    sv[i].size == set.d[j].size)
				seen |= 1u << set.d[j].index;
	tap_is_int(seen, 1u << 0 | 1u << 1 | 1u << 2 | 1u << 5,
		   "... with their file, address and size");
	tap_is_int(dimms_for_qemu(&set, q, 1), 1, "for QEMU, MAX 1: one");
	tap_is_int(dimms_for_saver(&set, sv, 0), 0, "for the saver, MAX 0: none");

	reset();
	tap_is_int(dimms_ranges(&set, 0, r, VM_MAX_DIMMS) + dimms_for_qemu(&set, q, VM_MAX_DIMMS) +
		   dimms_for_saver(&set, sv, VM_MAX_DIMMS), 0, "an empty set gives nothing");
}

static void t_span(void)
{
	uint64_t base = 5 * GiB;  /* device memory base; the window is 4 GiB above it */

	reset();
	tap_is_int(dimms_span(&set, base, W, 4 * GiB), 8 * GiB,
		   "no DIMMs: window - base + memory");
	tap_is_int(dimms_span(&set, base, W, 4 * GiB + 1), 8 * GiB + BLK,
		   "memory rounded up to a block");
	tap_is_int(dimms_span(&set, base, W, 0), 4 * GiB, "nothing to return: up to the window");
	add(0, W + 2 * BLK, BLK, 1, false);
	add(1, W + 10 * BLK, 2 * BLK, 1, false);
	add(2, W - 4 * BLK, BLK, 1, false);
	tap_is_int(dimms_span(&set, base, W, 4 * GiB), 4 * GiB + 12 * BLK + 4 * GiB,
		   "up to the highest DIMM's end, plus memory");
}

static void t_holding(void)
{
	mixed();
	tap_ok(dimms_holding(&set, W) == &set.d[1], "first byte of a crashed DIMM");
	tap_ok(dimms_holding(&set, W + BLK - 1) == &set.d[1], "its last byte");
	tap_ok(dimms_holding(&set, W + BLK) == NULL, "the byte after it: a dropped DIMM, none");
	tap_ok(dimms_holding(&set, W + 3 * BLK + 12345) == &set.d[2], "inside a two-block DIMM");
	tap_ok(dimms_holding(&set, W + 7 * BLK) == NULL, "the running kernel's DIMM: none");
	tap_ok(dimms_holding(&set, W + 6 * BLK) == NULL, "a gap: none");
	tap_ok(dimms_holding(&set, W - 1) == NULL, "below every DIMM: none");
	tap_ok(dimms_holding(&set, ~0ull) == NULL, "the top of the address space: none");
}

int main(void)
{
	t_place();
	t_crashed();
	t_ranges();
	t_span();
	t_holding();
	return tap_done();
}
