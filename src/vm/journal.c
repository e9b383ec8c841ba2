// SPDX-License-Identifier: GPL-2.0-or-later
// Journal entries of crashes, saves and copies (vm/journal.h).
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/systemd.h"
#include "vm/journal.h"
#include "vm/record.h"

#define FIELD_MAX 2048           /* a field's value (a guest's panic line) is cut here */

void journal_field(struct journal_fields *f, const char *name, const char *value)
{
	char *s;

	if (!value || !*value || f->n == JOURNAL_FIELDS_MAX)
		return;
	if (asprintf(&s, "%s=%.*s", name, FIELD_MAX, value) < 0)
		return;
	f->text[f->n] = s;
	f->iov[f->n].iov_base = s;
	f->iov[f->n].iov_len = strlen(s);
	f->n++;
}

static void field_json(struct journal_fields *f, const char *name, const json_t *rec, const char *key)
{
	const json_t *v = json_object_get(rec, key);
	char num[32];

	if (json_is_string(v)) {
		journal_field(f, name, json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		journal_field(f, name, num);
	}
}

/* Fields of the record of the crash in DIR (read now) into F. */
static void record_fields(struct journal_fields *f, const char *dir)
{
	struct crash_record rec;
	char why[256];

	if (record_read(dir, &rec, why, sizeof(why)) == 0) {
		journal_field(f, "HVDUMP_STATE", crash_state_name(rec.state));
		field_json(f, "HVDUMP_CRASH", rec.json, "crash");
		field_json(f, "HVDUMP_DETECTED_BY", rec.json, "detected_by");
		field_json(f, "HVDUMP_KERNEL", rec.json, "kernel_release");
		field_json(f, "HVDUMP_PANIC", rec.json, "panic");
		field_json(f, "HVDUMP_DUMP_FILE", rec.json, "dump_file");
		field_json(f, "HVDUMP_DUMP_BYTES", rec.json, "dump_bytes");
		field_json(f, "HVDUMP_SAVE_MS", rec.json, "save_ms");
		field_json(f, "HVDUMP_SAVE_ERROR", rec.json, "save_error");
		field_json(f, "HVDUMP_SPACE_DECISION", json_object_get(rec.json, "space_check"),
			   "decision");
		field_json(f, "HVDUMP_DUMP_TARGET", json_object_get(rec.json, "dump_target"), "url");
		field_json(f, "HVDUMP_DUMP_TARGET_ERROR", rec.json, "dump_target_error");
	}
	record_free(&rec);
}

void journal_entry(const struct vm_config *c, const char *msgid, int priority, const char *event,
		   const char *dir, const char *message, struct journal_fields *f)
{
	struct journal_fields all = { .n = 0 }, none = { .n = 0 };
	char prio[4], rpath[4200];
	int r, moved = 0;

	if (!f)
		f = &none;
	if (!c->report.journal || !sys_journal_listens()) {
		for (int i = 0; i < f->n; i++)
			free(f->text[i]);
		return;
	}
	snprintf(prio, sizeof(prio), "%d", priority);
	journal_field(&all, "MESSAGE", message);
	journal_field(&all, "MESSAGE_ID", msgid);
	journal_field(&all, "PRIORITY", prio);
	journal_field(&all, "SYSLOG_IDENTIFIER", "hvdump");
	journal_field(&all, "HVDUMP_EVENT", event);
	journal_field(&all, "HVDUMP_VM", c->name);
	if (dir && *dir) {
		journal_field(&all, "HVDUMP_CRASH_DIR", dir);
		snprintf(rpath, sizeof(rpath), "%s/crash.json", dir);
		journal_field(&all, "HVDUMP_RECORD", rpath);
		if (!f->n)
			record_fields(&all, dir);
	}
	for (; moved < f->n && all.n < JOURNAL_FIELDS_MAX; moved++) {
		all.iov[all.n] = f->iov[moved];
		all.text[all.n++] = f->text[moved];
	}
	r = sys_journal_sendv(all.iov, all.n);
	if (r < 0)
		log_debug("no journal entry for %s: %s", event, strerror(-r));
	for (int i = 0; i < all.n; i++)
		free(all.text[i]);
	for (int i = moved; i < f->n; i++)
		free(f->text[i]);
}
