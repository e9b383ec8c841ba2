// SPDX-License-Identifier: GPL-2.0-or-later
// kdump-compressed: per-page compression, one context per thread.
//
// Contexts are kept per thread because creating a zlib deflate state or a zstd CCtx per page
// costs more than compressing the page.  Output capacity is one byte short of a page, so a
// library that succeeds has made the page smaller; one that runs out of room means "store
// raw", exactly makedumpfile's rule (size_out < page_size).
#include <errno.h>
#include <lzo/lzo1x.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "format/kdump.h"

/* lzo1x_1_compress() has no output bound: worst case in + in/16 + 64 + 3. */
#define LZO_OUT_MAX (KDUMP_PAGE_SIZE + KDUMP_PAGE_SIZE / 16 + 64 + 3)

struct kdump_compressor {
	enum kdump_compression alg;
	int level;
	z_stream zs;
	int zs_ready;
	ZSTD_CCtx *zstd;
	void *lzo_wrk;
	uint8_t *lzo_out;
};

int kdump_compressor_new(enum kdump_compression alg, int level, struct kdump_compressor **out)
{
	struct kdump_compressor *c;

	switch (alg) {
	case KDUMP_COMPRESS_NONE:
	case KDUMP_COMPRESS_LZO:
		break;
	case KDUMP_COMPRESS_ZLIB:
		if (level == 0)
			level = Z_BEST_SPEED;
		if (level < 1 || level > 9)
			return -EINVAL;
		break;
	case KDUMP_COMPRESS_ZSTD:
		if (level == 0)
			level = 1;
		if (level < 1 || level > 19)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->alg = alg;
	c->level = level;
	switch (alg) {
	case KDUMP_COMPRESS_ZLIB:
		if (deflateInit(&c->zs, level) != Z_OK)
			goto fail_free;
		c->zs_ready = 1;
		break;
	case KDUMP_COMPRESS_ZSTD:
		c->zstd = ZSTD_createCCtx();
		if (!c->zstd)
			goto fail_free;
		break;
	case KDUMP_COMPRESS_LZO:
		if (lzo_init() != LZO_E_OK)
			goto fail_free;
		c->lzo_wrk = malloc(LZO1X_1_MEM_COMPRESS);
		c->lzo_out = malloc(LZO_OUT_MAX);
		if (!c->lzo_wrk || !c->lzo_out)
			goto fail_free;
		break;
	default:
		break;
	}
	*out = c;
	return 0;

fail_free:
	kdump_compressor_free(c);
	return -ENOMEM;
}

void kdump_compressor_free(struct kdump_compressor *c)
{
	if (!c)
		return;
	if (c->zs_ready)
		deflateEnd(&c->zs);
	ZSTD_freeCCtx(c->zstd);
	free(c->lzo_wrk);
	free(c->lzo_out);
	free(c);
}

int kdump_page_is_zero(const void *page)
{
	const uint8_t *p = page;
	uint64_t acc = 0;

	/* Branch-free inner loop over 64 bytes, early exit per block: most non-zero pages
	 * differ in their first bytes. */
	for (size_t i = 0; i < KDUMP_PAGE_SIZE; i += 64) {
		uint64_t w[8];
		memcpy(w, p + i, sizeof(w));
		for (int j = 0; j < 8; j++)
			acc |= w[j];
		if (acc)
			return 0;
	}
	return 1;
}

/* Returns the compressed size (< 4096), 0 when the page does not shrink, or -EIO. */
static long compress_zlib(struct kdump_compressor *c, const void *page, uint8_t *out)
{
	if (deflateReset(&c->zs) != Z_OK)
		return -EIO;
	c->zs.next_in = (Bytef *)(uintptr_t)page;
	c->zs.avail_in = KDUMP_PAGE_SIZE;
	c->zs.next_out = out;
	c->zs.avail_out = KDUMP_PAGE_SIZE - 1;
	int ret = deflate(&c->zs, Z_FINISH);
	if (ret == Z_STREAM_END)
		return (long)c->zs.total_out;
	if (ret == Z_OK || ret == Z_BUF_ERROR) /* out of room */
		return 0;
	return -EIO;
}

static long compress_zstd(struct kdump_compressor *c, const void *page, uint8_t *out)
{
	size_t n = ZSTD_compressCCtx(c->zstd, out, KDUMP_PAGE_SIZE - 1, page, KDUMP_PAGE_SIZE,
				     c->level);
	if (!ZSTD_isError(n))
		return (long)n;
	if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall)
		return 0;
	return -EIO;
}

static long compress_lzo(struct kdump_compressor *c, const void *page, uint8_t *out)
{
	lzo_uint n = LZO_OUT_MAX;
	if (lzo1x_1_compress(page, KDUMP_PAGE_SIZE, c->lzo_out, &n, c->lzo_wrk) != LZO_E_OK)
		return -EIO;
	if (n >= KDUMP_PAGE_SIZE)
		return 0;
	memcpy(out, c->lzo_out, n);
	return (long)n;
}

int kdump_compress_page(struct kdump_compressor *c, const void *page, void *out,
			struct kdump_cpage *cp)
{
	long n = 0;
	uint32_t flag = 0;

	cp->data = out;
	if (kdump_page_is_zero(page)) {
		cp->size = 0;
		cp->flags = 0;
		cp->zero = 1;
		return 0;
	}
	cp->zero = 0;
	switch (c->alg) {
	case KDUMP_COMPRESS_ZLIB:
		n = compress_zlib(c, page, out);
		flag = DUMP_DH_COMPRESSED_ZLIB;
		break;
	case KDUMP_COMPRESS_ZSTD:
		n = compress_zstd(c, page, out);
		flag = DUMP_DH_COMPRESSED_ZSTD;
		break;
	case KDUMP_COMPRESS_LZO:
		n = compress_lzo(c, page, out);
		flag = DUMP_DH_COMPRESSED_LZO;
		break;
	default:
		break;
	}
	if (n < 0)
		return (int)n;
	if (n > 0) {
		cp->size = (uint32_t)n;
		cp->flags = flag;
	} else {
		memcpy(out, page, KDUMP_PAGE_SIZE);
		cp->size = KDUMP_PAGE_SIZE;
		cp->flags = 0;
	}
	return 0;
}
