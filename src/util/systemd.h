/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one place hvdump talks to systemd (libsystemd), kept apart because <syslog.h>, which
 * libsystemd's headers include, names LOG_INFO and LOG_DEBUG as util/log.h does. */
#ifndef HVDUMP_UTIL_SYSTEMD_H
#define HVDUMP_UTIL_SYSTEMD_H

#include <stdbool.h>
#include <sys/uio.h>

/* syslog's priorities, for journal entries and the prefixes of log lines */
enum { SYS_PRIO_CRIT = 2, SYS_PRIO_ERR = 3, SYS_PRIO_WARNING = 4, SYS_PRIO_INFO = 6,
       SYS_PRIO_DEBUG = 7 };

/* Does journald listen here (its native socket is there and writable)? */
bool sys_journal_listens(void);

/* Send one journal entry of N fields "NAME=value".  0 or -errno. */
int sys_journal_sendv(const struct iovec *iov, int n);

/* Tell the service manager STATE ("READY=1", "STATUS=...", "STOPPING=1") when hvdump runs
 * as a Type=notify service ($NOTIFY_SOCKET); nothing otherwise.  0, 1 (sent) or -errno. */
int sys_notify(const char *state);

/* Is stderr connected to the journal ($JOURNAL_STREAM names its device and inode)?  Then
 * log lines carry "<N>" priority prefixes, which journald takes as the line's priority. */
bool sys_stderr_is_journal(void);

#endif
