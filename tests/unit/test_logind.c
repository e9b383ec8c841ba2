// SPDX-License-Identifier: GPL-2.0-or-later
// logind's RemoveIPC= and lingering (util/logind.h), read from a temporary root: the default
// when nothing sets it, the [Login] section only, the last setting winning, drop-ins in name
// order with /etc hiding /usr/lib, junk and oversized files ignored; and the verdict on a run
// directory for root, system users, lingering users, /dev/shm and /run/user.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/logind.h"
#include "tap.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[512], dir[512], *slash;
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	if (mkdir_p(dir, 0700) < 0)
		r = -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write_full(fd, text, strlen(text)) < 0)
		r = -1;
	if (fd >= 0)
		close(fd);
	if (r < 0)
		tap_diag("cannot write %s: %s", path, strerror(errno));
}

static void gone(const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s%s", root, rel);
	unlink(path);
}

static int text(const char *t, int cur)
{
	return logind_conf_remove_ipc(t, strlen(t), cur);
}

int main(void)
{
	static char big[LOGIND_CONF_MAX + 100];
	char cmd[128];

	snprintf(root, sizeof(root), "/tmp/test_logind.XXXXXX");
	if (!mkdtemp(root)) {
		tap_skip_all("cannot make a temporary directory");
		return 0;
	}

	/* one text */
	tap_is_int(text("", 1), 1, "empty text: unchanged (1)");
	tap_is_int(text("", 0), 0, "empty text: unchanged (0)");
	tap_is_int(text("[Login]\nRemoveIPC=no\n", 1), 0, "RemoveIPC=no");
	tap_is_int(text("[Login]\n  RemoveIPC = No \r\n", 1), 0, "spaces, CR and case in the value");
	tap_is_int(text("[Login]\n#RemoveIPC=no\n;RemoveIPC=no\n", 1), 1, "comments are not settings");
	tap_is_int(text("[Login]\nRemoveIPC=no\nRemoveIPC=yes", 0), 1, "the last one wins, no final newline");
	tap_is_int(text("[Other]\nRemoveIPC=no\n", 1), 1, "another section's RemoveIPC is not logind's");
	tap_is_int(text("RemoveIPC=no\n", 1), 1, "before any section: ignored");
	tap_is_int(text("[Login]\nRemoveIPC=maybe\n", 0), 0, "not a boolean: ignored, as logind does");
	tap_is_int(text("[Login]\nremoveipc=no\n", 1), 1, "names are case-sensitive");
	tap_is_int(text("[Login]\nRemoveIPCX=no\nXRemoveIPC=no\n", 1), 1, "only the exact name");
	tap_is_int(text("[Login]\nRemoveIPC\n", 1), 1, "a name without '=' is nothing");
	tap_is_int(text("[Login]\nRemoveIPC=\n", 0), 0, "an empty value is not a boolean");
	tap_is_int(logind_conf_remove_ipc("[Login]\nRemoveIPC=no\0junk\nRemoveIPC=off\n", 40, 1), 0,
		   "a NUL byte makes its value junk; the text goes on after it");
	tap_is_int(logind_conf_remove_ipc("[Login]\nRemoveIPC=off", 20, 1), 1,
		   "LEN bounds the text (\"of\" is not a boolean)");

	/* a whole configuration under root */
	tap_is_int(logind_remove_ipc(root), 1, "no logind.conf at all: yes (logind's default)");
	put("/etc/systemd/logind.conf", "[Login]\n#RemoveIPC=yes\n");
	tap_is_int(logind_remove_ipc(root), 1, "Debian's logind.conf (all commented out): yes");
	put("/etc/systemd/logind.conf", "[Login]\nRemoveIPC=no\n");
	tap_is_int(logind_remove_ipc(root), 0, "logind.conf says no");
	put("/usr/lib/systemd/logind.conf.d/50-vendor.conf", "[Login]\nRemoveIPC=yes\n");
	tap_is_int(logind_remove_ipc(root), 1, "a drop-in overrides the main file");
	put("/etc/systemd/logind.conf.d/50-vendor.conf", "[Login]\nRemoveIPC=off\n");
	tap_is_int(logind_remove_ipc(root), 0, "/etc's drop-in hides /usr/lib's of the same name");
	put("/run/systemd/logind.conf.d/60-later.conf", "[Login]\nRemoveIPC=true\n");
	tap_is_int(logind_remove_ipc(root), 1, "drop-ins apply in name order, whatever their directory");
	put("/run/systemd/logind.conf.d/70-not-a-conf.txt", "[Login]\nRemoveIPC=no\n");
	put("/run/systemd/logind.conf.d/.80-hidden.conf", "[Login]\nRemoveIPC=no\n");
	tap_is_int(logind_remove_ipc(root), 1, "files not named *.conf, and hidden ones, are not read");
	memset(big, '#', sizeof(big) - 1);
	memcpy(big, "[Login]\nRemoveIPC=no\n", 21);
	put("/usr/local/lib/systemd/logind.conf.d/90-big.conf", big);
	tap_is_int(logind_remove_ipc(root), 1, "a file over LOGIND_CONF_MAX is skipped");
	gone("/usr/local/lib/systemd/logind.conf.d/90-big.conf");
	put("/usr/local/lib/systemd/logind.conf.d/90-no.conf", "[Login]\nRemoveIPC=0\n");
	tap_is_int(logind_remove_ipc(root), 0, "/usr/local/lib's drop-ins are read");

	/* lingering, and the verdict */
	put("/etc/systemd/logind.conf.d/50-vendor.conf", "");
	gone("/usr/local/lib/systemd/logind.conf.d/90-no.conf");
	tap_is_int(logind_remove_ipc(root), 1, "back to yes");
	tap_ok(!logind_user_lingers(root, "alice"), "alice does not linger");
	tap_ok(!logind_user_lingers(root, "../etc") && !logind_user_lingers(root, "..") &&
		       !logind_user_lingers(root, ""),
	       "user names that are paths are nobody's");
	tap_is_int(logind_logout_risk(root, "/dev/shm/hvdump-1000/vm", 1000, "alice"),
		   LOGIND_REMOVE_IPC, "alice's run directory in /dev/shm: removed at logout");
	tap_is_int(logind_logout_risk(root, "/dev/shm", 1000, "alice"), LOGIND_REMOVE_IPC,
		   "/dev/shm itself");
	tap_is_int(logind_logout_risk(root, "/dev/shmx/vm", 1000, "alice"), LOGIND_SAFE,
		   "/dev/shmx is not /dev/shm");
	tap_is_int(logind_logout_risk(root, "/run/user/1000/hvdump/vm", 1000, "alice"),
		   LOGIND_RUNTIME, "in /run/user: removed at logout");
	tap_is_int(logind_logout_risk(root, "/srv/tmpfs/vm", 1000, "alice"), LOGIND_SAFE,
		   "elsewhere: safe");
	tap_is_int(logind_logout_risk(root, "/dev/shm/hvdump-0/vm", 0, "root"), LOGIND_SAFE,
		   "root: safe");
	tap_is_int(logind_logout_risk(root, "/dev/shm/hvdump-999/vm", 999, "svc"), LOGIND_SAFE,
		   "a system user: safe");
	put("/var/lib/systemd/linger/alice", "");
	tap_ok(logind_user_lingers(root, "alice"), "enable-linger alice");
	tap_is_int(logind_logout_risk(root, "/dev/shm/hvdump-1000/vm", 1000, "alice"), LOGIND_SAFE,
		   "a lingering user's /dev/shm: safe");
	tap_is_int(logind_logout_risk(root, "/run/user/1000/vm", 1000, "alice"), LOGIND_SAFE,
		   "a lingering user's /run/user: safe");
	put("/etc/systemd/logind.conf.d/99-keep.conf", "[Login]\nRemoveIPC=no\n");
	tap_is_int(logind_logout_risk(root, "/dev/shm/hvdump-1001/vm", 1001, "bob"), LOGIND_SAFE,
		   "RemoveIPC=no: bob's /dev/shm is safe");
	tap_is_int(logind_logout_risk(root, "/run/user/1001/vm", 1001, "bob"), LOGIND_RUNTIME,
		   "RemoveIPC=no does not keep bob's /run/user");

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", root);
	return tap_done();
}
