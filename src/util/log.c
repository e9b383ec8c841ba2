// SPDX-License-Identifier: GPL-2.0-or-later
// Operator-facing log.  Lines carry UTC timestamps so they line up with QMP event times.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/systemd.h"

static enum log_level stderr_level = LOG_INFO;
static const char *prefix = "hvdump";
static int log_fd = -1;

void log_set_level(enum log_level level) { stderr_level = level; }
void log_set_prefix(const char *p) { prefix = p; }

int log_open_file(const char *path)
{
	/* never through a symbolic link, never into a file that is not ours: the log carries
	 * what the guest prints */
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		close(fd);
		return -EPERM;
	}
	log_close_file();
	log_fd = fd;
	return 0;
}

int log_file_fd(void)
{
	return log_fd;
}

void log_close_file(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
}

void log_timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* logging must never take the supervisor down */
		buf += n;
		len -= (size_t)n;
	}
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char text[2048], ts[40], line[2200];
	int n;

	static const int prio[] = { SYS_PRIO_ERR, SYS_PRIO_WARNING, SYS_PRIO_INFO, SYS_PRIO_DEBUG };
	static int journal = -1; /* stderr goes to the journal: each line says its priority */
	char pfx[8] = "";

	vsnprintf(text, sizeof(text), fmt, ap);
	log_timestamp(ts, sizeof(ts));
	if (journal < 0)
		journal = sys_stderr_is_journal();
	if (journal)
		snprintf(pfx, sizeof(pfx), "<%d>", prio[level]);
	if (level <= stderr_level) {
		if (level <= LOG_WARN)
			n = snprintf(line, sizeof(line), "%s%s: %s: %s\n", pfx, prefix, names[level],
				     text);
		else
			n = snprintf(line, sizeof(line), "%s%s: %s\n", pfx, prefix, text);
		if (n > 0)
			write_all(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	}
	if (log_fd >= 0) {
		n = snprintf(line, sizeof(line), "%s %s[%d] %s: %s\n", ts, prefix, (int)getpid(),
			     names[level], text);
		if (n > 0)
			write_all(log_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void log_raw_file(const char *buf, size_t len)
{
	if (log_fd >= 0)
		write_all(log_fd, buf, len);
}
