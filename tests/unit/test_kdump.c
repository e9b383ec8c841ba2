// SPDX-License-Identifier: GPL-2.0-or-later
// kdump-compressed files: what the writer makes reads back page for page under every
// compression; zero and incompressible pages; an unfinished file is marked incomplete; resume
// after a simulated crash gives the same file as an uninterrupted run; malformed headers,
// bitmaps and descriptors are refused with a reason, and random corruption never crashes the
// reader.
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "format/elfcore.h"
#include "format/kdump.h"
#include "format/kdump_disk.h"
#include "tap.h"

#define PS KDUMP_PAGE_SIZE
#define MAX_MAPNR 1000u

static const struct kdump_range ranges[] = { { 700, 1000 }, { 0, 160 }, { 256, 600 } };
static const char vmci[] = "OSRELEASE=6.1.0-56-cloud-amd74\nPAGESIZE=4096\n"
			   "NUMBER(phys_base)=-530579456\nKERNELOFFSET=25600000\n";
static char dir[] = "/tmp/hvdump-test-kdump.XXXXXX";

static int valid(uint64_t pfn)
{
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (pfn >= ranges[i].start_pfn && pfn < ranges[i].end_pfn)
			return 1;
	return 0;
}

/* The test guest's memory: zero, random (incompressible) and text (compressible) pages. */
static void page_for(uint64_t pfn, uint8_t *p)
{
	uint64_t x = pfn * 0x9E3779B97F4A7C15ull + 1;

	switch (pfn % 5) {
	case 0:
		memset(p, 0, PS);
		break;
	case 1:
		for (unsigned i = 0; i < PS; i += 8) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			memcpy(p + i, &x, 8);
		}
		break;
	default:
		for (unsigned i = 0; i < PS; i++)
			p[i] = (uint8_t)("pfn page text "[i % 14] + (i / 512 == pfn % 8));
		memcpy(p, &pfn, sizeof(pfn));
	}
}

static size_t make_notes(uint8_t *buf, size_t cap)
{
	uint8_t prs[336] = { 0 };
	size_t len = 0;
	if (elfnote_append(buf, cap, &len, "CORE", NT_PRSTATUS, prs, sizeof(prs)) < 0 ||
	    elfnote_append(buf, cap, &len, "CORE", NT_PRSTATUS, prs, sizeof(prs)) < 0 ||
	    elfnote_append(buf, cap, &len, "VMCOREINFO", 0, vmci, strlen(vmci)) < 0)
		return 0;
	return len;
}

static char *path_in(const char *name)
{
	static char buf[8][256];
	static int next;
	char *p = buf[next++ % 8];
	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

static uint8_t notes[4096];
static size_t notes_len;

static int create(const char *path, const char *final, enum kdump_compression c,
		  struct kdump_writer **w)
{
	struct kdump_writer_opts o = {
		.path = path, .final_path = final, .max_mapnr = MAX_MAPNR, .ranges = ranges,
		.nranges = 3, .notes = notes, .notes_len = notes_len, .compression = c,
		.tv_sec = 1700000000, .tv_usec = 5,
	};
	return kdump_writer_create(&o, w);
}

/* Append valid pfns below STOP (all when STOP is MAX_MAPNR), syncing every SYNC pages. */
static int feed(struct kdump_writer *w, enum kdump_compression c, uint64_t stop, unsigned sync)
{
	struct kdump_compressor *cc;
	uint8_t page[PS], out[PS];
	struct kdump_cpage cp;
	unsigned n = 0;
	int ret = kdump_compressor_new(c, 0, &cc);

	while (ret == 0 && kdump_writer_next_pfn(w) < stop) {
		uint64_t pfn = kdump_writer_next_pfn(w);
		page_for(pfn, page);
		ret = kdump_compress_page(cc, page, out, &cp);
		if (ret == 0)
			ret = kdump_writer_append(w, pfn, &cp);
		if (ret == 0 && sync && ++n % sync == 0)
			ret = kdump_writer_sync(w, NULL);
	}
	kdump_compressor_free(cc);
	return ret;
}

static int write_whole(const char *path, enum kdump_compression c)
{
	struct kdump_writer *w;
	int ret = create(path, NULL, c, &w);
	if (ret == 0)
		ret = feed(w, c, MAX_MAPNR, 100);
	if (ret == 0)
		ret = kdump_writer_finish(w);
	kdump_writer_free(w);
	return ret;
}

static int read_file_all(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	*len = (size_t)st.st_size;
	*buf = malloc(*len);
	ssize_t n = *buf ? read(fd, *buf, *len) : -1;
	close(fd);
	return n == (ssize_t)*len ? 0 : -1;
}

static int write_file_all(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* Every pfn reads back as page_for() made it; holes and pfns past the end are -ENOENT. */
static int verify_pages(const char *path, unsigned flags, const char *what)
{
	uint8_t want[PS], got[PS];
	struct kdump *k;
	char why[256];
	int fd = open(path, O_RDONLY), bad = 0;

	if (fd < 0 || kdump_open(fd, flags, &k, why, sizeof(why)) < 0) {
		tap_diag("%s: open: %s", what, why);
		if (fd >= 0)
			close(fd);
		return 0;
	}
	for (uint64_t pfn = 0; pfn <= MAX_MAPNR + 1; pfn++) {
		int ret = kdump_read_page(k, pfn, got);
		if (!valid(pfn)) {
			bad += ret != -ENOENT;
			continue;
		}
		page_for(pfn, want);
		if (ret != 0 || memcmp(want, got, PS) != 0) {
			if (bad++ < 3)
				tap_diag("%s: pfn %llu: ret %d", what, (unsigned long long)pfn, ret);
		}
	}
	kdump_close(k);
	close(fd);
	return bad == 0;
}

static void test_compress(void)
{
	static const enum kdump_compression algs[] = { KDUMP_COMPRESS_NONE, KDUMP_COMPRESS_ZLIB,
						       KDUMP_COMPRESS_LZO, KDUMP_COMPRESS_ZSTD };
	static const uint32_t flag[] = { 0, DUMP_DH_COMPRESSED_ZLIB, DUMP_DH_COMPRESSED_LZO,
					 DUMP_DH_COMPRESSED_ZSTD };
	uint8_t page[PS], out[PS];
	struct kdump_compressor *c;
	struct kdump_cpage cp;

	for (int a = 0; a < 4; a++) {
		const char *name = kdump_compression_name(algs[a]);
		if (!tap_ok(kdump_compressor_new(algs[a], 0, &c) == 0, "%s: context", name))
			continue;
		page_for(5, page);
		tap_ok(kdump_compress_page(c, page, out, &cp) == 0 && cp.zero && cp.size == 0,
		       "%s: zero page stores nothing", name);
		page_for(7, page);
		tap_ok(kdump_compress_page(c, page, out, &cp) == 0 && !cp.zero &&
			       cp.flags == flag[a] && (a == 0 ? cp.size == PS : cp.size < PS / 4) &&
			       cp.data == out,
		       "%s: text page compressed (%u bytes)", name, cp.size);
		page_for(1, page);
		tap_ok(kdump_compress_page(c, page, out, &cp) == 0 && cp.flags == 0 &&
			       cp.size == PS && memcmp(out, page, PS) == 0,
		       "%s: random page stored raw", name);
		kdump_compressor_free(c);
	}
	tap_ok(kdump_compressor_new(KDUMP_COMPRESS_ZSTD, 40, &c) == -EINVAL &&
		       kdump_compressor_new(KDUMP_COMPRESS_ZLIB, 10, &c) == -EINVAL &&
		       kdump_compressor_new((enum kdump_compression)9, 0, &c) == -EINVAL,
	       "out-of-range level or algorithm refused");
	enum kdump_compression e;
	tap_ok(kdump_compression_parse("lzo", &e) == 0 && e == KDUMP_COMPRESS_LZO &&
		       kdump_compression_parse("lz4", &e) == -EINVAL,
	       "compression names (no lz4: the format has no flag for it)");
}

static void test_round_trip(void)
{
	static const enum kdump_compression algs[] = { KDUMP_COMPRESS_NONE, KDUMP_COMPRESS_ZLIB,
						       KDUMP_COMPRESS_LZO, KDUMP_COMPRESS_ZSTD };

	for (int a = 0; a < 4; a++) {
		const char *name = kdump_compression_name(algs[a]);
		char tmp[64], fin[64];
		struct kdump_writer *w;
		struct kdump *k;
		char why[256];
		int fd;

		snprintf(tmp, sizeof(tmp), "rt-%s.part", name);
		snprintf(fin, sizeof(fin), "rt-%s.kdump", name);
		char *tpath = strdup(path_in(tmp)), *fpath = strdup(path_in(fin));
		if (!tap_ok(create(tpath, fpath, algs[a], &w) == 0, "%s: create", name))
			continue;
		tap_ok(feed(w, algs[a], 400, 64) == 0, "%s: first 400 pfns appended", name);

		/* half-written: marked incomplete, refused unless asked for */
		fd = open(tpath, O_RDONLY);
		tap_ok(kdump_open(fd, 0, &k, why, sizeof(why)) == -EAGAIN && strstr(why, "incomplete"),
		       "%s: unfinished file refused as incomplete (%s)", name, why);
		tap_ok(kdump_open(fd, KDUMP_OPEN_INCOMPLETE, &k, why, sizeof(why)) == 0 &&
			       kdump_get_info(k)->incomplete,
		       "%s: unfinished file opens with KDUMP_OPEN_INCOMPLETE", name);
		if (k) {
			uint8_t page[PS];
			tap_ok(kdump_read_page(k, 900, page) == -ENODATA,
			       "%s: page not yet written reads -ENODATA", name);
			kdump_close(k);
		}
		close(fd);

		uint8_t page[PS], out[PS];
		struct kdump_cpage cp = { .size = PS, .flags = 0, .data = out };
		page_for(999, page);
		memcpy(out, page, PS);
		tap_ok(kdump_writer_append(w, 999, &cp) == -EINVAL, "%s: out-of-order pfn refused",
		       name);
		tap_ok(kdump_writer_finish(w) == -EINVAL, "%s: finish with pages missing refused",
		       name);
		tap_ok(feed(w, algs[a], MAX_MAPNR, 0) == 0, "%s: rest appended", name);
		tap_ok(kdump_writer_next_pfn(w) == MAX_MAPNR, "%s: next_pfn at the end", name);
		struct kdump_writer_stats st;
		kdump_writer_get_stats(w, &st);
		uint64_t zeros = 0;
		for (uint64_t pfn = 0; pfn < MAX_MAPNR; pfn += 5)
			zeros += (uint64_t)valid(pfn);
		tap_ok(st.pages == 160 + 344 + 300 && st.zero_pages == zeros &&
			       st.raw_pages >= st.pages / 5,
		       "%s: stats (%llu pages, %llu zero, %llu raw)", name,
		       (unsigned long long)st.pages, (unsigned long long)st.zero_pages,
		       (unsigned long long)st.raw_pages);
		tap_ok(kdump_writer_finish(w) == 0, "%s: finish", name);
		kdump_writer_free(w);
		tap_ok(access(tpath, F_OK) != 0 && access(fpath, F_OK) == 0,
		       "%s: renamed to the final path", name);

		tap_ok(verify_pages(fpath, 0, name), "%s: every page reads back", name);
		fd = open(fpath, O_RDONLY);
		if (tap_ok(kdump_open(fd, 0, &k, why, sizeof(why)) == 0, "%s: complete file opens",
			   name)) {
			const struct kdump_info *in = kdump_get_info(k);
			const uint8_t *n;
			const char *t;
			size_t nl, tl;
			tap_ok(in->header_version == 6 && !in->incomplete && in->nr_cpus == 2 &&
				       in->max_mapnr == MAX_MAPNR && in->nr_valid == 804 &&
				       in->nr_dumped == 804 && in->tv_sec == 1700000000 &&
				       in->phys_base == (uint64_t)-530579456ll,
			       "%s: header fields", name);
			tap_is_str(in->uts.release, "6.1.0-56-cloud-amd74", "utsname release");
			tap_is_str(in->uts.machine, "x86_64", "utsname machine");
			tap_ok(kdump_notes(k, &n, &nl) == 0 && nl == notes_len &&
				       !memcmp(n, notes, nl),
			       "%s: notes stored whole", name);
			tap_ok(kdump_vmcoreinfo(k, &t, &tl) == 0 && tl == strlen(vmci) &&
				       !memcmp(t, vmci, tl),
			       "%s: VMCOREINFO area points at the note's text", name);
			tap_ok(kdump_pfn_state(k, 170) == KDUMP_PFN_ABSENT &&
				       kdump_pfn_state(k, 5000) == KDUMP_PFN_ABSENT &&
				       kdump_pfn_state(k, 5) == KDUMP_PFN_DUMPED &&
				       kdump_next_valid(k, 160) == 256,
			       "%s: pfn states and valid-pfn iteration", name);
			kdump_close(k);
		}
		close(fd);
		free(tpath);
		free(fpath);
	}
}

/* Bytes of two files equal but for the resume block (its seq differs). */
static int same_but_resume(const char *a, const char *b)
{
	uint8_t *x, *y;
	size_t xl, yl;
	int same = 0;

	if (read_file_all(a, &x, &xl) < 0 || read_file_all(b, &y, &yl) < 0)
		return 0;
	if (xl == yl && xl > 2 * PS) {
		uint64_t roff = (uint64_t)le32_get(x + KDUMP_DH(sub_hdr_size)) * PS;
		memset(x + roff, 0, PS);
		memset(y + roff, 0, PS);
		same = memcmp(x, y, xl) == 0;
	} else {
		tap_diag("sizes %zu and %zu", xl, yl);
	}
	free(x);
	free(y);
	return same;
}

static void test_resume(void)
{
	const enum kdump_compression c = KDUMP_COMPRESS_ZSTD;
	char *ref = strdup(path_in("ref.kdump")), *part = strdup(path_in("res.part"));
	char *fin = strdup(path_in("res.kdump"));
	struct kdump_writer *w;
	char why[256];
	uint64_t durable = 0;

	tap_ok(write_whole(ref, c) == 0, "reference written in one go");

	tap_ok(create(part, fin, c, &w) == 0 && feed(w, c, 300, 0) == 0 &&
		       kdump_writer_sync(w, &durable) == 0 && durable == 300,
	       "first run: checkpoint below pfn 300 (got %llu)", (unsigned long long)durable);
	tap_ok(feed(w, c, 800, 0) == 0, "first run: more pages, not checkpointed");
	kdump_writer_free(w); /* the crash */

	tap_ok(kdump_writer_resume(part, fin, &w, why, sizeof(why)) == 0 &&
		       kdump_writer_next_pfn(w) == 300 &&
		       kdump_writer_compression(w) == KDUMP_COMPRESS_ZSTD,
	       "resume continues at the checkpoint, pfn 300 (%s)", why);
	tap_ok(feed(w, c, 720, 50) == 0, "second run: up to pfn 720, checkpoints every 50");
	kdump_writer_free(w); /* crash again */

	/* a torn write of the newest resume record: the older slot is used */
	uint8_t *buf;
	size_t len;
	if (read_file_all(part, &buf, &len) == 0) {
		uint64_t roff = (uint64_t)le32_get(buf + KDUMP_DH(sub_hdr_size)) * PS;
		struct kdump_disk_resume r0, r1;
		int ok0 = kdump_resume_decode(buf + roff, &r0) == 0;
		int ok1 = kdump_resume_decode(buf + roff + KDUMP_RESUME_SLOT_STRIDE, &r1) == 0;
		uint64_t newest = ok0 && (!ok1 || r0.seq > r1.seq) ? roff
								   : roff + KDUMP_RESUME_SLOT_STRIDE;
		uint64_t older_pfn = newest == roff ? r1.next_pfn : r0.next_pfn;
		buf[newest + 20] ^= 0x40;
		tap_ok(ok0 && ok1 && write_file_all(part, buf, len) == 0,
		       "newest resume record torn");
		tap_ok(kdump_writer_resume(part, fin, &w, why, sizeof(why)) == 0 &&
			       kdump_writer_next_pfn(w) == older_pfn,
		       "resume falls back to the older record (pfn %llu)",
		       (unsigned long long)older_pfn);
		free(buf);
	}
	tap_ok(feed(w, c, MAX_MAPNR, 0) == 0 && kdump_writer_finish(w) == 0,
	       "third run finishes");
	kdump_writer_free(w);
	tap_ok(verify_pages(fin, 0, "resumed"), "resumed file: every page reads back");
	tap_ok(same_but_resume(ref, fin), "resumed file equals the uninterrupted one byte for byte");
	tap_ok(kdump_writer_resume(fin, NULL, &w, why, sizeof(why)) == -EALREADY,
	       "a finished dump is not resumed");
	tap_ok(kdump_writer_resume(path_in("nope"), NULL, &w, why, sizeof(why)) == -ENOENT,
	       "a missing file is reported");

	/* a file made by someone else has no resume record */
	if (read_file_all(ref, &buf, &len) == 0) {
		uint64_t roff = (uint64_t)le32_get(buf + KDUMP_DH(sub_hdr_size)) * PS;
		le32_put(buf + KDUMP_DH(status),
			       le32_get(buf + KDUMP_DH(status)) | DUMP_DH_COMPRESSED_INCOMPLETE);
		memset(buf + roff, 0, PS);
		tap_ok(write_file_all(part, buf, len) == 0 &&
			       kdump_writer_resume(part, NULL, &w, why, sizeof(why)) == -EBADMSG,
		       "no resume record: -EBADMSG (%s)", why);
		free(buf);
	}
	free(ref);
	free(part);
	free(fin);
}

/* A damaged checkpoint is refused, and the file left as it was: a descriptor it keeps that
 * points past the data it keeps, or at no data, and a shared zero page that is not zeros
 * (found by fuzz_kdump_resume: they were kept, and the finished dump had pages that were
 * missing or not its own). */
static void test_resume_damaged(void)
{
	static const struct {
		const char *what;
		int field;        /* descriptor 7's (pfn 7: zstd data) 0: offset, 1: size; 2: the
				   * shared zero page */
		uint64_t value;   /* offset 1: past the kept data */
	} bad[] = {
		{ "a kept descriptor pointing past the kept data", 0, 1 },
		{ "a kept descriptor without data (offset 0)", 0, 0 },
		{ "a kept descriptor of size 0", 1, 0 },
		{ "a shared zero page that is not zeros", 2, 0 },
	};
	const enum kdump_compression c = KDUMP_COMPRESS_ZSTD;
	char *part = strdup(path_in("damaged.part"));
	struct kdump_writer *w;
	uint8_t *good = NULL, *buf, *after;
	size_t len = 0, alen;
	char why[256];

	tap_ok(create(part, NULL, c, &w) == 0 && feed(w, c, 300, 0) == 0 &&
		       kdump_writer_sync(w, NULL) == 0 && feed(w, c, 500, 0) == 0,
	       "a file with a checkpoint at pfn 300");
	kdump_writer_free(w);
	if (read_file_all(part, &good, &len) < 0)
		return;
	uint64_t sub = le32_get(good + KDUMP_DH(sub_hdr_size));
	uint64_t desc = (1 + sub + le32_get(good + KDUMP_DH(bitmap_blocks))) * PS;
	struct kdump_disk_resume r0, r1, *r;
	int ok0 = kdump_resume_decode(good + sub * PS, &r0) == 0;
	int ok1 = kdump_resume_decode(good + sub * PS + KDUMP_RESUME_SLOT_STRIDE, &r1) == 0;
	r = ok0 && (!ok1 || r0.seq > r1.seq) ? &r0 : &r1;
	tap_ok((ok0 || ok1) && r->ndumped > 7, "its record keeps %llu descriptors",
	       (unsigned long long)r->ndumped);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf = malloc(len);
		memcpy(buf, good, len);
		if (bad[i].field == 0)
			le64_put(buf + desc + 7 * KDUMP_DESC_SIZE, bad[i].value ? r->data_end : 0);
		else if (bad[i].field == 1)
			le32_put(buf + desc + 7 * KDUMP_DESC_SIZE + 8, 0);
		else
			buf[r->data_off + 100] = 0x5a;
		tap_ok(write_file_all(part, buf, len) == 0 &&
			       kdump_writer_resume(part, NULL, &w, why, sizeof(why)) == -EBADMSG,
		       "refused: %s (%s)", bad[i].what, why);
		tap_ok(read_file_all(part, &after, &alen) == 0 && alen == len &&
			       !memcmp(after, buf, len), "... and the file is as it was");
		free(after);
		free(buf);
	}
	tap_ok(write_file_all(part, good, len) == 0 &&
		       kdump_writer_resume(part, NULL, &w, why, sizeof(why)) == 0 &&
		       kdump_writer_next_pfn(w) == 300, "the undamaged file resumes at pfn 300");
	kdump_writer_free(w);
	free(good);
	free(part);
}

/* Open BUF (a mutated copy of a good file) and expect WANT from kdump_open. */
static void expect_open(const uint8_t *buf, size_t len, int want, const char *what)
{
	const char *p = path_in("bad.kdump");
	struct kdump *k = NULL;
	char why[256] = "";
	int fd, ret = -9999;

	if (write_file_all(p, buf, len) == 0 && (fd = open(p, O_RDONLY)) >= 0) {
		ret = kdump_open(fd, 0, &k, why, sizeof(why));
		kdump_close(ret == 0 ? k : NULL);
		close(fd);
	}
	if (!tap_ok(ret == want && (want == 0 || why[0]), "%s: %s", what, why[0] ? why : "ok"))
		tap_diag("  got %d, want %d", ret, want);
}

static void test_malformed(void)
{
	uint8_t *good, *b;
	size_t len;
	const char *ref = path_in("ref.kdump");

	if (!tap_ok(read_file_all(ref, &good, &len) == 0, "reference file read"))
		return;
	b = malloc(len);
	uint32_t sub = le32_get(good + KDUMP_DH(sub_hdr_size));
	uint32_t bmb = le32_get(good + KDUMP_DH(bitmap_blocks));
	uint64_t bm1 = (1 + (uint64_t)sub) * PS, bm2 = bm1 + (uint64_t)bmb / 2 * PS;
	uint64_t desc = bm1 + (uint64_t)bmb * PS, kh = PS;
	/* descriptor of pfn 7 (a text page, zstd): pfns 0..6 come first */
	uint64_t d7 = desc + 7 * KDUMP_DESC_SIZE;
	struct kdump_desc d;

#define MUT(stmt, want, what)                                                             \
	do {                                                                              \
		memcpy(b, good, len);                                                     \
		stmt;                                                                     \
		expect_open(b, len, want, what);                                          \
	} while (0)

	MUT((void)0, 0, "unmodified copy opens");
	MUT(b[0] = 'X', -EBADMSG, "bad signature");
	MUT(memcpy(b, "DISKDUMP", 8), -ENOTSUP, "old diskdump");
	MUT(memcpy(b, "makedumpfile", 13), -EBADMSG, "flattened format, damaged");
	MUT(le32_put(b + KDUMP_DH(header_version), 0), -EBADMSG, "header_version 0");
	MUT(le32_put(b + KDUMP_DH(header_version), 7), -ENOTSUP, "header_version 7");
	MUT(le32_put(b + KDUMP_DH(block_size), 8192), -ENOTSUP, "block_size 8192");
	MUT(le32_put(b + KDUMP_DH(block_size), 1000), -EBADMSG, "block_size 1000");
	MUT(le32_put(b + KDUMP_DH(sub_hdr_size), 0), -EBADMSG, "sub_hdr_size 0");
	MUT(le32_put(b + KDUMP_DH(sub_hdr_size), 0x80000000u), -EBADMSG,
	    "sub_hdr_size negative");
	MUT(le32_put(b + KDUMP_DH(sub_hdr_size), 0x7fffffffu), -EBADMSG,
	    "sub_hdr_size past the file");
	MUT(le32_put(b + KDUMP_DH(bitmap_blocks), 3), -EBADMSG, "odd bitmap_blocks");
	MUT(le32_put(b + KDUMP_DH(bitmap_blocks), 0), -EBADMSG, "bitmap_blocks 0");
	MUT(le32_put(b + KDUMP_DH(bitmap_blocks), 0xfffffffeu), -EBADMSG,
	    "bitmaps past the file");
	MUT(le32_put(b + KDUMP_DH(status), DUMP_DH_COMPRESSED_INCOMPLETE), -EAGAIN,
	    "incomplete flag");
	MUT(le64_put(b + kh + KDUMP_KH(max_mapnr_64), 0), -EBADMSG, "max_mapnr 0");
	MUT(le64_put(b + kh + KDUMP_KH(max_mapnr_64), UINT64_C(1) << 41), -EBADMSG,
	    "max_mapnr 2^41");
	MUT(le64_put(b + kh + KDUMP_KH(max_mapnr_64), 8 * PS * (uint64_t)bmb), -EBADMSG,
	    "max_mapnr larger than the bitmaps");
	MUT(le32_put(b + kh + KDUMP_KH(split), 1), -ENOTSUP, "split dump");
	MUT(le64_put(b + kh + KDUMP_KH(offset_note), len - 10), -EBADMSG,
	    "notes past the end");
	MUT(le64_put(b + kh + KDUMP_KH(size_note), UINT64_MAX), -EBADMSG,
	    "note size 2^64-1");
	MUT(le64_put(b + kh + KDUMP_KH(offset_vmcoreinfo), UINT64_MAX - 4), -EBADMSG,
	    "vmcoreinfo offset wraps");
	MUT(b[bm2 + 170 / 8] |= 1u << (170 % 8), -EBADMSG, "bitmap 2 pfn not in bitmap 1");
	MUT(memset(b + bm2 + 20, 0xff, 2), -EBADMSG, "bitmap 2 claims holes");
	MUT(memset(b + bm1, 0xff, 125), 0, "bitmap 1 wider than bitmap 2 (filtered pages) is legal");

#define DMUT(field, val, want, what)                                                      \
	MUT((d = kdump_desc_decode(b + d7), d.field = (val), kdump_desc_encode(b + d7, &d)),  \
	    want, what)
	DMUT(offset, 0, -EBADMSG, "descriptor offset 0 in a complete dump");
	DMUT(offset, len - 10, -EBADMSG, "descriptor data past the end");
	DMUT(offset, UINT64_MAX - 5, -EBADMSG, "descriptor offset wraps");
	DMUT(offset, 1ull << 63, -EBADMSG, "descriptor offset negative");
	DMUT(offset, bm1, -EBADMSG, "descriptor data inside the bitmaps");
	DMUT(size, 0, -EBADMSG, "descriptor size 0");
	DMUT(size, 5000, -EBADMSG, "descriptor size 5000");
	DMUT(flags, 0x3, -EBADMSG, "two compression flags");
	DMUT(flags, 0x40, -EBADMSG, "unknown flag");
	DMUT(flags, 0, -EBADMSG, "raw page shorter than 4096");
	expect_open(good, PS + 100, -EBADMSG, "cut inside the sub header");
	expect_open(good, desc + 100, -EBADMSG, "cut inside the descriptors");
	expect_open(good, len - 1, -EBADMSG, "last byte of data cut");
	expect_open(good, 100, -EBADMSG, "a 100-byte file");

	/* corrupt page data: the descriptors are fine, the page is not */
	{
		const char *p = path_in("bad.kdump");
		uint8_t page[PS];
		struct kdump *k;
		char why[256];
		int fd;

		memcpy(b, good, len);
		d = kdump_desc_decode(b + d7);
		memset(b + d.offset, 0xa5, d.size);
		write_file_all(p, b, len);
		fd = open(p, O_RDONLY);
		tap_ok(kdump_open(fd, 0, &k, why, sizeof(why)) == 0 &&
			       kdump_read_page(k, 7, page) == -EBADMSG && kdump_read_page(k, 8, page) == 0,
		       "garbage zstd data: that page -EBADMSG, the next one fine");
		kdump_close(k);
		close(fd);

		/* a zlib stream of 100 bytes, not 4096 */
		uLongf zl = PS;
		uint8_t z[PS], small[100] = { 1 };
		compress2(z, &zl, small, sizeof(small), 1);
		memcpy(b, good, len);
		memcpy(b + d.offset, z, zl);
		d.size = (uint32_t)zl;
		d.flags = DUMP_DH_COMPRESSED_ZLIB;
		kdump_desc_encode(b + d7, &d);
		write_file_all(p, b, len);
		fd = open(p, O_RDONLY);
		tap_ok(kdump_open(fd, 0, &k, why, sizeof(why)) == 0 &&
			       kdump_read_page(k, 7, page) == -EBADMSG,
		       "page that inflates to 100 bytes: -EBADMSG");
		kdump_close(k);
		close(fd);

		/* excluded pages: zero-filled only when dump_level says "zero pages only" */
		memcpy(b, good, len);
		b[bm2 + 10 / 8] &= (uint8_t)~(1u << (10 % 8));
		le32_put(b + kh + KDUMP_KH(dump_level), 1);
		write_file_all(p, b, len);
		fd = open(p, O_RDONLY);
		memset(page, 0xee, sizeof(page));
		tap_ok(kdump_open(fd, 0, &k, why, sizeof(why)) == 0 &&
			       kdump_pfn_state(k, 10) == KDUMP_PFN_EXCLUDED &&
			       kdump_read_page(k, 10, page) == 1 && kdump_page_is_zero(page),
		       "dump_level 1: an excluded page reads as zeros (%s)", why);
		kdump_close(k);
		close(fd);
		le32_put(b + kh + KDUMP_KH(dump_level), 31);
		write_file_all(p, b, len);
		fd = open(p, O_RDONLY);
		tap_ok(kdump_open(fd, 0, &k, why, sizeof(why)) == 0 &&
			       kdump_read_page(k, 10, page) == -ENODATA,
		       "dump_level 31: an excluded page is -ENODATA");
		kdump_close(k);
		close(fd);
	}

	/* random corruption of the metadata: refused or read, never a crash */
	{
		const char *p = path_in("fuzz.kdump");
		uint64_t x = 42, meta_end = desc + 804 * KDUMP_DESC_SIZE;
		unsigned opened = 0, refused = 0;
		uint8_t page[PS];

		for (int iter = 0; iter < 300; iter++) {
			memcpy(b, good, len);
			for (int f = 0; f < 1 + iter % 8; f++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				uint64_t at = x % meta_end;
				/* bias towards the header block and the descriptors */
				if (iter % 3 == 0)
					at = x % 512;
				else if (iter % 3 == 1)
					at = desc + x % (meta_end - desc);
				b[at] ^= (uint8_t)(1u << (x >> 60 & 7));
			}
			size_t l = iter % 10 == 9 ? (size_t)(x % len) : len;
			struct kdump *k;
			int fd;
			if (write_file_all(p, b, l) < 0 || (fd = open(p, O_RDONLY)) < 0)
				continue;
			if (kdump_open(fd, KDUMP_OPEN_INCOMPLETE, &k, NULL, 0) == 0) {
				opened++;
				for (uint64_t pfn = 0; pfn < MAX_MAPNR + 2; pfn++)
					(void)!kdump_read_page(k, pfn, page);
				kdump_close(k);
			} else {
				refused++;
			}
			close(fd);
		}
		tap_ok(opened + refused == 300, "300 corrupted files: %u opened and read, %u refused",
		       opened, refused);
	}
	free(b);
	free(good);
}

static void cleanup(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlink(path_in(e->d_name));
	if (d)
		closedir(d);
	rmdir(dir);
}

static void put_be64(int fd, int64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
	if (write(fd, b, 8) != 8)
		abort();
}

/* A file in makedumpfile's flattened layout that stands for the round trip's zstd file:
 * a garbage record over its header first, then its bytes in 3000-byte records, last to
 * first (the header's real bytes come last and win), then the end marker.  It reads back
 * page for page, flagged flattened. */
static void test_flattened(void)
{
	char *src = strdup(path_in("rt-zstd.kdump")), *flat = strdup(path_in("flat.kdump"));
	int in = open(src, O_RDONLY), out = open(flat, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	struct stat st;
	uint8_t *data, hdr[4096] = "makedumpfile", junk[4096];
	struct kdump *k;
	char why[256];

	if (in < 0 || out < 0 || fstat(in, &st) < 0 || !(data = malloc((size_t)st.st_size)) ||
	    read(in, data, (size_t)st.st_size) != st.st_size)
		abort();
	memset(hdr + 16, 0, 16);
	hdr[23] = 1;                                   /* type 1, big-endian */
	hdr[31] = 1;                                   /* version 1 */
	memset(junk, 0xa5, sizeof(junk));
	if (write(out, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
		abort();
	put_be64(out, 0);
	put_be64(out, sizeof(junk));
	if (write(out, junk, sizeof(junk)) != (ssize_t)sizeof(junk))
		abort();
	for (int64_t off = (st.st_size - 1) / 3000 * 3000; off >= 0; off -= 3000) {
		size_t n = (size_t)(st.st_size - off < 3000 ? st.st_size - off : 3000);
		put_be64(out, off);
		put_be64(out, (int64_t)n);
		if (write(out, data + off, n) != (ssize_t)n)
			abort();
	}
	put_be64(out, -1);
	put_be64(out, -1);
	close(out);
	close(in);
	tap_ok(verify_pages(flat, 0, "flattened"), "a flattened file (records out of order, the "
	       "header overwritten) reads back page for page");
	out = open(flat, O_RDONLY);
	tap_ok(kdump_open(out, 0, &k, why, sizeof(why)) == 0 && kdump_get_info(k)->flattened &&
		       kdump_get_info(k)->file_size == (uint64_t)st.st_size,
	       "  flagged flattened, the size of the file it stands for");
	kdump_close(k);
	close(out);
	free(data);
	free(src);
	free(flat);
}

/* A fake kernel memory for kdump_utsname_from_memory: struct new_utsname at 0x1000 + 8. */
static uint8_t uts_mem[0x2000];

static int uts_read(void *ctx, uint64_t va, void *buf, size_t len)
{
	(void)ctx;
	if (va < 0xffffffff81000000ull || va - 0xffffffff81000000ull > sizeof(uts_mem) ||
	    len > sizeof(uts_mem) - (va - 0xffffffff81000000ull))
		return -EFAULT;
	memcpy(buf, uts_mem + (va - 0xffffffff81000000ull), len);
	return 0;
}

static void put_uts(const char *const f[6])
{
	memset(uts_mem, 0, sizeof(uts_mem));
	for (int i = 0; i < 6; i++)
		memcpy(uts_mem + 0x1008 + i * KDUMP_UTS_LEN, f[i], strlen(f[i]));
}

static void test_utsname_from_memory(void)
{
	static const char info[] = "OSRELEASE=6.1.0-57-cloud-amd64\nSYMBOL(init_uts_ns)="
				   "ffffffff81001000\nOFFSET(uts_namespace.name)=8\n";
	const char *good[6] = { "Linux", "guest7", "6.1.0-57-cloud-amd64",
				"#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-26)", "x86_64",
				"(none)" };
	const char *other[6] = { "Linux", "guest7", "6.1.0-58-cloud-amd64", "#1", "x86_64", "" };
	struct kdump_utsname u;

	put_uts(good);
	tap_is_int(kdump_utsname_from_memory(info, strlen(info), uts_read, NULL, &u), 0,
		   "utsname read from init_uts_ns");
	tap_is_str(u.version, good[3], "its version");
	tap_is_str(u.nodename, "guest7", "its nodename");
	tap_is_str(u.domainname, "(none)", "its domainname");
	put_uts(other);
	tap_is_int(kdump_utsname_from_memory(info, strlen(info), uts_read, NULL, &u), -EBADMSG,
		   "a release other than OSRELEASE's is refused");
	tap_is_str(u.release, "6.1.0-57-cloud-amd64", "and the header keeps VMCOREINFO's release");
	tap_is_str(u.version, "", "with an empty version");
	put_uts(good);
	memset(uts_mem + 0x1008 + KDUMP_UTS_LEN, 'A', KDUMP_UTS_LEN); /* nodename unterminated */
	tap_is_int(kdump_utsname_from_memory(info, strlen(info), uts_read, NULL, &u), -EBADMSG,
		   "a field without its NUL is refused");
	put_uts(good);
	uts_mem[0x1008 + 3 * KDUMP_UTS_LEN] = 0x07;
	tap_is_int(kdump_utsname_from_memory(info, strlen(info), uts_read, NULL, &u), -EBADMSG,
		   "a field with a control character is refused");
	static const char far[] = "OSRELEASE=6.1.0-57-cloud-amd64\nSYMBOL(init_uts_ns)="
				  "ffffffff81001f80\nOFFSET(uts_namespace.name)=8\n";
	tap_ok(kdump_utsname_from_memory(far, strlen(far), uts_read, NULL, &u) == -EFAULT,
	       "a read outside memory gives the reader's error");
	static const char none[] = "OSRELEASE=6.1.0-57-cloud-amd64\n";
	tap_is_int(kdump_utsname_from_memory(none, strlen(none), uts_read, NULL, &u), -ENOENT,
		   "no SYMBOL(init_uts_ns): -ENOENT");
	tap_is_str(u.machine, "x86_64", "machine still x86_64");
}

int main(void)
{
	if (!mkdtemp(dir)) {
		tap_skip_all("cannot create a temporary directory");
		return 77;
	}
	notes_len = make_notes(notes, sizeof(notes));
	test_compress();
	test_round_trip();
	test_resume();
	test_resume_damaged();
	test_malformed();
	test_utsname_from_memory();
	test_flattened();
	cleanup();
	return tap_done();
}
