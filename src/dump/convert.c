// SPDX-License-Identifier: GPL-2.0-or-later
// Dump conversion (see convert.h).  Pages go in batches through format/kdump_pool.h: the batch
// is cut into one slice per worker, each worker reads its pages through its own dumpfile
// handle (a kdump input is decompressed in parallel too) and compresses them, then this thread
// appends the batch in pfn order.
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dump/convert.h"
#include "dump/taskpid.h"
#include "format/dumpfile.h"
#include "format/elfcore.h"
#include "format/kmap.h"
#include "format/kdump_disk.h"
#include "format/kdump_pool.h"
#include "format/vmcoreinfo.h"
#include "util/fsutil.h"

#define PAGE 4096u
#define BATCH 4096u                         /* pages per round: 16 MiB */
#define RUN_PAGES 64u                       /* consecutive pages read with one call */
#define MAX_THREADS KDUMP_POOL_MAX_THREADS
#define MAX_PFN (UINT64_C(1) << 36)          /* 256 TiB of guest-physical address space */

struct conv {
	const struct convert_opts *o;
	struct convert_result *res;
	char *why;
	size_t whylen;
	struct dumpfile *d;                  /* the scanning handle */
	uint64_t max_pfn;
	uint8_t *valid, *excl;               /* bitmaps over [0, max_pfn) */
	uint8_t *zero;                       /* ELF output: zero pages, kept as zeros without
					      * data (p_memsz beyond p_filesz) */
	struct kdump_range *ranges;
	size_t nranges;
	char part[4200];
	struct kdump_pool *pool;             /* reads (and compresses) a batch */
	struct dumpfile **wd;                /* a handle of the input per worker */
	unsigned nw;
	const uint64_t *batch;               /* the pfns of the batch the pool runs */
	struct crash_notes *fixed;           /* the input's notes with real pids (taskpid.h),
					      * when it had QEMU's CPU numbers; else NULL */
};

__attribute__((format(printf, 4, 5))) static int failf(struct conv *cv, int err, bool bad_input,
							const char *fmt, ...)
{
	va_list ap;

	if (cv->why && cv->whylen) {
		va_start(ap, fmt);
		vsnprintf(cv->why, cv->whylen, fmt, ap);
		va_end(ap);
	}
	cv->res->bad_input = bad_input;
	return err;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_bits(uint8_t *bm, uint64_t from, uint64_t to)
{
	for (; from < to; from++)
		pagefilter_set(bm, from);
}

/* IN's ranges as pfn ranges, the valid bitmap, and the pages IN itself left out. */
static int read_ranges(struct conv *cv)
{
	struct dumpfile_range r;
	size_t cap = 0;
	uint64_t from = 0;

	cv->max_pfn = 0;
	while (dumpfile_next_range(cv->d, from, &r) == 0) {
		if (r.start % PAGE || r.size % PAGE)
			return failf(cv, -ENOTSUP, true, "memory range %#llx+%#llx is not "
				     "page-aligned", (unsigned long long)r.start,
				     (unsigned long long)r.size);
		uint64_t end = r.size > UINT64_MAX - r.start ? UINT64_MAX : (r.start + r.size) / PAGE;
		if (end > MAX_PFN)
			return failf(cv, -EFBIG, true, "the dump describes memory up to %#llx, "
				     "beyond the 256 TiB hvdump converts",
				     (unsigned long long)(r.start + r.size));
		if (cv->nranges == cap) {
			cap = cap ? cap * 2 : 16;
			void *n = realloc(cv->ranges, cap * sizeof(*cv->ranges));
			if (!n)
				return failf(cv, -ENOMEM, false, "out of memory");
			cv->ranges = n;
		}
		cv->ranges[cv->nranges++] = (struct kdump_range){ r.start / PAGE, end };
		cv->max_pfn = end;
		from = r.start + r.size;
	}
	if (!cv->nranges)
		return failf(cv, -ENODATA, true, "the dump holds no memory");
	size_t len = (size_t)((cv->max_pfn + 7) / 8);
	cv->valid = calloc(1, len);
	cv->excl = calloc(1, len);
	cv->zero = calloc(1, len);
	if (!cv->valid || !cv->excl || !cv->zero)
		return failf(cv, -ENOMEM, false, "out of memory");
	for (size_t i = 0; i < cv->nranges; i++) {
		set_bits(cv->valid, cv->ranges[i].start_pfn, cv->ranges[i].end_pfn);
		cv->res->pages += cv->ranges[i].end_pfn - cv->ranges[i].start_pfn;
		if (dumpfile_format(cv->d) != DUMPFILE_KDUMP)
			continue;
		for (uint64_t pfn = cv->ranges[i].start_pfn; pfn < cv->ranges[i].end_pfn; pfn++)
			if (!dumpfile_pfn_dumped(cv->d, pfn)) {
				pagefilter_set(cv->excl, pfn);
				cv->res->excluded_before++;
			}
	}
	return 0;
}

static void zero_progress(void *ctx, uint64_t pfn)
{
	struct conv *cv = ctx;

	cv->o->progress(cv->o->ctx, "scanning for zero pages", pfn * PAGE, cv->max_pfn * PAGE);
}

/* Filtering by type leaves out what lies above the kernel's memory map (QEMU's ELF dumps
 * end with the BIOS ROM below 4 GiB), as makedumpfile does: the output's max_mapnr, and so
 * its bitmaps, end where the kernel's memory does. */
static void clip_to_memmap(struct conv *cv)
{
	uint64_t end = cv->res->filter.memmap_end;

	if (!(cv->o->dump_level & PAGEFILTER_BY_TYPE) || end == 0 || end >= cv->max_pfn)
		return;
	while (cv->nranges && cv->ranges[cv->nranges - 1].start_pfn >= end) {
		struct kdump_range *r = &cv->ranges[--cv->nranges];
		cv->res->beyond_memmap += r->end_pfn - r->start_pfn;
	}
	if (cv->nranges && cv->ranges[cv->nranges - 1].end_pfn > end) {
		cv->res->beyond_memmap += cv->ranges[cv->nranges - 1].end_pfn - end;
		cv->ranges[cv->nranges - 1].end_pfn = end;
	}
	cv->max_pfn = end;
}

/* An ELF file leaves zero pages out as p_memsz beyond p_filesz, at the end of a PT_LOAD.
 * A run of fewer than ZERO_SPLIT zero pages followed by written pages is written too, as
 * makedumpfile's ELF files do (its reader, 1.7.2, misreads files split at every short run
 * of zero pages). */
#define ZERO_SPLIT 256u
static void zero_tails_only(struct conv *cv)
{
	for (uint64_t p = 0; p < cv->max_pfn; p++) {
		if (!pagefilter_test(cv->zero, p))
			continue;
		uint64_t e = p;
		while (e < cv->max_pfn && pagefilter_test(cv->zero, e))
			e++;
		if (e - p < ZERO_SPLIT && e < cv->max_pfn && pagefilter_test(cv->valid, e) &&
		    !pagefilter_test(cv->excl, e)) {
			for (uint64_t q = p; q < e; q++)
				cv->zero[q >> 3] &= (uint8_t)~(1u << (q & 7));
			cv->res->filter.zero -= e - p;
		}
		p = e;
	}
}

/* Decide which pages go: IN's own exclusions, then the dump level's. */
static int choose_pages(struct conv *cv)
{
	char why[256];
	double t0 = now_s();
	int r;

	r = pagefilter_scan(cv->d, cv->o->dump_level, cv->excl, cv->max_pfn, &cv->res->filter,
			    why, sizeof(why));
	if (r < 0)
		return failf(cv, r, true, "cannot filter dump level %u: %s", cv->o->dump_level,
			     why);
	clip_to_memmap(cv);
	/* kdump output keeps zero pages in bitmap 2 with the shared zero page's descriptor
	 * (no data), as makedumpfile does, so readers see zeros rather than a hole; an ELF
	 * file can only leave them out, which needs a pass over the pages first */
	if ((cv->o->dump_level & PAGEFILTER_ZERO) && cv->o->format == CONVERT_ELF) {
		r = pagefilter_zero_scan(cv->d, cv->excl, cv->zero, cv->max_pfn, &cv->res->filter,
					 cv->o->progress ? zero_progress : NULL, cv);
		if (r < 0)
			return failf(cv, r, false, "scanning for zero pages: %s", strerror(-r));
	}
	if (cv->o->format == CONVERT_ELF)
		zero_tails_only(cv);
	cv->res->scan_seconds = now_s() - t0;
	return 0;
}

static bool dumped(const struct conv *cv, uint64_t pfn)
{
	return pagefilter_test(cv->valid, pfn) && !pagefilter_test(cv->excl, pfn) &&
	       !pagefilter_test(cv->zero, pfn);
}

static bool zero_kept(const struct conv *cv, uint64_t pfn)
{
	return pagefilter_test(cv->zero, pfn); /* only ever set on valid, kept pages */
}

static uint64_t next_dumped(const struct conv *cv, uint64_t pfn)
{
	while (pfn < cv->max_pfn && !dumped(cv, pfn))
		pfn++;
	return pfn;
}

/* kdump_pool_read_fn: the pages of the batch from FIRST on, as many as are consecutive (up to
 * *N), through the worker's own handle; on failure, find the first bad page. */
static int read_pages(void *ctx, unsigned worker, size_t first, size_t *n, void *dst)
{
	struct conv *cv = ctx;
	struct dumpfile *d = cv->wd[worker];
	const uint64_t *pfn = cv->batch + first;
	size_t run = 1;
	int r;

	while (run < *n && pfn[run] == pfn[0] + run)
		run++;
	*n = run;
	r = dumpfile_read_phys(d, pfn[0] * PAGE, dst, run * PAGE);
	for (size_t k = 0; r < 0 && k < run; k++) {
		int e = dumpfile_read_phys(d, pfn[k] * PAGE, (uint8_t *)dst + k * PAGE, PAGE);
		if (e < 0) {
			*n = k;
			return e;
		}
	}
	return 0;
}

/* Read (and compress) the N pages PFN[] with the workers; 0 or the first error. */
static int run_batch(struct conv *cv, const uint64_t *pfn, size_t n, uint8_t *out,
		     struct kdump_cpage *cp)
{
	size_t bad = 0;
	int r;

	cv->batch = pfn;
	r = kdump_pool_run(cv->pool, NULL, n, out, cp, &bad);
	if (r < 0)
		return failf(cv, r, false, "cannot read the page at %#llx of the input: %s",
			     (unsigned long long)(pfn[bad] * PAGE), strerror(-r));
	return 0;
}

static void progress(struct conv *cv, uint64_t done)
{
	if (cv->o->progress)
		cv->o->progress(cv->o->ctx, "converting", done * PAGE, cv->res->written * PAGE);
}

/* The dump time for a kdump header: IN's own, VMCOREINFO's CRASHTIME, else IN's mtime. */
static void dump_time(struct conv *cv, int64_t *sec, int64_t *usec)
{
	const struct kdump_info *ki = dumpfile_kdump_info(cv->d);
	size_t len;
	const char *vi = dumpfile_vmcoreinfo(cv->d, &len);
	char buf[24], *end;
	long long t;
	struct stat st;

	*sec = *usec = 0;
	if (ki) {
		*sec = ki->tv_sec;
		*usec = ki->tv_usec;
	} else if (vi && vmcoreinfo_get(vi, len, "CRASHTIME", buf, sizeof(buf)) == 0 &&
		   (t = strtoll(buf, &end, 10)) > 0 && *end == '\0') {
		*sec = t;
	} else if (stat(cv->o->in, &st) == 0) {
		*sec = st.st_mtim.tv_sec;
		*usec = st.st_mtim.tv_nsec / 1000;
	}
	if (*sec == 0 && *usec == 0)
		*usec = 1; /* the writer reads 0/0 as "now" */
}

/* The notes the output gets: the input's, with each CPU's pid where it had QEMU's CPU
 * numbers in pr_pid (as hvdump's own capture does; debuggers look the pid up). */
static const uint8_t *out_notes(struct conv *cv, size_t *len)
{
	const uint8_t *in = dumpfile_notes(cv->d, len);
	char why[256];

	if (!cv->fixed && in && prstatus_pids_are_cpu_numbers(in, *len) &&
	    (cv->fixed = calloc(1, sizeof(*cv->fixed))) && (cv->fixed->buf = malloc(*len))) {
		memcpy(cv->fixed->buf, in, *len);
		cv->fixed->len = *len;
		if (taskpid_set(cv->fixed, dumpfile_phys_cb, cv->d, why, sizeof(why)) <= 0) {
			free(cv->fixed->buf);
			cv->fixed->buf = NULL;
		}
	}
	if (!cv->fixed || !cv->fixed->buf)
		return in;
	*len = cv->fixed->len;
	return cv->fixed->buf;
}

/* The utsname for the header: the input's, when it is a kdump file with a whole one; else
 * the crashed kernel's own, from its memory; else what VMCOREINFO says (release only). */
static const struct kdump_utsname *pick_utsname(struct conv *cv, struct kdump_utsname *u)
{
	const struct kdump_info *ki = dumpfile_kdump_info(cv->d);
	size_t len;
	const char *vi = dumpfile_vmcoreinfo(cv->d, &len);

	if (ki && ki->uts.version[0] && ki->uts.machine[0] && ki->uts.release[0])
		return &ki->uts;
	if (kdump_utsname_from_memory(vi, len, dumpfile_virt_cb, cv->d, u) == 0)
		return u;
	return ki ? &ki->uts : NULL;
}

static int write_kdump(struct conv *cv)
{
	struct kdump_utsname uts;
	struct kdump_writer_opts wo = {
		.path = cv->part,
		.final_path = cv->o->out,
		.max_mapnr = cv->max_pfn,
		.ranges = cv->ranges,
		.nranges = cv->nranges,
		.exclude = cv->excl,
		.dump_level = (int)cv->res->out_dump_level,
		.compression = cv->o->compression,
		.level = cv->o->level,
		.uts = pick_utsname(cv, &uts),
		.oneshot = 1, /* a failed conversion is simply run again */
	};
	struct kdump_writer *w;
	uint64_t *pfn = malloc(BATCH * sizeof(*pfn)), done = 0;
	uint8_t *out = malloc((size_t)BATCH * PAGE);
	struct kdump_cpage *cp = malloc(BATCH * sizeof(*cp));
	int r;

	wo.notes = out_notes(cv, &wo.notes_len);
	wo.vmcoreinfo = dumpfile_vmcoreinfo(cv->d, &wo.vmcoreinfo_len);
	dump_time(cv, &wo.tv_sec, &wo.tv_usec);
	if (!pfn || !out || !cp) {
		r = failf(cv, -ENOMEM, false, "out of memory");
		goto out_free;
	}
	r = kdump_writer_create(&wo, &w);
	if (r < 0) {
		r = failf(cv, r, r == -EINVAL || r == -EFBIG, "cannot create %s: %s", cv->part,
			  r == -EFBIG ? "the dump is too large for the kdump format"
				      : strerror(-r));
		goto out_free;
	}
	for (uint64_t p = next_dumped(cv, 0); p < cv->max_pfn;) {
		size_t n = 0;
		for (; p < cv->max_pfn && n < BATCH; p = next_dumped(cv, p + 1))
			pfn[n++] = p;
		r = run_batch(cv, pfn, n, out, cp);
		for (size_t i = 0; i < n && r == 0; i++) {
			r = kdump_writer_append(w, pfn[i], &cp[i]);
			if (r < 0)
				r = failf(cv, r, false, "writing %s: %s", cv->part, strerror(-r));
		}
		if (r < 0)
			goto out_writer;
		done += n;
		progress(cv, done);
	}
	r = kdump_writer_finish(w);
	if (r < 0)
		r = failf(cv, r, false, "finishing %s: %s", cv->o->out, strerror(-r));
out_writer:
	kdump_writer_free(w);
out_free:
	free(pfn);
	free(out);
	free(cp);
	return r;
}

/* Where the crashed kernel mapped itself, for kexec's layout (elfcore_build()): into KM, or
 * NULL with res->ktext_why saying why not. */
static const struct kmap *elf_kmap(struct conv *cv, struct kmap *km,
				   const struct elfcore_load *loads, size_t n)
{
	size_t len;
	const char *vi = dumpfile_vmcoreinfo(cv->d, &len);
	char *why = cv->res->ktext_why;
	size_t whylen = sizeof(cv->res->ktext_why);

	if (kmap_lookup(vi, len, dumpfile_phys_cb, cv->d, km, why, whylen) < 0)
		return NULL;
	if (n + elfcore_ktext_count(loads, n, km) + 1 > ELFCORE_MAX_PHDRS) {
		snprintf(why, whylen, "no room for more program headers");
		return NULL;
	}
	if (!elfcore_ktext_count(loads, n, km)) {
		snprintf(why, whylen, "the kernel image's pages are not in the output");
		return NULL;
	}
	why[0] = '\0';
	return km;
}

/* ELF: one PT_LOAD per run of written pages and the zero pages after them (p_memsz
 * beyond p_filesz: read as zeros, as they are); pages left out by type are holes.  The data
 * follows the page-aligned headers in pfn order, so a page's file offset is data_off + its
 * rank among written pages * 4096. */
static int elf_header(struct conv *cv, uint8_t **hdr, size_t *hlen, uint64_t *data_off)
{
	size_t notes_len, n = 0, cap = 64;
	const uint8_t *notes = out_notes(cv, &notes_len);
	struct elfcore_load *loads = malloc(cap * sizeof(*loads));
	struct kmap kmap;
	uint64_t off = 0;
	int r;

	if (!loads)
		return failf(cv, -ENOMEM, false, "out of memory");
	for (uint64_t p = 0; p < cv->max_pfn; p++) {
		if (!dumped(cv, p) && !zero_kept(cv, p))
			continue;
		uint64_t e = p, z;
		while (e < cv->max_pfn && dumped(cv, e))
			e++;
		for (z = e; z < cv->max_pfn && zero_kept(cv, z); z++)
			;
		if (n + 2 > ELFCORE_MAX_PHDRS) {
			free(loads);
			return failf(cv, -E2BIG, true, "the pages to write form more than %u runs, "
				     "more than an ELF file's program headers can describe; use "
				     "--format kdump", ELFCORE_MAX_PHDRS - 2);
		}
		if (n == cap) {
			void *m = realloc(loads, (cap *= 2) * sizeof(*loads));
			if (!m) {
				free(loads);
				return failf(cv, -ENOMEM, false, "out of memory");
			}
			loads = m;
		}
		loads[n++] = (struct elfcore_load){ .paddr = p * PAGE, .size = (e - p) * PAGE,
						    .data_addr = off,
						    .zero_tail = (z - e) * PAGE };
		off += (e - p) * PAGE;
		p = z - 1;
	}
	const struct kmap *km = elf_kmap(cv, &kmap, loads, n);
	size_t nk = elfcore_ktext_count(loads, n, km);

	*hlen = elfcore_header_size(n, nk, notes_len);
	*data_off = (*hlen + PAGE - 1) / PAGE * PAGE;
	for (size_t i = 0; i < n; i++)
		loads[i].data_addr += *data_off;
	*hdr = calloc(1, *data_off);
	r = *hdr ? elfcore_build(*hdr, *data_off, 0, loads, n, notes, notes_len, km) : -ENOMEM;
	cv->res->segments = n + nk;
	cv->res->ktext_segments = nk;
	free(loads);
	if (r < 0) {
		free(*hdr);
		*hdr = NULL;
		return failf(cv, r, false, "cannot build the ELF header: %s", strerror(-r));
	}
	*hlen = *data_off;
	return 0;
}

static int write_elf(struct conv *cv)
{
	uint8_t *hdr = NULL, *out = malloc((size_t)BATCH * PAGE);
	uint64_t *pfn = malloc(BATCH * sizeof(*pfn)), data_off = 0, done = 0;
	size_t hlen = 0;
	int fd = -1, r;

	if (!pfn || !out) {
		r = failf(cv, -ENOMEM, false, "out of memory");
		goto out_free;
	}
	r = elf_header(cv, &hdr, &hlen, &data_off);
	if (r < 0)
		goto out_free;
	fd = open_new_private(cv->part, O_WRONLY);
	if (fd < 0) {
		r = failf(cv, fd, false, "cannot create %s: %s", cv->part,
			  fd == -EEXIST ? "something not ours is there (a symbolic link?)"
					: strerror(-fd));
		fd = -1;
		goto out_free;
	}
	r = kdump_pwrite_full(fd, hdr, hlen, 0);
	for (uint64_t p = next_dumped(cv, 0); r == 0 && p < cv->max_pfn;) {
		size_t n = 0;
		for (; p < cv->max_pfn && n < BATCH; p = next_dumped(cv, p + 1))
			pfn[n++] = p;
		r = run_batch(cv, pfn, n, out, NULL);
		if (r < 0)
			goto out_close;
		r = kdump_pwrite_full(fd, out, n * PAGE, data_off + done * PAGE);
		done += n;
		progress(cv, done);
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0) {
		r = failf(cv, r, false, "writing %s: %s", cv->part, strerror(-r));
		goto out_close;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = failf(cv, -errno, false, "writing %s: %s", cv->part, strerror(errno));
		goto out_free;
	}
	fd = -1;
	if (rename(cv->part, cv->o->out) < 0 || fsync_parent(cv->o->out) < 0)
		r = failf(cv, -errno, false, "renaming %s to %s: %s", cv->part, cv->o->out,
			  strerror(errno));
out_close:
	if (fd >= 0)
		close(fd);
out_free:
	free(hdr);
	free(out);
	free(pfn);
	return r;
}

static unsigned pick_threads(unsigned want)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (!want)
		want = n > 0 ? (unsigned)n : 1;
	return want > MAX_THREADS ? MAX_THREADS : want;
}

/* The pool, and a handle of the input for each of its NW workers. */
static int start_workers(struct conv *cv, unsigned nw)
{
	struct kdump_pool_opts po = {
		.threads = nw,
		.compress = cv->o->format == CONVERT_KDUMP,
		.compression = cv->o->compression,
		.level = cv->o->level,
		.read = read_pages,
		.ctx = cv,
		.read_pages = RUN_PAGES,
	};
	char why[256];
	int r;

	r = kdump_pool_new(&po, &cv->pool);
	if (r < 0)
		return failf(cv, r, r == -EINVAL, "compression %s level %d: %s",
			     kdump_compression_name(cv->o->compression), cv->o->level,
			     strerror(-r));
	cv->wd = calloc(nw, sizeof(*cv->wd));
	if (!cv->wd)
		return failf(cv, -ENOMEM, false, "out of memory");
	cv->nw = nw;
	for (unsigned i = 0; i < nw; i++) {
		r = dumpfile_open(cv->o->in, 0, &cv->wd[i], why, sizeof(why));
		if (r < 0)
			return failf(cv, r, false, "reopening %s: %s", cv->o->in, why);
	}
	return 0;
}

static void stop_workers(struct conv *cv)
{
	for (unsigned i = 0; cv->wd && i < cv->nw; i++)
		dumpfile_close(cv->wd[i]);
	free(cv->wd);
	kdump_pool_free(cv->pool);
}

static int open_input(struct conv *cv)
{
	char why[256];
	int r = dumpfile_open(cv->o->in, 0, &cv->d, why, sizeof(why));

	if (r == -EAGAIN)
		return failf(cv, r, true, "the dump is marked incomplete; converting it would "
			     "pass a partial dump off as a whole one");
	if (r < 0)
		return failf(cv, r, true, "%s", why);
	if (!cv->o->force_size && dumpfile_claim_check(cv->d, why, sizeof(why)) < 0)
		return failf(cv, -EFBIG, true, "%s (--force-size converts it anyway)", why);
	if (dumpfile_missing_bytes(cv->d))
		return failf(cv, -EAGAIN, true, "the dump is truncated (%llu bytes of its memory "
			     "are missing); converting it would pass a partial dump off as a "
			     "whole one",
			     (unsigned long long)dumpfile_missing_bytes(cv->d));
	snprintf(cv->res->in_format, sizeof(cv->res->in_format), "%s",
		 dumpfile_format_name(cv->d));
	cv->res->in_bytes = dumpfile_file_size(cv->d);
	return 0;
}

int convert_run(const struct convert_opts *o, struct convert_result *res, char *why,
		size_t whylen)
{
	struct conv cv = { .o = o, .res = res, .why = why, .whylen = whylen };
	unsigned nw = pick_threads(o->threads);
	double t0 = now_s();
	struct stat st;
	int r;

	memset(res, 0, sizeof(*res));
	if (why && whylen)
		why[0] = '\0';
	if (o->dump_level > PAGEFILTER_LEVEL_MAX)
		return failf(&cv, -EINVAL, true, "dump level %u: must be 0..31", o->dump_level);
	if (snprintf(cv.part, sizeof(cv.part), "%s.part", o->out) >= (int)sizeof(cv.part))
		return failf(&cv, -ENAMETOOLONG, true, "output name too long");
	if (!o->force && lstat(o->out, &st) == 0)
		return failf(&cv, -EEXIST, true, "%s exists (--force replaces it)", o->out);
	r = open_input(&cv);
	if (r < 0)
		goto out;
	r = read_ranges(&cv);
	if (r < 0)
		goto out;
	r = choose_pages(&cv);
	if (r < 0)
		goto out;
	for (uint64_t p = next_dumped(&cv, 0); p < cv.max_pfn; p = next_dumped(&cv, p + 1))
		res->written++;
	const struct kdump_info *ki = dumpfile_kdump_info(cv.d);
	res->out_dump_level = o->dump_level |
			      (ki && res->excluded_before && ki->dump_level > 0
				       ? (unsigned)ki->dump_level & PAGEFILTER_LEVEL_MAX : 0);

	res->threads = nw;
	r = start_workers(&cv, nw);
	if (r == 0)
		r = o->format == CONVERT_ELF ? write_elf(&cv) : write_kdump(&cv);
	if (r < 0)
		unlink(cv.part);
	else if (stat(o->out, &st) == 0)
		res->out_bytes = (uint64_t)st.st_size;
out:
	stop_workers(&cv);
	dumpfile_close(cv.d);
	if (cv.fixed)
		free(cv.fixed->buf);
	free(cv.fixed);
	free(cv.valid);
	free(cv.excl);
	free(cv.zero);
	free(cv.ranges);
	res->seconds = now_s() - t0;
	return r;
}
