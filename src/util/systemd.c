// SPDX-License-Identifier: GPL-2.0-or-later
// hvdump's calls into libsystemd (util/systemd.h).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "util/systemd.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

bool sys_journal_listens(void)
{
	return access(JOURNAL_SOCKET, W_OK) == 0;
}

int sys_journal_sendv(const struct iovec *iov, int n)
{
	return sd_journal_sendv(iov, n);
}

int sys_notify(const char *state)
{
	return sd_notify(0, state);
}

bool sys_stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}
