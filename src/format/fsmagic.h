/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a partition holds, named from its first bytes (signatures at fixed offsets), for the
 * messages that tell an operator why a partition was not searched.  Pure; the bytes are
 * untrusted and only compared. */
#ifndef HVDUMP_FORMAT_FSMAGIC_H
#define HVDUMP_FORMAT_FSMAGIC_H

#include <stddef.h>

/* How many leading bytes fsmagic_name() looks at (btrfs keeps its superblock at 64 KiB). */
#define FSMAGIC_PROBE_LEN (68u << 10)

/* The name of what BUF (the first LEN bytes of a partition; fewer than FSMAGIC_PROBE_LEN
 * only at the end of the disk) holds: "ext2/3/4", "xfs", "btrfs", "vfat", "swap", "LUKS",
 * "LVM2 PV", "Linux RAID", "squashfs", "iso9660", "zeros" (nothing written), or "unknown". */
const char *fsmagic_name(const void *buf, size_t len);

#endif
