// SPDX-License-Identifier: GPL-2.0-or-later
// File-system signatures, as blkid knows them, for the few kinds a Linux guest's disk holds.
#include <string.h>

#include "format/fsmagic.h"

struct sig {
	const char *name;
	size_t off;
	const char *magic;
	size_t len;
};

static const struct sig sigs[] = {
	{ "ext2/3/4", 1024 + 56, "\x53\xef", 2 },
	{ "xfs", 0, "XFSB", 4 },
	{ "btrfs", 65536 + 64, "_BHRfS_M", 8 },
	{ "LUKS", 0, "LUKS\xba\xbe", 6 },
	{ "LVM2 PV", 512 + 24, "LVM2 001", 8 },
	{ "Linux RAID", 4096, "\xfc\x4e\x2b\xa9", 4 },   /* md superblock 1.2 */
	{ "squashfs", 0, "hsqs", 4 },
	{ "iso9660", 32769, "CD001", 5 },
	{ "swap", 4096 - 10, "SWAPSPACE2", 10 },
	{ "swap", 4096 - 10, "SWAP-SPACE", 10 },
	{ "vfat", 0x52, "FAT32   ", 8 },
	{ "vfat", 0x36, "FAT12   ", 8 },
	{ "vfat", 0x36, "FAT16   ", 8 },
};

const char *fsmagic_name(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		const struct sig *s = &sigs[i];
		if (s->off <= len && s->len <= len - s->off && !memcmp(p + s->off, s->magic, s->len))
			return s->name;
	}
	for (i = 0; i < len && i < 4096; i++)
		if (p[i])
			return "unknown";
	return "zeros";
}
