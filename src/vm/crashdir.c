// SPDX-License-Identifier: GPL-2.0-or-later
// The crash directories of a dump directory, read for `hvdump list`, `show`, `vacuum`,
// `copy` and the vacuum after each save: each crash.json read with the checks record_read()
// makes (the records are ours, but a directory may hold anything).
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vm/crashdir.h"

static int by_time(const void *a, const void *b)
{
	const struct crash_entry *x = a, *y = b;
	int c = strcmp(x->time, y->time);

	return c ? c : strcmp(x->name, y->name);
}

int crashdir_read(const char *base, const char *name, struct crash_entry *e, char *why,
		  size_t whylen)
{
	struct stat st;
	int r;

	memset(e, 0, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "%s/%s", base, name);
	snprintf(e->name, sizeof(e->name), "%s", name);
	r = record_read(e->dir, &e->r, why, whylen);
	if (r == -ENOENT) {
		record_free(&e->r);
		return 1;
	}
	if (r < 0) {
		record_free(&e->r);
		return r;
	}
	e->time = json_string_value(json_object_get(e->r.json, "time"));
	if (!e->time)
		e->time = "";
	e->dump_bytes = -1;
	if (e->r.dump_file && stat(e->r.dump_file, &st) == 0)
		e->dump_bytes = (long long)st.st_size;
	return 0;
}

int crashdir_collect(const char *base, const char *vm, const char *since, bool quiet,
		   struct crash_entry **out, size_t *n, unsigned *bad)
{
	DIR *d = opendir(base);
	struct dirent *de;
	struct crash_entry *v = NULL;
	size_t cap = 0, seen = 0;
	char why[512];

	*out = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d)) && seen++ < CRASHDIR_MAX) {
		if (de->d_name[0] == '.')
			continue;
		if (*n == cap) {
			struct crash_entry *m = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));
			if (!m)
				break;
			v = m;
		}
		int r = crashdir_read(base, de->d_name, &v[*n], why, sizeof(why));
		if (r == 1)
			continue;
		if (r < 0) {
			if (!quiet)
				fprintf(stderr, "hvdump: %s/%s: cannot read its crash record: %s\n",
					base, de->d_name, why);
			(*bad)++;
			continue;
		}
		if ((vm && strcmp(v[*n].r.vm, vm) != 0) ||
		    (since && strcmp(v[*n].time, since) < 0)) {
			record_free(&v[*n].r);
			continue;
		}
		(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), by_time);
	*out = v;
	return 0;
}

void crashdir_free(struct crash_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		record_free(&v[i].r);
	free(v);
}

int crashdir_find(const char *base, const char *crash, struct crash_entry *out, char *why,
		  size_t whylen)
{
	const char *colon = strrchr(crash, ':');
	struct crash_entry *v;
	unsigned bad = 0;
	size_t n;
	int r;

	if (strchr(crash, '/')) {
		char *slash = strrchr(crash, '/'), dir[4096];
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - crash), crash);
		r = crashdir_read(slash == crash ? "/" : dir, slash + 1, out, why, whylen);
		return r == 1 ? -ENOENT : r;
	}
	if (!colon) {
		r = crashdir_read(base, crash, out, why, whylen);
		return r == 1 ? -ENOENT : r;
	}
	char vm[256], *end;
	unsigned long long num = strtoull(colon + 1, &end, 10);

	snprintf(vm, sizeof(vm), "%.*s", (int)(colon - crash), crash);
	if (end == colon + 1 || *end)
		return -ENOENT;
	r = crashdir_collect(base, vm, NULL, true, &v, &n, &bad);
	if (r < 0)
		return r;
	r = -ENOENT;
	for (size_t i = n; i-- > 0;)
		if (v[i].r.crash == num) {
			r = crashdir_read(base, v[i].name, out, why, whylen);
			break;
		}
	crashdir_free(v, n);
	return r;
}

