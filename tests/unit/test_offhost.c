// SPDX-License-Identifier: GPL-2.0-or-later
// Off-host copies without a network: dump targets (good and bad URLs, nothing that could
// reach ssh as an option), ssh options, and the copy itself through a stand-in for ssh that
// checks its arguments and runs the remote command with sh here, into a directory whose name
// holds quotes, spaces and $: the files arrive whole, a copy that does not match is refused
// and renamed nowhere, a remote failure is reported in the remote shell's words, a login
// shell's greeting is passed over, and offhost_copy() records the copy, drops the local dump
// only when asked, and never takes the record's word for which file to send.
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump/offhost.h"
#include "tap.h"
#include "vm/offhost_copy.h"

static char tmp[256];

static void good(const char *url, const char *user, const char *host, unsigned port,
		 bool home, const char *path)
{
	struct dump_target t;
	char why[256] = "";
	int r = dump_target_parse(url, &t, why, sizeof(why));

	tap_ok(r == 0 && !strcmp(t.user, user) && !strcmp(t.host, host) && t.port == port &&
		       t.home == home && !strcmp(t.path, path),
	       "%s: user '%s' host '%s' port %u %s'%s'", url, t.user, t.host, t.port,
	       t.home ? "~/" : "", r == 0 ? t.path : why);
}

static void bad(const char *url, const char *want, const char *what)
{
	struct dump_target t;
	char why[256] = "";
	int r = dump_target_parse(url, &t, why, sizeof(why));

	tap_ok(r == -EINVAL && strstr(why, want), "refused: %s (%s)", what, why);
}

static void urls(void)
{
	good("ssh://backup/var/crash", "", "backup", 0, false, "/var/crash");
	good("ssh://root@10.0.0.2:2222/srv/crash/", "root", "10.0.0.2", 2222, false, "/srv/crash");
	good("ssh://u.ser_1-x@host-1.example.org/d", "u.ser_1-x", "host-1.example.org", 0, false,
	     "/d");
	good("ssh://[::1]:22/x", "", "::1", 22, false, "/x");
	good("ssh://me@[fe80::1%25eth0]/x", "me", "fe80::1%eth0", 0, false, "/x");
	good("ssh://h/~/crash", "", "h", 0, true, "crash");
	good("ssh://h/~", "", "h", 0, true, "");
	good("ssh://h/", "", "h", 0, false, "/");
	good("ssh://h/with%20space/it's", "", "h", 0, false, "/with space/it's");
	good("ssh://h:65535/x", "", "h", 65535, false, "/x");

	bad("scp://h/x", "ssh://", "another scheme");
	bad("ssh://h", "no path", "no path");
	bad("ssh:///x", "no host", "an empty host");
	bad("ssh://u@/x", "no host", "an empty host after a user");
	bad("ssh://-oProxyCommand=x/y", "the host", "a host that is an ssh option");
	bad("ssh://.h/y", "the host", "a host starting with '.'");
	bad("ssh://-l@h/y", "the user", "a user that is an option");
	bad("ssh://u;rm@h/y", "the user", "a user with shell characters");
	bad("ssh://u:secret@h/y", "no password", "a password");
	bad("ssh://h%0a-oX/y", "the host", "a host with an escaped newline");
	bad("ssh://h:0/x", "port", "port 0");
	bad("ssh://h:65536/x", "port", "port 65536");
	bad("ssh://h:/x", "port", "an empty port");
	bad("ssh://h:22a/x", "port", "a port with junk");
	bad("ssh://h:-22/x", "port", "a negative port");
	bad("ssh://[::1/x", "IPv6", "an unclosed bracket");
	bad("ssh://[::1]x/y", "only a :PORT", "junk after ]");
	bad("ssh://[-::1]/y", "IPv6", "a bracketed option");
	bad("ssh://[fe80::1%eth0]/y", "IPv6", "a zone not written %25");
	bad("ssh://h/a\nb", "control", "a newline in the path");
	bad("ssh://h/a%0Ab", "control", "an escaped newline in the path");
	bad("ssh://h/a%00b", "control", "an escaped NUL in the path");
	bad("ssh://h/a%zz", "escape", "a bad escape");
	bad("ssh://h/a%4", "escape", "a cut escape");
	bad("ssh://h/x?y", "query", "a query");
	bad("ssh://h/x#y", "fragment", "a fragment");
	bad("ssh://h/~root/x", "~USER", "another user's home");
	bad("ssh://h\t/x", "the host", "a tab in the host");

	char why[128];
	tap_ok(offhost_option_check("UserKnownHostsFile=/a b", why, sizeof(why)) == 0 &&
		       offhost_option_check("Port 22", why, sizeof(why)) == 0,
	       "ssh options NAME=VALUE and NAME VALUE");
	tap_ok(offhost_option_check("-oX=y", why, sizeof(why)) == -EINVAL &&
		       offhost_option_check("Name", why, sizeof(why)) == -EINVAL &&
		       offhost_option_check("Name=", why, sizeof(why)) == -EINVAL &&
		       offhost_option_check("A=b\nc", why, sizeof(why)) == -EINVAL &&
		       offhost_option_check("A-b=c", why, sizeof(why)) == -EINVAL,
	       "ssh options refused: a dash, no value, a newline, a bad name");
}

/* ---- through a stand-in for ssh ------------------------------------------------------------ */

static char fakessh[300];

/* It insists on BatchMode=yes first and "--" before the host, then runs the remote command
 * with sh here (FAKE_CORRUPT: cat writes something else). */
static void write_fake_ssh(void)
{
	FILE *f;

	snprintf(fakessh, sizeof(fakessh), "%s/ssh", tmp);
	f = fopen(fakessh, "w");
	fputs("#!/bin/bash\n"
	      "[ \"$1 $2\" = \"-o BatchMode=yes\" ] || { echo \"fake ssh: no BatchMode: $*\" >&2; exit 255; }\n"
	      "args=(\"$@\"); n=${#args[@]}\n"
	      "[ \"${args[n-3]}\" = -- ] || { echo 'fake ssh: no -- before the host' >&2; exit 255; }\n"
	      "[ \"${args[n-2]}\" = unreachable ] && { echo 'ssh: connect to host unreachable port 22: Connection refused' >&2; exit 255; }\n"
	      "cmd=${args[n-1]}\n"
	      "[ -n \"${FAKE_CORRUPT:-}\" ] && cmd=${cmd/cat >/tr a-z A-Z >}\n"
	      "[ -n \"${FAKE_NOISE:-}\" ] && echo 'a start-up file says hello'\n"
	      "exec sh -c \"$cmd\"\n",
	      f);
	fclose(f);
	chmod(fakessh, 0700);
}

static bool same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "r"), *fb = fopen(b, "r");
	bool same = fa && fb;
	int ca, cb;

	while (same) {
		ca = getc(fa);
		cb = getc(fb);
		same = ca == cb;
		if (ca == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

static void transport(void)
{
	struct offhost_opts o = { .ssh = fakessh };
	struct dump_target t;
	struct offhost_dir d;
	char url[600], why[512] = "", sha[65], remote[900], local[400];
	const char *names[] = { "vmcore", "crash.json" };
	int fd, r;

	snprintf(url, sizeof(url), "ssh://h%s/it's%%20a%%20$HOME%%20`x`", tmp);
	r = dump_target_parse(url, &t, why, sizeof(why));
	r = r ? r : offhost_open(&d, &t, &o, "vm-20261204T000000Z", why, sizeof(why));
	tap_ok(r == 0 && strstr(d.abs, "/it's a $HOME `x`/vm-20261204T000000Z"),
	       "remote directory made under a path with quotes, spaces, $ and `, taken literally: %s",
	       r ? why : d.abs);
	snprintf(local, sizeof(local), "%s/src", tmp);
	fd = open(local, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	for (int i = 0; i < 3000; i++)
		dprintf(fd, "line %d of a file bigger than one chunk, to copy it in parts\n", i);
	close(fd);
	struct stat st;
	stat(local, &st);
	fd = open(local, O_RDONLY);
	r = r ? r : offhost_put(&d, "vmcore", fd, NULL, (uint64_t)st.st_size, "test", sha, why,
				sizeof(why));
	close(fd);
	snprintf(remote, sizeof(remote), "%s/vmcore.part", d.abs);
	tap_ok(r == 0 && same_file(local, remote) && strlen(sha) == 64,
	       "a file streamed and checked: %s", r ? why : sha);
	setenv("FAKE_NOISE", "1", 1);
	r = offhost_put(&d, "crash.json", -1, "{}\n", 3, NULL, sha, why, sizeof(why));
	unsetenv("FAKE_NOISE");
	tap_ok(r == 0, "a buffer sent, a line printed before the hash passed over: %s",
	       r ? why : sha);
	r = offhost_commit(&d, names, 2, why, sizeof(why));
	snprintf(remote, sizeof(remote), "%s/vmcore", d.abs);
	tap_ok(r == 0 && same_file(local, remote), "renamed into place");

	setenv("FAKE_CORRUPT", "1", 1);
	fd = open(local, O_RDONLY);
	r = offhost_put(&d, "other", fd, NULL, (uint64_t)st.st_size, NULL, sha, why, sizeof(why));
	close(fd);
	unsetenv("FAKE_CORRUPT");
	tap_ok(r == -EIO && strstr(why, "does not match"), "a copy that differs is refused: %s",
	       why);
	fd = open(local, O_RDONLY);
	r = offhost_put(&d, "short", fd, NULL, (uint64_t)st.st_size + 10, NULL, sha, why,
			sizeof(why));
	close(fd);
	tap_ok(r < 0 && strstr(why, "shorter"), "a file shorter than said is refused: %s", why);
	snprintf(remote, sizeof(remote), "chmod 500 '%s'", d.abs);
	if (geteuid() != 0 && system(remote) == 0) {
		fd = open(local, O_RDONLY);
		r = offhost_put(&d, "x", fd, NULL, (uint64_t)st.st_size, NULL, sha, why,
				sizeof(why));
		close(fd);
		tap_ok(r < 0 && strstr(why, "Permission denied"), "a directory not writable: %s",
		       why);
	} else {
		printf("ok %d # SKIP root writes anywhere\n", ++tap_count);
	}

	char home[300], *oldhome = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	snprintf(home, sizeof(home), "%s/home dir", tmp);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	r = dump_target_parse("ssh://h/~/crash's", &t, why, sizeof(why));
	r = r ? r : offhost_open(&d, &t, &o, "n", why, sizeof(why));
	snprintf(remote, sizeof(remote), "%s/crash's/n", home);
	tap_ok(r == 0 && !strcmp(d.abs, remote), "ssh://h/~/DIR: under the remote home: %s",
	       r ? why : d.abs);
	if (oldhome)
		setenv("HOME", oldhome, 1);
	free(oldhome);

	if (dump_target_parse("ssh://unreachable/x", &t, why, sizeof(why)) < 0)
		tap_diag("%s", why);
	r = offhost_open(&d, &t, &o, "n", why, sizeof(why));
	tap_ok(r == -ECONNREFUSED && strstr(why, "Connection refused"),
	       "ssh's own failure in its words: %s", why);
	r = offhost_open(&d, &t, &o, "..", why, sizeof(why));
	tap_ok(r == -EINVAL, "a directory name '..' refused");
}

/* ---- offhost_copy -------------------------------------------------------------------------- */

static char crash[300];

static void make_crash(const char *state, const char *dump_file)
{
	char path[400];
	json_t *j = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "format", "hvdump-crash-record/1",
			      "vm", "vm", "crash", 1, "state", state, "ram_file", "/dev/shm/x",
			      "dump_file", dump_file);

	snprintf(path, sizeof(path), "%s/crash.json", crash);
	json_dump_file(j, path, JSON_INDENT(2));
	json_decref(j);
}

static json_t *record_member(const char *key)
{
	char path[400];
	json_t *j, *v;

	snprintf(path, sizeof(path), "%s/crash.json", crash);
	j = json_load_file(path, 0, NULL);
	v = json_incref(json_object_get(j, key));
	json_decref(j);
	return v;
}

static void copy(void)
{
	struct offhost_opts o = { .ssh = fakessh };
	struct dump_target t;
	char url[400], why[512] = "", dump[400], path[900];
	json_t *dt;
	int r;

	snprintf(crash, sizeof(crash), "%s/vm-20261204T000000Z-2", tmp);
	mkdir(crash, 0700);
	snprintf(dump, sizeof(dump), "%s/vmcore", crash);
	FILE *f = fopen(dump, "w");
	for (int i = 0; i < 20000; i++)
		fprintf(f, "page %d\n", i);
	fclose(f);
	snprintf(path, sizeof(path), "%s/dmesg.txt", crash);
	f = fopen(path, "w");
	fputs("Kernel panic - not syncing: test\n", f);
	fclose(f);
	snprintf(url, sizeof(url), "ssh://h%s/remote", tmp);
	if (dump_target_parse(url, &t, why, sizeof(why)) < 0)
		tap_diag("%s", why);

	make_crash("capture-running", dump);
	r = offhost_copy(crash, &t, &o, false, why, sizeof(why));
	tap_ok(r == -EINVAL && strstr(why, "not saved"), "a crash not saved is not copied: %s",
	       why);
	make_crash("saved", "/etc/passwd");
	r = offhost_copy(crash, &t, &o, true, why, sizeof(why));
	tap_ok(r == -EINVAL && access("/etc/passwd", F_OK) == 0,
	       "a record naming a file elsewhere: only its name is looked up here: %s", why);

	make_crash("saved", dump);
	r = offhost_copy(crash, &t, &o, false, why, sizeof(why));
	snprintf(path, sizeof(path), "%s/remote/vm-20261204T000000Z-2/vmcore", tmp);
	dt = record_member("dump_target");
	tap_ok(r == 0 && same_file(dump, path) && json_is_true(json_object_get(dt, "verified")) &&
		       json_array_size(json_object_get(dt, "files")) == 3 &&
		       json_is_false(json_object_get(dt, "local_dropped")) &&
		       access(dump, F_OK) == 0,
	       "copied: the dump arrives whole, the record lists three files checked, the local "
	       "dump stays: %s", r ? why : "");
	json_decref(dt);
	snprintf(path, sizeof(path), "%s/remote/vm-20261204T000000Z-2/crash.json", tmp);
	json_t *rr = json_load_file(path, 0, NULL);
	const char *df = json_string_value(json_object_get(rr, "dump_file"));
	tap_ok(df && strstr(df, "/remote/vm-20261204T000000Z-2/vmcore") &&
		       json_object_get(rr, "copied_from") &&
		       json_is_true(json_object_get(json_object_get(rr, "dump_target"), "verified")),
	       "the remote record names the remote dump, where it came from, and that the copy "
	       "was checked");
	json_decref(rr);

	r = offhost_copy(crash, &t, &o, true, why, sizeof(why));
	dt = record_member("dump_target");
	tap_ok(r == 0 && access(dump, F_OK) < 0 && errno == ENOENT &&
		       json_is_true(json_object_get(dt, "local_dropped")) &&
		       json_object_get(dt, "url"),
	       "--drop-local: the local dump removed, the record says so and keeps the URL");
	json_decref(dt);
	r = offhost_copy(crash, &t, &o, false, why, sizeof(why));
	tap_ok(r == -EINVAL && strstr(why, "dropped"), "a dropped dump is not copied again: %s",
	       why);

	make_crash("saved", dump);
	f = fopen(dump, "w");
	fputs("x", f);
	fclose(f);
	if (dump_target_parse("ssh://unreachable/x", &t, why, sizeof(why)) < 0)
		tap_diag("%s", why);
	r = offhost_copy(crash, &t, &o, true, why, sizeof(why));
	dt = record_member("dump_target_error");
	tap_ok(r < 0 && r != -EINVAL && access(dump, F_OK) == 0 &&
		       strstr(json_string_value(json_object_get(dt, "error")) ?: "",
			      "Connection refused"),
	       "a failed copy: the local dump stays, the record has the error: %s", why);
	json_decref(dt);
}

int main(void)
{
	char cmd[300];

	snprintf(tmp, sizeof(tmp), "/tmp/test_offhost.XXXXXX");
	if (!mkdtemp(tmp)) {
		tap_skip_all("no temporary directory");
		return 0;
	}
	urls();
	write_fake_ssh();
	transport();
	copy();
	snprintf(cmd, sizeof(cmd), "chmod -R u+w '%s'; rm -rf '%s'", tmp, tmp);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmp);
	return tap_done();
}
