/* pagehash.h: 64-bit hashes of 4 KiB pages, and the record file that holds them.
 *
 * Shared by the guest tool (hvdump-vmcheck: hashes every page of /proc/vmcore) and the
 * host tools (tests/tools/pagehash: hashes the crashed RAM file; tests/tools/pagecmp:
 * compares two record files).  See guest/README.md.
 *
 * Hash: pagehash_page(p) is XXH64(p, 4096, seed 0), written out for the fixed length (so it
 * can be cross-checked with `xxhsum -H64`, i.e. `xxhsum -H1`).  Four 64-bit lanes, each
 * word mixed with multiply / rotate / multiply; cheap under TCG emulation.  Within a lane
 * every step is a bijection of both the state and the input word, so two pages that differ
 * in one 64-bit word (a single flipped bit, say) always give different lane states.
 *
 * Record file (all integers little-endian):
 *   header, 32 bytes: char magic[8] = "HVPGHSH1"; uint64 count; uint64 reserved[2] (0)
 *   then count records, 16 bytes each: uint64 paddr; uint64 hash
 * paddr is the guest-physical address of the 4 KiB page.  A file may be longer than
 * 32 + 16 * count (a block device the guest wrote to): the rest is ignored.
 *
 * C11, header-only (static inline).  libc and POSIX (pread/pwrite/fsync) only.
 */
#ifndef HVDUMP_PAGEHASH_H
#define HVDUMP_PAGEHASH_H

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define PAGEHASH_PAGE_SIZE 4096u
#define PAGEHASH_MAGIC "HVPGHSH1"
#define PAGEHASH_MAGIC_LEN 8u
#define PAGEHASH_HEADER_SIZE 32u
#define PAGEHASH_RECORD_SIZE 16u
/* The most records a file may claim: 2^40 pages = 4 PiB of RAM. */
#define PAGEHASH_MAX_COUNT (UINT64_C(1) << 40)

struct pagehash_record {
	uint64_t paddr;
	uint64_t hash;
};

/* ---- the hash ------------------------------------------------------------------------- */

#define PAGEHASH_P1 UINT64_C(0x9E3779B185EBCA87)
#define PAGEHASH_P2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define PAGEHASH_P3 UINT64_C(0x165667B19E3779F9)
#define PAGEHASH_P4 UINT64_C(0x85EBCA77C2B2AE63)

static inline uint64_t pagehash_get_le64(const void *p)
{
	const uint8_t *b = p;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t v;
	memcpy(&v, b, 8);
	return v;
#else
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
#endif
}

static inline void pagehash_put_le64(void *p, uint64_t v)
{
	uint8_t *b = p;
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t pagehash_rotl(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t pagehash_round(uint64_t acc, uint64_t in)
{
	acc += in * PAGEHASH_P2;
	acc = pagehash_rotl(acc, 31);
	return acc * PAGEHASH_P1;
}

static inline uint64_t pagehash_merge(uint64_t h, uint64_t v)
{
	h ^= pagehash_round(0, v);
	return h * PAGEHASH_P1 + PAGEHASH_P4;
}

/* Hash one 4 KiB page (any alignment).  Equals XXH64(page, 4096, 0). */
static inline uint64_t pagehash_page(const void *page4k)
{
	const uint8_t *p = page4k;
	uint64_t v1 = PAGEHASH_P1 + PAGEHASH_P2, v2 = PAGEHASH_P2, v3 = 0, v4 = 0 - PAGEHASH_P1;

	for (size_t i = 0; i < PAGEHASH_PAGE_SIZE; i += 32) {
		v1 = pagehash_round(v1, pagehash_get_le64(p + i));
		v2 = pagehash_round(v2, pagehash_get_le64(p + i + 8));
		v3 = pagehash_round(v3, pagehash_get_le64(p + i + 16));
		v4 = pagehash_round(v4, pagehash_get_le64(p + i + 24));
	}
	uint64_t h = pagehash_rotl(v1, 1) + pagehash_rotl(v2, 7) + pagehash_rotl(v3, 12) +
		     pagehash_rotl(v4, 18);
	h = pagehash_merge(h, v1);
	h = pagehash_merge(h, v2);
	h = pagehash_merge(h, v3);
	h = pagehash_merge(h, v4);
	h += PAGEHASH_PAGE_SIZE;
	h ^= h >> 33;
	h *= PAGEHASH_P2;
	h ^= h >> 29;
	h *= PAGEHASH_P3;
	h ^= h >> 32;
	return h;
}

/* ---- encoding ------------------------------------------------------------------------- */

static inline void pagehash_encode_header(uint8_t out[PAGEHASH_HEADER_SIZE], uint64_t count)
{
	memset(out, 0, PAGEHASH_HEADER_SIZE);
	memcpy(out, PAGEHASH_MAGIC, PAGEHASH_MAGIC_LEN);
	pagehash_put_le64(out + 8, count);
}

/* Check a header.  len: bytes available at buf; file_size: the whole file's size, or
 * UINT64_MAX when unknown (a pipe or a block device).  Returns 0 and sets *count, or -1 and
 * sets *why (a static string). */
static inline int pagehash_decode_header(const uint8_t *buf, size_t len, uint64_t file_size,
					 uint64_t *count, const char **why)
{
	if (len < PAGEHASH_HEADER_SIZE || file_size < PAGEHASH_HEADER_SIZE) {
		*why = "shorter than the 32-byte header";
		return -1;
	}
	if (memcmp(buf, PAGEHASH_MAGIC, PAGEHASH_MAGIC_LEN) != 0) {
		*why = "bad magic (not a " PAGEHASH_MAGIC " record file)";
		return -1;
	}
	uint64_t n = pagehash_get_le64(buf + 8);
	if (n > PAGEHASH_MAX_COUNT) {
		*why = "record count too large";
		return -1;
	}
	if (file_size != UINT64_MAX &&
	    n > (file_size - PAGEHASH_HEADER_SIZE) / PAGEHASH_RECORD_SIZE) {
		*why = "record count exceeds the file size";
		return -1;
	}
	*count = n;
	return 0;
}

static inline void pagehash_encode_record(uint8_t out[PAGEHASH_RECORD_SIZE], uint64_t paddr,
					  uint64_t hash)
{
	pagehash_put_le64(out, paddr);
	pagehash_put_le64(out + 8, hash);
}

static inline struct pagehash_record pagehash_decode_record(const uint8_t *in)
{
	struct pagehash_record r = { pagehash_get_le64(in), pagehash_get_le64(in + 8) };
	return r;
}

/* ---- I/O helpers ---------------------------------------------------------------------- */

/* pwrite()/pread() all of len bytes at off, retrying short transfers and EINTR.  Return 0,
 * or -1 with errno set: ENOSPC when a write makes no progress, 0 when a read hits the end
 * of the file first. */
static inline int pagehash_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static inline int pagehash_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = 0;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* ---- writer --------------------------------------------------------------------------- */

#define PAGEHASH_WRITER_BUF (64u * 1024u)

/* Writes records at offset 32 of an open fd (a file or a block device), then the header.
 * The header goes last, after an fsync, so an interrupted run leaves no valid file: open
 * first writes 32 zero bytes over any old header. */
struct pagehash_writer {
	int fd;
	uint64_t count;
	uint64_t off; /* where the buffer goes */
	size_t used;
	uint8_t buf[PAGEHASH_WRITER_BUF];
};

static inline int pagehash_writer_open(struct pagehash_writer *w, int fd)
{
	static const uint8_t zero[PAGEHASH_HEADER_SIZE];
	w->fd = fd;
	w->count = 0;
	w->off = PAGEHASH_HEADER_SIZE;
	w->used = 0;
	return pagehash_pwrite_full(fd, zero, sizeof(zero), 0);
}

static inline int pagehash_writer_flush(struct pagehash_writer *w)
{
	if (w->used == 0)
		return 0;
	if (pagehash_pwrite_full(w->fd, w->buf, w->used, w->off) < 0)
		return -1;
	w->off += w->used;
	w->used = 0;
	return 0;
}

static inline int pagehash_writer_add(struct pagehash_writer *w, uint64_t paddr, uint64_t hash)
{
	if (w->used + PAGEHASH_RECORD_SIZE > sizeof(w->buf) && pagehash_writer_flush(w) < 0)
		return -1;
	pagehash_encode_record(w->buf + w->used, paddr, hash);
	w->used += PAGEHASH_RECORD_SIZE;
	w->count++;
	return 0;
}

/* Flush, fsync, write the header, fsync.  Does not close the fd. */
static inline int pagehash_writer_finish(struct pagehash_writer *w)
{
	uint8_t hdr[PAGEHASH_HEADER_SIZE];
	if (pagehash_writer_flush(w) < 0 || fsync(w->fd) < 0)
		return -1;
	pagehash_encode_header(hdr, w->count);
	if (pagehash_pwrite_full(w->fd, hdr, sizeof(hdr), 0) < 0 || fsync(w->fd) < 0)
		return -1;
	return 0;
}

/* ---- loader --------------------------------------------------------------------------- */

/* Load a whole record file.  Returns 0 with *recs (malloc'ed, free() it; NULL when count is
 * 0) and *count, or -1 with a message in err. */
static inline int pagehash_load(const char *path, struct pagehash_record **recs,
				uint64_t *count, char *err, size_t errlen)
{
	uint8_t hdr[PAGEHASH_HEADER_SIZE];
	uint8_t *chunk = NULL;
	struct pagehash_record *r = NULL;
	const char *why;
	struct stat st;
	uint64_t n, size = UINT64_MAX;
	int fd = open(path, O_RDONLY);

	*recs = NULL;
	*count = 0;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISREG(st.st_mode))
		size = (uint64_t)st.st_size;
	if (size < PAGEHASH_HEADER_SIZE || pagehash_pread_full(fd, hdr, sizeof(hdr), 0) < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 (size != UINT64_MAX && size < PAGEHASH_HEADER_SIZE) || errno == 0 ?
				 "shorter than the 32-byte header" :
				 strerror(errno));
		goto fail;
	}
	if (pagehash_decode_header(hdr, sizeof(hdr), size, &n, &why) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto fail;
	}
	if (n > SIZE_MAX / sizeof(*r)) {
		snprintf(err, errlen, "%s: too many records", path);
		goto fail;
	}
	if (n > 0) {
		r = malloc((size_t)n * sizeof(*r));
		chunk = malloc(PAGEHASH_WRITER_BUF);
		if (!r || !chunk) {
			snprintf(err, errlen, "%s: out of memory for %llu records", path,
				 (unsigned long long)n);
			goto fail;
		}
	}
	for (uint64_t i = 0; i < n;) {
		uint64_t k = n - i;
		if (k > PAGEHASH_WRITER_BUF / PAGEHASH_RECORD_SIZE)
			k = PAGEHASH_WRITER_BUF / PAGEHASH_RECORD_SIZE;
		if (pagehash_pread_full(fd, chunk, (size_t)k * PAGEHASH_RECORD_SIZE,
					PAGEHASH_HEADER_SIZE + i * PAGEHASH_RECORD_SIZE) < 0) {
			snprintf(err, errlen, "%s: %s", path,
				 errno ? strerror(errno) : "truncated (fewer records than the header says)");
			goto fail;
		}
		for (uint64_t j = 0; j < k; j++)
			r[i + j] = pagehash_decode_record(chunk + j * PAGEHASH_RECORD_SIZE);
		i += k;
	}
	free(chunk);
	close(fd);
	*recs = r;
	*count = n;
	return 0;
fail:
	free(chunk);
	free(r);
	if (fd >= 0)
		close(fd);
	return -1;
}

#endif /* HVDUMP_PAGEHASH_H */
