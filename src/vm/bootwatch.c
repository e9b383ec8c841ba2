// SPDX-License-Identifier: GPL-2.0-or-later
// What the run loop asks about a running boot without deciding anything: the status reply of
// the control socket, the operator's NMI, the hang watch's looks and QMP event times.  The
// decisions (a crash, a dump) stay in runloop.c, which calls down into these.
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qemu/qmp.h"
#include "util/clock.h"
#include "util/log.h"
#include "vm/control.h"
#include "vm/supervisor.h"

#define QMP_CMD_TIMEOUT_MS 5000

/* ---- the status reply --------------------------------------------------------------------- */

static json_t *last_crash_json(const struct vm *vm)
{
	const struct crash *c = &vm->crash;

	if (!vm->ncrash)
		return json_null();
	return json_pack("{s:i, s:s, s:s, s:s}", "number", (int)c->number, "time", c->time,
			 "detected_by", c->how ? c->how : "", "dir", c->dir);
}

static json_t *hang_json(const struct vm *vm)
{
	static const char *const state[] = { "finding", "watching", "blind" };
	const struct hang_watch *h = &vm->hang;

	if (!vm->cfg->hang_timeout_s)
		return json_null();
	return json_pack("{s:i, s:s, s:b, s:I, s:i, s:I}", "timeout_s",
			 (int)vm->cfg->hang_timeout_s, "state", state[h->state], "armed", h->armed,
			 "jiffies_gpa", (json_int_t)h->jiffies_gpa, "scans", (int)h->scans,
			 "scan_ms", (json_int_t)(h->scan_us / 1000));
}

json_t *vm_status_json(const struct vm *vm)
{
	json_t *crashes = json_array();
	uint64_t done = 0, total = 0;

	for (unsigned i = 0; i < vm->crashes.n; i++)
		json_array_append_new(crashes, json_pack("{s:s, s:b}", "dir", vm->crashes.c[i].dir,
							 "saved", vm->crashes.c[i].saved_ms != 0));
	if (vm->save.saver)
		saver_progress(vm->save.saver, &done, &total);
	return json_pack("{s:b, s:s, s:b, s:b, s:o, s:b, s:I, s:I, s:I, s:I, s:I, s:i, s:o, s:o}",
			 "ok", 1, "vm", vm->cfg->name, "capture", vm->boot.capture, "crashed",
			 vm->crashed, "crashes", crashes, "saving", vm->save.saver != NULL,
			 "saved_bytes", (json_int_t)done, "total_bytes", (json_int_t)total,
			 "released_bytes", (json_int_t)vm->mb.released, "returned_bytes",
			 (json_int_t)vm->mb.added, "return_target_bytes", (json_int_t)vm->mb.target,
			 "crashes_seen", (int)vm->ncrash, "last_crash", last_crash_json(vm),
			 "hang_watch", hang_json(vm));
}

/* ---- the operator's NMI ------------------------------------------------------------------- */

json_t *vm_inject_nmi(struct vm *vm)
{
	char *err = NULL;
	int r;

	if (vm->crashed || !vm->s.qmp)
		return control_error(vm->crashed ? "the guest has crashed already"
						 : "QEMU is not reachable");
	r = qmp_command(vm->s.qmp, "inject-nmi", NULL, QMP_CMD_TIMEOUT_MS, NULL, &err);
	if (r < 0) {
		json_t *e = control_error(err ? err : strerror(-r));
		log_warn("operator asked for an NMI; QEMU refused: %s", err ? err : strerror(-r));
		free(err);
		return e;
	}
	log_info("operator asked for an NMI: injected (QEMU delivers it to the first vCPU)");
	vm->nmi_ms = clock_ms();
	return json_pack("{s:b, s:i, s:i}", "ok", 1, "crashes_seen", (int)vm->ncrash, "wait_ms",
			 VM_NMI_WAIT_MS);
}

/* ---- the hang watch ----------------------------------------------------------------------- */

void vm_hang_start(struct vm *vm)
{
	int n = hangwatch_vcpu_tids(vm->s.qmp, vm->vcpu_tids, HANG_MAX_THREADS), r;

	vm->nvcpu_tids = n > 0 ? (unsigned)n : 0;
	hangwatch_init(&vm->hang, vm->cfg->hang_timeout_s);
	r = guestmem_open(&vm->gm);
	if (r < 0)
		log_warn("hang watch: cannot open the RAM file (%s): hangs are not detected",
			 strerror(-r));
	else
		log_info("hang watch: a guest kernel clock still for %u s is a hang (%u vCPU "
			 "thread%s watched)", vm->cfg->hang_timeout_s, vm->nvcpu_tids,
			 vm->nvcpu_tids == 1 ? "" : "s");
}

json_t *vm_hang_look(struct vm *vm, long long now)
{
	enum hang_verdict v;
	long long cpu;
	char cpus[160], what[320];

	if (!vm->cfg->hang_timeout_s || vm->crashed || !vm->s.qmp || vm->gm.ram_fd < 0 ||
	    hangwatch_wake_ms(&vm->hang, now) != 0)
		return NULL;
	cpu = vm->nvcpu_tids ? hangwatch_cpu_ms(vm->s.proc.pid, vm->vcpu_tids, vm->nvcpu_tids)
			     : -1;
	v = hangwatch_look(&vm->hang, vm->gm.ram_fd, &vm->boot.cur,
			   vm->boot.capture ? vm->boot.boot_region : 0, &vm->stale, now, cpu);
	if (v == HANG_NONE)
		return NULL;
	if (hangwatch_vcpus_dead(vm->s.qmp, cpus, sizeof(cpus)) != 1 && v == HANG_STALL_QUIET) {
		log_debug("hang watch: guest clock still for %lld s, vCPUs idle (%s): not hung",
			  vm->hang.stalled_ms / 1000, cpus);
		return NULL;
	}
	snprintf(what, sizeof(what), "its clock (jiffies) stood still for %lld s %s (%s)",
		 vm->hang.stalled_ms / 1000,
		 v == HANG_STALL_BUSY ? "while its vCPUs ran" : "with every vCPU's interrupts off",
		 cpus);
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:f, s:s}", "what", what, "timeout_s",
			 (json_int_t)vm->cfg->hang_timeout_s, "stalled_ms",
			 (json_int_t)vm->hang.stalled_ms, "jiffies", (json_int_t)vm->hang.value,
			 "jiffies_gpa", (json_int_t)vm->hang.jiffies_gpa, "vcpu_busy_cores",
			 vm->hang.busy_permille / 1000.0, "vcpus", cpus);
}

/* ---- QMP events --------------------------------------------------------------------------- */

void vm_event_time(json_t *ev, char *buf, size_t len)
{
	json_t *t = json_object_get(ev, "timestamp");
	json_int_t sec = json_integer_value(json_object_get(t, "seconds"));
	json_int_t usec = json_integer_value(json_object_get(t, "microseconds"));
	struct tm tm;
	time_t s = (time_t)sec;

	if (sec <= 0 || usec < 0 || usec > 999999 || !gmtime_r(&s, &tm)) {
		log_timestamp(buf, len);
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(usec / 1000));
}
