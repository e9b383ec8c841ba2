// SPDX-License-Identifier: GPL-2.0-or-later
// What hvdump tells the host's tools (vm/report.h): journal entries and the node-exporter
// textfile.  Each is information beside the record: a failure here is a warning, never a
// reason to stop supervising.
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "util/fsutil.h"
#include "util/log.h"
#include "util/systemd.h"
#include "vm/afterjob.h"
#include "vm/journal.h"
#include "vm/record.h"
#include "vm/report.h"


/* The counters of this hvdump run, for the metrics file. */
static struct {
	long long start_s, last_crash_s;
	unsigned long crashes, saved, failed;
	double save_s_total, last_save_s;
	unsigned long long dump_bytes_total;
	unsigned preserved_n, kept_n;
	uint64_t preserved_bytes, kept_bytes;
	bool warned;
} m;

/* ---- the node-exporter textfile ----------------------------------------------------------- */

static void metric(FILE *o, const char *name, const char *type, const char *help)
{
	fprintf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metrics_write(const struct vm_config *c)
{
	const char *vm = c->name; /* [A-Za-z0-9._-]: safe in a label */
	char *text = NULL;
	size_t len = 0;
	FILE *o;
	int r;

	if (!c->report.metrics_file || !(o = open_memstream(&text, &len)))
		return;
	metric(o, "hvdump_start_time_seconds", "gauge", "When this hvdump run started (counters "
	       "count from here).");
	fprintf(o, "hvdump_start_time_seconds{vm=\"%s\"} %lld\n", vm, m.start_s);
	metric(o, "hvdump_crashes_total", "counter", "Guest kernel crashes seen.");
	fprintf(o, "hvdump_crashes_total{vm=\"%s\"} %lu\n", vm, m.crashes);
	metric(o, "hvdump_last_crash_time_seconds", "gauge", "When the last crash was seen (0: "
	       "none).");
	fprintf(o, "hvdump_last_crash_time_seconds{vm=\"%s\"} %lld\n", vm, m.last_crash_s);
	metric(o, "hvdump_saves_total", "counter", "Dump saves that ended, by result.");
	fprintf(o, "hvdump_saves_total{vm=\"%s\",result=\"saved\"} %lu\n", vm, m.saved);
	fprintf(o, "hvdump_saves_total{vm=\"%s\",result=\"failed\"} %lu\n", vm, m.failed);
	metric(o, "hvdump_save_seconds_total", "counter", "Seconds spent saving dumps that were "
	       "saved.");
	fprintf(o, "hvdump_save_seconds_total{vm=\"%s\"} %.3f\n", vm, m.save_s_total);
	metric(o, "hvdump_last_save_seconds", "gauge", "How long the last saved dump took.");
	fprintf(o, "hvdump_last_save_seconds{vm=\"%s\"} %.3f\n", vm, m.last_save_s);
	metric(o, "hvdump_dump_bytes_total", "counter", "Bytes of saved dump files.");
	fprintf(o, "hvdump_dump_bytes_total{vm=\"%s\"} %llu\n", vm, m.dump_bytes_total);
	metric(o, "hvdump_preserved_crashes", "gauge", "Crashes whose memory is held unsaved.");
	fprintf(o, "hvdump_preserved_crashes{vm=\"%s\"} %u\n", vm, m.preserved_n + m.kept_n);
	metric(o, "hvdump_preserved_bytes", "gauge", "Crashed memory held unsaved, in bytes.");
	fprintf(o, "hvdump_preserved_bytes{vm=\"%s\"} %llu\n", vm,
		(unsigned long long)(m.preserved_bytes + m.kept_bytes));
	if (fclose(o) != 0) {
		free(text);
		return;
	}
	r = write_file_atomic(c->report.metrics_file, text, len, 0644);
	free(text);
	if (r < 0 && !m.warned)
		log_warn("cannot write the metrics file %s: %s (said once)", c->report.metrics_file,
			 strerror(-r));
	m.warned = m.warned || r < 0;
}

void report_start(const struct vm_config *c)
{
	memset(&m, 0, sizeof(m));
	m.start_s = (long long)time(NULL);
	metrics_write(c);
}

void report_crash(const struct vm_config *c, const char *dir, unsigned number, const char *how,
		  const char *panic, const char *kernel)
{
	struct journal_fields f = { .n = 0 };
	char msg[512], num[16];

	m.crashes++;
	m.last_crash_s = (long long)time(NULL);
	metrics_write(c);
	snprintf(msg, sizeof(msg), "VM %s: guest kernel crashed (detected by %s)%s%s", c->name,
		 how, *panic ? ": " : "", panic);
	snprintf(num, sizeof(num), "%u", number);
	journal_field(&f, "HVDUMP_CRASH", num);
	journal_field(&f, "HVDUMP_DETECTED_BY", how);
	journal_field(&f, "HVDUMP_PANIC", panic);
	journal_field(&f, "HVDUMP_KERNEL", kernel);
	journal_entry(c, REPORT_MSGID_CRASH, SYS_PRIO_CRIT, "crash", dir, msg, &f);
}

void report_kept(const struct vm_config *c, unsigned n, uint64_t bytes)
{
	m.kept_n += n;
	m.kept_bytes += bytes;
	metrics_write(c);
}

void report_preserved(const struct vm_config *c, unsigned n, uint64_t bytes)
{
	if (n == m.preserved_n && bytes == m.preserved_bytes)
		return;
	m.preserved_n = n;
	m.preserved_bytes = bytes;
	metrics_write(c);
}

void report_outcome(const struct vm_config *c, const char *dir)
{
	struct crash_record rec;
	char why[256], msg[512];
	bool saved;
	int r = record_read(dir, &rec, why, sizeof(why));

	if (r < 0) {
		log_warn("no report of the save of %s: %s", dir, why);
		record_free(&rec);
		return;
	}
	saved = rec.state == CRASH_SAVED || rec.state == CRASH_SAVED_BY_GUEST;
	if (!saved && rec.state != CRASH_SAVE_FAILED) {
		record_free(&rec);
		return;
	}
	if (saved) {
		json_int_t ms = json_integer_value(json_object_get(rec.json, "save_ms"));
		json_int_t bytes = json_integer_value(json_object_get(rec.json, "dump_bytes"));

		m.saved++;
		m.last_save_s = (double)ms / 1000.0;
		m.save_s_total += m.last_save_s;
		m.dump_bytes_total += bytes > 0 ? (unsigned long long)bytes : 0;
		snprintf(msg, sizeof(msg), "VM %s: the dump of crash %llu is saved%s%s", c->name,
			 (unsigned long long)rec.crash, rec.dump_file ? ": " : " by the guest",
			 rec.dump_file ? rec.dump_file : "");
	} else {
		m.failed++;
		snprintf(msg, sizeof(msg), "VM %s: saving the dump of crash %llu failed; its memory "
			 "stays preserved (%s)", c->name, (unsigned long long)rec.crash, dir);
	}
	record_free(&rec);
	metrics_write(c);
	journal_entry(c, saved ? REPORT_MSGID_SAVED : REPORT_MSGID_SAVE_FAILED,
		       saved ? SYS_PRIO_INFO : SYS_PRIO_ERR, saved ? "saved" : "save-failed", dir, msg, NULL);
	afterjob_start(c, dir, saved);
}

void report_refused(const struct vm_config *c, const char *dir)
{
	char msg[512];

	m.failed++;
	metrics_write(c);
	snprintf(msg, sizeof(msg), "VM %s: no room for the dump in %s: not saved, its memory stays "
		 "preserved", c->name, dir);
	journal_entry(c, REPORT_MSGID_SAVE_FAILED, SYS_PRIO_ERR, "save-refused", dir, msg, NULL);
	afterjob_start(c, dir, false);
}
