// SPDX-License-Identifier: GPL-2.0-or-later
// Partition tables (format/parttable.c) and file-system signatures (format/fsmagic.c) on
// disks built in memory: GPT (primary, backup, 4096-byte sectors, CRC damage, absurd entry
// arrays), MBR with logical partitions, an EBR chain that loops, partitions past the disk.
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "format/fsmagic.h"
#include "format/le.h"
#include "format/parttable.h"
#include "tap.h"

#define DISK (4u << 20)

static uint8_t disk[DISK];
static unsigned nreads;

static int rd(void *ctx, void *buf, size_t len, uint64_t off)
{
	size_t size = *(size_t *)ctx;

	nreads++;
	if (off > size || len > size - off)
		return -EIO;
	memcpy(buf, disk + off, len);
	return 0;
}

static int parse(size_t size, struct parttable *pt, char *why, size_t whylen)
{
	why[0] = '\0';
	return parttable_read(rd, &size, size, pt, why, whylen);
}

static void mbr_slot(uint8_t *sector, int i, uint8_t type, uint32_t lba, uint32_t n)
{
	uint8_t *p = sector + 446 + 16 * i;

	p[0] = 0;
	p[4] = type;
	le32_put(p + 8, lba);
	le32_put(p + 12, n);
	sector[510] = 0x55;
	sector[511] = 0xaa;
}

static const uint8_t linux_fs[16] = { 0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
				      0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4 };

/* A GPT header at LBA of SS-byte sectors with NUM entries of 128 bytes at ELBA; entry 0 and 2
 * used (LBA 64-127 "boot", LBA 128-1023 "root"). */
static void gpt_put(unsigned ss, uint64_t lba, uint64_t elba, uint32_t num, size_t size)
{
	uint8_t *h = disk + lba * ss, *e = disk + elba * ss;

	memset(e, 0, (size_t)num * 128);
	memcpy(e, linux_fs, 16);
	le64_put(e + 32, 64);
	le64_put(e + 40, 127);
	e[56] = 'b', e[58] = 'o', e[60] = 'o', e[62] = 't';
	memcpy(e + 256, linux_fs, 16);
	le64_put(e + 256 + 32, 128);
	le64_put(e + 256 + 40, 1023);
	e[256 + 56] = 'r', e[256 + 58] = 0xe9, e[256 + 60] = 't';
	memset(h, 0, ss);
	memcpy(h, "EFI PART", 8);
	le32_put(h + 8, 0x10000);
	le32_put(h + 12, 92);
	le64_put(h + 24, lba);
	le64_put(h + 40, 34);
	le64_put(h + 48, size / ss - 34);
	le64_put(h + 72, elba);
	le32_put(h + 80, num);
	le32_put(h + 84, 128);
	le32_put(h + 88, (uint32_t)crc32(0, e, num * 128));
	le32_put(h + 16, (uint32_t)crc32(0, h, 92));
}

static void gpt_disk(unsigned ss, size_t size)
{
	memset(disk, 0, sizeof(disk));
	mbr_slot(disk, 0, 0xee, 1, 0xffffffff);
	gpt_put(ss, 1, 2, 128, size);
	gpt_put(ss, size / ss - 1, size / ss - 33, 128, size);
}

static void test_gpt(void)
{
	struct parttable *pt = calloc(1, sizeof(*pt));
	char why[512];
	int r;

	gpt_disk(512, DISK);
	r = parse(DISK, pt, why, sizeof(why));
	tap_is_int(r, 0, "GPT read");
	tap_is_str(parttable_kind_name(pt->kind), "GPT", "kind GPT");
	tap_is_int(pt->n, 2, "two partitions");
	tap_is_int(pt->e[0].number, 1, "first is partition 1");
	tap_is_int(pt->e[1].number, 3, "second is partition 3 (slot 2)");
	tap_is_int(pt->e[1].start, 128 * 512, "partition 3 starts at LBA 128");
	tap_is_int(pt->e[1].size, 896 * 512, "partition 3 is 896 sectors (last LBA inclusive)");
	tap_is_str(pt->e[0].label, "boot", "label of partition 1");
	tap_is_str(pt->e[1].label, "r?t", "non-ASCII label characters as '?'");
	tap_is_str(pt->e[1].type_name, "Linux filesystem", "type name from the GUID");
	tap_is_str(pt->note, "", "no note");

	disk[512 + 100] ^= 1; /* past the header's 92 bytes: not in its CRC, harmless */
	r = parse(DISK, pt, why, sizeof(why));
	tap_ok(r == 0 && pt->n == 2 && !pt->note[0], "bytes past the header size are not checked");
	disk[512 + 40] ^= 1;  /* first usable LBA: in the CRC */
	r = parse(DISK, pt, why, sizeof(why));
	tap_is_int(r, 0, "primary header CRC broken: the backup is read");
	tap_is_int(pt->n, 2, "backup: two partitions");
	if (!tap_ok(strstr(pt->note, "backup used") && strstr(pt->note, "header CRC32"),
		    "note says the backup was used and why"))
		tap_diag("  note: %s", pt->note);

	disk[DISK - 33 * 512 + 5] ^= 1; /* the backup's entry array */
	r = parse(DISK, pt, why, sizeof(why));
	tap_is_int(r, -EBADMSG, "both copies broken: -EBADMSG");
	if (!tap_ok(strstr(why, "corrupt GPT: primary: header CRC32") &&
		    strstr(why, "backup: entry array CRC32"), "why names each copy's fault"))
		tap_diag("  why: %s", why);
	tap_is_int(pt->n, 0, "no partitions reported");

	gpt_disk(4096, DISK);
	memset(disk + 512, 0, 512);
	r = parse(DISK, pt, why, sizeof(why));
	tap_ok(r == 0 && pt->sector_size == 4096 && pt->n == 2 && pt->e[1].start == 128 * 4096,
	       "GPT with 4096-byte sectors");

	gpt_disk(512, DISK);
	le32_put(disk + 512 + 80, 1u << 20); /* 128 MiB of entries claimed */
	le32_put(disk + 512 + 16, 0);
	le32_put(disk + 512 + 16, (uint32_t)crc32(0, disk + 512, 92));
	r = parse(DISK, pt, why, sizeof(why));
	tap_ok(r == 0 && strstr(pt->note, "backup used") && strstr(pt->note, "entries of 128"),
	       "an entry array over the limit is refused (the backup is read)");

	gpt_disk(512, DISK);
	le64_put(disk + 1024 + 256 + 40, 1u << 30); /* partition 3 ends past the disk */
	le32_put(disk + 512 + 88, (uint32_t)crc32(0, disk + 1024, 128 * 128));
	le32_put(disk + 512 + 16, 0);
	le32_put(disk + 512 + 16, (uint32_t)crc32(0, disk + 512, 92));
	r = parse(DISK, pt, why, sizeof(why));
	tap_ok(r == 0 && pt->n == 1 && strstr(pt->note, "1 partition(s) ignored"),
	       "a partition past the end of the disk is ignored with a note");

	r = parse(64 << 10, pt, why, sizeof(why)); /* the same disk cut short */
	tap_ok(r == -EBADMSG, "a GPT disk cut short (both headers outside): -EBADMSG");
	free(pt);
}

static void test_mbr(void)
{
	struct parttable *pt = calloc(1, sizeof(*pt));
	char why[512];
	int r;

	memset(disk, 0, sizeof(disk));
	mbr_slot(disk, 0, 0x83, 2048, 2048);
	mbr_slot(disk, 1, 0x05, 4096, 4096);       /* extended: LBA 4096-8191 */
	mbr_slot(disk, 2, 0x82, 0, 0);             /* empty */
	mbr_slot(disk + 4096 * 512, 0, 0x83, 63, 1000);   /* logical 5 at 4159 */
	mbr_slot(disk + 4096 * 512, 1, 0x05, 2048, 2000); /* next EBR at 6144 */
	mbr_slot(disk + 6144 * 512, 0, 0x82, 2, 100);     /* logical 6 at 6146 */
	r = parse(DISK, pt, why, sizeof(why));
	tap_is_int(r, 0, "MBR read");
	tap_is_str(parttable_kind_name(pt->kind), "MBR", "kind MBR");
	tap_is_int(pt->n, 3, "one primary, two logical");
	tap_ok(pt->e[0].number == 1 && pt->e[0].start == 2048 * 512 && !pt->e[0].logical,
	       "primary 1 at LBA 2048");
	tap_ok(pt->e[1].number == 5 && pt->e[1].start == 4159ull * 512 && pt->e[1].logical &&
	       pt->e[1].size == 1000 * 512, "logical 5 relative to its EBR");
	tap_ok(pt->e[2].number == 6 && pt->e[2].start == 6146ull * 512 && pt->e[2].mbr_type == 0x82,
	       "logical 6 through the chain (relative to the extended partition)");
	tap_is_str(pt->e[2].type_name, "Linux swap", "MBR type name");

	mbr_slot(disk + 6144 * 512, 1, 0x05, 0, 1); /* 6's EBR links back to the first */
	nreads = 0;
	r = parse(DISK, pt, why, sizeof(why));
	tap_ok(r == 0 && pt->n == 3 && nreads < 10, "an EBR chain that loops ends (%u reads)",
	       nreads);

	mbr_slot(disk + 4096 * 512, 0, 0x83, 63, 5000); /* logical 5 runs out of the extended */
	r = parse(DISK, pt, why, sizeof(why));
	tap_ok(r == 0 && pt->n == 2 && strstr(pt->note, "ignored"),
	       "a logical partition outside its extended partition is ignored");

	memset(disk, 0, 512);
	memcpy(disk + 0x52, "FAT32   ", 8);
	disk[446] = 0x12; /* boot code where the slots would be */
	disk[510] = 0x55, disk[511] = 0xaa;
	r = parse(DISK, pt, why, sizeof(why));
	tap_ok(r == 0 && pt->kind == PARTTABLE_NONE, "a FAT boot sector is no partition table");
	tap_is_str(fsmagic_name(disk, 4096), "vfat", "... and is named vfat");

	memset(disk, 0, 512);
	r = parse(DISK, pt, why, sizeof(why));
	tap_ok(r == 0 && pt->kind == PARTTABLE_NONE, "no 0x55AA: no table");
	r = parse(100, pt, why, sizeof(why));
	tap_ok(r == 0 && pt->kind == PARTTABLE_NONE, "a disk under one sector: no table");
	free(pt);
}

static void test_fsmagic(void)
{
	memset(disk, 0, FSMAGIC_PROBE_LEN);
	tap_is_str(fsmagic_name(disk, FSMAGIC_PROBE_LEN), "zeros", "zeros");
	disk[1080] = 0x53, disk[1081] = 0xef;
	tap_is_str(fsmagic_name(disk, FSMAGIC_PROBE_LEN), "ext2/3/4", "ext magic at 1080");
	tap_is_str(fsmagic_name(disk, 1081), "unknown", "ext magic cut off by the length");
	memset(disk, 0, 2048);
	memcpy(disk + 65600, "_BHRfS_M", 8);
	tap_is_str(fsmagic_name(disk, FSMAGIC_PROBE_LEN), "btrfs", "btrfs at 64 KiB");
	tap_is_str(fsmagic_name(disk, 65600 + 7), "zeros", "btrfs magic past a short probe: not seen");
	memset(disk, 0, FSMAGIC_PROBE_LEN);
	memcpy(disk + 4086, "SWAPSPACE2", 10);
	tap_is_str(fsmagic_name(disk, FSMAGIC_PROBE_LEN), "swap", "swap");
}

int main(void)
{
	test_gpt();
	test_mbr();
	test_fsmagic();
	return tap_done();
}
