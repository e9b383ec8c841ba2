// SPDX-License-Identifier: GPL-2.0-or-later
// The threaded page-compression loop: any number of threads gives, page for page and in
// order, what one thread calling kdump_compress_page() gives; a reader fills each worker's
// slice and nothing else; a read error (or a reader's cancel) at one page comes back with
// that page's index, the lowest when several fail; bad options are refused.
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/kdump.h"
#include "format/kdump_pool.h"
#include "tap.h"

#define PS KDUMP_PAGE_SIZE
#define NPAGES 1000u

static uint8_t *pages; /* NPAGES test pages */

/* Zero, random (incompressible) and text (compressible) pages, each different. */
static void page_for(uint64_t i, uint8_t *p)
{
	uint64_t x = i * 0x9E3779B97F4A7C15ull + 1;

	switch (i % 5) {
	case 0:
		memset(p, 0, PS);
		break;
	case 1:
		for (unsigned k = 0; k < PS; k += 8) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			memcpy(p + k, &x, 8);
		}
		break;
	default:
		for (unsigned k = 0; k < PS; k++)
			p[k] = (uint8_t)("pool page text "[k % 15] + (k / 512 == i % 8));
		memcpy(p, &i, sizeof(i));
	}
}

/* The single-threaded reference: OUT and CP for pages [0, N) of PAGES. */
static int reference(enum kdump_compression alg, size_t n, uint8_t *out, struct kdump_cpage *cp)
{
	struct kdump_compressor *c;
	int r = kdump_compressor_new(alg, 0, &c);

	for (size_t i = 0; r == 0 && i < n; i++)
		r = kdump_compress_page(c, pages + i * PS, out + i * PS, &cp[i]);
	kdump_compressor_free(c);
	return r;
}

/* Do OUT/CP hold, page for page, what the reference does (data through each CP's own
 * pointer, which must be the page's slot in OUT)? */
static int same_as_reference(const uint8_t *ref, const struct kdump_cpage *rcp, const uint8_t *out,
			     const struct kdump_cpage *cp, size_t n, size_t *first_diff)
{
	for (size_t i = 0; i < n; i++) {
		if (cp[i].zero != rcp[i].zero || cp[i].size != rcp[i].size ||
		    cp[i].flags != rcp[i].flags || cp[i].data != out + i * PS ||
		    memcmp(cp[i].data, ref + i * PS, cp[i].size) != 0) {
			*first_diff = i;
			return 0;
		}
	}
	return 1;
}

static void test_in_order(void)
{
	static const enum kdump_compression algs[] = { KDUMP_COMPRESS_NONE, KDUMP_COMPRESS_ZLIB,
						       KDUMP_COMPRESS_LZO, KDUMP_COMPRESS_ZSTD };
	static const unsigned threads[] = { 1, 2, 3, 7, 64 };
	static const size_t counts[] = { NPAGES, 5, 1, 0 };
	uint8_t *ref = malloc((size_t)NPAGES * PS), *out = malloc((size_t)NPAGES * PS);
	struct kdump_cpage *rcp = calloc(NPAGES, sizeof(*rcp)), *cp = calloc(NPAGES, sizeof(*cp));

	if (!ref || !out || !rcp || !cp) {
		tap_ok(0, "out of memory");
		goto out;
	}
	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		const char *name = kdump_compression_name(algs[a]);
		tap_ok(reference(algs[a], NPAGES, ref, rcp) == 0, "%s: reference compression", name);
		for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
			struct kdump_pool_opts o = { .threads = threads[t], .compress = 1,
						     .compression = algs[a] };
			struct kdump_pool *p = NULL;
			int ok = kdump_pool_new(&o, &p) == 0;
			for (size_t c = 0; ok && c < sizeof(counts) / sizeof(counts[0]); c++) {
				size_t n = counts[c], diff = 0;
				memset(out, 0xa5, (size_t)NPAGES * PS);
				memset(cp, 0, NPAGES * sizeof(*cp));
				ok = kdump_pool_run(p, pages, n, out, cp, NULL) == 0 &&
				     same_as_reference(ref, rcp, out, cp, n, &diff);
				if (!ok)
					tap_diag("%u threads, %zu pages: page %zu differs", threads[t],
						 n, diff);
			}
			tap_ok(ok, "%s, %u thread(s): %zu, 5, 1 and 0 pages come out in order, as "
			       "one thread makes them", name, threads[t], (size_t)NPAGES);
			kdump_pool_free(p);
		}
	}
out:
	free(ref);
	free(out);
	free(rcp);
	free(cp);
}

/* A reader over PAGES that logs its calls and may fail or cancel. */
struct reader {
	pthread_t caller;
	unsigned threads;
	size_t n, per;                /* the batch, and the slice each worker should get */
	size_t grant;                 /* the most pages it fills per call (0: as asked) */
	size_t fail_at[2];            /* pages that fail with -EIO (SIZE_MAX: none) */
	atomic_bool stop;             /* set: every call cancels */
	atomic_uint calls, outside, off_thread0, read_after_stop;
	atomic_bool workers_seen[KDUMP_POOL_MAX_THREADS];
};

static int read_fn(void *ctx, unsigned worker, size_t first, size_t *n, void *dst)
{
	struct reader *rd = ctx;
	size_t lo = (size_t)worker * rd->per, hi = lo + rd->per;

	atomic_fetch_add(&rd->calls, 1);
	atomic_store(&rd->workers_seen[worker], true);
	if (first < lo || first + *n > hi || first + *n > rd->n || *n == 0)
		atomic_fetch_add(&rd->outside, 1);
	if (worker == 0 && !pthread_equal(pthread_self(), rd->caller))
		atomic_fetch_add(&rd->off_thread0, 1);
	if (atomic_load(&rd->stop)) {
		*n = 0;
		return -ECANCELED;
	}
	if (rd->grant && *n > rd->grant)
		*n = rd->grant;
	for (size_t k = 0; k < *n; k++) {
		if (first + k == rd->fail_at[0] || first + k == rd->fail_at[1]) {
			*n = k;
			return -EIO;
		}
	}
	memcpy(dst, pages + first * PS, *n * PS);
	return 0;
}

static void reader_init(struct reader *rd, unsigned threads, size_t n)
{
	memset(rd, 0, sizeof(*rd));
	rd->caller = pthread_self();
	rd->threads = threads;
	rd->n = n;
	rd->per = (n + threads - 1) / threads;
	rd->fail_at[0] = rd->fail_at[1] = SIZE_MAX;
}

static void test_reader(void)
{
	uint8_t *ref = malloc((size_t)NPAGES * PS), *out = malloc((size_t)NPAGES * PS);
	struct kdump_cpage *rcp = calloc(NPAGES, sizeof(*rcp)), *cp = calloc(NPAGES, sizeof(*cp));
	struct reader rd;
	struct kdump_pool *p = NULL, *raw = NULL;
	struct kdump_pool_opts o = { .threads = 4, .compress = 1,
				     .compression = KDUMP_COMPRESS_ZSTD, .read = read_fn,
				     .ctx = &rd, .read_pages = 64 };
	struct kdump_pool_opts ro = { .threads = 3, .read = read_fn, .ctx = &rd, .read_pages = 7 };
	size_t diff = 0, bad = 12345;
	int r;

	if (!ref || !out || !rcp || !cp || reference(KDUMP_COMPRESS_ZSTD, NPAGES, ref, rcp) < 0 ||
	    kdump_pool_new(&o, &p) < 0 || kdump_pool_new(&ro, &raw) < 0) {
		tap_ok(0, "set up the reader tests");
		goto out;
	}

	/* compressing, the reader filling a stage of 64 pages, or 3 at a time */
	for (size_t grant = 0; grant <= 3; grant += 3) {
		reader_init(&rd, 4, NPAGES);
		rd.grant = grant;
		r = kdump_pool_run(p, NULL, NPAGES, out, cp, NULL);
		if (!tap_ok(r == 0 && same_as_reference(ref, rcp, out, cp, NPAGES, &diff),
			    "a reader granting %zu pages a call: the pages come out in order",
			    grant ? grant : (size_t)64))
			tap_diag("  %d, first difference at page %zu", r, diff);
		tap_is_int(atomic_load(&rd.calls), grant ? 4 * ((250 + 2) / 3) : 4 * 4,
			   "one call per run of the slice");
		tap_ok(atomic_load(&rd.outside) == 0 && atomic_load(&rd.off_thread0) == 0,
		       "each worker reads only its slice; worker 0 is the calling thread");
	}

	/* read only: the pages themselves, in OUT */
	reader_init(&rd, 3, NPAGES);
	memset(out, 0, (size_t)NPAGES * PS);
	r = kdump_pool_run(raw, NULL, NPAGES, out, NULL, NULL);
	tap_ok(r == 0 && memcmp(out, pages, (size_t)NPAGES * PS) == 0,
	       "a read-only pool puts the pages themselves in order in OUT");
	tap_is_int(atomic_load(&rd.calls), 48 + 48 + 48 /* slices of 334, 334, 332 pages */,
		   "read only: runs of at most read_pages");

	/* fewer pages than workers: only the workers with a slice run */
	reader_init(&rd, 4, 3);
	r = kdump_pool_run(p, NULL, 3, out, cp, NULL);
	tap_ok(r == 0 && same_as_reference(ref, rcp, out, cp, 3, &diff) &&
	       atomic_load(&rd.workers_seen[0]) && atomic_load(&rd.workers_seen[2]) &&
	       !atomic_load(&rd.workers_seen[3]) && atomic_load(&rd.outside) == 0,
	       "3 pages on 4 workers: workers 0..2 a page each, worker 3 idle");

	/* an error at one page: its error and index come back */
	reader_init(&rd, 4, NPAGES);
	rd.fail_at[0] = 537;
	memset(cp, 0, NPAGES * sizeof(*cp));
	r = kdump_pool_run(p, NULL, NPAGES, out, cp, &bad);
	tap_ok(r == -EIO && bad == 537, "a read error at page 537 comes back: %d at %zu", r, bad);
	tap_ok(same_as_reference(ref, rcp, out, cp, 500, &diff) &&
	       same_as_reference(ref + 750 * PS, rcp + 750, out + 750 * PS, cp + 750, 250, &diff),
	       "the other workers' slices are done");

	/* two errors in different slices: the lower page wins, whichever worker ends first */
	reader_init(&rd, 4, NPAGES);
	rd.fail_at[0] = 900;
	rd.fail_at[1] = 260;
	r = kdump_pool_run(p, NULL, NPAGES, out, cp, &bad);
	tap_ok(r == -EIO && bad == 260, "errors at pages 900 and 260: page 260's comes back (%zu)",
	       bad);

	/* a reader that sees its caller's stop flag cancels the batch */
	reader_init(&rd, 4, NPAGES);
	atomic_store(&rd.stop, true);
	memset(cp, 0, NPAGES * sizeof(*cp));
	r = kdump_pool_run(p, NULL, NPAGES, out, cp, &bad);
	tap_ok(r == -ECANCELED && bad == 0 && atomic_load(&rd.calls) == 4 && cp[0].data == NULL,
	       "stop: every worker cancels at its first read, the batch returns -ECANCELED at "
	       "page 0 and nothing is compressed");

	/* what the pool refuses */
	struct kdump_pool_opts bo = o;
	struct kdump_pool *broken = NULL;
	bo.read = NULL;
	tap_is_int(kdump_pool_run(p, pages, NPAGES, out, cp, NULL), -EINVAL,
		   "pages handed to a pool with a reader: -EINVAL");
	bo.compress = 0;
	tap_is_int(kdump_pool_new(&bo, &broken), -EINVAL, "neither reading nor compressing: -EINVAL");
	bo = o;
	bo.threads = 0;
	tap_is_int(kdump_pool_new(&bo, &broken), -EINVAL, "0 threads: -EINVAL");
	bo.threads = KDUMP_POOL_MAX_THREADS + 1;
	tap_is_int(kdump_pool_new(&bo, &broken), -EINVAL, "too many threads: -EINVAL");
	bo = o;
	bo.read_pages = 0;
	tap_is_int(kdump_pool_new(&bo, &broken), -EINVAL, "a reader asked for 0 pages: -EINVAL");
	bo = o;
	bo.level = 99;
	tap_is_int(kdump_pool_new(&bo, &broken), -EINVAL, "zstd level 99: the compressor's -EINVAL");
out:
	kdump_pool_free(p);
	kdump_pool_free(raw);
	free(ref);
	free(out);
	free(rcp);
	free(cp);
}

static int zero_read(void *ctx, unsigned worker, size_t first, size_t *n, void *dst)
{
	*n = 0;
	return 0;
}

static void test_broken_reader(void)
{
	struct kdump_pool_opts o = { .threads = 2, .compress = 1, .read = zero_read,
				     .read_pages = 8 };
	struct kdump_pool *p = NULL;
	uint8_t out[4 * PS];
	struct kdump_cpage cp[4];
	size_t bad = 99;

	if (kdump_pool_new(&o, &p) < 0) {
		tap_ok(0, "a pool for the broken reader");
		return;
	}
	int r = kdump_pool_run(p, NULL, 4, out, cp, &bad);
	tap_ok(r == -EIO && bad == 0,
	       "a reader that claims success for 0 pages: -EIO at its first page (%d at %zu)", r,
	       bad);
	kdump_pool_free(p);
}

int main(void)
{
	pages = malloc((size_t)NPAGES * PS);
	if (!pages) {
		tap_ok(0, "out of memory");
		return tap_done();
	}
	for (size_t i = 0; i < NPAGES; i++)
		page_for(i, pages + i * PS);
	test_in_order();
	test_reader();
	test_broken_reader();
	free(pages);
	return tap_done();
}
