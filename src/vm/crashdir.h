/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The crash directories of a dump directory, read for `hvdump list`, `show`, `vacuum` and the
 * vacuum after each save. */
#ifndef HVDUMP_VM_CRASHDIR_H
#define HVDUMP_VM_CRASHDIR_H

#include <stdbool.h>
#include <stddef.h>

#include "vm/record.h"

#define CRASHDIR_MAX 100000u   /* entries of a dump directory looked at, at most */

struct crash_entry {
	char dir[4200];
	char name[256];
	struct crash_record r;
	const char *time;        /* "2026-12-04T12:44:09.632Z", or "" */
	long long dump_bytes;    /* -1: no dump file (yet) */
};

/* The crash directories of BASE (those with a crash.json) whose VM is VM (NULL: any) and
 * whose time is at or after SINCE (an ISO 8601 prefix; NULL: any), oldest first, into *OUT
 * (*N of them; crashdir_free()).  Records that cannot be read are counted in *BAD and said on
 * stderr unless QUIET.  0 or -errno (BASE cannot be read). */
int crashdir_collect(const char *base, const char *vm, const char *since, bool quiet,
		     struct crash_entry **out, size_t *n, unsigned *bad);

void crashdir_free(struct crash_entry *v, size_t n);

/* Read BASE/NAME's record into E (record_free(&E->r) after 0).  0 (a record), 1 (no
 * crash.json: not a crash directory), or -errno with WHY. */
int crashdir_read(const char *base, const char *name, struct crash_entry *e, char *why,
		  size_t whylen);

/* CRASH as `hvdump show` takes it: a crash directory's path (anything with a '/'), a
 * directory's name in BASE, or VM:N (VM's crash number N; the latest such record when
 * several runs used the name).  0 with OUT read (record_free(&OUT->r)), -ENOENT: no such
 * crash, or -errno with WHY: its record cannot be read. */
int crashdir_find(const char *base, const char *crash, struct crash_entry *out, char *why,
		  size_t whylen);

#endif
