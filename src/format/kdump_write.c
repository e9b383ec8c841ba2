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

#include "format/kdump_writer_int.h"

uint32_t kdump_writer_alg_flag(enum kdump_compression c)
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
int kdump_writer_write_zeros(int fd, uint64_t from, uint64_t to)
{
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

static int zero_prefix(int fd, uint64_t len)
{
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
	return kdump_writer_write_zeros(fd, 0, len);
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

int kdump_writer_level_ok(enum kdump_compression c, int level)
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
	le32_put(b + KDUMP_DH(status), kdump_writer_alg_flag(w->alg) | DUMP_DH_COMPRESSED_INCOMPLETE);
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

struct kdump_writer *kdump_writer_alloc(const char *path, const char *final_path,
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
	    vmci_len > KDUMP_NOTES_MAX || o->nr_cpus < 0 || !kdump_writer_level_ok(o->compression, o->level))
		return -EINVAL;
	for (size_t i = 0; i < o->nranges; i++)
		if (o->ranges[i].start_pfn > o->ranges[i].end_pfn ||
		    o->ranges[i].end_pfn > o->max_mapnr)
			return -EINVAL;

	w = kdump_writer_alloc(o->path, o->final_path, o->max_mapnr);
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
		    (cp->flags != 0 && cp->flags != kdump_writer_alg_flag(w->alg)))
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

int kdump_writer_overhead(uint64_t max_mapnr, uint64_t nvalid, size_t notes_len, uint64_t *bytes)
{
	struct kdump_layout l;
	/* the sub header, the notes and a separate VMCOREINFO at most as long as them */
	uint64_t sub = sizeof(struct kdump_disk_sub_header) + 2 * (uint64_t)notes_len;
	int ret = kdump_layout_compute(max_mapnr, nvalid, sub, 0, &l);

	if (ret == 0)
		*bytes = l.data_off + KDUMP_PAGE_SIZE;
	return ret;
}
