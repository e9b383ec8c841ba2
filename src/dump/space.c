// SPDX-License-Identifier: GPL-2.0-or-later
// Room for a dump before its save starts (space.h).  The kdump estimate compresses a sample
// of the crash's pages, read from the kept memory the way the saver reads it (the capture
// boot's addresses: the RAM file through its layout, or a DIMM file), so that the decision
// comes in tens of milliseconds per GiB instead of a second save's worth of compression.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "dump/capture.h"
#include "dump/space.h"
#include "format/dumpfile.h"
#include "format/elfcore.h"
#include "format/pagefilter.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/size.h"

#define PAGE 4096u
#define MARGIN_NUM 5u /* the sampled page data is scaled by 5/4: sampling error, and pages */
#define MARGIN_DEN 4u /* the crashed kernel wrote on the way down */

uint64_t space_reserve(uint64_t fs_bytes, uint64_t min_free)
{
	uint64_t r = fs_bytes / 100;

	if (min_free)
		return min_free;
	return r < SPACE_RESERVE_MIN ? SPACE_RESERVE_MIN : r > SPACE_RESERVE_MAX ? SPACE_RESERVE_MAX : r;
}

const char *space_decision_name(enum space_decision d)
{
	switch (d) {
	case SPACE_AS_CONFIGURED: return "as-configured";
	case SPACE_DUMP_LEVEL_31: return "dump-level-31";
	default: return "refused";
	}
}

enum space_decision space_decide(uint64_t free, uint64_t reserve, uint64_t need,
				 uint64_t need31)
{
	uint64_t room = free > reserve ? free - reserve : 0;

	if (need <= room)
		return SPACE_AS_CONFIGURED;
	if (need31 != SPACE_NO_FALLBACK && need31 <= room)
		return SPACE_DUMP_LEVEL_31;
	return SPACE_REFUSED;
}

/* WHY gets FMT's text; returns R. */
__attribute__((format(printf, 4, 5))) static int say(char *why, size_t len, int r,
						     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- the crash, read as the saver reads it ------------------------------------------------ */

struct view {
	const struct save_source *src;
	int fds[1 + SAVER_MAX_DIMMS];        /* the RAM file, then each DIMM file */
	struct elfcore_segment *segs;        /* PT_LOADs and the PT_NOTE, header order */
	size_t nsegs;
	uint8_t *notes;
	size_t notes_len;
	uint64_t max_pfn;                    /* 1 + the last pfn of the loads */
};

/* The file and offset holding capture GPA [GPA, GPA + LEN), as saver_locate(): -ERANGE when
 * no single file holds it all. */
static int view_locate(const struct view *v, uint64_t gpa, uint64_t len, int *fd, uint64_t *off)
{
	uint64_t last, end;

	if (__builtin_add_overflow(gpa, len ? len - 1 : 0, &last))
		return -ERANGE;
	if (layout_gpa_to_off(&v->src->layout, gpa, off) == 0 &&
	    layout_gpa_to_off(&v->src->layout, last, &end) == 0 && end - *off == last - gpa) {
		*fd = v->fds[0];
		return 0;
	}
	for (size_t i = 0; i < v->src->ndimms; i++) {
		const struct saver_dimm *d = &v->src->dimms[i];
		if (gpa >= d->gpa && last - d->gpa < d->size) {
			*fd = v->fds[1 + i];
			*off = gpa - d->gpa;
			return 0;
		}
	}
	return -ERANGE;
}

/* Crashed guest-physical memory (p_paddr) through the loads, for the page filter. */
static int view_read(void *ctx, uint64_t paddr, void *buf, size_t len)
{
	const struct view *v = ctx;
	uint64_t off;
	int fd;

	for (size_t i = 0; i < v->nsegs; i++) {
		const struct elfcore_segment *g = &v->segs[i];
		if (g->type == PT_NOTE || paddr < g->paddr || paddr - g->paddr >= g->memsz ||
		    len > g->memsz - (paddr - g->paddr))
			continue;
		if (view_locate(v, g->offset + (paddr - g->paddr), len, &fd, &off) < 0)
			return -EFAULT;
		return pread(fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
	}
	return -EFAULT;
}

static void view_close(struct view *v)
{
	for (size_t i = 0; i <= v->src->ndimms && i <= SAVER_MAX_DIMMS; i++)
		if (v->fds[i] >= 0)
			close(v->fds[i]);
	free(v->segs);
	free(v->notes);
}

/* Open the crash's files, its segments (the host's copy, or the header in the RAM file) and
 * its notes.  0 or -errno with WHY set; V is to be closed either way. */
static int view_open(struct view *v, const struct save_source *src, char *why, size_t len)
{
	int r = 0;

	*v = (struct view){ .src = src };
	for (size_t i = 0; i <= SAVER_MAX_DIMMS; i++)
		v->fds[i] = -1;
	if (src->ndimms > SAVER_MAX_DIMMS)
		return say(why, len, -E2BIG, "too many DIMM files");
	for (size_t i = 0; i <= src->ndimms; i++) {
		const char *p = i ? src->dimms[i - 1].path : src->ram_path;
		v->fds[i] = open(p, O_RDONLY | O_CLOEXEC);
		if (v->fds[i] < 0)
			return say(why, len, -errno, "%s: %s", p, strerror(errno));
	}
	if (src->segs) {
		v->segs = malloc((src->nsegs ? src->nsegs : 1) * sizeof(*v->segs));
		if (!v->segs)
			return say(why, len, -ENOMEM, "out of memory");
		memcpy(v->segs, src->segs, src->nsegs * sizeof(*v->segs));
		v->nsegs = src->nsegs;
	} else if ((r = capture_read_header(v->fds[0], src->hdr_off, &v->segs, &v->nsegs)) < 0) {
		return say(why, len, r, "the ELF core header in %s: %s", src->ram_path, strerror(-r));
	}
	for (size_t i = 0; i < v->nsegs; i++) {
		const struct elfcore_segment *g = &v->segs[i];
		uint64_t off;
		int fd;

		if (g->type != PT_NOTE) {
			if (g->paddr % PAGE || g->memsz % PAGE)
				return say(why, len, -EINVAL, "a segment is not page-aligned");
			if (v->max_pfn < (g->paddr + g->memsz) / PAGE)
				v->max_pfn = (g->paddr + g->memsz) / PAGE;
			continue;
		}
		if (g->filesz > g->memsz || g->filesz > KDUMP_NOTES_MAX ||
		    view_locate(v, g->offset, g->filesz, &fd, &off) < 0)
			return say(why, len, -EINVAL, "the notes are not in the kept memory");
		free(v->notes);
		v->notes = malloc(g->filesz ? g->filesz : 1);
		if (!v->notes || pread(fd, v->notes, g->filesz, (off_t)off) != (ssize_t)g->filesz)
			return say(why, len, -EIO, "cannot read the notes");
		v->notes_len = g->filesz;
	}
	return 0;
}

/* ---- the sample ------------------------------------------------------------------------- */

struct sample {
	uint64_t pfn;
	uint32_t bytes;                      /* compressed, 0 for a zero page */
};

struct samples {
	struct sample *s;
	size_t n;
	uint64_t pages;                      /* the pages sampled from (pfn >= from) */
};

/* A fixed hash (splitmix64): where in its window each sample is taken, so that a pattern
 * repeating every STRIDE pages is not sampled at the same phase every time. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Pages of the loads at or above FROM_PFN, in header order. */
static uint64_t pages_from(const struct view *v, uint64_t from_pfn)
{
	uint64_t n = 0;

	for (size_t i = 0; i < v->nsegs; i++) {
		const struct elfcore_segment *g = &v->segs[i];
		uint64_t p0 = g->paddr / PAGE, p1 = p0 + g->memsz / PAGE;
		if (g->type != PT_NOTE && p1 > from_pfn)
			n += p1 - (p0 > from_pfn ? p0 : from_pfn);
	}
	return n;
}

/* Read the page of index IDX among the pages at or above FROM_PFN into PAGE_BUF: 0 with *PFN
 * set, or -errno. */
static int read_nth(const struct view *v, uint64_t from_pfn, uint64_t idx, uint8_t *page_buf,
		    uint64_t *pfn)
{
	for (size_t i = 0; i < v->nsegs; i++) {
		const struct elfcore_segment *g = &v->segs[i];
		uint64_t p0 = g->paddr / PAGE, p1 = p0 + g->memsz / PAGE, first, off;
		int fd;

		if (g->type == PT_NOTE || p1 <= from_pfn)
			continue;
		first = p0 > from_pfn ? p0 : from_pfn;
		if (idx >= p1 - first) {
			idx -= p1 - first;
			continue;
		}
		*pfn = first + idx;
		if (view_locate(v, g->offset + (*pfn - p0) * PAGE, PAGE, &fd, &off) < 0)
			return -ERANGE;
		return pread(fd, page_buf, PAGE, (off_t)off) == PAGE ? 0 : -EIO;
	}
	return -ERANGE;
}

/* Compress one page in every window of STRIDE pages at or above FROM_PFN with COMP. */
static int sample_pages(const struct view *v, uint64_t from_pfn, enum kdump_compression comp,
			struct samples *out, char *why, size_t len)
{
	uint64_t m = pages_from(v, from_pfn), stride = m / SPACE_SAMPLES, windows;
	struct kdump_compressor *c = NULL;
	uint8_t *page = malloc(PAGE), *cbuf = malloc(PAGE);
	int r = kdump_compressor_new(comp, 0, &c);

	stride = stride < 1 ? 1 : stride > SPACE_STRIDE_MAX ? SPACE_STRIDE_MAX : stride;
	windows = (m + stride - 1) / stride;
	*out = (struct samples){ .pages = m };
	out->s = calloc(windows ? windows : 1, sizeof(*out->s));
	if (r == 0 && (!page || !cbuf || !out->s))
		r = -ENOMEM;
	for (uint64_t w = 0; r == 0 && w < windows; w++) {
		uint64_t idx = w * stride + mix(w) % stride, pfn;
		struct kdump_cpage cp;

		if (idx >= m)
			idx = m - 1;
		r = read_nth(v, from_pfn, idx, page, &pfn);
		if (r == 0)
			r = kdump_compress_page(c, page, cbuf, &cp);
		if (r == 0)
			out->s[out->n++] = (struct sample){ pfn, cp.zero ? 0 : cp.size };
	}
	if (r < 0)
		snprintf(why, len, "sampling the crash's pages: %s", strerror(-r));
	kdump_compressor_free(c);
	free(page);
	free(cbuf);
	return r;
}

/* ---- kdump ------------------------------------------------------------------------------- */

/* The pages LEVEL's type bits leave out (a bitmap over [0, max_pfn)), as the saver finds
 * them; NULL when none are (a level without type bits) or the filter cannot run (NOTE says
 * why: the saver then saves every page, and so does the estimate). */
static uint8_t *level_exclusions(const struct view *v, unsigned level, char *note, size_t len)
{
	struct dumpfile_range *rg = calloc(v->nsegs ? v->nsegs : 1, sizeof(*rg));
	struct dumpfile_source src = { .read = view_read, .ctx = (void *)v, .ranges = rg,
				       .notes = v->notes, .notes_len = v->notes_len };
	struct pagefilter_stats st = { 0 };
	struct dumpfile *d = NULL;
	uint8_t *excl = NULL;
	char why[256] = "out of memory";
	int r = -ENOMEM;

	if (!(level & PAGEFILTER_BY_TYPE) || !v->max_pfn) {
		free(rg);
		return NULL;
	}
	for (size_t i = 0; rg && i < v->nsegs; i++)
		if (v->segs[i].type != PT_NOTE)
			rg[src.nranges++] = (struct dumpfile_range){ v->segs[i].paddr,
								     v->segs[i].memsz };
	excl = rg ? calloc(1, (size_t)((v->max_pfn + 7) / 8)) : NULL;
	if (excl && (r = dumpfile_open_source(&src, &d)) < 0)
		snprintf(why, sizeof(why), "%s", strerror(-r));
	if (d)
		r = pagefilter_scan(d, level, excl, v->max_pfn, &st, why, sizeof(why));
	dumpfile_close(d);
	free(rg);
	if (r < 0) {
		snprintf(note, len, "dump level %u cannot be applied (%s): every page counted", level,
			 why);
		free(excl);
		return NULL;
	}
	return excl;
}

/* Is PFN left out by EXCL (a bitmap, or NULL: nothing is)? */
static bool left_out(const uint8_t *excl, uint64_t pfn)
{
	return excl && pagefilter_test(excl, pfn);
}

/* The pages at or above FROM_PFN the file gets (not in EXCL). */
static uint64_t kept_pages(const struct view *v, uint64_t from_pfn, const uint8_t *excl)
{
	uint64_t n = 0;

	for (size_t i = 0; i < v->nsegs; i++) {
		const struct elfcore_segment *g = &v->segs[i];
		uint64_t p = g->paddr / PAGE, p1 = p + g->memsz / PAGE;
		if (g->type == PT_NOTE)
			continue;
		for (p = p > from_pfn ? p : from_pfn; p < p1; p++)
			n += !left_out(excl, p);
	}
	return n;
}

/* What the kdump file needs from FROM_PFN on, the pages in EXCL left out: the sampled data
 * scaled up with the margin, the descriptors, and (FRESH) everything before the data. */
static uint64_t kdump_need(const struct view *v, const struct samples *sm, uint64_t from_pfn,
			   const uint8_t *excl, bool fresh)
{
	uint64_t data = 0, kept = kept_pages(v, from_pfn, excl), head = 0;

	for (size_t i = 0; i < sm->n; i++)
		if (!left_out(excl, sm->s[i].pfn))
			data += sm->s[i].bytes;
	if (sm->n)
		data = (uint64_t)((double)data * (double)sm->pages / (double)sm->n *
				  MARGIN_NUM / MARGIN_DEN);
	if (!fresh)
		return data + kept * 24;
	if (kdump_writer_overhead(v->max_pfn, kept, v->notes_len, &head) < 0)
		head = v->max_pfn / 4 + kept * 24 + (16u << 20); /* cannot be: be generous */
	return data + head;
}

/* A partial kdump file: where it continues and which pages it leaves out (its bitmap 2, as
 * a bitmap like the filter's).  0, or -errno (NOTE says why; the whole crash is estimated). */
static int partial_kdump(const struct view *v, const char *part, uint64_t *from_pfn,
			 unsigned *level, uint8_t **excl, char *note, size_t len)
{
	int fd = open(part, O_RDONLY | O_CLOEXEC);
	struct kdump *k = NULL;
	uint64_t data_end;
	int r = fd < 0 ? -errno : kdump_open(fd, KDUMP_OPEN_INCOMPLETE, &k, NULL, 0);

	if (r == 0)
		r = kdump_writer_resume_point(fd, k, from_pfn, &data_end);
	if (r == 0) {
		*level = (unsigned)kdump_get_info(k)->dump_level;
		*excl = calloc(1, (size_t)((v->max_pfn + 7) / 8));
		r = *excl ? 0 : -ENOMEM;
		for (uint64_t p = *from_pfn; r == 0 && p < v->max_pfn; p++)
			if (kdump_pfn_state(k, p) == KDUMP_PFN_EXCLUDED)
				pagefilter_set(*excl, p);
	}
	if (r < 0)
		snprintf(note, len, "cannot read where %s continues (%s): the whole crash counted",
			 part, strerror(-r));
	kdump_close(k);
	if (fd >= 0)
		close(fd);
	return r;
}

/* The kdump estimate and decision. */
static int check_kdump(const struct view *v, const struct space_request *rq,
		       struct space_check *c, char *why, size_t len)
{
	uint64_t from_pfn = 0, room = c->free_bytes > c->reserve_bytes ?
					      c->free_bytes - c->reserve_bytes : 0;
	struct samples sm = { 0 };
	uint8_t *excl = NULL;
	char part[4300];
	int r;

	c->dump_level = rq->dump_level;
	snprintf(c->method, sizeof(c->method), "kdump-sampled-%s", kdump_compression_name(rq->comp));
	if (rq->t->resume) {
		snprintf(part, sizeof(part), "%s.part", rq->t->out);
		if (partial_kdump(v, part, &from_pfn, &c->dump_level, &excl, c->note,
				  sizeof(c->note)) < 0)
			from_pfn = 0;
		c->level_configured = c->dump_level;
	}
	r = sample_pages(v, from_pfn, rq->comp, &sm, why, len);
	if (r < 0)
		goto out;
	c->sampled = sm.n;
	c->pages = sm.pages;
	if (!rq->t->resume)
		excl = level_exclusions(v, rq->dump_level, c->note, sizeof(c->note));
	c->estimate_configured = kdump_need(v, &sm, from_pfn, excl, !rq->t->resume);
	if (c->estimate_configured > room && !rq->t->resume && rq->dump_level < PAGEFILTER_LEVEL_MAX) {
		free(excl);
		excl = level_exclusions(v, PAGEFILTER_LEVEL_MAX, c->note, sizeof(c->note));
		c->estimate_level31 = kdump_need(v, &sm, 0, excl, true);
	}
out:
	free(excl);
	free(sm.s);
	return r;
}

/* ---- ELF: exact ----------------------------------------------------------------------------- */

static int check_elf(const struct view *v, const struct space_request *rq, struct space_check *c,
		     char *why, size_t len)
{
	uint64_t mem = 0, done = 0;
	size_t nloads = 0;
	int r;

	for (size_t i = 0; i < v->nsegs; i++)
		if (v->segs[i].type != PT_NOTE) {
			mem += v->segs[i].memsz;
			nloads++;
		}
	snprintf(c->method, sizeof(c->method), "elf-exact");
	c->pages = mem / PAGE;
	c->dump_level = 0;
	if (rq->t->resume) {
		r = saver_read_progress(rq->t->out, &done);
		if (r < 0) {
			snprintf(why, len, "no progress record beside %s.part: %s", rq->t->out,
				 strerror(-r));
			return r;
		}
		c->estimate_configured = done < mem ? mem - done : 0;
		return 0;
	}
	c->estimate_configured = mem + ((elfcore_header_size(nloads, nloads, v->notes_len) + PAGE - 1) &
					~(uint64_t)(PAGE - 1));
	return 0;
}

/* ---- the check ----------------------------------------------------------------------------- */

/* The test hooks (space.h): 1 when one decided (C filled), else 0. */
static int test_hooks(const struct space_request *rq, struct space_check *c)
{
	const char *off = getenv("HVDUMP_TEST_SPACE_OFF"), *est = getenv("HVDUMP_TEST_SPACE_ESTIMATE");
	char *end;

	if (off && *off && strcmp(off, "0")) {
		snprintf(c->method, sizeof(c->method), "test-off");
		c->guard = 0;
		c->estimate_bytes = c->estimate_configured = 0;
		return 1;
	}
	if (!est || !*est)
		return 0;
	errno = 0;
	c->estimate_configured = strtoull(est, &end, 10);
	if (errno || *end)
		return 0;
	c->estimate_level31 = rq->t->format == SAVE_KDUMP && !rq->t->resume &&
			      rq->dump_level < PAGEFILTER_LEVEL_MAX ? c->estimate_configured
								   : SPACE_NO_FALLBACK;
	snprintf(c->method, sizeof(c->method), "test-override");
	return 0;
}

int space_check_run(const struct space_request *rq, struct space_check *c, char *why, size_t len)
{
	char dir[4200], *slash;
	struct statvfs fs;
	struct view v;
	long long t0 = clock_ms();
	int r;

	*c = (struct space_check){ .estimate_level31 = SPACE_NO_FALLBACK, .resume = rq->t->resume,
				   .dump_level = rq->t->format == SAVE_KDUMP ? rq->dump_level : 0 };
	c->level_configured = c->dump_level;
	snprintf(dir, sizeof(dir), "%s", rq->t->out);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (statvfs(slash ? dir : ".", &fs) < 0) {
		r = -errno;
		snprintf(why, len, "cannot ask %s how much room it has: %s", dir, strerror(-r));
		return r;
	}
	c->free_bytes = (uint64_t)fs.f_bavail * fs.f_frsize;
	c->fs_bytes = (uint64_t)fs.f_blocks * fs.f_frsize;
	c->reserve_bytes = space_reserve(c->fs_bytes, rq->min_free);
	c->guard = c->reserve_bytes;
	if (test_hooks(rq, c))
		return 0;
	if (!c->method[0]) {
		r = view_open(&v, rq->src, why, len);
		if (r == 0)
			r = rq->t->format == SAVE_KDUMP ? check_kdump(&v, rq, c, why, len)
							: check_elf(&v, rq, c, why, len);
		view_close(&v);
		if (r < 0)
			return r;
	}
	c->decision = space_decide(c->free_bytes, c->reserve_bytes, c->estimate_configured,
				   c->estimate_level31);
	c->estimate_bytes = c->decision == SPACE_DUMP_LEVEL_31 ? c->estimate_level31
							       : c->estimate_configured;
	if (c->decision == SPACE_DUMP_LEVEL_31)
		c->dump_level = PAGEFILTER_LEVEL_MAX;
	c->ms = clock_ms() - t0;
	return 0;
}

/* ---- telling ------------------------------------------------------------------------------- */

void space_check_log(const struct space_check *c, const char *dir, const char *retry)
{
	char f[32], rs[32], e[32], e31[32], room[32];
	uint64_t rm = c->free_bytes > c->reserve_bytes ? c->free_bytes - c->reserve_bytes : 0;

	size_human(c->free_bytes, f, sizeof(f));
	size_human(c->reserve_bytes, rs, sizeof(rs));
	size_human(c->estimate_configured, e, sizeof(e));
	size_human(rm, room, sizeof(room));
	if (c->note[0])
		log_warn("space check: %s", c->note);
	if (!strcmp(c->method, "test-off")) {
		log_warn("space check: off (HVDUMP_TEST_SPACE_OFF, for tests): no check, no guard");
		return;
	}
	if (c->decision == SPACE_AS_CONFIGURED) {
		log_info("space check: the dump %sneeds about %s (%s, %lld ms); %s has %s free, %s "
			 "of it kept free: saving as configured", c->resume ? "still " : "", e,
			 c->method, c->ms, dir, f, rs);
		return;
	}
	if (c->estimate_level31 != SPACE_NO_FALLBACK)
		size_human(c->estimate_level31, e31, sizeof(e31));
	if (c->decision == SPACE_DUMP_LEVEL_31) {
		log_warn("space check: the dump needs about %s at --dump-level %u (%s, %lld ms), "
			 "but %s has room for %s (%s free, %s kept free): saving at --dump-level 31 "
			 "instead (page cache, process memory and free pages left out), about %s",
			 e, c->level_configured, c->method, c->ms, dir, room, f, rs, e31);
		return;
	}
	log_err("space check: the dump %sneeds about %s%s%s (%s, %lld ms), but %s has room for "
		"%s (%s free, %s kept free): not saving it.  The crash stays preserved in memory "
		"and unsaved, nothing is lost.  Make room there (remove old dumps, `hvdump vacuum`) "
		"or use a --dump-dir with room for the next crashes, then run `%s`",
		c->resume ? "still " : "", e,
		c->estimate_level31 != SPACE_NO_FALLBACK ? ", even at --dump-level 31 about " : "",
		c->estimate_level31 != SPACE_NO_FALLBACK ? e31 : "", c->method, c->ms, dir,
		room, f, rs, retry);
}

json_t *space_check_json(const struct space_check *c)
{
	json_t *j = json_pack("{s:I, s:I, s:I, s:s, s:s, s:i, s:I, s:b}",
			      "free_bytes", (json_int_t)c->free_bytes,
			      "reserve_bytes", (json_int_t)c->reserve_bytes,
			      "estimate_bytes", (json_int_t)c->estimate_bytes,
			      "estimate_method", c->method,
			      "decision", space_decision_name(c->decision),
			      "dump_level", (int)c->dump_level,
			      "estimate_ms", (json_int_t)c->ms,
			      "resume", c->resume);

	if (j && c->estimate_bytes != c->estimate_configured)
		json_object_set_new(j, "estimate_as_configured_bytes",
				    json_integer((json_int_t)c->estimate_configured));
	if (j && c->estimate_level31 != SPACE_NO_FALLBACK)
		json_object_set_new(j, "estimate_level31_bytes",
				    json_integer((json_int_t)c->estimate_level31));
	if (j && c->sampled)
		json_object_set_new(j, "sampled_pages", json_integer((json_int_t)c->sampled));
	return j ? json_pack("{s:o}", "space_check", j) : NULL;
}
