// SPDX-License-Identifier: GPL-2.0-or-later
// Continuing a kdump file the writer left incomplete: find the newest resume record, hold the
// file's layout, bitmaps and kept descriptors to it, cut the file back to that checkpoint and
// hand back a writer that appends from there.  The file is not trusted: a host crash, a full
// disk or another program may have left anything in it.
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/kdump.h"
#include "format/kdump_disk.h"
#include "format/kdump_writer_int.h"

/* Zero the descriptors from RANK on: written after the last checkpoint, they would point at
 * data that is about to be truncated. */
static int clear_descs(int fd, uint64_t from, uint64_t to)
{
	if (from >= to)
		return 0;
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)from,
		      (off_t)(to - from)) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return -errno;
	return kdump_writer_write_zeros(fd, from, to);
}

/* Is D, a descriptor a checkpoint of W keeps, as append writes them: the shared zero page's,
 * or data of W's compression between it and DATA_END, the checkpoint's end of the data? */
static int kept_desc_ok(const struct kdump_writer *w, const struct kdump_desc *d,
			uint64_t data_end)
{
	const uint64_t zero_page = w->l.data_off;

	if (d->offset == zero_page)
		return d->size == KDUMP_PAGE_SIZE && d->flags == 0;
	return d->offset >= zero_page + KDUMP_PAGE_SIZE && d->offset <= data_end &&
	       d->size != 0 && d->size <= KDUMP_PAGE_SIZE && d->size <= data_end - d->offset &&
	       (d->flags == 0 ? d->size == KDUMP_PAGE_SIZE : d->flags == kdump_writer_alg_flag(w->alg));
}

/* What the checkpoint R keeps besides its pages' data: the shared zero page and the first
 * R->ndumped descriptors.  They come from the file, and a damaged one would give the finished
 * dump pages that are missing (offset 0), not this dump's, or not zeros, which no reader could
 * tell.  0, -EBADMSG (WHY), or an I/O -errno. */
static int check_kept(int fd, const struct kdump_writer *w, const struct kdump_disk_resume *r,
		      char *why, size_t whylen)
{
	uint8_t *buf = malloc((size_t)DESC_BUF * KDUMP_DESC_SIZE);
	int ret;

	if (!buf)
		return kdump_fail(why, whylen, -ENOMEM, "out of memory");
	ret = kdump_pread_full(fd, buf, KDUMP_PAGE_SIZE, w->l.data_off);
	if (ret == 0 && !kdump_page_is_zero(buf))
		ret = kdump_fail(why, whylen, -EBADMSG,
				 "the shared zero page at %#llx is not zeros",
				 (unsigned long long)w->l.data_off);
	for (uint64_t i = 0; ret == 0 && i < r->ndumped;) {
		uint64_t n = r->ndumped - i < DESC_BUF ? r->ndumped - i : DESC_BUF;
		ret = kdump_pread_full(fd, buf, (size_t)n * KDUMP_DESC_SIZE,
				       w->l.desc_off + i * KDUMP_DESC_SIZE);
		for (uint64_t k = 0; ret == 0 && k < n; k++, i++) {
			struct kdump_desc d = kdump_desc_decode(buf + k * KDUMP_DESC_SIZE);
			if (!kept_desc_ok(w, &d, r->data_end))
				ret = kdump_fail(why, whylen, -EBADMSG,
						 "page descriptor %llu, before the checkpoint, is "
						 "damaged (offset %#llx size %u flags %#x; data up "
						 "to %#llx)", (unsigned long long)i,
						 (unsigned long long)d.offset, d.size, d.flags,
						 (unsigned long long)r->data_end);
		}
	}
	free(buf);
	return ret;
}

static int pick_record(int fd, uint64_t off, struct kdump_disk_resume *best)
{
	uint8_t blk[KDUMP_RESUME_SLOT_STRIDE + 64];
	struct kdump_disk_resume r;
	int found = 0;

	if (pread(fd, blk, sizeof(blk), (off_t)off) != (ssize_t)sizeof(blk))
		return -EBADMSG;
	for (int s = 0; s < 2; s++) {
		if (kdump_resume_decode(blk + s * KDUMP_RESUME_SLOT_STRIDE, &r) < 0 ||
		    r.seq % 2 != (uint64_t)s)
			continue;
		if (!found || r.seq > best->seq)
			*best = r;
		found = 1;
	}
	return found ? 0 : -EBADMSG;
}

int kdump_writer_resume(const char *path, const char *final_path, struct kdump_writer **out,
			char *why, size_t whylen)
{
	struct kdump_writer *w = NULL;
	struct kdump *k = NULL;
	struct kdump_disk_resume r = { .seq = 0 };
	const struct kdump_info *in;
	uint64_t nvalid, sub_bytes;
	int fd, ret;

	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return kdump_fail(why, whylen, -errno, "%s: %s", path, strerror(errno));
	ret = kdump_open(fd, KDUMP_OPEN_INCOMPLETE | KDUMP_OPEN_NO_DESC_CHECK, &k, why, whylen);
	if (ret < 0)
		goto fail_close;
	in = kdump_get_info(k);
	ret = kdump_fail(why, whylen, -EALREADY, "the dump is complete");
	if (!in->incomplete)
		goto fail_close;

	ret = kdump_fail(why, whylen, -EBADMSG, "no valid hvdump resume record");
	if (pick_record(fd, kdump_sub_hdr_blocks(k) * KDUMP_PAGE_SIZE, &r) < 0)
		goto fail_close;

	/* Rebuild the layout from the file and hold the record to it.  Bitmap 2 (a subset of
	 * bitmap 1, kdump_open checked) says which pfns get descriptors. */
	nvalid = in->nr_dumped;
	sub_bytes = (kdump_sub_hdr_blocks(k) - 1) * KDUMP_PAGE_SIZE;
	w = kdump_writer_alloc(path, final_path, in->max_mapnr);
	ret = kdump_fail(why, whylen, -ENOMEM, "out of memory");
	if (!w)
		goto fail_close;
	ret = kdump_fail(why, whylen, -EBADMSG, "layout does not match an hvdump writer's");
	if (kdump_layout_compute(in->max_mapnr, nvalid, sub_bytes, 0, &w->l) < 0 ||
	    w->l.sub_hdr_blocks != kdump_sub_hdr_blocks(k) ||
	    w->l.desc_off != kdump_desc_offset(k) || w->l.data_off != r.data_off)
		goto fail_close;
	memcpy(w->bm, kdump_bitmap2(k), (in->max_mapnr + 7) / 8);

	uint32_t comp = in->status & ~(DUMP_DH_COMPRESSED_INCOMPLETE | DUMP_DH_EXCLUDED_VMEMMAP);
	switch (comp) {
	case 0: w->alg = KDUMP_COMPRESS_NONE; break;
	case DUMP_DH_COMPRESSED_ZLIB: w->alg = KDUMP_COMPRESS_ZLIB; break;
	case DUMP_DH_COMPRESSED_LZO: w->alg = KDUMP_COMPRESS_LZO; break;
	case DUMP_DH_COMPRESSED_ZSTD: w->alg = KDUMP_COMPRESS_ZSTD; break;
	default:
		ret = kdump_fail(why, whylen, -EBADMSG, "status %#x: unknown compression",
				  in->status);
		goto fail_close;
	}
	w->level = r.level;
	ret = kdump_fail(why, whylen, -EBADMSG,
			  "resume record inconsistent (next_pfn %#llx ndumped %llu data_end %#llx)",
			  (unsigned long long)r.next_pfn, (unsigned long long)r.ndumped,
			  (unsigned long long)r.data_end);
	if (!kdump_writer_level_ok(w->alg, w->level) || r.next_pfn > in->max_mapnr ||
	    (r.next_pfn < in->max_mapnr && !kdump_bit_test(w->bm, r.next_pfn)) ||
	    r.ndumped != kdump_bit_count(w->bm, r.next_pfn) ||
	    r.data_end < w->l.data_off + KDUMP_PAGE_SIZE || r.data_end > in->file_size)
		goto fail_close;
	ret = check_kept(fd, w, &r, why, whylen);
	if (ret < 0)
		goto fail_close;

	if (ftruncate(fd, (off_t)r.data_end) < 0 ||
	    (ret = clear_descs(fd, w->l.desc_off + r.ndumped * KDUMP_DESC_SIZE,
			       w->l.desc_off + nvalid * KDUMP_DESC_SIZE)) < 0 ||
	    fsync(fd) < 0) {
		ret = ret < 0 ? ret : -errno;
		kdump_fail(why, whylen, ret, "truncating to the checkpoint: %s", strerror(-ret));
		goto fail_close;
	}
	ret = kdump_fail(why, whylen, -EIO, "rereading the header");
	if (pread(fd, w->hdr, sizeof(w->hdr), 0) != (ssize_t)sizeof(w->hdr))
		goto fail_close;

	w->fd = fd;
	w->nvalid = nvalid;
	w->seq = r.seq;
	w->next_pfn = r.next_pfn;
	w->ndumped = r.ndumped;
	w->desc_rank0 = r.ndumped;
	w->data_end = r.data_end;
	w->dbuf_off = r.data_end;
	w->st.pages = r.ndumped;
	w->st.file_bytes = r.data_end;
	kdump_close(k);
	if (why && whylen)
		why[0] = '\0';
	*out = w;
	return 0;

fail_close:
	kdump_close(k);
	if (w)
		kdump_writer_free(w); /* its fd is still -1 */
	close(fd);
	return ret;
}

int kdump_writer_resume_point(int fd, const struct kdump *k, uint64_t *next_pfn,
			      uint64_t *data_end)
{
	struct kdump_disk_resume r = { .seq = 0 };

	if (!kdump_get_info(k)->incomplete)
		return -EALREADY;
	if (pick_record(fd, kdump_sub_hdr_blocks(k) * KDUMP_PAGE_SIZE, &r) < 0)
		return -EBADMSG;
	*next_pfn = r.next_pfn;
	*data_end = r.data_end;
	return 0;
}
