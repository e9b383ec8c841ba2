// SPDX-License-Identifier: GPL-2.0-or-later
// What happens after a guest kernel panics.  The crashed RAM file is the only copy of the
// evidence: every path here either leaves it untouched or hands it to the next boot with
// its crashed pages mapped in an ELF core header, and every step is written to the crash
// record so an operator (or a later hvdump) knows what is where.
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dump/capture.h"
#include "dump/layout.h"
#include "dump/notes.h"
#include "dump/release.h"
#include "format/prstatus.h"
#include "format/vmcoreinfo.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/vm_internal.h"

#define DUMP_RESTART_TIMEOUT_MS (24 * 3600 * 1000)

/* ---- crash records ------------------------------------------------------------------------ */

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
static size_t crashed_ranges(const struct vm *vm, struct mem_range *out)
{
	size_t n = vm->nram < LAYOUT_MAX_RANGES ? vm->nram : LAYOUT_MAX_RANGES;

	memcpy(out, vm->ram, n * sizeof(*out));
	return n + (vm->ncrash ? dimms_ranges(vm, vm->ncrash, out + n, LAYOUT_MAX_RANGES - n) : 0);
}

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
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (posix_fallocate(fd, 0, RECORD_RESERVE) != 0) {
		close(fd);
		unlink(path);
		return;
	}
	close(fd);
}

/* Write DIR/crash.json from J (stolen). */
static void record_write(const char *dir, json_t *j)
{
	char path[4200], rpath[4200], *text;
	int r;

	snprintf(path, sizeof(path), "%s/crash.json", dir);
	text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!text) {
		log_warn("cannot format the crash record %s", path);
		return;
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
}

static json_t *record_load(const char *dir)
{
	char path[4200];
	json_error_t e;

	snprintf(path, sizeof(path), "%s/crash.json", dir);
	return json_load_file(path, 0, &e);
}

/* The parts of a record known at the crash. */
static json_t *record_new(struct vm *vm, const char *how)
{
	json_t *j = json_object(), *cpus = json_array();
	struct mem_range ranges[LAYOUT_MAX_RANGES];
	size_t nranges = crashed_ranges(vm, ranges);

	json_object_set_new(j, "format", json_string("hvdump-crash-record/1"));
	json_object_set_new(j, "vm", json_string(vm->cfg->name));
	json_object_set_new(j, "crash", json_integer(vm->ncrash));
	json_object_set_new(j, "time", json_string(vm->crash_time));
	json_object_set_new(j, "detected_by", json_string(how));
	json_object_set_new(j, "on_crash", json_string(on_crash_name(vm->cfg->on_crash)));
	json_object_set_new(j, "in_capture_boot", json_boolean(vm->capture));
	json_object_set_new(j, "kernel_release",
			    vm->notes.osrelease[0] ? json_string(vm->notes.osrelease) : json_null());
	json_object_set_new(j, "panic", vm->panic_text[0] ? json_string(vm->panic_text) : json_null());
	json_object_set_new(j, "vmcoreinfo", vm->notes.vmcoreinfo_source
						 ? json_string(vm->notes.vmcoreinfo_source) : json_null());
	for (unsigned i = 0; i < vm->notes.ncpus && i < NOTES_MAX_CPUS; i++) {
		const struct prstatus *p = &vm->notes.cpu[i];
		char rip[24], rsp[24];
		snprintf(rip, sizeof(rip), "0x%016llx", (unsigned long long)p->reg[PR_RIP]);
		snprintf(rsp, sizeof(rsp), "0x%016llx", (unsigned long long)p->reg[PR_RSP]);
		json_array_append_new(cpus, json_pack("{s:i, s:s, s:s}", "cpu", (int)i, "rip", rip,
						      "rsp", rsp));
	}
	json_object_set_new(j, "vcpus", cpus);
	json_object_set_new(j, "crashed_ram", json_pack("{s:I, s:I, s:o}", "ram_file_bytes",
						      (json_int_t)vm->cur.ram_size, "lowmem_bytes",
						      (json_int_t)vm->cur.lowmem, "ranges",
						      ranges_json(ranges, nranges)));
	json_object_set_new(j, "ram_file", json_string(vm->rd.ram));
	json_object_set_new(j, "dimms", dimms_json(vm, vm->ncrash));
	json_object_set_new(j, "notes_file", json_string("notes.elf"));
	json_object_set_new(j, "state", json_string("crashed"));
	return j;
}

void record_update(const char *dir, const char *state, json_t *changes)
{
	json_t *j = record_load(dir);
	char ts[40];

	if (!j) {
		log_warn("cannot reread the crash record in %s", dir);
		json_decref(changes);
		return;
	}
	log_timestamp(ts, sizeof(ts));
	if (state)
		json_object_set_new(j, "state", json_string(state));
	json_object_set_new(j, "updated", json_string(ts));
	if (changes) {
		json_object_update(j, changes);
		json_decref(changes);
	}
	record_write(dir, j);
	if (state && (!strcmp(state, "saved") || !strcmp(state, "saved-by-guest") ||
		      !strcmp(state, "discarded"))) {
		char rpath[4200];
		reserve_path(dir, rpath, sizeof(rpath));
		unlink(rpath); /* final: the record will not grow again */
	}
}

/* Make <dump-dir>/<name>-<time>[-N], 0700. */
static int make_crash_dir(struct vm *vm)
{
	const char *base = vm->cfg->dump_dir ? vm->cfg->dump_dir : vm_default_dump_dir();
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	int r;

	r = mkdir_p(base, 0700);
	if (r < 0) {
		log_err("cannot create dump directory %s: %s", base, strerror(-r));
		return r;
	}
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (int i = 1; i < 1000; i++) {
		if (i == 1)
			snprintf(vm->crash_dir, sizeof(vm->crash_dir), "%s/%s-%s", base, vm->cfg->name, stamp);
		else
			snprintf(vm->crash_dir, sizeof(vm->crash_dir), "%s/%s-%s-%d", base, vm->cfg->name,
				 stamp, i);
		if (mkdir(vm->crash_dir, 0700) == 0) {
			record_reserve(vm->crash_dir);
			return 0;
		}
		if (errno != EEXIST) {
			r = -errno;
			log_err("cannot create %s: %s", vm->crash_dir, strerror(errno));
			return r;
		}
	}
	return -EEXIST;
}

/* ---- on GUEST_PANICKED -------------------------------------------------------------------- */

static void crash_pause(struct vm *vm)
{
	char sz[32];

	log_info("crashed guest preserved: VM paused in QEMU pid %d, RAM (%s) in %s",
		 (int)vm->proc.pid, size_human(vm->cur.ram_size, sz, sizeof(sz)), vm->rd.ram);
	log_info("stop hvdump (Ctrl-C or SIGTERM) to end QEMU; the run directory %s and its RAM "
		 "file are kept", vm->rd.path);
}

static void crash_assisted(struct vm *vm, const char *how)
{
	char path[4200], why[512];
	long long t0 = clock_ms();
	int r;

	snprintf(path, sizeof(path), "%s/notes.elf", vm->crash_dir);
	r = vm->cfg->cpu_state_registers ? -ENOTSUP
					 : notes_from_qemu(vm->qmp, path, &vm->notes, why, sizeof(why));
	if (r < 0 && !vm->cfg->cpu_state_registers)
		log_warn("QEMU's notes are unavailable (%s); reading the registers instead", why);
	if (r < 0)
		r = notes_from_registers(vm->qmp, &vm->notes, why, sizeof(why));
	if (r < 0) {
		log_err("cannot collect the vCPU state: %s", why);
		log_err("falling back to keeping the crashed guest paused");
		record_write(vm->crash_dir, record_new(vm, how));
		crash_pause(vm);
		return;
	}
	log_info("collected %u vCPU notes in %lld ms%s", vm->notes.ncpus, clock_ms() - t0,
		 vm->notes.vmcoreinfo_source ? " with VMCOREINFO" : " (no VMCOREINFO from QEMU)");
	vm->end = END_CAPTURE;
	vm_request_quit(vm);
}

static void crash_dump_restart(struct vm *vm, const char *how)
{
	char path[4200], proto[4300], *err = NULL, sz[32];
	const char *fmt = vm->cfg->dump_format;
	long long t0 = clock_ms();
	struct stat st;
	json_t *rec, *args;
	int r;

	snprintf(path, sizeof(path), "%s/vmcore.%s", vm->crash_dir,
		 strcmp(fmt, "elf") ? "kdump" : "elf");
	snprintf(proto, sizeof(proto), "file:%s", path);
	log_info("dump-restart: QEMU dump-guest-memory (%s) to %s", fmt, path);
	args = json_pack("{s:b, s:s, s:s}", "paging", 0, "protocol", proto, "format", fmt);
	r = qmp_command(vm->qmp, "dump-guest-memory", args, DUMP_RESTART_TIMEOUT_MS, NULL, &err);
	rec = record_new(vm, how);
	if (r < 0) {
		log_err("dump-guest-memory failed: %s; keeping the crashed guest paused",
			err ? err : strerror(-r));
		free(err);
		json_object_set_new(rec, "state", json_string("dump-failed"));
		record_write(vm->crash_dir, rec);
		crash_pause(vm);
		return;
	}
	chmod(path, 0600);
	if (stat(path, &st) == 0)
		log_info("dump written in %lld ms (%s); restarting the guest", clock_ms() - t0,
			 size_human((uint64_t)st.st_size, sz, sizeof(sz)));
	json_object_set_new(rec, "state", json_string("dumped"));
	json_object_set_new(rec, "dump_file", json_string(path));
	json_object_set_new(rec, "dump_format", json_string(fmt));
	json_object_set_new(rec, "dump_ms", json_integer(clock_ms() - t0));
	record_write(vm->crash_dir, rec);
	vm->end = END_DUMPED;
	vm_request_quit(vm);
}

void crash_handle(struct vm *vm, const char *when, const char *how)
{
	if (vm->crashed)
		return;
	vm->crashed = true;
	vm->ncrash++;
	dimms_crashed(vm);
	vm->console_panic_ms = 0;
	vm->crash_mono_ms = clock_ms();
	snprintf(vm->crash_time, sizeof(vm->crash_time), "%s", when);
	memset(&vm->notes, 0, sizeof(vm->notes));
	log_err("guest kernel panicked at %s (detected by %s)%s%s", when, how,
		vm->panic_text[0] ? ": " : "", vm->panic_text);
	if (vm->capture && vm->npreserved)
		log_warn("the capture guest crashed too; the earlier crash stays preserved");
	vm_write_state(vm, "crashed");

	if (vm->cfg->on_crash == ON_CRASH_POWEROFF) {
		log_info("--on-crash poweroff: discarding the crashed guest");
		vm->end = END_CRASH_DROPPED;
		vm_request_quit(vm);
		return;
	}
	if (make_crash_dir(vm) < 0) {
		crash_pause(vm);
		return;
	}
	log_info("crash record: %s/crash.json", vm->crash_dir);
	switch (vm->cfg->on_crash) {
	case ON_CRASH_ASSISTED:
		crash_assisted(vm, how);
		break;
	case ON_CRASH_DUMP_RESTART:
		crash_dump_restart(vm, how);
		break;
	case ON_CRASH_PAUSE:
	case ON_CRASH_POWEROFF:
		record_write(vm->crash_dir, record_new(vm, how));
		crash_pause(vm);
		break;
	}
}

/* ---- the capture boot --------------------------------------------------------------------- */

uint64_t crash_return_bytes(const struct vm_config *c)
{
	uint64_t rest = c->memory > c->boot_region ? c->memory - c->boot_region : 0;
	return (rest + RELEASE_DIMM_ALIGN - 1) & ~(RELEASE_DIMM_ALIGN - 1);
}

/* Does the guest's own command line set PARAM (e.g. "swiotlb=")? */
static bool user_sets(const struct vm_config *c, const char *param)
{
	size_t n = strlen(param);

	for (const char *p = c->append; p && (p = strstr(p, param)); p += n)
		if (p == c->append || p[-1] == ' ')
			return true;
	return false;
}

/* The capture kernel's command line adds to the guest's:
 *   mem=B elfcorehdr=...                 boot in the boot region, find the crash
 *   memhp_default_state=online           use memory as it comes back
 *   memory_hotplug.memmap_on_memory=1    each returned block carries its own struct pages
 *                                        (release_dimm_size()), so the guest ends with the
 *                                        MemTotal it had and never pays for them from the
 *                                        boot region
 *   swiotlb=1024                         only when the crashed guest had no RAM above 4 GiB:
 *                                        such a kernel had no bounce buffer, but the capture
 *                                        QEMU's hot-pluggable memory above 4 GiB would make
 *                                        the kernel take its default 64 MiB of the boot
 *                                        region; 2 MiB keeps a 32-bit DMA device working.
 *                                        With RAM above 4 GiB both kernels take the default.
 * Nothing is reserved in the boot region only to make numbers match. */
char *crash_boot_append(const struct vm *vm)
{
	const char *user = vm->cfg->append ? vm->cfg->append : "";
	char *out = NULL;
	int n;

	if (!vm->capture)
		return strdup(user);
	n = asprintf(&out, "%s%s%s mem=%lluM elfcorehdr=0x%llx memhp_default_state=online "
		     "memory_hotplug.memmap_on_memory=1%s",
		     user, vm->cfg->capture_append ? " " : "",
		     vm->cfg->capture_append ? vm->cfg->capture_append : "",
		     (unsigned long long)(vm->cfg->boot_region >> 20),
		     (unsigned long long)vm->elfcorehdr,
		     vm->cfg->memory <= vm_lowmem(vm->cfg->memory) && !user_sets(vm->cfg, "swiotlb=")
			     ? " swiotlb=1024"
			     : "");
	return n < 0 ? NULL : out;
}

/* When QEMU's own notes file is missing (registers fallback), write ours so readelf and
 * the other tools still find the notes beside the record. */
static void write_notes_file(struct vm *vm)
{
	char path[4200];
	size_t size = elfcore_header_size(0, vm->notes.len);
	uint8_t *buf;
	int r;

	snprintf(path, sizeof(path), "%s/notes.elf", vm->crash_dir);
	if (access(path, F_OK) == 0)
		return;
	buf = calloc(1, size);
	if (!buf)
		return;
	r = elfcore_build(buf, size, 0, NULL, 0, vm->notes.buf, vm->notes.len);
	if (r == 0)
		r = write_file_atomic(path, buf, size, 0600);
	if (r < 0)
		log_warn("cannot write %s: %s", path, strerror(-r));
	free(buf);
}

static json_t *plan_json(const struct capture_plan *p)
{
	json_t *segs = json_array(), *copies = json_array(), *zones = json_array();

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
			 "copies", copies, "segments", segs);
}

/* A capture guest crashed after every earlier dump was saved: nothing in the RAM file beyond
 * the production RAM matters any more (the old extensions held saved crashes), so the new
 * extension replaces them instead of growing the guest-physical space. */
static int drop_saved_extensions(struct vm *vm, int fd, struct machine_layout *cur)
{
	if (!vm->capture || vm->npreserved || cur->ram_size <= vm->cfg->memory)
		return 0;
	if (ftruncate(fd, (off_t)vm->cfg->memory) < 0) {
		int e = errno;
		log_err("cannot drop the saved crashes' extension from %s: %s", vm->rd.ram,
			strerror(e));
		return -e;
	}
	cur->ram_size = vm->cfg->memory;
	return 0;
}

/* The next boot is the capture boot of PLAN: what it gets, and what it must give back. */
static void enter_capture(struct vm *vm, const struct capture_plan *plan)
{
	struct preserved_crash *pc = &vm->preserved[vm->npreserved++];

	snprintf(pc->dir, sizeof(pc->dir), "%s", vm->crash_dir);
	pc->crash = vm->ncrash;
	pc->hdr_off = plan->hdr_off;
	pc->saved_ms = 0;
	vm->cur = plan->next;
	vm->nram = layout_capture_ram(vm->cfg->boot_region, vm->ram);
	vm->fresh_ram = false;
	vm->capture = true;
	vm->elfcorehdr = plan->hdr_gpa;
	vm->release_target = crash_return_bytes(vm->cfg);
	/* What was freed on the host and not yet given back stays due: a capture guest that
	 * crashed before its memory returned passes it on to the next one.  The DIMMs it did
	 * get now hold the new crash; they come back as that crash is saved. */
	vm->release_added = vm->released = 0;
	vm->hotplug_after_ms = 0;
}

int crash_prepare_capture(struct vm *vm)
{
	struct mem_range ram[LAYOUT_MAX_RANGES], dimms[VM_MAX_DIMMS];
	struct capture_inputs in = {
		.cur = vm->cur,
		.ram = ram,
		.nram = crashed_ranges(vm, ram),
		.dimms = dimms,
		.ndimms = dimms_ranges(vm, 0, dimms, VM_MAX_DIMMS),
		.boot_region = vm->cfg->boot_region,
		.firmware_zone = LAYOUT_FIRMWARE_ZONE,
		.initrd_size = vm->initrd_size,
		.initrd_addr_max = vm->initrd_addr_max,
	};
	struct capture_plan *plan;
	char why[512], sz[32];
	long long t0 = clock_ms();
	json_t *rec;
	int fd, r;

	plan = calloc(1, sizeof(*plan));
	if (!plan)
		return -ENOMEM;
	fd = open(vm->rd.ram, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_err("cannot open the crashed RAM file %s: %s", vm->rd.ram, strerror(errno));
		goto free_plan;
	}
	if (!vm->notes.vmcoreinfo_source) {
		r = notes_find_vmcoreinfo(&vm->notes, fd, &vm->cur, vm->ram, vm->nram, &vm->stale);
		if (r < 0)
			log_warn("no VMCOREINFO in QEMU's notes or guest memory (%s): dump tools will "
				 "need the kernel's debug info", strerror(-r));
	}
	in.notes_len = vm->notes.len;
	write_notes_file(vm);
	notes_stale_add(&vm->stale, &vm->notes);
	save_probe_reset(vm);
	if (vm->npreserved == VM_MAX_CRASHES) {
		log_err("%u crashes already preserved and unsaved; not booting another capture",
			vm->npreserved);
		r = -ENOSPC;
		goto close_fd;
	}
	if (in.ndimms >= RELEASE_SLOTS) {
		log_err("%zu DIMMs hold unsaved crashed memory: no slot left to give memory back",
			in.ndimms);
		r = -ENOSPC;
		goto close_fd;
	}
	r = drop_saved_extensions(vm, fd, &in.cur);
	if (r < 0)
		goto close_fd;
	r = capture_plan_build(&in, plan, why, sizeof(why));
	if (r < 0) {
		log_err("cannot plan the capture boot: %s", why);
		goto close_fd;
	}
	r = capture_apply(fd, plan, vm->notes.buf, vm->notes.len, why, sizeof(why));
	if (r < 0) {
		log_err("cannot lay out the capture boot: %s", why);
		goto close_fd;
	}
	log_info("capture layout ready in %lld ms: %zu segments, %s relocated, ELF core header at "
		 "0x%llx", clock_ms() - t0, plan->nloads,
		 size_human(plan->ext_size - (plan->ext_size ? 0 : 0), sz, sizeof(sz)),
		 (unsigned long long)plan->hdr_gpa);
	if (in.ndimms)
		log_info("%zu DIMM file(s) with crashed memory re-attached read-only where they were",
			 in.ndimms);

	rec = record_new(vm, "pvpanic");
	json_object_set_new(rec, "detected_by", json_string("pvpanic"));
	json_object_set_new(rec, "capture", plan_json(plan));
	json_object_set_new(rec, "boot_region_bytes", json_integer((json_int_t)vm->cfg->boot_region));
	json_object_set_new(rec, "state", json_string("preserved"));
	record_write(vm->crash_dir, rec);

	enter_capture(vm, plan);
	r = 0;
close_fd:
	close(fd);
free_plan:
	free(plan);
	notes_free(&vm->notes);
	return r;
}

/* The crashed kernel's DIMMs for the hook: one "GPA BYTES PATH" line each (static storage). */
static const char *hook_dimms(const struct vm *vm)
{
	static char text[VM_MAX_DIMMS * 4300];
	size_t len = 0;

	text[0] = '\0';
	for (unsigned i = 0; i < vm->ndimm && len < sizeof(text); i++) {
		const struct vm_dimm *d = &vm->dimms[i];
		if (d->gone || d->crash != vm->ncrash)
			continue;
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s0x%llx %llu %s",
					len ? "\n" : "", (unsigned long long)d->gpa,
					(unsigned long long)d->size, d->path);
	}
	return text;
}

void crash_run_hook(struct vm *vm)
{
	char num[32];
	long long t0 = clock_ms();
	pid_t pid;
	int status;

	if (!vm->cfg->crash_hook)
		return;
	pid = fork();
	if (pid < 0) {
		log_warn("cannot run the crash hook: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setenv("HVDUMP_VM", vm->cfg->name, 1);
		setenv("HVDUMP_RAM_FILE", vm->rd.ram, 1);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)vm->cur.ram_size);
		setenv("HVDUMP_RAM_BYTES", num, 1);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)vm->cur.lowmem);
		setenv("HVDUMP_LOWMEM_BYTES", num, 1);
		snprintf(num, sizeof(num), "%u", vm->ncrash);
		setenv("HVDUMP_CRASH", num, 1);
		setenv("HVDUMP_CRASH_DIR", vm->crash_dir, 1);
		setenv("HVDUMP_IN_CAPTURE", vm->capture ? "1" : "0", 1);
		setenv("HVDUMP_DIMMS", hook_dimms(vm), 1);
		execl("/bin/sh", "sh", "-c", vm->cfg->crash_hook, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		log_warn("crash hook failed (status 0x%x); continuing with the capture", status);
	else
		log_info("crash hook ran in %lld ms", clock_ms() - t0);
}

void crash_capture_started(struct vm *vm)
{
	long long ms = clock_ms() - vm->crash_mono_ms;

	log_info("capture guest booting %lld ms after the crash; /proc/vmcore in the guest holds "
		 "the crashed kernel's memory", ms);
	if (!vm->hotplug_after_ms)
		vm->hotplug_after_ms = clock_ms() + (long long)vm->cfg->hotplug_delay_s * 1000;
	vm->boot_start_ms = clock_ms();
	vm->boot_start_cpu_us[0] = clock_cpu_us(true);
	vm->boot_start_cpu_us[1] = clock_cpu_us(false);
	if (!vm->npreserved)
		return;
	record_update(vm->preserved[vm->npreserved - 1].dir, "capture-running",
		      json_pack("{s:I}", "crash_to_capture_start_ms", (json_int_t)ms));
}

int crash_keep_ram_file(struct vm *vm)
{
	char kept[4200];
	int n;

	if (!vm->npreserved)
		return 0;
	n = snprintf(kept, sizeof(kept), "%s/crash-%u.ram", vm->rd.path, vm->ncrash);
	if (n >= (int)sizeof(kept))
		return -ENAMETOOLONG;
	if (rename(vm->rd.ram, kept) < 0) {
		int e = errno;
		log_err("cannot keep the RAM file with unsaved crashes as %s: %s", kept, strerror(e));
		return -e;
	}
	if (dimms_keep(vm) < 0)
		log_err("some DIMM files with unsaved crashed memory are still named dimm-N in %s",
			vm->rd.path);
	for (unsigned i = 0; i < vm->npreserved; i++)
		if (!vm->preserved[i].saved_ms)
			record_update(vm->preserved[i].dir, "preserved-unsaved",
				      json_pack("{s:s}", "ram_file", kept));
	log_warn("%u crash dump(s) not yet saved: their memory is kept in %s (see the crash "
		 "records); `hvdump save --from CRASH-DIR` writes each dump from it", vm->npreserved,
		 kept);
	return 0;
}
