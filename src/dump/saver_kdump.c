// SPDX-License-Identifier: GPL-2.0-or-later
// The host saver's kdump-compressed format.  The loads are in pfn order, so the file is
// written in one pass: chunk by chunk, the pages the file gets are read, compressed by the
// pool in parallel and appended in order; every cfg->chunk bytes a checkpoint makes them
// durable, and only then are their ranges reported (and so released).
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump/saver_internal.h"
#include "format/dumpfile.h"
#include "format/kdump.h"
#include "format/kdump_pool.h"
#include "format/pagefilter.h"

#define KD_CHUNK_PAGES (SAVER_COPY_BUF / KDUMP_PAGE_SIZE)
#define KD_PEND 64
#define KDUMP_DESC_BYTES 24u /* a page descriptor on disk */

/* Record the failure: WHAT (the file or step) and the error. */
static int kd_fail(const struct saver_job *j, int r, const char *what)
{
	snprintf(j->why, j->whylen, "%s: %s", what, strerror(-r));
	return r;
}

/* The crashed memory as a dump (dumpfile_open_source over saver_view_read), for the page filter
 * and the kernel's utsname: 0 with *D set, or the error. */
static int open_view(const struct saver_job *j, struct dumpfile **d)
{
	struct dumpfile_range *rg = calloc(j->nsegs ? j->nsegs : 1, sizeof(*rg));
	struct dumpfile_source src = { .read = saver_view_read, .ctx = (void *)j, .ranges = rg,
				       .notes = j->notes, .notes_len = j->notes_len };
	int r;

	*d = NULL;
	if (!rg)
		return -ENOMEM;
	for (size_t i = 0; i < j->nsegs; i++)
		if (j->segs[i].type != PT_NOTE)
			rg[src.nranges++] = (struct dumpfile_range){ j->segs[i].paddr,
								     j->segs[i].memsz };
	r = dumpfile_open_source(&src, d);
	free(rg);
	return r;
}

/* Which pages cfg->dump_level leaves out of D (NULL: the view could not be opened, VIEW_ERR
 * says why): a bitmap over [0, MAX_PFN), or NULL when nothing is to be filtered (*RAN false)
 * or the filter cannot run (WARNING says why: the dump is saved whole). */
static uint8_t *choose_exclusions(const struct saver_job *j, struct dumpfile *d, int view_err,
				  uint64_t max_pfn, struct pagefilter_stats *st, bool *ran,
				  char *warning, size_t wlen)
{
	uint8_t *excl;
	char why[256];
	int r = view_err;

	*ran = j->cfg->dump_level & PAGEFILTER_BY_TYPE;
	if (!*ran)
		return NULL;
	excl = calloc(1, (size_t)((max_pfn + 7) / 8));
	if (!excl)
		r = -ENOMEM;
	if (r == 0)
		r = pagefilter_scan(d, j->cfg->dump_level, excl, max_pfn, st, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "%s", strerror(-r));
	if (r < 0) {
		snprintf(warning, wlen, "cannot leave out pages by type (dump level %u), saving "
			 "every page: %s", j->cfg->dump_level, why);
		free(excl);
		return NULL;
	}
	return excl;
}

/* The writer: OUT.part resumed, or created without the pages the dump level leaves out. */
static int kd_open(const struct saver_job *j, struct kdump_writer **w)
{
	struct kdump_range *ranges = calloc(j->nsegs, sizeof(*ranges));
	struct pagefilter_stats st = { 0 };
	uint64_t max_pfn = 0;
	uint8_t *excl = NULL;
	struct dumpfile *d = NULL;
	struct kdump_utsname uts;
	bool have_uts;
	size_t nr = 0;
	char why[512] = "";
	bool ran;
	int r;

	if (!ranges)
		return kd_fail(j, -ENOMEM, "saver");
	for (size_t i = 0; i < j->nsegs; i++) {
		const struct elfcore_segment *g = &j->segs[i];
		if (g->type == PT_NOTE)
			continue;
		if (g->paddr % KDUMP_PAGE_SIZE || g->memsz % KDUMP_PAGE_SIZE) {
			r = kd_fail(j, -EINVAL, "a segment is not page-aligned");
			goto out;
		}
		ranges[nr].start_pfn = g->paddr / KDUMP_PAGE_SIZE;
		ranges[nr].end_pfn = (g->paddr + g->memsz) / KDUMP_PAGE_SIZE;
		if (ranges[nr].end_pfn > max_pfn)
			max_pfn = ranges[nr].end_pfn;
		nr++;
	}
	if (j->cfg->resume) {
		r = kdump_writer_resume(j->part_path, j->cfg->out_path, w, why, sizeof(why));
		if (r == -EALREADY)
			/* finished, but the rename did not happen or did not last (a host crash, a
			 * directory that could not be synced) */
			snprintf(j->why, j->whylen, "cannot resume %s: it is a complete dump that was "
				 "never named %s; check it (hvdump info) and rename it", j->part_path,
				 j->cfg->out_path);
		else if (r < 0)
			snprintf(j->why, j->whylen, "cannot resume %s: %s", j->part_path,
				 r == -EBADMSG ? why : strerror(-r));
		goto out;
	}
	int view_err = open_view(j, &d);
	size_t vlen = 0;
	const char *vmci = d ? dumpfile_vmcoreinfo(d, &vlen) : NULL;
	/* the crashed kernel's utsname, as makedumpfile writes it; else what VMCOREINFO says */
	have_uts = d && kdump_utsname_from_memory(vmci, vlen, dumpfile_virt_cb, d, &uts) == 0;
	excl = choose_exclusions(j, d, view_err, max_pfn, &st, &ran, why, sizeof(why));
	dumpfile_close(d);
	struct kdump_writer_opts o = {
		.uts = have_uts ? &uts : NULL,
		.path = j->part_path,
		.final_path = j->cfg->out_path,
		.max_mapnr = max_pfn,
		.ranges = ranges,
		.nranges = nr,
		.notes = j->notes,
		.notes_len = j->notes_len,
		.exclude = excl,
		.dump_level = excl ? (int)j->cfg->dump_level : 0,
		.compression = (enum kdump_compression)j->cfg->compression,
		.level = j->cfg->level,
	};
	saver_filter_done(j->s, ran, pagefilter_excluded(&st), why);
	r = kdump_writer_create(&o, w);
	if (r < 0)
		kd_fail(j, r, j->part_path);
out:
	free(excl);
	free(ranges);
	return r;
}

/* A kdump save under way: the chunks appended since the last checkpoint wait in PEND (capture
 * GPA ranges) until a sync makes them durable. */
struct kd_save {
	const struct saver_job *j;
	struct kdump_writer *w;
	struct kdump_pool *pool;
	uint8_t *cbuf;                /* the chunk compressed (j->buf: read) */
	struct kdump_cpage *cp;
	size_t *kept;                 /* the chunk's pages the file gets */
	struct saver_range pend[KD_PEND];
	size_t npend;
	uint64_t since_sync, pending_saved;
};

/* The pending ranges are durable: report them, with the bytes they saved. */
static void kd_report(struct kd_save *k)
{
	for (size_t i = 0; i < k->npend; i++)
		saver_report_range(k->j->s, k->pend[i].gpa, k->pend[i].len,
				   i + 1 == k->npend ? k->pending_saved : 0);
	k->npend = 0;
	k->pending_saved = 0;
}

/* The guard found the file system down to its reserve (R, the why set): make what was
 * appended durable and report it, so that a resume continues from here, and stop. */
static int kd_stop_for_room(struct kd_save *k, int r)
{
	int e = kdump_writer_sync(k->w, NULL);

	if (e < 0)
		return kd_fail(k->j, e, k->j->part_path);
	kd_report(k);
	k->since_sync = 0;
	return r;
}

/* Pages [PFN, PFN + N), at OFF of IN and at capture GPA GPA: read the chunk, compress what
 * the file gets, append it; a checkpoint when cfg->chunk bytes wait.  0 or the error. */
static int kd_chunk(struct kd_save *k, int in, uint64_t off, uint64_t gpa, uint64_t pfn,
		    size_t n)
{
	const struct saver_job *j = k->j;
	uint64_t bytes = n * KDUMP_PAGE_SIZE;
	uint8_t *buf = j->buf;
	size_t m = 0;
	ssize_t got;
	int r;

	if (saver_stopping(j->s))
		return kd_fail(j, -ECANCELED, j->part_path);
	saver_wait_released(j->s);
	/* the pages of the chunk the file gets, packed to the front */
	for (size_t i = 0; i < n; i++)
		if (kdump_writer_dumps(k->w, pfn + i))
			k->kept[m++] = i;
	r = saver_room(j->s, m * (KDUMP_PAGE_SIZE + KDUMP_DESC_BYTES) + SAVER_ROOM_SLACK);
	if (r < 0)
		return kd_stop_for_room(k, r);
	got = m ? pread(in, buf, bytes, (off_t)off) : (ssize_t)bytes;
	if (got != (ssize_t)bytes)
		return kd_fail(j, got < 0 ? -errno : -EIO,
			       in == j->ram_fd ? j->cfg->ram_path : "a DIMM file");
	for (size_t i = 0; m < n && i < m; i++)
		if (k->kept[i] != i)
			memcpy(buf + i * KDUMP_PAGE_SIZE, buf + k->kept[i] * KDUMP_PAGE_SIZE,
			       KDUMP_PAGE_SIZE);
	r = kdump_pool_run(k->pool, buf, m, k->cbuf, k->cp, NULL);
	for (size_t i = 0; r == 0 && i < m; i++)
		r = kdump_writer_append(k->w, pfn + k->kept[i], &k->cp[i]);
	if (r < 0)
		return kd_fail(j, r, j->part_path);
	if (k->npend && k->pend[k->npend - 1].gpa + k->pend[k->npend - 1].len == gpa)
		k->pend[k->npend - 1].len += bytes;
	else
		k->pend[k->npend++] = (struct saver_range){ gpa, bytes };
	k->pending_saved += bytes;
	k->since_sync += bytes;
	if (k->since_sync >= j->cfg->chunk || k->npend == KD_PEND) {
		r = kdump_writer_sync(k->w, NULL);
		if (r < 0)
			return kd_fail(j, r, j->part_path);
		kd_report(k);
		k->since_sync = 0;
	}
	return 0;
}

/* Every load's chunks from the writer's next pfn on; what a resumed save skips is reported
 * as done. */
static int kd_save_loads(struct kd_save *k)
{
	const struct saver_job *j = k->j;
	uint64_t next_pfn = kdump_writer_next_pfn(k->w);
	int r;

	for (size_t i = 0; i < j->nsegs; i++) {
		const struct elfcore_segment *g = &j->segs[i];
		uint64_t src, pfn0, pfn1, pfn;
		int in;
		if (g->type == PT_NOTE)
			continue;
		if (saver_locate(j->s, g->offset, g->memsz, &in, &src) < 0)
			continue; /* checked by the thread */
		pfn0 = g->paddr / KDUMP_PAGE_SIZE;
		pfn1 = pfn0 + g->memsz / KDUMP_PAGE_SIZE;
		pfn = pfn0 > next_pfn ? pfn0 : next_pfn;
		if (pfn > pfn0)
			saver_report_range(j->s, 0, 0,
					   ((pfn < pfn1 ? pfn : pfn1) - pfn0) * KDUMP_PAGE_SIZE);
		while (pfn < pfn1) {
			size_t n = pfn1 - pfn < KD_CHUNK_PAGES ? (size_t)(pfn1 - pfn) : KD_CHUNK_PAGES;
			uint64_t at = (pfn - pfn0) * KDUMP_PAGE_SIZE;
			r = kd_chunk(k, in, src + at, g->offset + at, pfn, n);
			if (r < 0)
				return r;
			pfn += n;
		}
	}
	return 0;
}

int saver_save_kdump(const struct saver_job *j)
{
	struct kd_save k = { .j = j };
	unsigned t = j->cfg->threads;
	int r;

	if (!t) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		t = n > 0 ? (unsigned)n : 1;
	}
	if (t > KDUMP_POOL_MAX_THREADS)
		t = KDUMP_POOL_MAX_THREADS;
	k.cp = calloc(KD_CHUNK_PAGES, sizeof(*k.cp));
	k.kept = calloc(KD_CHUNK_PAGES, sizeof(*k.kept));
	k.cbuf = malloc(SAVER_COPY_BUF);
	if (!k.cp || !k.cbuf || !k.kept) {
		r = kd_fail(j, -ENOMEM, "saver");
		goto out;
	}
	r = kd_open(j, &k.w);
	if (r < 0)
		goto out;
	struct kdump_pool_opts po = { .threads = t, .compress = 1,
				      .compression = kdump_writer_compression(k.w),
				      .level = kdump_writer_level(k.w) };
	r = kdump_pool_new(&po, &k.pool);
	if (r < 0) {
		kd_fail(j, r, "compressor");
		goto out;
	}
	r = kd_save_loads(&k);
	if (r < 0)
		goto out;
	r = kdump_writer_finish(k.w);
	if (r < 0) {
		kd_fail(j, r, j->cfg->out_path);
		goto out;
	}
	kd_report(&k);
out:
	kdump_writer_free(k.w);
	kdump_pool_free(k.pool);
	free(k.cbuf);
	free(k.cp);
	free(k.kept);
	return r;
}
