// SPDX-License-Identifier: GPL-2.0-or-later
// A saved crash copied off the host.  The record decides what is copied, but it is a file
// that anyone with the directory could have edited: of its "dump_file" only the name is
// used, opened in the crash directory without following links, so a record cannot send
// another file off the host or have one removed by --drop-local.
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"
#include "util/size.h"
#include "util/why.h"
#include "vm/offhost_copy.h"
#include "vm/record.h"

#define DMESG_NAME "dmesg.txt"
#define RECORD_NAME "crash.json"

struct copy_file {
	char name[256];
	int fd;                /* -1: from BUF */
	const char *buf;
	uint64_t bytes;
	char sha256[65];
};

/* What is copied: the crash directory, its record, the files. */
struct copy_src {
	char dir[PATH_MAX];    /* the crash directory, resolved */
	const char *name;      /* its last component */
	int dfd;
	struct crash_record r;
	struct copy_file f[3]; /* the dump, dmesg.txt (maybe), the remote record */
	size_t nf;
	char *remote_record;
};

static void src_close(struct copy_src *s)
{
	for (size_t i = 0; i < s->nf; i++)
		if (s->f[i].fd >= 0)
			close(s->f[i].fd);
	if (s->dfd >= 0)
		close(s->dfd);
	record_free(&s->r);
	free(s->remote_record);
}

/* Open NAME in S's directory as a file to copy.  0, or -errno. */
static int add_file(struct copy_src *s, const char *name)
{
	struct copy_file *f = &s->f[s->nf];
	struct stat st;

	f->fd = openat(s->dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	if (fstat(f->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(f->fd);
		return -EINVAL;
	}
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->bytes = (uint64_t)st.st_size;
	s->nf++;
	return 0;
}

/* The dump file's name in the record: a plain name, not one of the other files'. */
static const char *dump_name(const char *dump_file)
{
	const char *b = strrchr(dump_file, '/');

	b = b ? b + 1 : dump_file;
	if (!b[0] || b[0] == '.' || !strcmp(b, DMESG_NAME) || !strcmp(b, RECORD_NAME) ||
	    strlen(b) > 200)
		return NULL;
	for (const char *p = b; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return NULL;
	return b;
}

/* Is the local dump already gone after an earlier copy? */
static const char *dropped_to(const json_t *rec)
{
	const json_t *dt = json_object_get(rec, "dump_target");

	if (!json_is_true(json_object_get(dt, "local_dropped")))
		return NULL;
	const char *u = json_string_value(json_object_get(dt, "url"));
	return u ? u : "?";
}

/* Open CRASH_DIR's record and files into S.  0 or -EINVAL with WHY. */
static int src_open(const char *crash_dir, struct copy_src *s, char *why, size_t whylen)
{
	const char *base, *to;
	int r;

	s->dfd = -1;
	if (!realpath(crash_dir, s->dir)) {
		why_set(why, whylen, "%s: %s", crash_dir, strerror(errno));
		return -EINVAL;
	}
	s->name = strrchr(s->dir, '/') + 1;
	r = record_read(s->dir, &s->r, why, whylen);
	if (r < 0)
		return -EINVAL;
	if ((s->r.state != CRASH_SAVED && s->r.state != CRASH_DUMPED) || !s->r.dump_file) {
		why_set(why, whylen, "%s: the crash is %s, not saved: only a finished dump is "
			"copied", s->dir, crash_state_name(s->r.state));
		return -EINVAL;
	}
	if ((to = dropped_to(s->r.json))) {
		why_set(why, whylen, "%s: its dump was copied to %s and the local one dropped",
			s->dir, to);
		return -EINVAL;
	}
	base = dump_name(s->r.dump_file);
	if (!base) {
		why_set(why, whylen, "%s: the record's dump_file \"%.100s\" is not a dump file's "
			"name", s->dir, s->r.dump_file);
		return -EINVAL;
	}
	s->dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = s->dfd < 0 ? -errno : add_file(s, base);
	if (r < 0) {
		why_set(why, whylen, "%s/%s: %s", s->dir, base,
			r == -EINVAL ? "not a regular file" : strerror(-r));
		return -EINVAL;
	}
	r = add_file(s, DMESG_NAME);
	if (r < 0 && r != -ENOENT)
		log_warn("%s/%s: %s; copying the dump without it", s->dir, DMESG_NAME,
			 r == -EINVAL ? "not a regular file" : strerror(-r));
	return 0;
}

static json_t *files_json(const struct copy_src *s, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:I, s:s}", "name", s->f[i].name,
						   "bytes", (json_int_t)s->f[i].bytes, "sha256",
						   s->f[i].sha256));
	return a;
}

/* The record the remote directory gets: the local one, its files named where they are
 * there, where it came from, and the copy of the files before it, checked. */
static int make_remote_record(struct copy_src *s, const struct offhost_dir *d)
{
	json_t *j = json_deep_copy(s->r.json);
	char host[256] = "", ts[40], path[sizeof(d->abs) + 260];

	if (!j)
		return -ENOMEM;
	gethostname(host, sizeof(host) - 1);
	log_timestamp(ts, sizeof(ts));
	json_object_del(j, "dump_target_error");
	snprintf(path, sizeof(path), "%s/%s", d->abs, s->f[0].name);
	json_object_set_new(j, "dump_file", json_string(path));
	json_object_del(j, "dmesg_file");
	if (s->nf > 1) {
		snprintf(path, sizeof(path), "%s/%s", d->abs, DMESG_NAME);
		json_object_set_new(j, "dmesg_file", json_string(path));
	}
	json_object_set_new(j, "copied_from",
			    json_pack("{s:s, s:s, s:s, s:s}", "host", host, "dir", s->dir,
				      "dump_file", s->r.dump_file, "time", ts));
	json_object_set_new(j, "dump_target",
			    json_pack("{s:s, s:s, s:o, s:b}", "url", d->t->url, "remote_dir",
				      d->abs, "files", files_json(s, s->nf), "verified", 1));
	s->remote_record = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!s->remote_record)
		return -ENOMEM;
	struct copy_file *f = &s->f[s->nf++];
	snprintf(f->name, sizeof(f->name), "%s", RECORD_NAME);
	f->fd = -1;
	f->buf = s->remote_record;
	f->bytes = strlen(s->remote_record);
	return 0;
}

/* Copy S's files into D (each checked), then rename them into place.  0 or -errno, WHY. */
static int send_all(struct copy_src *s, struct offhost_dir *d, char *why, size_t whylen)
{
	const char *names[3];
	char label[400];
	int r = 0;

	snprintf(label, sizeof(label), "copy of %s %" PRIu64 " to %s", s->r.vm, s->r.crash,
		 d->t->where);
	for (size_t i = 0; i < s->nf && r == 0; i++)
		r = offhost_put(d, s->f[i].name, s->f[i].fd, NULL, s->f[i].bytes, label,
				s->f[i].sha256, why, whylen);
	if (r == 0)
		r = make_remote_record(s, d);
	if (r == 0)
		r = offhost_put(d, RECORD_NAME, -1, s->remote_record, s->f[s->nf - 1].bytes, NULL,
				s->f[s->nf - 1].sha256, why, whylen);
	for (size_t i = 0; i < s->nf; i++)
		names[i] = s->f[i].name;
	if (r == 0)
		r = offhost_commit(d, names, s->nf, why, whylen);
	if (r < 0 && r != -ENOMEM && d->abs[0])
		offhost_abort(d, names, s->nf);
	return r;
}

static json_t *target_json(const struct copy_src *s, const struct offhost_dir *d,
			   long long ms, bool dropped)
{
	char ts[40];

	log_timestamp(ts, sizeof(ts));
	return json_pack("{s:s, s:s, s:o, s:b, s:I, s:s, s:b}", "url", d->t->url, "remote_dir",
			 d->abs, "files", files_json(s, s->nf), "verified", 1, "copy_ms",
			 (json_int_t)ms, "time", ts, "local_dropped", dropped);
}

/* Record the copy, then drop the local dump when asked (the record says where the copy is
 * before the dump goes).  0 or -errno with WHY. */
static int record_copy(struct copy_src *s, const struct offhost_dir *d, long long ms,
		       bool drop_local, char *why, size_t whylen)
{
	json_t *c = json_object();
	int r;

	json_object_set_new(c, "dump_target", target_json(s, d, ms, false));
	if (json_object_get(s->r.json, "dump_target_error"))
		json_object_set_new(c, "dump_target_error", json_null());
	r = record_merge(s->dir, c);
	if (r < 0) {
		why_set(why, whylen, "copied and checked, but the record %s/%s could not be "
			"updated (%s): the local dump is kept", s->dir, RECORD_NAME, strerror(-r));
		return r;
	}
	if (!drop_local)
		return 0;
	if (unlinkat(s->dfd, s->f[0].name, 0) < 0 || fsync(s->dfd) < 0) {
		r = -errno;
		why_set(why, whylen, "copied and checked, but %s/%s could not be removed: %s",
			s->dir, s->f[0].name, strerror(-r));
		return r;
	}
	c = json_pack("{s:o}", "dump_target", target_json(s, d, ms, true));
	r = record_merge(s->dir, c);
	if (r < 0)
		why_set(why, whylen, "the local dump was dropped after its copy, but the record "
			"could not say so (%s)", strerror(-r));
	return r;
}

static void log_done(const struct copy_src *s, const struct offhost_dir *d, long long ms,
		     bool dropped)
{
	char size[32], rate[32];

	size_human(d->sent, size, sizeof(size));
	size_human(ms > 0 ? d->sent * 1000 / (uint64_t)ms : d->sent, rate, sizeof(rate));
	log_info("copied crash %s %" PRIu64 " to %s in %lld.%01lld s (%s, %s/s), every file "
		 "checked (SHA-256): %s on %s%s", s->r.vm, s->r.crash, d->t->url, ms / 1000,
		 ms % 1000 / 100, size, rate, d->abs, d->t->where,
		 dropped ? "; the local dump is dropped" : "");
}

int offhost_copy(const char *crash_dir, const struct dump_target *t,
		 const struct offhost_opts *o, bool drop_local, char *why, size_t whylen)
{
	struct copy_src s = { .dfd = -1 };
	struct offhost_dir d;
	char size[32];
	long long t0 = clock_ms();
	int r = 0;

	for (size_t i = 0; i < o->noptions && r == 0; i++)
		r = offhost_option_check(o->options[i], why, whylen);
	if (r == 0)
		r = src_open(crash_dir, &s, why, whylen);
	if (r < 0) {
		src_close(&s);
		return -EINVAL;
	}
	log_info("copying crash %s %" PRIu64 " to %s: %s (%s)%s, %s", s.r.vm, s.r.crash, t->url,
		 s.f[0].name, size_human(s.f[0].bytes, size, sizeof(size)),
		 s.nf > 1 ? ", " DMESG_NAME : "", RECORD_NAME);
	r = offhost_open(&d, t, o, s.name, why, whylen);
	if (r == 0)
		r = send_all(&s, &d, why, whylen);
	if (r < 0) {
		char ts[40];
		log_timestamp(ts, sizeof(ts));
		log_err("copy of crash %s %" PRIu64 " to %s failed: %s; the local dump is kept",
			s.r.vm, s.r.crash, t->url, why);
		record_merge(s.dir, json_pack("{s:{s:s, s:s, s:s}}", "dump_target_error", "url",
					      t->url, "error", why, "time", ts));
		src_close(&s);
		return r;
	}
	long long ms = clock_ms() - t0;
	r = record_copy(&s, &d, ms, drop_local, why, whylen);
	if (r == 0)
		log_done(&s, &d, ms, drop_local);
	else
		log_err("%s", why);
	src_close(&s);
	return r;
}
