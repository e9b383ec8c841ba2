// SPDX-License-Identifier: GPL-2.0-or-later
// Control requests.  A client is served synchronously with short timeouts: the supervisor's
// loop must never wait on an operator's terminal.
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dump/saver.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "vm/control.h"
#include "vm/vm_internal.h"

#define CONTROL_MAX_REQUEST 4096
#define CONTROL_TIMEOUT_MS 2000

static json_t *status(struct vm *vm)
{
	json_t *crashes = json_array();
	uint64_t done = 0, total = 0;

	for (unsigned i = 0; i < vm->npreserved; i++)
		json_array_append_new(crashes, json_pack("{s:s, s:b}", "dir", vm->preserved[i].dir,
							 "saved", vm->preserved[i].saved_ms != 0));
	if (vm->saver)
		saver_progress(vm->saver, &done, &total);
	return json_pack("{s:b, s:s, s:b, s:o, s:b, s:I, s:I, s:I, s:I, s:I}", "ok", 1, "vm",
			 vm->cfg->name, "capture", vm->capture, "crashes", crashes, "saving",
			 vm->saver != NULL, "saved_bytes", (json_int_t)done, "total_bytes",
			 (json_int_t)total, "released_bytes", (json_int_t)vm->released,
			 "returned_bytes", (json_int_t)vm->release_added, "return_target_bytes",
			 (json_int_t)vm->release_target);
}

static json_t *error_reply(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

void control_serve(struct vm *vm, int lfd)
{
	char buf[CONTROL_MAX_REQUEST + 1];
	size_t len = 0;
	json_t *req, *reply;
	json_error_t je;
	const char *cmd;
	char *text;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), r;

	if (fd < 0)
		return;
	while (len < CONTROL_MAX_REQUEST && !memchr(buf, '\n', len)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		if (poll(&p, 1, CONTROL_TIMEOUT_MS) <= 0)
			break;
		n = read(fd, buf + len, CONTROL_MAX_REQUEST - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	req = json_loadb(buf, strcspn(buf, "\n"), 0, &je);
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (!cmd) {
		reply = error_reply("expected {\"cmd\": \"status|save-resume|save-discard\"}");
	} else if (!strcmp(cmd, "status")) {
		reply = status(vm);
	} else if (!strcmp(cmd, "save-resume")) {
		log_info("operator asked to resume saving");
		r = save_start(vm, true);
		reply = r == 0 ? json_pack("{s:b}", "ok", 1)
		      : error_reply(r == -EBUSY ? "a save is already running"
				    : r == -ENOENT ? "no unsaved dump in a running capture boot"
						   : strerror(-r));
	} else if (!strcmp(cmd, "save-discard")) {
		log_info("operator asked to discard the unsaved dumps");
		r = save_discard(vm);
		reply = r == 0 ? json_pack("{s:b}", "ok", 1)
		      : error_reply(r == -EBUSY ? "a save is running; wait for it or let it fail"
						: strerror(-r));
	} else {
		reply = error_reply("unknown command");
	}
	json_decref(req);
	text = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	if (text) {
		if (write_full(fd, text, strlen(text)) == 0 && write_full(fd, "\n", 1) < 0)
			log_debug("control client went away");
		free(text);
	}
	close(fd);
}
