// SPDX-License-Identifier: GPL-2.0-or-later
// `hvdump save --from CRASH-DIR`: write the dump of a crash whose hvdump is gone.  When
// `hvdump run` stops with unsaved crashes it keeps their memory in RUN-DIR/crash-N.ram (and
// crash-N.dimm-I) and says where in each crash record.  This rebuilds what the live saver was
// given (the capture boot's layout, the ELF core header's offset, the DIMM files at their
// addresses) from the record, checks it against the header in the kept file, and runs the
// same saver in the foreground.  It only reads the kept memory: other crashes preserved in the
// same file (a crash of a capture guest) still need it.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/save_offline.h"
#include "dump/capture.h"
#include "dump/layout.h"
#include "dump/saveconf.h"
#include "dump/saver.h"
#include "dump/space.h"
#include "format/elfcore.h"
#include "format/kdump.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/progress.h"
#include "util/size.h"
#include "vm/record.h"
#include "vm/rundir.h"
#include "vm/saveflow.h"

/* Exit codes: as the rest of `hvdump save`. */
#define EX_REFUSED 1
#define EX_USAGE 2

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct offline {
	char dir[PATH_MAX];
	struct crash_record rec;
	char run_dir[PATH_MAX];
	int lock_fd;
	struct save_target target;
	struct saver_config sc;
	long long t0;
};

/* Do the ELF core header in the kept file and the record's segments agree?  WHY on error. */
static int check_header(struct offline *o, int fd, char *why, size_t len)
{
	struct elfcore_segment *es = NULL;
	size_t nes = 0, k = 0;
	int r = capture_read_header(fd, o->rec.hdr_off, &es, &nes);

	if (r < 0) {
		snprintf(why, len, "no valid ELF core header at offset %llu of %s (%s)",
			 (unsigned long long)o->rec.hdr_off, o->rec.ram_file, strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < nes; i++) {
		const struct record_segment *s = k < o->rec.nsegs ? &o->rec.segs[k] : NULL;
		if (es[i].type != PT_LOAD)
			continue;
		if (!s || s->paddr != es[i].paddr || s->bytes != es[i].memsz || s->at != es[i].offset) {
			snprintf(why, len, "capture.segments[%zu] differs from the ELF core header in %s",
				 k, o->rec.ram_file);
			r = -EINVAL;
			goto out;
		}
		k++;
	}
	if (k != o->rec.nsegs) {
		snprintf(why, len, "the record has %zu segments, the ELF core header in %s %zu",
			 o->rec.nsegs, o->rec.ram_file, k);
		r = -EINVAL;
	}
out:
	free(es);
	return r;
}

/* The run directory holding the kept memory (RAM-FILE's directory). */
static void run_dir_of(const char *ram_file, char *out, size_t len)
{
	const char *slash = strrchr(ram_file, '/');
	size_t n = slash ? (size_t)(slash - ram_file) : 0;

	snprintf(out, len, "%.*s", (int)(n ? n : 1), n ? ram_file : "/");
}

/* Take the run directory's lock, as `hvdump run` does, so that neither it nor another
 * `hvdump save --from` touches the crash while we save it.  -EBUSY: held (PID set).  A run
 * directory without a lock file (moved by hand) has nobody to exclude: 0 with *FD = -1. */
static int lock_run_dir(const char *run_dir, int *fd, char *pid, size_t len)
{
	char path[PATH_MAX + 8];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/lock", run_dir);
	*fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (*fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	n = pread(*fd, pid, len - 1, 0);
	pid[n > 0 ? n : 0] = '\0';
	pid[strcspn(pid, "\n")] = '\0';
	close(*fd);
	*fd = -1;
	return -EBUSY;
}

/* The dump is complete: say so in the record, with what went into the file (the dump level
 * is the writer's: a continued kdump file keeps the one it was started with). */
static void record_saved(struct offline *o, struct saver *s)
{
	bool kdump = o->target.format == SAVE_KDUMP;
	char warn[512], fmt[32];
	uint64_t left_out = 0;
	unsigned level = 0;
	struct stat st;
	json_t *c;

	if (kdump && saver_filter_result(s, &left_out, warn, sizeof(warn)) && !warn[0])
		level = o->sc.dump_level;
	else if (kdump && warn[0])
		log_warn("%s", warn);
	if (kdump && o->sc.resume) {
		int kfd = open(o->target.out, O_RDONLY | O_CLOEXEC);
		struct kdump *k = NULL;
		if (kfd >= 0 && kdump_open(kfd, 0, &k, NULL, 0) == 0) {
			level = (unsigned)kdump_get_info(k)->dump_level;
			kdump_close(k);
		}
		if (kfd >= 0)
			close(kfd);
	}
	/* a continued kdump file keeps the compression it was started with: "kdump" */
	c = json_pack("{s:s, s:s, s:I, s:i, s:s}", "dump_file", o->target.out, "dump_format",
		      kdump && o->sc.resume ? "kdump"
					    : save_format_name(o->target.format,
							       (enum kdump_compression)o->sc.compression,
							       fmt, sizeof(fmt)),
		      "save_ms", (json_int_t)(clock_ms() - o->t0), "dump_level", (int)level,
		      "saved_by", "hvdump save --from");
	if (!o->sc.resume || !kdump)
		json_object_set_new(c, "pages_left_out", json_integer((json_int_t)left_out));
	if (stat(o->target.out, &st) == 0)
		json_object_set_new(c, "dump_bytes", json_integer((json_int_t)st.st_size));
	record_update(o->dir, CRASH_SAVED, c);
	save_write_dmesg(o->dir, o->target.out);
}

/* Read and check the record: a preserved crash with a capture section.  An exit code. */
static int load_record(struct offline *o, const char *from)
{
	char why[1024];

	if (!realpath(from, o->dir)) {
		log_err("--from %s: %s", from, strerror(errno));
		return EX_USAGE;
	}
	if (record_read(o->dir, &o->rec, why, sizeof(why)) < 0) {
		log_err("%s", why);
		return EX_USAGE;
	}
	switch (o->rec.state) {
	case CRASH_SAVED:
	case CRASH_SAVED_BY_GUEST:
		log_err("the dump of %s is saved already%s%s; nothing to do", o->dir,
			o->rec.dump_file ? ": " : "", o->rec.dump_file ? o->rec.dump_file : "");
		return EX_REFUSED;
	case CRASH_DISCARDED:
		log_err("the dump of %s was discarded; its memory is gone", o->dir);
		return EX_REFUSED;
	default:
		break;
	}
	if (o->rec.released_by_guest) {
		log_err("%s/crash.json: the capture guest's saver freed part of this crash before "
			"it stopped (that part is in the dump it wrote to its disk): a dump from the "
			"kept memory would hold zeros there, so none is written", o->dir);
		return EX_REFUSED;
	}
	if (!crash_state_unsaved(o->rec.state)) {
		log_err("%s/crash.json: state \"%s\" is not a preserved crash (preserved-unsaved, or "
			"preserved, capture-running, save-failed when hvdump was killed)", o->dir,
			crash_state_name(o->rec.state));
		return EX_REFUSED;
	}
	if (record_read_capture(&o->rec, why, sizeof(why)) < 0) {
		log_err("%s/crash.json: %s", o->dir, why);
		return EX_USAGE;
	}
	return 0;
}

/* Nobody else may hold the crash (a running hvdump saves it itself), and its kept memory must
 * be whole and match the record.  An exit code. */
static int claim_memory(struct offline *o)
{
	char pid[32], why[1024];
	struct stat st;
	int r, fd;

	run_dir_of(o->rec.ram_file, o->run_dir, sizeof(o->run_dir));
	r = lock_run_dir(o->run_dir, &o->lock_fd, pid, sizeof(pid));
	if (r == -EBUSY) {
		char def[PATH_MAX + 64];
		snprintf(def, sizeof(def), "%s/%s", rundir_default_base(), o->rec.vm);
		if (!strcmp(def, o->run_dir))
			log_err("a running hvdump (pid %s) still holds this crash: use `hvdump save "
				"--name %s --resume` instead", *pid ? pid : "unknown", o->rec.vm);
		else
			log_err("a running hvdump (pid %s) still holds this crash: use `hvdump save "
				"--run-dir %s --resume` instead", *pid ? pid : "unknown", o->run_dir);
		return EX_REFUSED;
	}
	if (r < 0) {
		log_err("cannot open the lock of run directory %s: %s", o->run_dir, strerror(-r));
		return EX_REFUSED;
	}
	r = stat(o->rec.ram_file, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
	if (r < 0) {
		log_err("the kept memory %s is gone (%s): this dump cannot be written any more",
			o->rec.ram_file, r == -EINVAL ? "not a file" : strerror(-r));
		return EX_REFUSED;
	}
	if ((uint64_t)st.st_size < o->rec.layout.ram_size) {
		log_err("the kept memory %s has %lld bytes, the capture boot had %llu: it is not this "
			"crash's file, or it was cut", o->rec.ram_file, (long long)st.st_size,
			(unsigned long long)o->rec.layout.ram_size);
		return EX_REFUSED;
	}
	for (size_t i = 0; i < o->rec.ndimms; i++) {
		if (stat(o->rec.dimms[i].path, &st) < 0 || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size < o->rec.dimms[i].size) {
			log_err("the kept DIMM file %s is gone or short: this dump cannot be written "
				"whole any more", o->rec.dimms[i].path);
			return EX_REFUSED;
		}
	}
	fd = open(o->rec.ram_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_err("cannot open %s: %s", o->rec.ram_file, strerror(errno));
		return EX_REFUSED;
	}
	r = check_header(o, fd, why, sizeof(why));
	close(fd);
	if (r < 0) {
		log_err("%s", r == -ENOMEM ? strerror(ENOMEM) : why);
		return EX_USAGE;
	}
	return 0;
}

/* Room for the dump before it starts (dump/space.h), logged and said in the record: 0 with
 * *LEVEL (the dump level to save at) and *GUARD (the saver's min_free), or EX_REFUSED. */
static int check_space(struct offline *o, const struct save_offline_opts *opt,
		       const struct save_source *src, unsigned *level, uint64_t *guard)
{
	struct space_request rq = { .src = src, .t = &o->target,
				    .comp = opt->compress_set ? opt->compress : KDUMP_COMPRESS_ZSTD,
				    .dump_level = opt->dump_level, .min_free = opt->min_free };
	struct space_check c;
	char why[512], retry[PATH_MAX + 64];

	*level = opt->dump_level;
	if (space_check_run(&rq, &c, why, sizeof(why)) < 0) {
		*guard = space_reserve(0, opt->min_free);
		log_warn("space check skipped (%s): saving, with the guard keeping the file system's "
			 "last bytes free", why);
		return 0;
	}
	snprintf(retry, sizeof(retry), "hvdump save --from %s", o->dir);
	space_check_log(&c, o->dir, retry);
	record_merge(o->dir, space_check_json(&c));
	*level = c.dump_level;
	*guard = c.guard;
	return c.decision == SPACE_REFUSED ? EX_REFUSED : 0;
}

/* The dump to write and the saver's configuration.  An exit code. */
static int plan_save(struct offline *o, const struct save_offline_opts *opt)
{
	struct save_source src = {
		.ram_path = o->rec.ram_file,
		.layout = o->rec.layout,
		.dimms = o->rec.dimms,
		.ndimms = o->rec.ndimms,
		.hdr_off = o->rec.hdr_off,
	};
	enum save_format other = SAVE_KDUMP;
	unsigned level;
	uint64_t guard;
	int r = save_target_pick(o->dir, opt->format, &o->target, &other);

	/* a partial dump is continued, never restarted (what it saved may have been freed by
	 * the live saver), so it decides unless the operator asked for the other */
	if (r == -EXDEV) {
		log_err("%s holds a partial %s dump whose saved part may be freed already: continue "
			"it with --save-format %s", o->dir, other == SAVE_KDUMP ? "kdump" : "ELF",
			other == SAVE_KDUMP ? "kdump" : "elf");
		return EX_REFUSED;
	}
	if (r == -EEXIST) {
		log_err("%s exists but the record does not say saved; not writing it again (move it "
			"away to write the dump afresh)", o->target.out);
		return EX_REFUSED;
	}
	if (r < 0) {
		log_err("%s: %s", o->dir, strerror(-r));
		return EX_USAGE;
	}
	if (o->target.resume && o->target.format == SAVE_KDUMP &&
	    (opt->compress_set || opt->dump_level))
		log_warn("continuing %s.part: its own compression and dump level apply, not "
			 "--compress/--dump-level", o->target.out);
	if (check_space(o, opt, &src, &level, &guard))
		return EX_REFUSED;
	saver_config_fill(&o->sc, &src, &o->target,
			  opt->compress_set ? opt->compress : KDUMP_COMPRESS_ZSTD, level,
			  opt->threads, false);
	o->sc.min_free = guard;
	return 0;
}

/* Run the saver in the foreground until it ends (SIGINT/SIGTERM stop it with what is durable
 * kept).  *RESULT and WHY as saver_finished(). */
static int run_saver(struct offline *o, int *result, char *why, size_t len, uint64_t *total)
{
	struct sigaction sa, old_int, old_term;
	struct saver *s = NULL;
	struct progress pg;
	uint64_t done = 0;
	int r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	o->t0 = clock_ms();
	r = saver_start(&o->sc, &s);
	if (r < 0) {
		log_err("cannot start saving %s: %s", o->target.out, strerror(-r));
		goto restore;
	}
	log_info("%s the dump of crash %llu of %s to %s from %s%s",
		 o->sc.resume ? "resuming" : "saving", (unsigned long long)o->rec.crash, o->rec.vm,
		 o->target.out, o->rec.ram_file, o->rec.ndimms ? " and its DIMM files" : "");
	progress_start(&pg, o->sc.resume ? "resuming" : "saving", 0, true);
	for (;;) {
		struct pollfd p = { .fd = saver_event_fd(s), .events = POLLIN };
		struct saver_range rg[256];

		if (stop_requested) {
			saver_stop(s); /* the dump file's resume record keeps what is durable */
			stop_requested = 0;
		}
		(void)poll(&p, 1, 500);
		while (saver_take(s, rg, 256) > 0)
			; /* durable ranges: nothing to release, the kept memory stays */
		saver_progress(s, &done, total);
		pg.total = *total;
		progress_update(&pg, done);
		if (saver_finished(s, result, why, len))
			break;
	}
	progress_end(&pg);
	if (*result == 0)
		record_saved(o, s);
	saver_free(s);
restore:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return r;
}

int save_offline(const char *from, const struct save_offline_opts *opt)
{
	struct offline *o = calloc(1, sizeof(*o));
	char why[1024], a[32], b[32];
	struct stat st;
	uint64_t total = 0;
	int rc, result = 0;

	if (!o)
		return EX_REFUSED;
	o->lock_fd = -1;
	if ((rc = load_record(o, from)) || (rc = claim_memory(o)) || (rc = plan_save(o, opt)))
		goto out;
	rc = EX_REFUSED;
	if (run_saver(o, &result, why, sizeof(why), &total) < 0)
		goto out;
	if (result < 0) {
		if (result == -ECANCELED)
			log_err("saving %s stopped on request", o->target.out);
		else
			log_err("saving %s failed: %s", o->target.out, why);
		log_err("what was saved is kept in %s.part; run `hvdump save --from %s` again to "
			"continue", o->target.out, o->dir);
		/* the state stays: still preserved, unsaved */
		record_merge(o->dir, json_pack("{s:s}", "save_error",
					       result == -ECANCELED ? "stopped" : why));
		goto out;
	}
	log_info("dump saved: %s (%s of memory, %s) in %.1f s", o->target.out,
		 size_human(total, a, sizeof(a)),
		 stat(o->target.out, &st) == 0 ? size_human((uint64_t)st.st_size, b, sizeof(b)) : "?",
		 (double)(clock_ms() - o->t0) / 1000.0);
	log_info("the crashed memory is still kept in %s%s; other crashes may be preserved in it "
		 "too: remove it (and the run directory %s) once every crash record naming it says "
		 "saved", o->rec.ram_file, o->rec.ndimms ? " and its DIMM files" : "", o->run_dir);
	rc = 0;
out:
	if (o->lock_fd >= 0)
		close(o->lock_fd);
	record_free(&o->rec);
	free(o);
	return rc;
}
