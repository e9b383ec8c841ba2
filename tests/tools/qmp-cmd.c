// SPDX-License-Identifier: GPL-2.0-or-later
// qmp-cmd: run one QMP command against a QEMU monitor socket and print the reply, for tests
// that drive a bare QEMU (no socat needed).
// Usage: qmp-cmd [-t SECONDS] SOCKET COMMAND [JSON-ARGUMENTS]
// Prints the "return" value as compact JSON on stdout.  Exit 0 on success, 1 if QEMU
// answered with an error (printed on stderr) or the connection failed, 2 on bad usage.
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu/qmp.h"

int main(int argc, char **argv)
{
	int timeout_s = 60, opt, r, rc = 1;
	json_t *args = NULL, *ret = NULL;
	json_error_t je;
	struct qmp *q;
	char *err = NULL, *text;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't' || (timeout_s = atoi(optarg)) <= 0) {
			fprintf(stderr, "usage: qmp-cmd [-t SECONDS] SOCKET COMMAND [JSON-ARGUMENTS]\n");
			return 2;
		}
	}
	if (argc - optind < 2 || argc - optind > 3) {
		fprintf(stderr, "usage: qmp-cmd [-t SECONDS] SOCKET COMMAND [JSON-ARGUMENTS]\n");
		return 2;
	}
	if (argc - optind == 3) {
		args = json_loads(argv[optind + 2], 0, &je);
		if (!json_is_object(args)) {
			fprintf(stderr, "qmp-cmd: arguments are not a JSON object: %s\n", je.text);
			json_decref(args);
			return 2;
		}
	}
	r = qmp_connect(argv[optind], &q);
	if (r < 0) {
		fprintf(stderr, "qmp-cmd: %s: %s\n", argv[optind], strerror(-r));
		json_decref(args);
		return 1;
	}
	r = qmp_handshake(q, 10000);
	if (r < 0) {
		fprintf(stderr, "qmp-cmd: %s: handshake: %s\n", argv[optind], strerror(-r));
		json_decref(args);
		goto out_close;
	}
	r = qmp_command(q, argv[optind + 1], args, timeout_s * 1000, &ret, &err);
	if (r < 0) {
		fprintf(stderr, "qmp-cmd: %s: %s\n", argv[optind + 1], err ? err : strerror(-r));
		goto out_close;
	}
	text = json_dumps(ret, JSON_COMPACT | JSON_ENCODE_ANY);
	printf("%s\n", text ? text : "{}");
	free(text);
	rc = 0;
out_close:
	free(err);
	json_decref(ret);
	qmp_close(q);
	return rc;
}
