/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Compressing a batch of pages with several threads: the one page-compression loop of the
 * host saver, `hvdump convert` and the guest saver (hvdump-save).
 *
 *   batch     page 0, page 1, ...                                  page n-1   (pfn order)
 *   workers   [ worker 0      ][ worker 1      ] ... [ worker t-1      ]
 *             one contiguous slice each, ceil(n / t) pages; worker 0 runs on the calling
 *             thread, the others on threads made for the batch
 *   result    page i -> OUT + i * 4096 and CP[i], whichever worker made it
 *
 * So the caller appends the batch in its own order, and the output does not depend on the
 * number of threads.  Each worker has its own compression context and, when it reads the
 * pages itself, its own staging buffer. */
#ifndef HVDUMP_FORMAT_KDUMP_POOL_H
#define HVDUMP_FORMAT_KDUMP_POOL_H

#include <stddef.h>

#include "format/kdump.h"

#define KDUMP_POOL_MAX_THREADS 64u

/* Fill pages [FIRST, FIRST + *N) of the batch into DST (room for *N pages), on the thread of
 * worker WORKER.  A worker makes one call at a time, so state kept per worker (a file
 * handle) needs no lock.  It may fill fewer pages, at least one, and sets *N to how many.
 * Returns 0, or -errno with *N the offset from FIRST of the page that failed. */
typedef int (*kdump_pool_read_fn)(void *ctx, unsigned worker, size_t first, size_t *n,
				  void *dst);

struct kdump_pool_opts {
	unsigned threads;             /* workers, 1..KDUMP_POOL_MAX_THREADS */
	int compress;                 /* 0: the pages are only read, into OUT (needs READ) */
	enum kdump_compression compression; /* with COMPRESS: as for kdump_compressor_new() */
	int level;
	kdump_pool_read_fn read;      /* NULL: kdump_pool_run() is handed the pages */
	void *ctx;                    /* READ's */
	size_t read_pages;            /* with READ: the most pages asked for in one call (a
				       * compressing pool stages that many per worker) */
};

struct kdump_pool;

/* A pool as O says: one compression context per worker (none without COMPRESS).  Returns
 * 0, -EINVAL for bad options, -ENOMEM, or kdump_compressor_new()'s error. */
__attribute__((warn_unused_result)) int kdump_pool_new(const struct kdump_pool_opts *o,
							struct kdump_pool **out);
void kdump_pool_free(struct kdump_pool *p);

/* Run a batch of N pages: IN (N * 4096 bytes), or, for a pool with READ, IN is NULL and READ
 * fills them.  Compressing, page i becomes OUT + i * 4096 and CP[i] (kdump_compress_page());
 * read only, page i itself lands at OUT + i * 4096 and CP is not used.  A thread that cannot
 * be made leaves its slice to the calling thread.  A worker stops at its first error (its
 * pages from the failed read or page on are not done; the other workers finish their
 * slices); the error returned is the one at the lowest page index, which *BAD (if not NULL)
 * gets.  Returns 0 (every page done) or -errno. */
__attribute__((warn_unused_result)) int kdump_pool_run(struct kdump_pool *p, const void *in,
							size_t n, void *out,
							struct kdump_cpage *cp, size_t *bad);

#endif
