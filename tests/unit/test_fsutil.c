// SPDX-License-Identifier: GPL-2.0-or-later
// Safe places and safe creation: path_check_private() on directories others could control,
// open_new_private() against planted links and foreign files.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util/fsutil.h"

static char dir[256];

static const char *at(const char *name)
{
	static char buf[2][512];
	static int i;

	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static int check(const char *path, char *msg)
{
	msg[0] = '\0';
	return path_check_private(path, msg, 512);
}

static void test_places(void)
{
	char msg[512];

	tap_is_int(check(dir, msg), 0, "a 0700 directory of ours");
	tap_is_int(check(at("not/yet/there"), msg), 0, "what does not exist yet is ours to create");
	mkdir(at("open"), 0700);
	chmod(at("open"), 0777);
	tap_is_int(check(at("open/vm"), msg), -EPERM, "a world-writable parent is refused");
	tap_ok(strstr(msg, "open is writable by everyone (mode 0777)") != NULL, "... named: %s", msg);
	tap_is_int(check(at("open"), msg), -EPERM, "... and so is that directory itself");
	mkdir(at("sticky"), 0700);
	chmod(at("sticky"), 01777);
	tap_is_int(check(at("sticky/vm"), msg), 0, "a sticky world-writable parent (like /tmp) is fine");
	tap_is_int(check(at("sticky"), msg), -EPERM, "... but not as the place itself");
	mkdir(at("group"), 0770);
	chmod(at("group"), 0770);
	tap_is_int(check(at("group/vm"), msg), -EPERM, "a group-writable parent is refused");
	close(open(at("file"), O_WRONLY | O_CREAT, 0600));
	tap_is_int(check(at("file/vm"), msg), -ENOTDIR, "a file on the way is no directory");
	if (geteuid() == 0) {
		mkdir(at("foreign"), 0700);
		tap_ok(chown(at("foreign"), 65534, 65534) == 0, "a directory of uid 65534");
		tap_is_int(check(at("foreign/vm"), msg), -EPERM, "... refused on the way");
		tap_ok(strstr(msg, "owned by uid 65534") != NULL, "... named: %s", msg);
		tap_ok(symlink(at("sticky"), at("link")) == 0 && lchown(at("link"), 65534, 65534) == 0,
		       "a symbolic link of uid 65534 to a good directory");
		tap_is_int(check(at("link/vm"), msg), -EPERM, "... not followed");
	} else {
		for (int i = 0; i < 6; i++)
			tap_ok(1, "# SKIP foreign owners need root");
	}
	tap_ok(symlink(at("open"), at("mylink")) == 0, "a link of ours to a world-writable directory");
	tap_is_int(check(at("mylink/vm"), msg), -EPERM, "... judged by where it leads");
}

static void test_create(void)
{
	char buf[16] = "";
	int fd;

	fd = open(at("victim"), O_WRONLY | O_CREAT, 0600);
	tap_ok(fd >= 0 && write(fd, "precious", 8) == 8, "somebody's file");
	close(fd);
	tap_ok(symlink(at("victim"), at("out.part")) == 0, "a link to it planted as our output");
	fd = open_new_private(at("out.part"), O_WRONLY);
	tap_is_int(fd, -EEXIST, "open_new_private refuses it");
	fd = open(at("victim"), O_RDONLY);
	tap_ok(fd >= 0 && read(fd, buf, sizeof(buf)) == 8 && !memcmp(buf, "precious", 8),
	       "... the file it points to is untouched");
	close(fd);
	unlink(at("out.part"));
	fd = open(at("stale.part"), O_WRONLY | O_CREAT, 0644);
	tap_ok(fd >= 0 && write(fd, "old", 3) == 3, "an earlier attempt's file of ours");
	close(fd);
	fd = open_new_private(at("stale.part"), O_WRONLY);
	{
		struct stat st;
		tap_ok(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0 && (st.st_mode & 0777) == 0600,
		       "is replaced by an empty 0600 file");
	}
	close(fd);
	tap_is_int(write_file_atomic(at("atomic"), "x", 1, 0600), 0, "write_file_atomic writes");
}

/* open_regular: an existing regular file, never through a link, never a directory or FIFO. */
static void test_open_regular(void)
{
	char buf[16] = "";
	int fd = open_regular(at("victim"), O_RDONLY);

	tap_ok(fd >= 0 && read(fd, buf, sizeof(buf)) == 8 && !memcmp(buf, "precious", 8),
	       "open_regular opens a regular file");
	if (fd >= 0)
		close(fd);
	tap_ok(symlink(at("victim"), at("victim.link")) == 0 &&
		       open_regular(at("victim.link"), O_RDONLY) == -ELOOP,
	       "... not through a symbolic link (-ELOOP)");
	tap_is_int(open_regular(dir, O_RDONLY), -EINVAL, "... not a directory (-EINVAL)");
	tap_ok(mkfifo(at("fifo"), 0600) == 0 && open_regular(at("fifo"), O_RDONLY | O_NONBLOCK) == -EINVAL,
	       "... not a FIFO (-EINVAL)");
	tap_is_int(open_regular(at("nope"), O_RDONLY), -ENOENT, "... nor what is missing (-ENOENT)");
}

int main(void)
{
	char cmd[300];

	snprintf(dir, sizeof(dir), "%s/hvdump-test-fsutil-XXXXXX", getenv("TMPDIR") ?: "/tmp");
	if (!mkdtemp(dir)) {
		tap_skip_all("no temporary directory");
		return 0;
	}
	test_places();
	test_create();
	test_open_regular();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("cannot remove %s", dir);
	return tap_done();
}
