// SPDX-License-Identifier: GPL-2.0-or-later
// `hvdump save --from CRASH-DIR`: write the dump of a crash whose hvdump is gone.  When
// `hvdump run` stops with unsaved crashes it keeps their memory in RUN-DIR/crash-N.ram (and
// crash-N.dimm-I) and says where in each crash record.  This rebuilds what the live saver was
// given (the capture boot's layout, the ELF core header's offset, the DIMM files at their
// addresses) from the record, checks it against the header in the kept file, and runs the
// same saver in the foreground.  It only reads the kept memory: other crashes preserved in the
// same file (a crash of a capture guest) still need it.
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
#include <time.h>
#include <unistd.h>

#include "cli/save_offline.h"
#include "util/clock.h"
#include "dump/layout.h"
#include "dump/saver.h"
#include "format/elfcore.h"
#include "format/kdump.h"
#include "util/log.h"
#include "util/progress.h"
#include "util/size.h"
#include "vm/config.h"
#include "vm/record.h"
#include "vm/rundir.h"

#define HDR_READ (1u << 20) /* what the saver reads of the header, too */

/* Exit codes: as the rest of `hvdump save`. */
#define EX_REFUSED 1
#define EX_USAGE 2

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}


/* A non-negative integer member KEY of O (false if missing, not an integer, negative). */
static bool get_u64(const json_t *o, const char *key, uint64_t *v)
{
	const json_t *j = json_object_get(o, key);

	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return false;
	*v = (uint64_t)json_integer_value(j);
	return true;
}

struct offline {
	char dir[PATH_MAX];
	char record[PATH_MAX + 16];
	const char *vm, *state, *ram_file;
	uint64_t crash;
	struct machine_layout layout;
	uint64_t hdr_off, hdr_gpa;
	struct saver_dimm dimms[SAVER_MAX_DIMMS];
	size_t ndimms;
	json_t *rec;
};

/* Check the record's "capture" section and "dimms"; fill O.  On error, one line in WHY. */
static int check_capture(struct offline *o, char *why, size_t len)
{
	const json_t *cap = json_object_get(o->rec, "capture");
	const json_t *segs = json_object_get(cap, "segments"), *dimms, *seg;
	size_t i;

	if (!json_is_object(cap)) {
		snprintf(why, len, "no \"capture\" section (not an assisted dump kept by hvdump)");
		return -EINVAL;
	}
	if (!get_u64(cap, "ram_file_bytes", &o->layout.ram_size) ||
	    !get_u64(cap, "lowmem_bytes", &o->layout.lowmem) ||
	    !get_u64(cap, "elfcorehdr_offset", &o->hdr_off) ||
	    !get_u64(cap, "elfcorehdr_gpa", &o->hdr_gpa)) {
		snprintf(why, len, "capture.ram_file_bytes, lowmem_bytes, elfcorehdr_offset and "
			 "elfcorehdr_gpa must be non-negative integers");
		return -EINVAL;
	}
	if (!o->layout.ram_size || !o->layout.lowmem || o->layout.lowmem > o->layout.ram_size ||
	    o->layout.lowmem > LAYOUT_4G || o->layout.lowmem % LAYOUT_PAGE ||
	    o->layout.ram_size % LAYOUT_PAGE) {
		snprintf(why, len, "capture.ram_file_bytes/lowmem_bytes (%llu/%llu) are not a "
			 "machine layout", (unsigned long long)o->layout.ram_size,
			 (unsigned long long)o->layout.lowmem);
		return -EINVAL;
	}
	if (o->hdr_off % LAYOUT_PAGE || o->hdr_off >= o->layout.ram_size ||
	    layout_off_to_gpa(&o->layout, o->hdr_off) != o->hdr_gpa) {
		snprintf(why, len, "capture.elfcorehdr_offset %llu does not match elfcorehdr_gpa "
			 "0x%llx in this layout", (unsigned long long)o->hdr_off,
			 (unsigned long long)o->hdr_gpa);
		return -EINVAL;
	}
	dimms = json_object_get(o->rec, "dimms");
	if (dimms && !json_is_array(dimms)) {
		snprintf(why, len, "\"dimms\" must be an array");
		return -EINVAL;
	}
	if (json_array_size(dimms) > SAVER_MAX_DIMMS) {
		snprintf(why, len, "more than %d DIMM files", SAVER_MAX_DIMMS);
		return -EINVAL;
	}
	json_array_foreach(dimms, i, seg) {
		struct saver_dimm *d = &o->dimms[o->ndimms++];
		const char *file = json_string_value(json_object_get(seg, "file"));
		if (!file || file[0] != '/' || !get_u64(seg, "gpa", &d->gpa) ||
		    !get_u64(seg, "bytes", &d->size) || !d->size || d->gpa % LAYOUT_PAGE ||
		    d->size % LAYOUT_PAGE || d->gpa + d->size < d->gpa ||
		    d->gpa < layout_device_memory_base(&o->layout)) {
			snprintf(why, len, "dimms[%zu] is malformed (file: absolute path; gpa, bytes: "
				 "page-aligned integers above the RAM file's memory)", i);
			return -EINVAL;
		}
		d->path = file;
	}
	if (!json_is_array(segs) || !json_array_size(segs)) {
		snprintf(why, len, "capture.segments must be a non-empty array");
		return -EINVAL;
	}
	json_array_foreach(segs, i, seg) {
		uint64_t paddr, bytes, at, off, want;
		const json_t *rf = json_object_get(seg, "ram_file_offset");
		if (!get_u64(seg, "paddr", &paddr) || !get_u64(seg, "bytes", &bytes) ||
		    !get_u64(seg, "now_at_gpa", &at) || !bytes || paddr % LAYOUT_PAGE ||
		    bytes % LAYOUT_PAGE || at % LAYOUT_PAGE || at + bytes < at ||
		    (!json_is_null(rf) && !get_u64(seg, "ram_file_offset", &off))) {
			snprintf(why, len, "capture.segments[%zu] is malformed (paddr, bytes, now_at_gpa: "
				 "page-aligned integers; ram_file_offset: integer or null)", i);
			return -EINVAL;
		}
		if (!json_is_null(rf) &&
		    (layout_gpa_to_off(&o->layout, at, &want) < 0 || want != off)) {
			snprintf(why, len, "capture.segments[%zu]: ram_file_offset %llu is not where "
				 "now_at_gpa 0x%llx is in this layout", i, (unsigned long long)off,
				 (unsigned long long)at);
			return -EINVAL;
		}
		if (json_is_null(rf)) {
			size_t k;
			for (k = 0; k < o->ndimms; k++)
				if (at >= o->dimms[k].gpa && at + bytes <= o->dimms[k].gpa + o->dimms[k].size)
					break;
			if (k == o->ndimms) {
				snprintf(why, len, "capture.segments[%zu] (0x%llx, %llu bytes) is in no "
					 "DIMM file of \"dimms\"", i, (unsigned long long)at,
					 (unsigned long long)bytes);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* Do the ELF core header in the kept file and the record's segments agree?  WHY on error. */
static int check_header(struct offline *o, int fd, char *why, size_t len)
{
	const json_t *segs = json_object_get(json_object_get(o->rec, "capture"), "segments");
	struct elfcore_segment *es = NULL;
	size_t nes = 0, need = 0, k = 0;
	uint8_t *hdr = calloc(1, HDR_READ);
	ssize_t got;
	int r;

	if (!hdr)
		return -ENOMEM;
	got = pread(fd, hdr, HDR_READ, (off_t)o->hdr_off);
	r = got <= 0 ? -EIO : elfcore_parse(hdr, (size_t)got, 0, &es, &nes, &need);
	if (r < 0) {
		snprintf(why, len, "no valid ELF core header at offset %llu of %s (%s)",
			 (unsigned long long)o->hdr_off, o->ram_file, strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < nes; i++) {
		const json_t *s = json_array_get(segs, k);
		uint64_t paddr = 0, bytes = 0, at = 0;
		if (es[i].type != 1 /* PT_LOAD */)
			continue;
		if (!s || !get_u64(s, "paddr", &paddr) || !get_u64(s, "bytes", &bytes) ||
		    !get_u64(s, "now_at_gpa", &at) || paddr != es[i].paddr || bytes != es[i].memsz ||
		    at != es[i].offset) {
			snprintf(why, len, "capture.segments[%zu] differs from the ELF core header in %s",
				 k, o->ram_file);
			r = -EINVAL;
			goto out;
		}
		k++;
	}
	if (k != json_array_size(segs)) {
		snprintf(why, len, "the record has %zu segments, the ELF core header in %s %zu",
			 json_array_size(segs), o->ram_file, k);
		r = -EINVAL;
	}
out:
	free(es);
	free(hdr);
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

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int save_offline(const char *from, const struct save_offline_opts *opt)
{
	struct offline *o = calloc(1, sizeof(*o));
	char why[1024], run_dir[PATH_MAX], pid[32], out[PATH_MAX + 32], part[PATH_MAX + 48];
	char a[32], b[32];
	const char *fmt_name;
	struct saver_config sc = { 0 };
	struct saver *s = NULL;
	struct progress pg;
	struct sigaction sa, old_int, old_term;
	struct stat st;
	json_error_t je;
	enum save_format format;
	bool kdump_part, elf_part;
	uint64_t done, total, left_out = 0;
	long long t0;
	int rc = EX_USAGE, lock_fd = -1, fd, r, result = 0;

	if (!o)
		return 1;
	if (!realpath(from, o->dir)) {
		log_err("--from %s: %s", from, strerror(errno));
		goto out;
	}
	snprintf(o->record, sizeof(o->record), "%s/crash.json", o->dir);
	o->rec = json_load_file(o->record, 0, &je);
	if (!o->rec) {
		log_err("%s: %s (line %d)", o->record, je.text, je.line);
		goto out;
	}
	if (!json_is_object(o->rec) ||
	    !json_string_value(json_object_get(o->rec, "format")) ||
	    strcmp(json_string_value(json_object_get(o->rec, "format")), "hvdump-crash-record/1")) {
		log_err("%s is not a crash record (format hvdump-crash-record/1)", o->record);
		goto out;
	}
	o->vm = json_string_value(json_object_get(o->rec, "vm"));
	o->state = json_string_value(json_object_get(o->rec, "state"));
	o->ram_file = json_string_value(json_object_get(o->rec, "ram_file"));
	if (!o->vm || !vm_name_valid(o->vm) || !get_u64(o->rec, "crash", &o->crash) ||
	    !o->crash || !o->state || !o->ram_file || o->ram_file[0] != '/') {
		log_err("%s: \"vm\" (a VM name), \"crash\" (a number from 1), \"state\" and "
			"\"ram_file\" (an absolute path) are required", o->record);
		goto out;
	}
	if (!strcmp(o->state, "saved") || !strcmp(o->state, "saved-by-guest")) {
		const char *f = json_string_value(json_object_get(o->rec, "dump_file"));
		log_err("the dump of %s is saved already%s%s; nothing to do", o->dir,
			f ? ": " : "", f ? f : "");
		rc = EX_REFUSED;
		goto out;
	}
	if (!strcmp(o->state, "discarded")) {
		log_err("the dump of %s was discarded; its memory is gone", o->dir);
		rc = EX_REFUSED;
		goto out;
	}
	if (strcmp(o->state, "preserved-unsaved") && strcmp(o->state, "preserved") &&
	    strcmp(o->state, "capture-running") && strcmp(o->state, "save-failed")) {
		log_err("%s: state \"%s\" is not a preserved crash (preserved-unsaved, or preserved, "
			"capture-running, save-failed when hvdump was killed)", o->record, o->state);
		rc = EX_REFUSED;
		goto out;
	}
	if (check_capture(o, why, sizeof(why)) < 0) {
		log_err("%s: %s", o->record, why);
		goto out;
	}

	/* nobody else may hold the crash: a running hvdump saves it itself */
	run_dir_of(o->ram_file, run_dir, sizeof(run_dir));
	r = lock_run_dir(run_dir, &lock_fd, pid, sizeof(pid));
	if (r == -EBUSY) {
		char def[PATH_MAX + 64];
		snprintf(def, sizeof(def), "%s/%s", rundir_default_base(), o->vm);
		if (!strcmp(def, run_dir))
			log_err("a running hvdump (pid %s) still holds this crash: use `hvdump save "
				"--name %s --resume` instead", *pid ? pid : "unknown", o->vm);
		else
			log_err("a running hvdump (pid %s) still holds this crash: use `hvdump save "
				"--run-dir %s --resume` instead", *pid ? pid : "unknown", run_dir);
		rc = EX_REFUSED;
		goto out;
	}
	if (r < 0) {
		log_err("cannot open the lock of run directory %s: %s", run_dir, strerror(-r));
		rc = EX_REFUSED;
		goto out;
	}
	r = stat(o->ram_file, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
	if (r < 0) {
		log_err("the kept memory %s is gone (%s): this dump cannot be written any more",
			o->ram_file, r == -EINVAL ? "not a file" : strerror(-r));
		rc = EX_REFUSED;
		goto out;
	}
	if ((uint64_t)st.st_size < o->layout.ram_size) {
		log_err("the kept memory %s has %lld bytes, the capture boot had %llu: it is not this "
			"crash's file, or it was cut", o->ram_file, (long long)st.st_size,
			(unsigned long long)o->layout.ram_size);
		rc = EX_REFUSED;
		goto out;
	}
	for (size_t i = 0; i < o->ndimms; i++) {
		if (stat(o->dimms[i].path, &st) < 0 || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size < o->dimms[i].size) {
			log_err("the kept DIMM file %s is gone or short: this dump cannot be written "
				"whole any more", o->dimms[i].path);
			rc = EX_REFUSED;
			goto out;
		}
	}
	fd = open(o->ram_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_err("cannot open %s: %s", o->ram_file, strerror(errno));
		rc = EX_REFUSED;
		goto out;
	}
	r = check_header(o, fd, why, sizeof(why));
	close(fd);
	if (r < 0) {
		log_err("%s", r == -ENOMEM ? strerror(ENOMEM) : why);
		goto out;
	}

	/* The format: a partial dump is continued, never restarted (what it saved may have been
	 * freed by the live saver), so it decides unless the operator asked for the other. */
	snprintf(part, sizeof(part), "%s/vmcore.kdump.part", o->dir);
	kdump_part = is_file(part);
	snprintf(out, sizeof(out), "%s/vmcore.elf", o->dir);
	elf_part = saver_read_progress(out, &done) == 0;
	if (opt->format)
		format = strcmp(opt->format, "elf") ? SAVE_KDUMP : SAVE_ELF;
	else
		format = elf_part && !kdump_part ? SAVE_ELF : SAVE_KDUMP;
	if ((format == SAVE_ELF && kdump_part) || (format == SAVE_KDUMP && elf_part)) {
		log_err("%s holds a partial %s dump whose saved part may be freed already: continue "
			"it with --save-format %s", o->dir, kdump_part ? "kdump" : "ELF",
			kdump_part ? "kdump" : "elf");
		rc = EX_REFUSED;
		goto out;
	}
	snprintf(out, sizeof(out), "%s/%s", o->dir,
		 format == SAVE_KDUMP ? "vmcore.kdump" : "vmcore.elf");
	sc.resume = format == SAVE_KDUMP ? kdump_part : elf_part;
	if (!sc.resume && access(out, F_OK) == 0) {
		log_err("%s exists but the record does not say saved; not writing it again (move it "
			"away to write the dump afresh)", out);
		rc = EX_REFUSED;
		goto out;
	}
	if (sc.resume && format == SAVE_KDUMP && (opt->compress || opt->dump_level))
		log_warn("continuing %s.part: its own compression and dump level apply, not "
			 "--compress/--dump-level", out);
	sc.ram_path = o->ram_file;
	sc.layout = o->layout;
	sc.dimms = o->dimms;
	sc.ndimms = o->ndimms;
	sc.hdr_off = o->hdr_off;
	sc.out_path = out;
	sc.format = format;
	sc.chunk = 64ull << 20;
	sc.threads = opt->threads;
	sc.dump_level = format == SAVE_KDUMP ? opt->dump_level : 0;
	if (format == SAVE_KDUMP) {
		enum kdump_compression kc;
		if (kdump_compression_parse(opt->compress ? opt->compress : "zstd", &kc) < 0)
			goto out; /* the CLI checked it */
		sc.compression = (int)kc;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	t0 = clock_ms();
	r = saver_start(&sc, &s);
	if (r < 0) {
		log_err("cannot start saving %s: %s", out, strerror(-r));
		rc = EX_REFUSED;
		goto restore;
	}
	log_info("%s the dump of crash %llu of %s to %s from %s%s", sc.resume ? "resuming" : "saving",
		 (unsigned long long)o->crash, o->vm, out, o->ram_file,
		 o->ndimms ? " and its DIMM files" : "");
	progress_start(&pg, sc.resume ? "resuming" : "saving", 0, true);
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
		saver_progress(s, &done, &total);
		pg.total = total;
		progress_update(&pg, done);
		if (saver_finished(s, &result, why, sizeof(why)))
			break;
	}
	progress_end(&pg);
	if (result < 0) {
		if (result == -ECANCELED)
			log_err("saving %s stopped on request", out);
		else
			log_err("saving %s failed: %s", out, why);
		log_err("what was saved is kept in %s.part; run `hvdump save --from %s` again to "
			"continue", out, o->dir);
		record_update(o->dir, NULL, /* the state stays: still preserved, unsaved */
			      json_pack("{s:s}", "save_error", result == -ECANCELED ? "stopped" : why));
		rc = EX_REFUSED;
		goto free_saver;
	}

	/* what went into the file: the dump level is the writer's (a resumed kdump file keeps
	 * the one it was started with) */
	{
		char warn[512];
		json_t *c;
		unsigned level = 0;

		if (format == SAVE_KDUMP && saver_filter_result(s, &left_out, warn, sizeof(warn)) &&
		    !warn[0])
			level = sc.dump_level;
		else if (format == SAVE_KDUMP && warn[0])
			log_warn("%s", warn);
		if (format == SAVE_KDUMP && sc.resume) {
			int kfd = open(out, O_RDONLY | O_CLOEXEC);
			struct kdump *k = NULL;
			if (kfd >= 0 && kdump_open(kfd, 0, &k, NULL, 0) == 0) {
				level = (unsigned)kdump_get_info(k)->dump_level;
				kdump_close(k);
			}
			if (kfd >= 0)
				close(kfd);
		}
		fmt_name = format == SAVE_ELF ? "elf" : NULL;
		snprintf(why, sizeof(why), "kdump-%s", opt->compress ? opt->compress : "zstd");
		c = json_pack("{s:s, s:s, s:I, s:i, s:s}", "dump_file", out, "dump_format",
			      fmt_name ? fmt_name : sc.resume ? "kdump" : why, "save_ms",
			      (json_int_t)(clock_ms() - t0), "dump_level", (int)level, "saved_by",
			      "hvdump save --from");
		if (!sc.resume || format == SAVE_ELF)
			json_object_set_new(c, "pages_left_out", json_integer((json_int_t)left_out));
		if (stat(out, &st) == 0)
			json_object_set_new(c, "dump_bytes", json_integer((json_int_t)st.st_size));
		record_update(o->dir, "saved", c);
	}
	log_info("dump saved: %s (%s of memory, %s) in %.1f s", out, size_human(total, a, sizeof(a)),
		 stat(out, &st) == 0 ? size_human((uint64_t)st.st_size, b, sizeof(b)) : "?",
		 (double)(clock_ms() - t0) / 1000.0);
	log_info("the crashed memory is still kept in %s%s; other crashes may be preserved in it "
		 "too: remove it (and the run directory %s) once every crash record naming it says "
		 "saved", o->ram_file, o->ndimms ? " and its DIMM files" : "", run_dir);
	rc = 0;
free_saver:
	saver_free(s);
restore:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
out:
	if (lock_fd >= 0)
		close(lock_fd);
	json_decref(o->rec);
	free(o);
	return rc;
}
