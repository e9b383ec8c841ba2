// SPDX-License-Identifier: GPL-2.0-or-later
// kdump-compressed writer: headers and bitmaps up front, page data appended, descriptors
// written in place, checkpoints recorded in a resume record inside the file.
//
// Everything the file will ever need except page data and descriptors is written and
// fsync'd by create: the header (marked incomplete), notes, both bitmaps (bitmap 2 is
// bitmap 1 less the pages the caller filtered out; every pfn of bitmap 2 gets a descriptor,
// zero pages included, as the shared zero page) and the shared
// zero page.  So a checkpoint only has to make data and descriptors durable, then say so in
// the resume record; and a file cut short anywhere is a valid *incomplete* kdump file, the
// way makedumpfile leaves one on ENOSPC: descriptors not yet written read as offset 0.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "format/elfcore.h"
#include "format/kdump.h"
#include "util/fsutil.h"
#include "format/kdump_disk.h"
#include "format/vmcoreinfo.h"

#define DATA_BUF (1u << 20)
#define DESC_BUF 4096u               /* descriptors (96 KiB) */

struct kdump_writer {
	int fd;
	char *path, *final_path;
	enum kdump_compression alg;
	int level;
	uint64_t max_mapnr, nvalid;
	uint8_t *bm;                 /* pfns to dump (bitmap 2), ceil(max_mapnr / 8) bytes */
	struct kdump_layout l;
	uint8_t hdr[KDUMP_PAGE_SIZE]; /* block 0, rewritten complete by finish */
	uint64_t next_pfn, ndumped, seq;
	uint64_t data_end;           /* logical end of the data, buffered bytes included */
	uint8_t *dbuf;
	size_t dlen;
	uint64_t dbuf_off;           /* file offset of dbuf[0] */
	uint8_t *descbuf;
	size_t ndesc;
	uint64_t desc_rank0;         /* rank of descbuf's first descriptor */
	int err;                     /* sticky I/O error */
	int finished;
	int oneshot;                 /* no resume record */
	struct kdump_writer_stats st;
};

static uint32_t alg_flag(enum kdump_compression c)
{
	switch (c) {
	case KDUMP_COMPRESS_ZLIB: return DUMP_DH_COMPRESSED_ZLIB;
	case KDUMP_COMPRESS_LZO: return DUMP_DH_COMPRESSED_LZO;
	case KDUMP_COMPRESS_ZSTD: return DUMP_DH_COMPRESSED_ZSTD;
	default: return 0;
	}
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, ret = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return ret;
}

/* Make [0, LEN) of the new file read as zeros.  A regular file is truncated to LEN.  A block
 * device (a raw disk used as the file) cannot be, and holds an old disk's bytes that would
 * read as page descriptors and as the shared zero page: zero them (write-zeroes where the
 * device has it).  Returns 0, -ENOSPC when the device is smaller than LEN, or -errno. */
static int zero_prefix(int fd, uint64_t len)
{
	static const uint8_t zero[65536];
	struct stat st;
	off_t size;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return ftruncate(fd, (off_t)len) < 0 ? -errno : 0;
	size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		return -errno;
	if ((uint64_t)size < len)
		return -ENOSPC;
	if (fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, (off_t)len) == 0)
		return 0;
	for (uint64_t off = 0; off < len;) {
		size_t n = len - off < sizeof(zero) ? (size_t)(len - off) : sizeof(zero);
		int ret = kdump_pwrite_full(fd, zero, n, off);
		if (ret < 0)
			return ret;
		off += n;
	}
	return 0;
}

static void set_range(uint8_t *bm, uint64_t start, uint64_t end)
{
	while (start < end && (start & 7))
		kdump_bit_set(bm, start++);
	if (end - start >= 8 && start < end) {
		uint64_t bytes = (end - start) / 8;
		memset(bm + start / 8, 0xff, bytes);
		start += bytes * 8;
	}
	while (start < end)
		kdump_bit_set(bm, start++);
}

static int level_ok(enum kdump_compression c, int level)
{
	struct kdump_compressor *t;
	if (kdump_compressor_new(c, level, &t) < 0)
		return 0;
	kdump_compressor_free(t);
	return 1;
}

/* The well-formed prefix of the notes (guest-supplied: a scribbled tail is dropped rather
 * than handed to crash), with the number of NT_PRSTATUS notes and the VMCOREINFO payload. */
static size_t notes_scan(const uint8_t *notes, size_t len, int *nprstatus, const char **vmci,
			 size_t *vmci_len)
{
	size_t pos = 0, good = 0;
	struct elfnote n;

	*nprstatus = 0;
	while (notes && elfnote_next(notes, len, &pos, &n) == 1) {
		if (n.type == NT_PRSTATUS && elfnote_is(&n, "CORE"))
			(*nprstatus)++;
		if (!*vmci && elfnote_is(&n, "VMCOREINFO")) {
			*vmci = (const char *)n.desc;
			*vmci_len = n.descsz;
		}
		good = pos;
	}
	return good;
}

static void encode_header(struct kdump_writer *w, const struct kdump_utsname *u, int nr_cpus,
			  int64_t tv_sec, int64_t tv_usec)
{
	uint8_t *b = w->hdr;
	const char *f[6] = { u->sysname, u->nodename, u->release,
			     u->version, u->machine, u->domainname };

	memset(b, 0, sizeof(w->hdr));
	memcpy(b, KDUMP_SIGNATURE, KDUMP_SIG_LEN);
	le32_put(b + KDUMP_DH(header_version), KDUMP_HEADER_VERSION);
	for (int i = 0; i < 6; i++)
		memcpy(b + KDUMP_DH(utsname) + (size_t)i * KDUMP_UTS_LEN, f[i],
		       strnlen(f[i], KDUMP_UTS_LEN - 1));
	le64_put(b + KDUMP_DH(tv_sec), (uint64_t)tv_sec);
	le64_put(b + KDUMP_DH(tv_usec), (uint64_t)tv_usec);
	le32_put(b + KDUMP_DH(status), alg_flag(w->alg) | DUMP_DH_COMPRESSED_INCOMPLETE);
	le32_put(b + KDUMP_DH(block_size), KDUMP_PAGE_SIZE);
	le32_put(b + KDUMP_DH(sub_hdr_size), w->l.sub_hdr_blocks);
	le32_put(b + KDUMP_DH(bitmap_blocks), w->l.bitmap_blocks);
	le32_put(b + KDUMP_DH(max_mapnr),
		       w->max_mapnr > UINT32_MAX ? UINT32_MAX : (uint32_t)w->max_mapnr);
	le32_put(b + KDUMP_DH(nr_cpus), (uint32_t)nr_cpus);
}

static int write_resume(struct kdump_writer *w, uint32_t state)
{
	uint8_t rec[64];
	if (w->oneshot)
		return 0;
	struct kdump_disk_resume r = {
		.seq = ++w->seq,
		.next_pfn = w->next_pfn,
		.data_end = w->data_end,
		.ndumped = w->ndumped,
		.state = state,
		.level = w->level,
		.data_off = w->l.data_off,
	};
	kdump_resume_encode(rec, &r);
	return kdump_pwrite_full(w->fd, rec, sizeof(rec),
			   w->l.resume_off + (w->seq % 2) * KDUMP_RESUME_SLOT_STRIDE);
}

static struct kdump_writer *writer_alloc(const char *path, const char *final_path,
					 uint64_t max_mapnr)
{
	struct kdump_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->fd = -1;
	w->max_mapnr = max_mapnr;
	w->path = strdup(path);
	w->final_path = final_path ? strdup(final_path) : NULL;
	w->bm = calloc(1, (max_mapnr + 7) / 8);
	w->dbuf = malloc(DATA_BUF);
	w->descbuf = malloc((size_t)DESC_BUF * KDUMP_DESC_SIZE);
	if (!w->path || (final_path && !w->final_path) || !w->bm || !w->dbuf || !w->descbuf) {
		kdump_writer_free(w);
		return NULL;
	}
	return w;
}

/* Create W's file and write all of it up to the page data: the header, the sub-header blocks
 * SUB (the first resume record goes into their last block) and both bitmaps (BM1 and W's);
 * the shared zero page is a hole.  fsync'd, with the directory. */
static int write_prefix(struct kdump_writer *w, uint8_t *sub, const uint8_t *bm1)
{
	size_t sub_len = (size_t)w->l.sub_hdr_blocks * KDUMP_PAGE_SIZE;
	uint64_t bm_len = (w->max_mapnr + 7) / 8;
	uint8_t rec[64];
	int ret;

	{
		/* a file is created afresh, never through a link; a block device (the guest saver
		 * writing to its disk) is written in place */
		struct stat st;
		if (lstat(w->path, &st) == 0 && S_ISBLK(st.st_mode)) {
			w->fd = open(w->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
			if (w->fd < 0)
				return -errno;
		} else {
			w->fd = open_new_private(w->path, O_RDWR);
			if (w->fd < 0)
				return w->fd;
		}
	}
	w->next_pfn = kdump_bit_next(w->bm, 0, w->max_mapnr);
	w->data_end = w->l.data_off + KDUMP_PAGE_SIZE; /* the shared zero page: a hole */
	w->dbuf_off = w->data_end;
	w->st.file_bytes = w->data_end;
	ret = zero_prefix(w->fd, w->data_end);
	if (ret < 0)
		return ret;
	struct kdump_disk_resume r = { .seq = 0, .next_pfn = w->next_pfn,
				       .data_end = w->data_end, .state = KDUMP_RESUME_WRITING,
				       .level = w->level, .data_off = w->l.data_off };
	kdump_resume_encode(rec, &r);
	if (!w->oneshot)
		memcpy(sub + sub_len - KDUMP_PAGE_SIZE, rec, sizeof(rec));
	if ((ret = kdump_pwrite_full(w->fd, w->hdr, sizeof(w->hdr), 0)) < 0 ||
	    (ret = kdump_pwrite_full(w->fd, sub, sub_len, KDUMP_PAGE_SIZE)) < 0 ||
	    (ret = kdump_pwrite_full(w->fd, bm1, bm_len, w->l.bitmap1_off)) < 0 ||
	    (ret = kdump_pwrite_full(w->fd, w->bm, bm_len, w->l.bitmap2_off)) < 0)
		return ret;
	if (fsync(w->fd) < 0)
		return -errno;
	return fsync_dir_of(w->path);
}

int kdump_writer_create(const struct kdump_writer_opts *o, struct kdump_writer **out)
{
	struct kdump_writer *w;
	struct kdump_utsname uts;
	const char *vmci = o->vmcoreinfo;
	size_t vmci_len = o->vmcoreinfo ? o->vmcoreinfo_len : 0, notes_len;
	uint64_t vmci_off = 0, phys_base = 0, sub_bytes;
	uint8_t *sub = NULL, *bm1 = NULL;
	int nprstatus, nr_cpus, ret;

	if (!o->path || o->max_mapnr == 0 || o->max_mapnr > KDUMP_MAX_MAPNR ||
	    (o->nranges && !o->ranges) || o->notes_len > KDUMP_NOTES_MAX ||
	    (o->notes_len && !o->notes) ||
	    vmci_len > KDUMP_NOTES_MAX || o->nr_cpus < 0 || !level_ok(o->compression, o->level))
		return -EINVAL;
	for (size_t i = 0; i < o->nranges; i++)
		if (o->ranges[i].start_pfn > o->ranges[i].end_pfn ||
		    o->ranges[i].end_pfn > o->max_mapnr)
			return -EINVAL;

	w = writer_alloc(o->path, o->final_path, o->max_mapnr);
	if (!w)
		return -ENOMEM;
	w->alg = o->compression;
	w->level = o->level;
	uint64_t bm_len = (w->max_mapnr + 7) / 8;
	ret = -ENOMEM;
	bm1 = calloc(1, bm_len);
	if (!bm1)
		goto fail_free;
	for (size_t i = 0; i < o->nranges; i++)
		set_range(bm1, o->ranges[i].start_pfn, o->ranges[i].end_pfn);
	ret = -EINVAL;
	if (kdump_bit_count(bm1, w->max_mapnr) == 0 || o->dump_level < 0 || o->dump_level > 31)
		goto fail_free;
	for (uint64_t i = 0; i < bm_len; i++)
		w->bm[i] = o->exclude ? bm1[i] & (uint8_t)~o->exclude[i] : bm1[i];
	w->nvalid = kdump_bit_count(w->bm, w->max_mapnr);

	notes_len = notes_scan(o->notes, o->notes_len, &nprstatus, &vmci, &vmci_len);
	nr_cpus = o->nr_cpus ? o->nr_cpus : nprstatus ? nprstatus : 1;
	sub_bytes = sizeof(struct kdump_disk_sub_header) + notes_len;
	if (vmci && vmci >= (const char *)o->notes &&
	    vmci < (const char *)o->notes + notes_len) {
		vmci_off = KDUMP_PAGE_SIZE + sizeof(struct kdump_disk_sub_header) +
			   (uint64_t)(vmci - (const char *)o->notes);
	} else if (vmci) {
		vmci_off = KDUMP_PAGE_SIZE + sub_bytes;
		sub_bytes += vmci_len;
	}
	w->oneshot = o->oneshot;
	ret = kdump_layout_compute(w->max_mapnr, w->nvalid, sub_bytes, w->oneshot, &w->l);
	if (ret < 0)
		goto fail_free;

	if (o->uts)
		uts = *o->uts;
	else if (kdump_utsname_from_vmcoreinfo(vmci, vmci_len, &uts) < 0)
		uts.release[0] = '\0'; /* unknown; the other fields are filled */
	if (vmci && vmcoreinfo_get_u64(vmci, vmci_len, "NUMBER(phys_base)", &phys_base) < 0)
		phys_base = 0;

	int64_t tv_sec = o->tv_sec, tv_usec = o->tv_usec;
	if (tv_sec == 0 && tv_usec == 0) {
		struct timeval tv;
		gettimeofday(&tv, NULL);
		tv_sec = tv.tv_sec;
		tv_usec = tv.tv_usec;
	}
	encode_header(w, &uts, nr_cpus, tv_sec, tv_usec);

	/* the sub-header blocks: sub header, notes, VMCOREINFO if separate, resume block */
	ret = -ENOMEM;
	sub = calloc(w->l.sub_hdr_blocks, KDUMP_PAGE_SIZE);
	if (!sub)
		goto fail_free;
	le64_put(sub + KDUMP_KH(phys_base), phys_base);
	le32_put(sub + KDUMP_KH(dump_level), (uint32_t)(o->exclude ? o->dump_level : 0));
	if (vmci) {
		le64_put(sub + KDUMP_KH(offset_vmcoreinfo), vmci_off);
		le64_put(sub + KDUMP_KH(size_vmcoreinfo), vmci_len);
		memcpy(sub + (vmci_off - KDUMP_PAGE_SIZE), vmci, vmci_len);
	}
	if (notes_len) {
		le64_put(sub + KDUMP_KH(offset_note),
			       KDUMP_PAGE_SIZE + sizeof(struct kdump_disk_sub_header));
		le64_put(sub + KDUMP_KH(size_note), notes_len);
		memcpy(sub + sizeof(struct kdump_disk_sub_header), o->notes, notes_len);
	}
	le64_put(sub + KDUMP_KH(max_mapnr_64), w->max_mapnr);

	ret = write_prefix(w, sub, bm1);
	if (ret < 0)
		goto fail_free;
	free(sub);
	free(bm1);
	*out = w;
	return 0;

fail_free:
	free(sub);
	free(bm1);
	kdump_writer_free(w);
	return ret;
}

uint64_t kdump_writer_next_pfn(const struct kdump_writer *w)
{
	return w->next_pfn;
}

int kdump_writer_dumps(const struct kdump_writer *w, uint64_t pfn)
{
	return pfn < w->max_mapnr && kdump_bit_test(w->bm, pfn);
}

enum kdump_compression kdump_writer_compression(const struct kdump_writer *w)
{
	return w->alg;
}

int kdump_writer_level(const struct kdump_writer *w)
{
	return w->level;
}

static int flush(struct kdump_writer *w)
{
	int ret;

	if (w->err)
		return w->err;
	if (w->dlen) {
		ret = kdump_pwrite_full(w->fd, w->dbuf, w->dlen, w->dbuf_off);
		if (ret < 0)
			return w->err = ret;
		w->dbuf_off += w->dlen;
		w->dlen = 0;
	}
	if (w->ndesc) {
		ret = kdump_pwrite_full(w->fd, w->descbuf, w->ndesc * KDUMP_DESC_SIZE,
				  w->l.desc_off + w->desc_rank0 * KDUMP_DESC_SIZE);
		if (ret < 0)
			return w->err = ret;
		w->desc_rank0 += w->ndesc;
		w->ndesc = 0;
	}
	return 0;
}

int kdump_writer_append(struct kdump_writer *w, uint64_t pfn, const struct kdump_cpage *cp)
{
	struct kdump_desc d = { 0 };
	int ret;

	if (w->err)
		return w->err;
	if (w->finished || pfn != w->next_pfn || pfn >= w->max_mapnr)
		return -EINVAL;
	if (cp->zero) {
		d.offset = w->l.data_off;
		d.size = KDUMP_PAGE_SIZE;
	} else {
		if (cp->size == 0 || cp->size > KDUMP_PAGE_SIZE || !cp->data ||
		    (cp->flags == 0 && cp->size != KDUMP_PAGE_SIZE) ||
		    (cp->flags != 0 && cp->flags != alg_flag(w->alg)))
			return -EINVAL;
		if (w->dlen + cp->size > DATA_BUF && (ret = flush(w)) < 0)
			return ret;
		memcpy(w->dbuf + w->dlen, cp->data, cp->size);
		w->dlen += cp->size;
		d.offset = w->data_end;
		d.size = cp->size;
		d.flags = cp->flags;
		w->data_end += cp->size;
	}
	if (w->ndesc == DESC_BUF && (ret = flush(w)) < 0)
		return ret;
	kdump_desc_encode(w->descbuf + w->ndesc * KDUMP_DESC_SIZE, &d);
	w->ndesc++;
	w->ndumped++;
	w->next_pfn = kdump_bit_next(w->bm, pfn + 1, w->max_mapnr);

	w->st.pages++;
	w->st.zero_pages += cp->zero ? 1 : 0;
	w->st.raw_pages += !cp->zero && cp->flags == 0;
	w->st.data_bytes += cp->zero ? 0 : cp->size;
	w->st.file_bytes = w->data_end;
	return 0;
}

int kdump_writer_sync(struct kdump_writer *w, uint64_t *durable_pfn)
{
	int ret = flush(w);

	if (ret < 0)
		return ret;
	if (fdatasync(w->fd) < 0)
		return w->err = -errno;
	ret = write_resume(w, KDUMP_RESUME_WRITING);
	if (ret < 0)
		return w->err = ret;
	if (fdatasync(w->fd) < 0)
		return w->err = -errno;
	if (durable_pfn)
		*durable_pfn = w->next_pfn;
	return 0;
}

int kdump_writer_finish(struct kdump_writer *w)
{
	int ret;

	if (w->err)
		return w->err;
	if (w->finished || w->next_pfn != w->max_mapnr)
		return -EINVAL;
	ret = flush(w);
	if (ret < 0)
		return ret;
	if (fdatasync(w->fd) < 0)
		return w->err = -errno;
	uint32_t status = le32_get(w->hdr + KDUMP_DH(status));
	le32_put(w->hdr + KDUMP_DH(status), status & ~DUMP_DH_COMPRESSED_INCOMPLETE);
	if ((ret = kdump_pwrite_full(w->fd, w->hdr, sizeof(w->hdr), 0)) < 0 ||
	    (ret = write_resume(w, KDUMP_RESUME_FINISHED)) < 0)
		return w->err = ret;
	if (fsync(w->fd) < 0)
		return w->err = -errno;
	if (w->final_path) {
		if (rename(w->path, w->final_path) < 0)
			return w->err = -errno;
		ret = fsync_dir_of(w->final_path);
		if (ret < 0)
			return w->err = ret;
	}
	w->finished = 1;
	return 0;
}

void kdump_writer_free(struct kdump_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	free(w->final_path);
	free(w->bm);
	free(w->dbuf);
	free(w->descbuf);
	free(w);
}

void kdump_writer_get_stats(const struct kdump_writer *w, struct kdump_writer_stats *st)
{
	*st = w->st;
}

/* ---- resume ------------------------------------------------------------------------------ */


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
	static const uint8_t zero[65536];
	while (from < to) {
		size_t n = to - from < sizeof(zero) ? (size_t)(to - from) : sizeof(zero);
		int ret = kdump_pwrite_full(fd, zero, n, from);
		if (ret < 0)
			return ret;
		from += n;
	}
	return 0;
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
	       (d->flags == 0 ? d->size == KDUMP_PAGE_SIZE : d->flags == alg_flag(w->alg));
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
	w = writer_alloc(path, final_path, in->max_mapnr);
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
	if (!level_ok(w->alg, w->level) || r.next_pfn > in->max_mapnr ||
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
