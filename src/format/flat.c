// SPDX-License-Identifier: GPL-2.0-or-later
// makedumpfile's flattened format, read in place: one walk over the records, then a sorted
// map of the rearranged file in which later records have won over earlier ones.
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/flat.h"
#include "util/why.h"

#define WALK_CHUNK (1u << 20) /* bytes read at a time while walking the record headers */

/* LEN bytes of the rearranged file at OFF are the file's bytes at POS. */
struct flat_extent {
	uint64_t off, len, pos;
};

struct flat {
	uint64_t size;            /* of the rearranged file */
	size_t n;
	struct flat_extent *e;    /* sorted by off, not overlapping, len > 0 */
};

_Static_assert(sizeof(MAKEDUMPFILE_SIGNATURE) == 13, "the signature is compared with its NUL");

static uint64_t be64_get(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* kdump_pread_full()'s loop, kept here so that this reader links alone (kdump.c brings the
 * codecs, VMCOREINFO and ELF code with it). */
static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* the file is shorter than it was at open */
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int flat_detect(const uint8_t *first, size_t len)
{
	return len >= sizeof(MAKEDUMPFILE_SIGNATURE) &&
	       memcmp(first, MAKEDUMPFILE_SIGNATURE, sizeof(MAKEDUMPFILE_SIGNATURE)) == 0;
}

/* ---- the walk ------------------------------------------------------------------------------ */

struct walk {
	int fd;
	uint64_t file_size;
	uint8_t *buf;             /* CHUNK bytes (at most WALK_CHUNK) of the file from buf_at */
	size_t chunk;
	uint64_t buf_at;
	size_t buf_len;
	struct flat_extent *rec;  /* the records with data, in file order (so pos increases) */
	size_t nrec, cap;
	uint64_t size;            /* the largest offset + size */
};

/* The 16 bytes at AT (inside the file): from the chunk, or a new chunk read from AT. */
static int walk_header(struct walk *w, uint64_t at, const uint8_t **hdr)
{
	if (at < w->buf_at || at - w->buf_at + FLAT_DATA_HEADER_SIZE > w->buf_len) {
		uint64_t left = w->file_size - at;
		size_t len = left < w->chunk ? (size_t)left : w->chunk;
		int ret = pread_full(w->fd, w->buf, len, at);

		if (ret < 0) {
			w->buf_len = 0;
			return ret;
		}
		w->buf_at = at;
		w->buf_len = len;
	}
	*hdr = w->buf + (at - w->buf_at);
	return 0;
}

static int walk_add(struct walk *w, uint64_t off, uint64_t len, uint64_t pos)
{
	if (w->nrec == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		struct flat_extent *n;

		if (cap > FLAT_MAX_RECORDS)
			cap = FLAT_MAX_RECORDS;
		n = realloc(w->rec, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		w->rec = n;
		w->cap = cap;
	}
	w->rec[w->nrec++] = (struct flat_extent){ .off = off, .len = len, .pos = pos };
	if (off + len > w->size)
		w->size = off + len;
	return 0;
}

/* Every record from MAX_SIZE_MDF_HEADER to the end marker, each checked against the file. */
static int walk_records(struct walk *w, char *why, size_t whylen)
{
	uint64_t at = MAX_SIZE_MDF_HEADER, seen = 0;
	const uint8_t *hdr;
	int ret;

	for (;; seen++) {
		if (at == w->file_size) {
			why_set(why, whylen, "no end marker: the file ends at byte %llu after %llu "
				"records", (unsigned long long)at, (unsigned long long)seen);
			return -EBADMSG;
		}
		if (w->file_size - at < FLAT_DATA_HEADER_SIZE) {
			why_set(why, whylen, "the record header at byte %llu is cut short by the end "
				"of the file (%llu bytes)", (unsigned long long)at,
				(unsigned long long)w->file_size);
			return -EBADMSG;
		}
		ret = walk_header(w, at, &hdr);
		if (ret < 0) {
			why_set(why, whylen, "reading the record header at byte %llu: %s",
				(unsigned long long)at, strerror(-ret));
			return ret;
		}
		int64_t off = (int64_t)be64_get(hdr), size = (int64_t)be64_get(hdr + 8);
		uint64_t data = at + FLAT_DATA_HEADER_SIZE;

		if (off == END_FLAG_FLAT_HEADER && size == END_FLAG_FLAT_HEADER)
			return 0;
		if (off < 0 || size < 0) {
			why_set(why, whylen, "the record at byte %llu has a negative %s (%lld)",
				(unsigned long long)at, off < 0 ? "offset" : "size",
				(long long)(off < 0 ? off : size));
			return -EBADMSG;
		}
		if (off > INT64_MAX - size) {
			why_set(why, whylen, "the record at byte %llu: offset %lld + size %lld "
				"overflows", (unsigned long long)at, (long long)off, (long long)size);
			return -EBADMSG;
		}
		if ((uint64_t)size > w->file_size - data) {
			why_set(why, whylen, "the record at byte %llu: its %lld bytes run past the end "
				"of the file (%llu bytes)", (unsigned long long)at, (long long)size,
				(unsigned long long)w->file_size);
			return -EBADMSG;
		}
		if (seen == FLAT_MAX_RECORDS) {
			why_set(why, whylen, "the record at byte %llu is one more than the %u "
				"records supported", (unsigned long long)at, FLAT_MAX_RECORDS);
			return -EBADMSG;
		}
		if (size > 0 && (ret = walk_add(w, (uint64_t)off, (uint64_t)size, data)) < 0) {
			why_set(why, whylen, "out of memory for the record map");
			return ret;
		}
		at = data + (uint64_t)size;
	}
}

/* ---- the map --------------------------------------------------------------------------------- */

static int by_off(const void *a, const void *b)
{
	const struct flat_extent *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* A max-heap of record indices, the latest record (largest file position) on top. */
struct heap {
	uint32_t *h;
	size_t n;
	const struct flat_extent *r;
};

static int later(const struct heap *hp, size_t a, size_t b)
{
	return hp->r[hp->h[a]].pos > hp->r[hp->h[b]].pos;
}

static void heap_swap(struct heap *hp, size_t a, size_t b)
{
	uint32_t t = hp->h[a];

	hp->h[a] = hp->h[b];
	hp->h[b] = t;
}

static void heap_push(struct heap *hp, uint32_t idx)
{
	size_t i = hp->n++;

	hp->h[i] = idx;
	while (i > 0 && later(hp, i, (i - 1) / 2)) {
		heap_swap(hp, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_pop(struct heap *hp)
{
	size_t i = 0;

	hp->h[0] = hp->h[--hp->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < hp->n && later(hp, l, m))
			m = l;
		if (r < hp->n && later(hp, r, m))
			m = r;
		if (m == i)
			return;
		heap_swap(hp, i, m);
		i = m;
	}
}

/* Append [OFF, OFF + LEN) at file position POS, continuing the last extent if it can. */
static int emit(struct flat *f, size_t *cap, uint64_t off, uint64_t len, uint64_t pos)
{
	struct flat_extent *last = f->n ? &f->e[f->n - 1] : NULL;

	if (last && last->off + last->len == off && last->pos + last->len == pos) {
		last->len += len;
		return 0;
	}
	if (f->n == *cap) {
		size_t ncap = *cap + *cap / 2 + 16;
		struct flat_extent *n = realloc(f->e, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		f->e = n;
		*cap = ncap;
	}
	f->e[f->n++] = (struct flat_extent){ .off = off, .len = len, .pos = pos };
	return 0;
}

/* Overlapping records, sorted by offset: sweep from low offsets to high with the records
 * under the sweep in a heap; each stretch between two record borders goes to the latest. */
static int resolve(struct flat *f, const struct flat_extent *r, size_t n)
{
	struct heap hp = { .h = malloc(n * sizeof(uint32_t)), .r = r };
	size_t i = 0, cap = 0;
	uint64_t at = 0;
	int ret = 0;

	if (!hp.h)
		return -ENOMEM;
	while (ret == 0) {
		if (hp.n == 0) {
			if (i == n)
				break;
			at = r[i].off;
		}
		while (i < n && r[i].off <= at)
			heap_push(&hp, (uint32_t)i++);
		while (hp.n && r[hp.h[0]].off + r[hp.h[0]].len <= at)
			heap_pop(&hp);
		if (hp.n == 0)
			continue;
		const struct flat_extent *top = &r[hp.h[0]];
		uint64_t next = top->off + top->len;

		if (i < n && r[i].off < next)
			next = r[i].off;
		ret = emit(f, &cap, at, next - at, top->pos + (at - top->off));
		at = next;
	}
	free(hp.h);
	return ret;
}

/* Sort W's records into F's map: as they are when none overlaps (the usual case), else
 * resolved so that later records win. */
static int build_map(struct flat *f, struct walk *w)
{
	int overlap = 0;
	int ret;

	if (w->nrec > 1)
		qsort(w->rec, w->nrec, sizeof(*w->rec), by_off);
	for (size_t i = 0; i + 1 < w->nrec && !overlap; i++)
		overlap = w->rec[i].off + w->rec[i].len > w->rec[i + 1].off;
	if (!overlap) {
		struct flat_extent *fit = w->nrec ? realloc(w->rec, w->nrec * sizeof(*fit)) : NULL;

		f->e = fit ? fit : w->rec; /* the array at its size, or as it was */
		f->n = w->nrec;
		w->rec = NULL;
		return 0;
	}
	ret = resolve(f, w->rec, w->nrec);
	if (ret < 0) {
		free(f->e);
		f->e = NULL;
		f->n = 0;
	}
	return ret;
}

int flat_open(int fd, uint64_t file_size, struct flat **out, char *why, size_t whylen)
{
	struct walk w = { .fd = fd, .file_size = file_size };
	uint8_t head[32];
	struct flat *f;
	int ret;

	*out = NULL;
	if (why && whylen)
		why[0] = '\0';
	if (file_size < MAX_SIZE_MDF_HEADER) {
		why_set(why, whylen, "file of %llu bytes is shorter than the %u-byte flat header",
			(unsigned long long)file_size, MAX_SIZE_MDF_HEADER);
		return -EBADMSG;
	}
	if (file_size > INT64_MAX) {
		why_set(why, whylen, "file of %llu bytes", (unsigned long long)file_size);
		return -EFBIG;
	}
	ret = pread_full(fd, head, sizeof(head), 0);
	if (ret < 0) {
		why_set(why, whylen, "reading the flat header: %s", strerror(-ret));
		return ret;
	}
	if (!flat_detect(head, sizeof(head))) {
		why_set(why, whylen, "no \"makedumpfile\" signature at byte 0");
		return -EBADMSG;
	}
	if (be64_get(head + 16) != TYPE_FLAT_HEADER) {
		why_set(why, whylen, "the flat header's type at byte 16 is %lld, not %d",
			(long long)be64_get(head + 16), TYPE_FLAT_HEADER);
		return -EBADMSG;
	}
	w.chunk = file_size - MAX_SIZE_MDF_HEADER < WALK_CHUNK ?
		  (size_t)(file_size - MAX_SIZE_MDF_HEADER) + 1 : WALK_CHUNK;
	f = calloc(1, sizeof(*f));
	w.buf = malloc(w.chunk);
	if (!f || !w.buf) {
		why_set(why, whylen, "out of memory for the flat format's walk");
		ret = -ENOMEM;
		goto free_walk;
	}
	ret = walk_records(&w, why, whylen);
	if (ret == 0)
		ret = build_map(f, &w);
	if (ret == -ENOMEM && why && !why[0])
		why_set(why, whylen, "out of memory for the record map");
	if (ret < 0)
		goto free_walk;
	f->size = w.size;
	*out = f;
	f = NULL;
free_walk:
	free(w.buf);
	free(w.rec);
	flat_close(f);
	return ret;
}

/* ---- reads ----------------------------------------------------------------------------------- */

/* The first extent that ends after OFF (F->n when none does). */
static size_t find(const struct flat *f, uint64_t off)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->e[mid].off + f->e[mid].len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int flat_pread(const struct flat *f, int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	size_t i;

	if (len == 0)
		return 0;
	if (off > f->size || len > f->size - off)
		return -EIO; /* past the end of the rearranged file */
	i = find(f, off);
	while (len > 0) {
		const struct flat_extent *e = i < f->n ? &f->e[i] : NULL;
		uint64_t chunk;
		int ret;

		if (e && e->off <= off) {
			chunk = e->off + e->len - off;
			if (chunk > len)
				chunk = len;
			ret = pread_full(fd, p, (size_t)chunk, e->pos + (off - e->off));
			if (ret < 0)
				return ret;
			i++;
		} else {
			chunk = (e ? e->off : f->size) - off; /* a hole: zeros up to E */
			if (chunk > len)
				chunk = len;
			memset(p, 0, (size_t)chunk);
		}
		p += chunk;
		off += chunk;
		len -= (size_t)chunk;
	}
	return 0;
}

uint64_t flat_size(const struct flat *f)
{
	return f->size;
}

void flat_close(struct flat *f)
{
	if (!f)
		return;
	free(f->e);
	free(f);
}
