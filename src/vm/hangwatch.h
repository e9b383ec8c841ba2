/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hang detector of --hang-timeout: a guest kernel whose clock stands still while its
 * vCPUs run is hung, whatever the guest has configured.  Watched from outside, in the RAM
 * file: the running kernel's VMCOREINFO note (found as the boot probe finds the capture
 * kernel's, skipping the notes of crashed kernels), its kallsyms give jiffies_64, and that
 * counter is read once a second.  The tick advances it HZ times a second on a busy kernel; an
 * idle kernel with NO_HZ may skip ticks, but the soft-lockup watchdog's timer (every 4 s by
 * default) and any interrupt catch it up.  So:
 *
 *   HANG_STALL_BUSY   jiffies_64 unchanged for the timeout while the vCPU threads burnt at
 *                     least HANG_BUSY_PERMILLE of a host core: every CPU spins with
 *                     interrupts off (a hard lockup), or timekeeping is dead
 *   HANG_STALL_QUIET  unchanged for the timeout with the vCPUs (nearly) idle, or their
 *                     time unknown: an idle kernel, a host that did not run QEMU, or every
 *                     vCPU halted with interrupts off; the caller asks QEMU which (said at
 *                     most once per timeout)
 *
 * A kernel that is halting, powering off or restarting stops its clock on purpose (`halt`
 * leaves every CPU halted with interrupts off).  The kernel's system_state, read beside the
 * counter, tells: its values follow a kernel's life in order in every version (booting ...
 * running, then halt, power off, restart), so the state a kernel stays in while its clock
 * moves for HANG_SETTLE_MS is its running state (whatever number that is in its version),
 * and a stall with system_state above it, or other than when the clock last moved, is a
 * shutdown: no verdict until the clock moves again.  Before any state settled (a stall
 * during boot) only the second rule applies.
 *
 * The watch arms only once it has seen the counter move (a note of an earlier kernel or of
 * one that has not started ticking names a counter that never moves), and before a verdict it
 * checks that the note it found is still there, unchanged (a kexec'd kernel would have a new
 * one): else it looks for the note again.  Nothing read from the guest is trusted: the note
 * and the tables go through the checked parsers, every read is bounded by the file. */
#ifndef HVDUMP_VM_HANGWATCH_H
#define HVDUMP_VM_HANGWATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "dump/layout.h"
#include "dump/notes.h"
#include "qemu/qmp.h"

#define HANG_LOOK_MS 1000          /* the counter is read this often */
#define HANG_SETTLE_MS 5000        /* system_state kept this long while the counter moves
				    * is the kernel's running state */
#define HANG_SCAN_MIN_MS 2000      /* looks for the note at most this often ... */
#define HANG_SCAN_MAX_MS 30000     /* ... and at least this often while not found */
#define HANG_SCAN_IDLE_FACTOR 50   /* a scan waits this many times its own duration */
#define HANG_BUSY_PERMILLE 250     /* vCPU time per wall time that counts as running */
#define HANG_MAX_THREADS 256

enum hang_state {
	HANG_FINDING,      /* no counter yet */
	HANG_WATCHING,     /* reading it */
	HANG_BLIND,        /* this kernel cannot be watched (no kallsyms in VMCOREINFO) */
};

enum hang_verdict { HANG_NONE, HANG_STALL_BUSY, HANG_STALL_QUIET };

struct hang_watch {
	unsigned timeout_ms;
	enum hang_state state;
	uint8_t *buf;                 /* NOTES_SCAN_BUF bytes while finding */
	uint8_t note[NOTES_NOTE_READ]; /* the note found, as read */
	size_t note_len;
	uint64_t note_off;            /* its RAM-file offset */
	struct notes_stale skip;      /* notes whose counter never moved */
	uint64_t jiffies_off;         /* the counter's RAM-file offset, and GPA */
	uint64_t jiffies_gpa;
	uint64_t state_off;           /* system_state's RAM-file offset, 0 if unknown */
	uint32_t state_moving;        /* its value when the counter last moved */
	long long state_since_ms;     /* the counter has moved with that value since then */
	uint32_t state_settled;       /* the running state (UINT32_MAX: none yet) */
	uint64_t value;               /* as last read */
	bool armed;                   /* seen moving */
	bool halting;                 /* stopped with system_state changed: no verdict until
				       * the counter moves again */
	long long changed_ms;         /* when it last moved (or was found) */
	long long changed_cpu_ms;     /* the vCPUs' CPU time then */
	long long quiet_ms;           /* the last HANG_STALL_QUIET */
	long long next_ms;            /* no look before this */
	unsigned scans;               /* scans for the note, and their cost */
	long long scan_us;
	/* the last verdict's numbers, for the log and the record */
	long long stalled_ms;
	unsigned busy_permille;
};

/* A new boot (a fresh QEMU): watch with TIMEOUT_S (> 0). */
void hangwatch_init(struct hang_watch *w, unsigned timeout_s);

/* Free the scan buffer.  The watch can be initialised again. */
void hangwatch_free(struct hang_watch *w);

/* One look at NOW_MS (monotonic) into the RAM file FD laid out as M: find the counter (in
 * [0, REGION) of the file when REGION is non-zero, the capture kernel's boot region; else
 * in M's RAM, memory above 4 GiB first), skipping STALE kernels' notes, or read it.
 * VCPU_CPU_MS is the vCPU threads' CPU time so far (hangwatch_cpu_ms()), -1 if unknown (then
 * a stall counts as quiet). */
enum hang_verdict hangwatch_look(struct hang_watch *w, int fd, const struct machine_layout *m,
				 uint64_t region, const struct notes_stale *stale,
				 long long now_ms, long long vcpu_cpu_ms);

/* Milliseconds from NOW_MS until the next look is due (0: now). */
long long hangwatch_wake_ms(const struct hang_watch *w, long long now_ms);

/* CPU time (user + system, ms) of process PID's threads TIDS[0, N), each counted once, from
 * /proc; -1 if none can be read. */
long long hangwatch_cpu_ms(pid_t pid, const int *tids, unsigned n);

/* QEMU's vCPU threads (query-cpus-fast): up to MAX ids into TIDS; their number or -errno. */
int hangwatch_vcpu_tids(struct qmp *q, int *tids, unsigned max);

/* Ask QEMU (`info registers -a`) whether every vCPU has interrupts off, halted or not: 1 yes
 * (with a stopped clock: hung), 0 no, -errno.  DESC says what was seen. */
int hangwatch_vcpus_dead(struct qmp *q, char *desc, size_t desclen);

#endif
