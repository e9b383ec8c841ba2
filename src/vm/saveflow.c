// SPDX-License-Identifier: GPL-2.0-or-later
// Saving preserved crashes while the capture guest runs.  The order is the contract: the saver
// makes a range durable, then it is freed on the host, then it is credited to come back.
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dump/dmesgfile.h"
#include "dump/saveconf.h"
#include "dump/saver.h"
#include "dump/space.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/record.h"
#include "vm/saveflow.h"

#define PROGRESS_EVERY_MS 2000

/* Room for the dump of crash I in T before it starts (dump/space.h): logged, and said in
 * its record.  0 with *LEVEL (the dump level to save at) and *GUARD (the saver's min_free)
 * set, or -ENOSPC: refused, the crash stays preserved and unsaved. */
static int check_space(const struct save_ctx *x, unsigned i, const struct save_source *src,
		       const struct save_target *t, unsigned *level, uint64_t *guard)
{
	const char *dir = x->crashes->c[i].dir;
	struct space_request rq = { .src = src, .t = t, .comp = x->cfg->compress,
				    .dump_level = x->cfg->dump_level, .min_free = x->cfg->min_free };
	struct space_check c;
	char why[512], retry[160];

	*level = x->cfg->dump_level;
	if (space_check_run(&rq, &c, why, sizeof(why)) < 0) {
		*guard = space_reserve(0, x->cfg->min_free);
		log_warn("space check skipped (%s): saving, with the guard keeping the file system's "
			 "last bytes free", why);
		return 0;
	}
	snprintf(retry, sizeof(retry), "hvdump save --name %s --resume", x->cfg->name);
	space_check_log(&c, dir, retry);
	record_merge(dir, space_check_json(&c));
	*level = c.dump_level;
	*guard = c.guard;
	return c.decision == SPACE_REFUSED ? -ENOSPC : 0;
}

int save_start(struct save_flow *f, const struct save_ctx *x, bool resume, bool hold)
{
	struct saver_dimm dimms[VM_MAX_DIMMS];
	struct save_source src = { .ram_path = x->rd->ram, .layout = x->boot->cur, .dimms = dimms };
	struct saver_config sc;
	struct save_target t;
	enum save_format other = SAVE_KDUMP;
	unsigned level;
	uint64_t guard;
	int i, r;

	if (f->saver)
		return -EBUSY;
	if (!x->boot->capture || (!resume && x->cfg->save != SAVE_HOST))
		return -ENOENT;
	if ((i = crashes_oldest_unsaved(x->crashes)) < 0)
		return -ENOENT;
	if (x->crashes->c[i].guest_released) {
		log_err("the capture guest's saver has freed part of the crash in %s already (that "
			"part is in the dump on its disk): a dump from the memory here would hold "
			"zeros there; let the guest finish its dump, or drop this one with `hvdump "
			"save --discard`", x->crashes->c[i].dir);
		return -EXDEV;
	}
	if ((r = guestmem_open(x->gm)) < 0) {
		log_err("cannot open %s to release memory: %s", x->rd->ram, strerror(-r));
		return r;
	}
	/* A partial dump is always continued, never restarted: what it saved may have been
	 * released (a capture guest that crashed while saving leaves one behind). */
	r = save_target_pick(x->crashes->c[i].dir, (int)x->cfg->save_format, &t, &other);
	if (r == -EEXIST) {
		/* complete already (renamed last): writing it again would read freed memory */
		log_err("%s exists; not writing it again (move it away and resume)", t.out);
		return r;
	}
	if (r < 0) {
		log_err("cannot save the dump of %s: %s", x->crashes->c[i].dir, strerror(-r));
		return r;
	}
	src.ndimms = dimms_for_saver(&x->mb->dimms, dimms, VM_MAX_DIMMS);
	src.hdr_off = x->crashes->c[i].hdr_off;
	src.segs = x->crashes->c[i].segs;
	src.nsegs = x->crashes->c[i].nsegs;
	r = check_space(x, (unsigned)i, &src, &t, &level, &guard);
	if (r < 0)
		return r;
	saver_config_fill(&sc, &src, &t, x->cfg->compress, level, x->cfg->save_threads, hold);
	sc.min_free = guard;
	f->level_started = sc.dump_level;
	f->filter_logged = false;
	f->dump_level = 0; /* until the saver says what it applied */
	f->left_out = 0;
	r = saver_start(&sc, &f->saver);
	if (r < 0) {
		log_err("cannot start saving %s: %s", t.out, strerror(-r));
		return r;
	}
	f->saving = (unsigned)i;
	snprintf(f->out, sizeof(f->out), "%s", t.out);
	f->start_ms = f->progress_ms = clock_ms();
	log_info("%s the dump to %s while the guest runs%s%s", sc.resume ? "resuming" : "saving",
		 t.out, sc.ndimms ? " (with the crashed kernel's DIMMs)" : "",
		 hold ? "; held until the guest is up" : "");
	f->held_ms = hold ? f->start_ms : 0;
	f->run_ms = hold ? 0 : f->start_ms;
	return 0;
}

bool save_held(const struct save_flow *f)
{
	return f->saver && f->held_ms;
}

/* Free on the host what the saver reports durable, and credit it to come back. */
static void release_durable(struct save_flow *f, const struct save_ctx *x)
{
	struct saver_range r[256];
	size_t n;

	while ((n = saver_take(f->saver, r, 256)) > 0) {
		for (size_t i = 0; i < n; i++) {
			uint64_t freed;
			int e = guestmem_punch(x->gm, r[i].gpa, r[i].len, &freed);
			if (e < 0) {
				log_warn("cannot free saved memory at 0x%llx: %s",
					 (unsigned long long)r[i].gpa, strerror(-e));
				continue;
			}
			memback_credit(x->mb, r[i].len);
		}
	}
}

void save_full_speed(struct save_flow *f, const struct save_ctx *x)
{
	long long now = clock_ms(), ms = now - f->held_ms;

	if (!save_held(f))
		return;
	f->held_ms = 0;
	saver_release(f->saver);
	f->run_ms = now;
	log_info("the guest is in service: the saver starts, at full speed (held while the guest "
		 "booted, %lld ms)", ms);
	release_durable(f, x);
}

static void progress(struct save_flow *f, const struct memback *mb)
{
	uint64_t done, total;
	long long now = clock_ms(), ms = now - f->start_ms;
	char a[32], b[32], c[32], d[32];

	saver_progress(f->saver, &done, &total);
	f->done = done;
	f->progress_ms = now;
	log_info("saving: %s of %s (%d%%), %.0f MB/s; %s released, %s returned to the guest",
		 size_human(done, a, sizeof(a)), size_human(total, b, sizeof(b)),
		 total ? (int)(done * 100 / total) : 0, ms > 0 ? (double)done / 1e3 / (double)ms : 0.0,
		 size_human(mb->released, c, sizeof(c)), size_human(mb->added, d, sizeof(d)));
}

/* Say once what the dump level left out of the dump being saved (or why it could not). */
static void log_filter(struct save_flow *f)
{
	char warn[512], sz[32];
	uint64_t n;

	if (f->filter_logged || !f->level_started ||
	    !saver_filter_result(f->saver, &n, warn, sizeof(warn)))
		return;
	f->filter_logged = true;
	f->dump_level = warn[0] ? 0 : f->level_started;
	f->left_out = n;
	if (warn[0])
		log_warn("%s", warn);
	else
		log_info("dump level %u: %llu pages (%s) are left out of the dump by type; they are "
			 "given back with their chunk", f->level_started, (unsigned long long)n,
			 size_human(n * 4096, sz, sizeof(sz)));
}

void save_write_dmesg(const char *dir, const char *dump_file)
{
	char path[4200], why[512];
	struct printk_result res;
	int r;

	struct dumpfile *d;

	snprintf(path, sizeof(path), "%s/dmesg.txt", dir);
	r = dumpfile_open(dump_file, DUMPFILE_OPEN_INCOMPLETE, &d, why, sizeof(why));
	if (r == 0) {
		r = dmesg_write_file(d, dump_file, path, &res, why, sizeof(why));
		dumpfile_close(d);
	}
	if (r < 0) {
		log_warn("no dmesg.txt beside the dump: %s", why);
		return;
	}
	log_info("kernel log of the crash: %s (%" PRIu64 " records)", path, res.records);
	record_merge(dir, json_pack("{s:s}", "dmesg_file", path));
}

/* The dump of crash I is complete on disk, MS after its save started: record it, free the
 * crash's DIMMs. */
static void mark_saved(struct save_flow *f, const struct save_ctx *x, unsigned i, long long ms)
{
	struct preserved_crash *pc = &x->crashes->c[i];
	const char *out = f->out;
	struct stat st;
	char fmt[32];
	json_t *c;

	crashes_mark_saved(x->crashes, i, clock_ms());
	c = json_pack("{s:s, s:s, s:I, s:I, s:i, s:I}", "dump_file", out, "dump_format",
		      save_format_name(x->cfg->save_format, x->cfg->compress, fmt, sizeof(fmt)),
		      "save_ms", (json_int_t)ms,
		      "released_bytes", (json_int_t)x->mb->released, "dump_level", (int)f->dump_level,
		      "pages_left_out", (json_int_t)f->left_out);
	if (stat(out, &st) == 0)
		json_object_set_new(c, "dump_bytes", json_integer((json_int_t)st.st_size));
	record_update(pc->dir, CRASH_SAVED, c);
	if (f->run_ms) {
		long long run = clock_ms() - f->run_ms;
		log_info("dump saved: %s in %.1f s (%.0f MB/s once the guest was up)", out,
			 (double)ms / 1000.0, run > 0 ? (double)f->done / 1e3 / (double)run : 0.0);
	} else {
		log_info("dump saved: %s in %.1f s", out, (double)ms / 1000.0);
	}
	f->held_ms = 0;
	memback_credit(x->mb, dimms_drop_crash(&x->mb->dimms, x->qmp, pc->crash));
	save_write_dmesg(pc->dir, out);
}

static void record_failed(const struct save_ctx *x, unsigned i, const char *why)
{
	record_update(x->crashes->c[i].dir, CRASH_SAVE_FAILED,
		      json_pack("{s:s, s:I}", "save_error", why, "released_bytes",
				(json_int_t)x->mb->released));
}

enum save_news save_on_event(struct save_flow *f, const struct save_ctx *x, bool guest_up)
{
	char why[512];
	int result;

	if (!f->saver)
		return SAVE_RUNNING;
	if (f->held_ms) {
		/* The capture guest is booting: freeing what is saved (punching, on this thread)
		 * and finishing wait until it is up, like the saver itself; the ranges stay
		 * queued in the saver.  Only the event is taken. */
		struct saver_range none;
		if (!guest_up) {
			saver_take(f->saver, &none, 0);
			log_filter(f);
			return SAVE_RUNNING;
		}
		save_full_speed(f, x);
	}
	release_durable(f, x);
	log_filter(f);
	if (!saver_finished(f->saver, &result, why, sizeof(why)))
		return SAVE_RUNNING;
	progress(f, x->mb);
	saver_free(f->saver);
	f->saver = NULL;
	if (result < 0) {
		record_failed(x, f->saving, why);
		log_err("saving the dump failed: %s", why);
		log_err("what was saved is freed; the rest stays preserved in %s. Fix the cause, then "
			"run `hvdump save --name %s --resume` (or --discard to drop the rest)",
			x->rd->ram, x->cfg->name);
		return SAVE_FAILED;
	}
	mark_saved(f, x, f->saving, clock_ms() - f->start_ms);
	return SAVE_DONE;
}

void save_tick(struct save_flow *f, const struct memback *mb)
{
	if (f->saver && clock_ms() - f->progress_ms >= PROGRESS_EVERY_MS)
		progress(f, mb);
}

enum save_news save_stop(struct save_flow *f, const struct save_ctx *x)
{
	enum save_news news = SAVE_FAILED;
	int result = -ECANCELED;
	char why[512], a[32], b[32];
	uint64_t total;

	if (!f->saver)
		return SAVE_RUNNING;
	/* The saver may have finished while QEMU was going away: then its dump is complete and
	 * what it reported durable may be freed; a later boot must not write it again. */
	saver_stop(f->saver);
	release_durable(f, x);
	saver_progress(f->saver, &f->done, &total);
	if (saver_finished(f->saver, &result, why, sizeof(why)) && result == 0) {
		mark_saved(f, x, f->saving, clock_ms() - f->start_ms);
		news = SAVE_DONE;
	} else {
		if (result < 0 && result != -ECANCELED)
			record_failed(x, f->saving, why);
		log_warn("saving stopped after %s of %s (that part is freed on the host and due back "
			 "to the guest); the unsaved part stays preserved",
			 size_human(f->done, a, sizeof(a)), size_human(total, b, sizeof(b)));
	}
	saver_free(f->saver);
	f->saver = NULL;
	return news;
}

/* Free the memory of preserved crash PC, as its record maps it.  0 or -EINVAL (logged). */
static int discard_one(const struct save_ctx *x, const struct preserved_crash *pc)
{
	struct crash_record rec;
	char why[512];
	int r = record_read(pc->dir, &rec, why, sizeof(why));

	if (r == 0)
		r = record_read_capture(&rec, why, sizeof(why));
	if (r < 0) {
		log_err("cannot discard %s: %s", pc->dir, why);
		record_free(&rec);
		return r;
	}
	for (size_t k = 0; k < rec.nsegs; k++) {
		uint64_t held;
		if (guestmem_punch(x->gm, rec.segs[k].at, rec.segs[k].bytes, &held) < 0) {
			log_warn("cannot free a segment of %s: it is outside the guest's memory",
				 pc->dir);
			continue;
		}
		memback_credit(x->mb, held);
	}
	record_free(&rec);
	return 0;
}

int save_discard(struct save_flow *f, const struct save_ctx *x)
{
	unsigned dropped = 0;
	char sz[32];

	if (f->saver)
		return -EBUSY;
	for (unsigned i = 0; i < x->crashes->n; i++) {
		struct preserved_crash *pc = &x->crashes->c[i];

		if (pc->saved_ms || discard_one(x, pc) < 0)
			continue;
		record_update(pc->dir, CRASH_DISCARDED, NULL);
		memback_credit(x->mb, dimms_drop_crash(&x->mb->dimms, x->qmp, pc->crash));
		crashes_mark_saved(x->crashes, i, clock_ms());
		dropped++;
		log_warn("dump of %s discarded on request; its memory is freed", pc->dir);
	}
	log_info("%u unsaved dump(s) discarded (%s freed on the host)", dropped,
		 size_human(x->mb->released, sz, sizeof(sz)));
	return 0;
}
