// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: a guest's disk as parttable_read() and fsmagic_name() see it.  First byte:
// flags (bit 0: give the primary GPT header and its entry array right CRC32s, so the fuzzer
// gets past them; bit 1: the disk is 512 times the input, zeros after it, so offsets far out
// are reachable), then the disk's first bytes.  It traps when a promise of parttable.h breaks:
// a return other than 0, -EBADMSG, -ENOMEM; a failure without a reason or with partitions; a
// read outside the disk; more than PARTTABLE_MAX partitions, one empty or outside the disk, a
// number used twice, MBR numbers out of 1-4 for primaries or under 5 for logicals; a sector
// size other than 512 or 4096; more reads than the bounded walks can make.
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "format/fsmagic.h"
#include "format/le.h"
#include "format/parttable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct disk {
	const uint8_t *p;
	size_t len;
	uint64_t size;
	unsigned reads;
};

static int rd(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct disk *d = ctx;

	if (off > d->size || len > d->size - off)
		__builtin_trap();
	d->reads++;
	memset(buf, 0, len);
	if (off < d->len)
		memcpy(buf, d->p + off, len < d->len - off ? len : d->len - off);
	return 0;
}

/* Right CRC32s for the header at 512 and the entry array it names, when both are in BUF. */
static void fix_crcs(uint8_t *buf, size_t len)
{
	uint8_t *h = buf + 512;
	uint32_t hsize, bytes;
	uint64_t eoff;

	if (len < 1024)
		return;
	hsize = le32_get(h + 12);
	bytes = le32_get(h + 80) * le32_get(h + 84);
	eoff = le64_get(h + 72) * 512;
	if (bytes <= PARTTABLE_GPT_ARRAY_MAX && eoff < len && bytes <= len - eoff)
		le32_put(h + 88, (uint32_t)crc32(0, buf + eoff, bytes));
	if (hsize >= 92 && hsize <= 512) {
		le32_put(h + 16, 0);
		le32_put(h + 16, (uint32_t)crc32(0, h, hsize));
	}
}

static void check(const struct parttable *pt, uint64_t disk_size)
{
	for (size_t i = 0; i < pt->n; i++) {
		const struct parttable_entry *e = &pt->e[i];
		if (!e->size || e->start > disk_size || e->size > disk_size - e->start)
			__builtin_trap();
		for (size_t j = 0; j < i; j++)
			if (pt->e[j].number == e->number)
				__builtin_trap();
		if (pt->kind == PARTTABLE_MBR &&
		    (e->logical ? e->number < 5 : e->number < 1 || e->number > 4))
			__builtin_trap();
		if (pt->kind == PARTTABLE_GPT && (e->number < 1 || e->logical))
			__builtin_trap();
		if (!memchr(e->type_name, 0, sizeof(e->type_name)) ||
		    !memchr(e->label, 0, sizeof(e->label)))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parttable *pt;
	struct disk d;
	uint8_t *buf;
	char why[256];
	int r;

	if (size < 1)
		return 0;
	buf = malloc(size - 1 ? size - 1 : 1);
	pt = malloc(sizeof(*pt));
	if (!buf || !pt)
		abort();
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 1)
		fix_crcs(buf, size - 1);
	d = (struct disk){ .p = buf, .len = size - 1, .size = size - 1 };
	if (data[0] & 2)
		d.size = (uint64_t)(size - 1) << 9;
	why[0] = '\0';
	r = parttable_read(rd, &d, d.size, pt, why, sizeof(why));
	if (r != 0 && r != -EBADMSG && r != -ENOMEM)
		__builtin_trap();
	if (r < 0 && (!why[0] || pt->n || pt->kind != PARTTABLE_NONE))
		__builtin_trap();
	if (pt->n > PARTTABLE_MAX || (pt->kind == PARTTABLE_NONE && pt->n))
		__builtin_trap();
	if (pt->kind != PARTTABLE_NONE && pt->sector_size != 512 && pt->sector_size != 4096)
		__builtin_trap();
	if (d.reads > PARTTABLE_MAX + 8)
		__builtin_trap();
	check(pt, d.size);
	(void)fsmagic_name(buf, size - 1 < FSMAGIC_PROBE_LEN ? size - 1 : FSMAGIC_PROBE_LEN);
	free(pt);
	free(buf);
	return 0;
}
