// SPDX-License-Identifier: GPL-2.0-or-later
// Crash records: the state machine (names, final states, allowed moves), updates that refuse a
// move out of a final state, the typed reader on good and malformed records, and the list of
// preserved crashes.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "vm/crashes.h"
#include "vm/record.h"

static char dir[256];

static void write_record(json_t *j)
{
	char path[300];

	if (!j) {
		tap_diag("a test record could not be built");
		return;
	}
	snprintf(path, sizeof(path), "%s/crash.json", dir);
	if (json_dump_file(j, path, 0) < 0)
		tap_diag("cannot write %s", path);
	json_decref(j);
}

static const char *state_now(void)
{
	static char st[64];
	char path[300];
	json_error_t e;
	json_t *j;

	snprintf(path, sizeof(path), "%s/crash.json", dir);
	j = json_load_file(path, 0, &e);
	snprintf(st, sizeof(st), "%s", json_string_value(json_object_get(j, "state")) ?: "(none)");
	json_decref(j);
	return st;
}

/* A record as crash_prepare_capture() writes it: 1 GiB capture layout (lowmem 1 GiB), the
 * header at 1 GiB + 256 MiB, two segments in the RAM file and one in a DIMM file. */
static json_t *good_record(void)
{
	return json_pack(
		"{s:s, s:s, s:i, s:s, s:s, s:[{s:s, s:I, s:I}],"
		" s:{s:I, s:I, s:I, s:I, s:[{s:I, s:I, s:I, s:I}, {s:I, s:I, s:I, s:I},"
		" {s:I, s:I, s:I, s:n}]}}",
		"format", RECORD_FORMAT, "vm", "demo", "crash", 1, "state", "preserved",
		"ram_file", "/dev/shm/x/ram",
		"dimms", "file", "/dev/shm/x/dimm-0", "gpa", (json_int_t)(6ull << 30), "bytes",
		(json_int_t)(128ull << 20),
		"capture", "ram_file_bytes", (json_int_t)(1536ull << 20), "lowmem_bytes",
		(json_int_t)(1ull << 30), "elfcorehdr_offset", (json_int_t)(1280ull << 20),
		"elfcorehdr_gpa", (json_int_t)(0x100000000ull + (256ull << 20)), "segments",
		"paddr", (json_int_t)0x100000, "bytes", (json_int_t)0x1000000, "now_at_gpa",
		(json_int_t)0x100000, "ram_file_offset", (json_int_t)0x100000,
		"paddr", (json_int_t)0x0, "bytes", (json_int_t)0x1000, "now_at_gpa",
		(json_int_t)0x100000000ull, "ram_file_offset", (json_int_t)(1ull << 30),
		"paddr", (json_int_t)(6ull << 30), "bytes", (json_int_t)0x2000, "now_at_gpa",
		(json_int_t)(6ull << 30), "ram_file_offset");
}

static void test_states(void)
{
	enum crash_state s;
	unsigned finals = 0;

	for (unsigned i = 0; i < CRASH_STATE_COUNT; i++) {
		int r = crash_state_parse(crash_state_name((enum crash_state)i), &s);
		if (r || s != (enum crash_state)i)
			tap_diag("state %u does not round-trip", i);
		finals += crash_state_final((enum crash_state)i);
	}
	tap_ok(finals == 4, "four final states (saved, saved-by-guest, discarded, dumped)");
	tap_is_int(crash_state_parse("saved", &s), 0, "\"saved\" parses");
	tap_is_int(s, CRASH_SAVED, "... as CRASH_SAVED");
	tap_is_int(crash_state_parse("Saved", &s), -EINVAL, "names are exact");
	tap_is_int(crash_state_parse(NULL, &s), -EINVAL, "no name is no state");
	tap_is_str(crash_state_name(CRASH_STATE_COUNT), "unknown", "out of range names nothing");

	tap_ok(crash_state_may_become(CRASH_CRASHED, CRASH_PRESERVED), "crashed -> preserved");
	tap_ok(crash_state_may_become(CRASH_PRESERVED, CRASH_CAPTURE_RUNNING),
	       "preserved -> capture-running");
	tap_ok(crash_state_may_become(CRASH_CAPTURE_RUNNING, CRASH_SAVED), "capture-running -> saved");
	tap_ok(crash_state_may_become(CRASH_SAVE_FAILED, CRASH_SAVED), "save-failed -> saved (resume)");
	tap_ok(crash_state_may_become(CRASH_PRESERVED_UNSAVED, CRASH_SAVED),
	       "preserved-unsaved -> saved (save --from)");
	tap_ok(!crash_state_may_become(CRASH_PRESERVED_UNSAVED, CRASH_CAPTURE_RUNNING),
	       "a kept crash has no capture guest any more");
	tap_ok(!crash_state_may_become(CRASH_PRESERVED_UNSAVED, CRASH_SAVED_BY_GUEST),
	       "... nor a guest to save it");
	for (unsigned i = 0; i < CRASH_STATE_COUNT; i++)
		if (crash_state_final((enum crash_state)i))
			for (unsigned k = 0; k < CRASH_STATE_COUNT; k++)
				if (crash_state_may_become((enum crash_state)i, (enum crash_state)k))
					tap_diag("final %u may become %u", i, k), finals = 0;
	tap_ok(finals == 4, "nothing leaves a final state");
	tap_ok(!crash_state_may_become(CRASH_CAPTURE_RUNNING, CRASH_PRESERVED),
	       "no way back to preserved");
	tap_ok(!crash_state_may_become(CRASH_CRASHED, CRASH_SAVED), "a paused crash has no dump");
	tap_ok(crash_state_unsaved(CRASH_SAVE_FAILED) && crash_state_unsaved(CRASH_PRESERVED) &&
		       !crash_state_unsaved(CRASH_DUMPED) && !crash_state_unsaved(CRASH_CRASHED),
	       "unsaved: held memory a dump can still be written from");
}

static void test_updates(void)
{
	char reserve[300];
	struct stat st;

	write_record(good_record());
	snprintf(reserve, sizeof(reserve), "%s/.record-reserve", dir);
	close(open(reserve, O_WRONLY | O_CREAT, 0600));
	record_update(dir, CRASH_CAPTURE_RUNNING, json_pack("{s:i}", "crash_to_capture_start_ms", 5));
	tap_is_str(state_now(), "capture-running", "update moves the state");
	record_merge(dir, json_pack("{s:s}", "save_error", "stopped"));
	tap_is_str(state_now(), "capture-running", "a merge keeps it");
	tap_ok(stat(reserve, &st) == 0, "the reserve stays while the state is not final");
	record_update(dir, CRASH_SAVED, NULL);
	tap_is_str(state_now(), "saved", "saved");
	tap_ok(stat(reserve, &st) < 0 && errno == ENOENT, "a final state drops the reserve");
	record_update(dir, CRASH_SAVE_FAILED, json_pack("{s:s}", "save_error", "late"));
	tap_is_str(state_now(), "saved", "a saved crash is never marked failed afterwards");
}

static int read_with(json_t *j, char *why, size_t len, struct crash_record *r)
{
	int e;

	write_record(j);
	e = record_read(dir, r, why, len);
	if (e == 0)
		e = record_read_capture(r, why, len);
	return e;
}

/* Set KEY (a path of objects and array indexes, "capture.segments.1.bytes") in J to V. */
static json_t *with(json_t *j, const char *path, json_t *v)
{
	char buf[128], *save = NULL, *tok, *next;
	json_t *at = j;

	snprintf(buf, sizeof(buf), "%s", path);
	tok = strtok_r(buf, ".", &save);
	while ((next = strtok_r(NULL, ".", &save)) != NULL) {
		at = json_is_array(at) ? json_array_get(at, (size_t)atoi(tok)) : json_object_get(at, tok);
		tok = next;
	}
	if (json_is_array(at))
		json_array_set_new(at, (size_t)atoi(tok), v);
	else
		json_object_set_new(at, tok, v);
	return j;
}

static void test_reader(void)
{
	struct crash_record r;
	char why[512];
	static const struct {
		const char *path;
		json_int_t v;
		const char *what;
	} bad[] = {
		{ "capture.lowmem_bytes", 0x3000ll << 20, "lowmem above the RAM file" },
		{ "capture.elfcorehdr_offset", 1281ll << 20, "header offset not at its address" },
		{ "capture.segments.0.bytes", 0x1001, "segment size not page-aligned" },
		{ "capture.segments.0.ram_file_offset", 0x200000, "segment offset not where the layout puts it" },
		{ "capture.segments.2.now_at_gpa", 7ll << 30, "DIMM segment in no DIMM file" },
		{ "capture.segments.0.bytes", 1ll << 30, "segment on past low RAM into the hole" },
		{ "capture.segments.1.bytes", 10240ll << 30, "segment past the end of the RAM file" },
		{ "capture.segments.1.paddr", -4096, "negative address" },
		{ "dimms.0.gpa", 0x1000, "DIMM below device memory" },
		{ "crash", 0, "crash number 0" },
	};
	int e = read_with(good_record(), why, sizeof(why), &r);

	tap_is_int(e, 0, "a good record reads");
	if (e)
		tap_diag("  %s", why);
	tap_ok(!strcmp(r.vm, "demo") && r.crash == 1 && r.state == CRASH_PRESERVED &&
		       !strcmp(r.ram_file, "/dev/shm/x/ram") && !r.dump_file,
	       "vm, crash, state, ram_file");
	tap_ok(r.layout.ram_size == 1536ull << 20 && r.layout.lowmem == 1ull << 30 &&
		       r.hdr_off == 1280ull << 20, "layout and header offset");
	tap_ok(r.ndimms == 1 && !strcmp(r.dimms[0].path, "/dev/shm/x/dimm-0") &&
		       r.dimms[0].gpa == 6ull << 30, "one DIMM file");
	tap_ok(r.nsegs == 3 && r.segs[0].in_ram_file && r.segs[0].ram_off == 0x100000 &&
		       r.segs[1].ram_off == 1ull << 30 && !r.segs[2].in_ram_file &&
		       r.segs[2].at == 6ull << 30, "three segments, two in the RAM file");
	record_free(&r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = read_with(with(good_record(), bad[i].path, json_integer(bad[i].v)), why,
			      sizeof(why), &r);
		tap_ok(e == -EINVAL && why[0], "refused: %s (%s)", bad[i].what, why);
		record_free(&r);
	}
	e = read_with(with(good_record(), "format", json_string("hvdump-crash-record/2")), why,
		      sizeof(why), &r);
	tap_ok(e == -EINVAL && strstr(why, "not a crash record"), "another format is refused");
	record_free(&r);
	e = read_with(with(good_record(), "state", json_string("lost")), why, sizeof(why), &r);
	tap_ok(e == -EINVAL && strstr(why, "lost"), "an unknown state is refused, named");
	record_free(&r);
	e = read_with(with(good_record(), "vm", json_string("../etc")), why, sizeof(why), &r);
	tap_ok(e == -EINVAL, "a VM name with a path in it is refused");
	record_free(&r);
	e = read_with(with(good_record(), "capture.segments", json_array()), why, sizeof(why), &r);
	tap_ok(e == -EINVAL && strstr(why, "non-empty"), "no segments is refused");
	record_free(&r);
	{
		json_t *g = good_record();
		char *text = json_dumps(g, JSON_INDENT(2));
		json_decref(g);
		e = text ? record_parse(text, strlen(text), "crash.json", &r, why, sizeof(why)) : -1;
		tap_ok(e == 0 && !strcmp(r.vm, "demo") && r.crash == 1 && r.state == CRASH_PRESERVED,
		       "record_parse reads a record's text as record_read reads its file");
		record_free(&r);
		e = text ? record_parse(text, strlen(text) / 2, "crash.json", &r, why, sizeof(why)) : -1;
		tap_ok(e == -EINVAL && !strncmp(why, "crash.json: ", 12),
		       "... and refuses half of it, naming it (%s)", why);
		record_free(&r);
		free(text);
		/* a key twice: refused, not read as whichever came last */
		text = strdup("{\"format\": \"" RECORD_FORMAT "\", \"vm\": \"demo\", \"crash\": 1, "
			      "\"state\": \"saved\", \"state\": \"preserved\", "
			      "\"ram_file\": \"/dev/shm/x/ram\"}");
		e = text ? record_parse(text, strlen(text), "crash.json", &r, why, sizeof(why)) : -1;
		tap_ok(e == -EINVAL && strstr(why, "duplicate"), "a key twice is refused (%s)", why);
		record_free(&r);
		free(text);
	}
	{
		char path[300];
		snprintf(path, sizeof(path), "%s/crash.json", dir);
		unlink(path);
		tap_is_int(record_read(dir, &r, why, sizeof(why)), -ENOENT, "no record: -ENOENT");
		record_free(&r);
	}
}

static void test_crash_list(void)
{
	static struct crash_list l;

	tap_ok(crashes_all_saved(&l) && crashes_oldest_unsaved(&l) == -1 &&
		       crashes_newest_unsaved(&l) == -1, "an empty list: all saved, none to save");
	crashes_add(&l, "/d/1", 1, 100, NULL, 0);
	{
		struct elfcore_segment *segs = calloc(3, sizeof(*segs));
		segs[0] = (struct elfcore_segment){ .type = PT_NOTE, .memsz = 0x1234 };
		segs[1] = (struct elfcore_segment){ .type = PT_LOAD, .paddr = 0x1000, .memsz = 0x9f000 };
		segs[2] = (struct elfcore_segment){ .type = PT_LOAD, .paddr = 1 << 20, .memsz = 1 << 20 };
		struct preserved_crash *pc = crashes_add(&l, "/d/2", 2, 200, segs, 3);
		tap_ok(pc && pc->segs == segs && pc->nsegs == 3, "the list keeps the crash's segments");
		tap_is_int(crashes_npages(pc), 0x9f + 0x100, "one bit per page of its PT_LOADs");
		tap_ok(pc->released && !pc->released[0] && !pc->released[(0x9f + 0x100) / 64],
		       "... none released yet");
	}
	tap_is_int(crashes_oldest_unsaved(&l), 0, "the host saves the oldest first");
	tap_is_int(crashes_newest_unsaved(&l), 1, "the guest sees the newest");
	crashes_mark_saved(&l, 1, 5);
	tap_is_int(crashes_newest_unsaved(&l), -1, "a saved newest crash is not the guest's any more");
	tap_is_int(crashes_oldest_unsaved(&l), 0, "... the older one is still due");
	tap_ok(!crashes_all_saved(&l), "not all saved");
	crashes_mark_saved(&l, 0, 0);
	tap_ok(crashes_all_saved(&l), "saved at time 0 still counts as saved");
	crashes_mark_saved(&l, 7, 5); /* out of range: nothing */
	for (unsigned i = 2; i < VM_MAX_CRASHES; i++)
		crashes_add(&l, "/d/n", i + 1, 0, NULL, 0);
	tap_ok(crashes_add(&l, "/d/x", 99, 0, calloc(1, sizeof(struct elfcore_segment)), 1) == NULL &&
		       l.n == VM_MAX_CRASHES,
	       "the list holds VM_MAX_CRASHES, no more");
	crashes_clear(&l);
	tap_is_int(l.n, 0, "cleared");
}

/* Names taken in advance for the coming seconds (NAME-STAMP and -2 .. -RECORD_DIR_TRIES; a
 * dump directory shared with others is refused, but the same user's other tools, or runs
 * with the clock set back, can do it too) do not keep a crash from getting a directory: the
 * next name is random, the crash's own, 0700. */
static void test_taken_names(void)
{
	char base[300], out[400], stamp[32], p[400];
	time_t now = time(NULL);
	struct stat st;
	int r, taken = 0;

	snprintf(base, sizeof(base), "%s/taken", dir);
	if (mkdir(base, 0700) < 0) {
		tap_ok(0, "cannot make a shared directory %s", base);
		return;
	}
	for (time_t t = now; t < now + 3; t++) {
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		for (int i = 1; i <= RECORD_DIR_TRIES; i++) {
			if (i == 1)
				snprintf(p, sizeof(p), "%s/vm-%s", base, stamp);
			else
				snprintf(p, sizeof(p), "%s/vm-%s-%d", base, stamp, i);
			taken += mkdir(p, 0755) == 0;
		}
	}
	r = record_make_dir(base, "vm", out, sizeof(out));
	tap_ok(r == 0 && taken == 3 * RECORD_DIR_TRIES && strlen(out) == strlen(p) - 2 + 7 &&
	       stat(out, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
	       "every predictable name taken (%d): the crash still gets its own directory %s",
	       taken, strrchr(out, '/') ? strrchr(out, '/') + 1 : out);
	snprintf(p, sizeof(p), "%s/.record-reserve", out);
	tap_ok(r == 0 && access(p, F_OK) == 0, "  with the space kept for its record");
}

int main(void)
{
	snprintf(dir, sizeof(dir), "%s/hvdump-test-record-XXXXXX", getenv("TMPDIR") ?: "/tmp");
	if (!mkdtemp(dir)) {
		tap_skip_all("no temporary directory");
		return 0;
	}
	test_states();
	test_updates();
	test_reader();
	test_crash_list();
	test_taken_names();
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			tap_diag("cannot remove %s", dir);
	}
	return tap_done();
}
