// SPDX-License-Identifier: GPL-2.0-or-later
// The boot probe (probe_look) on a synthetic boot region: a sparse RAM file holding a capture
// kernel's VMCOREINFO note and kallsyms tables (synth_kallsyms.h) and its system_state, with
// time passed in by the test.  Covers: no note yet, an earlier kernel's note (stale), a kernel
// without kallsyms (blind), half-written tables, system_state outside the region, the
// stability rule (>= 2, unchanged for PROBE_STABLE_MS) and the scan interval.
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump/notes.h"
#include "format/elfcore.h"
#include "tap.h"
#include "unit/synth_kallsyms.h"
#include "vm/probe.h"

#define MiB (1ull << 20)
#define REGION (32 * MiB)         /* the boot region: [0, REGION) of the file */
#define FILE_SIZE (40 * MiB)      /* the RAM file goes on past it */
#define IMG_SIZE (1 * MiB)

/* A kernel in the file: its image (the kallsyms tables) mapped at KV and loaded at KPA, its
 * system_state at virtual SS, its VMCOREINFO note at NOTE. */
struct kern {
	uint64_t kv, kpa, ss, note;
	const char *kaslr;
	bool kallsyms;              /* VMCOREINFO describes the tables (Linux 6.0 on) */
	enum synth_ks_mode mode;    /* of the address table (0: base-relative, per-CPU absolute) */
};

/* The capture kernel: KASLR put it lower than linked (phys_base negative). */
static const struct kern live = {
	.kv = 0xffffffff8f800000ull, .kpa = 16 * MiB, .ss = 0xffffffff8f800000ull + 0x80000,
	.note = 6 * MiB, .kaslr = "e800000", .kallsyms = true,
};
#define LIVE_SS_PA (16 * MiB + 0x80000)

/* An earlier kernel whose note and tables are still below the live one's. */
static const struct kern old = {
	.kv = 0xffffffff9a000000ull, .kpa = 24 * MiB, .ss = 0xffffffff9a000000ull + 0x90000,
	.note = 2 * MiB, .kaslr = "19000000", .kallsyms = true,
};
#define OLD_SS_PA (24 * MiB + 0x90000)

static uint8_t img[IMG_SIZE];
static struct synth_ks ks;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void put(int fd, uint64_t off, const void *buf, size_t len)
{
	if (pwrite(fd, buf, len, (off_t)off) != (ssize_t)len)
		die("pwrite");
}

/* An empty RAM file: every byte a hole. */
static void wipe(int fd)
{
	if (ftruncate(fd, 0) < 0 || ftruncate(fd, FILE_SIZE) < 0)
		die("ftruncate");
}

static void set_state(int fd, uint64_t paddr, uint32_t v)
{
	uint8_t b[4];

	synth_put(b, v, 4);
	put(fd, paddr, b, 4);
}

/* Build K's image and VMCOREINFO (into ks). */
static void build(const struct kern *k)
{
	uint64_t end = k->ss > k->kv + IMG_SIZE ? k->ss + 0x1000 : k->kv + IMG_SIZE;

	synth_ks_init(&ks, img, IMG_SIZE, k->kv, k->mode);
	synth_ks_sym(&ks, 'D', "cpu_number", 0x1e000, 1);
	synth_ks_sym(&ks, 'T', "_stext", k->kv, 0);
	synth_ks_sym(&ks, 'D', "system_state_x", k->kv + 0x100, 0);
	synth_ks_sym(&ks, 'D', "system_state", k->ss, 0);
	synth_ks_sym(&ks, 'B', "_end", end, 0);
	synth_ks_infof(&ks, "OSRELEASE=6.1.0-capture\nPAGESIZE=4096\n");
	if (k->kallsyms)
		synth_ks_finish(&ks);
	synth_ks_infof(&ks, "NUMBER(phys_base)=%lld\nKERNELOFFSET=%s\n"
		       "NUMBER(KERNEL_IMAGE_SIZE)=1073741824\n", synth_ks_phys_base(k->kv, k->kpa),
		       k->kaslr);
}

static void write_tables(int fd, const struct kern *k)
{
	build(k);
	put(fd, k->kpa, img, SYNTH_KS_O_NAMES + ks.names_len);
}

static void write_note(int fd, const struct kern *k)
{
	uint8_t note[4096 + 64];
	size_t len = 0;

	build(k);
	if (elfnote_append(note, sizeof(note), &len, "VMCOREINFO", 0, ks.info, ks.info_len) < 0)
		die("elfnote_append");
	put(fd, k->note, note, len);
}

/* K booted this far: tables, note and system_state = V. */
static void write_kernel(int fd, const struct kern *k, uint32_t v)
{
	write_tables(fd, k);
	write_note(fd, k);
	set_state(fd, k->kpa + (k->ss - k->kv), v);
}

static bool next_in_range(const struct boot_probe *p, long long now)
{
	return p->next_ms >= now + PROBE_INTERVAL_MS && p->next_ms <= now + PROBE_MAX_WAIT_MS;
}

static void t_no_note_and_interval(int fd)
{
	struct boot_probe p = { .state = PROBE_UNKNOWN };
	long long t = 1000, next;
	enum probe_state st;

	wipe(fd);
	st = probe_look(&p, fd, REGION, NULL, t);
	tap_is_int(st, PROBE_UNKNOWN, "no note: UNKNOWN");
	tap_ok(p.scans == 1 && p.paddr == 0, "no note: one scan, nothing found (scans %u)", p.scans);
	tap_ok(next_in_range(&p, t), "the next scan is %d..%d ms later (%lld)", PROBE_INTERVAL_MS,
	       PROBE_MAX_WAIT_MS, p.next_ms - t);
	next = p.next_ms;

	st = probe_look(&p, fd, REGION, NULL, next - 1);
	tap_ok(st == PROBE_UNKNOWN && p.scans == 1, "1 ms before next_ms: no scan");

	/* the kernel comes up meanwhile: still not seen before next_ms */
	write_kernel(fd, &live, 3);
	st = probe_look(&p, fd, REGION, NULL, next - 1);
	tap_ok(st == PROBE_UNKNOWN && p.scans == 1 && p.paddr == 0,
	       "a note written meanwhile is not looked for before next_ms");
	st = probe_look(&p, fd, REGION, NULL, next);
	tap_ok(st == PROBE_UNKNOWN && p.scans == 2, "at next_ms: a second scan");
	tap_is_int(p.paddr, LIVE_SS_PA, "system_state's physical address from kallsyms");
	tap_is_int(p.last, 3, "its value is read at once");
	tap_is_int(p.last_ms, next, "... and timed from that look");

	/* found: later looks read the value, no more scans */
	st = probe_look(&p, fd, REGION, NULL, next + 100);
	tap_ok(st == PROBE_UNKNOWN && p.scans == 2, "100 ms later: not stable yet, no rescan");
	st = probe_look(&p, fd, REGION, NULL, next + PROBE_STABLE_MS);
	tap_ok(st == PROBE_UP && p.scans == 2, "%d ms at 3: UP without another scan",
	       PROBE_STABLE_MS);

	probe_reset(&p);
	tap_ok(p.buf == NULL && p.scans == 0 && p.paddr == 0 && p.state == PROBE_UNKNOWN &&
	       p.next_ms == 0, "probe_reset forgets everything");
}

static void t_stale(int fd)
{
	struct notes_stale stale = { .n = 0 };
	struct boot_probe p = { .state = PROBE_UNKNOWN };
	struct kern old_blind = old;
	enum probe_state st;
	long long t = 5000;

	strcpy(stale.kaslr[stale.n++], old.kaslr);

	/* an earlier kernel's note, tables and a RUNNING system_state, no live kernel yet */
	wipe(fd);
	write_kernel(fd, &old, 3);
	st = probe_look(&p, fd, REGION, NULL, t);
	tap_ok(st == PROBE_UNKNOWN && p.paddr == OLD_SS_PA,
	       "without the stale list the old kernel's note is taken (paddr 0x%llx)",
	       (unsigned long long)p.paddr);
	probe_reset(&p);

	st = probe_look(&p, fd, REGION, &stale, t);
	tap_ok(st == PROBE_UNKNOWN && p.paddr == 0 && p.scans == 1,
	       "with it the stale note is skipped: nothing found");
	st = probe_look(&p, fd, REGION, &stale, t + PROBE_MAX_WAIT_MS + PROBE_STABLE_MS);
	tap_ok(st == PROBE_UNKNOWN && p.paddr == 0 && p.scans == 2,
	       "... and the old kernel's steady system_state never makes it UP");

	/* the capture kernel's note above the stale one */
	write_kernel(fd, &live, 1);
	t = p.next_ms;
	st = probe_look(&p, fd, REGION, &stale, t);
	tap_ok(st == PROBE_UNKNOWN && p.paddr == LIVE_SS_PA && p.last == 1,
	       "the live note above the stale one is found (paddr 0x%llx, value %u)",
	       (unsigned long long)p.paddr, p.last);
	probe_reset(&p);

	/* a stale note from a kernel without kallsyms must not make the probe blind */
	wipe(fd);
	old_blind.kallsyms = false;
	write_kernel(fd, &old_blind, 3);
	st = probe_look(&p, fd, REGION, NULL, t);
	tap_is_int(st, PROBE_BLIND, "a blind old kernel's note, no stale list: BLIND");
	probe_reset(&p);
	st = probe_look(&p, fd, REGION, &stale, t);
	tap_is_int(st, PROBE_UNKNOWN, "the same note, listed as stale: UNKNOWN");
	probe_reset(&p);
}

static void t_blind(int fd)
{
	struct boot_probe p = { .state = PROBE_UNKNOWN };
	struct kern k = live;
	enum probe_state st;

	wipe(fd);
	k.kallsyms = false;
	write_kernel(fd, &k, 3);
	st = probe_look(&p, fd, REGION, NULL, 100);
	tap_is_int(st, PROBE_BLIND, "VMCOREINFO without kallsyms: BLIND");
	tap_ok(p.paddr == 0 && p.scans == 1, "blind: no address, one scan");
	st = probe_look(&p, fd, REGION, NULL, 100 + 10 * PROBE_MAX_WAIT_MS);
	tap_ok(st == PROBE_BLIND && p.scans == 1, "blind stays blind without scanning again");
	probe_reset(&p);
}

static void t_stability(int fd)
{
	struct boot_probe p = { .state = PROBE_UNKNOWN };
	enum probe_state st;
	long long t0 = 10000;

	/* SYSTEM_SCHEDULING (1) then RUNNING (2) */
	wipe(fd);
	write_kernel(fd, &live, 1);
	st = probe_look(&p, fd, REGION, NULL, t0);
	tap_ok(st == PROBE_UNKNOWN && p.last == 1, "value 1: UNKNOWN");
	st = probe_look(&p, fd, REGION, NULL, t0 + 5 * PROBE_STABLE_MS);
	tap_is_int(st, PROBE_UNKNOWN, "value 1 for 2.5 s: still UNKNOWN");
	set_state(fd, LIVE_SS_PA, 2);
	st = probe_look(&p, fd, REGION, NULL, t0 + 3000);
	tap_ok(st == PROBE_UNKNOWN && p.last == 2 && p.last_ms == t0 + 3000,
	       "value 2 seen: UNKNOWN, its clock starts (last_ms %+lld)", p.last_ms - t0);
	st = probe_look(&p, fd, REGION, NULL, t0 + 3000 + PROBE_STABLE_MS - 1);
	tap_is_int(st, PROBE_UNKNOWN, "2 for 499 ms: UNKNOWN");
	st = probe_look(&p, fd, REGION, NULL, t0 + 3000 + PROBE_STABLE_MS);
	tap_is_int(st, PROBE_UP, "2 for 500 ms: UP");
	tap_is_int(p.scans, 1, "one scan in all: after the find, only the value is read");

	/* UP lasts: no more reads */
	set_state(fd, LIVE_SS_PA, 0);
	st = probe_look(&p, fd, REGION, NULL, t0 + 10000);
	tap_ok(st == PROBE_UP && p.last == 2, "UP is final (the value is not read again)");
	probe_reset(&p);

	/* a change resets the clock */
	wipe(fd);
	write_kernel(fd, &live, 2);
	st = probe_look(&p, fd, REGION, NULL, 1);
	tap_ok(st == PROBE_UNKNOWN && p.last == 2, "value 2 at 1 ms");
	set_state(fd, LIVE_SS_PA, 3);
	st = probe_look(&p, fd, REGION, NULL, 301);
	tap_ok(st == PROBE_UNKNOWN && p.last == 3 && p.last_ms == 301,
	       "3 at 301 ms: the clock restarts");
	st = probe_look(&p, fd, REGION, NULL, 700);
	tap_is_int(st, PROBE_UNKNOWN, "700 ms: 699 ms of >= 2 but only 399 ms of 3: UNKNOWN");
	st = probe_look(&p, fd, REGION, NULL, 800);
	tap_is_int(st, PROBE_UNKNOWN, "800 ms: 499 ms of 3: UNKNOWN");
	set_state(fd, LIVE_SS_PA, 2);
	st = probe_look(&p, fd, REGION, NULL, 801);
	tap_ok(st == PROBE_UNKNOWN && p.last == 2 && p.last_ms == 801,
	       "back to 2 at 801 ms: the clock restarts again");
	st = probe_look(&p, fd, REGION, NULL, 1301);
	tap_ok(st == PROBE_UP && p.last == 2, "2 from 801 to 1301 ms: UP");
	probe_reset(&p);
}

/* system_state at physical PA (the image stays at live.kpa) holding a steady 3: trusted? */
static bool ss_trusted_at(int fd, uint64_t pa, struct boot_probe *p)
{
	struct kern k = live;
	long long t = 0;

	k.ss = k.kv + (pa - k.kpa);
	wipe(fd);
	write_kernel(fd, &k, 3);
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < 6; i++) {
		probe_look(p, fd, REGION, NULL, t);
		t = p->next_ms > t + PROBE_STABLE_MS ? p->next_ms : t + PROBE_STABLE_MS;
	}
	return p->paddr != 0;
}

static void t_outside_region(int fd)
{
	struct boot_probe p;
	struct kern k = live;
	bool ok;

	ok = ss_trusted_at(fd, REGION, &p);
	tap_ok(!ok && p.state == PROBE_UNKNOWN && p.scans == 6,
	       "system_state at the region's end (a steady 3 there): not trusted, rescanned (%u)",
	       p.scans);
	probe_reset(&p);
	ok = ss_trusted_at(fd, REGION - 3, &p);
	tap_ok(!ok && p.state == PROBE_UNKNOWN, "system_state straddling the region's end: not trusted");
	probe_reset(&p);
	ok = ss_trusted_at(fd, REGION - 4, &p);
	tap_ok(ok && p.paddr == REGION - 4 && p.state == PROBE_UP,
	       "system_state in the region's last 4 bytes: trusted, UP");
	probe_reset(&p);

	/* the tables are read only inside the region too: an image past it, system_state in it
	 * (below the image: absolute addresses can say so) */
	k.kpa = REGION + MiB;
	k.ss = k.kv - (k.kpa - LIVE_SS_PA);
	k.mode = SYNTH_KS_ADDRESSES;
	wipe(fd);
	write_kernel(fd, &k, 3);
	probe_look(&p, fd, REGION, NULL, 0);
	tap_ok(p.state == PROBE_UNKNOWN && p.paddr == 0,
	       "kallsyms tables past the region: nothing found");
	probe_look(&p, fd, REGION + 2 * MiB, NULL, p.next_ms);
	tap_ok(p.paddr == LIVE_SS_PA, "... found with a region that holds them (control)");
	probe_reset(&p);
	/* and the note */
	k = live;
	k.note = REGION;
	wipe(fd);
	write_kernel(fd, &k, 3);
	probe_look(&p, fd, REGION, NULL, 0);
	tap_ok(p.state == PROBE_UNKNOWN && p.paddr == 0, "a note past the region: not seen");
	probe_look(&p, fd, REGION + MiB, NULL, p.next_ms);
	tap_ok(p.paddr == LIVE_SS_PA, "... seen with a larger region (control)");
	probe_reset(&p);
}

static void t_half_written(int fd)
{
	struct boot_probe p = { .state = PROBE_UNKNOWN };
	enum probe_state st;

	/* the note is there, the tables it points to not yet */
	wipe(fd);
	write_note(fd, &live);
	set_state(fd, LIVE_SS_PA, 3);
	st = probe_look(&p, fd, REGION, NULL, 0);
	tap_ok(st == PROBE_UNKNOWN && p.paddr == 0, "note without its tables yet: UNKNOWN, not BLIND");
	write_tables(fd, &live);
	st = probe_look(&p, fd, REGION, NULL, p.next_ms);
	tap_ok(st == PROBE_UNKNOWN && p.paddr == LIVE_SS_PA && p.scans == 2,
	       "tables written: the next scan finds system_state");
	probe_reset(&p);
}

int main(void)
{
	char path[] = "/tmp/hvdump-probe.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0) {
		tap_skip_all("no temporary file");
		return 77;
	}
	unlink(path);
	t_no_note_and_interval(fd);
	t_stale(fd);
	t_blind(fd);
	t_stability(fd);
	t_outside_region(fd);
	t_half_written(fd);
	close(fd);
	return tap_done();
}
