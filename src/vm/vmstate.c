// SPDX-License-Identifier: GPL-2.0-or-later
// RUNDIR/state.json: what the VM is doing now (running, capture boot, crashed, stopped with
// unsaved crashes), its QEMU, memory and preserved crashes, for operators and tools
// (docs/hvdump-run.md).  Rewritten atomically at each change; a failure to write it is logged
// and does not stop the VM.
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/systemd.h"
#include "vm/report.h"
#include "vm/supervisor.h"

static const char *const state_names[] = {
	[VM_RUNNING] = "running",
	[VM_CAPTURE] = "capture",
	[VM_CRASHED] = "crashed",
	[VM_STOPPED_UNSAVED] = "stopped-with-unsaved-crashes",
};

/* Tell the service manager (Type=notify): ready once a QEMU runs, and what the VM does. */
static void notify_state(struct vm *vm, enum vm_state state, unsigned npreserved)
{
	static bool ready;
	char st[256];

	if (!ready && (state == VM_RUNNING || state == VM_CAPTURE)) {
		ready = true;
		sys_notify("READY=1");
	}
	if (npreserved)
		snprintf(st, sizeof(st), "STATUS=%s (boot %u); %u crash(es) preserved unsaved",
			 state_names[state], vm->nboot, npreserved);
	else
		snprintf(st, sizeof(st), "STATUS=%s (boot %u)", state_names[state], vm->nboot);
	sys_notify(st);
}

void vm_write_state(struct vm *vm, enum vm_state state, bool preserved)
{
	char ts[40], *text;
	unsigned npreserved;
	uint64_t held = crashes_unsaved_bytes(&vm->crashes, &npreserved);
	json_t *j;
	int r;

	notify_state(vm, state, npreserved);
	report_preserved(vm->cfg, npreserved, held);

	log_timestamp(ts, sizeof(ts));
	j = json_pack("{s:s, s:s, s:b, s:i, s:i, s:s, s:s, s:I, s:I, s:I, s:i, s:s, s:i, s:b}",
		      "name", vm->cfg->name, "state", state_names[state], "preserved", preserved,
		      "hvdump_pid", (int)getpid(), "qemu_pid", vm->s.running ? (int)vm->s.proc.pid : 0,
		      "accel", vm->accel, "ram_file", vm->rd.ram, "memory_bytes",
		      (json_int_t)vm->cfg->memory, "ram_file_bytes", (json_int_t)vm->boot.cur.ram_size,
		      "lowmem_bytes", (json_int_t)vm->boot.cur.lowmem, "cpus", (int)vm->cfg->cpus,
		      "updated", ts, "boot", (int)vm->nboot, "capture", vm->boot.capture);
	if (!j)
		return;
	if (vm->crashed) {
		json_object_set_new(j, "crash_time", json_string(vm->crash.time));
		if (vm->crash.panic[0])
			json_object_set_new(j, "panic", json_string(vm->crash.panic));
	}
	if (vm->crashes.n) {
		json_t *a = json_array();
		for (unsigned i = 0; i < vm->crashes.n; i++)
			json_array_append_new(a, json_string(vm->crashes.c[i].dir));
		json_object_set_new(j, "preserved_crashes", a);
	}
	text = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	if (!text)
		return;
	r = rundir_write_state(&vm->rd, text);
	if (r < 0)
		log_warn("cannot write %s: %s", vm->rd.state, strerror(-r));
	free(text);
}
