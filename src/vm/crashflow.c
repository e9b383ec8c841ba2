// SPDX-License-Identifier: GPL-2.0-or-later
// What happens after a guest kernel panics.  The crashed RAM file is the only copy of the
// evidence: every path here either leaves it untouched or hands it to the next boot with
// its crashed pages mapped in an ELF core header, and every step is written to the crash
// record so an operator (or a later hvdump) knows what is where.
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dump/capture.h"
#include "dump/kcmdline_ram.h"
#include "dump/notes.h"
#include "dump/release.h"
#include "format/prstatus.h"
#include "util/clock.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/crashflow.h"
#include "vm/record.h"

#define DUMP_RESTART_TIMEOUT_MS (24 * 3600 * 1000)
#define DUMP_FDNAME "hvdump-dump"

/* ---- the record --------------------------------------------------------------------------- */

static json_t *ranges_json(const struct mem_range *r, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:I, s:I}", "gpa", (json_int_t)r[i].start,
						   "bytes", (json_int_t)r[i].size));
	return a;
}

/* The crashed kernel's memory: its boot RAM, then the DIMMs it had, sorted.  Returns how many
 * ranges (at most LAYOUT_MAX_RANGES). */
static size_t crashed_ranges(const struct crash_ctx *x, struct mem_range *out)
{
	size_t n = x->boot->nram < LAYOUT_MAX_RANGES ? x->boot->nram : LAYOUT_MAX_RANGES;

	memcpy(out, x->boot->ram, n * sizeof(*out));
	return n + dimms_ranges(x->dimms, x->c->number, out + n, LAYOUT_MAX_RANGES - n);
}

static json_t *vcpus_json(const struct crash_notes *n)
{
	json_t *cpus = json_array();

	for (unsigned i = 0; i < n->ncpus && i < NOTES_MAX_CPUS; i++) {
		const struct prstatus *p = &n->cpu[i];
		char rip[24], rsp[24];
		snprintf(rip, sizeof(rip), "0x%016llx", (unsigned long long)p->reg[PR_RIP]);
		snprintf(rsp, sizeof(rsp), "0x%016llx", (unsigned long long)p->reg[PR_RSP]);
		json_array_append_new(cpus, json_pack("{s:i, s:s, s:s}", "cpu", (int)i, "rip", rip,
						      "rsp", rsp));
	}
	return cpus;
}

/* The parts of a record known at the crash, in state STATE. */
static json_t *record_new(const struct crash_ctx *x, enum crash_state state)
{
	const struct crash *c = x->c;
	struct mem_range *ranges = calloc(LAYOUT_MAX_RANGES, sizeof(*ranges));
	size_t nranges = ranges ? crashed_ranges(x, ranges) : 0;
	json_t *j = json_object();

	json_object_set_new(j, "format", json_string(RECORD_FORMAT));
	json_object_set_new(j, "vm", json_string(x->cfg->name));
	json_object_set_new(j, "crash", json_integer(c->number));
	json_object_set_new(j, "time", json_string(c->time));
	json_object_set_new(j, "detected_by", json_string(c->how));
	if (c->detail)
		json_object_set_new(j, "detection", json_deep_copy(c->detail));
	json_object_set_new(j, "on_crash", json_string(on_crash_name(x->cfg->on_crash)));
	json_object_set_new(j, "in_capture_boot", json_boolean(x->boot->capture));
	json_object_set_new(j, "kernel_release",
			    c->notes.osrelease[0] ? json_string(c->notes.osrelease) : json_null());
	json_object_set_new(j, "panic", c->panic[0] ? json_string(c->panic) : json_null());
	json_object_set_new(j, "vmcoreinfo", c->notes.vmcoreinfo_source
						 ? json_string(c->notes.vmcoreinfo_source) : json_null());
	json_object_set_new(j, "vcpus", vcpus_json(&c->notes));
	json_object_set_new(j, "crashed_ram", json_pack("{s:I, s:I, s:o}", "ram_file_bytes",
						      (json_int_t)x->boot->cur.ram_size,
						      "lowmem_bytes", (json_int_t)x->boot->cur.lowmem,
						      "ranges", ranges_json(ranges, nranges)));
	json_object_set_new(j, "ram_file", json_string(x->rd->ram));
	json_object_set_new(j, "dimms", dimms_json(x->dimms, c->number));
	json_object_set_new(j, "notes_file", json_string("notes.elf"));
	json_object_set_new(j, "state", json_string(crash_state_name(state)));
	free(ranges);
	return j;
}

/* ---- on a panic --------------------------------------------------------------------------- */

static enum crash_action pause_guest(const struct crash_ctx *x)
{
	char sz[32];

	log_info("crashed guest preserved: VM paused in QEMU pid %d, RAM (%s) in %s",
		 (int)x->s->proc.pid, size_human(x->boot->cur.ram_size, sz, sizeof(sz)), x->rd->ram);
	log_info("stop hvdump (Ctrl-C or SIGTERM) to end QEMU; the run directory %s and its RAM "
		 "file are kept", x->rd->path);
	return CRASH_ACT_PAUSE;
}

static enum crash_action assisted(const struct crash_ctx *x)
{
	struct crash *c = x->c;
	char path[4200], why[512];
	long long t0 = clock_ms();
	int r;

	snprintf(path, sizeof(path), "%s/notes.elf", c->dir);
	r = x->cfg->cpu_state_registers ? -ENOTSUP
					: notes_from_qemu(x->s->qmp, path, &c->notes, why, sizeof(why));
	if (r < 0 && !x->cfg->cpu_state_registers)
		log_warn("QEMU's notes are unavailable (%s); reading the registers instead", why);
	if (r < 0)
		r = notes_from_registers(x->s->qmp, &c->notes, why, sizeof(why));
	if (r < 0) {
		log_err("cannot collect the vCPU state: %s", why);
		log_err("falling back to keeping the crashed guest paused");
		record_write(c->dir, record_new(x, CRASH_CRASHED));
		return pause_guest(x);
	}
	log_info("collected %u vCPU notes in %lld ms%s", c->notes.ncpus, clock_ms() - t0,
		 c->notes.vmcoreinfo_source ? " with VMCOREINFO" : " (no VMCOREINFO from QEMU)");
	return CRASH_ACT_CAPTURE;
}

static enum crash_action dump_restart(const struct crash_ctx *x)
{
	const char *fmt = x->cfg->dump_format;
	char path[4200], *err = NULL, sz[32];
	long long t0 = clock_ms();
	struct stat st;
	json_t *rec, *args;
	int fd, r;

	snprintf(path, sizeof(path), "%s/vmcore.%s", x->c->dir, strcmp(fmt, "elf") ? "kdump" : "elf");
	log_info("dump-restart: QEMU dump-guest-memory (%s) to %s", fmt, path);
	/* into a file we create and hand over: QEMU opens nothing in the crash directory */
	fd = open_new_private(path, O_WRONLY);
	r = fd < 0 ? fd : qmp_getfd(x->s->qmp, DUMP_FDNAME, fd, 10000, &err);
	if (r == 0) {
		args = json_pack("{s:b, s:s, s:s}", "paging", 0, "protocol", "fd:" DUMP_FDNAME,
				 "format", fmt);
		r = qmp_command(x->s->qmp, "dump-guest-memory", args, DUMP_RESTART_TIMEOUT_MS, NULL,
				&err);
	}
	if (r < 0) {
		log_err("dump-guest-memory failed: %s; keeping the crashed guest paused",
			err ? err : strerror(-r));
		free(err);
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		record_write(x->c->dir, record_new(x, CRASH_DUMP_FAILED));
		return pause_guest(x);
	}
	if (fstat(fd, &st) == 0)
		log_info("dump written in %lld ms (%s); restarting the guest", clock_ms() - t0,
			 size_human((uint64_t)st.st_size, sz, sizeof(sz)));
	close(fd);
	rec = record_new(x, CRASH_DUMPED);
	json_object_set_new(rec, "dump_file", json_string(path));
	json_object_set_new(rec, "dump_format", json_string(fmt));
	json_object_set_new(rec, "dump_ms", json_integer(clock_ms() - t0));
	record_write(x->c->dir, rec);
	return CRASH_ACT_DUMPED;
}

enum crash_action crash_handle(const struct crash_ctx *x)
{
	const char *base = x->cfg->dump_dir ? x->cfg->dump_dir : vm_default_dump_dir();

	if (x->cfg->on_crash == ON_CRASH_POWEROFF) {
		log_info("--on-crash poweroff: discarding the crashed guest");
		return CRASH_ACT_DROP;
	}
	if (record_make_dir(base, x->cfg->name, x->c->dir, sizeof(x->c->dir)) < 0)
		return pause_guest(x);
	log_info("crash record: %s/crash.json", x->c->dir);
	switch (x->cfg->on_crash) {
	case ON_CRASH_ASSISTED:
		return assisted(x);
	case ON_CRASH_DUMP_RESTART:
		return dump_restart(x);
	case ON_CRASH_PAUSE:
	case ON_CRASH_POWEROFF:
		break;
	}
	record_write(x->c->dir, record_new(x, CRASH_CRASHED));
	return pause_guest(x);
}

/* ---- the capture boot --------------------------------------------------------------------- */

/* When QEMU's own notes file is missing (registers fallback), write ours so readelf and
 * the other tools still find the notes beside the record. */
static void write_notes_file(const struct crash *c)
{
	char path[4200];
	size_t size = elfcore_header_size(0, 0, c->notes.len);
	uint8_t *buf;
	int r;

	snprintf(path, sizeof(path), "%s/notes.elf", c->dir);
	if (access(path, F_OK) == 0)
		return;
	buf = calloc(1, size);
	if (!buf)
		return;
	r = elfcore_build(buf, size, 0, NULL, 0, c->notes.buf, c->notes.len, NULL);
	if (r == 0)
		r = write_file_atomic(path, buf, size, 0600);
	if (r < 0)
		log_warn("cannot write %s: %s", path, strerror(-r));
	free(buf);
}

static json_t *segments_json(const struct capture_plan *p)
{
	json_t *segs = json_array();

	for (size_t i = 0; i < p->nloads; i++) {
		const struct elfcore_load *l = &p->loads[i];
		uint64_t off = 0;
		int ok = layout_gpa_to_off(&p->next, l->data_addr, &off) == 0;
		json_array_append_new(segs, json_pack("{s:I, s:I, s:I, s:o, s:b}", "paddr",
						      (json_int_t)l->paddr, "bytes", (json_int_t)l->size,
						      "now_at_gpa", (json_int_t)l->data_addr,
						      "ram_file_offset", ok ? json_integer((json_int_t)off)
									    : json_null(),
						      "relocated", l->data_addr != l->paddr));
	}
	return segs;
}

static json_t *plan_json(const struct capture_plan *p)
{
	json_t *copies = json_array(), *zones = json_array();

	for (size_t i = 0; i < p->ncopies; i++)
		json_array_append_new(copies, json_pack("{s:I, s:I, s:I}", "from_offset",
							(json_int_t)p->copies[i].src_off, "to_offset",
							(json_int_t)p->copies[i].dst_off, "bytes",
							(json_int_t)p->copies[i].size));
	for (size_t i = 0; i < p->nzones; i++)
		json_array_append_new(zones, json_pack("{s:I, s:I}", "gpa", (json_int_t)p->zones[i].start,
						       "bytes", (json_int_t)p->zones[i].size));
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "ram_file_bytes",
			 (json_int_t)p->next.ram_size, "lowmem_bytes", (json_int_t)p->next.lowmem,
			 "extension_offset", (json_int_t)p->ext_off, "extension_bytes",
			 (json_int_t)p->ext_size, "elfcorehdr_gpa", (json_int_t)p->hdr_gpa,
			 "elfcorehdr_offset", (json_int_t)p->hdr_off, "overwritten_zones", zones,
			 "copies", copies, "segments", segments_json(p));
}

/* A capture guest crashed after every earlier dump was saved: nothing in the RAM file beyond
 * the production RAM matters any more (the old extensions held saved crashes), so the new
 * extension replaces them instead of growing the guest-physical space. */
static int drop_saved_extensions(const struct crash_ctx *x, const struct crash_list *list,
				 int fd, struct machine_layout *cur)
{
	if (!x->boot->capture || list->n || cur->ram_size <= x->cfg->memory)
		return 0;
	if (ftruncate(fd, (off_t)x->cfg->memory) < 0) {
		int e = errno;
		log_err("cannot drop the saved crashes' extension from %s: %s", x->rd->ram,
			strerror(e));
		return -e;
	}
	cur->ram_size = x->cfg->memory;
	return 0;
}

/* Would the RAM file of PLAN hold more crashed memory beyond the guest's RAM than the VM may
 * keep?  A tenant whose every capture kernel panics once in service must not grow the host's
 * memory without end.  0 or -EDQUOT (logged). */
static int within_cap(const struct crash_ctx *x, const struct capture_plan *plan)
{
	uint64_t cap = x->cfg->crash_memory_max ? x->cfg->crash_memory_max : 2 * x->cfg->memory;
	uint64_t extra = plan->next.ram_size > x->cfg->memory ? plan->next.ram_size - x->cfg->memory
							      : 0;
	char a[32], b[32];

	if (extra <= cap)
		return 0;
	log_err("the unsaved crashes of this VM would hold %s beyond its RAM, more than the %s it "
		"may keep (--max-crash-memory): not booting another capture guest",
		size_human(extra, a, sizeof(a)), size_human(cap, b, sizeof(b)));
	return -EDQUOT;
}

/* Each CPU's pid in its NT_PRSTATUS note, as the kernel's crash_save_cpu() writes it (QEMU
 * writes its CPU index + 1): debuggers take it for the thread that ran there. */
static void set_pids(const struct crash_ctx *x, int fd)
{
	char why[256];
	int r = crash_notes_pids(fd, &x->boot->cur, x->boot->ram, x->boot->nram, &x->c->notes,
				 why, sizeof(why));

	if (r <= 0)
		log_warn("the notes keep QEMU's CPU numbers as pids (debuggers will not find the "
			 "thread each CPU ran): %s", why);
	else
		log_info("each CPU's pid in its note: %d of %u CPUs' tasks read", r,
			 x->c->notes.ncpus);
}

/* The crash's notes: VMCOREINFO found in guest memory if QEMU had none, notes.elf written,
 * the kernel remembered as stale. */
static void complete_notes(const struct crash_ctx *x, int fd, struct notes_stale *stale)
{
	struct crash *c = x->c;

	if (!c->notes.vmcoreinfo_source) {
		int r = notes_find_vmcoreinfo(&c->notes, fd, &x->boot->cur, x->boot->ram,
					      x->boot->nram, stale);
		if (r < 0)
			log_warn("no VMCOREINFO in QEMU's notes or guest memory (%s): dump tools will "
				 "need the kernel's debug info", strerror(-r));
	}
	set_pids(x, fd);
	write_notes_file(c);
	notes_stale_add(stale, &c->notes);
}

/* The panic line from the crashed kernel's log, for a crash no console watched
 * (x->c->panic_from_log) when nothing gave one yet. */
static void panic_from_log(const struct crash_ctx *x, int fd)
{
	char why[512];

	if (x->c->panic_from_log && !x->c->panic[0] &&
	    crash_kernel_panic(fd, &x->boot->cur, x->boot->ram, x->boot->nram, &x->c->notes,
			       x->c->panic, sizeof(x->c->panic), why, sizeof(why)) < 0)
		log_warn("no panic line from the crashed kernel's log: %s", why);
}

/* Where the crashed kernel mapped itself, into KM, for the ELF core header (debuggers that
 * read /proc/vmcore by virtual address need it); NULL, with a warning, when unknown. */
static const struct kmap *crashed_kmap(const struct crash_ctx *x, int fd, struct kmap *km)
{
	size_t vlen = 0;
	const char *vmci = notes_vmcoreinfo(&x->c->notes, &vlen);
	char why[256];

	if (crash_kernel_kmap(fd, &x->boot->cur, x->boot->ram, x->boot->nram, vmci, vlen, km, why,
			      sizeof(why)) < 0) {
		log_warn("the ELF core header gets no kernel-image segment and no virtual addresses "
			 "(drgn cannot read /proc/vmcore then; crash and makedumpfile can): %s", why);
		return NULL;
	}
	log_info("ELF core header as kexec's: kernel image 0x%" PRIx64 "-0x%" PRIx64 " at physical "
		 "0x%" PRIx64 ", direct map at 0x%" PRIx64, km->text_vaddr,
		 km->text_vaddr + km->text_size, km->text_paddr, km->direct_base);
	return km;
}

/* Plan and apply the capture layout in the RAM file FD into PLAN.  0 or -errno (logged). */
static int lay_out(const struct crash_ctx *x, const struct crash_list *list, int fd,
		   const struct capture_kernel *ck, struct capture_plan *plan)
{
	struct mem_range *ram = calloc(LAYOUT_MAX_RANGES + VM_MAX_DIMMS, sizeof(*ram));
	struct capture_inputs in = {
		.cur = x->boot->cur,
		.boot_region = ck->boot_region,
		.firmware_zone = LAYOUT_FIRMWARE_ZONE,
		.initrd_size = ck->initrd_size,
		.initrd_addr_max = ck->initrd_addr_max,
		.notes_len = x->c->notes.len,
	};
	struct kmap km;
	char why[512];
	int r = -ENOSPC;

	if (!ram)
		return -ENOMEM;
	in.ram = ram;
	in.nram = crashed_ranges(x, ram);
	in.dimms = ram + LAYOUT_MAX_RANGES;
	in.ndimms = dimms_ranges(x->dimms, 0, ram + LAYOUT_MAX_RANGES, VM_MAX_DIMMS);
	if (list->n == VM_MAX_CRASHES) {
		log_err("%u crashes already preserved and unsaved; not booting another capture",
			list->n);
	} else if (in.ndimms >= RELEASE_SLOTS) {
		log_err("%zu DIMMs hold unsaved crashed memory: no slot left to give memory back",
			in.ndimms);
	} else if ((r = drop_saved_extensions(x, list, fd, &in.cur)) < 0) {
		/* logged */
	} else if ((r = capture_plan_build(&in, plan, why, sizeof(why))) < 0) {
		log_err("cannot plan the capture boot: %s", why);
	} else if ((r = within_cap(x, plan)) < 0) {
		/* logged */
	} else if ((r = capture_apply(fd, plan, x->c->notes.buf, x->c->notes.len,
				      crashed_kmap(x, fd, &km), why, sizeof(why))) < 0) {
		log_err("cannot lay out the capture boot: %s", why);
	} else if (in.ndimms) {
		log_info("%zu DIMM file(s) with crashed memory re-attached read-only where they were",
			 in.ndimms);
	}
	free(ram);
	return r;
}

/* The capture kernel into CK (capkernel_prepare()), logged and recorded when it cannot be. */
static int choose_kernel(const struct crash_ctx *x, const struct capture_kernel *prev, int fd,
			 struct capture_kernel *ck)
{
	char why[2048];
	int r = capkernel_prepare(x->cfg, x->boot, prev, fd, &x->c->notes, x->rd->path, ck, why,
				  sizeof(why));

	if (r < 0) {
		log_err("no capture kernel: %s", why);
		snprintf(x->c->capture_error, sizeof(x->c->capture_error), "no capture kernel: %s",
			 why);
	} else if (ck->from_disk) {
		log_info("capture boot of %s (read from the guest's disk and crashed memory in %lld "
			 "ms): %s", ck->release, ck->fetch_ms, ck->cmdline);
	}
	return r;
}

int crash_prepare_capture(const struct crash_ctx *x, const struct crash_list *list,
			  struct notes_stale *stale, const struct capture_kernel *prev,
			  struct capture_next *out)
{
	struct capture_plan *plan = calloc(1, sizeof(*plan));
	struct elfcore_segment *segs = NULL;
	size_t nsegs = 0;
	long long t0 = clock_ms();
	char sz[32];
	json_t *rec;
	int fd, r;

	memset(out, 0, sizeof(*out));
	if (!plan)
		return -ENOMEM;
	fd = open(x->rd->ram, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_err("cannot open the crashed RAM file %s: %s", x->rd->ram, strerror(errno));
		goto out;
	}
	complete_notes(x, fd, stale);
	panic_from_log(x, fd);
	r = choose_kernel(x, prev, fd, &out->ck);
	if (r == 0)
		r = lay_out(x, list, fd, &out->ck, plan);
	if (r == 0) {
		/* the host keeps the header's segments: from now on the copy in the RAM file is
		 * in the capture guest's memory, and the guest may change it */
		r = capture_read_header(fd, plan->hdr_off, &segs, &nsegs);
		if (r < 0)
			log_err("cannot read back the ELF core header just written to %s: %s",
				x->rd->ram, strerror(-r));
	}
	close(fd);
	if (r < 0) {
		/* no capture boot: the record says so (the RAM file stays where it is) */
		rec = record_new(x, CRASH_CRASHED);
		json_object_set_new(rec, "capture_error",
				    json_string(x->c->capture_error[0] ? x->c->capture_error
						: r == -EDQUOT ? "over --max-crash-memory"
						: r == -ENOSPC ? "no room: too many unsaved crashes or DIMMs"
							       : strerror(-r)));
		capkernel_clear(&out->ck);
		record_write(x->c->dir, rec);
		goto out;
	}
	log_info("capture layout ready in %lld ms: %zu segments, %s relocated, ELF core header at "
		 "0x%llx", clock_ms() - t0, plan->nloads, size_human(plan->ext_size, sz, sizeof(sz)),
		 (unsigned long long)plan->hdr_gpa);
	rec = record_new(x, CRASH_PRESERVED);
	json_object_set_new(rec, "capture", plan_json(plan));
	json_object_set_new(rec, "boot_region_bytes", json_integer((json_int_t)out->ck.boot_region));
	if (out->ck.from_disk)
		json_object_set_new(rec, "capture_kernel",
				    json_pack("{s:s, s:s, s:s, s:I}", "release", out->ck.release,
					      "kernel", out->ck.kernel, "command_line",
					      out->ck.cmdline, "read_ms",
					      (json_int_t)out->ck.fetch_ms));
	record_write(x->c->dir, rec);
	out->next = plan->next;
	out->hdr_off = plan->hdr_off;
	out->hdr_gpa = plan->hdr_gpa;
	out->segs = segs;
	out->nsegs = nsegs;
	segs = NULL;
out:
	free(segs);
	free(plan);
	notes_free(&x->c->notes);
	return r;
}

int crash_keep_in_place(const struct crash_ctx *x, struct notes_stale *stale)
{
	struct capture_plan *plan = calloc(1, sizeof(*plan));
	struct kmap km;
	char why[512];
	json_t *rec;
	int fd, r = -ENOMEM;

	fd = plan ? open(x->rd->ram, O_RDWR | O_CLOEXEC) : -1;
	if (plan && fd < 0) {
		r = -errno;
		snprintf(why, sizeof(why), "cannot open %s: %s", x->rd->ram, strerror(errno));
	}
	if (fd >= 0) {
		complete_notes(x, fd, stale);
		panic_from_log(x, fd);
		r = capture_plan_keep(&x->boot->cur, x->boot->ram, x->boot->nram, x->c->notes.len,
				      plan, why, sizeof(why));
		if (r == 0)
			r = capture_apply(fd, plan, x->c->notes.buf, x->c->notes.len,
					  crashed_kmap(x, fd, &km), why, sizeof(why));
		close(fd);
	}
	if (r < 0) {
		log_err("cannot write the ELF core header beside the kept RAM: %s", why);
		rec = record_new(x, CRASH_CRASHED);
		json_object_set_new(rec, "capture_error", json_string(why));
	} else {
		rec = record_new(x, CRASH_PRESERVED_UNSAVED);
		json_object_set_new(rec, "capture", plan_json(plan));
	}
	record_write(x->c->dir, rec);
	free(plan);
	return r;
}

/* ---- around the capture boot -------------------------------------------------------------- */

/* The crashed kernel's DIMMs for the hook: one "GPA BYTES PATH" line each (malloc'd). */
static char *hook_dimms(const struct crash_ctx *x)
{
	size_t cap = (size_t)x->dimms->n * 4300 + 1, len = 0;
	char *text = malloc(cap);

	if (!text)
		return NULL;
	text[0] = '\0';
	for (unsigned i = 0; i < x->dimms->n && len < cap; i++) {
		const struct vm_dimm *d = &x->dimms->d[i];
		if (d->gone || d->crash != x->c->number)
			continue;
		len += (size_t)snprintf(text + len, cap - len, "%s0x%llx %llu %s", len ? "\n" : "",
					(unsigned long long)d->gpa, (unsigned long long)d->size,
					d->path);
	}
	return text;
}

/* In the hook's child: its environment, then the shell.  Never returns. */
static void hook_exec(const struct crash_ctx *x, const char *dimms)
{
	char num[32];
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setenv("HVDUMP_VM", x->cfg->name, 1);
	setenv("HVDUMP_RAM_FILE", x->rd->ram, 1);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)x->boot->cur.ram_size);
	setenv("HVDUMP_RAM_BYTES", num, 1);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)x->boot->cur.lowmem);
	setenv("HVDUMP_LOWMEM_BYTES", num, 1);
	snprintf(num, sizeof(num), "%u", x->c->number);
	setenv("HVDUMP_CRASH", num, 1);
	setenv("HVDUMP_CRASH_DIR", x->c->dir, 1);
	setenv("HVDUMP_IN_CAPTURE", x->boot->capture ? "1" : "0", 1);
	setenv("HVDUMP_DIMMS", dimms ? dimms : "", 1);
	execl("/bin/sh", "sh", "-c", x->cfg->crash_hook, (char *)NULL);
	_exit(127);
}

void crash_run_hook(const struct crash_ctx *x)
{
	long long t0 = clock_ms();
	char *dimms;
	pid_t pid;
	int status;

	if (!x->cfg->crash_hook)
		return;
	dimms = hook_dimms(x);
	pid = fork();
	if (pid < 0) {
		log_warn("cannot run the crash hook: %s", strerror(errno));
		free(dimms);
		return;
	}
	if (pid == 0)
		hook_exec(x, dimms);
	free(dimms);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		log_warn("crash hook failed (status 0x%x); continuing with the capture", status);
	else
		log_info("crash hook ran in %lld ms", clock_ms() - t0);
}

void crash_capture_started(const struct crash_list *list, long long crash_mono_ms)
{
	long long ms = clock_ms() - crash_mono_ms;

	log_info("capture guest booting %lld ms after the crash; /proc/vmcore in the guest holds "
		 "the crashed kernel's memory", ms);
	if (!list->n)
		return;
	record_update(list->c[list->n - 1].dir, CRASH_CAPTURE_RUNNING,
		      json_pack("{s:I}", "crash_to_capture_start_ms", (json_int_t)ms));
}

int crash_keep_ram_file(const struct rundir *rd, const struct crash_list *list,
			struct dimm_set *dimms, unsigned ncrash)
{
	char kept[4200];
	int n;

	if (!list->n)
		return 0;
	n = snprintf(kept, sizeof(kept), "%s/crash-%u.ram", rd->path, ncrash);
	if (n >= (int)sizeof(kept))
		return -ENAMETOOLONG;
	if (rename(rd->ram, kept) < 0) {
		int e = errno;
		log_err("cannot keep the RAM file with unsaved crashes as %s: %s", kept, strerror(e));
		return -e;
	}
	if (dimms_keep(dimms, ncrash) < 0)
		log_err("some DIMM files with unsaved crashed memory are still named dimm-N in %s",
			rd->path);
	for (unsigned i = 0; i < list->n; i++)
		if (!list->c[i].saved_ms)
			record_update(list->c[i].dir, CRASH_PRESERVED_UNSAVED,
				      json_pack("{s:s, s:o}", "ram_file", kept, "dimms",
						dimms_json(dimms, list->c[i].crash)));
	dimms_unregister_crashed(dimms);
	log_warn("%u crash dump(s) not yet saved: their memory is kept in %s (see the crash "
		 "records); `hvdump save --from CRASH-DIR` writes each dump from it", list->n, kept);
	return 0;
}
