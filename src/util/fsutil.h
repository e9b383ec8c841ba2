/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small file-system helpers: private directories, atomic files, UNIX sockets. */
#ifndef HVDUMP_UTIL_FSUTIL_H
#define HVDUMP_UTIL_FSUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Create PATH and any missing parents; directories we create get MODE.  An existing final
 * directory is accepted.  Returns 0 or -errno. */
__attribute__((warn_unused_result)) int mkdir_p(const char *path, unsigned mode);

/* Is PATH a safe place for our private files?  Every existing directory on it must be owned
 * by root or by us, and writable by nobody else unless it is sticky (like /tmp); PATH itself,
 * if it exists, must be a directory owned by us and writable by nobody else.  A symbolic
 * link on the way is judged by its owner and by the directory it names.  0, or -EPERM /
 * -ENOTDIR with MSG naming the directory and what is wrong (what does not exist yet is ours
 * to create: 0). */
__attribute__((warn_unused_result)) int path_check_private(const char *path, char *msg,
							    size_t msglen);

/* Create PATH afresh, 0600, for FLAGS (O_WRONLY or O_RDWR, O_CLOEXEC is added): never through
 * a symbolic link, never into somebody else's file.  A regular file of ours left there (an
 * unfinished earlier attempt) is replaced; anything else is refused with -EEXIST.  The fd or
 * -errno. */
__attribute__((warn_unused_result)) int open_new_private(const char *path, int flags);

/* Open the existing regular file PATH for FLAGS (O_RDONLY, O_RDWR, ...; O_CLOEXEC and
 * O_NOFOLLOW are added): never through a symbolic link.  The fd, -EINVAL when PATH is not a
 * regular file, or -errno. */
__attribute__((warn_unused_result)) int open_regular(const char *path, int flags);

/* Write LEN bytes to PATH atomically: temporary file (MODE), fsync, rename, fsync the
 * directory.  Returns 0 or -errno; an error from the directory's fsync comes after the
 * rename: PATH holds the new contents, but a host crash may take the name back to the old
 * ones, so a caller must not act as if they were durable. */
__attribute__((warn_unused_result)) int write_file_atomic(const char *path, const void *buf,
							   size_t len, unsigned mode);

/* fsync the directory holding PATH (after a rename into it).  Returns 0 or -errno. */
__attribute__((warn_unused_result)) int fsync_parent(const char *path);

/* Read at most MAX bytes of PATH into a malloc'd NUL-terminated buffer. */
__attribute__((warn_unused_result)) int read_file(const char *path, size_t max, char **out,
						   size_t *len);

/* Bind a listening UNIX stream socket at PATH (replacing a stale socket file).  The
 * descriptor is close-on-exec.  Returns the fd or -errno. */
__attribute__((warn_unused_result)) int unix_listen(const char *path);

/* Connect to the UNIX stream socket at PATH; close-on-exec.  Returns the fd or -errno. */
__attribute__((warn_unused_result)) int unix_connect(const char *path);

/* Write all of BUF to FD, retrying on EINTR/short writes.  Returns 0 or -errno. */
__attribute__((warn_unused_result)) int write_full(int fd, const void *buf, size_t len);

#endif
