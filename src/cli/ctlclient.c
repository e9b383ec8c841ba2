// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/ctlclient.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "vm/config.h"
#include "vm/rundir.h"

int ctl_target_parse(const char *arg, struct ctl_target *t)
{
	if (strchr(arg, '/')) {
		t->run_dir = arg;
		return 0;
	}
	if (!vm_name_valid(arg)) {
		log_err("'%s' is neither a VM name (1-64 of A-Z a-z 0-9 . _ -) nor a run directory "
			"(a path with a '/')", arg);
		return -EINVAL;
	}
	t->name = arg;
	return 0;
}

int ctl_request(const struct ctl_target *t, const char *cmd, int timeout_ms, json_t **reply)
{
	char path[4200], buf[65536];
	size_t len = 0;
	json_error_t je;
	long long deadline = clock_ms() + timeout_ms;
	int fd;

	*reply = NULL;
	if (t->run_dir)
		snprintf(path, sizeof(path), "%s/control.sock", t->run_dir);
	else
		snprintf(path, sizeof(path), "%s/%s/control.sock", rundir_default_base(),
			 t->name ? t->name : "hvdump");
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
		long long left = deadline - clock_ms();
		ssize_t n;
		if (left <= 0 || poll(&p, 1, (int)left) <= 0 || len == sizeof(buf) - 1)
			break;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*reply = json_loads(buf, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(*reply)) {
		json_decref(*reply);
		*reply = NULL;
		log_err("no valid reply from %s%s", path, len ? "" : " (timed out)");
		return 2;
	}
	return 0;
}

const char *ctl_error(const json_t *reply)
{
	const char *e = json_string_value(json_object_get(reply, "error"));

	return e ? e : "refused";
}
