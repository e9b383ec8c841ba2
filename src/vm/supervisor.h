/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The supervisor's own state, shared by its three files only: supervise.c (the run: one boot
 * after another, and what each end means), runloop.c (one boot: the event loop of one QEMU
 * process) and bootwatch.c (what that loop asks about the boot: status, NMI, hang watch).
 * Everything else in src/vm is a part the supervisor owns and calls down into. */
#ifndef HVDUMP_VM_SUPERVISOR_H
#define HVDUMP_VM_SUPERVISOR_H

#include <jansson.h>
#include <stdbool.h>

#include "dump/notes.h"
#include "vm/boot.h"
#include "vm/config.h"
#include "vm/crashes.h"
#include "vm/crashflow.h"
#include "vm/guestmem.h"
#include "vm/guestsave.h"
#include "vm/hangwatch.h"
#include "vm/memback.h"
#include "vm/rundir.h"
#include "vm/saveflow.h"
#include "vm/session.h"

/* How one boot ended. */
enum boot_end {
	END_NONE,
	END_POWEROFF,      /* guest powered off */
	END_RESET,         /* guest rebooted: start a fresh QEMU */
	END_QEMU_FAILED,   /* QEMU did not start */
	END_QEMU_DIED,     /* QEMU went away on its own */
	END_STOPPED,       /* operator stopped the VM */
	END_CRASH_KEPT,    /* crashed; QEMU gone, RAM file kept */
	END_CRASH_DROPPED, /* crashed; discarded by --on-crash poweroff */
	END_CAPTURE,       /* crashed; notes taken, QEMU gone: lay out and boot the capture */
	END_DUMPED,        /* crashed; dump-restart wrote its dump: boot afresh */
	END_CRASH_LOOP,    /* capture guests crashed CRASH_LOOP_MAX times in a row before they
			    * were in service: unsaved crashes kept, no more capture boots */
};

/* A crash loop: this many capture guests in a row crashed before they were in service
 * (before their kernel was up, or within CRASH_LOOP_WINDOW_MS of their start). */
#define CRASH_LOOP_MAX 3
#define CRASH_LOOP_WINDOW_MS 60000

/* What state.json says the VM does. */
enum vm_state { VM_RUNNING, VM_CAPTURE, VM_CRASHED, VM_STOPPED_UNSAVED };

struct vm {
	const struct vm_config *cfg;
	struct capture_kernel ck;      /* what the capture boot (the next, or the current) boots */
	struct rundir rd;
	const char *accel;
	const char *cpu_model;
	bool sandbox;                  /* QEMU runs under -sandbox (probed once) */
	int sig_fd;
	int control_fd;                /* listening control socket, -1 if none */
	unsigned nboot;                /* QEMU processes started */
	bool stop_requested;           /* a termination signal arrived: do not boot again */
	bool stdin_open;               /* relay our stdin to the console */
	unsigned nkept;                /* RAM files kept with unsaved crashes */

	struct boot boot;              /* the next (or current) boot */
	struct crash_list crashes;     /* preserved in the current RAM file */
	unsigned ncrash;               /* crashes seen in this run */
	struct crash crash;            /* the last one */
	struct notes_stale stale;      /* kernels crashed since the last fresh boot */
	struct memback mb;
	struct guest_mem gm;
	struct save_flow save;
	struct guestsave gs;

	/* per QEMU process */
	struct session s;
	bool crashed;
	bool powerdown_sent;
	enum boot_end end;
	long long stop_deadline;       /* force quit after this (ms, monotonic), 0 = none */
	unsigned long long qmp_dropped; /* QMP events dropped, as last said */
	long long qmp_dropped_said_ms;
	struct hang_watch hang;        /* --hang-timeout */
	int vcpu_tids[HANG_MAX_THREADS]; /* QEMU's vCPU threads, for the hang watch */
	unsigned nvcpu_tids;
	long long nmi_ms;              /* an operator's NMI went in then (0: none pending) */
};

/* A guest that panics on an NMI does so well within this. */
#define VM_NMI_WAIT_MS 10000

/* bootwatch.c: the control socket's status reply. */
json_t *vm_status_json(const struct vm *vm);

/* bootwatch.c: inject the operator's NMI (vm->nmi_ms set); the control reply. */
json_t *vm_inject_nmi(struct vm *vm);

/* bootwatch.c: --hang-timeout for a boot whose QEMU just started: the vCPU threads, the
 * RAM file, a fresh watch. */
void vm_hang_start(struct vm *vm);

/* bootwatch.c: one look, when due, at the guest kernel's clock at NOW (ms, monotonic): NULL,
 * or the guest is hung and this is the record's "detection" object (the caller stops the
 * guest and takes the crash path). */
json_t *vm_hang_look(struct vm *vm, long long now);

/* bootwatch.c: the UTC time of QMP event EV (now if it has none) into BUF. */
void vm_event_time(json_t *ev, char *buf, size_t len);

/* Dropped QMP events are said at most this often. */
#define QMP_DROPPED_NOTE_MS 10000

/* runloop.c: start QEMU for vm->boot and run it until it is gone; how it ended. */
enum boot_end vm_boot_once(struct vm *vm);

/* qemuboot.c: start the QEMU of the next boot (vm->boot): RAM file, firmware, capture
 * kernel and DIMMs as descriptors it inherits, QMP with VITAL_EVENTS kept whatever the queue
 * holds.  0, or -errno (logged). */
int vm_start_qemu(struct vm *vm, const char *const *vital_events);

/* vmstate.c: write state.json (PRESERVED: unsaved crashes are kept). */
void vm_write_state(struct vm *vm, enum vm_state state, bool preserved);

#endif
