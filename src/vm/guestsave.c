// SPDX-License-Identifier: GPL-2.0-or-later
// The guest saver's requests.  In this mode hvdump releases nothing the guest did not ask
// for, and the guest can release nothing but the crash's own pages.
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "vm/guestsave.h"
#include "vm/record.h"

static void reply(struct guestsave *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(struct guestsave *g, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write_full(g->fd, buf, (size_t)n) < 0)
		log_debug("guest saver went away before our reply");
}

void guestsave_init(struct guestsave *g)
{
	memset(g, 0, sizeof(*g));
	g->fd = -1;
	g->crash = -1;
}

static void forget_segments(struct guestsave *g)
{
	free(g->segs);
	g->segs = NULL;
	g->nsegs = 0;
	g->crash = -1;
}

void guestsave_close(struct guestsave *g)
{
	if (g->fd >= 0)
		close(g->fd);
	forget_segments(g);
	guestsave_init(g);
}

/* The crash the guest sees as /proc/vmcore, the newest one, and its PT_LOADs as hvdump wrote
 * them (kept on the host: the header in the RAM file is in the guest's memory and the guest
 * may have changed it).  An older crash still unsaved (the capture guest before crashed while
 * it saved) is not the guest's to save or release: it stays preserved. */
static int load_segments(struct guestsave *g, const struct crash_list *crashes)
{
	int i = crashes_newest_unsaved(crashes);
	const struct preserved_crash *pc;
	size_t n = 0;

	if (i < 0)
		return -ENOENT;
	if (g->segs && g->crash == i)
		return 0;
	forget_segments(g);
	pc = &crashes->c[i];
	g->segs = malloc((pc->nsegs ? pc->nsegs : 1) * sizeof(*g->segs));
	if (!g->segs)
		return -ENOMEM;
	for (size_t k = 0; k < pc->nsegs; k++)
		if (pc->segs[k].type == PT_LOAD)
			g->segs[n++] = pc->segs[k];
	g->nsegs = n;
	g->crash = i;
	return 0;
}

static bool bit(const uint64_t *map, size_t i)
{
	return map[i / 64] >> (i % 64) & 1;
}

/* Free the piece [POS, END) of segment S (page-aligned, in the crash's bitmap from page IDX);
 * *CREDIT = bytes freed of pages not freed before: each page is credited once, however often
 * the guest asks (it may write to a freed page and ask again). */
static int release_piece(struct guest_mem *gm, uint64_t *map, const struct elfcore_segment *s,
			 uint64_t pos, uint64_t end, size_t idx, uint64_t *credit)
{
	uint64_t at;

	if (__builtin_add_overflow(s->offset, pos - s->paddr, &at))
		return -ERANGE;
	while (pos < end) {
		bool was = bit(map, idx);
		uint64_t q = pos + LAYOUT_PAGE, held;
		size_t k = idx + 1;
		int r;

		while (q < end && bit(map, k) == was)
			q += LAYOUT_PAGE, k++;
		r = guestmem_punch(gm, at, q - pos, &held);
		if (r < 0)
			return r;
		if (!was) {
			*credit += held;
			for (size_t b = idx; b < k; b++)
				map[b / 64] |= 1ull << (b % 64);
		}
		at += q - pos;
		pos = q;
		idx = k;
	}
	return 0;
}

/* Free the crash's pages in [PADDR, PADDR+SIZE); *FREED = bytes to credit. */
static int release_range(struct guestsave *g, struct crash_list *crashes, struct guest_mem *gm,
			 uint64_t paddr, uint64_t size, uint64_t *freed, const char **why)
{
	int r = load_segments(g, crashes);
	struct preserved_crash *pc;
	uint64_t *map;

	*freed = 0;
	if (r < 0) {
		*why = r == -ENOENT ? "no unsaved dump" : "out of memory";
		return r;
	}
	if ((r = guestsave_check(g->segs, g->nsegs, paddr, size, why)) < 0)
		return r;
	pc = &crashes->c[g->crash];
	if (!pc->guest_released) {
		/* said in the record before the first page goes: a save from the kept memory
		 * (hvdump save --from, or --resume on the host) must know the guest's dump holds
		 * pages this memory no longer does, whatever happens to hvdump next */
		if (record_merge(pc->dir, json_pack("{s:b}", "released_by_guest", 1)) < 0) {
			*why = "cannot note the release in the crash record";
			return -EIO;
		}
		pc->guest_released = true;
	}
	map = pc->released;
	for (uint64_t pos = paddr, next; pos < paddr + size; pos = next) {
		const struct elfcore_segment *s =
			guestsave_piece(g->segs, g->nsegs, pos, paddr + size, &next);
		r = release_piece(gm, map, s, pos, next,
				  guestsave_page_index(g->segs, g->nsegs, s, pos), freed);
		if (r < 0) {
			*why = r == -ERANGE ? "segment outside the RAM and DIMM files"
					    : "cannot free the range on the host";
			return r;
		}
	}
	return 0;
}

/* Log a refused request, GUESTSAVE_WARNS a minute at most: the guest decides how many it
 * sends, not how much the host writes to its log. */
static void refused(struct guestsave *g, uint64_t paddr, uint64_t size, const char *why)
{
	long long now = clock_ms();

	if (now - g->warn_ms >= 60000) {
		if (g->unsaid)
			log_warn("guest saver: %llu more requests refused in the last minute (not logged "
				 "one by one)", g->unsaid);
		g->warn_ms = now;
		g->warns = 0;
		g->unsaid = 0;
	}
	if (g->warns++ < GUESTSAVE_WARNS)
		log_warn("guest saver: release 0x%" PRIx64 "+0x%" PRIx64 " refused: %s", paddr, size,
			 why);
	else
		g->unsaid++;
}

static void handle(struct guestsave *g, struct crash_list *crashes, struct guest_mem *gm,
		   struct memback *mb, struct gs_outcome *out)
{
	struct gs_request rq;
	const char *why = "";
	uint64_t freed;

	guestsave_parse(g->line, &rq);
	switch (rq.kind) {
	case GS_HELLO:
		reply(g, "ok hvdump 1");
		break;
	case GS_STATUS:
		reply(g, "ok preserved=%u released=%" PRIu64 " returned=%" PRIu64, crashes->n,
		      mb->released, mb->added);
		break;
	case GS_RELEASE:
		if (release_range(g, crashes, gm, rq.paddr, rq.size, &freed, &why) < 0) {
			refused(g, rq.paddr, rq.size, why);
			reply(g, "err %s", why);
			break;
		}
		memback_credit(mb, freed);
		out->released = true;
		reply(g, "ok released=%" PRIu64, freed);
		log_debug("guest saver released 0x%" PRIx64 "+0x%" PRIx64 " (%" PRIu64 " bytes freed)",
			  rq.paddr, rq.size, freed);
		break;
	case GS_DONE:
		if (load_segments(g, crashes) < 0) {
			reply(g, "err no unsaved dump");
			break;
		}
		out->saved = g->crash;
		forget_segments(g);
		reply(g, "ok");
		break;
	case GS_UNKNOWN:
		reply(g, "err unknown request");
		break;
	}
}

void guestsave_input(struct guestsave *g, struct crash_list *crashes, struct guest_mem *gm,
		     struct memback *mb, struct gs_outcome *out)
{
	char buf[4096];
	ssize_t n = -1;

	size_t budget = GUESTSAVE_READ_BUDGET;

	out->released = false;
	out->saved = -1;
	/* at most a budget per wakeup: the rest waits in the socket for the next one, and the
	 * supervisor's other work (signals, QMP, the saver) goes first */
	while (out->saved < 0 && budget && (n = read(g->fd, buf, sizeof(buf))) > 0) {
		budget -= (size_t)n < budget ? (size_t)n : budget;
		for (ssize_t i = 0; i < n; i++) {
			char c = buf[i];
			if (c == '\n') {
				if (!g->overlong) {
					g->line[g->len] = '\0';
					handle(g, crashes, gm, mb, out);
				} else {
					reply(g, "err line too long");
				}
				g->len = 0;
				g->overlong = false;
			} else if (g->len + 1 < sizeof(g->line)) {
				g->line[g->len++] = c;
			} else {
				g->overlong = true;
			}
		}
	}
	if (n == 0) {
		/* QEMU closed the port (it is exiting) */
		close(g->fd);
		g->fd = -1;
	}
}
