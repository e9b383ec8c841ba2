/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel and initramfs a disk-booted guest ran, fetched from its own disk images on the
 * host while no QEMU has them open: raw or qcow2 (qemu-nbd, read-only), GPT, MBR (logical
 * partitions too) or no table, ext2/3/4 holding /boot or being /boot.  Everything on the
 * disks is the guest's and untrusted.  See docs/guest-disk.md. */
#ifndef HVDUMP_DISK_GUESTBOOT_H
#define HVDUMP_DISK_GUESTBOOT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUESTBOOT_KERNEL_MAX (UINT64_C(256) << 20)
#define GUESTBOOT_INITRD_MAX (UINT64_C(2) << 30)
#define GUESTBOOT_RELEASE_MAX 64   /* struct new_utsname's release, without its NUL */

struct guest_disk {
	const char *path;
	const char *format;   /* "raw", "qcow2" or NULL: detect (see blockdev_open()) */
	bool via_nbd;         /* read a raw image through qemu-nbd too (for measurements) */
};

struct guestboot_found {
	char kernel[PATH_MAX];       /* OUTDIR/vmlinuz-RELEASE */
	char initrd[PATH_MAX];       /* OUTDIR/initrd.img-RELEASE, or "" when the guest has none */
	char kernel_src[160];        /* where they were on the file system ("/boot/vmlinuz-R"; */
	char initrd_src[160];        /*   links are followed: these are the names looked up) */
	uint64_t kernel_bytes, initrd_bytes;
	unsigned disk;               /* index into DISKS */
	unsigned partition;          /* as Linux numbers it; 0: the whole disk */
	char table[8];               /* "GPT", "MBR", "none" */
	char fs_type[8];             /* "ext2", "ext3", "ext4" */
	char fs_uuid[37];
	bool separate_boot;          /* the file system is /boot (files at its top), not / */
	char note[512];              /* not fatal, for the operator: no initramfs, journal not
				      * replayed, backup GPT used, partitions ignored */
	long long ms;                /* wall time of the whole fetch */
	uint64_t bytes_read;         /* from the images (all disks searched) */
};

/* Find /boot/vmlinuz-RELEASE (or /vmlinuz-RELEASE on a file system that is the guest's /boot)
 * on DISKS, in order: partitions in table order, the whole disk when there is no table; ext2/
 * 3/4 only.  Then, on the same file system and in the same place, the initramfs:
 * initrd.img-RELEASE (Debian), else initramfs-RELEASE.img, else initrd-RELEASE.  Both are
 * copied into OUTDIR (an existing directory private to the caller) as vmlinuz-RELEASE and
 * initrd.img-RELEASE, 0600, written to NAME.part (O_CREAT|O_EXCL|O_NOFOLLOW), fsynced and
 * renamed.  The kernel must be a bzImage of at most GUESTBOOT_KERNEL_MAX bytes, the initramfs
 * at most GUESTBOOT_INITRD_MAX; an initramfs that is missing is a note, not an error (OUT's
 * initrd is ""), one that is refused is an error.  QEMU_NBD: qemu-nbd's path, NULL for
 * "qemu-nbd" in PATH (needed only for qcow2).
 *
 * RELEASE comes from the crashed guest: 1 to GUESTBOOT_RELEASE_MAX bytes of [A-Za-z0-9._+~-],
 * else -EINVAL.  Returns 0 with OUT filled; -ENOENT when no disk has the kernel, WHY saying
 * what was looked for on each disk and partition and what was there instead (other
 * releases' vmlinuz and initrd names, file-system kinds); another -errno with WHY when a
 * disk cannot be read or a file was found but refused (too big, not a regular file, a link
 * loop, not a bzImage).  Nothing is left in OUTDIR on failure. */
__attribute__((warn_unused_result)) int guestboot_fetch(const struct guest_disk *disks,
							size_t ndisks, const char *release,
							const char *qemu_nbd, const char *outdir,
							struct guestboot_found *out, char *why,
							size_t whylen);

#endif
