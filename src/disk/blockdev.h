/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A guest's disk image as a read-only block device on the host: a raw file read with pread(),
 * or any image QEMU can open (qcow2) served read-only by a qemu-nbd child of ours on a unix
 * socket in a private directory, read with libnbd.  Nothing is ever written to the image. */
#ifndef HVDUMP_DISK_BLOCKDEV_H
#define HVDUMP_DISK_BLOCKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct nbd_handle;

struct blockdev {
	char format[8];          /* "raw" or "qcow2" */
	bool detected;           /* the format was found from the file's first bytes */
	bool via_nbd;
	uint64_t size;           /* bytes the guest sees */
	int fd;                  /* raw without NBD; else -1 */
	struct nbd_handle *nbd;
	pid_t server;            /* qemu-nbd; 0 when none */
	int server_err;          /* read end of its stderr, or -1 */
	char sockdir[64];        /* its private directory, "" when none */
	uint64_t reads, bytes;   /* requests made and bytes read, for measurements */
};

/* Open PATH (a regular file, never through a symbolic link) read-only.  FORMAT "raw",
 * "qcow2" or NULL: NULL detects (qcow2 when it starts with "QFI\xfb", else raw); a qcow2 found
 * so, that names a backing or external data file, is refused (-EPERM): a guest can write that
 * header into the first sector of its raw disk to make us read a host file; such an image
 * needs format=qcow2 given.  qcow2 (and raw with VIA_NBD) starts QEMU_NBD (NULL: "qemu-nbd"
 * in PATH) as `qemu-nbd --read-only --format=F`; it fails while a QEMU has the image open for
 * writing (QEMU's image locks).  0 with BD ready, or -errno with WHY saying what failed
 * (qemu-nbd's own message included); BD needs blockdev_close() only after success. */
__attribute__((warn_unused_result)) int blockdev_open(struct blockdev *bd, const char *path,
						      const char *format, bool via_nbd,
						      const char *qemu_nbd, char *why,
						      size_t whylen);

/* Read exactly LEN bytes at OFF (which must lie inside the device): 0, -ERANGE outside it,
 * or -EIO (logged at debug level with the cause). */
__attribute__((warn_unused_result)) int blockdev_read(struct blockdev *bd, void *buf, size_t len,
						      uint64_t off);

/* Disconnect, stop qemu-nbd (it exits with its only client; SIGTERM after 2 s), remove its
 * directory, close the file. */
void blockdev_close(struct blockdev *bd);

#endif
