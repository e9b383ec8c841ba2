// SPDX-License-Identifier: GPL-2.0-or-later
// Retention of a dump directory (vm/vacuum.h): the oldest saved crashes go first, never one
// whose memory is preserved, unsaved or being saved.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util/log.h"
#include "util/size.h"
#include "vm/crashdir.h"
#include "vm/vacuum.h"

bool vacuum_limited(const struct vacuum_limits *l)
{
	return l->keep >= 0 || l->has_max_use || l->has_keep_free;
}

/* One line of what vacuum did: to the log, or (the command) errors and warnings to stderr,
 * the rest to stdout. */
__attribute__((format(printf, 3, 4)))
static void say(const struct vacuum_limits *l, enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (l->to_log) {
		log_vmsg(level, fmt, ap);
	} else if (level <= LOG_WARN) {
		fprintf(stderr, "hvdump: %s", level == LOG_ERROR ? "error: " : "");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vfprintf(stdout, fmt, ap);
		fputc('\n', stdout);
	}
	va_end(ap);
}

/* Bytes the regular files of DIR take on disk (st_blocks). */
static uint64_t dir_bytes(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint64_t sum = 0;
	struct stat st;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_blocks * 512;
	closedir(d);
	return sum;
}

/* Remove crash directory DIR: its regular files and symbolic links (never followed), then
 * itself.  0, or -errno (a subdirectory, or a file that cannot be removed, keeps it) with
 * WHY.  The record goes last, so a removal cut short leaves a record naming what is left. */
static int remove_crash(const char *dir, char *why, size_t whylen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	int r = 0;

	if (!d) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -errno;
	}
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    !strcmp(de->d_name, "crash.json"))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    S_ISDIR(st.st_mode)) {
			r = -ENOTEMPTY;
			snprintf(why, whylen, "%s is a directory or unreadable: left alone", de->d_name);
		} else if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
			r = -errno;
			snprintf(why, whylen, "%s: %s", de->d_name, strerror(errno));
		}
	}
	if (r == 0 && unlinkat(dirfd(d), "crash.json", 0) < 0 && errno != ENOENT) {
		r = -errno;
		snprintf(why, whylen, "crash.json: %s", strerror(errno));
	}
	closedir(d);
	if (r == 0 && rmdir(dir) < 0) {
		r = -errno;
		snprintf(why, whylen, "%s", strerror(errno));
	}
	return r;
}

static uint64_t free_bytes(const char *dir)
{
	struct statvfs sv;

	return statvfs(dir, &sv) == 0 ? (uint64_t)sv.f_bavail * sv.f_frsize : 0;
}

/* Do the limits hold with SAVED saved crashes, USE bytes, FREE bytes free? */
static bool within(const struct vacuum_limits *l, size_t saved, uint64_t use, uint64_t freeb)
{
	return (l->keep < 0 || (long long)saved <= l->keep) && (!l->has_max_use || use <= l->max_use) &&
	       (!l->has_keep_free || freeb >= l->keep_free);
}

int vacuum_run(const char *base, const struct vacuum_limits *l, const char *spare)
{
	struct crash_entry *v;
	uint64_t use = 0, freeb, *sizes;
	size_t n, saved = 0, removed = 0;
	unsigned bad = 0;
	char why[512], a[32];
	int r = crashdir_collect(base, NULL, NULL, false, &v, &n, &bad), rc = 0;

	if (r < 0) {
		say(l, LOG_ERROR, "%s: %s", base, strerror(-r));
		return 2;
	}
	sizes = calloc(n ? n : 1, sizeof(*sizes));
	if (!sizes) {
		crashdir_free(v, n);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		sizes[i] = dir_bytes(v[i].dir);
		use += sizes[i];
		saved += crash_state_final(v[i].r.state);
	}
	freeb = free_bytes(base);
	for (size_t i = 0; i < n && !within(l, saved, use, freeb); i++) {
		if (!crash_state_final(v[i].r.state) || (spare && !strcmp(v[i].dir, spare)))
			continue; /* its memory is the only copy of the evidence */
		if (l->dry_run) {
			say(l, LOG_INFO, "would remove %s (%s crash %llu, %s, %s)", v[i].dir, v[i].r.vm,
			       (unsigned long long)v[i].r.crash, crash_state_name(v[i].r.state),
			       size_human(sizes[i], a, sizeof(a)));
		} else if ((r = remove_crash(v[i].dir, why, sizeof(why))) < 0) {
			say(l, LOG_WARN, "%s: cannot remove: %s", v[i].dir, why);
			rc = 1;
			continue;
		} else {
			say(l, LOG_INFO, "removed %s (%s crash %llu, %s)", v[i].dir, v[i].r.vm,
			       (unsigned long long)v[i].r.crash, size_human(sizes[i], a, sizeof(a)));
		}
		removed++;
		saved--;
		use -= sizes[i];
		freeb += sizes[i];
	}
	if (!within(l, saved, use, freeb)) {
		say(l, LOG_WARN, "%s: the limits do not hold: what is left is preserved or unsaved "
		    "crash memory (never removed) or could not be removed", base);
		rc = 1;
	}
	say(l, LOG_INFO, "%s %zu crash(es); %zu saved and %zu others left, %s in crash directories",
	       l->dry_run ? "would remove" : "removed", removed, saved, n - removed - saved,
	       size_human(use, a, sizeof(a)));
	free(sizes);
	crashdir_free(v, n);
	return rc ? rc : bad ? 1 : 0;
}
