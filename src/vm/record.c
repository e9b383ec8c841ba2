// SPDX-License-Identifier: GPL-2.0-or-later
// Crash records: one state machine, atomic writes with space kept for the last one, and a
// reader that checks what it hands on (a record is a file we may not have written).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/log.h"
#include "vm/config.h"
#include "vm/record.h"

static const char *const state_names[CRASH_STATE_COUNT] = {
	[CRASH_CRASHED] = "crashed",
	[CRASH_PRESERVED] = "preserved",
	[CRASH_CAPTURE_RUNNING] = "capture-running",
	[CRASH_SAVE_FAILED] = "save-failed",
	[CRASH_PRESERVED_UNSAVED] = "preserved-unsaved",
	[CRASH_SAVED] = "saved",
	[CRASH_SAVED_BY_GUEST] = "saved-by-guest",
	[CRASH_DISCARDED] = "discarded",
	[CRASH_DUMPED] = "dumped",
	[CRASH_DUMP_FAILED] = "dump-failed",
};

const char *crash_state_name(enum crash_state s)
{
	return (unsigned)s < CRASH_STATE_COUNT ? state_names[s] : "unknown";
}

int crash_state_parse(const char *name, enum crash_state *s)
{
	for (unsigned i = 0; name && i < CRASH_STATE_COUNT; i++)
		if (!strcmp(name, state_names[i])) {
			*s = (enum crash_state)i;
			return 0;
		}
	return -EINVAL;
}

bool crash_state_final(enum crash_state s)
{
	return s == CRASH_SAVED || s == CRASH_SAVED_BY_GUEST || s == CRASH_DISCARDED ||
	       s == CRASH_DUMPED;
}

bool crash_state_unsaved(enum crash_state s)
{
	return s == CRASH_PRESERVED || s == CRASH_CAPTURE_RUNNING || s == CRASH_SAVE_FAILED ||
	       s == CRASH_PRESERVED_UNSAVED;
}

bool crash_state_may_become(enum crash_state from, enum crash_state to)
{
	if ((unsigned)from >= CRASH_STATE_COUNT || (unsigned)to >= CRASH_STATE_COUNT ||
	    crash_state_final(from))
		return false;
	if (from == CRASH_CRASHED || from == CRASH_DUMP_FAILED)
		return to == CRASH_PRESERVED || to == CRASH_DUMPED || to == CRASH_DUMP_FAILED;
	/* unsaved: its memory is held until a dump is written or it is dropped */
	if (to == CRASH_CRASHED || to == CRASH_PRESERVED || to == CRASH_DUMPED ||
	    to == CRASH_DUMP_FAILED)
		return false;
	/* kept in a file of its own, no capture guest has it any more */
	return !(from == CRASH_PRESERVED_UNSAVED &&
		 (to == CRASH_CAPTURE_RUNNING || to == CRASH_SAVED_BY_GUEST));
}

/* ---- writing ------------------------------------------------------------------------------ */

/* Space kept beside each crash record (DIR/.record-reserve) so that the record can still be
 * written when the dump has filled the file system: a save that failed for want of space
 * must be able to say so where the dump is. */
#define RECORD_RESERVE (256u << 10)

static void reserve_path(const char *dir, char *path, size_t len)
{
	snprintf(path, len, "%s/.record-reserve", dir);
}

/* (Re)create DIR's reserve; best effort (a file system without fallocate gets none). */
static void record_reserve(const char *dir)
{
	char path[4200];
	int fd;

	reserve_path(dir, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	if (posix_fallocate(fd, 0, RECORD_RESERVE) != 0) {
		close(fd);
		unlink(path);
		return;
	}
	close(fd);
}

int record_write(const char *dir, json_t *j)
{
	char path[4200], rpath[4200], *text;
	int r;

	snprintf(path, sizeof(path), "%s/crash.json", dir);
	text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!text) {
		log_warn("cannot format the crash record %s", path);
		return -ENOMEM;
	}
	r = write_file_atomic(path, text, strlen(text), 0600);
	reserve_path(dir, rpath, sizeof(rpath));
	if ((r == -ENOSPC || r == -EDQUOT) && unlink(rpath) == 0) {
		r = write_file_atomic(path, text, strlen(text), 0600);
		if (r == 0)
			log_info("the file system holding %s is full: the crash record was written "
				 "into the space kept for it", dir);
		record_reserve(dir); /* again, for the next update, once there is room */
	}
	if (r < 0)
		log_warn("cannot write the crash record %s: %s", path, strerror(-r));
	free(text);
	return r;
}

static json_t *record_load(const char *dir)
{
	char path[4200];
	json_error_t e;

	snprintf(path, sizeof(path), "%s/crash.json", dir);
	return json_load_file(path, 0, &e);
}

/* STATE < 0: keep the state.  0 or -errno. */
static int update(const char *dir, int state, json_t *changes)
{
	json_t *j = record_load(dir);
	enum crash_state from;
	char ts[40];
	int r;

	if (!j) {
		log_warn("cannot reread the crash record in %s", dir);
		json_decref(changes);
		return -EIO;
	}
	if (state >= 0 &&
	    crash_state_parse(json_string_value(json_object_get(j, "state")), &from) == 0 &&
	    !crash_state_may_become(from, (enum crash_state)state)) {
		log_warn("crash record %s: not moving it from %s to %s", dir, crash_state_name(from),
			 crash_state_name((enum crash_state)state));
		json_decref(changes);
		json_decref(j);
		return -EPERM;
	}
	log_timestamp(ts, sizeof(ts));
	if (state >= 0)
		json_object_set_new(j, "state", json_string(crash_state_name((enum crash_state)state)));
	json_object_set_new(j, "updated", json_string(ts));
	if (changes) {
		json_object_update(j, changes);
		json_decref(changes);
	}
	r = record_write(dir, j);
	if (r == 0 && state >= 0 && crash_state_final((enum crash_state)state)) {
		char rpath[4200];
		reserve_path(dir, rpath, sizeof(rpath));
		unlink(rpath); /* final: the record will not grow again */
	}
	return r;
}

int record_update(const char *dir, enum crash_state state, json_t *changes)
{
	return update(dir, (int)state, changes);
}

int record_merge(const char *dir, json_t *changes)
{
	return update(dir, -1, changes);
}

int record_make_dir(const char *base, const char *name, char *out, size_t outlen)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	int r;

	char why[512] = "";

	r = path_check_private(base, why, sizeof(why));
	if (r < 0) {
		log_err("dump directory %s: %s", base, why[0] ? why : strerror(-r));
		return r;
	}
	r = mkdir_p(base, 0700);
	if (r < 0) {
		log_err("cannot create dump directory %s: %s", base, strerror(-r));
		return r;
	}
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	/* NAME-STAMP, -2 .. -9 for crashes in the same second, then a name nobody can guess:
	 * in a dump directory shared with others (sticky, like /tmp) the predictable names may
	 * all be taken on purpose, and the crash must still get a directory of its own */
	for (int i = 1; i <= RECORD_DIR_TRIES + 1; i++) {
		if (i == 1)
			r = snprintf(out, outlen, "%s/%s-%s", base, name, stamp);
		else if (i <= RECORD_DIR_TRIES)
			r = snprintf(out, outlen, "%s/%s-%s-%d", base, name, stamp, i);
		else
			r = snprintf(out, outlen, "%s/%s-%s-XXXXXX", base, name, stamp);
		if (r < 0 || (size_t)r >= outlen) {
			log_err("dump directory name for %s in %s is too long", name, base);
			return -ENAMETOOLONG;
		}
		if (i > RECORD_DIR_TRIES ? mkdtemp(out) != NULL : mkdir(out, 0700) == 0) {
			record_reserve(out);
			return 0;
		}
		if (errno != EEXIST) {
			r = -errno;
			log_err("cannot create %s: %s", out, strerror(errno));
			return r;
		}
	}
	log_err("cannot create a directory for the crash of %s in %s: every name is taken", name,
		base);
	return -EEXIST;
}

/* ---- reading ------------------------------------------------------------------------------ */

/* A non-negative integer member KEY of O (false if missing, not an integer, negative). */
static bool get_u64(const json_t *o, const char *key, uint64_t *v)
{
	const json_t *j = json_object_get(o, key);

	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return false;
	*v = (uint64_t)json_integer_value(j);
	return true;
}

void record_free(struct crash_record *r)
{
	json_decref(r->json);
	free(r->segs);
	memset(r, 0, sizeof(*r));
}

/* The checks of record_read() on R's JSON, loaded from NAME. */
static int record_check(struct crash_record *r, const char *name, char *why, size_t len)
{
	const char *fmt = json_string_value(json_object_get(r->json, "format")), *state;

	if (!json_is_object(r->json) || !fmt || strcmp(fmt, RECORD_FORMAT)) {
		snprintf(why, len, "%s is not a crash record (format " RECORD_FORMAT ")", name);
		return -EINVAL;
	}
	r->vm = json_string_value(json_object_get(r->json, "vm"));
	state = json_string_value(json_object_get(r->json, "state"));
	r->ram_file = json_string_value(json_object_get(r->json, "ram_file"));
	r->dump_file = json_string_value(json_object_get(r->json, "dump_file"));
	r->released_by_guest = json_is_true(json_object_get(r->json, "released_by_guest"));
	if (!r->vm || !vm_name_valid(r->vm) || !get_u64(r->json, "crash", &r->crash) ||
	    !r->crash || !state || !r->ram_file || r->ram_file[0] != '/') {
		snprintf(why, len, "%s: \"vm\" (a VM name), \"crash\" (a number from 1), \"state\" "
			 "and \"ram_file\" (an absolute path) are required", name);
		return -EINVAL;
	}
	if (crash_state_parse(state, &r->state) < 0) {
		snprintf(why, len, "%s: \"state\" \"%.64s\" is none of hvdump's", name, state);
		return -EINVAL;
	}
	return 0;
}

int record_read(const char *dir, struct crash_record *r, char *why, size_t len)
{
	char path[4200];
	json_error_t je;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/crash.json", dir);
	r->json = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!r->json) {
		snprintf(why, len, "%s: %s (line %d)", path, je.text, je.line);
		return access(path, F_OK) < 0 && errno == ENOENT ? -ENOENT : -EINVAL;
	}
	return record_check(r, path, why, len);
}

int record_parse(const char *text, size_t tlen, const char *name, struct crash_record *r,
		 char *why, size_t len)
{
	json_error_t je;

	memset(r, 0, sizeof(*r));
	r->json = json_loadb(text, tlen, JSON_REJECT_DUPLICATES, &je);
	if (!r->json) {
		snprintf(why, len, "%s: %s (line %d)", name, je.text, je.line);
		return -EINVAL;
	}
	return record_check(r, name, why, len);
}

static int read_layout(struct crash_record *r, const json_t *cap, char *why, size_t len)
{
	if (!get_u64(cap, "ram_file_bytes", &r->layout.ram_size) ||
	    !get_u64(cap, "lowmem_bytes", &r->layout.lowmem) ||
	    !get_u64(cap, "elfcorehdr_offset", &r->hdr_off) ||
	    !get_u64(cap, "elfcorehdr_gpa", &r->hdr_gpa)) {
		snprintf(why, len, "capture.ram_file_bytes, lowmem_bytes, elfcorehdr_offset and "
			 "elfcorehdr_gpa must be non-negative integers");
		return -EINVAL;
	}
	if (!r->layout.ram_size || !r->layout.lowmem || r->layout.lowmem > r->layout.ram_size ||
	    r->layout.lowmem > LAYOUT_4G || r->layout.lowmem % LAYOUT_PAGE ||
	    r->layout.ram_size % LAYOUT_PAGE) {
		snprintf(why, len, "capture.ram_file_bytes/lowmem_bytes (%llu/%llu) are not a "
			 "machine layout", (unsigned long long)r->layout.ram_size,
			 (unsigned long long)r->layout.lowmem);
		return -EINVAL;
	}
	if (r->hdr_off % LAYOUT_PAGE || r->hdr_off >= r->layout.ram_size ||
	    layout_off_to_gpa(&r->layout, r->hdr_off) != r->hdr_gpa) {
		snprintf(why, len, "capture.elfcorehdr_offset %llu does not match elfcorehdr_gpa "
			 "0x%llx in this layout", (unsigned long long)r->hdr_off,
			 (unsigned long long)r->hdr_gpa);
		return -EINVAL;
	}
	return 0;
}

static int read_dimms(struct crash_record *r, char *why, size_t len)
{
	const json_t *dimms = json_object_get(r->json, "dimms"), *d;
	size_t i;

	if (dimms && !json_is_array(dimms)) {
		snprintf(why, len, "\"dimms\" must be an array");
		return -EINVAL;
	}
	if (json_array_size(dimms) > SAVER_MAX_DIMMS) {
		snprintf(why, len, "more than %d DIMM files", SAVER_MAX_DIMMS);
		return -EINVAL;
	}
	json_array_foreach(dimms, i, d) {
		struct saver_dimm *s = &r->dimms[r->ndimms++];
		const char *file = json_string_value(json_object_get(d, "file"));
		if (!file || file[0] != '/' || !get_u64(d, "gpa", &s->gpa) ||
		    !get_u64(d, "bytes", &s->size) || !s->size || s->gpa % LAYOUT_PAGE ||
		    s->size % LAYOUT_PAGE || s->gpa + s->size < s->gpa ||
		    s->gpa < layout_device_memory_base(&r->layout)) {
			snprintf(why, len, "dimms[%zu] is malformed (file: absolute path; gpa, bytes: "
				 "page-aligned integers above the RAM file's memory)", i);
			return -EINVAL;
		}
		s->path = file;
	}
	return 0;
}

static int read_segment(struct crash_record *r, size_t i, const json_t *seg, char *why,
			size_t len)
{
	struct record_segment *s = &r->segs[i];
	const json_t *rf = json_object_get(seg, "ram_file_offset");
	uint64_t want, last;
	size_t k;

	if (!get_u64(seg, "paddr", &s->paddr) || !get_u64(seg, "bytes", &s->bytes) ||
	    !get_u64(seg, "now_at_gpa", &s->at) || !s->bytes || s->paddr % LAYOUT_PAGE ||
	    s->bytes % LAYOUT_PAGE || s->at % LAYOUT_PAGE || s->at + s->bytes < s->at ||
	    (!json_is_null(rf) && !get_u64(seg, "ram_file_offset", &s->ram_off))) {
		snprintf(why, len, "capture.segments[%zu] is malformed (paddr, bytes, now_at_gpa: "
			 "page-aligned integers; ram_file_offset: integer or null)", i);
		return -EINVAL;
	}
	s->in_ram_file = !json_is_null(rf);
	if (s->in_ram_file) {
		if (layout_gpa_to_off(&r->layout, s->at, &want) < 0 || want != s->ram_off) {
			snprintf(why, len, "capture.segments[%zu]: ram_file_offset %llu is not where "
				 "now_at_gpa 0x%llx is in this layout", i,
				 (unsigned long long)s->ram_off, (unsigned long long)s->at);
			return -EINVAL;
		}
		/* all of it: not on into the hole below 4 GiB, nor past the RAM file */
		if (layout_gpa_to_off(&r->layout, s->at + s->bytes - 1, &last) < 0 ||
		    last - want != s->bytes - 1) {
			snprintf(why, len, "capture.segments[%zu] (0x%llx, %llu bytes) runs out of the "
				 "RAM file's memory in this layout", i, (unsigned long long)s->at,
				 (unsigned long long)s->bytes);
			return -EINVAL;
		}
		return 0;
	}
	for (k = 0; k < r->ndimms; k++)
		if (s->at >= r->dimms[k].gpa && s->at + s->bytes <= r->dimms[k].gpa + r->dimms[k].size)
			return 0;
	snprintf(why, len, "capture.segments[%zu] (0x%llx, %llu bytes) is in no DIMM file of "
		 "\"dimms\"", i, (unsigned long long)s->at, (unsigned long long)s->bytes);
	return -EINVAL;
}

int record_read_capture(struct crash_record *r, char *why, size_t len)
{
	const json_t *cap = json_object_get(r->json, "capture");
	const json_t *segs = json_object_get(cap, "segments"), *seg;
	size_t i;
	int e;

	if (!json_is_object(cap)) {
		snprintf(why, len, "no \"capture\" section (not an assisted dump kept by hvdump)");
		return -EINVAL;
	}
	if ((e = read_layout(r, cap, why, len)) < 0 || (e = read_dimms(r, why, len)) < 0)
		return e;
	if (!json_is_array(segs) || !json_array_size(segs)) {
		snprintf(why, len, "capture.segments must be a non-empty array");
		return -EINVAL;
	}
	r->segs = calloc(json_array_size(segs), sizeof(*r->segs));
	if (!r->segs) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	json_array_foreach(segs, i, seg) {
		if ((e = read_segment(r, i, seg, why, len)) < 0)
			return e;
		r->nsegs++;
	}
	return 0;
}
