// SPDX-License-Identifier: GPL-2.0-or-later
// libext2fs opens its device by name; ours is "hvdump-extio:ADDRESS" of a struct extio_range
// the caller owns (no global table), checked by its magic before use.
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk/extio.h"
#include "util/log.h"

#define EXTIO_MAGIC 0x65787469u
#define NAME_PREFIX "hvdump-extio:"

struct window {
	uint64_t off;             /* bytes from the range's start */
	size_t len;               /* 0: empty */
	uint64_t used;            /* for LRU */
	uint8_t *buf;
};

struct chan {
	struct extio_range *r;
	struct window w[EXTIO_WINDOWS];
	uint64_t tick;
	struct struct_io_stats stats;
};

void extio_name(struct extio_range *r, char *name, size_t len)
{
	r->magic = EXTIO_MAGIC;
	snprintf(name, len, NAME_PREFIX "%" PRIxPTR, (uintptr_t)r);
}

static errcode_t ex_close(io_channel ch)
{
	struct chan *c = ch->private_data;

	if (--ch->refcount > 0)
		return 0;
	for (int i = 0; i < EXTIO_WINDOWS; i++)
		free(c->w[i].buf);
	free(c);
	free(ch->name);
	free(ch);
	return 0;
}

static errcode_t ex_set_blksize(io_channel ch, int blksize)
{
	if (blksize <= 0 || blksize > (1 << 16))
		return EXT2_ET_INVALID_ARGUMENT;
	ch->block_size = blksize;
	return 0;
}

/* Copy [OFF, OFF + LEN) of the range to DATA: from a window, or by filling the least recently
 * used one (LEN at most a window), or straight from the device. */
static int range_read(struct chan *c, uint64_t off, size_t len, void *data)
{
	struct extio_range *r = c->r;
	struct window *lru = &c->w[0];
	uint64_t left = r->size - off;
	int e;

	for (int i = 0; i < EXTIO_WINDOWS; i++) {
		struct window *w = &c->w[i];
		if (w->len && off >= w->off && off - w->off <= w->len && len <= w->len - (off - w->off)) {
			memcpy(data, w->buf + (off - w->off), len);
			w->used = ++c->tick;
			return 0;
		}
		if (w->used < lru->used)
			lru = w;
	}
	if (len >= EXTIO_WINDOW)
		return blockdev_read(r->bd, data, len, r->start + off);
	if (!lru->buf && !(lru->buf = malloc(EXTIO_WINDOW)))
		return blockdev_read(r->bd, data, len, r->start + off);
	lru->len = 0;
	e = blockdev_read(r->bd, lru->buf, left < EXTIO_WINDOW ? (size_t)left : EXTIO_WINDOW,
			  r->start + off);
	if (e < 0)
		return e;
	lru->off = off;
	lru->len = left < EXTIO_WINDOW ? (size_t)left : EXTIO_WINDOW;
	lru->used = ++c->tick;
	memcpy(data, lru->buf, len);
	return 0;
}

static errcode_t ex_read_blk64(io_channel ch, unsigned long long block, int count, void *data)
{
	struct chan *c = ch->private_data;
	uint64_t off, len, end;
	int e;

	len = count < 0 ? (uint64_t)-(int64_t)count : (uint64_t)count * (uint64_t)ch->block_size;
	if (__builtin_mul_overflow((uint64_t)block, (uint64_t)ch->block_size, &off) ||
	    __builtin_add_overflow(off, len, &end) || end > c->r->size || len > SIZE_MAX)
		return EXT2_ET_SHORT_READ;
	e = range_read(c, off, (size_t)len, data);
	if (e < 0) {
		memset(data, 0, (size_t)len);
		return e == -ERANGE ? EXT2_ET_SHORT_READ : EIO;
	}
	c->stats.bytes_read += len;
	return 0;
}

static errcode_t ex_read_blk(io_channel ch, unsigned long block, int count, void *data)
{
	return ex_read_blk64(ch, block, count, data);
}

static errcode_t ex_write_blk64(io_channel ch, unsigned long long block, int count,
				const void *data)
{
	return EROFS;
}

static errcode_t ex_write_blk(io_channel ch, unsigned long block, int count, const void *data)
{
	return EROFS;
}

static errcode_t ex_write_byte(io_channel ch, unsigned long off, int count, const void *data)
{
	return EROFS;
}

static errcode_t ex_discard(io_channel ch, unsigned long long block, unsigned long long count)
{
	return EROFS;
}

static errcode_t ex_flush(io_channel ch)
{
	return 0;
}

static errcode_t ex_set_option(io_channel ch, const char *opt, const char *arg)
{
	return EXT2_ET_INVALID_ARGUMENT;
}

static errcode_t ex_get_stats(io_channel ch, io_stats *stats)
{
	struct chan *c = ch->private_data;

	if (stats)
		*stats = &c->stats;
	return 0;
}

static errcode_t ex_open(const char *name, int flags, io_channel *out);

static struct struct_io_manager extio = {
	.magic = EXT2_ET_MAGIC_IO_MANAGER,
	.name = "hvdump read-only I/O manager",
	.open = ex_open,
	.close = ex_close,
	.set_blksize = ex_set_blksize,
	.read_blk = ex_read_blk,
	.write_blk = ex_write_blk,
	.flush = ex_flush,
	.write_byte = ex_write_byte,
	.set_option = ex_set_option,
	.get_stats = ex_get_stats,
	.read_blk64 = ex_read_blk64,
	.write_blk64 = ex_write_blk64,
	.discard = ex_discard,
	.zeroout = ex_discard,
};

static errcode_t ex_open(const char *name, int flags, io_channel *out)
{
	struct extio_range *r;
	uintptr_t addr;
	io_channel ch;
	struct chan *c;
	char *end;

	if (!name || strncmp(name, NAME_PREFIX, strlen(NAME_PREFIX)))
		return EXT2_ET_BAD_DEVICE_NAME;
	if (flags & IO_FLAG_RW)
		return EROFS;
	addr = (uintptr_t)strtoull(name + strlen(NAME_PREFIX), &end, 16);
	r = (struct extio_range *)addr;
	if (*end || !r || r->magic != EXTIO_MAGIC)
		return EXT2_ET_BAD_DEVICE_NAME;
	ch = calloc(1, sizeof(*ch));
	c = calloc(1, sizeof(*c));
	if (!ch || !c || !(ch->name = strdup(name))) {
		free(ch);
		free(c);
		return EXT2_ET_NO_MEMORY;
	}
	c->r = r;
	c->stats.num_fields = 2;
	ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	ch->manager = &extio;
	ch->block_size = 1024;
	ch->refcount = 1;
	ch->private_data = c;
	*out = ch;
	return 0;
}

io_manager extio_manager(void)
{
	return &extio;
}
