// SPDX-License-Identifier: GPL-2.0-or-later
// `hvdump run`'s options for the host's tools (cli/run_report.h).
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/run_report.h"
#include "dump/offhost.h"
#include "util/log.h"
#include "util/size.h"

void run_report_usage(FILE *f)
{
	fprintf(f,
"The host's tools (docs/service.md):\n"
"      --on-saved CMD       shell command run after each saved dump, in the background\n"
"                           (env HVDUMP_EVENT, HVDUMP_RECORD, HVDUMP_CRASH_DIR, HVDUMP_VM,\n"
"                           HVDUMP_DUMP_FILE, HVDUMP_STATE); after the off-host copy\n"
"      --on-save-failed CMD the same after a save failed (the crash stays preserved)\n"
"      --hook-timeout S     a hook still running after S seconds is stopped (default %u)\n"
"      --metrics-file FILE  keep FILE a node-exporter textfile (crash and save counters,\n"
"                           save seconds, bytes preserved), rewritten whole on each change\n"
"      --no-journal         no journal entries (default: one per crash and per save\n"
"                           outcome, MESSAGE_ID and HVDUMP_* fields, when journald runs)\n"
"      --vacuum-keep N      after each save, vacuum the dump directory with hvdump\n"
"      --vacuum-max-use SIZE  vacuum's limits of the same names (never removing a crash\n"
"      --vacuum-keep-free SIZE  whose memory is unsaved)\n"
"      --dump-target ssh://[USER@]HOST[:PORT]/PATH  copy each saved dump, its dmesg.txt and\n"
"                           record there once the local copy is durable, and check the copy\n"
"      --dump-target-identity FILE  ssh's identity file for the copy\n"
"      --dump-target-ssh-option OPT  an ssh -o option for the copy, repeatable\n"
"      --dump-target-drop-local  remove the local dump once its copy is verified\n"
"\n", VM_HOOK_TIMEOUT_DEFAULT);
}

static int parse_limit(int opt, const char *arg, struct vacuum_limits *l)
{
	uint64_t v;

	if (opt == OPT_VACUUM_KEEP) {
		if (uint_parse(arg, 0, 1000000, &v) < 0) {
			log_err("--vacuum-keep '%s': a whole number from 0 to 1000000", arg);
			return -EINVAL;
		}
		l->keep = (long long)v;
		return 0;
	}
	if (size_parse(arg, 1, &v) < 0) {
		log_err("--%s '%s': not a size (e.g. 20G)",
			opt == OPT_VACUUM_MAX_USE ? "vacuum-max-use" : "vacuum-keep-free", arg);
		return -EINVAL;
	}
	if (opt == OPT_VACUUM_MAX_USE) {
		l->max_use = v;
		l->has_max_use = true;
	} else {
		l->keep_free = v;
		l->has_keep_free = true;
	}
	return 0;
}

int parse_report_opt(int opt, const char *arg, struct vm_config *c)
{
	struct vm_report *r = &c->report;
	struct dump_target t;
	char why[256];
	uint64_t v;

	switch (opt) {
	case OPT_ON_SAVED:
		r->on_saved = arg;
		return 0;
	case OPT_ON_SAVE_FAILED:
		r->on_save_failed = arg;
		return 0;
	case OPT_HOOK_TIMEOUT:
		if (uint_parse(arg, 1, 86400, &v) < 0) {
			log_err("--hook-timeout '%s': seconds from 1 to 86400", arg);
			return -EINVAL;
		}
		r->hook_timeout_s = (unsigned)v;
		return 0;
	case OPT_METRICS_FILE:
		r->metrics_file = arg;
		return 0;
	case OPT_NO_JOURNAL:
		r->journal = false;
		return 0;
	case OPT_VACUUM_KEEP:
	case OPT_VACUUM_MAX_USE:
	case OPT_VACUUM_KEEP_FREE:
		return parse_limit(opt, arg, &r->vacuum);
	case OPT_DUMP_TARGET:
		if (dump_target_parse(arg, &t, why, sizeof(why)) < 0) {
			log_err("--dump-target '%s': %s", arg, why);
			return -EINVAL;
		}
		r->dump_target = arg;
		return 0;
	case OPT_DUMP_TARGET_IDENTITY:
		r->dump_target_identity = arg;
		return 0;
	case OPT_DUMP_TARGET_SSH_OPTION:
		if (r->ndump_target_opts == VM_MAX_TARGET_OPTS) {
			log_err("--dump-target-ssh-option: at most %d", VM_MAX_TARGET_OPTS);
			return -EINVAL;
		}
		if (offhost_option_check(arg, why, sizeof(why)) < 0) {
			log_err("--dump-target-ssh-option '%s': %s", arg, why);
			return -EINVAL;
		}
		r->dump_target_opts[r->ndump_target_opts++] = arg;
		return 0;
	case OPT_DUMP_TARGET_DROP_LOCAL:
		r->dump_target_drop_local = true;
		return 0;
	default:
		return 1;
	}
}
