/* SPDX-License-Identifier: GPL-2.0-or-later */
/* State shared by the supervisor (supervise.c) and the crash paths (crashflow.c). */
#ifndef HVDUMP_VM_VM_INTERNAL_H
#define HVDUMP_VM_VM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "dump/layout.h"
#include "dump/release.h"
#include "dump/notes.h"
#include "dump/saver.h"
#include "format/elfcore.h"
#include "qemu/cmdline.h"
#include "qemu/process.h"
#include "qemu/qmp.h"
#include "util/clock.h"
#include "vm/config.h"
#include "vm/record.h"
#include "vm/rundir.h"

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

#define VM_MAX_CRASHES 64
/* A crash loop: this many capture guests in a row crashed before they were in service
 * (before their kernel was up, or within CRASH_LOOP_WINDOW_MS of their start). */
#define CRASH_LOOP_MAX 3
#define CRASH_LOOP_WINDOW_MS 60000
#define VM_MAX_DIMMS RELEASE_SLOTS
/* Hot-added DIMMs start this far above QEMU's device-memory base, so that the extensions of
 * crashes that strike before the previous dump is saved (each grows the RAM file by about the
 * boot region) do not push that base past DIMMs the next capture boot must re-attach. */
#define VM_DIMM_HEADROOM (4ull << 30)

/* A pc-dimm of this QEMU process, or one to re-attach in the next. */
struct vm_dimm {
	unsigned index;        /* QEMU backend "hvdimmINDEX", device "dimmINDEX" */
	char path[4200];       /* its file, RUN-DIR/dimm-INDEX */
	uint64_t gpa, size;
	unsigned crash;        /* 0: memory of the running kernel; else the number (vm->ncrash)
				* of the crash whose memory it holds, attached read-only */
	bool gone;             /* that crash is saved: file removed, unplug requested */
};

struct vm {
	const struct vm_config *cfg;
	struct rundir rd;
	const char *accel;
	const char *cpu_model;
	int sig_fd;
	int control_fd;                /* listening control socket, -1 if none */
	unsigned boot;
	bool stop_requested;           /* a termination signal arrived: do not boot again */
	uint64_t initrd_size;
	uint64_t initrd_addr_max;

	/* the next (or current) boot */
	struct machine_layout cur;     /* RAM file layout of this boot */
	struct mem_range ram[LAYOUT_MAX_RANGES]; /* the running kernel's RAM */
	size_t nram;
	bool fresh_ram;                /* create the RAM file anew (zeroed) */
	bool capture;                  /* a capture boot: /proc/vmcore holds the last crash */
	uint64_t elfcorehdr;

	/* crashes preserved in the current RAM file, oldest first */
	unsigned ncrash;               /* crashes seen in this hvdump run */
	unsigned npreserved;
	struct preserved_crash {
		char dir[4096];        /* its crash directory (crash.json, notes.elf, dump) */
		unsigned crash;        /* its number in this run (vm->ncrash at the crash) */
		uint64_t hdr_off;      /* its ELF core header in the RAM file */
		long long saved_ms;    /* when its dump was complete, 0 while unsaved */
	} preserved[VM_MAX_CRASHES];

	/* saving and giving memory back */
	struct saver *saver;
	bool filter_logged;            /* the saver's dump-level result was logged */
	unsigned save_dump_level;      /* ... the level applied (0: none or it failed) */
	uint64_t save_left_out;        /* ... and the pages it left out */
	unsigned saving;               /* index into preserved[] being saved */
	long long save_start_ms, progress_ms;
	long long save_bg_ms;          /* the saver is held for a booting guest since, 0: not */
	long long save_fg_ms;          /* ... and runs since (0: not yet) */
	uint64_t save_done;            /* bytes saved at the last look */
	int ram_fd;                    /* for punching saved ranges */
	uint64_t release_target;       /* memory to hot-add in all: pre-crash RAM minus B */
	uint64_t release_pending;      /* punched, not yet returned */
	uint64_t release_added;        /* returned as DIMMs */
	uint64_t released;             /* punched in all */
	struct vm_dimm dimms[VM_MAX_DIMMS];
	unsigned ndimm;
	unsigned slots;                /* DIMM slots of this capture QEMU */
	unsigned dimm_next;            /* index of the next DIMM */
	struct guestsave {
		int fd;                /* connected to the capture QEMU's org.hvdump.save port */
		char line[256];
		size_t len;
		bool overlong;
		struct elfcore_segment *segs;  /* PT_LOADs of the crash being saved */
		size_t nsegs;
		unsigned crash;        /* index into preserved[] they belong to */
	} gsave;
	long long boot_start_ms;       /* the capture QEMU started (monotonic) */
	long long boot_start_cpu_us[2]; /* ... our CPU time then: supervisor thread, process */
	long long hotplug_after_ms;    /* no hot-add before this: the kernel refuses memory
					* above mem= until it has finished booting */
	struct notes_stale stale;      /* the kernels that crashed since the last fresh boot:
					* their VMCOREINFO pages may still sit in the boot region */
	struct boot_probe {
		int state;             /* 0 unknown, 1 running, -1 cannot tell (use the delay) */
		uint8_t *buf;          /* NOTES_SCAN_BUF bytes for its scans */
		uint64_t paddr;        /* of the capture kernel's system_state, 0 until found */
		uint32_t last;         /* last value read */
		long long last_ms;     /* when it was first seen with that value */
		long long next_ms;     /* no scan before this */
		unsigned scans;        /* scans so far and their cost */
		long long scan_us;
	} probe;
	struct crash_notes notes;      /* of the crash being handled */
	char crash_dir[4096];
	long long crash_mono_ms;

	/* per QEMU process */
	struct qemu_proc proc;
	bool qemu_running;
	int qemu_status;
	struct qmp *qmp;
	int console_fd;                /* the console's output (read end of console.out) */
	int console_in_fd;             /* its input (console.in) */
	bool stdin_open;
	bool crashed;
	bool unpack_warned;            /* the capture kernel's initramfs did not fit: said */
	bool quit_sent;
	bool powerdown_sent;
	enum boot_end end;
	long long stop_deadline;      /* force quit after this (ms, monotonic), 0 = none */
	long long console_panic_ms;   /* console showed a panic at this time, 0 = not */
	char panic_text[512];
	char crash_time[40];
	char line[2048];
	size_t line_len;
	char errbuf[1024];
	size_t err_len;
	char err_last[512];
};

/* console.c: drain the console socket (relay, log, panic watch), flush a partial last line,
 * drain QEMU's stderr into the log. */
void vm_console_input(struct vm *vm);
void vm_console_flush(struct vm *vm);
void vm_qemu_stderr_input(struct vm *vm);
void vm_write_state(struct vm *vm, const char *state);
void vm_request_quit(struct vm *vm);

/* crashflow.c */

/* The guest crashed (QEMU paused, QMP alive): act on cfg->on_crash.  WHEN is the crash time
 * (UTC text), HOW what detected it. */
void crash_handle(struct vm *vm, const char *when, const char *how);

/* After END_CAPTURE: lay out the capture boot in the RAM file and set the next boot's
 * parameters.  Returns 0, or -errno after logging why (the crashed RAM is then kept). */
__attribute__((warn_unused_result)) int crash_prepare_capture(struct vm *vm);

/* Run the operator's --crash-hook, if any, on the preserved RAM (QEMU is gone, nothing has
 * been written yet).  Its failure is logged, never fatal. */
void crash_run_hook(struct vm *vm);

/* The capture boot is running: note it in the crash record. */
void crash_capture_started(struct vm *vm);

/* The guest of a boot whose RAM file holds preserved crashes is going away (reboot or
 * poweroff): keep the file under a name of its own and update the records.  Returns 0 or
 * -errno (then the RAM file is left where it is and the run directory must be kept). */
__attribute__((warn_unused_result)) int crash_keep_ram_file(struct vm *vm);

/* saveflow.c */

/* A capture boot is running: start saving the oldest unsaved crash if none is being saved
 * (cfg->save says whether the host saves). */
void save_maybe_start(struct vm *vm);

/* Start (or with RESUME, continue from its progress file) saving the oldest unsaved crash.
 * Returns 0, -EBUSY if a save is running, -ENOENT if nothing needs saving. */
int save_start(struct vm *vm, bool resume);

/* Drop the unsaved crashes on the operator's word: free their memory, give it back. */
int save_discard(struct vm *vm);

/* The saver's event fd is readable: release what is durable, report progress, finish. */
void save_on_event(struct vm *vm);

/* Periodic progress lines. */
void save_tick(struct vm *vm);

/* Stop a running saver (QEMU is going away); what is unsaved stays preserved. */
void save_stop(struct vm *vm);

/* Forget the boot probe (free its buffer): a new QEMU is starting. */
void save_probe_reset(struct vm *vm);

/* Has the capture kernel finished booting (so hot-added memory will be accepted)? */
bool save_guest_running(struct vm *vm);

/* Milliseconds until the save flow wants another look (-1: nothing pending). */
long long save_wake_ms(struct vm *vm);

/* Memory to hot-add after a crash: pre-crash RAM minus the boot region, in whole memory
 * blocks. */
uint64_t crash_return_bytes(const struct vm_config *c);

/* record_update(): vm/record.h */

/* guestsave.c: requests from the guest saver (`release PADDR SIZE`, `done`, ...).  The guest
 * is untrusted: only ranges inside the preserved crash are freed, each byte at most once. */
void guestsave_input(struct vm *vm);
void guestsave_close(struct vm *vm);

/* saveflow.c: hot-add what is due (FINAL: everything left). */
void save_give_back(struct vm *vm, int final);

/* dimms.c: the DIMMs that hold memory given back to a capture guest, and after a crash of
 * that guest, its crashed memory (see docs/capture-layout.md). */

/* Hot-add SIZE bytes to the running guest as a new file-backed DIMM, placed above the
 * headroom and clear of every other DIMM.  Returns 0 or -errno with WHY set. */
__attribute__((warn_unused_result)) int dimms_add(struct vm *vm, uint64_t size, char *why,
						   size_t whylen);

/* The running kernel crashed: its DIMMs now hold crash vm->ncrash; DIMMs already dropped are
 * forgotten (the next QEMU does not get them). */
void dimms_crashed(struct vm *vm);

/* The ranges of the DIMMs holding crash CRASH (0: every DIMM a capture boot re-attaches, the
 * crashed memory of any crash not yet saved), sorted by address, into OUT (at most MAX).
 * Returns how many. */
size_t dimms_ranges(const struct vm *vm, unsigned crash, struct mem_range *out, size_t max);

/* The same DIMMs as dimms_ranges(vm, 0, ...) as QEMU and saver sources.  Each returns how
 * many (at most MAX). */
size_t dimms_for_qemu(const struct vm *vm, struct qemu_dimm *out, size_t max);
size_t dimms_for_saver(const struct vm *vm, struct saver_dimm *out, size_t max);

/* The device-memory span (bytes above QEMU's base) a capture boot must allow for: the DIMMs
 * it re-attaches and everything it may hot-add; -m maxmem is RAM plus this. */
uint64_t dimms_span(const struct vm *vm);

/* Crash CRASH is saved (or discarded): free its DIMMs on the host, remove their files, ask the
 * guest to unplug them. */
void dimms_drop_crash(struct vm *vm, unsigned crash);

/* QMP DEVICE_DELETED for DEVICE: drop the backend of a DIMM the guest gave up. */
void dimms_deleted(struct vm *vm, const char *device);

/* The RAM file is being kept as a crash file: keep the DIMM files of unsaved crashes beside
 * it as RUN-DIR/crash-N.dimm-I, note them in their records, forget them here.  0 or -errno. */
__attribute__((warn_unused_result)) int dimms_keep(struct vm *vm);

/* Remove every DIMM file still registered and forget them (a fresh boot, or the end). */
void dimms_forget(struct vm *vm);

/* The DIMMs of crash CRASH for its record: [{"file", "gpa", "bytes"}]. */
json_t *dimms_json(const struct vm *vm, unsigned crash);

/* Free [GPA, GPA+LEN) of the current boot's guest-physical space on the host, in the RAM file
 * or the DIMM files holding it; *FREED = bytes that were still allocated.  -ERANGE if part of
 * it is in neither. */
__attribute__((warn_unused_result)) int vm_mem_punch(struct vm *vm, uint64_t gpa, uint64_t len,
						      uint64_t *freed);

/* The kernel command line of the next boot (malloc'd). */
char *crash_boot_append(const struct vm *vm);

#endif
