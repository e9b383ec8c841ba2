// SPDX-License-Identifier: GPL-2.0-or-later
// kdump-compressed: what the writer and the reader share (layout, codecs, bitmaps, names).
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>
#include <string.h>
#include <zlib.h>

#include "format/kdump.h"
#include "format/kdump_disk.h"
#include "format/vmcoreinfo.h"

static const char *const compression_names[] = {
	[KDUMP_COMPRESS_NONE] = "none",
	[KDUMP_COMPRESS_ZLIB] = "zlib",
	[KDUMP_COMPRESS_LZO] = "lzo",
	[KDUMP_COMPRESS_ZSTD] = "zstd",
};

const char *kdump_compression_name(enum kdump_compression c)
{
	if ((unsigned)c >= sizeof(compression_names) / sizeof(compression_names[0]))
		return "?";
	return compression_names[c];
}

int kdump_compression_parse(const char *name, enum kdump_compression *c)
{
	for (unsigned i = 0; i < sizeof(compression_names) / sizeof(compression_names[0]); i++) {
		if (strcmp(name, compression_names[i]) == 0) {
			*c = (enum kdump_compression)i;
			return 0;
		}
	}
	return -EINVAL;
}

int kdump_utsname_from_vmcoreinfo(const char *text, size_t len, struct kdump_utsname *u)
{
	memset(u, 0, sizeof(*u));
	strcpy(u->sysname, "Linux");
	strcpy(u->machine, "x86_64");
	if (!text)
		return -ENOENT;
	int ret = vmcoreinfo_get(text, len, "OSRELEASE", u->release, sizeof(u->release));
	if (ret < 0)
		u->release[0] = '\0';
	return ret;
}

/* FIELD (65 bytes of guest memory) is a NUL-terminated printable string (empty allowed). */
static bool uts_field_ok(const uint8_t *field)
{
	for (size_t i = 0; i < KDUMP_UTS_LEN; i++) {
		if (field[i] == '\0')
			return true;
		if (field[i] < 0x20 || field[i] > 0x7e)
			return false;
	}
	return false;
}

int kdump_utsname_from_memory(const char *text, size_t len, kdump_read_virt_fn read, void *ctx,
			      struct kdump_utsname *u)
{
	uint8_t raw[6 * KDUMP_UTS_LEN];
	struct kdump_utsname mem;
	uint64_t sym, off, va;
	int r = kdump_utsname_from_vmcoreinfo(text, len, u);

	if (r < 0)
		return r;
	if (vmcoreinfo_get_u64(text, len, "SYMBOL(init_uts_ns)", &sym) < 0 ||
	    vmcoreinfo_get_u64(text, len, "OFFSET(uts_namespace.name)", &off) < 0)
		return -ENOENT;
	if (off > 4096 || __builtin_add_overflow(sym, off, &va))
		return -EBADMSG;
	r = read(ctx, va, raw, sizeof(raw));
	if (r < 0)
		return r;
	memset(&mem, 0, sizeof(mem));
	char *m[6] = { mem.sysname, mem.nodename, mem.release, mem.version, mem.machine,
		       mem.domainname };
	for (size_t i = 0; i < 6; i++) {
		if (!uts_field_ok(raw + i * KDUMP_UTS_LEN))
			return -EBADMSG;
		memcpy(m[i], raw + i * KDUMP_UTS_LEN, KDUMP_UTS_LEN);
	}
	if (strcmp(mem.sysname, "Linux") != 0 || strcmp(mem.release, u->release) != 0 ||
	    mem.version[0] == '\0' || mem.machine[0] == '\0')
		return -EBADMSG;
	*u = mem;
	return 0;
}

void kdump_desc_encode(uint8_t out[KDUMP_DESC_SIZE], const struct kdump_desc *d)
{
	le64_put(out + offsetof(struct kdump_disk_page_desc, offset), d->offset);
	le32_put(out + offsetof(struct kdump_disk_page_desc, size), d->size);
	le32_put(out + offsetof(struct kdump_disk_page_desc, flags), d->flags);
	le64_put(out + offsetof(struct kdump_disk_page_desc, page_flags), d->page_flags);
}

struct kdump_desc kdump_desc_decode(const uint8_t in[KDUMP_DESC_SIZE])
{
	struct kdump_desc d = {
		.offset = le64_get(in + offsetof(struct kdump_disk_page_desc, offset)),
		.size = le32_get(in + offsetof(struct kdump_disk_page_desc, size)),
		.flags = le32_get(in + offsetof(struct kdump_disk_page_desc, flags)),
		.page_flags = le64_get(in + offsetof(struct kdump_disk_page_desc, page_flags)),
	};
	return d;
}

static int div_up(uint64_t a, uint64_t b, uint64_t *out)
{
	uint64_t s;
	if (__builtin_add_overflow(a, b - 1, &s))
		return -EOVERFLOW;
	*out = s / b;
	return 0;
}

int kdump_layout_compute(uint64_t max_mapnr, uint64_t nvalid, uint64_t sub_bytes, int oneshot,
			 struct kdump_layout *l)
{
	const uint64_t bs = KDUMP_PAGE_SIZE;
	uint64_t bytes, blocks, sub_blocks, descs, end;

	if (max_mapnr == 0 || max_mapnr > KDUMP_MAX_MAPNR || nvalid > max_mapnr)
		return -EOVERFLOW;
	if (div_up(max_mapnr, 8, &bytes) < 0 || div_up(bytes, bs, &blocks) < 0)
		return -EOVERFLOW;
	if (blocks * 2 > UINT32_MAX)
		return -EFBIG;
	if (div_up(sub_bytes, bs, &sub_blocks) < 0)
		return -EOVERFLOW;
	if (!oneshot)
		sub_blocks += 1; /* the resume block */
	if (sub_blocks > INT32_MAX)
		return -EFBIG;

	l->sub_hdr_blocks = (uint32_t)sub_blocks;
	l->bitmap_blocks = (uint32_t)(blocks * 2);
	l->bitmap_bytes = blocks * bs;
	l->resume_off = oneshot ? 0 : sub_blocks * bs; /* the last sub-header block */
	l->bitmap1_off = (1 + sub_blocks) * bs;
	l->bitmap2_off = l->bitmap1_off + l->bitmap_bytes;
	l->desc_off = l->bitmap2_off + l->bitmap_bytes;
	descs = nvalid * KDUMP_DESC_SIZE; /* nvalid <= 2^40: no overflow */
	if (__builtin_add_overflow(l->desc_off, descs, &end))
		return -EOVERFLOW;
	if (!oneshot) {
		if (div_up(end, bs, &end) < 0)
			return -EOVERFLOW;
		end *= bs;
	}
	l->data_off = end;
	if (l->data_off > (uint64_t)INT64_MAX / 2)
		return -EFBIG;
	return 0;
}

uint64_t kdump_bit_next(const uint8_t *map, uint64_t from, uint64_t limit)
{
	uint64_t pfn = from;

	while (pfn < limit) {
		if ((pfn & 63) == 0 && limit - pfn >= 64) {
			uint64_t word = 0;
			for (int i = 0; i < 8; i++)
				word |= (uint64_t)map[(pfn >> 3) + (uint64_t)i] << (8 * i);
			if (word == 0) {
				pfn += 64;
				continue;
			}
			return pfn + (uint64_t)__builtin_ctzll(word);
		}
		if (kdump_bit_test(map, pfn))
			return pfn;
		pfn++;
	}
	return limit;
}

uint64_t kdump_bit_count(const uint8_t *map, uint64_t limit)
{
	uint64_t n = 0, full = limit >> 3;

	for (uint64_t i = 0; i < full; i++)
		n += (uint64_t)__builtin_popcount(map[i]);
	for (uint64_t pfn = full << 3; pfn < limit; pfn++)
		n += (uint64_t)kdump_bit_test(map, pfn);
	return n;
}

#define RES(field) offsetof(struct kdump_disk_resume, field)

void kdump_resume_encode(uint8_t out[64], const struct kdump_disk_resume *r)
{
	memset(out, 0, 64);
	memcpy(out, KDUMP_RESUME_MAGIC, 8);
	le64_put(out + RES(seq), r->seq);
	le64_put(out + RES(next_pfn), r->next_pfn);
	le64_put(out + RES(data_end), r->data_end);
	le64_put(out + RES(ndumped), r->ndumped);
	le32_put(out + RES(state), r->state);
	le32_put(out + RES(level), (uint32_t)r->level);
	le64_put(out + RES(data_off), r->data_off);
	le32_put(out + RES(crc), (uint32_t)crc32(0, out, RES(crc)));
}

int kdump_resume_decode(const uint8_t in[64], struct kdump_disk_resume *r)
{
	if (memcmp(in, KDUMP_RESUME_MAGIC, 8) != 0 ||
	    le32_get(in + RES(crc)) != (uint32_t)crc32(0, in, RES(crc)))
		return -EBADMSG;
	memcpy(r->magic, in, 8);
	r->seq = le64_get(in + RES(seq));
	r->next_pfn = le64_get(in + RES(next_pfn));
	r->data_end = le64_get(in + RES(data_end));
	r->ndumped = le64_get(in + RES(ndumped));
	r->state = le32_get(in + RES(state));
	r->level = (int32_t)le32_get(in + RES(level));
	r->data_off = le64_get(in + RES(data_off));
	r->crc = le32_get(in + RES(crc));
	r->reserved = 0;
	return 0;
}

int kdump_pread_full(int fd, void *buf, size_t len, uint64_t off)
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

int kdump_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENOSPC;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}
