// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/hmpregs.h"
#include "format/kallsyms.h"
#include "format/vmcoreinfo.h"
#include "util/clock.h"
#include "util/log.h"
#include "vm/hangwatch.h"

void hangwatch_init(struct hang_watch *w, unsigned timeout_s)
{
	hangwatch_free(w);
	memset(w, 0, sizeof(*w));
	w->timeout_ms = timeout_s * 1000u;
	w->state = HANG_FINDING;
	w->state_settled = UINT32_MAX;
}

void hangwatch_free(struct hang_watch *w)
{
	free(w->buf);
	w->buf = NULL;
}

/* ---- finding the counter ------------------------------------------------------------------ */

struct ram_read {
	int fd;
	const struct machine_layout *m;
	uint64_t region;      /* non-zero: only [0, region) of the file */
};

/* kallsyms' reads: guest-physical, within the RAM (or the region). */
static int ram_pread(void *ctx, uint64_t gpa, void *buf, size_t len)
{
	const struct ram_read *r = ctx;
	uint64_t off, limit = r->region ? r->region : r->m->ram_size;

	if (r->region)
		off = gpa;
	else if (layout_gpa_to_off(r->m, gpa, &off) < 0)
		return -EFAULT;
	/* a read may not cross from low RAM into the PCI hole */
	if (off >= limit || len > limit - off ||
	    (!r->region && off < r->m->lowmem && len > r->m->lowmem - off))
		return -EFAULT;
	return pread(r->fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
}

/* Search the note, in [0, REGION) of the file or M's RAM, skipping STALE's kernels and those
 * whose counter never moved: 0 with it in w->buf (*AT, *NOTE_LEN), -ENOENT, or -errno. */
static int scan(struct hang_watch *w, int fd, const struct machine_layout *m, uint64_t region,
		const struct notes_stale *stale, uint64_t *at, size_t *note_len)
{
	struct notes_stale skip = w->skip;
	struct mem_range ram[4];

	for (unsigned i = 0; stale && i < stale->n && skip.n < NOTES_MAX_STALE; i++)
		memcpy(skip.kaslr[skip.n++], stale->kaslr[i], sizeof(skip.kaslr[0]));
	if (region)
		return notes_scan_file(fd, 0, region, &skip, w->buf, at, note_len);
	return notes_scan_ram(fd, m, ram, layout_production_ram(m, ram), &skip, w->buf, at,
			      note_len);
}

/* The counter named by the note in w->buf: 0 (w->jiffies_*), -EOPNOTSUPP (the kernel
 * cannot tell us), or another -errno (not readable yet). */
static int locate(struct hang_watch *w, int fd, const struct machine_layout *m, uint64_t region,
		  size_t note_len)
{
	struct ram_read rr = { .fd = fd, .m = m, .region = region };
	uint64_t vaddr, gpa, off;
	const char *text;
	size_t tlen;
	int r = vmcoreinfo_find(w->buf, note_len, &text, &tlen);

	if (r < 0)
		return -EAGAIN;
	r = kallsyms_lookup(text, tlen, ram_pread, &rr, "jiffies_64", &vaddr);
	if (r == -ENOENT)
		r = kallsyms_lookup(text, tlen, ram_pread, &rr, "jiffies", &vaddr);
	if (r == 0)
		r = kallsyms_kimage_to_phys(text, tlen, vaddr, &gpa);
	if (r < 0)
		return r;
	if (region) {
		if (gpa >= region || region - gpa < 8)
			return -ERANGE;
		off = gpa;
	} else if (layout_gpa_to_off(m, gpa, &off) < 0 || off > m->ram_size - 8) {
		return -ERANGE;
	}
	w->jiffies_gpa = gpa;
	w->jiffies_off = off;
	/* system_state beside it, if the same checks pass (else the watch goes without) */
	w->state_off = 0;
	if (kallsyms_lookup(text, tlen, ram_pread, &rr, "system_state", &vaddr) == 0 &&
	    kallsyms_kimage_to_phys(text, tlen, vaddr, &gpa) == 0) {
		if (region ? gpa < region && region - gpa >= 4
			   : layout_gpa_to_off(m, gpa, &off) == 0 && off <= m->ram_size - 4)
			w->state_off = region ? gpa : off;
	}
	return 0;
}

/* system_state now, or UINT32_MAX if unknown. */
static uint32_t read_state(const struct hang_watch *w, int fd)
{
	uint8_t b[4];

	if (!w->state_off || pread(fd, b, 4, (off_t)w->state_off) != 4)
		return UINT32_MAX;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The counter moved at NOW_MS: follow system_state, and call it the running state once the
 * counter has moved with it for HANG_SETTLE_MS. */
static void note_state(struct hang_watch *w, int fd, long long now_ms)
{
	uint32_t s = read_state(w, fd);

	if (!w->armed || s != w->state_moving) {
		w->state_moving = s;
		w->state_since_ms = now_ms;
	} else if (s != UINT32_MAX && now_ms - w->state_since_ms >= HANG_SETTLE_MS) {
		w->state_settled = s;
	}
}

/* Stalled: is the kernel halting, powering off or restarting (hangwatch.h)? */
static bool shutting_down(const struct hang_watch *w, int fd)
{
	uint32_t s = read_state(w, fd);

	if (s == UINT32_MAX)
		return false;
	if (s != w->state_moving)
		return true;
	return w->state_settled != UINT32_MAX && s > w->state_settled;
}

static int read_u64(int fd, uint64_t off, uint64_t *v)
{
	uint8_t b[8];

	if (pread(fd, b, sizeof(b), (off_t)off) != (ssize_t)sizeof(b))
		return -EIO;
	*v = 0;
	for (int i = 7; i >= 0; i--)
		*v = *v << 8 | b[i];
	return 0;
}

static void find(struct hang_watch *w, int fd, const struct machine_layout *m, uint64_t region,
		 const struct notes_stale *stale, long long now_ms, long long cpu_ms)
{
	long long t0 = clock_us(), took, wait;
	size_t note_len = 0;
	uint64_t at = 0;
	int r;

	if (!w->buf && !(w->buf = malloc(NOTES_SCAN_BUF)))
		return;
	r = scan(w, fd, m, region, stale, &at, &note_len);
	if (r == 0) {
		r = locate(w, fd, m, region, note_len);
		if (r == -EOPNOTSUPP) {
			w->state = HANG_BLIND;
			log_warn("--hang-timeout cannot watch this guest kernel: its VMCOREINFO does "
				 "not describe its kallsyms tables (Linux before 6.0, or built "
				 "without CONFIG_KALLSYMS); hangs are not detected");
		}
	}
	took = clock_us() - t0;
	w->scans++;
	w->scan_us += took;
	if (r == 0 && read_u64(fd, w->jiffies_off, &w->value) == 0) {
		w->state = HANG_WATCHING;
		w->note_len = note_len < sizeof(w->note) ? note_len : sizeof(w->note);
		memcpy(w->note, w->buf, w->note_len);
		w->note_off = at;
		w->armed = false;
		w->state_settled = UINT32_MAX;
		w->changed_ms = now_ms;
		w->changed_cpu_ms = cpu_ms;
		w->quiet_ms = 0;
		w->next_ms = now_ms + HANG_LOOK_MS;
		free(w->buf);
		w->buf = NULL;
		log_info("hang watch: guest kernel clock found (jiffies at 0x%" PRIx64 ", note at "
			 "0x%" PRIx64 ", %u scans, %lld ms)", w->jiffies_gpa,
			 region ? at : layout_off_to_gpa(m, at), w->scans, w->scan_us / 1000);
		return;
	}
	wait = HANG_SCAN_IDLE_FACTOR * took / 1000;
	w->next_ms = now_ms + (wait < HANG_SCAN_MIN_MS ? HANG_SCAN_MIN_MS
			       : wait > HANG_SCAN_MAX_MS ? HANG_SCAN_MAX_MS : wait);
	log_debug("hang watch: scan %u took %lld us (%s)", w->scans, took,
		  r == 0 ? "counter unreadable" : "no kernel yet");
}

/* ---- watching it -------------------------------------------------------------------------- */

/* Is the note found still there, unchanged?  (A kexec'd kernel has another one.) */
static bool same_kernel(const struct hang_watch *w, int fd)
{
	uint8_t now[sizeof(w->note)];

	return pread(fd, now, w->note_len, (off_t)w->note_off) == (ssize_t)w->note_len &&
	       !memcmp(now, w->note, w->note_len);
}

/* Forget the counter: look for a note again, skipping this one if its counter never moved. */
static void refind(struct hang_watch *w, long long now_ms, const char *why)
{
	log_info("hang watch: %s; looking for the guest kernel again", why);
	if (!w->armed && w->skip.n < NOTES_MAX_STALE &&
	    notes_kaslr(w->note, w->note_len, w->skip.kaslr[w->skip.n],
			sizeof(w->skip.kaslr[0])) == 0)
		w->skip.n++;
	w->state = HANG_FINDING;
	w->next_ms = now_ms;
}

enum hang_verdict hangwatch_look(struct hang_watch *w, int fd, const struct machine_layout *m,
				 uint64_t region, const struct notes_stale *stale,
				 long long now_ms, long long vcpu_cpu_ms)
{
	long long stalled, busy;
	uint64_t v;

	if (w->state == HANG_BLIND || now_ms < w->next_ms)
		return HANG_NONE;
	if (w->state == HANG_FINDING) {
		find(w, fd, m, region, stale, now_ms, vcpu_cpu_ms);
		return HANG_NONE;
	}
	w->next_ms = now_ms + HANG_LOOK_MS;
	if (read_u64(fd, w->jiffies_off, &v) < 0)
		return HANG_NONE;
	if (v != w->value) {
		note_state(w, fd, now_ms);
		w->value = v;
		w->armed = true;
		w->halting = false;
		w->changed_ms = now_ms;
		w->changed_cpu_ms = vcpu_cpu_ms;
		return HANG_NONE;
	}
	stalled = now_ms - w->changed_ms;
	if (stalled < (long long)w->timeout_ms)
		return HANG_NONE;
	if (!same_kernel(w, fd)) {
		refind(w, now_ms, "the guest kernel's VMCOREINFO changed (a new kernel?)");
		return HANG_NONE;
	}
	if (!w->armed) {
		refind(w, now_ms, "the clock found never moved");
		return HANG_NONE;
	}
	if (w->halting)
		return HANG_NONE;
	if (shutting_down(w, fd)) {
		/* halting, powering off, restarting: said once; no verdict until the clock moves */
		char settled[16] = "not seen yet";

		if (w->state_settled != UINT32_MAX)
			snprintf(settled, sizeof(settled), "%u", w->state_settled);
		log_info("hang watch: the guest kernel's clock stopped while it shuts down "
			 "(system_state %u, running state %s, %u when the clock last moved): not a "
			 "hang", read_state(w, fd), settled, w->state_moving);
		w->halting = true;
		return HANG_NONE;
	}
	w->stalled_ms = stalled;
	busy = vcpu_cpu_ms >= 0 && w->changed_cpu_ms >= 0 && vcpu_cpu_ms >= w->changed_cpu_ms
		       ? (vcpu_cpu_ms - w->changed_cpu_ms) * 1000 / stalled : -1;
	w->busy_permille = busy < 0 ? 0 : busy > 100000 ? 100000 : (unsigned)busy;
	if (busy >= HANG_BUSY_PERMILLE)
		return HANG_STALL_BUSY;
	if (w->quiet_ms && now_ms - w->quiet_ms < (long long)w->timeout_ms)
		return HANG_NONE;
	w->quiet_ms = now_ms;
	return HANG_STALL_QUIET;
}

long long hangwatch_wake_ms(const struct hang_watch *w, long long now_ms)
{
	if (w->state == HANG_BLIND)
		return -1;
	return w->next_ms > now_ms ? w->next_ms - now_ms : 0;
}

/* ---- the vCPUs' CPU time ------------------------------------------------------------------ */

/* utime + stime (clock ticks) of /proc/PID/task/TID/stat, or -1. */
static long long thread_ticks(pid_t pid, int tid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* the name is in parentheses and may hold anything: fields go on after the last ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			 &st) != 2)
		return -1;
	return (long long)(ut + st);
}

long long hangwatch_cpu_ms(pid_t pid, const int *tids, unsigned n)
{
	long long hz = sysconf(_SC_CLK_TCK), ticks = 0;
	bool any = false;

	if (hz <= 0)
		return -1;
	for (unsigned i = 0; i < n && i < HANG_MAX_THREADS; i++) {
		bool seen = false;
		long long t;
		for (unsigned j = 0; j < i && !seen; j++)
			seen = tids[j] == tids[i];
		if (seen || tids[i] <= 0 || (t = thread_ticks(pid, tids[i])) < 0)
			continue;
		ticks += t;
		any = true;
	}
	return any ? ticks * 1000 / hz : -1;
}

/* ---- asking QEMU -------------------------------------------------------------------------- */

#define HANG_QMP_TIMEOUT_MS 5000

int hangwatch_vcpu_tids(struct qmp *q, int *tids, unsigned max)
{
	json_t *ret = NULL, *cpu;
	char *err = NULL;
	size_t i;
	unsigned n = 0;
	int r = qmp_command(q, "query-cpus-fast", NULL, HANG_QMP_TIMEOUT_MS, &ret, &err);

	if (r < 0) {
		log_warn("hang watch: QEMU did not list its vCPU threads (%s): a stall is judged "
			 "by the vCPUs' state alone", err ? err : strerror(-r));
		free(err);
		return r;
	}
	json_array_foreach(ret, i, cpu) {
		json_int_t tid = json_integer_value(json_object_get(cpu, "thread-id"));
		if (n < max && tid > 0 && tid <= INT32_MAX)
			tids[n++] = (int)tid;
	}
	json_decref(ret);
	return (int)n;
}

int hangwatch_vcpus_dead(struct qmp *q, char *desc, size_t desclen)
{
	static struct prstatus regs[NOTES_MAX_CPUS];
	static uint8_t halted[NOTES_MAX_CPUS];
	unsigned n = 0, nh = 0, irq_off = 0, nhalted = 0;
	json_t *ret = NULL;
	char *err = NULL;
	const char *text;
	int r = qmp_command(q, "human-monitor-command",
			    json_pack("{s:s}", "command-line", "info registers -a"),
			    HANG_QMP_TIMEOUT_MS, &ret, &err);

	if (r < 0) {
		snprintf(desc, desclen, "info registers failed: %s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	text = json_string_value(ret);
	r = text ? hmpregs_parse(text, strlen(text), regs, NOTES_MAX_CPUS, &n) : -EPROTO;
	if (r == 0)
		r = hmpregs_halted(text, strlen(text), halted, NOTES_MAX_CPUS, &nh);
	json_decref(ret);
	if (r < 0 || nh != n) {
		snprintf(desc, desclen, "cannot parse QEMU's info registers output");
		return r < 0 ? r : -EPROTO;
	}
	for (unsigned i = 0; i < n; i++) {
		irq_off += !(regs[i].reg[PR_EFLAGS] & (1u << 9)); /* IF */
		nhalted += halted[i];
	}
	snprintf(desc, desclen, "%u vCPU%s: %u with interrupts off, %u halted", n,
		 n == 1 ? "" : "s", irq_off, nhalted);
	return irq_off == n;
}
