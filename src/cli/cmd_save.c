// SPDX-License-Identifier: GPL-2.0-or-later
// `hvdump save`: ask a running `hvdump run` about its dumps, resume a failed save, or drop it.
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "vm/config.h"
#include "vm/rundir.h"

static void save_usage(FILE *f)
{
	fprintf(f,
"Usage: hvdump save [--name NAME | --run-dir DIR] [--status | --resume | --discard]\n"
"Talk to the running `hvdump run` of a VM about its crash dumps.\n"
"\n"
"  -n, --name NAME    the VM (default hvdump); its run directory is found as hvdump run does\n"
"      --run-dir DIR  the VM's run directory\n"
"      --status       print what is preserved, saved, released and returned (default)\n"
"      --resume       start or continue saving the unsaved dumps (after fixing a failure,\n"
"                     e.g. freeing disk space); what was already saved is kept\n"
"      --discard      drop the unsaved dumps: their memory is freed and given back\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 done, 1 the VM refused (the reason is printed), 2 bad usage or no VM.\n");
}

int cmd_save(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "status", no_argument, NULL, 's' },
		{ "resume", no_argument, NULL, 'R' },
		{ "discard", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = "hvdump", *run_dir = NULL, *cmd = "status";
	char path[4200], buf[65536], *text;
	size_t len = 0;
	json_t *reply;
	json_error_t je;
	int opt, fd, ok;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			name = optarg;
			break;
		case 'r':
			run_dir = optarg;
			break;
		case 's':
			cmd = "status";
			break;
		case 'R':
			cmd = "save-resume";
			break;
		case 'D':
			cmd = "save-discard";
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
	if (run_dir)
		snprintf(path, sizeof(path), "%s/control.sock", run_dir);
	else
		snprintf(path, sizeof(path), "%s/%s/control.sock", rundir_default_base(), name);
	fd = unix_connect(path);
	if (fd < 0) {
		log_err("no running hvdump for this VM (%s: %s)", path, strerror(-fd));
		return 2;
	}
	snprintf(buf, sizeof(buf), "{\"cmd\": \"%s\"}\n", cmd);
	if (write_full(fd, buf, strlen(buf)) < 0) {
		log_err("cannot send to %s: %s", path, strerror(errno));
		close(fd);
		return 2;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		if (poll(&p, 1, 30000) <= 0 || len == sizeof(buf) - 1)
			break;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	reply = json_loads(buf, 0, &je);
	if (!reply) {
		log_err("no valid reply from %s", path);
		return 2;
	}
	ok = json_is_true(json_object_get(reply, "ok"));
	if (!ok) {
		log_err("%s", json_string_value(json_object_get(reply, "error"))
				      ? json_string_value(json_object_get(reply, "error"))
				      : "refused");
	} else {
		text = json_dumps(reply, JSON_INDENT(2));
		if (text)
			printf("%s\n", text);
		free(text);
	}
	json_decref(reply);
	return ok ? 0 : 1;
}
