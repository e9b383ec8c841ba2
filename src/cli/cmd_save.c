// SPDX-License-Identifier: GPL-2.0-or-later
// `hvdump save`: ask a running `hvdump run` about its dumps, resume a failed save, or drop it.
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/ctlclient.h"
#include "cli/save_offline.h"
#include "format/kdump.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/size.h"
#include "dump/saver.h"
#include "vm/config.h"
#include "vm/rundir.h"

static void save_usage(FILE *f)
{
	fprintf(f,
"Usage: hvdump save [--name NAME | --run-dir DIR] [--status | --resume | --discard]\n"
"       hvdump save --from CRASH-DIR [--save-format kdump|elf] [--compress ALG]\n"
"                   [--dump-level N] [--threads N] [--min-free SIZE]\n"
"Talk to the running `hvdump run` of a VM about its crash dumps, or write the dump of a\n"
"crash whose hvdump has stopped from the memory it kept.\n"
"\n"
"  -n, --name NAME    the VM (default hvdump); its run directory is found as hvdump run does\n"
"      --run-dir DIR  the VM's run directory\n"
"      --status       print what is preserved, saved, released and returned (default)\n"
"      --resume       start or continue saving the unsaved dumps (after fixing a failure,\n"
"                     e.g. freeing disk space); what was already saved is kept\n"
"      --discard      drop the unsaved dumps: their memory is freed and given back\n"
"\n"
"      --from CRASH-DIR  without a running hvdump: write CRASH-DIR/vmcore.kdump (or .elf)\n"
"                     from the memory its crash record names (RUN-DIR/crash-N.ram and\n"
"                     DIMM files, kept when hvdump stopped with unsaved crashes), in the\n"
"                     foreground; continues a partial vmcore.*.part; marks the record\n"
"                     saved.  The kept memory is only read (remove it yourself once every\n"
"                     crash in it is saved).  Refused while an hvdump still runs the VM\n"
"      --save-format FMT  kdump (default; or that of a partial dump) or elf\n"
"      --compress ALG     kdump page compression: zstd (default), lzo, zlib, none\n"
"      --dump-level N     leave pages out by type, makedumpfile's -d bits (kdump only)\n"
"      --threads N        compression threads (default: one per CPU)\n"
"      --min-free SIZE    keep this much free on the dump's file system (default 1%% of\n"
"                         it, 64M to 2G): a dump that does not fit above it is saved at\n"
"                         --dump-level 31 (kdump) or not at all, and the save stops\n"
"                         before it would eat into it\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 done, 1 the VM refused, or --from refused or failed (the reason is\n"
"printed), 2 bad usage, no VM, or an unusable CRASH-DIR or record.\n");
}

/* Send CMD to the running hvdump of NAME (or of RUN_DIR) and print its reply.  An exit code. */
static int ask_running(const char *name, const char *run_dir, const char *cmd)
{
	struct ctl_target t = { .name = name, .run_dir = run_dir };
	json_t *reply;
	char *text;
	int r = ctl_request(&t, cmd, 30000, &reply), ok;

	if (r)
		return r;
	ok = json_is_true(json_object_get(reply, "ok"));
	if (!ok) {
		log_err("%s", ctl_error(reply));
	} else {
		text = json_dumps(reply, JSON_INDENT(2));
		if (text)
			printf("%s\n", text);
		free(text);
	}
	json_decref(reply);
	return ok ? 0 : 1;
}

int cmd_save(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "status", no_argument, NULL, 's' },
		{ "resume", no_argument, NULL, 'R' },
		{ "discard", no_argument, NULL, 'D' },
		{ "from", required_argument, NULL, 'F' },
		{ "save-format", required_argument, NULL, 'f' },
		{ "compress", required_argument, NULL, 'c' },
		{ "dump-level", required_argument, NULL, 'd' },
		{ "threads", required_argument, NULL, 't' },
		{ "min-free", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = "hvdump", *run_dir = NULL, *cmd = "status", *from = NULL;
	struct save_offline_opts so = { .format = -1 };
	bool online_opt = false, offline_opt = false;
	uint64_t v;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			name = optarg;
			online_opt = true;
			break;
		case 'r':
			run_dir = optarg;
			online_opt = true;
			break;
		case 's':
			cmd = "status";
			online_opt = true;
			break;
		case 'R':
			cmd = "save-resume";
			online_opt = true;
			break;
		case 'D':
			cmd = "save-discard";
			online_opt = true;
			break;
		case 'F':
			from = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "elf") && strcmp(optarg, "kdump")) {
				log_err("--save-format '%s': use kdump or elf", optarg);
				return 2;
			}
			so.format = strcmp(optarg, "elf") ? SAVE_KDUMP : SAVE_ELF;
			offline_opt = true;
			break;
		case 'c':
			if (kdump_compression_parse(optarg, &so.compress) < 0) {
				log_err("--compress '%s': use zstd, lzo, zlib or none", optarg);
				return 2;
			}
			so.compress_set = true;
			offline_opt = true;
			break;
		case 'd':
			if (uint_parse(optarg, 0, 31, &v) < 0) {
				log_err("--dump-level '%s': 0 to 31 (makedumpfile's -d bits)", optarg);
				return 2;
			}
			so.dump_level = (unsigned)v;
			offline_opt = true;
			break;
		case 't':
			if (uint_parse(optarg, 1, 64, &v) < 0) {
				log_err("--threads '%s': 1 to 64", optarg);
				return 2;
			}
			so.threads = (unsigned)v;
			offline_opt = true;
			break;
		case 'm':
			if (size_parse(optarg, 1, &so.min_free) < 0 || !so.min_free) {
				log_err("--min-free '%s': a size such as 512M or 2G", optarg);
				return 2;
			}
			offline_opt = true;
			break;
		case 'h':
			save_usage(stdout);
			return 0;
		default:
			log_err("unknown option or missing value (see hvdump save --help)");
			return 2;
		}
	}
	if (optind < argc || !vm_name_valid(name)) {
		log_err("unexpected argument or bad --name (see hvdump save --help)");
		return 2;
	}
	if (from && online_opt) {
		log_err("--from works without a running hvdump; --name, --run-dir, --status, "
			"--resume and --discard are for one that runs");
		return 2;
	}
	if (!from && offline_opt) {
		log_err("--save-format, --compress, --dump-level, --threads and --min-free go with "
			"--from (a running hvdump saves as its `hvdump run` options say)");
		return 2;
	}
	if (from) {
		if (so.dump_level && so.format == SAVE_ELF) {
			log_err("--dump-level leaves pages out of kdump files only");
			return 2;
		}
		return save_offline(from, &so);
	}
	return ask_running(name, run_dir, cmd);
}
