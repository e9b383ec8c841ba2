// SPDX-License-Identifier: GPL-2.0-or-later
// Control requests.  A client is served within one short deadline for its whole request: the
// supervisor's loop (signals, QMP, memory going back) must never wait on a slow client.
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "vm/control.h"

#define CONTROL_MAX_REQUEST 4096
#define CONTROL_DEADLINE_MS 250 /* for the whole request line */

enum control_cmd control_parse(const char *text, size_t len)
{
	static const struct {
		const char *name;
		enum control_cmd cmd;
	} cmds[] = {
		{ "status", CONTROL_STATUS },
		{ "save-resume", CONTROL_SAVE_RESUME },
		{ "save-discard", CONTROL_SAVE_DISCARD },
		{ "dump", CONTROL_DUMP },
		{ "nmi", CONTROL_NMI },
	};
	json_error_t je;
	json_t *req = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	enum control_cmd c = cmd ? CONTROL_UNKNOWN : CONTROL_BAD;

	for (size_t i = 0; cmd && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmd, cmds[i].name))
			c = cmds[i].cmd;
	json_decref(req);
	return c;
}

int control_accept(int lfd, enum control_cmd *cmd)
{
	char buf[CONTROL_MAX_REQUEST + 1];
	size_t len = 0;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return -1;
	long long deadline = clock_ms() + CONTROL_DEADLINE_MS;

	while (len < CONTROL_MAX_REQUEST && !memchr(buf, '\n', len)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - clock_ms();
		ssize_t n;
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		n = read(fd, buf + len, CONTROL_MAX_REQUEST - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*cmd = control_parse(buf, strcspn(buf, "\n"));
	return fd;
}

void control_reply(int fd, json_t *reply)
{
	char *text = json_dumps(reply, JSON_COMPACT);

	json_decref(reply);
	if (text) {
		if (write_full(fd, text, strlen(text)) == 0 && write_full(fd, "\n", 1) < 0)
			log_debug("control client went away");
		free(text);
	}
	close(fd);
}

json_t *control_error(const char *msg)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

json_t *control_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}
