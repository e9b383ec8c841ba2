// SPDX-License-Identifier: GPL-2.0-or-later
// `hvdump dump` and `hvdump nmi`: the operator's ways into the crash path of a guest that has
// not panicked (hung, or wanted for inspection).  Both talk to the VM's running `hvdump run`.
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/ctlclient.h"
#include "util/clock.h"
#include "util/log.h"

#define DUMP_REPLY_TIMEOUT_MS 60000 /* the dump's first steps: stop, notes, record */
#define NMI_POLL_MS 250

static void dump_usage(FILE *f)
{
	fprintf(f,
"Usage: hvdump dump [--yes] [NAME | RUN-DIR]\n"
"Dump a running guest now, as if its kernel had panicked: the VM is stopped, every vCPU's\n"
"state taken from QEMU (so it works on a guest whose every vCPU is stuck), and the guest\n"
"comes back through the capture boot with its memory as /proc/vmcore, saved and given back\n"
"as for a panic.  The crash record says \"detected_by\": \"operator\".\n"
"\n"
"  NAME | RUN-DIR  the VM (default hvdump), or its run directory (a path with a '/')\n"
"  -y, --yes       do not ask: the guest restarts (asked on a terminal; refused without\n"
"                  one unless --yes)\n"
"  -h, --help      this text\n"
"\n"
"Exit status: 0 the guest was stopped and its dump is under way (the crash directory is\n"
"printed), 1 the VM refused (e.g. it has crashed already) or not confirmed, 2 bad usage or\n"
"no running hvdump for the VM.  See docs/hvdump-dump.md.\n");
}

static void nmi_usage(FILE *f)
{
	fprintf(f,
"Usage: hvdump nmi [--no-wait] [NAME | RUN-DIR]\n"
"Inject an NMI into a running guest (QMP inject-nmi; QEMU delivers it to the first vCPU).\n"
"A kernel booted with unknown_nmi_panic=1 (or panic_on_unrecovered_nmi=1) panics, and the\n"
"crash is dumped through pvpanic as usual; one that does not is reported as such and runs\n"
"on.\n"
"\n"
"  NAME | RUN-DIR  the VM (default hvdump), or its run directory (a path with a '/')\n"
"      --no-wait   inject and return; do not wait to see whether the guest panics\n"
"  -h, --help      this text\n"
"\n"
"Exit status: 0 the guest panicked on the NMI (or --no-wait: the NMI went in), 1 it did not\n"
"panic within 10 s, or the VM refused, 2 bad usage or no running hvdump for the VM.\n"
"See docs/hvdump-dump.md.\n");
}

/* The one optional operand of both commands. */
static int target_arg(int argc, char **argv, struct ctl_target *t)
{
	if (optind + 1 < argc) {
		log_err("one VM name or run directory, please");
		return 2;
	}
	if (optind < argc && ctl_target_parse(argv[optind], t) < 0)
		return 2;
	return 0;
}

static const char *target_text(const struct ctl_target *t)
{
	return t->run_dir ? t->run_dir : t->name ? t->name : "hvdump";
}

/* Ask on the terminal.  True if the operator said yes. */
static bool confirm(const struct ctl_target *t)
{
	char line[64];

	fprintf(stderr, "Dump guest '%s' now?  It is stopped, its memory kept as the dump, and it "
			"restarts through a capture boot. [y/N] ", target_text(t));
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return !strcmp(line, "y\n") || !strcmp(line, "Y\n") || !strcmp(line, "yes\n");
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_target t = { 0 };
	bool yes = false;
	json_t *reply;
	int opt, r;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "yh", opts, NULL)) != -1) {
		switch (opt) {
		case 'y':
			yes = true;
			break;
		case 'h':
			dump_usage(stdout);
			return 0;
		default:
			log_err("unknown option (see hvdump dump --help)");
			return 2;
		}
	}
	if ((r = target_arg(argc, argv, &t)) != 0)
		return r;
	/* is it there, and running?  Asked before the question, not after */
	if ((r = ctl_request(&t, "status", 30000, &reply)) != 0)
		return r;
	if (json_is_true(json_object_get(reply, "crashed"))) {
		log_err("guest '%s' has crashed already; its dump is being taken",
			target_text(&t));
		json_decref(reply);
		return 1;
	}
	json_decref(reply);
	if (!yes && !isatty(STDIN_FILENO)) {
		log_err("hvdump dump restarts the guest: confirm on a terminal, or pass --yes");
		return 2;
	}
	if (!yes && !confirm(&t)) {
		log_info("not dumped");
		return 1;
	}
	if ((r = ctl_request(&t, "dump", DUMP_REPLY_TIMEOUT_MS, &reply)) != 0)
		return r;
	if (!json_is_true(json_object_get(reply, "ok"))) {
		log_err("%s", ctl_error(reply));
		json_decref(reply);
		return 1;
	}
	printf("guest '%s' stopped and dumped as crash %lld: %s/crash.json%s\n", target_text(&t),
	       (long long)json_integer_value(json_object_get(reply, "crash")),
	       json_string_value(json_object_get(reply, "dir")),
	       json_is_true(json_object_get(reply, "capture"))
		       ? "; it comes back through a capture boot" : "");
	json_decref(reply);
	return 0;
}

/* After an NMI went in with N crashes seen: wait up to WAIT_MS for one more.  An exit code. */
static int nmi_wait(const struct ctl_target *t, json_int_t n, json_int_t wait_ms)
{
	long long deadline = clock_ms() + wait_ms;
	json_t *st, *last;
	int r;

	for (;;) {
		if ((r = ctl_request(t, "status", 30000, &st)) != 0)
			return r;
		if (json_integer_value(json_object_get(st, "crashes_seen")) > n)
			break;
		json_decref(st);
		if (clock_ms() >= deadline) {
			log_err("guest '%s' did not panic within %lld s of the NMI and runs on: boot it "
				"with unknown_nmi_panic=1 (or panic_on_unrecovered_nmi=1) for an NMI "
				"to dump it, or use hvdump dump", target_text(t),
				(long long)wait_ms / 1000);
			return 1;
		}
		usleep(NMI_POLL_MS * 1000);
	}
	last = json_object_get(st, "last_crash");
	printf("guest '%s' panicked on the NMI: crash %lld (detected by %s): %s/crash.json\n",
	       target_text(t), (long long)json_integer_value(json_object_get(last, "number")),
	       json_string_value(json_object_get(last, "detected_by")),
	       json_string_value(json_object_get(last, "dir")));
	json_decref(st);
	return 0;
}

int cmd_nmi(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-wait", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_target t = { 0 };
	bool wait = true;
	json_int_t n, wait_ms;
	json_t *reply;
	int opt, r;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'W':
			wait = false;
			break;
		case 'h':
			nmi_usage(stdout);
			return 0;
		default:
			log_err("unknown option (see hvdump nmi --help)");
			return 2;
		}
	}
	if ((r = target_arg(argc, argv, &t)) != 0)
		return r;
	if ((r = ctl_request(&t, "nmi", 30000, &reply)) != 0)
		return r;
	if (!json_is_true(json_object_get(reply, "ok"))) {
		log_err("%s", ctl_error(reply));
		json_decref(reply);
		return 1;
	}
	n = json_integer_value(json_object_get(reply, "crashes_seen"));
	wait_ms = json_integer_value(json_object_get(reply, "wait_ms"));
	json_decref(reply);
	log_info("NMI injected into guest '%s'", target_text(&t));
	if (!wait)
		return 0;
	return nmi_wait(&t, n, wait_ms > 0 && wait_ms <= 600000 ? wait_ms : 10000);
}
