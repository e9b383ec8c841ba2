// SPDX-License-Identifier: GPL-2.0-or-later
// GPT and MBR partition tables from an untrusted disk image.  Every number read is checked
// against the disk before use; the only loops over guest data are the GPT entry array (bounded
// in bytes) and the EBR chain (bounded in steps, no EBR visited twice).
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util/why.h"
#include "format/le.h"
#include "format/parttable.h"

#define MBR_SIG_OFF 510
#define MBR_SLOTS_OFF 446
#define GPT_HDR_MIN 92u

struct ctx {
	parttable_read_fn read;
	void *rctx;
	uint64_t disk_size;
	struct parttable *out;
	unsigned skipped;      /* partitions left out: outside the disk, over PARTTABLE_MAX */
};

const char *parttable_kind_name(enum parttable_kind kind)
{
	switch (kind) {
	case PARTTABLE_MBR: return "MBR";
	case PARTTABLE_GPT: return "GPT";
	default: return "none";
	}
}

#define fail why_set

/* Read LEN bytes at OFF, refusing what is not wholly inside the disk. */
static int disk_read(struct ctx *c, void *buf, size_t len, uint64_t off)
{
	uint64_t end;

	if (__builtin_add_overflow(off, (uint64_t)len, &end) || end > c->disk_size)
		return -ERANGE;
	return c->read(c->rctx, buf, len, off);
}

/* Append one partition of START and SIZE bytes unless it is empty, outside [LO, HI) or the
 * table is full (then counted in c->skipped).  Returns the entry or NULL. */
static struct parttable_entry *add_part(struct ctx *c, unsigned number, uint64_t start,
					uint64_t size, uint64_t lo, uint64_t hi)
{
	struct parttable_entry *e;
	uint64_t end;

	if (!size || __builtin_add_overflow(start, size, &end) || start < lo || end > hi ||
	    c->out->n >= PARTTABLE_MAX) {
		c->skipped++;
		return NULL;
	}
	e = &c->out->e[c->out->n++];
	e->number = number;
	e->start = start;
	e->size = size;
	return e;
}

/* ---- GPT ------------------------------------------------------------------------------ */

static const struct {
	uint8_t guid[16]; /* on-disk order */
	const char *name;
} gpt_types[] = {
	{ { 0x48, 0x61, 0x68, 0x21, 0x49, 0x64, 0x6f, 0x6e, 0x74, 0x4e, 0x65, 0x65, 0x64, 0x45,
	    0x46, 0x49 }, "BIOS boot" },
	{ { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e,
	    0xc9, 0x3b }, "EFI system" },
	{ { 0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47, 0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47,
	    0x7d, 0xe4 }, "Linux filesystem" },
	{ { 0xe3, 0xbc, 0x68, 0x4f, 0xcd, 0xe8, 0xb1, 0x4d, 0x96, 0xe7, 0xfb, 0xca, 0xf9, 0x84,
	    0xb7, 0x09 }, "Linux root (x86-64)" },
	{ { 0xff, 0xc2, 0x13, 0xbc, 0xe6, 0x59, 0x62, 0x42, 0xa3, 0x52, 0xb2, 0x75, 0xfd, 0x6f,
	    0x71, 0x72 }, "Linux extended boot" },
	{ { 0x6d, 0xfd, 0x57, 0x06, 0xab, 0xa4, 0xc4, 0x43, 0x84, 0xe5, 0x09, 0x33, 0xc8, 0x4b,
	    0x4f, 0x4f }, "Linux swap" },
	{ { 0x79, 0xd3, 0xd6, 0xe6, 0x07, 0xf5, 0xc2, 0x44, 0xa2, 0x3c, 0x23, 0x8c, 0x2a, 0x3d,
	    0xf9, 0x28 }, "Linux LVM" },
	{ { 0x0f, 0x88, 0x9d, 0xa1, 0xfc, 0x05, 0x3b, 0x4d, 0xa0, 0x06, 0x74, 0x3f, 0x0f, 0x84,
	    0x91, 0x1e }, "Linux RAID" },
	{ { 0xa2, 0xa0, 0xd0, 0xeb, 0xe5, 0xb9, 0x33, 0x44, 0x87, 0xc0, 0x68, 0xb6, 0xb7, 0x26,
	    0x99, 0xc7 }, "Microsoft basic data" },
};

static void gpt_type_name(struct parttable_entry *e)
{
	for (size_t i = 0; i < sizeof(gpt_types) / sizeof(gpt_types[0]); i++) {
		if (!memcmp(gpt_types[i].guid, e->type_guid, 16)) {
			snprintf(e->type_name, sizeof(e->type_name), "%s", gpt_types[i].name);
			return;
		}
	}
	snprintf(e->type_name, sizeof(e->type_name), "type %02x%02x%02x%02x-...", e->type_guid[3],
		 e->type_guid[2], e->type_guid[1], e->type_guid[0]);
}

/* The partition name, UTF-16LE: ASCII kept, everything else '?'. */
static void gpt_label(struct parttable_entry *e, const uint8_t *utf16, size_t units)
{
	size_t n = 0;

	for (size_t i = 0; i < units && n + 1 < sizeof(e->label); i++) {
		uint16_t ch = le16_get(utf16 + 2 * i);
		if (!ch)
			break;
		e->label[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	e->label[n] = '\0';
}

/* A GPT header at LBA of SS-byte sectors, checked; its entry array read into *ARRAY (malloc'd)
 * and checked.  0, -EBADMSG (WHY says why), or -errno. */
static int gpt_load(struct ctx *c, unsigned ss, uint64_t lba, uint8_t **array, uint32_t *nent,
		    uint32_t *esize, char *why, size_t whylen)
{
	uint8_t hdr[4096];
	uint32_t hsize, crc, num, sz, bytes;
	uint64_t nsect = c->disk_size / ss, first, last, elba, eoff;
	int r;

	if ((r = disk_read(c, hdr, ss, lba * ss)) < 0) {
		fail(why, whylen, "header at LBA %llu unreadable: %s", (unsigned long long)lba,
		     strerror(-r));
		return r == -ERANGE ? -EBADMSG : r;
	}
	if (memcmp(hdr, "EFI PART", 8)) {
		fail(why, whylen, "no \"EFI PART\" at LBA %llu", (unsigned long long)lba);
		return -EBADMSG;
	}
	hsize = le32_get(hdr + 12);
	if (hsize < GPT_HDR_MIN || hsize > ss) {
		fail(why, whylen, "header size %u at LBA %llu", hsize, (unsigned long long)lba);
		return -EBADMSG;
	}
	crc = le32_get(hdr + 16);
	memset(hdr + 16, 0, 4);
	if ((uint32_t)crc32(0, hdr, hsize) != crc) {
		fail(why, whylen, "header CRC32 mismatch at LBA %llu", (unsigned long long)lba);
		return -EBADMSG;
	}
	first = le64_get(hdr + 40);
	last = le64_get(hdr + 48);
	elba = le64_get(hdr + 72);
	num = le32_get(hdr + 80);
	sz = le32_get(hdr + 84);
	if (le64_get(hdr + 24) != lba || first > last || last >= nsect) {
		fail(why, whylen, "header at LBA %llu: its LBA or usable range does not fit the disk",
		     (unsigned long long)lba);
		return -EBADMSG;
	}
	if (sz < 128 || sz > 4096 || sz % 8 || num == 0 ||
	    (uint64_t)num * sz > PARTTABLE_GPT_ARRAY_MAX) {
		fail(why, whylen, "header at LBA %llu: %u entries of %u bytes (at most %u bytes)",
		     (unsigned long long)lba, num, sz, PARTTABLE_GPT_ARRAY_MAX);
		return -EBADMSG;
	}
	bytes = num * sz;
	if (elba >= nsect || __builtin_mul_overflow(elba, (uint64_t)ss, &eoff) ||
	    eoff + bytes > c->disk_size) {
		fail(why, whylen, "entry array at LBA %llu is outside the disk",
		     (unsigned long long)elba);
		return -EBADMSG;
	}
	*array = malloc(bytes);
	if (!*array)
		return -ENOMEM;
	if ((r = disk_read(c, *array, bytes, eoff)) < 0) {
		free(*array);
		*array = NULL;
		fail(why, whylen, "entry array at LBA %llu unreadable: %s", (unsigned long long)elba,
		     strerror(-r));
		return r;
	}
	if ((uint32_t)crc32(0, *array, bytes) != le32_get(hdr + 88)) {
		free(*array);
		*array = NULL;
		fail(why, whylen, "entry array CRC32 mismatch (header at LBA %llu)",
		     (unsigned long long)lba);
		return -EBADMSG;
	}
	*nent = num;
	*esize = sz;
	return 0;
}

static void gpt_entries(struct ctx *c, unsigned ss, const uint8_t *array, uint32_t num,
			uint32_t sz)
{
	static const uint8_t zero[16];

	for (uint32_t i = 0; i < num; i++) {
		const uint8_t *p = array + (size_t)i * sz;
		uint64_t first = le64_get(p + 32), last = le64_get(p + 40), start, size;
		struct parttable_entry *e;

		if (!memcmp(p, zero, 16))
			continue;
		if (last < first || __builtin_mul_overflow(first, (uint64_t)ss, &start) ||
		    __builtin_mul_overflow(last - first + 1, (uint64_t)ss, &size)) {
			c->skipped++;
			continue;
		}
		e = add_part(c, i + 1, start, size, ss, c->disk_size);
		if (!e)
			continue;
		memcpy(e->type_guid, p, 16);
		gpt_type_name(e);
		gpt_label(e, p + 56, (sz - 56) / 2 < 36 ? (sz - 56) / 2 : 36);
	}
}

/* The GPT of a disk whose MBR is protective: primary at LBA 1 (512- then 4096-byte sectors),
 * else the backup at the last LBA. */
static int gpt_read(struct ctx *c, char *why, size_t whylen)
{
	static const unsigned sizes[2] = { 512, 4096 };
	char bad[2][96] = { "", "" }, bbad[2][96] = { "", "" };
	uint8_t *array = NULL;
	uint32_t num = 0, sz = 0;
	int r = -EBADMSG;

	for (int i = 0; i < 2 && r == -EBADMSG; i++) {
		if (c->disk_size / sizes[i] < 3)
			continue;
		r = gpt_load(c, sizes[i], 1, &array, &num, &sz, bad[i], sizeof(bad[i]));
		if (r == 0) {
			c->out->sector_size = sizes[i];
			break;
		}
	}
	for (int i = 0; i < 2 && r == -EBADMSG; i++) {
		if (c->disk_size / sizes[i] < 3)
			continue;
		r = gpt_load(c, sizes[i], c->disk_size / sizes[i] - 1, &array, &num, &sz, bbad[i],
			     sizeof(bbad[i]));
		if (r == 0) {
			c->out->sector_size = sizes[i];
			snprintf(c->out->note, sizeof(c->out->note),
				 "primary GPT bad (%s), backup used", bad[0]);
		}
	}
	if (r == -EBADMSG)
		fail(why, whylen, "corrupt GPT: primary: %s; backup: %s", bad[0], bbad[0]);
	else if (r < 0)
		fail(why, whylen, "GPT: %s", bad[0][0] ? bad[0] : strerror(-r));
	if (r < 0)
		return r;
	c->out->kind = PARTTABLE_GPT;
	gpt_entries(c, c->out->sector_size, array, num, sz);
	free(array);
	return 0;
}

/* ---- MBR ------------------------------------------------------------------------------ */

static bool mbr_extended(uint8_t type) { return type == 0x05 || type == 0x0f || type == 0x85; }

static void mbr_type_name(struct parttable_entry *e)
{
	const char *n;

	switch (e->mbr_type) {
	case 0x83: n = "Linux"; break;
	case 0x82: n = "Linux swap"; break;
	case 0x8e: n = "Linux LVM"; break;
	case 0xfd: n = "Linux RAID"; break;
	case 0xef: n = "EFI system"; break;
	case 0x01: case 0x04: case 0x06: case 0x0b: case 0x0c: case 0x0e: n = "FAT"; break;
	case 0x07: n = "NTFS/exFAT"; break;
	default:
		snprintf(e->type_name, sizeof(e->type_name), "type 0x%02x", e->mbr_type);
		return;
	}
	snprintf(e->type_name, sizeof(e->type_name), "%s", n);
}

/* The logical partitions in the extended partition [EXT, EXT + EXT_SIZE). */
static int mbr_logical(struct ctx *c, uint64_t ext, uint64_t ext_size)
{
	uint64_t seen[PARTTABLE_MAX], ebr = ext, ext_end = ext + ext_size;
	unsigned nseen = 0, number = 5;
	uint8_t s[512];
	int r;

	while (nseen < PARTTABLE_MAX) {
		const uint8_t *l, *n;

		for (unsigned i = 0; i < nseen; i++)
			if (seen[i] == ebr)
				return 0; /* a loop: the chain ends here */
		seen[nseen++] = ebr;
		if (ebr + 512 > ext_end || (r = disk_read(c, s, 512, ebr)) == -ERANGE)
			return 0;
		if (r < 0)
			return r;
		if (s[MBR_SIG_OFF] != 0x55 || s[MBR_SIG_OFF + 1] != 0xaa)
			return 0;
		l = s + MBR_SLOTS_OFF;
		n = l + 16;
		if (l[4] && le32_get(l + 12)) {
			struct parttable_entry *e =
				add_part(c, number++, ebr + (uint64_t)le32_get(l + 8) * 512,
					 (uint64_t)le32_get(l + 12) * 512, ext, ext_end);
			if (e) {
				e->mbr_type = l[4];
				e->logical = true;
				mbr_type_name(e);
			}
		}
		if (!mbr_extended(n[4]) || !le32_get(n + 8))
			return 0;
		ebr = ext + (uint64_t)le32_get(n + 8) * 512;
	}
	c->skipped++;
	return 0;
}

/* Sector 0 as an MBR: 0 with kind MBR, or 0 with kind NONE when it is not one. */
static int mbr_read(struct ctx *c, const uint8_t *s)
{
	uint64_t ext = 0, ext_size = 0;

	for (int i = 0; i < 4; i++) {
		const uint8_t *p = s + MBR_SLOTS_OFF + 16 * i;
		if (p[0] != 0 && p[0] != 0x80)
			return 0; /* a boot sector of a file system, not a table */
	}
	c->out->kind = PARTTABLE_MBR;
	c->out->sector_size = 512;
	for (int i = 0; i < 4; i++) {
		const uint8_t *p = s + MBR_SLOTS_OFF + 16 * i;
		uint64_t start = (uint64_t)le32_get(p + 8) * 512, size = (uint64_t)le32_get(p + 12) * 512;
		struct parttable_entry *e;

		if (!p[4] || !size)
			continue;
		if (mbr_extended(p[4])) {
			if (!ext && start && start + size <= c->disk_size) {
				ext = start;
				ext_size = size;
			} else {
				c->skipped++;
			}
			continue;
		}
		e = add_part(c, (unsigned)i + 1, start, size, 512, c->disk_size);
		if (e) {
			e->mbr_type = p[4];
			mbr_type_name(e);
		}
	}
	return ext ? mbr_logical(c, ext, ext_size) : 0;
}

int parttable_read(parttable_read_fn read, void *rctx, uint64_t disk_size, struct parttable *out,
		   char *why, size_t whylen)
{
	struct ctx c = { .read = read, .rctx = rctx, .disk_size = disk_size, .out = out };
	uint8_t s[512];
	bool protective = false;
	int r;

	memset(out, 0, sizeof(*out));
	if (disk_size < 512)
		return 0;
	if ((r = disk_read(&c, s, 512, 0)) < 0) {
		fail(why, whylen, "sector 0 unreadable: %s", strerror(-r));
		return r;
	}
	if (s[MBR_SIG_OFF] != 0x55 || s[MBR_SIG_OFF + 1] != 0xaa)
		return 0;
	for (int i = 0; i < 4; i++)
		protective |= s[MBR_SLOTS_OFF + 16 * i + 4] == 0xee;
	r = protective ? gpt_read(&c, why, whylen) : mbr_read(&c, s);
	if (r < 0) {
		out->n = 0;
		out->kind = PARTTABLE_NONE;
		return r;
	}
	if (c.skipped) {
		size_t l = strlen(out->note);
		snprintf(out->note + l, sizeof(out->note) - l,
			 "%s%u partition(s) ignored: outside the disk, overlapping the table's end, or "
			 "over %u", l ? "; " : "", c.skipped, PARTTABLE_MAX);
	}
	return 0;
}
