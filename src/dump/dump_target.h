/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where finished dumps are copied off the host: an ssh:// URL, checked so that none of its
 * parts can reach ssh as an option or the remote shell as anything but a quoted path. */
#ifndef HVDUMP_DUMP_DUMP_TARGET_H
#define HVDUMP_DUMP_DUMP_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#define OFFHOST_PATH_MAX 1024

/* ssh://[USER@]HOST[:PORT]/PATH, checked.
 *   USER   letters, digits, '.', '_', '-' (not first), at most 32; none: ssh's own choice
 *   HOST   a name (letters, digits, '.', '-', '_'; not starting with '-' or '.') or an
 *          IPv4 address, at most 253; an IPv6 address in brackets ([::1], [fe80::1%25eth0])
 *   PORT   1-65535; none: ssh's own choice (22, or the ssh configuration's)
 *   PATH   absolute (/var/crash), or under the remote user's home: /~ or /~/crash
 *          (ssh://host/~/crash is ~/crash there).  %XX is decoded; no control character
 *          (before or after decoding), no query (?) or fragment (#).  Trailing '/'s are
 *          dropped.
 * No password (USER:PASSWORD@): ssh takes keys. */
struct dump_target {
	char user[33];
	char host[254];          /* without the brackets */
	unsigned port;           /* 0: not given */
	bool home;               /* PATH is under the remote home: PATH holds what follows ~/ */
	char path[OFFHOST_PATH_MAX]; /* absolute; with HOME relative ("" for ~ itself) */
	char url[OFFHOST_PATH_MAX * 3 + 320]; /* the URL as given, for records and messages */
	char where[300];         /* [USER@]HOST[:PORT], for messages */
};

/* Parse URL into T.  0, or -EINVAL with WHY naming what is wrong. */
__attribute__((warn_unused_result)) int dump_target_parse(const char *url, struct dump_target *t,
							   char *why, size_t whylen);

#endif
