// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/kallsyms.h"
#include "format/vmcoreinfo.h"
#include "util/clock.h"
#include "util/log.h"
#include "vm/probe.h"

struct probe_mem {
	int fd;
	uint64_t limit;
};

static int probe_read(void *ctx, uint64_t paddr, void *buf, size_t len)
{
	struct probe_mem *m = ctx;

	if (paddr >= m->limit || len > m->limit - paddr)
		return -EFAULT;
	return pread(m->fd, buf, len, (off_t)paddr) == (ssize_t)len ? 0 : -EIO;
}

void probe_reset(struct boot_probe *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

/* Find the capture kernel's VMCOREINFO in [0, REGION) and system_state in it.  0, -EAGAIN
 * (not there yet), or -EOPNOTSUPP (this kernel cannot tell us). */
static int find(struct boot_probe *p, int fd, uint64_t region, const struct notes_stale *stale,
		long long now_ms)
{
	struct probe_mem m = { .fd = fd, .limit = region };
	long long t0 = clock_us(), t1, wait;
	uint64_t at, vaddr, paddr;
	const char *text;
	size_t note, tlen;
	int r;

	if (!p->buf && !(p->buf = malloc(NOTES_SCAN_BUF)))
		return -EAGAIN;
	r = notes_scan_file(fd, 0, region, stale, p->buf, &at, &note);
	if (r == 0 && vmcoreinfo_find(p->buf, note, &text, &tlen) < 0)
		r = -EAGAIN;
	if (r == 0) {
		r = kallsyms_lookup(text, tlen, probe_read, &m, "system_state", &vaddr);
		if (r == 0)
			r = kallsyms_kimage_to_phys(text, tlen, vaddr, &paddr);
		if (r == 0 && paddr + 4 <= region)
			p->paddr = paddr;
		else if (r != -EOPNOTSUPP)
			r = -EAGAIN; /* half-written tables: try again later */
	} else {
		r = -EAGAIN;
	}
	t1 = clock_us();
	p->scans++;
	p->scan_us += t1 - t0;
	wait = PROBE_IDLE_FACTOR * (t1 - t0) / 1000;
	p->next_ms = now_ms + (wait < PROBE_INTERVAL_MS ? PROBE_INTERVAL_MS
			       : wait > PROBE_MAX_WAIT_MS ? PROBE_MAX_WAIT_MS
							  : wait);
	log_debug("boot probe: scan %u took %lld us (%s)", p->scans, t1 - t0,
		  p->paddr ? "found system_state" : "not yet");
	return r;
}

enum probe_state probe_look(struct boot_probe *p, int fd, uint64_t region,
			    const struct notes_stale *stale, long long now_ms)
{
	uint32_t v;

	if (p->state != PROBE_UNKNOWN)
		return p->state;
	if (!p->paddr) {
		int r;
		if (now_ms < p->next_ms)
			return p->state;
		r = find(p, fd, region, stale, now_ms);
		if (r == -EOPNOTSUPP)
			p->state = PROBE_BLIND;
		if (r < 0)
			return p->state;
	}
	if (pread(fd, &v, sizeof(v), (off_t)p->paddr) != (ssize_t)sizeof(v))
		return p->state;
	if (v != p->last) {
		p->last = v;
		p->last_ms = now_ms;
		return p->state;
	}
	if (v >= 2 && now_ms - p->last_ms >= PROBE_STABLE_MS)
		p->state = PROBE_UP;
	return p->state;
}
