// SPDX-License-Identifier: GPL-2.0-or-later
// kdump-compressed reader.  Every field is checked against the file's size and against the
// others before it is used, because these files come from crashed machines, other tools and
// fuzzers; descriptors are checked once at open and again when a page is read (the file may
// change under us).
#include <errno.h>
#include <lzo/lzo1x.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "format/flat.h"
#include "format/kdump.h"
#include "format/kdump_disk.h"

#define SECT_PFNS 4096u              /* pfns per rank-table entry */
#define DESC_CHUNK 2730u             /* descriptors per read during the walk (64 KiB) */
#define VMCOREINFO_READ_MAX (1u << 20)

struct kdump {
	int fd;
	struct flat *flat;           /* the file is flattened (flat.h): reads go through it */
	struct kdump_info info;
	uint32_t sub_hdr_blocks;
	uint8_t *bm1, *bm2;          /* ceil(max_mapnr / 8) bytes, bits >= max_mapnr cleared */
	uint64_t *rank;              /* set bits of bm2 before each SECT_PFNS section */
	uint64_t desc_off, desc_end;
	uint8_t *notes;
	size_t notes_len;
	char *vmci;                  /* NUL-terminated */
	size_t vmci_len;
	z_stream zs;
	int zs_ready;
	ZSTD_DCtx *zstd;
	uint8_t cbuf[KDUMP_PAGE_SIZE];
};


/* Read LEN bytes at OFF of the dump file, or of the file a flattened one stands for. */
static int rd(const struct kdump *k, void *buf, size_t len, uint64_t off)
{
	return k->flat ? flat_pread(k->flat, k->fd, buf, len, off)
		       : kdump_pread_full(k->fd, buf, len, off);
}

static int file_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	off_t end = lseek(fd, 0, SEEK_END);
	if (end < 0)
		return -errno;
	*size = (uint64_t)end;
	return 0;
}

/* Is [off, off + len) inside the file? */
static int in_file(const struct kdump *k, uint64_t off, uint64_t len)
{
	uint64_t end;
	return !__builtin_add_overflow(off, len, &end) && end <= k->info.file_size;
}

static void copy_uts_field(char *dst, const uint8_t *src)
{
	memcpy(dst, src, KDUMP_UTS_LEN - 1);
	dst[KDUMP_UTS_LEN - 1] = '\0';
}

static int read_headers(struct kdump *k, unsigned flags, uint64_t *max_mapnr32,
			uint32_t *bitmap_blocks, char *why, size_t whylen)
{
	uint8_t b[KDUMP_PAGE_SIZE];
	struct kdump_info *in = &k->info;
	int ret;

	if (in->file_size < KDUMP_PAGE_SIZE)
		return kdump_fail(why, whylen, -EBADMSG, "file of %llu bytes is shorter than a header block",
			    (unsigned long long)in->file_size);
	ret = rd(k, b, sizeof(b), 0);
	if (ret < 0)
		return kdump_fail(why, whylen, ret, "reading the header: %s", strerror(-ret));
	if (memcmp(b, "DISKDUMP", KDUMP_SIG_LEN) == 0)
		return kdump_fail(why, whylen, -ENOTSUP, "old diskdump format (DISKDUMP signature)");
	if (memcmp(b, KDUMP_SIGNATURE, KDUMP_SIG_LEN) != 0)
		return kdump_fail(why, whylen, -EBADMSG, "no \"KDUMP   \" signature");

	in->header_version = (int32_t)le32_get(b + KDUMP_DH(header_version));
	if (in->header_version < 1)
		return kdump_fail(why, whylen, -EBADMSG, "header_version %d", (int)in->header_version);
	if (in->header_version > KDUMP_HEADER_VERSION)
		return kdump_fail(why, whylen, -ENOTSUP, "header_version %d (newer than %d)",
			    (int)in->header_version, KDUMP_HEADER_VERSION);
	for (int i = 0; i < 6; i++) {
		char *f[6] = { in->uts.sysname, in->uts.nodename, in->uts.release,
			       in->uts.version, in->uts.machine, in->uts.domainname };
		copy_uts_field(f[i], b + KDUMP_DH(utsname) + (size_t)i * KDUMP_UTS_LEN);
	}
	in->tv_sec = (int64_t)le64_get(b + KDUMP_DH(tv_sec));
	in->tv_usec = (int64_t)le64_get(b + KDUMP_DH(tv_usec));
	in->status = le32_get(b + KDUMP_DH(status));
	in->incomplete = !!(in->status & DUMP_DH_COMPRESSED_INCOMPLETE);
	in->nr_cpus = (int32_t)le32_get(b + KDUMP_DH(nr_cpus));

	int32_t bs = (int32_t)le32_get(b + KDUMP_DH(block_size));
	if (bs != (int32_t)KDUMP_PAGE_SIZE) {
		if (bs >= 512 && bs <= (1 << 20) && (bs & (bs - 1)) == 0)
			return kdump_fail(why, whylen, -ENOTSUP, "block_size %d (only 4096 is supported)",
				    (int)bs);
		return kdump_fail(why, whylen, -EBADMSG, "block_size %d", (int)bs);
	}
	int32_t sub = (int32_t)le32_get(b + KDUMP_DH(sub_hdr_size));
	if (sub < 1)
		return kdump_fail(why, whylen, -EBADMSG, "sub_hdr_size %d blocks", (int)sub);
	k->sub_hdr_blocks = (uint32_t)sub;
	*bitmap_blocks = le32_get(b + KDUMP_DH(bitmap_blocks));
	*max_mapnr32 = le32_get(b + KDUMP_DH(max_mapnr));
	if (in->incomplete && !(flags & KDUMP_OPEN_INCOMPLETE))
		return kdump_fail(why, whylen, -EAGAIN,
			    "the dump is marked incomplete (DUMP_DH_COMPRESSED_INCOMPLETE)");

	/* the sub header */
	if (!in_file(k, KDUMP_PAGE_SIZE, KDUMP_PAGE_SIZE))
		return kdump_fail(why, whylen, -EBADMSG, "file ends before the sub header");
	ret = rd(k, b, sizeof(b), KDUMP_PAGE_SIZE);
	if (ret < 0)
		return kdump_fail(why, whylen, ret, "reading the sub header: %s", strerror(-ret));
	in->phys_base = le64_get(b + KDUMP_KH(phys_base));
	in->dump_level = (int32_t)le32_get(b + KDUMP_KH(dump_level));
	if (in->header_version >= 2 && le32_get(b + KDUMP_KH(split)) != 0)
		return kdump_fail(why, whylen, -ENOTSUP, "a split dump (one part of several)");
	in->max_mapnr = in->header_version >= 6 ? le64_get(b + KDUMP_KH(max_mapnr_64))
						: *max_mapnr32;
	if (in->max_mapnr == 0 || in->max_mapnr > KDUMP_MAX_MAPNR)
		return kdump_fail(why, whylen, -EBADMSG, "max_mapnr %llu",
			    (unsigned long long)in->max_mapnr);

	/* the areas inside the sub-header blocks, read later */
	if (in->header_version >= 4) {
		uint64_t off = le64_get(b + KDUMP_KH(offset_note));
		uint64_t len = le64_get(b + KDUMP_KH(size_note));
		if (off && len) {
			if (off > INT64_MAX || len > KDUMP_NOTES_MAX || !in_file(k, off, len))
				return kdump_fail(why, whylen, -EBADMSG,
					    "note area [%#llx, +%#llx) outside the file or too large",
					    (unsigned long long)off, (unsigned long long)len);
			k->notes = malloc(len);
			if (!k->notes)
				return kdump_fail(why, whylen, -ENOMEM, "out of memory for the notes");
			ret = rd(k, k->notes, len, off);
			if (ret < 0)
				return kdump_fail(why, whylen, ret, "reading the notes: %s", strerror(-ret));
			k->notes_len = len;
		}
	}
	if (in->header_version >= 3) {
		uint64_t off = le64_get(b + KDUMP_KH(offset_vmcoreinfo));
		uint64_t len = le64_get(b + KDUMP_KH(size_vmcoreinfo));
		if (off && len) {
			if (off > INT64_MAX || len > VMCOREINFO_READ_MAX || !in_file(k, off, len))
				return kdump_fail(why, whylen, -EBADMSG,
					    "vmcoreinfo [%#llx, +%#llx) outside the file or too large",
					    (unsigned long long)off, (unsigned long long)len);
			k->vmci = malloc(len + 1);
			if (!k->vmci)
				return kdump_fail(why, whylen, -ENOMEM, "out of memory for VMCOREINFO");
			ret = rd(k, k->vmci, len, off);
			if (ret < 0)
				return kdump_fail(why, whylen, ret, "reading VMCOREINFO: %s", strerror(-ret));
			k->vmci[len] = '\0';
			k->vmci_len = len;
		}
	}
	return 0;
}

static uint64_t popcount_range(const uint8_t *map, uint64_t from, uint64_t to)
{
	uint64_t n = 0;
	while (from < to && (from & 7))
		n += (uint64_t)kdump_bit_test(map, from++);
	while (from < to && to - from >= 8) {
		n += (uint64_t)__builtin_popcount(map[from >> 3]);
		from += 8;
	}
	while (from < to)
		n += (uint64_t)kdump_bit_test(map, from++);
	return n;
}

static int read_bitmaps(struct kdump *k, uint32_t bitmap_blocks, char *why, size_t whylen)
{
	struct kdump_info *in = &k->info;
	uint64_t need = (in->max_mapnr + 7) / 8, half, off;
	int ret;

	if (bitmap_blocks == 0 || (bitmap_blocks & 1))
		return kdump_fail(why, whylen, -EBADMSG, "bitmap_blocks %u is not an even, non-zero count",
			    bitmap_blocks);
	half = (uint64_t)(bitmap_blocks / 2) * KDUMP_PAGE_SIZE;
	if (half < need)
		return kdump_fail(why, whylen, -EBADMSG,
			    "bitmaps of %llu bytes cannot hold max_mapnr %llu pfns",
			    (unsigned long long)half, (unsigned long long)in->max_mapnr);
	off = (1 + (uint64_t)k->sub_hdr_blocks) * KDUMP_PAGE_SIZE;
	if (!in_file(k, off, 2 * half))
		return kdump_fail(why, whylen, -EBADMSG, "the bitmaps run past the end of the file");

	k->bm1 = malloc(need);
	k->bm2 = malloc(need);
	if (!k->bm1 || !k->bm2)
		return kdump_fail(why, whylen, -ENOMEM, "out of memory for the bitmaps");
	ret = rd(k, k->bm1, need, off);
	if (ret == 0)
		ret = rd(k, k->bm2, need, off + half);
	if (ret < 0)
		return kdump_fail(why, whylen, ret, "reading the bitmaps: %s", strerror(-ret));
	if (in->max_mapnr & 7) {
		uint8_t mask = (uint8_t)((1u << (in->max_mapnr & 7)) - 1);
		k->bm1[need - 1] &= mask;
		k->bm2[need - 1] &= mask;
	}
	for (uint64_t i = 0; i < need; i++) {
		if (k->bm2[i] & ~k->bm1[i]) {
			uint64_t pfn = i * 8 + (uint64_t)__builtin_ctz(k->bm2[i] & ~k->bm1[i]);
			return kdump_fail(why, whylen, -EBADMSG,
				    "pfn %#llx is dumped (bitmap 2) but not RAM (bitmap 1)",
				    (unsigned long long)pfn);
		}
	}

	uint64_t nsect = (in->max_mapnr + SECT_PFNS - 1) / SECT_PFNS;
	k->rank = malloc((nsect + 1) * sizeof(*k->rank));
	if (!k->rank)
		return kdump_fail(why, whylen, -ENOMEM, "out of memory for the rank table");
	k->rank[0] = 0;
	for (uint64_t s = 0; s < nsect; s++) {
		uint64_t end = (s + 1) * SECT_PFNS;
		if (end > in->max_mapnr)
			end = in->max_mapnr;
		k->rank[s + 1] = k->rank[s] + popcount_range(k->bm2, s * SECT_PFNS, end);
	}
	in->nr_dumped = k->rank[nsect];
	in->nr_valid = kdump_bit_count(k->bm1, in->max_mapnr);

	k->desc_off = off + 2 * half;
	k->desc_end = k->desc_off + in->nr_dumped * KDUMP_DESC_SIZE; /* < 2^45 + 2^40 * 24 */
	if (k->desc_end > in->file_size)
		return kdump_fail(why, whylen, -EBADMSG,
			    "%llu page descriptors run past the end of the file",
			    (unsigned long long)in->nr_dumped);
	return 0;
}

/* The descriptor's own consistency and its place in the file.  Returns NULL or what is
 * wrong. */
static const char *desc_problem(const struct kdump *k, const struct kdump_desc *d)
{
	const uint32_t known = DUMP_DH_COMPRESSED_ZLIB | DUMP_DH_COMPRESSED_LZO |
			       DUMP_DH_COMPRESSED_SNAPPY | DUMP_DH_COMPRESSED_ZSTD;

	if (d->offset == 0)
		return k->info.incomplete ? NULL : "offset 0 (missing data) in a complete dump";
	if (d->offset > INT64_MAX)
		return "negative offset";
	if (d->offset < k->desc_end)
		return "data offset inside the headers, bitmaps or descriptors";
	if (d->size == 0 || d->size > KDUMP_PAGE_SIZE)
		return "size not in 1..4096";
	if (!in_file(k, d->offset, d->size))
		return "data past the end of the file";
	if (d->flags == 0)
		return d->size == KDUMP_PAGE_SIZE ? NULL : "raw page shorter than 4096 bytes";
	if ((d->flags & ~known) || (d->flags & (d->flags - 1)))
		return "unknown or several compression flags";
	return NULL;
}

static int check_descs(struct kdump *k, char *why, size_t whylen)
{
	uint8_t *chunk = malloc((size_t)DESC_CHUNK * KDUMP_DESC_SIZE);
	uint64_t pfn = 0, n = k->info.nr_dumped;
	int ret = 0;

	if (!chunk)
		return kdump_fail(why, whylen, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < n;) {
		uint64_t m = n - i < DESC_CHUNK ? n - i : DESC_CHUNK;
		ret = rd(k, chunk, (size_t)m * KDUMP_DESC_SIZE,
				 k->desc_off + i * KDUMP_DESC_SIZE);
		if (ret < 0) {
			ret = kdump_fail(why, whylen, ret, "reading descriptors: %s", strerror(-ret));
			goto out_free;
		}
		for (uint64_t j = 0; j < m; j++, pfn++) {
			struct kdump_desc d = kdump_desc_decode(chunk + j * KDUMP_DESC_SIZE);
			const char *bad = desc_problem(k, &d);
			pfn = kdump_bit_next(k->bm2, pfn, k->info.max_mapnr);
			if (bad) {
				ret = kdump_fail(why, whylen, -EBADMSG,
					   "page descriptor %llu (pfn %#llx): %s (offset %#llx size %u "
					   "flags %#x)",
					   (unsigned long long)(i + j), (unsigned long long)pfn, bad,
					   (unsigned long long)d.offset, d.size, d.flags);
				goto out_free;
			}
		}
		i += m;
	}
out_free:
	free(chunk);
	return ret;
}

/* A flattened file (makedumpfile -F, QEMU's kdump-* formats): map it (flat.h) and read the
 * kdump file it stands for from then on; its size is that file's.  0, or flat_open()'s
 * error with WHY set. */
static int open_flat(struct kdump *k, char *why, size_t whylen)
{
	uint8_t b[FLAT_DATA_HEADER_SIZE];
	char w[200] = "";
	int ret;

	if (k->info.file_size < sizeof(b) || kdump_pread_full(k->fd, b, sizeof(b), 0) < 0 ||
	    !flat_detect(b, sizeof(b)))
		return 0;
	ret = flat_open(k->fd, k->info.file_size, &k->flat, w, sizeof(w));
	if (ret < 0)
		return kdump_fail(why, whylen, ret, "flattened format (makedumpfile -F): %s",
				  w[0] ? w : strerror(-ret));
	k->info.flattened = 1;
	k->info.file_size = flat_size(k->flat);
	return 0;
}

int kdump_open(int fd, unsigned flags, struct kdump **out, char *why, size_t whylen)
{
	struct kdump *k;
	uint64_t max_mapnr32;
	uint32_t bitmap_blocks;
	int ret;

	if (why && whylen)
		why[0] = '\0';
	k = calloc(1, sizeof(*k));
	if (!k)
		return kdump_fail(why, whylen, -ENOMEM, "out of memory");
	k->fd = fd;
	ret = file_size(fd, &k->info.file_size);
	if (ret < 0) {
		kdump_fail(why, whylen, ret, "cannot size the file: %s", strerror(-ret));
		goto fail_close;
	}
	ret = open_flat(k, why, whylen);
	if (ret < 0)
		goto fail_close;
	ret = read_headers(k, flags, &max_mapnr32, &bitmap_blocks, why, whylen);
	if (ret < 0)
		goto fail_close;
	ret = read_bitmaps(k, bitmap_blocks, why, whylen);
	if (ret < 0)
		goto fail_close;
	if (!(flags & KDUMP_OPEN_NO_DESC_CHECK)) {
		ret = check_descs(k, why, whylen);
		if (ret < 0)
			goto fail_close;
	}
	*out = k;
	return 0;

fail_close:
	kdump_close(k);
	return ret;
}

void kdump_close(struct kdump *k)
{
	if (!k)
		return;
	if (k->zs_ready)
		inflateEnd(&k->zs);
	ZSTD_freeDCtx(k->zstd);
	flat_close(k->flat);
	free(k->bm1);
	free(k->bm2);
	free(k->rank);
	free(k->notes);
	free(k->vmci);
	free(k);
}

const struct kdump_info *kdump_get_info(const struct kdump *k)
{
	return &k->info;
}

enum kdump_pfn_state kdump_pfn_state(const struct kdump *k, uint64_t pfn)
{
	if (pfn >= k->info.max_mapnr || !kdump_bit_test(k->bm1, pfn))
		return KDUMP_PFN_ABSENT;
	return kdump_bit_test(k->bm2, pfn) ? KDUMP_PFN_DUMPED : KDUMP_PFN_EXCLUDED;
}

uint64_t kdump_next_valid(const struct kdump *k, uint64_t from)
{
	if (from >= k->info.max_mapnr)
		return k->info.max_mapnr;
	return kdump_bit_next(k->bm1, from, k->info.max_mapnr);
}

static int read_desc(struct kdump *k, uint64_t pfn, struct kdump_desc *d)
{
	uint8_t raw[KDUMP_DESC_SIZE];
	uint64_t sect = pfn / SECT_PFNS;
	uint64_t rank = k->rank[sect] + popcount_range(k->bm2, sect * SECT_PFNS, pfn);
	int ret = rd(k, raw, sizeof(raw), k->desc_off + rank * KDUMP_DESC_SIZE);
	if (ret < 0)
		return ret;
	*d = kdump_desc_decode(raw);
	return desc_problem(k, d) ? -EBADMSG : 0;
}

int kdump_page_desc(struct kdump *k, uint64_t pfn, uint64_t *offset, uint32_t *size,
		    uint32_t *flags)
{
	struct kdump_desc d;

	if (kdump_pfn_state(k, pfn) != KDUMP_PFN_DUMPED)
		return -ENOENT;
	int ret = read_desc(k, pfn, &d);
	if (ret < 0)
		return ret;
	*offset = d.offset;
	*size = d.size;
	*flags = d.flags;
	return 0;
}

static int inflate_page(struct kdump *k, uint32_t size, void *buf)
{
	if (!k->zs_ready) {
		if (inflateInit(&k->zs) != Z_OK)
			return -ENOMEM;
		k->zs_ready = 1;
	} else if (inflateReset(&k->zs) != Z_OK) {
		return -EIO;
	}
	k->zs.next_in = k->cbuf;
	k->zs.avail_in = size;
	k->zs.next_out = buf;
	k->zs.avail_out = KDUMP_PAGE_SIZE;
	int ret = inflate(&k->zs, Z_FINISH);
	return ret == Z_STREAM_END && k->zs.total_out == KDUMP_PAGE_SIZE ? 0 : -EBADMSG;
}

static int decompress(struct kdump *k, const struct kdump_desc *d, void *buf)
{
	switch (d->flags) {
	case DUMP_DH_COMPRESSED_ZLIB:
		return inflate_page(k, d->size, buf);
	case DUMP_DH_COMPRESSED_LZO: {
		lzo_uint n = KDUMP_PAGE_SIZE;
		int ret = lzo1x_decompress_safe(k->cbuf, d->size, buf, &n, NULL);
		return ret == LZO_E_OK && n == KDUMP_PAGE_SIZE ? 0 : -EBADMSG;
	}
	case DUMP_DH_COMPRESSED_ZSTD: {
		if (!k->zstd && !(k->zstd = ZSTD_createDCtx()))
			return -ENOMEM;
		size_t n = ZSTD_decompressDCtx(k->zstd, buf, KDUMP_PAGE_SIZE, k->cbuf, d->size);
		return !ZSTD_isError(n) && n == KDUMP_PAGE_SIZE ? 0 : -EBADMSG;
	}
	default: /* snappy: desc_problem() let nothing else through */
		return -ENOTSUP;
	}
}

int kdump_read_page(struct kdump *k, uint64_t pfn, void *buf)
{
	struct kdump_desc d;
	int ret;

	switch (kdump_pfn_state(k, pfn)) {
	case KDUMP_PFN_ABSENT:
		return -ENOENT;
	case KDUMP_PFN_EXCLUDED:
		if (k->info.dump_level != 1)
			return -ENODATA;
		memset(buf, 0, KDUMP_PAGE_SIZE);
		return 1;
	case KDUMP_PFN_DUMPED:
		break;
	}
	ret = read_desc(k, pfn, &d);
	if (ret < 0)
		return ret;
	if (d.offset == 0)
		return -ENODATA;
	if (d.flags == 0)
		return rd(k, buf, KDUMP_PAGE_SIZE, d.offset);
	ret = rd(k, k->cbuf, d.size, d.offset);
	if (ret == 0)
		ret = decompress(k, &d, buf);
	if (ret < 0)
		memset(buf, 0, KDUMP_PAGE_SIZE);
	return ret;
}

int kdump_notes(const struct kdump *k, const uint8_t **notes, size_t *len)
{
	if (!k->notes)
		return -ENOENT;
	*notes = k->notes;
	*len = k->notes_len;
	return 0;
}

int kdump_vmcoreinfo(const struct kdump *k, const char **text, size_t *len)
{
	if (!k->vmci)
		return -ENOENT;
	*text = k->vmci;
	*len = k->vmci_len;
	return 0;
}

const uint8_t *kdump_bitmap1(const struct kdump *k)
{
	return k->bm1;
}

const uint8_t *kdump_bitmap2(const struct kdump *k)
{
	return k->bm2;
}

uint64_t kdump_sub_hdr_blocks(const struct kdump *k)
{
	return k->sub_hdr_blocks;
}

uint64_t kdump_desc_offset(const struct kdump *k)
{
	return k->desc_off;
}
