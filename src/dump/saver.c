// SPDX-License-Identifier: GPL-2.0-or-later
// Host saver thread.  It reads the ELF core header hvdump wrote into the RAM file, the same
// header the capture kernel reads, so the dump on disk and /proc/vmcore can never disagree
// about which bytes are which page.  Every chunk is fdatasync'ed before its source range is
// reported: the supervisor releases nothing that is not durable.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <libgen.h>

#include "dump/capture.h"
#include "dump/saver.h"
#include "format/elfcore.h"
#include "format/dumpfile.h"
#include "format/kdump.h"
#include "format/kdump_pool.h"
#include "format/pagefilter.h"
#include "util/fsutil.h"

#define SAVER_MAX_RANGES 4096

struct saver {
	struct saver_config cfg;
	char ram_path[4096], out_path[4096], part_path[4200];
	struct saver_dimm dimms[SAVER_MAX_DIMMS];
	char *dimm_paths[SAVER_MAX_DIMMS];
	int fds[1 + SAVER_MAX_DIMMS];      /* the RAM file, then each DIMM file */
	pthread_t thread;
	bool started, joined;
	int efd;
	atomic_bool stop;
	bool held;                         /* wait for saver_release() (lock) */
	pthread_cond_t released;           /* ... signalled with it */
	pthread_mutex_t lock;
	struct saver_range ranges[SAVER_MAX_RANGES];
	size_t nranges;
	uint64_t done, total;
	bool finished;
	int result;
	char why[512];
	char warning[512];                 /* the dump level could not be applied (lock) */
	uint64_t left_out;                 /* pages the dump level leaves out (lock) */
	bool filtered;                     /* the page filter has run (lock) */
};

/* Wait while the saver is held (a capture guest is booting: nothing of the saver's may slow
 * it).  Called by the saver thread before it starts and between chunks; saver_release() or
 * saver_stop() ends the wait.  A hold, not a lower scheduling class: measured, a saver in
 * SCHED_IDLE still slowed a TCG capture boot by 10-15% (4 GiB guest: its kernel reached
 * /init in 4.3-5.2 s instead of 3.8-4.0 s), sharing the memory bandwidth and caches the
 * vCPU threads need even when it only ran on idle CPU time. */
static void wait_released(struct saver *s)
{
	pthread_mutex_lock(&s->lock);
	while (s->held && !atomic_load(&s->stop))
		pthread_cond_wait(&s->released, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

void saver_release(struct saver *s)
{
	pthread_mutex_lock(&s->lock);
	s->held = false;
	pthread_cond_broadcast(&s->released);
	pthread_mutex_unlock(&s->lock);
}

static void post(struct saver *s)
{
	uint64_t one = 1;
	if (write(s->efd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow in practice; the supervisor polls progress anyway */
	}
}

static void report_range(struct saver *s, uint64_t gpa, uint64_t len, uint64_t saved)
{
	pthread_mutex_lock(&s->lock);
	if (len == 0)
		; /* progress only */
	else if (s->nranges && s->ranges[s->nranges - 1].gpa + s->ranges[s->nranges - 1].len == gpa)
		s->ranges[s->nranges - 1].len += len;
	else if (s->nranges < SAVER_MAX_RANGES)
		s->ranges[s->nranges++] = (struct saver_range){ gpa, len };
	/* else: the supervisor is far behind; the range stays unreleased, which is safe */
	s->done += saved;
	pthread_mutex_unlock(&s->lock);
	post(s);
}

/* Record the failure: WHAT (the file or step) and the error. */
static void fail(struct saver *s, int r, const char *what)
{
	s->result = r;
	snprintf(s->why, sizeof(s->why), "%s: %s", what, strerror(-r));
}

/* The open file and offset holding [GPA, GPA+LEN) in the capture boot: the RAM file, or the
 * DIMM file mapped there.  -ERANGE when no single file holds all of it. */
static int locate(const struct saver *s, uint64_t gpa, uint64_t len, int *fd, uint64_t *off)
{
	uint64_t end, last;

	if (__builtin_add_overflow(gpa, len ? len - 1 : 0, &last))
		return -ERANGE;
	if (layout_gpa_to_off(&s->cfg.layout, gpa, off) == 0 &&
	    layout_gpa_to_off(&s->cfg.layout, last, &end) == 0 && end - *off == last - gpa) {
		*fd = s->fds[0];
		return 0;
	}
	for (size_t i = 0; i < s->cfg.ndimms; i++) {
		const struct saver_dimm *d = &s->cfg.dimms[i];
		if (gpa >= d->gpa && last - d->gpa < d->size) {
			*fd = s->fds[1 + i];
			*off = gpa - d->gpa;
			return 0;
		}
	}
	return -ERANGE;
}

/* Open the RAM file and every DIMM file for reading. */
static int open_sources(struct saver *s)
{
	s->fds[0] = open(s->ram_path, O_RDONLY | O_CLOEXEC);
	if (s->fds[0] < 0) {
		fail(s, -errno, s->ram_path);
		return s->result;
	}
	for (size_t i = 0; i < s->cfg.ndimms; i++) {
		s->fds[1 + i] = open(s->cfg.dimms[i].path, O_RDONLY | O_CLOEXEC);
		if (s->fds[1 + i] < 0) {
			fail(s, -errno, s->cfg.dimms[i].path);
			return s->result;
		}
	}
	return 0;
}

#define COPY_BUF (8u << 20)

/* Copy LEN bytes RAM[src] -> OUT[dst]: in the kernel when both files allow it, else
 * through BUF (COPY_BUF bytes). */
static int copy_bytes(int in, uint64_t src, int out, uint64_t dst, uint64_t len, uint8_t *buf,
		      bool *no_cfr)
{
	loff_t si = (loff_t)src, di = (loff_t)dst;

	while (len && !*no_cfr) {
		ssize_t n = copy_file_range(in, &si, out, &di, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP ||
			      errno == ENOSYS)) {
			*no_cfr = true; /* different file systems: copy through user space */
			break;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		len -= (uint64_t)n;
	}
	while (len) {
		size_t want = len < COPY_BUF ? (size_t)len : COPY_BUF;
		ssize_t n = pread(in, buf, want, si);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		for (ssize_t w = 0; w < n;) {
			ssize_t k = pwrite(out, buf + w, (size_t)(n - w), di + w);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return k < 0 ? -errno : -EIO;
			w += k;
		}
		si += n;
		di += n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* OUT.part.progress: "done=N\n", replaced atomically after the data it describes is durable. */
static int write_progress(struct saver *s, uint64_t done)
{
	char path[4300], text[64];
	int n = snprintf(text, sizeof(text), "done=%llu\n", (unsigned long long)done);

	snprintf(path, sizeof(path), "%s.progress", s->part_path);
	return write_file_atomic(path, text, (size_t)n, 0600);
}

int saver_read_progress(const char *out_path, uint64_t *done)
{
	char path[4300], *text = NULL, *end;
	unsigned long long v;
	int r;

	snprintf(path, sizeof(path), "%s.part.progress", out_path);
	r = read_file(path, 256, &text, NULL);
	if (r < 0)
		return r;
	if (strncmp(text, "done=", 5) != 0) {
		free(text);
		return -EBADMSG;
	}
	errno = 0;
	v = strtoull(text + 5, &end, 10);
	r = errno || (*end && *end != '\n') ? -EBADMSG : 0;
	free(text);
	if (r == 0)
		*done = v;
	return r;
}

/* ---- kdump-compressed ------------------------------------------------------------------- */

#define KD_CHUNK_PAGES (COPY_BUF / KDUMP_PAGE_SIZE)

/* The crashed memory as the saver sees it, for the page filter: crashed guest-physical
 * addresses (p_paddr) -> the capture boot's (p_offset) -> a file and offset. */
struct crash_view {
	struct saver *s;
	const struct elfcore_segment *segs;
	size_t nsegs;
};

static int view_read(void *ctx, uint64_t paddr, void *buf, size_t len)
{
	const struct crash_view *v = ctx;
	uint64_t off;
	int fd;

	for (size_t i = 0; i < v->nsegs; i++) {
		const struct elfcore_segment *g = &v->segs[i];
		if (g->type == PT_NOTE || paddr < g->paddr || paddr - g->paddr >= g->memsz ||
		    len > g->memsz - (paddr - g->paddr))
			continue;
		if (locate(v->s, g->offset + (paddr - g->paddr), len, &fd, &off) < 0)
			return -EFAULT;
		ssize_t n = pread(fd, buf, len, (off_t)off);
		return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
	}
	return -EFAULT;
}

/* Which pages S->cfg.dump_level leaves out: a bitmap over [0, MAX_PFN) (NULL when nothing
 * is to be filtered).  A dump that cannot be filtered is saved whole, and WARN says why. */
static uint8_t *choose_exclusions(struct saver *s, const struct elfcore_segment *segs,
				  size_t nsegs, const uint8_t *notes, size_t notes_len,
				  uint64_t max_pfn, struct pagefilter_stats *st)
{
	struct crash_view v = { s, segs, nsegs };
	struct dumpfile_range *rg = calloc(nsegs ? nsegs : 1, sizeof(*rg));
	struct dumpfile_source src = { .read = view_read, .ctx = &v, .ranges = rg,
				       .notes = notes, .notes_len = notes_len };
	struct dumpfile *d = NULL;
	uint8_t *excl = calloc(1, (size_t)((max_pfn + 7) / 8));
	char why[256];
	int r = -ENOMEM;

	if (!(s->cfg.dump_level & PAGEFILTER_BY_TYPE)) {
		free(rg);
		free(excl);
		return NULL;
	}
	if (rg && excl) {
		for (size_t i = 0; i < nsegs; i++)
			if (segs[i].type != PT_NOTE)
				rg[src.nranges++] = (struct dumpfile_range){ segs[i].paddr,
									     segs[i].memsz };
		r = dumpfile_open_source(&src, &d);
	}
	if (r == 0)
		r = pagefilter_scan(d, s->cfg.dump_level, excl, max_pfn, st, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "%s", strerror(-r));
	dumpfile_close(d);
	free(rg);
	pthread_mutex_lock(&s->lock);
	if (r < 0)
		snprintf(s->warning, sizeof(s->warning), "cannot leave out pages by type (dump "
			 "level %u), saving every page: %s", s->cfg.dump_level, why);
	s->filtered = true;
	pthread_mutex_unlock(&s->lock);
	if (r < 0) {
		free(excl);
		return NULL;
	}
	return excl;
}

static int save_kdump(struct saver *s, const struct elfcore_segment *segs, size_t nsegs,
		      const uint8_t *notes, size_t notes_len, uint8_t *buf)
{
	struct kdump_pool *pool = NULL;
	struct kdump_range *ranges = NULL;
	struct kdump_writer *w = NULL;
	struct kdump_cpage *cp = NULL;
	uint8_t *cbuf = NULL, *excl = NULL;
	size_t *kept = NULL;
	struct saver_range pend[64];
	size_t npend = 0, nr = 0;
	uint64_t max_pfn = 0, next_pfn, since_sync = 0, pending_saved = 0;
	unsigned t = s->cfg.threads;
	char why[256];
	int r;

	if (!t) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		t = n > 0 ? (unsigned)n : 1;
	}
	if (t > KDUMP_POOL_MAX_THREADS)
		t = KDUMP_POOL_MAX_THREADS;
	ranges = calloc(nsegs, sizeof(*ranges));
	cp = calloc(KD_CHUNK_PAGES, sizeof(*cp));
	kept = calloc(KD_CHUNK_PAGES, sizeof(*kept));
	cbuf = malloc(COPY_BUF);
	if (!ranges || !cp || !cbuf || !kept) {
		r = -ENOMEM;
		fail(s, r, "saver");
		goto out;
	}
	for (size_t i = 0; i < nsegs; i++) {
		if (segs[i].type == PT_NOTE)
			continue;
		if (segs[i].paddr % KDUMP_PAGE_SIZE || segs[i].memsz % KDUMP_PAGE_SIZE) {
			r = -EINVAL;
			fail(s, r, "a segment is not page-aligned");
			goto out;
		}
		ranges[nr].start_pfn = segs[i].paddr / KDUMP_PAGE_SIZE;
		ranges[nr].end_pfn = (segs[i].paddr + segs[i].memsz) / KDUMP_PAGE_SIZE;
		if (ranges[nr].end_pfn > max_pfn)
			max_pfn = ranges[nr].end_pfn;
		nr++;
	}
	if (s->cfg.resume) {
		r = kdump_writer_resume(s->part_path, s->out_path, &w, why, sizeof(why));
		if (r < 0) {
			snprintf(s->why, sizeof(s->why), "cannot resume %s: %s", s->part_path,
				 r == -EBADMSG ? why : strerror(-r));
			s->result = r;
			goto out;
		}
	} else {
		struct pagefilter_stats st = { 0 };
		excl = choose_exclusions(s, segs, nsegs, notes, notes_len, max_pfn, &st);
		struct kdump_writer_opts o = {
			.path = s->part_path,
			.final_path = s->out_path,
			.max_mapnr = max_pfn,
			.ranges = ranges,
			.nranges = nr,
			.notes = notes,
			.notes_len = notes_len,
			.exclude = excl,
			.dump_level = excl ? (int)s->cfg.dump_level : 0,
			.compression = (enum kdump_compression)s->cfg.compression,
			.level = s->cfg.level,
		};
		pthread_mutex_lock(&s->lock);
		s->left_out = pagefilter_excluded(&st);
		pthread_mutex_unlock(&s->lock);
		post(s);
		r = kdump_writer_create(&o, &w);
		if (r < 0) {
			fail(s, r, s->part_path);
			goto out;
		}
	}
	struct kdump_pool_opts po = { .threads = t, .compress = 1,
				      .compression = kdump_writer_compression(w),
				      .level = kdump_writer_level(w) };
	r = kdump_pool_new(&po, &pool);
	if (r < 0) {
		fail(s, r, "compressor");
		goto out;
	}
	next_pfn = kdump_writer_next_pfn(w);

	/* The loads are in pfn order: read, compress in parallel, append in order. */
	for (size_t i = 0; i < nsegs; i++) {
		uint64_t src, pfn0, pfn1, pfn;
		int in;
		if (segs[i].type == PT_NOTE)
			continue;
		if (locate(s, segs[i].offset, segs[i].memsz, &in, &src) < 0)
			continue; /* checked by the caller */
		pfn0 = segs[i].paddr / KDUMP_PAGE_SIZE;
		pfn1 = pfn0 + segs[i].memsz / KDUMP_PAGE_SIZE;
		pfn = pfn0 > next_pfn ? pfn0 : next_pfn;
		if (pfn > pfn0)
			report_range(s, 0, 0, ((pfn < pfn1 ? pfn : pfn1) - pfn0) * KDUMP_PAGE_SIZE);
		while (pfn < pfn1) {
			size_t n = pfn1 - pfn < KD_CHUNK_PAGES ? (size_t)(pfn1 - pfn) : KD_CHUNK_PAGES;
			uint64_t off = src + (pfn - pfn0) * KDUMP_PAGE_SIZE, bytes = n * KDUMP_PAGE_SIZE;
			uint64_t gpa = segs[i].offset + (pfn - pfn0) * KDUMP_PAGE_SIZE;
			ssize_t got;

			if (atomic_load(&s->stop)) {
				r = -ECANCELED;
				fail(s, r, s->part_path);
				goto out;
			}
			wait_released(s);
			/* the pages of the chunk the file gets, packed to the front */
			size_t m = 0;
			for (size_t k = 0; k < n; k++)
				if (kdump_writer_dumps(w, pfn + k))
					kept[m++] = k;
			got = m ? pread(in, buf, bytes, (off_t)off) : (ssize_t)bytes;
			if (got != (ssize_t)bytes) {
				r = got < 0 ? -errno : -EIO;
				fail(s, r, in == s->fds[0] ? s->ram_path : "a DIMM file");
				goto out;
			}
			for (size_t j = 0; m < n && j < m; j++)
				if (kept[j] != j)
					memcpy(buf + j * KDUMP_PAGE_SIZE,
					       buf + kept[j] * KDUMP_PAGE_SIZE, KDUMP_PAGE_SIZE);
			r = kdump_pool_run(pool, buf, m, cbuf, cp, NULL);
			for (size_t j = 0; r == 0 && j < m; j++)
				r = kdump_writer_append(w, pfn + kept[j], &cp[j]);
			if (r < 0) {
				fail(s, r, s->part_path);
				goto out;
			}
			if (npend && pend[npend - 1].gpa + pend[npend - 1].len == gpa)
				pend[npend - 1].len += bytes;
			else
				pend[npend++] = (struct saver_range){ gpa, bytes };
			pending_saved += bytes;
			since_sync += bytes;
			pfn += n;
			if (since_sync >= s->cfg.chunk || npend == sizeof(pend) / sizeof(pend[0])) {
				r = kdump_writer_sync(w, NULL);
				if (r < 0) {
					fail(s, r, s->part_path);
					goto out;
				}
				for (size_t k = 0; k < npend; k++)
					report_range(s, pend[k].gpa, pend[k].len,
						     k + 1 == npend ? pending_saved : 0);
				npend = 0;
				pending_saved = since_sync = 0;
			}
		}
	}
	r = kdump_writer_finish(w);
	if (r < 0) {
		fail(s, r, s->out_path);
		goto out;
	}
	for (size_t k = 0; k < npend; k++)
		report_range(s, pend[k].gpa, pend[k].len, k + 1 == npend ? pending_saved : 0);
out:
	kdump_writer_free(w);
	kdump_pool_free(pool);
	free(cbuf);
	free(cp);
	free(kept);
	free(excl);
	free(ranges);
	return r;
}

static void *saver_main(void *arg)
{
	struct saver *s = arg;
	struct elfcore_segment *segs = NULL;
	struct elfcore_load *loads = NULL;
	uint8_t *notes = NULL, *outhdr = NULL;
	size_t nsegs = 0, nloads = 0, notes_len = 0, hs;
	uint64_t pos, total = 0;
	int in, out = -1, r, dfd;
	uint8_t *buf = NULL;
	bool no_cfr = false;
	uint64_t resume_at = 0, offset_in_mem = 0;
	char dir[4096];

	wait_released(s);
	if (atomic_load(&s->stop)) {
		fail(s, -ECANCELED, s->part_path); /* stopped while held: nothing was written */
		goto done;
	}
	if (open_sources(s) < 0)
		goto done;
	buf = malloc(COPY_BUF);
	if (!buf) {
		fail(s, -ENOMEM, "saver");
		goto done;
	}
	r = capture_read_header(s->fds[0], s->cfg.hdr_off, &segs, &nsegs);
	if (r < 0) {
		fail(s, r, s->ram_path);
		goto done;
	}
	loads = calloc(nsegs, sizeof(*loads));
	if (!loads) {
		fail(s, -ENOMEM, "saver");
		goto done;
	}
	for (size_t i = 0; i < nsegs; i++) {
		uint64_t off;
		if (locate(s, segs[i].offset, segs[i].memsz, &in, &off) < 0) {
			snprintf(s->why, sizeof(s->why), "segment at 0x%llx is in neither the RAM file "
				 "nor a DIMM file", (unsigned long long)segs[i].offset);
			s->result = -EINVAL;
			goto done;
		}
		if (segs[i].type == PT_NOTE) {
			free(notes);
			notes = malloc(segs[i].filesz);
			if (!notes || segs[i].filesz > segs[i].memsz ||
			    pread(in, notes, segs[i].filesz, (off_t)off) != (ssize_t)segs[i].filesz) {
				fail(s, -EIO, s->ram_path);
				goto done;
			}
			notes_len = segs[i].filesz;
			continue;
		}
		loads[nloads++] = (struct elfcore_load){ .paddr = segs[i].paddr, .size = segs[i].memsz,
							 .vaddr = segs[i].vaddr };
		total += segs[i].memsz;
	}
	pthread_mutex_lock(&s->lock);
	s->total = total;
	pthread_mutex_unlock(&s->lock);

	if (s->cfg.format == SAVE_KDUMP) {
		if (save_kdump(s, segs, nsegs, notes, notes_len, buf) == 0)
			s->result = 0;
		goto done;
	}
	if (s->cfg.resume) {
		r = saver_read_progress(s->out_path, &resume_at);
		if (r < 0) {
			fail(s, r, "no progress record to resume from");
			goto done;
		}
	}
	out = open(s->part_path, O_RDWR | O_CREAT | O_CLOEXEC | (s->cfg.resume ? 0 : O_TRUNC), 0600);
	if (out < 0) {
		fail(s, -errno, s->part_path);
		goto done;
	}
	hs = elfcore_header_size(nloads, notes_len);
	pos = (hs + 4095) & ~4095ull;
	for (size_t i = 0; i < nloads; i++) {
		loads[i].data_addr = pos;
		pos += loads[i].size;
	}
	outhdr = calloc(1, hs);
	r = outhdr ? elfcore_build(outhdr, hs, 0, loads, nloads, notes, notes_len) : -ENOMEM;
	if (r == 0 && pwrite(out, outhdr, hs, 0) != (ssize_t)hs)
		r = errno ? -errno : -EIO;
	if (r < 0) {
		fail(s, r, s->part_path);
		goto done;
	}
	/* The loads, in order, chunk by chunk: copy, make durable, report. */
	for (size_t i = 0, li = 0; i < nsegs && !atomic_load(&s->stop); i++) {
		uint64_t src, done = 0;
		if (segs[i].type == PT_NOTE)
			continue;
		if (locate(s, segs[i].offset, segs[i].memsz, &in, &src) < 0)
			continue; /* checked above */
		if (offset_in_mem + segs[i].memsz <= resume_at) {
			/* saved and released before the interruption */
			offset_in_mem += segs[i].memsz;
			report_range(s, 0, 0, segs[i].memsz);
			li++;
			continue;
		}
		if (offset_in_mem < resume_at) {
			done = resume_at - offset_in_mem;
			report_range(s, 0, 0, done);
		}
		while (done < segs[i].memsz && !atomic_load(&s->stop)) {
			uint64_t n = segs[i].memsz - done;
			wait_released(s);
			if (n > s->cfg.chunk)
				n = s->cfg.chunk;
			r = copy_bytes(in, src + done, out, loads[li].data_addr + done, n, buf, &no_cfr);
			if (r == 0 && fdatasync(out) < 0)
				r = -errno;
			if (r < 0) {
				fail(s, r, s->part_path);
				goto done;
			}
			r = write_progress(s, offset_in_mem + done + n);
			if (r < 0) {
				fail(s, r, "cannot record the save's progress");
				goto done;
			}
			report_range(s, segs[i].offset + done, n, n);
			done += n;
		}
		offset_in_mem += segs[i].memsz;
		li++;
	}
	if (atomic_load(&s->stop)) {
		fail(s, -ECANCELED, s->part_path);
		goto done;
	}
	if (fsync(out) < 0 || rename(s->part_path, s->out_path) < 0) {
		fail(s, -errno, s->out_path);
		goto done;
	}
	{
		char prog[4300];
		snprintf(prog, sizeof(prog), "%s.progress", s->part_path);
		unlink(prog);
	}
	snprintf(dir, sizeof(dir), "%s", s->out_path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	s->result = 0;
done:
	if (out >= 0)
		close(out);
	for (size_t i = 0; i <= s->cfg.ndimms; i++)
		if (s->fds[i] >= 0)
			close(s->fds[i]);
	free(buf);
	free(outhdr);
	free(notes);
	free(loads);
	free(segs);
	pthread_mutex_lock(&s->lock);
	s->finished = true;
	pthread_mutex_unlock(&s->lock);
	post(s);
	return NULL;
}

/* Free S and its copies of the DIMM paths (the thread is not running). */
static void saver_destroy(struct saver *s)
{
	for (size_t i = 0; i < SAVER_MAX_DIMMS; i++)
		free(s->dimm_paths[i]);
	free(s);
}

int saver_start(const struct saver_config *cfg, struct saver **out)
{
	struct saver *s;
	int r;

	if (cfg->ndimms > SAVER_MAX_DIMMS)
		return -E2BIG;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	snprintf(s->ram_path, sizeof(s->ram_path), "%s", cfg->ram_path);
	snprintf(s->out_path, sizeof(s->out_path), "%s", cfg->out_path);
	snprintf(s->part_path, sizeof(s->part_path), "%s.part", cfg->out_path);
	s->cfg.ram_path = s->ram_path;
	s->cfg.out_path = s->out_path;
	for (size_t i = 0; i <= SAVER_MAX_DIMMS; i++)
		s->fds[i] = -1;
	for (size_t i = 0; i < cfg->ndimms; i++) {
		s->dimms[i] = cfg->dimms[i];
		s->dimm_paths[i] = strdup(cfg->dimms[i].path);
		if (!s->dimm_paths[i]) {
			saver_destroy(s);
			return -ENOMEM;
		}
		s->dimms[i].path = s->dimm_paths[i];
	}
	s->cfg.dimms = s->dimms;
	if (!s->cfg.chunk)
		s->cfg.chunk = 64ull << 20;
	s->held = cfg->hold;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->released, NULL);
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->efd < 0) {
		r = -errno;
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->released);
		saver_destroy(s);
		return r;
	}
	r = -pthread_create(&s->thread, NULL, saver_main, s);
	if (r < 0) {
		close(s->efd);
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->released);
		saver_destroy(s);
		return r;
	}
	s->started = true;
	*out = s;
	return 0;
}

int saver_event_fd(const struct saver *s) { return s->efd; }

size_t saver_take(struct saver *s, struct saver_range *out, size_t max)
{
	uint64_t v;
	size_t n;

	if (read(s->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing new; fine */
	}
	pthread_mutex_lock(&s->lock);
	n = s->nranges < max ? s->nranges : max;
	memcpy(out, s->ranges, n * sizeof(*out));
	memmove(s->ranges, s->ranges + n, (s->nranges - n) * sizeof(*out));
	s->nranges -= n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void saver_progress(struct saver *s, uint64_t *done, uint64_t *total)
{
	pthread_mutex_lock(&s->lock);
	*done = s->done;
	*total = s->total;
	pthread_mutex_unlock(&s->lock);
}

bool saver_ended(struct saver *s)
{
	bool f;

	pthread_mutex_lock(&s->lock);
	f = s->finished;
	pthread_mutex_unlock(&s->lock);
	return f;
}

bool saver_finished(struct saver *s, int *result, char *why, size_t whylen)
{
	bool f;

	pthread_mutex_lock(&s->lock);
	f = s->finished && s->nranges == 0;
	pthread_mutex_unlock(&s->lock);
	if (f) {
		*result = s->result;
		snprintf(why, whylen, "%s", s->why);
	}
	return f;
}

bool saver_filter_result(struct saver *s, uint64_t *left_out, char *warning, size_t len)
{
	bool done;

	pthread_mutex_lock(&s->lock);
	done = s->filtered;
	*left_out = s->left_out;
	if (len)
		snprintf(warning, len, "%s", s->warning);
	pthread_mutex_unlock(&s->lock);
	return done;
}

void saver_stop(struct saver *s)
{
	atomic_store(&s->stop, true);
	pthread_mutex_lock(&s->lock);
	pthread_cond_broadcast(&s->released); /* a held saver ends too */
	pthread_mutex_unlock(&s->lock);
	if (s->started && !s->joined)
		pthread_join(s->thread, NULL);
	s->joined = true;
}

void saver_free(struct saver *s)
{
	if (!s)
		return;
	saver_stop(s);
	close(s->efd);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->released);
	saver_destroy(s);
}
