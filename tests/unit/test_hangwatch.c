// SPDX-License-Identifier: GPL-2.0-or-later
// The hang watch (hangwatch_look) on a synthetic RAM file: a kernel's VMCOREINFO note,
// kallsyms tables (synth_kallsyms.h) and jiffies_64, with time and the vCPUs' CPU time passed
// in by the test.  Covers: no kernel yet and the scan interval, finding the counter (low RAM,
// above 4 GiB, a capture kernel's boot region), arming only once it moves, the busy and quiet
// verdicts and how often the quiet one is said, a note whose counter never moves (skipped), a
// new kernel (note changed), a kernel without kallsyms (blind), and the CPU-time reader.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dump/notes.h"
#include "format/elfcore.h"
#include "tap.h"
#include "unit/synth_kallsyms.h"
#include "vm/hangwatch.h"

#define MiB (1ull << 20)
#define FILE_SIZE (48 * MiB)
#define IMG_SIZE (1 * MiB)
#define G4 (4ull << 30)
#define T_OUT 10 /* seconds */

/* A kernel: its image mapped at KV and loaded at guest-physical KPA, jiffies_64 at JV, its
 * VMCOREINFO note at guest-physical NOTE. */
struct kern {
	uint64_t kv, kpa, jv, note;
	const char *kaslr;
	bool kallsyms;
	const char *sym;            /* the counter's name: "jiffies_64" or "jiffies" */
};

static const struct kern live = {
	.kv = 0xffffffff8f800000ull, .kpa = 16 * MiB, .jv = 0xffffffff8f800000ull + 0x90040,
	.note = 6 * MiB, .kaslr = "e800000", .kallsyms = true, .sym = "jiffies_64",
};
#define LIVE_J (16 * MiB + 0x90040)

static const struct kern other = {
	.kv = 0xffffffff9a000000ull, .kpa = 28 * MiB, .jv = 0xffffffff9a000000ull + 0x90040,
	.note = 2 * MiB, .kaslr = "19000000", .kallsyms = true, .sym = "jiffies_64",
};
#define OTHER_J (28 * MiB + 0x90040)

/* all of the file below 4 GiB */
static const struct machine_layout low = { .ram_size = FILE_SIZE, .lowmem = FILE_SIZE };
/* 8 MiB below 4 GiB, the rest above */
static const struct machine_layout split = { .ram_size = FILE_SIZE, .lowmem = 8 * MiB };

static uint8_t img[IMG_SIZE];
static struct synth_ks ks;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static uint64_t off_of(const struct machine_layout *m, uint64_t gpa)
{
	uint64_t off;

	if (layout_gpa_to_off(m, gpa, &off) < 0)
		die("layout_gpa_to_off");
	return off;
}

static void put(int fd, uint64_t off, const void *buf, size_t len)
{
	if (pwrite(fd, buf, len, (off_t)off) != (ssize_t)len)
		die("pwrite");
}

static void wipe(int fd)
{
	if (ftruncate(fd, 0) < 0 || ftruncate(fd, FILE_SIZE) < 0)
		die("ftruncate");
}

static void build(const struct kern *k)
{
	synth_ks_init(&ks, img, IMG_SIZE, k->kv, SYNTH_KS_ABS_PERCPU);
	synth_ks_sym(&ks, 'D', "cpu_number", 0x1e000, 1);
	synth_ks_sym(&ks, 'T', "_stext", k->kv, 0);
	synth_ks_sym(&ks, 'D', "jiffies_x", k->kv + 0x100, 0);
	synth_ks_sym(&ks, 'D', k->sym, k->jv, 0);
	synth_ks_sym(&ks, 'D', "system_state", k->jv + 0x40, 0);
	synth_ks_sym(&ks, 'B', "_end", k->kv + IMG_SIZE, 0);
	synth_ks_infof(&ks, "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n");
	if (k->kallsyms)
		synth_ks_finish(&ks);
	synth_ks_infof(&ks, "NUMBER(phys_base)=%lld\nKERNELOFFSET=%s\n"
		       "NUMBER(KERNEL_IMAGE_SIZE)=1073741824\n", synth_ks_phys_base(k->kv, k->kpa),
		       k->kaslr);
}

static void set_j(int fd, const struct machine_layout *m, const struct kern *k, uint64_t v)
{
	uint8_t b[8];

	synth_put(b, v, 8);
	put(fd, off_of(m, k->kpa + (k->jv - k->kv)), b, 8);
}

static void set_state(int fd, const struct machine_layout *m, const struct kern *k, uint32_t v)
{
	uint8_t b[4];

	synth_put(b, v, 4);
	put(fd, off_of(m, k->kpa + (k->jv + 0x40 - k->kv)), b, 4);
}

/* K booted in the file laid out as M: tables, note, jiffies_64 = V. */
static void write_kernel(int fd, const struct machine_layout *m, const struct kern *k, uint64_t v)
{
	uint8_t note[4096 + 64];
	size_t len = 0;

	build(k);
	put(fd, off_of(m, k->kpa), img, SYNTH_KS_O_NAMES + ks.names_len);
	if (elfnote_append(note, sizeof(note), &len, "VMCOREINFO", 0, ks.info, ks.info_len) < 0)
		die("elfnote_append");
	put(fd, off_of(m, k->note), note, len);
	set_j(fd, m, k, v);
	set_state(fd, m, k, 3); /* SYSTEM_RUNNING on 6.1 */
}

/* Look at T on the low layout (no region). */
static enum hang_verdict look(struct hang_watch *w, int fd, long long t, long long cpu)
{
	return hangwatch_look(w, fd, &low, 0, NULL, t, cpu);
}

static void t_find(int fd)
{
	struct hang_watch w = { 0 };
	enum hang_verdict v;
	long long t = 1000;

	hangwatch_init(&w, T_OUT);
	wipe(fd);
	v = look(&w, fd, t, 0);
	tap_ok(v == HANG_NONE && w.state == HANG_FINDING && w.scans == 1,
	       "no kernel yet: NONE, still finding, one scan");
	tap_ok(w.next_ms >= t + HANG_SCAN_MIN_MS && w.next_ms <= t + HANG_SCAN_MAX_MS,
	       "the next scan %lld ms later (%d..%d)", w.next_ms - t, HANG_SCAN_MIN_MS,
	       HANG_SCAN_MAX_MS);
	tap_is_int(hangwatch_wake_ms(&w, t), w.next_ms - t, "wake: when the next scan is due");
	write_kernel(fd, &low, &live, 5000);
	look(&w, fd, w.next_ms - 1, 0);
	tap_is_int(w.scans, 1, "no scan before it is due");
	t = w.next_ms;
	look(&w, fd, t, 0);
	tap_ok(w.state == HANG_WATCHING && w.jiffies_gpa == LIVE_J && w.value == 5000,
	       "the kernel found: watching jiffies_64 at 0x%llx = %llu",
	       (unsigned long long)w.jiffies_gpa, (unsigned long long)w.value);
	tap_ok(!w.armed && w.buf == NULL, "not armed before it moves; scan buffer freed");
	tap_is_int(hangwatch_wake_ms(&w, t), HANG_LOOK_MS, "then a look every HANG_LOOK_MS");
	hangwatch_free(&w);
}

/* A watch on LIVE, armed at T0 (value 100 -> 101) with CPU time 0. */
static void armed_watch(int fd, struct hang_watch *w, long long t0)
{
	hangwatch_init(w, T_OUT);
	wipe(fd);
	write_kernel(fd, &low, &live, 100);
	look(w, fd, t0 - HANG_LOOK_MS, 0);
	set_j(fd, &low, &live, 101);
	look(w, fd, t0, 0);
}

static void t_verdicts(int fd)
{
	struct hang_watch w = { 0 };
	enum hang_verdict v;
	long long t0 = 50000, t;

	armed_watch(fd, &w, t0);
	tap_ok(w.armed && w.changed_ms == t0 && w.value == 101, "moved: armed at t0");
	/* ticking: never a verdict */
	for (t = t0 + 1000; t <= t0 + 30000; t += 1000) {
		set_j(fd, &low, &live, 101 + (uint64_t)(t - t0) / 4);
		if ((v = look(&w, fd, t, (t - t0) * 2)) != HANG_NONE)
			break;
	}
	tap_ok(v == HANG_NONE, "a clock that moves: no verdict in 30 s of busy vCPUs");
	t0 = t - 1000;
	/* stopped, vCPUs busy (2 cores) */
	v = look(&w, fd, t0 + T_OUT * 1000 - HANG_LOOK_MS,
		 (t0 - 50000) * 2 + 2 * (T_OUT * 1000 - HANG_LOOK_MS));
	tap_is_int(v, HANG_NONE, "stopped for a look less than the timeout: NONE");
	v = look(&w, fd, t0 + T_OUT * 1000, (t0 - 50000) * 2 + 2 * T_OUT * 1000);
	tap_is_int(v, HANG_STALL_BUSY, "stopped for the timeout with busy vCPUs: STALL_BUSY");
	tap_ok(w.stalled_ms == T_OUT * 1000 && w.busy_permille == 2000,
	       "... stalled %lld ms, vCPUs %u per mille of a core", w.stalled_ms, w.busy_permille);
	hangwatch_free(&w);

	/* stopped, vCPUs idle: quiet, said once per timeout */
	armed_watch(fd, &w, t0 = 1000000);
	v = look(&w, fd, t0 + T_OUT * 1000, 100); /* 1% of a core */
	tap_ok(v == HANG_STALL_QUIET && w.busy_permille == 10, "idle vCPUs: STALL_QUIET (%u)",
	       w.busy_permille);
	v = look(&w, fd, t0 + T_OUT * 1000 + 1000, 110);
	tap_is_int(v, HANG_NONE, "a second later: not said again");
	v = look(&w, fd, t0 + 2 * T_OUT * 1000, 200);
	tap_is_int(v, HANG_STALL_QUIET, "a timeout later: said again");
	/* just under the busy line is quiet, at it busy */
	v = look(&w, fd, t0 + 3 * T_OUT * 1000,
		 (long long)3 * T_OUT * 1000 * (HANG_BUSY_PERMILLE - 1) / 1000);
	tap_is_int(v, HANG_STALL_QUIET, "just under HANG_BUSY_PERMILLE: quiet");
	v = look(&w, fd, t0 + 3 * T_OUT * 1000 + 1000,
		 (long long)(3 * T_OUT * 1000 + 1000) * HANG_BUSY_PERMILLE / 1000);
	tap_is_int(v, HANG_STALL_BUSY, "at HANG_BUSY_PERMILLE: busy");
	hangwatch_free(&w);

	/* CPU time unknown: quiet (the caller asks QEMU) */
	armed_watch(fd, &w, t0);
	v = look(&w, fd, t0 + T_OUT * 1000, -1);
	tap_is_int(v, HANG_STALL_QUIET, "vCPU time unknown: STALL_QUIET");
	/* it moves again: the clock restarts */
	set_j(fd, &low, &live, 999);
	v = look(&w, fd, t0 + T_OUT * 1000 + 1000, -1);
	tap_ok(v == HANG_NONE && w.changed_ms == t0 + T_OUT * 1000 + 1000,
	       "moved again: NONE, stall timed from now");
	hangwatch_free(&w);
}

/* Tick the live kernel's clock once a second from T (state S), N times: the time after. */
static long long tick(int fd, struct hang_watch *w, long long t, uint32_t s, int n)
{
	static uint64_t j = 100000;

	for (int i = 0; i < n; i++, t += 1000) {
		set_state(fd, &low, &live, s);
		set_j(fd, &low, &live, ++j);
		look(w, fd, t, 0);
	}
	return t;
}

static void t_halting(int fd)
{
	struct hang_watch w = { 0 };
	enum hang_verdict v;
	long long t0 = 7000, t;

	armed_watch(fd, &w, t0);
	tap_ok(w.state_off != 0 && w.state_moving == 3, "system_state found, 3 when it moved");
	/* boots through 1 and 2 (short), then runs in 3 */
	t = tick(fd, &w, t0 + 1000, 1, 2);
	t = tick(fd, &w, t, 2, 2);
	tap_ok(w.state_settled == UINT32_MAX, "no running state after 2 s in each boot state");
	t = tick(fd, &w, t, 3, 7);
	tap_is_int((int)w.state_settled, 3, "3 kept for 5 s while the clock moves: running state");
	/* halts: the state goes up, the clock moves once more, then stops */
	t = tick(fd, &w, t, 4, 1); /* SYSTEM_HALT */
	v = look(&w, fd, t + T_OUT * 1000, 2 * T_OUT * 1000);
	tap_ok(v == HANG_NONE && w.halting,
	       "stopped in system_state 4, above the running 3: halting, no verdict");
	v = look(&w, fd, t + 5 * T_OUT * 1000, 10 * T_OUT * 1000);
	tap_ok(v == HANG_NONE && w.state == HANG_WATCHING && w.skip.n == 0,
	       "... still none later, and its note is not given up");
	/* a new boot of the same kernel (kexec keeps the note): it ticks, then hangs */
	t = tick(fd, &w, t + 6 * T_OUT * 1000, 3, 1);
	v = look(&w, fd, t + T_OUT * 1000, 2 * T_OUT * 1000);
	tap_ok(!w.halting && v == HANG_STALL_BUSY, "moving again re-arms: a later stall is a hang");
	hangwatch_free(&w);

	/* the state changes after the clock's last move (halting before any state settled) */
	armed_watch(fd, &w, t0);
	t = tick(fd, &w, t0 + 1000, 3, 2);
	set_state(fd, &low, &live, 5); /* SYSTEM_POWER_OFF */
	v = look(&w, fd, t + T_OUT * 1000, 2 * T_OUT * 1000);
	tap_ok(v == HANG_NONE && w.halting, "state changed since the clock last moved: no verdict");
	hangwatch_free(&w);

	/* armed during boot (state 2), hangs later while running (the CI failure of session 7) */
	armed_watch(fd, &w, t0);
	t = tick(fd, &w, t0 + 1000, 2, 1);
	t = tick(fd, &w, t, 3, 8);
	v = look(&w, fd, t + T_OUT * 1000, 2 * T_OUT * 1000);
	tap_ok(v == HANG_STALL_BUSY && !w.halting,
	       "armed in a boot state, stalled in the running one: a hang");
	hangwatch_free(&w);

	/* a lockup during boot, before any state settled: still a hang */
	armed_watch(fd, &w, t0);
	t = tick(fd, &w, t0 + 1000, 1, 2);
	v = look(&w, fd, t + T_OUT * 1000, 2 * T_OUT * 1000);
	tap_ok(v == HANG_STALL_BUSY, "stalled during boot, state unchanged: a hang");
	hangwatch_free(&w);
}

static void t_never_moves(int fd)
{
	struct hang_watch w = { 0 };
	enum hang_verdict v;
	long long t = 0;

	/* an earlier boot's kernel whose note is lower, and the live one above it */
	hangwatch_init(&w, T_OUT);
	wipe(fd);
	write_kernel(fd, &low, &other, 7);
	write_kernel(fd, &low, &live, 100);
	look(&w, fd, t, 0);
	tap_ok(w.state == HANG_WATCHING && w.jiffies_gpa == OTHER_J,
	       "the lowest note is taken first (the other kernel's)");
	for (t = 1000; t <= T_OUT * 1000; t += 1000) {
		set_j(fd, &low, &live, 100 + (uint64_t)t);
		if ((v = look(&w, fd, t, 2 * t)) != HANG_NONE)
			break;
	}
	tap_ok(v == HANG_NONE && w.state == HANG_FINDING && w.skip.n == 1,
	       "its counter never moved: no verdict, that note skipped, finding again");
	look(&w, fd, t, 2 * t);
	tap_ok(w.state == HANG_WATCHING && w.jiffies_gpa == LIVE_J,
	       "the next scan finds the live kernel's counter");
	hangwatch_free(&w);
}

static void t_new_kernel(int fd)
{
	struct hang_watch w = { 0 };
	struct kern k2 = live;
	enum hang_verdict v;
	long long t0 = 5000;

	armed_watch(fd, &w, t0);
	/* kexec: a new note (another KASLR offset) where the old one was */
	k2.kaslr = "f000000";
	write_kernel(fd, &low, &k2, 101);
	v = look(&w, fd, t0 + T_OUT * 1000, 2 * T_OUT * 1000);
	tap_ok(v == HANG_NONE && w.state == HANG_FINDING,
	       "the note changed under the watch: no verdict, finding again");
	hangwatch_free(&w);
}

static void t_blind(int fd)
{
	struct hang_watch w = { 0 };
	struct kern k = live;

	hangwatch_init(&w, T_OUT);
	wipe(fd);
	k.kallsyms = false;
	write_kernel(fd, &low, &k, 100);
	look(&w, fd, 0, 0);
	tap_ok(w.state == HANG_BLIND && hangwatch_wake_ms(&w, 0) == -1,
	       "VMCOREINFO without kallsyms: blind, no more looks");
	tap_is_int(look(&w, fd, 100000, 0), HANG_NONE, "blind: never a verdict");
	hangwatch_free(&w);
}

static void t_places(int fd)
{
	struct hang_watch w = { 0 };
	struct kern high = live, jif = live;

	/* the kernel and its note above 4 GiB */
	high.kpa = G4 + 24 * MiB;
	high.note = G4 + 4 * MiB;
	high.jv = high.kv + 0x90040;
	hangwatch_init(&w, T_OUT);
	wipe(fd);
	write_kernel(fd, &split, &high, 42);
	hangwatch_look(&w, fd, &split, 0, NULL, 0, 0);
	tap_ok(w.state == HANG_WATCHING && w.jiffies_gpa == G4 + 24 * MiB + 0x90040 &&
	       w.jiffies_off == 8 * MiB + 24 * MiB + 0x90040 && w.value == 42,
	       "above 4 GiB: found at GPA 0x%llx, file offset 0x%llx",
	       (unsigned long long)w.jiffies_gpa, (unsigned long long)w.jiffies_off);
	hangwatch_free(&w);

	/* a capture kernel in its boot region: found inside it, not beyond */
	hangwatch_init(&w, T_OUT);
	wipe(fd);
	write_kernel(fd, &low, &live, 42);
	hangwatch_look(&w, fd, &low, 32 * MiB, NULL, 0, 0);
	tap_ok(w.state == HANG_WATCHING && w.jiffies_gpa == LIVE_J, "in a 32 MiB boot region");
	hangwatch_init(&w, T_OUT);
	hangwatch_look(&w, fd, &low, 16 * MiB, NULL, 0, 0);
	tap_ok(w.state == HANG_FINDING, "counter beyond a 16 MiB region: not taken");
	hangwatch_free(&w);

	/* a kernel whose counter is called jiffies only */
	jif.sym = "jiffies";
	hangwatch_init(&w, T_OUT);
	wipe(fd);
	write_kernel(fd, &low, &jif, 9);
	look(&w, fd, 0, 0);
	tap_ok(w.state == HANG_WATCHING && w.jiffies_gpa == LIVE_J, "no jiffies_64: jiffies");
	hangwatch_free(&w);

	/* an earlier crashed kernel (STALE) is skipped like the probe skips it */
	{
		struct notes_stale stale = { .n = 1 };
		strcpy(stale.kaslr[0], other.kaslr);
		hangwatch_init(&w, T_OUT);
		wipe(fd);
		write_kernel(fd, &low, &other, 7);
		write_kernel(fd, &low, &live, 100);
		hangwatch_look(&w, fd, &low, 0, &stale, 0, 0);
		tap_ok(w.jiffies_gpa == LIVE_J, "a crashed kernel's note (stale) is skipped");
		hangwatch_free(&w);
	}
}

static volatile int spin_stop;

static void *spin(void *arg)
{
	*(int *)arg = (int)syscall(SYS_gettid);
	while (!spin_stop)
		;
	return NULL;
}

/* The spinning thread's CPU time by its own clock, ms. */
static long long thread_ms(pthread_t th)
{
	struct timespec ts;
	clockid_t id;

	if (pthread_getcpuclockid(th, &id) != 0 || clock_gettime(id, &ts) != 0)
		return -1;
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void t_cpu_time(void)
{
	pthread_t th;
	int tid = 0, tids[3];
	long long a, b, ta, tb;

	if (pthread_create(&th, NULL, spin, &tid) != 0) {
		tap_ok(0, "cannot start a thread");
		return;
	}
	while (!__atomic_load_n(&tid, __ATOMIC_SEQ_CST))
		usleep(1000);
	tids[0] = tids[1] = tid;
	tids[2] = 0;
	ta = thread_ms(th);
	a = hangwatch_cpu_ms(getpid(), tids, 1);
	/* until the thread has run 200 ms by its own clock (a loaded host gives it less than
	 * the wall clock), at most 20 s */
	for (int i = 0; i < 200 && thread_ms(th) - ta < 200; i++)
		usleep(100000);
	b = hangwatch_cpu_ms(getpid(), tids, 3);
	tb = thread_ms(th);
	spin_stop = 1;
	pthread_join(th, NULL);
	/* /proc counts in clock ticks (10 ms): the two readings agree within a few */
	tap_ok(a >= 0 && ta >= 0 && tb - ta >= 200 && llabs((b - a) - (tb - ta)) <= 40,
	       "a spinning thread's CPU time as /proc counts it is its own clock's (%lld ms, its "
	       "clock %lld ms; a duplicate id counted once)", b - a, tb - ta);
	tids[0] = 0x7ffffff0;
	tap_is_int(hangwatch_cpu_ms(getpid(), tids, 1), -1, "no such thread: -1");
}

int main(void)
{
	char path[] = "/tmp/hvdump-hangwatch.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0) {
		tap_skip_all("no temporary file");
		return 77;
	}
	unlink(path);
	t_find(fd);
	t_verdicts(fd);
	t_never_moves(fd);
	t_halting(fd);
	t_new_kernel(fd);
	t_blind(fd);
	t_places(fd);
	t_cpu_time();
	close(fd);
	return tap_done();
}
