// SPDX-License-Identifier: GPL-2.0-or-later
// Saving preserved crashes while the capture guest runs, and giving the memory back.  The
// order is the contract: the saver makes a range durable, then it is punched out of the RAM
// file, then the same amount of fresh memory is hot-added to the guest.
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dump/release.h"
#include "dump/saver.h"
#include "format/kdump.h"
#include "format/kallsyms.h"
#include "format/vmcoreinfo.h"
#include "dump/notes.h"
#include <sys/stat.h>
#include "util/fsutil.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/vm_internal.h"

#define PROGRESS_EVERY_MS 2000

static const char *dump_name(const struct vm *vm)
{
	return strcmp(vm->cfg->save_format, "elf") ? "vmcore.kdump" : "vmcore.elf";
}

static const char *dump_format(const struct vm *vm)
{
	static char f[32];
	if (!strcmp(vm->cfg->save_format, "elf"))
		return "elf";
	snprintf(f, sizeof(f), "kdump-%s", vm->cfg->compress);
	return f;
}

static void record_saved(const char *dir, const char *dump, const char *fmt, long long ms,
			 uint64_t bytes, unsigned dump_level, uint64_t left_out)
{
	struct stat st;
	json_t *c = json_pack("{s:s, s:s, s:I, s:I, s:i, s:I}", "dump_file", dump,
			      "dump_format", fmt, "save_ms", (json_int_t)ms,
			      "released_bytes", (json_int_t)bytes, "dump_level", (int)dump_level,
			      "pages_left_out", (json_int_t)left_out);

	if (stat(dump, &st) == 0)
		json_object_set_new(c, "dump_bytes", json_integer((json_int_t)st.st_size));
	record_update(dir, "saved", c);
}

static void record_failed(const char *dir, const char *why, uint64_t released)
{
	record_update(dir, "save-failed", json_pack("{s:s, s:I}", "save_error", why,
						    "released_bytes", (json_int_t)released));
}

/* ---- has the capture kernel finished booting? ---------------------------------------------
 * A kernel booted with mem= refuses hot-added memory above it until system_state reaches
 * SYSTEM_RUNNING, and says so only on its console.  So we look: the capture kernel's own
 * VMCOREINFO note is in its boot region (the RAM file's first B bytes), its kallsyms give
 * system_state's address, and the value is read from the same file.  RUNNING is 2 or 3
 * depending on the kernel version and is the state that lasts: a value of at least 2, the
 * same for half a second, counts.  Without kallsyms in VMCOREINFO (before 6.0) the
 * --hotplug-delay alone decides.
 *
 * The look must cost the booting guest nothing: the region is scanned from the bottom (where
 * the kernel's early allocations land) with large reads, skipping what the guest has not
 * written (capture_apply() freed the region, so early in the boot little is written); a
 * scan waits PROBE_IDLE_FACTOR times its own duration after the last (PROBE_INTERVAL_MS to
 * PROBE_MAX_WAIT_MS), so the waiting takes a few percent of a core at most, whatever the
 * region's size.  Reads, not a mapping: a read of a hole allocates nothing on the host. */

#define PROBE_INTERVAL_MS 200
#define PROBE_MAX_WAIT_MS 1000
#define PROBE_IDLE_FACTOR 30

struct probe_mem {
	int fd;
	uint64_t limit;
};

static int probe_read(void *ctx, uint64_t paddr, void *buf, size_t len)
{
	struct probe_mem *m = ctx;

	if (paddr >= m->limit || len > m->limit - paddr)
		return -EFAULT;
	return pread(m->fd, buf, len, (off_t)paddr) == (ssize_t)len ? 0 : -EIO;
}

void save_probe_reset(struct vm *vm)
{
	free(vm->probe.buf);
	memset(&vm->probe, 0, sizeof(vm->probe));
}

/* Find the capture kernel's VMCOREINFO in [0, B) and system_state in it.  0, -EAGAIN (not
 * there yet), or -EOPNOTSUPP (this kernel cannot tell us). */
static int probe_find(struct vm *vm)
{
	struct boot_probe *p = &vm->probe;
	struct probe_mem m = { .fd = vm->ram_fd, .limit = vm->cfg->boot_region };
	long long t0 = clock_us(), t1, wait;
	uint64_t at, vaddr, paddr;
	const char *text;
	size_t note, tlen;
	int r;

	if (!p->buf && !(p->buf = malloc(NOTES_SCAN_BUF)))
		return -EAGAIN;
	r = notes_scan_file(vm->ram_fd, 0, m.limit, &vm->stale, p->buf, &at, &note);
	if (r == 0 && vmcoreinfo_find(p->buf, note, &text, &tlen) < 0)
		r = -EAGAIN;
	if (r == 0) {
		r = kallsyms_lookup(text, tlen, probe_read, &m, "system_state", &vaddr);
		if (r == 0)
			r = kallsyms_kimage_to_phys(text, tlen, vaddr, &paddr);
		if (r == 0 && paddr + 4 <= m.limit)
			p->paddr = paddr;
		else if (r != -EOPNOTSUPP)
			r = -EAGAIN; /* half-written tables: try again later */
	} else {
		r = -EAGAIN;
	}
	t1 = clock_us();
	p->scans++;
	p->scan_us += t1 - t0;
	wait = PROBE_IDLE_FACTOR * (t1 - t0) / 1000;
	p->next_ms = clock_ms() + (wait < PROBE_INTERVAL_MS ? PROBE_INTERVAL_MS
				    : wait > PROBE_MAX_WAIT_MS ? PROBE_MAX_WAIT_MS
							       : wait);
	log_debug("boot probe: scan %u took %lld us (%s)", p->scans, t1 - t0,
		  p->paddr ? "found system_state" : "not yet");
	return r;
}

bool save_guest_running(struct vm *vm)
{
	long long now = clock_ms();
	uint32_t v;

	if (vm->probe.state == 1)
		return true;
	if (now < vm->hotplug_after_ms - (long long)vm->cfg->hotplug_delay_s * 1000 + 500)
		return false; /* let the firmware and the decompressor go first */
	if (vm->probe.state == -1 || vm->ram_fd < 0)
		return now >= vm->hotplug_after_ms;
	if (!vm->probe.paddr) {
		int r;
		if (now < vm->probe.next_ms)
			return false;
		r = probe_find(vm);
		if (r == -EOPNOTSUPP) {
			log_info("the capture kernel has no kallsyms in VMCOREINFO; hot-adding memory "
				 "%u s into its boot", vm->cfg->hotplug_delay_s);
			vm->probe.state = -1;
			return now >= vm->hotplug_after_ms;
		}
		if (r < 0)
			return false;
	}
	if (pread(vm->ram_fd, &v, sizeof(v), (off_t)vm->probe.paddr) != (ssize_t)sizeof(v))
		return false;
	if (v != vm->probe.last) {
		vm->probe.last = v;
		vm->probe.last_ms = now;
		return false;
	}
	if (v >= 2 && now - vm->probe.last_ms >= 500) {
		long long ms = now - vm->boot_start_ms;
		long long sup = clock_cpu_us(true) - vm->boot_start_cpu_us[0];
		long long all = clock_cpu_us(false) - vm->boot_start_cpu_us[1];
		log_info("the capture kernel is up (system_state %u); giving memory back", v);
		log_info("while the capture guest booted (%lld ms) hvdump's supervisor used %.1f ms of "
			 "CPU (%.1f%% of a core; boot probe: %u scans, %.1f ms), the rest of hvdump "
			 "%.1f ms", ms, (double)sup / 1000.0,
			 ms > 0 ? (double)sup / 10.0 / (double)ms : 0.0, vm->probe.scans,
			 (double)vm->probe.scan_us / 1000.0, (double)(all - sup) / 1000.0);
		vm->probe.state = 1;
		return true;
	}
	return false;
}

static void release_durable(struct vm *vm);

/* The capture guest is up: the saver stops giving way to it, and what it saved meanwhile is
 * freed. */
static void save_full_speed(struct vm *vm)
{
	long long now = clock_ms(), ms = now - vm->save_bg_ms;

	if (!vm->saver || !vm->save_bg_ms)
		return;
	vm->save_bg_ms = 0;
	saver_release(vm->saver);
	vm->save_fg_ms = now;
	log_info("the guest is in service: the saver starts, at full speed (held while the guest "
		 "booted, %lld ms)", ms);
	release_durable(vm);
}

long long save_wake_ms(struct vm *vm)
{
	/* a held saver or memory due wait for the capture kernel: the boot probe's next look */
	if ((vm->release_pending || (vm->saver && vm->save_bg_ms)) && vm->probe.state != 1) {
		long long wait = vm->probe.next_ms - clock_ms();
		return wait > PROBE_INTERVAL_MS ? wait : PROBE_INTERVAL_MS;
	}
	if (!vm->release_pending)
		return -1;
	/* running: the saver's events bring the next DIMMs; the final ones, and what a batch
	 * left (a full block or more), are ours */
	return (vm->saver == NULL && vm->npreserved == 0) || vm->release_pending >= RELEASE_DIMM_ALIGN
		       ? 0
		       : -1;
}

_Static_assert(VM_BOOT_REGION_STEP == RELEASE_DIMM_ALIGN,
	       "default boot regions are whole blocks of the memory given back");

/* DIMMs hot-added per call: each is a few QMP round trips, and the supervisor has other work
 * (the rest follows at its next wakeup). */
#define GIVE_BACK_BATCH 32

/* Hot-add what is due.  FINAL: the dump is complete, return the rest. */
void save_give_back(struct vm *vm, int final)
{
	uint64_t batch = 0;
	unsigned first = 0, n = 0;
	char a[32], b[32], c[32];

	if (!save_guest_running(vm))
		return; /* save_tick() calls again */
	save_full_speed(vm);
	while (vm->qmp && n < GIVE_BACK_BATCH) {
		unsigned slots = vm->ndimm < vm->slots ? vm->slots - vm->ndimm : 0;
		uint64_t size = release_dimm_size(vm->release_pending, vm->release_added,
						  vm->release_target,
						  vm->cfg->boot_region + vm->release_added, slots,
						  final);
		char why[512];
		int r;

		if (!size)
			break;
		r = dimms_add(vm, size, why, sizeof(why));
		if (r < 0) {
			log_warn("cannot give memory back to the guest: %s", why);
			vm->release_pending = 0; /* do not retry in a loop; the host memory is free */
			break;
		}
		if (!n++)
			first = vm->dimms[vm->ndimm - 1].index;
		batch += size;
		vm->release_added += size;
		vm->release_pending -= size < vm->release_pending ? size : vm->release_pending;
	}
	if (vm->release_target && vm->release_added >= vm->release_target)
		vm->release_pending = 0; /* the rest punched was never the guest's to get back (the
					  * boot region's copies): nothing more is due */
	if (!n)
		return;
	log_info("gave %s back to the guest as %u DIMM%s (%u-%u) (%s of %s returned)",
		 size_human(batch, a, sizeof(a)), n, n == 1 ? "" : "s", first,
		 vm->dimms[vm->ndimm - 1].index, size_human(vm->release_added, b, sizeof(b)),
		 size_human(vm->release_target, c, sizeof(c)));
	if (vm->release_added >= vm->release_target)
		log_info("the guest has all its memory back");
}

void save_maybe_start(struct vm *vm)
{
	save_start(vm, false);
}

int save_start(struct vm *vm, bool resume)
{
	struct saver_config sc = { 0 };
	struct saver_dimm dimms[VM_MAX_DIMMS];
	char out[4200];
	unsigned i;
	int r;

	if (vm->saver)
		return -EBUSY;
	if (!vm->capture || (!resume && vm->cfg->save != SAVE_HOST))
		return -ENOENT;
	for (i = 0; i < vm->npreserved && vm->preserved[i].saved_ms; i++)
		;
	if (i == vm->npreserved)
		return -ENOENT;
	if (vm->ram_fd < 0) {
		vm->ram_fd = open(vm->rd.ram, O_RDWR | O_CLOEXEC);
		if (vm->ram_fd < 0) {
			r = -errno;
			log_err("cannot open %s to release memory: %s", vm->rd.ram, strerror(errno));
			return r;
		}
	}
	snprintf(out, sizeof(out), "%s/%s", vm->preserved[i].dir, dump_name(vm));
	sc.ram_path = vm->rd.ram;
	sc.layout = vm->cur;
	sc.dimms = dimms;
	sc.ndimms = dimms_for_saver(vm, dimms, VM_MAX_DIMMS);
	sc.hdr_off = vm->preserved[i].hdr_off;
	sc.out_path = out;
	sc.format = strcmp(vm->cfg->save_format, "elf") ? SAVE_KDUMP : SAVE_ELF;
	sc.threads = vm->cfg->save_threads;
	sc.dump_level = vm->cfg->dump_level;
	/* service first: while the capture guest boots, the saver waits */
	sc.hold = vm->probe.state != 1;
	if (sc.format == SAVE_KDUMP) {
		enum kdump_compression kc;
		if (kdump_compression_parse(vm->cfg->compress, &kc) < 0)
			return -EINVAL; /* the CLI checked it */
		sc.compression = (int)kc;
	}
	sc.chunk = 64ull << 20;
	{
		/* A partial dump is always continued, never restarted: what it saved may have been
		 * released (a capture guest that crashed while saving leaves one behind). */
		char part[4300];
		uint64_t done;
		snprintf(part, sizeof(part), "%s.part", out);
		sc.resume = sc.format == SAVE_KDUMP ? access(part, F_OK) == 0
						    : saver_read_progress(out, &done) == 0;
		if (!sc.resume && access(out, F_OK) == 0) {
			/* complete already (renamed last): writing it again would read released
			 * memory as zeros */
			log_err("%s exists; not writing it again (move it away and resume)", out);
			return -EEXIST;
		}
	}
	vm->filter_logged = false;
	vm->save_dump_level = 0; /* until the saver says what it applied */
	vm->save_left_out = 0;
	r = saver_start(&sc, &vm->saver);
	if (r < 0) {
		log_err("cannot start saving %s: %s", out, strerror(-r));
		return r;
	}
	vm->saving = i;
	vm->save_start_ms = vm->progress_ms = clock_ms();
	if (!vm->release_target)
		vm->release_target = crash_return_bytes(vm->cfg);
	log_info("%s the dump to %s while the guest runs%s%s", sc.resume ? "resuming" : "saving", out,
		 sc.ndimms ? " (with the crashed kernel's DIMMs)" : "",
		 sc.hold ? "; held until the guest is up" : "");
	vm->save_bg_ms = sc.hold ? vm->save_start_ms : 0;
	vm->save_fg_ms = sc.hold ? 0 : vm->save_start_ms;
	return 0;
}

static void progress(struct vm *vm, int final)
{
	uint64_t done, total;
	long long now = clock_ms(), ms = now - vm->save_start_ms;
	char a[32], b[32], c[32], d[32];

	saver_progress(vm->saver, &done, &total);
	vm->save_done = done;
	vm->progress_ms = now;
	log_info("saving: %s of %s (%d%%), %.0f MB/s; %s released, %s returned to the guest%s",
		 size_human(done, a, sizeof(a)), size_human(total, b, sizeof(b)),
		 total ? (int)(done * 100 / total) : 0, ms > 0 ? (double)done / 1e3 / (double)ms : 0.0,
		 size_human(vm->released, c, sizeof(c)), size_human(vm->release_added, d, sizeof(d)),
		 final ? "" : "");
}

/* Free on the host what the saver reports durable, and count it for return to the guest. */
static void release_durable(struct vm *vm)
{
	struct saver_range r[256];
	size_t n;

	while ((n = saver_take(vm->saver, r, 256)) > 0) {
		for (size_t i = 0; i < n; i++) {
			uint64_t freed;
			int e = vm_mem_punch(vm, r[i].gpa, r[i].len, &freed);
			if (e < 0) {
				log_warn("cannot free saved memory at 0x%llx: %s",
					 (unsigned long long)r[i].gpa, strerror(-e));
				continue;
			}
			vm->released += r[i].len;
			vm->release_pending += r[i].len;
		}
	}
}

/* The dump of preserved crash I is complete on disk. */
static void mark_saved(struct vm *vm, unsigned i, long long ms)
{
	struct preserved_crash *pc = &vm->preserved[i];
	char out[4200];

	snprintf(out, sizeof(out), "%s/%s", pc->dir, dump_name(vm));
	pc->saved_ms = clock_ms();
	record_saved(pc->dir, out, dump_format(vm), ms, vm->released, vm->save_dump_level,
		     vm->save_left_out);
	if (vm->save_fg_ms) {
		uint64_t done = vm->save_done;
		long long fg = clock_ms() - vm->save_fg_ms;
		log_info("dump saved: %s in %.1f s (%.0f MB/s once the guest was up)",
			 out, (double)ms / 1000.0,
			 fg > 0 ? (double)done / 1e3 / (double)fg : 0.0);
	} else {
		log_info("dump saved: %s in %.1f s", out, (double)ms / 1000.0);
	}
	vm->save_bg_ms = 0;
	dimms_drop_crash(vm, pc->crash);
}

/* Is every preserved crash saved?  Then nothing is preserved any more (returns true). */
static bool all_saved(struct vm *vm)
{
	char sz[32];

	for (unsigned i = 0; i < vm->npreserved; i++)
		if (!vm->preserved[i].saved_ms)
			return false;
	vm->npreserved = 0;
	log_info("every dump is saved (%s of memory freed on the host)",
		 size_human(vm->released, sz, sizeof(sz)));
	return true;
}

/* Say once what the dump level left out of the dump being saved (or why it could not). */
static void log_filter(struct vm *vm)
{
	char warn[512], sz[32];
	uint64_t n;

	if (vm->filter_logged || !vm->cfg->dump_level ||
	    !saver_filter_result(vm->saver, &n, warn, sizeof(warn)))
		return;
	vm->filter_logged = true;
	vm->save_dump_level = warn[0] ? 0 : vm->cfg->dump_level;
	vm->save_left_out = n;
	if (warn[0])
		log_warn("%s", warn);
	else
		log_info("dump level %u: %llu pages (%s) are left out of the dump by type; they are "
			 "given back with their chunk", vm->cfg->dump_level, (unsigned long long)n,
			 size_human(n * 4096, sz, sizeof(sz)));
}

void save_on_event(struct vm *vm)
{
	int result;
	char why[512];

	if (!vm->saver)
		return;
	if (vm->save_bg_ms) {
		/* The capture guest is booting: freeing what is saved (punching, on this thread)
		 * and finishing wait until it is up, like the saver itself; the ranges stay
		 * queued in the saver.  Only the event is taken (save_tick() looks again). */
		struct saver_range none;
		if (!save_guest_running(vm)) {
			saver_take(vm->saver, &none, 0);
			log_filter(vm);
			return;
		}
		save_full_speed(vm);
	}
	release_durable(vm);
	log_filter(vm);
	save_give_back(vm, 0);
	if (!saver_finished(vm->saver, &result, why, sizeof(why)))
		return;
	progress(vm, 1);
	saver_free(vm->saver);
	vm->saver = NULL;
	if (result < 0) {
		record_failed(vm->preserved[vm->saving].dir, why, vm->released);
		log_err("saving the dump failed: %s", why);
		log_err("what was saved is freed; the rest stays preserved in %s. Fix the cause, then "
			"run `hvdump save --name %s --resume` (or --discard to drop the rest)",
			vm->rd.ram, vm->cfg->name);
		return;
	}
	mark_saved(vm, vm->saving, clock_ms() - vm->save_start_ms);
	/* all saved? then the capture guest is the production guest, with all its memory */
	if (!all_saved(vm)) {
		save_maybe_start(vm);
		return;
	}
	vm_write_state(vm, "running");
	save_give_back(vm, 1);
}

void save_tick(struct vm *vm)
{
	if (vm->saver && clock_ms() - vm->progress_ms >= PROGRESS_EVERY_MS)
		progress(vm, 0);
	if (vm->saver && vm->save_bg_ms && save_guest_running(vm))
		save_on_event(vm); /* full speed, free what is saved, finish if it has */
	if (vm->release_pending)
		save_give_back(vm, vm->saver == NULL && vm->npreserved == 0);
}

void save_stop(struct vm *vm)
{
	int result = -ECANCELED;
	char why[512], a[32], b[32];
	uint64_t total;

	if (!vm->saver)
		return;
	/* The saver may have finished while QEMU was going away: then its dump is complete and
	 * what it reported durable may be freed; a later boot must not write it again.  (The
	 * state file is left to the caller: this QEMU is ending.) */
	saver_stop(vm->saver);
	release_durable(vm);
	saver_progress(vm->saver, &vm->save_done, &total);
	if (saver_finished(vm->saver, &result, why, sizeof(why)) && result == 0) {
		mark_saved(vm, vm->saving, clock_ms() - vm->save_start_ms);
		all_saved(vm);
	} else {
		if (result < 0 && result != -ECANCELED)
			record_failed(vm->preserved[vm->saving].dir, why, vm->released);
		log_warn("saving stopped after %s of %s (that part is freed on the host and due back "
			 "to the guest); the unsaved part stays preserved",
			 size_human(vm->save_done, a, sizeof(a)), size_human(total, b, sizeof(b)));
	}
	saver_free(vm->saver);
	vm->saver = NULL;
}

int save_discard(struct vm *vm)
{
	unsigned dropped = 0;
	char sz[32];

	if (vm->saver)
		return -EBUSY;
	if (vm->ram_fd < 0) {
		vm->ram_fd = open(vm->rd.ram, O_RDWR | O_CLOEXEC);
		if (vm->ram_fd < 0)
			return -errno;
	}
	for (unsigned i = 0; i < vm->npreserved; i++) {
		struct preserved_crash *pc = &vm->preserved[i];
		char path[4200];
		json_error_t e;
		json_t *j, *segs, *seg;
		size_t k;

		if (pc->saved_ms)
			continue;
		snprintf(path, sizeof(path), "%s/crash.json", pc->dir);
		j = json_load_file(path, 0, &e);
		segs = json_object_get(json_object_get(j, "capture"), "segments");
		if (!json_is_array(segs)) {
			log_err("cannot discard %s: its record has no segment list", pc->dir);
			json_decref(j);
			continue;
		}
		json_array_foreach(segs, k, seg) {
			json_t *at = json_object_get(seg, "now_at_gpa"), *len = json_object_get(seg, "bytes");
			uint64_t held;
			if (!json_is_integer(at) || !json_is_integer(len) || json_integer_value(at) < 0 ||
			    json_integer_value(len) <= 0 ||
			    vm_mem_punch(vm, (uint64_t)json_integer_value(at),
					 (uint64_t)json_integer_value(len), &held) < 0) {
				log_warn("cannot free a segment of %s: its record is malformed", pc->dir);
				continue;
			}
			vm->released += held;
			vm->release_pending += held;
		}
		json_decref(j);
		record_update(pc->dir, "discarded", NULL);
		dimms_drop_crash(vm, pc->crash);
		pc->saved_ms = clock_ms();
		dropped++;
		log_warn("dump of %s discarded on request; its memory is freed", pc->dir);
	}
	vm->npreserved = 0;
	vm_write_state(vm, "running");
	log_info("%u unsaved dump(s) discarded (%s freed on the host)", dropped,
		 size_human(vm->released, sz, sizeof(sz)));
	save_give_back(vm, 1);
	return 0;
}
