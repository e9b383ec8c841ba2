// SPDX-License-Identifier: GPL-2.0-or-later
// logind's settings that decide whether a user's run directory survives logout: RemoveIPC=
// read the way logind reads it (main file, then drop-ins by name), and lingering.
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/logind.h"

/* in the order logind prefers them: a name here hides the same name further down */
static const char *const dropin_dirs[] = {
	"/etc/systemd/logind.conf.d",
	"/run/systemd/logind.conf.d",
	"/usr/local/lib/systemd/logind.conf.d",
	"/usr/lib/systemd/logind.conf.d",
};

struct dropin {
	char name[NAME_MAX + 1];
	unsigned dir;
};

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t' || **s == '\r')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
		(*n)--;
}

static bool word_is(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && !strncasecmp(s, w, n);
}

/* systemd's parse_boolean(): 1, 0, or -1 for anything else */
static int parse_bool(const char *s, size_t n)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (word_is(s, n, yes[i]))
			return 1;
		if (word_is(s, n, no[i]))
			return 0;
	}
	return -1;
}

int logind_conf_remove_ipc(const char *text, size_t len, int cur)
{
	bool login = false;
	size_t i = 0;

	while (i < len) {
		const char *line = text + i, *nl = memchr(line, '\n', len - i), *eq, *val;
		size_t n = nl ? (size_t)(nl - line) : len - i, kn, vn;
		int b;

		i += n + 1;
		trim(&line, &n);
		if (!n || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			login = n == 7 && !memcmp(line, "[Login]", 7);
			continue;
		}
		eq = memchr(line, '=', n);
		if (!login || !eq)
			continue;
		kn = (size_t)(eq - line);
		val = eq + 1;
		vn = n - kn - 1;
		trim(&line, &kn);
		trim(&val, &vn);
		if (kn == 9 && !memcmp(line, "RemoveIPC", 9) && (b = parse_bool(val, vn)) >= 0)
			cur = b;
	}
	return cur;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct dropin *)a)->name, ((const struct dropin *)b)->name);
}

static bool listed(const struct dropin *d, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(d[i].name, name))
			return true;
	return false;
}

/* The drop-ins logind applies, in the order it applies them; at most MAX. */
static size_t list_dropins(const char *root, struct dropin *d, size_t max)
{
	size_t n = 0;

	for (unsigned k = 0; k < sizeof(dropin_dirs) / sizeof(dropin_dirs[0]); k++) {
		char path[PATH_MAX];
		struct dirent *e;
		DIR *dir;

		if (snprintf(path, sizeof(path), "%s%s", root, dropin_dirs[k]) >= (int)sizeof(path))
			continue;
		dir = opendir(path);
		if (!dir)
			continue;
		while ((e = readdir(dir)) && n < max) {
			size_t len = strlen(e->d_name);
			if (e->d_name[0] == '.' || len < 6 || len > NAME_MAX ||
			    strcmp(e->d_name + len - 5, ".conf") || listed(d, n, e->d_name))
				continue;
			memcpy(d[n].name, e->d_name, len + 1);
			d[n++].dir = k;
		}
		closedir(dir);
	}
	qsort(d, n, sizeof(*d), by_name);
	return n;
}

/* CUR after the file ROOT/PATH; a file that is missing, unreadable or too big changes nothing */
static int apply_file(const char *root, const char *path, int cur)
{
	char full[PATH_MAX], *text = NULL;
	size_t len = 0;

	if (snprintf(full, sizeof(full), "%s%s", root, path) >= (int)sizeof(full) ||
	    read_file(full, LOGIND_CONF_MAX, &text, &len) < 0)
		return cur;
	cur = logind_conf_remove_ipc(text, len, cur);
	free(text);
	return cur;
}

int logind_remove_ipc(const char *root)
{
	static struct dropin d[LOGIND_DROPINS_MAX]; /* 16 KiB: not on the stack */
	size_t n = list_dropins(root, d, LOGIND_DROPINS_MAX);
	int cur = apply_file(root, "/etc/systemd/logind.conf", 1);

	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", dropin_dirs[d[i].dir], d[i].name);
		cur = apply_file(root, path, cur);
	}
	return cur;
}

bool logind_user_lingers(const char *root, const char *user)
{
	char path[PATH_MAX];

	if (!*user || strchr(user, '/') || !strcmp(user, ".") || !strcmp(user, ".."))
		return false;
	if (snprintf(path, sizeof(path), "%s/var/lib/systemd/linger/%s", root, user) >=
	    (int)sizeof(path))
		return false;
	return access(path, F_OK) == 0;
}

static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

enum logind_risk logind_logout_risk(const char *root, const char *path, uid_t uid,
				    const char *user)
{
	if (uid <= LOGIND_SYSTEM_UID_MAX || logind_user_lingers(root, user))
		return LOGIND_SAFE;
	if (path_under(path, "/dev/shm"))
		return logind_remove_ipc(root) ? LOGIND_REMOVE_IPC : LOGIND_SAFE;
	if (path_under(path, "/run/user"))
		return LOGIND_RUNTIME;
	return LOGIND_SAFE;
}
