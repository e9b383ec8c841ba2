// SPDX-License-Identifier: GPL-2.0-or-later
// Giving memory back: the DIMM sizes release_dimm_size() chooses.  Simulated like the save
// flow uses it: the saver frees memory in chunks, each wakeup hot-adds what is due, and at the
// end the rest.  Invariants at every size: the guest gets exactly the target, never more
// than was freed, every DIMM's struct pages (1/64 of it, when not on the DIMM itself) fit in
// half of what the guest has, and the slots are never exceeded.
#include <stdint.h>

#include "dump/release.h"
#include "tap.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

struct sim {
	uint64_t dimms, added, biggest, slots_used;
	int bad_fit;     /* a DIMM whose struct pages need more than half the guest's memory */
	int over_freed;  /* more returned than freed */
	int not_block;   /* a DIMM not a multiple of the block before the last */
};

/* RAM of R bytes crashed, boot region B, saved in CHUNK steps, SLOTS free slots. */
static struct sim simulate(uint64_t r, uint64_t b, uint64_t chunk, unsigned slots)
{
	uint64_t target = (r - b + RELEASE_DIMM_ALIGN - 1) / RELEASE_DIMM_ALIGN * RELEASE_DIMM_ALIGN;
	uint64_t freed = 0, pending = 0;
	struct sim s = { 0 };

	for (int final = 0; final <= 1; final++) {
		for (;;) {
			uint64_t size;
			if (!final && freed < r) {
				uint64_t n = r - freed < chunk ? r - freed : chunk;
				freed += n;
				pending += n;
			}
			while ((size = release_dimm_size(pending, s.added, target, b + s.added,
							 slots - (unsigned)s.dimms, final))) {
				if (size / 64 > (b + s.added) / 2)
					s.bad_fit++;
				if (size % RELEASE_DIMM_ALIGN && s.added + size != target)
					s.not_block++;
				s.dimms++;
				s.added += size;
				pending -= size;
				if (size > s.biggest)
					s.biggest = size;
				if (s.added > freed)
					s.over_freed++;
			}
			if (final || freed >= r)
				break;
		}
	}
	return s;
}

static void check(uint64_t r, uint64_t b, uint64_t chunk, unsigned slots, uint64_t want_dimm)
{
	struct sim s = simulate(r, b, chunk, slots);
	uint64_t target = (r - b + RELEASE_DIMM_ALIGN - 1) / RELEASE_DIMM_ALIGN * RELEASE_DIMM_ALIGN;

	tap_ok(s.added == target, "%llu MiB guest, %u slots: all %llu MiB returned (%llu DIMMs)",
	       (unsigned long long)(r / MiB), slots, (unsigned long long)(target / MiB),
	       (unsigned long long)s.dimms);
	tap_ok(s.dimms <= slots, "  within the %u slots", slots);
	tap_ok(!s.over_freed, "  never more than was freed on the host");
	tap_ok(!s.bad_fit, "  every DIMM's struct pages fit in half of the guest's memory");
	tap_ok(!s.not_block, "  whole memory blocks");
	if (want_dimm)
		tap_ok(s.biggest == want_dimm, "  DIMMs of %llu MiB (biggest %llu MiB)",
		       (unsigned long long)(want_dimm / MiB), (unsigned long long)(s.biggest / MiB));
}

int main(void)
{
	/* one memory block per DIMM whenever the slots allow it (memmap_on_memory) */
	check(1 * GiB, 256 * MiB, 64 * MiB, RELEASE_SLOTS, RELEASE_DIMM_ALIGN);
	check(4 * GiB, 256 * MiB, 64 * MiB, RELEASE_SLOTS, RELEASE_DIMM_ALIGN);
	check(16 * GiB, 256 * MiB, 64 * MiB, RELEASE_SLOTS, RELEASE_DIMM_ALIGN);
	check(16 * GiB, 512 * MiB, 4 * GiB, RELEASE_SLOTS, RELEASE_DIMM_ALIGN);
	/* more than the slots can take in blocks: larger DIMMs, still carried by the guest */
	check(64 * GiB, 256 * MiB, 64 * MiB, RELEASE_SLOTS, 0);
	check(256 * GiB, 256 * MiB, 64 * MiB, RELEASE_SLOTS, 0);
	check(8 * GiB, 256 * MiB, 64 * MiB, 16, 0);
	/* a guest whose boot region is not a whole number of blocks: the last DIMM is the rest */
	check(1 * GiB + 64 * MiB, 256 * MiB, 64 * MiB, RELEASE_SLOTS, RELEASE_DIMM_ALIGN);

	/* edge cases */
	tap_ok(release_dimm_size(0, 0, GiB, 256 * MiB, 8, 1) == 0, "nothing freed: nothing to add");
	tap_ok(release_dimm_size(GiB, GiB, GiB, 2 * GiB, 8, 1) == 0, "all returned: nothing more");
	tap_ok(release_dimm_size(GiB, 0, GiB, 256 * MiB, 0, 1) == 0, "no slot: nothing to add");
	tap_ok(release_dimm_size(64 * MiB, 0, GiB, 256 * MiB, 8, 0) == 0,
	       "less than a block freed, more to come: wait");
	tap_ok(release_dimm_size(64 * MiB, 0, GiB, 256 * MiB, 8, 1) == 64 * MiB,
	       "less than a block at the end: the rest");
	tap_ok(release_dimm_size(UINT64_MAX, 0, UINT64_MAX, UINT64_MAX, 1, 1) % RELEASE_DIMM_ALIGN == 0,
	       "no overflow with absurd sizes");
	return tap_done();
}
