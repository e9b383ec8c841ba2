// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: a crash record (crash.json) as `hvdump save --from` reads it, someone else's
// file: record_parse() (record_read()'s checks on the text), then record_read_capture().  It
// traps when a promise of record.h breaks, each checked here without the reader's helpers: a
// record accepted without its format, with a VM name that is not 1-64 of [A-Za-z0-9._-], crash
// 0, a state that is not the one named, a ram_file that is not absolute, or a string cut short
// (what C sees must be all of the JSON string); a capture accepted whose layout is not a
// machine's (page-aligned, low RAM at most 4 GiB and at most the RAM file), whose header
// offset is not at elfcorehdr_gpa, with a DIMM below the device memory or unaligned, or a
// segment not wholly in the RAM file at the offset the layout gives for it, nor wholly in one
// DIMM; a refusal other than -EINVAL (-ENOMEM) or without a reason.
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define G4 (4ull << 30)
#define PAGE 4096ull

/* Is S all of JSON string member KEY of O? */
static bool whole_string(const json_t *o, const char *key, const char *s)
{
	const json_t *j = json_object_get(o, key);

	return s && json_is_string(j) && json_string_value(j) == s &&
	       strlen(s) == json_string_length(j);
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", s[i]))
			return false;
	return true;
}

static uint64_t member(const json_t *o, const char *key)
{
	return (uint64_t)json_integer_value(json_object_get(o, key));
}

static void check_record(const struct crash_record *r)
{
	const json_t *j = r->json;
	const json_t *dump = json_object_get(j, "dump_file");

	if (!json_is_object(j) || !whole_string(j, "format", json_string_value(json_object_get(j, "format"))) ||
	    strcmp(json_string_value(json_object_get(j, "format")), RECORD_FORMAT))
		__builtin_trap();
	if (!whole_string(j, "vm", r->vm) || !name_ok(r->vm))
		__builtin_trap();
	if (r->crash == 0 || !json_is_integer(json_object_get(j, "crash")) || member(j, "crash") != r->crash)
		__builtin_trap();
	if ((unsigned)r->state >= CRASH_STATE_COUNT ||
	    !json_is_string(json_object_get(j, "state")) ||
	    strcmp(json_string_value(json_object_get(j, "state")), crash_state_name(r->state)) ||
	    json_string_length(json_object_get(j, "state")) != strlen(crash_state_name(r->state)))
		__builtin_trap();
	if (!whole_string(j, "ram_file", r->ram_file) || r->ram_file[0] != '/')
		__builtin_trap();
	if (json_is_string(dump) ? !whole_string(j, "dump_file", r->dump_file) : r->dump_file != NULL)
		__builtin_trap();
}

/* RAM-file offset of [GPA, GPA + LEN) in layout (RAM, LOW) if all of it is in one RAM range. */
static bool ram_range(uint64_t ram, uint64_t low, uint64_t gpa, uint64_t len, uint64_t *off)
{
	if (gpa < low && len <= low - gpa) {
		*off = gpa;
		return true;
	}
	if (gpa >= G4 && gpa - G4 <= ram - low && len <= ram - low - (gpa - G4)) {
		*off = low + (gpa - G4);
		return true;
	}
	return false;
}

static void check_capture(const struct crash_record *r)
{
	const json_t *cap = json_object_get(r->json, "capture");
	const json_t *segs = json_object_get(cap, "segments");
	uint64_t ram = r->layout.ram_size, low = r->layout.lowmem, off, devmem;

	if (!json_is_object(cap) || ram != member(cap, "ram_file_bytes") ||
	    low != member(cap, "lowmem_bytes") || r->hdr_off != member(cap, "elfcorehdr_offset") ||
	    r->hdr_gpa != member(cap, "elfcorehdr_gpa"))
		__builtin_trap();
	if (!ram || !low || low > ram || low > G4 || ram % PAGE || low % PAGE)
		__builtin_trap();
	if (r->hdr_off % PAGE || r->hdr_off >= ram ||
	    !ram_range(ram, low, r->hdr_gpa, PAGE, &off) || off != r->hdr_off)
		__builtin_trap();
	devmem = (G4 + (ram - low) + (1ull << 30) - 1) & ~((1ull << 30) - 1);
	if (r->ndimms > SAVER_MAX_DIMMS || r->ndimms != json_array_size(json_object_get(r->json, "dimms")))
		__builtin_trap();
	for (size_t i = 0; i < r->ndimms; i++) {
		const struct saver_dimm *d = &r->dimms[i];
		const json_t *jd = json_array_get(json_object_get(r->json, "dimms"), i);
		if (!whole_string(jd, "file", d->path) || d->path[0] != '/' || !d->size ||
		    d->gpa % PAGE || d->size % PAGE || d->gpa + d->size < d->gpa || d->gpa < devmem ||
		    d->gpa != member(jd, "gpa") || d->size != member(jd, "bytes"))
			__builtin_trap();
	}
	if (!r->nsegs || r->nsegs != json_array_size(segs))
		__builtin_trap();
	for (size_t i = 0; i < r->nsegs; i++) {
		const struct record_segment *s = &r->segs[i];
		const json_t *js = json_array_get(segs, i);
		bool inside = false;
		if (!s->bytes || s->paddr % PAGE || s->bytes % PAGE || s->at % PAGE ||
		    s->paddr != member(js, "paddr") || s->bytes != member(js, "bytes") ||
		    s->at != member(js, "now_at_gpa"))
			__builtin_trap();
		if (s->in_ram_file) {
			if (!ram_range(ram, low, s->at, s->bytes, &off) || off != s->ram_off ||
			    s->ram_off != member(js, "ram_file_offset"))
				__builtin_trap();
			continue;
		}
		for (size_t k = 0; k < r->ndimms; k++)
			inside |= s->at >= r->dimms[k].gpa &&
				  s->bytes <= r->dimms[k].size - (s->at - r->dimms[k].gpa) &&
				  s->at - r->dimms[k].gpa < r->dimms[k].size;
		if (!inside || !json_is_null(json_object_get(js, "ram_file_offset")))
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crash_record r;
	char why[512];
	int e;

	why[0] = '\0';
	e = record_parse((const char *)data, size, "crash.json", &r, why, sizeof(why));
	if (e < 0) {
		if (e != -EINVAL || !why[0])
			__builtin_trap();
		record_free(&r);
		return 0;
	}
	check_record(&r);
	why[0] = '\0';
	e = record_read_capture(&r, why, sizeof(why));
	if (e < 0) {
		if ((e != -EINVAL && e != -ENOMEM) || !why[0])
			__builtin_trap();
	} else {
		check_record(&r);
		check_capture(&r);
	}
	record_free(&r);
	return 0;
}
