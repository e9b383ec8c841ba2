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
#include "vm/supervisor.h"

static const char *const state_names[] = {
	[VM_RUNNING] = "running",
	[VM_CAPTURE] = "capture",
	[VM_CRASHED] = "crashed",
	[VM_STOPPED_UNSAVED] = "stopped-with-unsaved-crashes",
};

void vm_write_state(struct vm *vm, enum vm_state state, bool preserved)
{
	char ts[40], *text;
	json_t *j;
	int r;

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
