// SPDX-License-Identifier: GPL-2.0-or-later
// `hvdump copy`: copy a saved crash off the host over ssh (vm/offhost_copy.h), by hand or
// again after `hvdump run --dump-target` failed to (the URL is then taken from the record).
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "vm/crashdir.h"
#include "util/size.h"
#include "vm/config.h"
#include "vm/offhost_copy.h"

static void copy_usage(FILE *f)
{
	fprintf(f,
"Usage: hvdump copy [--to URL] [--identity FILE] [--ssh-option OPT]... [--timeout SECONDS]\n"
"                   [--drop-local] [--dump-dir DIR] CRASH\n"
"Copy a saved crash off the host with ssh, as kdump's SSH= target does: its dump file,\n"
"dmesg.txt and crash.json go to PATH/NAME on the host of URL (NAME: the crash directory's\n"
"name), each checked (SHA-256) before any is renamed into place; the record then says\n"
"where the copy is (\"dump_target\").  The remote side needs a POSIX shell and coreutils.\n"
"\n"
"  CRASH               a crash directory, its name in DIR, or VM:N (as hvdump show)\n"
"      --to URL        ssh://[USER@]HOST[:PORT]/PATH (/~/DIR: under the remote home);\n"
"                      default: the URL of the crash's last copy or failed copy\n"
"      --identity FILE the private key ssh uses (with IdentitiesOnly=yes)\n"
"      --ssh-option OPT  one ssh -o option, NAME=VALUE (UserKnownHostsFile=FILE, ...);\n"
"                      repeatable.  ssh runs with BatchMode=yes: it never asks, so the\n"
"                      host's key must be known already and the key need no passphrase\n"
"      --timeout SECONDS  connect timeout, and the longest ssh may go without progress\n"
"                      (default %d)\n"
"      --drop-local    once every file is copied and checked, remove the local dump\n"
"                      (dmesg.txt and crash.json stay; the record keeps the URL)\n"
"      --dump-dir DIR  as for hvdump list\n"
"  -h, --help          this text\n"
"\n"
"Environment: HVDUMP_SSH, the ssh client to run (default ssh from PATH).\n"
"Exit status: 0 copied and checked (and dropped, with --drop-local), 1 the copy failed (the\n"
"reason is on stderr and in the record as dump_target_error; the local dump is untouched),\n"
"2 bad usage, no such crash, or a crash that cannot be copied (not saved, no dump).\n"
"See docs/hvdump-copy.md.\n", OFFHOST_TIMEOUT_S);
}

/* The URL of E's last copy, or of its last failed one. */
static const char *recorded_url(const struct crash_entry *e)
{
	const char *u = json_string_value(
		json_object_get(json_object_get(e->r.json, "dump_target_error"), "url"));

	return u ? u : json_string_value(
			       json_object_get(json_object_get(e->r.json, "dump_target"), "url"));
}

/* Parse the options into O, *URL, *BASE, *DROP.  -1 to go on, else the exit status. */
static int copy_options(int argc, char **argv, struct offhost_opts *o, const char **url,
			const char **base, bool *drop)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "identity", required_argument, NULL, 'i' },
		{ "ssh-option", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "drop-local", no_argument, NULL, 'L' },
		{ "dump-dir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char why[256];
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': *url = optarg; break;
		case 'i': o->identity = optarg; break;
		case 'o':
			if (offhost_option_check(optarg, why, sizeof(why)) < 0 ||
			    o->noptions == OFFHOST_MAX_OPTIONS) {
				fprintf(stderr, "hvdump: error: --ssh-option %s\n",
					o->noptions == OFFHOST_MAX_OPTIONS ? "given too often" : why);
				return 2;
			}
			o->options[o->noptions++] = optarg;
			break;
		case 'T':
			if (uint_parse(optarg, 1, 86400, &v) < 0) {
				fprintf(stderr, "hvdump: error: --timeout %s: seconds, 1 to 86400\n",
					optarg);
				return 2;
			}
			o->timeout_s = (unsigned)v;
			break;
		case 'L': *drop = true; break;
		case 'D': *base = optarg; break;
		case 'h': copy_usage(stdout); return 0;
		default: copy_usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "hvdump: error: copy takes one CRASH (see hvdump copy --help)\n");
		return 2;
	}
	return -1;
}

int cmd_copy(int argc, char **argv)
{
	struct offhost_opts o = { 0 };
	const char *url = NULL, *base = NULL;
	struct dump_target t;
	struct crash_entry e;
	bool drop = false;
	char why[1024] = "";
	int r;

	r = copy_options(argc, argv, &o, &url, &base, &drop);
	if (r >= 0)
		return r;
	if (!base)
		base = vm_default_dump_dir();
	r = crashdir_find(base, argv[optind], &e, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, "hvdump: error: %s: %s\n", argv[optind],
			r == -ENOENT ? "no such crash (a crash directory, its name in the dump "
				       "directory, or VM:N)"
			: why[0] ? why : strerror(-r));
		return 2;
	}
	if (!url)
		url = recorded_url(&e);
	if (!url) {
		fprintf(stderr, "hvdump: error: %s was never copied: say where with --to URL\n",
			e.dir);
		record_free(&e.r);
		return 2;
	}
	r = dump_target_parse(url, &t, why, sizeof(why));
	if (r < 0) {
		fprintf(stderr, "hvdump: error: %s: %s\n", url, why);
		record_free(&e.r);
		return 2;
	}
	r = offhost_copy(e.dir, &t, &o, drop, why, sizeof(why));
	record_free(&e.r);
	if (r == -EINVAL) {
		fprintf(stderr, "hvdump: error: %s\n", why);
		return 2;
	}
	return r < 0 ? 1 : 0; /* offhost_copy() logged why */
}
