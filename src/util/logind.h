/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What systemd-logind does to a user's files when the user's last session ends: with
 * RemoveIPC=yes (its default, and Debian's) it deletes every file the user owns in /dev/shm,
 * and without lingering it removes the user's /run/user/UID.  A crashed guest's RAM file kept
 * in either place would go with them.  docs/service.md.
 *
 * Every path is read under ROOT ("" for this system; a unit test points it at a temporary
 * tree).  The configuration files are untrusted text: each is read whole up to
 * LOGIND_CONF_MAX bytes (a bigger one is skipped), at most LOGIND_DROPINS_MAX drop-ins. */
#ifndef HVDUMP_UTIL_LOGIND_H
#define HVDUMP_UTIL_LOGIND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define LOGIND_CONF_MAX (64u << 10)
#define LOGIND_DROPINS_MAX 64u

/* logind leaves users up to this uid alone (systemd's SYSTEM_UID_MAX on Debian) */
#define LOGIND_SYSTEM_UID_MAX 999u

/* RemoveIPC= in the [Login] section of one logind.conf text TEXT[0, LEN): 1 yes, 0 no, or CUR
 * when the text does not set it (or sets it to something that is not a boolean, which logind
 * ignores too).  The last setting in the text wins. */
int logind_conf_remove_ipc(const char *text, size_t len, int cur);

/* logind's RemoveIPC= on the system under ROOT: /etc/systemd/logind.conf, then the *.conf
 * drop-ins of logind.conf.d in /etc, /run, /usr/local/lib and /usr/lib/systemd (a name in an
 * earlier directory hides the same name in a later one), in name order; the last setting
 * wins.  1 (also when nothing sets it: logind's default) or 0. */
int logind_remove_ipc(const char *root);

/* Does USER linger (`loginctl enable-linger USER`: ROOT/var/lib/systemd/linger/USER)? */
bool logind_user_lingers(const char *root, const char *user);

enum logind_risk {
	LOGIND_SAFE,       /* nothing removes PATH at logout */
	LOGIND_REMOVE_IPC, /* PATH is in /dev/shm: RemoveIPC=yes deletes it at logout */
	LOGIND_RUNTIME,    /* PATH is in /run/user/UID: removed at logout */
};

/* Would logind remove the directory PATH (a run directory) when user USER (UID) logs out?
 * Root and system users are left alone, as are users who linger. */
enum logind_risk logind_logout_risk(const char *root, const char *path, uid_t uid,
				    const char *user);

#endif
