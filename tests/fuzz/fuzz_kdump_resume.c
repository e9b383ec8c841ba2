// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: continuing a kdump-compressed dump from a damaged OUT.part,
// kdump_writer_resume().  Input: a flags byte (bit 0: give both resume records a right
// crc32, so the fuzzer reaches the checks behind it), then the file, written afresh to a
// private temporary directory for each run.  It traps when a promise of kdump.h breaks: a
// refusal other than -EALREADY, -EBADMSG, -ENOTSUP (-ENOMEM), without a reason, or that
// changed the file; a writer that resumes at a pfn past max_mapnr or not in bitmap 2, counts
// pages that are not bitmap 2's below it, keeps data past the end of the file, changes
// anything but the descriptors it drops (zeroed) and the end it cuts, or keeps a descriptor
// the reader would refuse in a complete dump (no data, data outside what it keeps); and when
// the continued file, every remaining page appended (up to 2^16 of them), does not finish
// into a dump kdump_open() accepts whole, the appended pages reading back as written.
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "format/kdump.h"
#include "format/kdump_disk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_APPEND (1u << 16)
#define MAX_READBACK 256u

/* The harness's own loops over bitmaps and descriptors are built without coverage: they
 * would reward sizes, not paths through the writer. */
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))

static char part[4096];

__attribute__((constructor)) static void make_dir(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	char dir[4000];

	snprintf(dir, sizeof(dir), "%s/hvdump-fuzz-resume.XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(part, sizeof(part), "%s/dump.part", dir);
}

__attribute__((destructor)) static void remove_dir(void)
{
	char dir[4096];

	unlink(part);
	snprintf(dir, sizeof(dir), "%s", part);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
}

static int write_part(const uint8_t *buf, size_t len)
{
	int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done < len) {
		ssize_t n = write(fd, buf + done, len - done);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	return close(fd);
}

/* The file as it is now, into a malloc'd buffer. */
static uint8_t *read_part(size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(part, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		abort();
	*len = (size_t)st.st_size;
	buf = malloc(*len ? *len : 1);
	if (!buf || pread(fd, buf, *len, 0) != (ssize_t)*len)
		abort();
	close(fd);
	return buf;
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* The reader's view of the file as given (in a memfd): bitmap 2 and where the descriptors
 * are.  NULL if the reader refuses it. */
static struct kdump *open_original(const uint8_t *buf, size_t len, int *fd)
{
	struct kdump *k;

	*fd = memfd_create("resume-input", MFD_CLOEXEC);
	if (*fd < 0 || write(*fd, buf, len) != (ssize_t)len)
		abort();
	if (kdump_open(*fd, KDUMP_OPEN_INCOMPLETE | KDUMP_OPEN_NO_DESC_CHECK, &k, NULL, 0) < 0) {
		close(*fd);
		return NULL;
	}
	return k;
}

NO_COVERAGE static uint64_t count_below(const uint8_t *bm, uint64_t pfn)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < pfn; i++)
		n += (uint64_t)kdump_bit_test(bm, i);
	return n;
}

/* Does W dump exactly the pfns of BM below MAX_MAPNR? */
NO_COVERAGE static bool same_pfns(const struct kdump_writer *w, const uint8_t *bm,
				  uint64_t max_mapnr)
{
	for (uint64_t p = 0; p < max_mapnr; p++)
		if (kdump_writer_dumps(w, p) != kdump_bit_test(bm, p))
			return false;
	return kdump_writer_dumps(w, max_mapnr) == 0;
}

NO_COVERAGE static bool all_zero(const uint8_t *p, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++)
		if (p[i])
			return false;
	return true;
}

/* Would a complete dump's reader take the N descriptors at DESCS, each pointing into
 * [DESC_END, FILE_END)? */
NO_COVERAGE static bool descs_ok(const uint8_t *descs, uint64_t n, uint64_t desc_end,
				 uint64_t file_end)
{
	const uint64_t known = DUMP_DH_COMPRESSED_ZLIB | DUMP_DH_COMPRESSED_LZO |
			       DUMP_DH_COMPRESSED_SNAPPY | DUMP_DH_COMPRESSED_ZSTD;

	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *d = descs + i * KDUMP_DESC_SIZE;
		uint64_t off = get_le(d, 8), size = get_le(d + 8, 4), flags = get_le(d + 12, 4);
		if (off < desc_end || off > INT64_MAX || size == 0 || size > KDUMP_PAGE_SIZE ||
		    off + size > file_end || (flags == 0 && size != KDUMP_PAGE_SIZE) ||
		    (flags & (flags - 1)) || (flags & ~known))
			return false;
	}
	return true;
}

static void page_of(uint64_t pfn, uint8_t *p)
{
	for (unsigned i = 0; i < KDUMP_PAGE_SIZE; i += 8) {
		memcpy(p + i, &pfn, 8);
		p[i] ^= (uint8_t)(i >> 3);
	}
}

/* Append every remaining pfn (zero pages and raw pages in turn), finish, and read the dump
 * back whole: the appended pages must read as written. */
static void continue_and_finish(struct kdump_writer *w, uint64_t max_mapnr)
{
	static uint8_t page[KDUMP_PAGE_SIZE], back[KDUMP_PAGE_SIZE];
	uint64_t first = kdump_writer_next_pfn(w), pfn, n = 0;
	struct kdump *k;
	int fd;

	for (pfn = first; pfn < max_mapnr; pfn = kdump_writer_next_pfn(w)) {
		struct kdump_cpage cp = { .zero = pfn % 2 == 0 };
		if (++n > MAX_APPEND)
			return;
		if (!cp.zero) {
			page_of(pfn, page);
			cp = (struct kdump_cpage){ .size = KDUMP_PAGE_SIZE, .data = page };
		}
		if (kdump_writer_append(w, pfn, &cp) != 0)
			__builtin_trap();
	}
	if (kdump_writer_finish(w) != 0)
		__builtin_trap();
	fd = open(part, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || kdump_open(fd, 0, &k, NULL, 0) != 0)
		__builtin_trap();
	n = 0;
	for (pfn = first; pfn < max_mapnr && n < MAX_READBACK; pfn++) {
		if (kdump_pfn_state(k, pfn) != KDUMP_PFN_DUMPED)
			continue;
		page_of(pfn, page);
		if (pfn % 2 == 0)
			memset(page, 0, sizeof(page));
		if (kdump_read_page(k, pfn, back) != 0 || memcmp(page, back, sizeof(page)))
			__builtin_trap();
		n++;
	}
	kdump_close(k);
	close(fd);
}

/* W resumed the file IN[0, INLEN): hold what it says it keeps to the file. */
static void check_resumed(struct kdump_writer *w, const uint8_t *in, size_t inlen)
{
	struct kdump_writer_stats st;
	struct kdump *k;
	uint64_t max_mapnr, next, desc_off, desc_end, keep_end;
	const uint8_t *bm2;
	uint8_t *now;
	size_t nowlen;
	int kfd;

	k = open_original(in, inlen, &kfd);
	if (!k)
		__builtin_trap(); /* resumed what the reader refuses */
	max_mapnr = kdump_get_info(k)->max_mapnr;
	bm2 = kdump_bitmap2(k);
	desc_off = kdump_desc_offset(k);
	desc_end = desc_off + kdump_get_info(k)->nr_dumped * KDUMP_DESC_SIZE;
	next = kdump_writer_next_pfn(w);
	kdump_writer_get_stats(w, &st);
	if (next > max_mapnr || (next < max_mapnr && !kdump_bit_test(bm2, next)) ||
	    st.pages != count_below(bm2, next) || !same_pfns(w, bm2, max_mapnr))
		__builtin_trap();

	/* what it keeps is in the file, as it was, less the dropped descriptors */
	now = read_part(&nowlen);
	keep_end = desc_off + st.pages * KDUMP_DESC_SIZE;
	if (st.file_bytes != nowlen || nowlen > inlen || nowlen < desc_end ||
	    memcmp(now, in, keep_end) || !all_zero(now, keep_end, desc_end) ||
	    memcmp(now + desc_end, in + desc_end, nowlen - desc_end))
		__builtin_trap();
	/* and every descriptor kept points at data kept, as a complete dump needs */
	if (!descs_ok(now + desc_off, st.pages, desc_end, nowlen))
		__builtin_trap();
	free(now);
	kdump_close(k);
	close(kfd);
	continue_and_finish(w, max_mapnr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kdump_writer *w = NULL;
	uint8_t *in, *after;
	size_t len, afterlen;
	char why[256];
	int r;

	if (size < 1)
		return 0;
	len = size - 1;
	in = malloc(len ? len : 1);
	if (!in)
		return 0;
	memcpy(in, data + 1, len);
	if ((data[0] & 1) && len >= KDUMP_PAGE_SIZE) {
		/* right crc32s: the records' fields are what the fuzzer changes */
		uint64_t off = get_le(in + KDUMP_DH(sub_hdr_size), 4) * KDUMP_PAGE_SIZE;
		for (int s = 0; s < 2; s++) {
			uint64_t at = off + (uint64_t)s * KDUMP_RESUME_SLOT_STRIDE;
			if (at + 64 <= len)
				le32_put(in + at + 56, (uint32_t)crc32(0, in + at, 56));
		}
	}
	if (write_part(in, len) < 0)
		abort();
	why[0] = '\0';
	r = kdump_writer_resume(part, NULL, &w, why, sizeof(why));
	if (r < 0) {
		if ((r != -EALREADY && r != -EBADMSG && r != -ENOTSUP && r != -ENOMEM) || !why[0])
			__builtin_trap();
		after = read_part(&afterlen);
		if (afterlen != len || memcmp(after, in, len))
			__builtin_trap(); /* a refusal changes nothing */
		free(after);
	} else {
		if (why[0])
			__builtin_trap();
		check_resumed(w, in, len);
		kdump_writer_free(w);
	}
	free(in);
	return 0;
}
