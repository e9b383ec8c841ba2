/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Off-host copies of finished dumps over SSH, as kdump's SSH= target makes them: the target
 * URL, and a remote crash directory filled file by file with OpenSSH's client, each file
 * checked (SHA-256 here against sha256sum there) before any is renamed into place.  No
 * crash records here (vm/offhost_copy.h copies a crash directory and records it).
 *
 * The remote side needs a POSIX login shell and coreutils (mkdir, cat, sync, sha256sum, mv,
 * rm, pwd); nothing of hvdump.  A remote directory as it is filled:
 *
 *     PATH/NAME/            made with umask 077 (0700), PATH too when missing
 *         vmcore.part       streamed, synced, hashed: the hash must be the one sent
 *         dmesg.txt.part
 *         crash.json.part
 *     then one rename each, in the order given (the record last), and a sync of NAME/:
 *         vmcore  dmesg.txt  crash.json
 *
 * Every ssh runs with BatchMode=yes (no prompt ever: a host key not already known, or a
 * key that needs a passphrase, fails), from an argument vector (no local shell), with the
 * remote paths single-quoted; the URL's parts are checked so that none can be read by ssh
 * as an option. */
#ifndef HVDUMP_DUMP_OFFHOST_H
#define HVDUMP_DUMP_OFFHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dump/dump_target.h"

#define OFFHOST_MAX_OPTIONS 32
#define OFFHOST_TIMEOUT_S 60

/* How ssh is run.  All members may be zero. */
struct offhost_opts {
	const char *ssh;          /* the client; NULL: $HVDUMP_SSH, else "ssh" from PATH */
	const char *identity;     /* -i FILE (with IdentitiesOnly=yes); NULL: ssh's own keys */
	const char *options[OFFHOST_MAX_OPTIONS]; /* each given as -o OPT (UserKnownHostsFile=F,
						   * ...), before hvdump's own defaults, so they
						   * win over them (ssh takes an option's first
						   * value); BatchMode=yes always comes first */
	size_t noptions;
	unsigned timeout_s;       /* 0: OFFHOST_TIMEOUT_S.  ConnectTimeout, and the longest time
				   * an ssh may go without progress before it is stopped */
};

/* Is OPT a usable -o value ("Name=value" or "Name value": a letter-led name, no control
 * character)?  0, or -EINVAL with WHY. */
__attribute__((warn_unused_result)) int offhost_option_check(const char *opt, char *why,
							      size_t whylen);

/* A remote crash directory being filled. */
struct offhost_dir {
	const struct dump_target *t;
	const struct offhost_opts *o;
	char name[256];                 /* NAME, the local crash directory's name */
	char abs[OFFHOST_PATH_MAX + 256]; /* PATH/NAME as the remote shell resolved it */
	uint64_t sent;                  /* bytes sent (and verified) so far */
};

/* Make PATH/NAME on T (umask 077) and learn its absolute path (D->abs).  NAME: one path
 * component, not . or .., no control character.  0, or -errno with WHY (ssh's own or the
 * remote shell's last words: "Host key verification failed", "Connection refused",
 * "mkdir: cannot create directory ...: Permission denied"). */
__attribute__((warn_unused_result)) int offhost_open(struct offhost_dir *d,
						      const struct dump_target *t,
						      const struct offhost_opts *o,
						      const char *name, char *why, size_t whylen);

/* Write NAME.part in D: LEN bytes, from FD (read from its current offset; streamed, never
 * held whole) or, with FD < 0, from BUF.  The remote side syncs it and hashes it; its
 * SHA-256 must be the one of the bytes sent (SHA256_HEX, 64 hex digits and a NUL).  FD
 * must give exactly LEN bytes.  Progress is logged every few seconds (LABEL: what is being
 * copied).  0, or -errno with WHY (-EIO: the copy does not match). */
__attribute__((warn_unused_result)) int offhost_put(struct offhost_dir *d, const char *name,
						     int fd, const void *buf, uint64_t len,
						     const char *label, char sha256_hex[65],
						     char *why, size_t whylen);

/* Rename each NAMES[i].part in D to NAMES[i], in order, then sync the directory.  0, or
 * -errno with WHY (some may have been renamed then: the last, the record, is renamed only
 * when all before it were). */
__attribute__((warn_unused_result)) int offhost_commit(struct offhost_dir *d,
							const char *const *names, size_t n,
							char *why, size_t whylen);

/* Remove NAMES[i].part from D, best effort (after a failure: no partial file is left to
 * fill the remote disk when the remote side can still be reached). */
void offhost_abort(struct offhost_dir *d, const char *const *names, size_t n);

#endif
