// SPDX-License-Identifier: GPL-2.0-or-later
// The threaded page-compression loop (see kdump_pool.h).  Threads are made for each batch and
// joined before it returns: a batch is megabytes of pages, so a thread's start costs nothing
// next to it, and there is no idle thread, queue or shutdown to get wrong.
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/kdump_pool.h"

#define PAGE KDUMP_PAGE_SIZE

struct worker {
	struct kdump_pool *pool;
	unsigned id;
	struct kdump_compressor *c;   /* NULL without compression */
	uint8_t *stage;               /* read_pages pages: READ fills it, then they compress */
	/* the slice of the current batch: pages [first, first + n) */
	const uint8_t *in;
	uint8_t *out;
	struct kdump_cpage *cp;
	size_t first, n;
	int err;
	size_t bad;                   /* the page that failed, with err */
	bool threaded;
	pthread_t th;
};

struct kdump_pool {
	struct kdump_pool_opts o;
	struct worker w[];
};

void kdump_pool_free(struct kdump_pool *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->o.threads; i++) {
		kdump_compressor_free(p->w[i].c);
		free(p->w[i].stage);
	}
	free(p);
}

int kdump_pool_new(const struct kdump_pool_opts *o, struct kdump_pool **out)
{
	struct kdump_pool *p;
	int r;

	if (o->threads < 1 || o->threads > KDUMP_POOL_MAX_THREADS ||
	    (!o->compress && !o->read) || (o->read && o->read_pages == 0))
		return -EINVAL;
	p = calloc(1, sizeof(*p) + o->threads * sizeof(p->w[0]));
	if (!p)
		return -ENOMEM;
	p->o = *o;
	for (unsigned i = 0; i < o->threads; i++) {
		struct worker *w = &p->w[i];
		w->pool = p;
		w->id = i;
		if (!o->compress)
			continue;
		r = kdump_compressor_new(o->compression, o->level, &w->c);
		if (r < 0)
			goto fail_free;
		if (o->read && !(w->stage = malloc(o->read_pages * PAGE))) {
			r = -ENOMEM;
			goto fail_free;
		}
	}
	*out = p;
	return 0;

fail_free:
	kdump_pool_free(p);
	return r;
}

/* Read (with READ) and compress the worker's slice, run by run; stop at the first error. */
static void *work(void *arg)
{
	struct worker *w = arg;
	const struct kdump_pool_opts *o = &w->pool->o;
	size_t i = w->first, end = w->first + w->n;

	while (i < end) {
		size_t run = end - i;
		const uint8_t *src = w->in ? w->in + i * PAGE : NULL;

		if (o->read) {
			size_t max = run < o->read_pages ? run : o->read_pages;
			uint8_t *dst = o->compress ? w->stage : w->out + i * PAGE;
			int r;

			run = max;
			r = o->read(o->ctx, w->id, i, &run, dst);
			if (r == 0 && (run == 0 || run > max)) {
				r = -EIO; /* a reader that broke its contract */
				run = 0;
			}
			if (r < 0) {
				w->err = r;
				w->bad = i + (run < max ? run : 0);
				return NULL;
			}
			src = dst;
		}
		for (size_t k = 0; o->compress && k < run; k++) {
			int r = kdump_compress_page(w->c, src + k * PAGE, w->out + (i + k) * PAGE,
						    &w->cp[i + k]);
			if (r < 0) {
				w->err = r;
				w->bad = i + k;
				return NULL;
			}
		}
		i += run;
	}
	return NULL;
}

int kdump_pool_run(struct kdump_pool *p, const void *in, size_t n, void *out,
		   struct kdump_cpage *cp, size_t *bad)
{
	unsigned t = p->o.threads, used = 0;
	size_t per = (n + t - 1) / t;

	if (!in != !!p->o.read || (n && !out) || (n && p->o.compress && !cp))
		return -EINVAL;
	for (; used < t && (size_t)used * per < n; used++) {
		struct worker *w = &p->w[used];
		w->first = (size_t)used * per;
		w->n = n - w->first < per ? n - w->first : per;
		w->in = in;
		w->out = out;
		w->cp = cp;
		w->err = 0;
		w->bad = 0;
	}
	for (unsigned i = 1; i < used; i++) {
		struct worker *w = &p->w[i];
		w->threaded = pthread_create(&w->th, NULL, work, w) == 0;
		if (!w->threaded)
			work(w); /* no thread to be had: do it here */
	}
	if (used)
		work(&p->w[0]);
	for (unsigned i = 1; i < used; i++)
		if (p->w[i].threaded)
			pthread_join(p->w[i].th, NULL);
	for (unsigned i = 0; i < used; i++) {
		if (p->w[i].err) {
			if (bad)
				*bad = p->w[i].bad;
			return p->w[i].err;
		}
	}
	return 0;
}
