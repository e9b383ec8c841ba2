/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An ext2/3/4 file system of a guest's disk, read with libext2fs through extio (read-only),
 * with the work any lookup or copy may cost bounded: the file system is the guest's. */
#ifndef HVDUMP_DISK_EXTFS_H
#define HVDUMP_DISK_EXTFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ext2fs/ext2fs.h>

#include "disk/extio.h"

#define EXTFS_MAX_LINKS 8         /* symbolic links followed in one lookup */
#define EXTFS_MAX_STEPS 256       /* path components looked up in one lookup */
#define EXTFS_DIR_BUDGET 16384    /* directory entries (and so blocks) read per directory */

struct extfs {
	ext2_filsys fs;
	struct extio_range range;
	char uuid[37];
	char type[8];             /* "ext2", "ext3", "ext4" */
	bool needs_recovery;      /* journal not replayed: the guest did not unmount it */
};

/* Open the ext2/3/4 file system in [START, START + SIZE) of BD read-only.  0; -EMEDIUMTYPE
 * when it is not one (no superblock magic); -errno with WHY (libext2fs's message) when it is
 * one we cannot read (corrupt, unsupported features).  X needs extfs_close() after 0. */
__attribute__((warn_unused_result)) int extfs_open(struct extfs *x, struct blockdev *bd,
						   uint64_t start, uint64_t size, char *why,
						   size_t whylen);
void extfs_close(struct extfs *x);

/* Look PATH (absolute, inside the file system) up, following symbolic links in every
 * component, the last one included: at most EXTFS_MAX_LINKS links and EXTFS_MAX_STEPS
 * components; an absolute link is taken from the file system's root, never beyond it (".."
 * at the root is the root).  BOOT_TOP: the file system is mounted at /boot in the guest, so
 * an absolute link to /boot/X is read as /X when the root has no "boot".  0 with *INO and
 * *INODE; -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG, -E2BIG (a directory over the budget) or
 * -EIO, with WHY naming the component. */
__attribute__((warn_unused_result)) int extfs_lookup(struct extfs *x, const char *path,
						     bool boot_top, ext2_ino_t *ino,
						     struct ext2_inode *inode, char *why,
						     size_t whylen);

/* The names in directory DIR (an inode number) that start with one of PREFIXES (NULL ended),
 * sorted and comma-separated into OUT ("" when none).  Returns how many there were, or
 * -errno. */
int extfs_list(struct extfs *x, ext2_ino_t dir, const char *const *prefixes, char *out,
	       size_t outlen);

/* Copy the regular file INO (INODE) to FD: refused with -EFBIG when its size is over MAX,
 * -EISDIR / -EINVAL when it is a directory / not a regular file (WHY says which and how big
 * it claims to be).  Reads at most its size; -EIO when the file system gives less. */
__attribute__((warn_unused_result)) int extfs_copy(struct extfs *x, ext2_ino_t ino,
						   struct ext2_inode *inode, uint64_t max, int fd,
						   uint64_t *size, char *why, size_t whylen);

#endif
