// SPDX-License-Identifier: GPL-2.0-or-later
// `hvdump list` and `hvdump show`: the crashes a dump directory holds, as coredumpctl lists
// core dumps.  Each crash directory's crash.json is read with the checks record_read() makes
// (the records are ours, but a directory may hold anything); one that cannot be read is
// named, with why, and makes the exit status 1, the others are still listed.
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "vm/crashdir.h"
#include "util/size.h"
#include "vm/config.h"
#include "vm/record.h"


static void list_usage(FILE *f)
{
	fprintf(f,
"Usage: hvdump list [--dump-dir DIR] [--vm NAME] [--since TIME] [--json]\n"
"List the crashes in DIR (one line each, oldest first): when, the VM, the crash number, what\n"
"detected it, its state, the dump's size, the kernel and the panic message.\n"
"\n"
"      --dump-dir DIR  where hvdump run put them (default $HVDUMP_DUMP_BASE, else\n"
"                      /var/crash/hvdump for root, ~/.local/share/hvdump/crash)\n"
"      --vm NAME       only this VM's crashes\n"
"      --since TIME    only crashes at or after TIME: an ISO 8601 UTC date or time\n"
"                      (2026-12-04, 2026-12-04T12:00) or an age (90s, 30m, 12h, 7d)\n"
"      --json          one JSON array of these fields, with each crash's \"dir\"\n"
"  -h, --help          this text\n"
"\n"
"Exit status: 0 listed (maybe none), 1 some crash directory holds a record that cannot be\n"
"read (named on stderr; the others are listed), 2 bad usage or DIR cannot be read.\n"
"See docs/hvdump-list.md.\n");
}

static void show_usage(FILE *f)
{
	fprintf(f,
"Usage: hvdump show [--dump-dir DIR] [--json] CRASH\n"
"Describe one crash: CRASH is its directory, its directory's name in DIR, or VM:N (the VM's\n"
"crash number N; the latest such record when several runs used the name).\n"
"\n"
"      --dump-dir DIR  as for hvdump list\n"
"      --json          the crash record itself\n"
"  -h, --help          this text\n"
"\n"
"Exit status: 0 shown, 1 its record cannot be read, 2 bad usage or no such crash.\n"
"See docs/hvdump-list.md.\n");
}

/* TIME as an ISO 8601 UTC prefix to compare records' times with: an age ("12h") becomes now
 * minus it.  0 or -EINVAL. */
static int since_prefix(const char *arg, char *out, size_t len)
{
	char *end;
	long long n = strtoll(arg, &end, 10);
	long long mult = 0;

	if (end != arg && n >= 0 && end[0] && !end[1])
		mult = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600
		     : end[0] == 'd' ? 86400 : 0;
	if (mult && n <= 100LL * 365 * 86400 / mult) {
		time_t t = time(NULL) - (time_t)(n * mult);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
		return 0;
	}
	/* YYYY-MM-DD, optionally THH, THH:MM, THH:MM:SS */
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t l = strlen(arg);

	if (l < 10 || l > sizeof(shape) - 1 || (l != 10 && l != 13 && l != 16 && l != 19))
		return -EINVAL;
	for (size_t i = 0; i < l; i++)
		if (shape[i] == 'd' ? (arg[i] < '0' || arg[i] > '9') : arg[i] != shape[i])
			return -EINVAL;
	snprintf(out, len, "%s", arg);
	return 0;
}

static const char *jstr(const json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));
	return s ? s : "";
}

static void print_line(const struct crash_entry *e)
{
	char size[32] = "-";

	if (e->dump_bytes >= 0)
		size_human((uint64_t)e->dump_bytes, size, sizeof(size));
	else if (json_is_true(json_object_get(json_object_get(e->r.json, "dump_target"),
					      "local_dropped")))
		snprintf(size, sizeof(size), "copied");
	printf("%-24.24s %-16s %3" PRIu64 "  %-9s %-17s %10s  %-24s %s\n", e->time, e->r.vm,
	       e->r.crash, jstr(e->r.json, "detected_by"), crash_state_name(e->r.state), size,
	       jstr(e->r.json, "kernel_release"), jstr(e->r.json, "panic"));
}

static json_t *entry_json(const struct crash_entry *e)
{
	json_t *j = json_object();
	static const char *const keys[] = { "time", "vm", "crash", "detected_by", "state",
					     "kernel_release", "panic", "dump_file", "dump_format" };

	json_t *v;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		v = json_object_get(e->r.json, keys[i]);
		json_object_set(j, keys[i], v ? v : json_null());
	}
	json_object_set_new(j, "dump_bytes", e->dump_bytes >= 0
						   ? json_integer((json_int_t)e->dump_bytes)
						   : json_null());
	json_object_set_new(j, "dir", json_string(e->dir));
	v = json_object_get(json_object_get(e->r.json, "dump_target"), "url");
	json_object_set(j, "dump_target", v ? v : json_null());
	return j;
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dump-dir", required_argument, NULL, 'D' }, { "vm", required_argument, NULL, 'V' },
		{ "since", required_argument, NULL, 'S' },    { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	const char *base = NULL, *vm = NULL;
	char since[32], *sincep = NULL;
	bool json = false;
	struct crash_entry *v;
	unsigned bad = 0;
	size_t n;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'D': base = optarg; break;
		case 'V': vm = optarg; break;
		case 'S':
			if (since_prefix(optarg, since, sizeof(since)) < 0) {
				fprintf(stderr, "hvdump: error: --since %s: not a date, a time "
					"(2026-12-04T12:00) or an age (30m, 12h, 7d)\n", optarg);
				return 2;
			}
			sincep = since;
			break;
		case 'j': json = true; break;
		case 'h': list_usage(stdout); return 0;
		default: list_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "hvdump: error: unexpected argument '%s' (see hvdump list --help)\n",
			argv[optind]);
		return 2;
	}
	if (!base)
		base = vm_default_dump_dir();
	r = crashdir_collect(base, vm, sincep, false, &v, &n, &bad);
	if (r < 0) {
		fprintf(stderr, "hvdump: error: %s: %s\n", base, strerror(-r));
		return 2;
	}
	if (json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, entry_json(&v[i]));
		char *s = json_dumps(a, JSON_INDENT(2));
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(a);
	} else if (n) {
		printf("%-24s %-16s %3s  %-9s %-17s %10s  %-24s %s\n", "TIME", "VM", "#",
		       "DETECTED", "STATE", "DUMP", "KERNEL", "PANIC");
		for (size_t i = 0; i < n; i++)
			print_line(&v[i]);
	} else {
		printf("no crashes in %s%s\n", base, vm || sincep ? " that match" : "");
	}
	crashdir_free(v, n);
	return bad ? 1 : 0;
}

/* Where the crash was copied off the host, or why its last copy failed. */
static void print_copy(const json_t *j)
{
	const json_t *dt = json_object_get(j, "dump_target");
	const json_t *err = json_object_get(j, "dump_target_error");

	if (json_is_object(dt))
		printf("copied to   %s (%s, %s%s)\n", jstr(dt, "url"), jstr(dt, "remote_dir"),
		       json_is_true(json_object_get(dt, "verified")) ? "checked" : "not checked",
		       json_is_true(json_object_get(dt, "local_dropped"))
			       ? "; the local dump was dropped" : "");
	if (json_is_object(err))
		printf("copy failed %s: %s (hvdump copy retries)\n", jstr(err, "url"),
		       jstr(err, "error"));
}

static void print_show(const struct crash_entry *e)
{
	const json_t *j = e->r.json;
	char size[32];

	printf("crash       %s crash %" PRIu64 " (%s)\n", e->r.vm, e->r.crash, e->dir);
	printf("time        %s\n", e->time);
	printf("detected by %s\n", jstr(j, "detected_by"));
	printf("kernel      %s\n", jstr(j, "kernel_release"));
	printf("panic       %s\n", jstr(j, "panic"));
	printf("state       %s\n", crash_state_name(e->r.state));
	if (e->r.dump_file)
		printf("dump        %s (%s, %s)\n", e->r.dump_file, jstr(j, "dump_format"),
		       e->dump_bytes >= 0 ? size_human((uint64_t)e->dump_bytes, size, sizeof(size))
		       : json_is_true(json_object_get(json_object_get(j, "dump_target"),
						      "local_dropped")) ? "dropped: copied"
		       : "missing");
	else if (crash_state_unsaved(e->r.state))
		printf("dump        not saved yet; memory kept in %s\n", e->r.ram_file);
	print_copy(j);
	if (json_object_get(j, "capture_error"))
		printf("capture     failed: %s\n", jstr(j, "capture_error"));
	printf("record      %s/crash.json\n", e->dir);
	if (e->r.dump_file && e->dump_bytes >= 0)
		printf("next        hvdump info %s; hvdump dmesg %s\n", e->r.dump_file,
		       e->r.dump_file);
}

int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dump-dir", required_argument, NULL, 'D' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	const char *base = NULL;
	bool json = false;
	struct crash_entry e;
	char why[512] = "";
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'D': base = optarg; break;
		case 'j': json = true; break;
		case 'h': show_usage(stdout); return 0;
		default: show_usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "hvdump: error: show takes one CRASH (see hvdump show --help)\n");
		return 2;
	}
	if (!base)
		base = vm_default_dump_dir();
	r = crashdir_find(base, argv[optind], &e, why, sizeof(why));
	if (r == -ENOENT) {
		fprintf(stderr, "hvdump: error: %s: no such crash in %s (a crash directory, its "
			"name, or VM:N)\n", argv[optind], base);
		return 2;
	}
	if (r < 0) {
		fprintf(stderr, "hvdump: error: %s: cannot read its crash record: %s\n",
			argv[optind], why[0] ? why : strerror(-r));
		return 1;
	}
	if (json) {
		char *s = json_dumps(e.r.json, JSON_INDENT(2));
		if (s)
			printf("%s\n", s);
		free(s);
	} else {
		print_show(&e);
	}
	record_free(&e.r);
	return 0;
}
