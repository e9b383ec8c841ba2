/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Operator-facing log: timestamped lines to stderr and, once opened, to a log file. */
#ifndef HVDUMP_UTIL_LOG_H
#define HVDUMP_UTIL_LOG_H

#include <stdarg.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Set the least important level that is still printed on stderr (default LOG_INFO).
 * The log file always receives LOG_DEBUG and above. */
void log_set_level(enum log_level level);

/* Set the program prefix printed on stderr lines ("hvdump" by default). */
void log_set_prefix(const char *prefix);

/* Also append every line to PATH (created 0600).  Returns 0 or -errno. */
__attribute__((warn_unused_result)) int log_open_file(const char *path);
void log_close_file(void);
/* The log file's descriptor, -1 when none is open (a forked helper keeps it). */
int log_file_fd(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Write raw text (console output) to the log file only, no prefix. */
void log_raw_file(const char *buf, size_t len);

/* Wall-clock time as "2026-11-27T12:34:56.789Z" into BUF (at least 32 bytes). */
void log_timestamp(char *buf, size_t len);

#define log_err(...)   log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
