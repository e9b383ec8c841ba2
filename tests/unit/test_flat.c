// SPDX-License-Identifier: GPL-2.0-or-later
// makedumpfile's flattened format (format/flat.c) on streams built by hand: records in and
// out of order, a hole, a range written again (the later record wins), records split by
// later ones, thousands of random overlapping records; every read checked against the file
// the records rearrange to (and, when makedumpfile is installed, against what
// `makedumpfile -R` makes of the same stream, and a `makedumpfile -F` dump of an ELF
// vmcore read back against the plain file); malformed streams refused with -EBADMSG and a
// reason naming the byte, and so is one record more than FLAT_MAX_RECORDS.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/flat.h"
#include "tap.h"
#include "unit/synth.h"

static char dir[] = "/tmp/hvdump-test-flat.XXXXXX";
static int have_makedumpfile;
static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A stream being built, and the file it rearranges to (the model). */
struct stream {
	uint8_t *buf;
	size_t len, cap;
	uint8_t *want;
	uint64_t want_len;
};

static void put(struct stream *s, const void *p, size_t len)
{
	if (s->len + len > s->cap) {
		s->cap = 2 * (s->len + len);
		s->buf = realloc(s->buf, s->cap);
		if (!s->buf)
			abort();
	}
	memcpy(s->buf + s->len, p, len);
	s->len += len;
}

static void put_be64(struct stream *s, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	put(s, b, 8);
}

static void start(struct stream *s, uint64_t type)
{
	uint8_t head[MAX_SIZE_MDF_HEADER] = "makedumpfile";

	memset(s, 0, sizeof(*s));
	put(s, head, 16);
	put_be64(s, type);
	put_be64(s, VERSION_FLAT_HEADER);
	put(s, head + 32, sizeof(head) - 32);
}

/* A record of LEN bytes for OFF, its data a pattern unique to this record. */
static void record(struct stream *s, uint64_t off, uint64_t len)
{
	uint8_t *data = malloc(len + 1);
	uint64_t x = rnd();

	for (uint64_t i = 0; i < len; i++)
		data[i] = (uint8_t)(x >> (8 * (i % 8))) ^ (uint8_t)i;
	put_be64(s, off);
	put_be64(s, len);
	put(s, data, len);
	if (off + len > s->want_len) {
		s->want = realloc(s->want, off + len);
		memset(s->want + s->want_len, 0, off + len - s->want_len);
		s->want_len = off + len;
	}
	memcpy(s->want + off, data, len);
	free(data);
}

static void end(struct stream *s)
{
	put_be64(s, (uint64_t)END_FLAG_FLAT_HEADER);
	put_be64(s, (uint64_t)END_FLAG_FLAT_HEADER);
}

static void stream_free(struct stream *s)
{
	free(s->buf);
	free(s->want);
}

/* BUF[0, LEN) as a new file of DIR; returns its descriptor (the file stays, for makedumpfile). */
static int file_of(const void *buf, size_t len, const char *name)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		abort();
	return open(path, O_RDONLY);
}

/* Whole-file and random reads of FL against WANT[0, WANT_LEN). */
static void check_reads(const struct flat *fl, int fd, const uint8_t *want, uint64_t want_len,
			const char *name, unsigned nreads)
{
	uint8_t *got = malloc(want_len + 64);
	unsigned bad = 0, io = 0;
	int r;

	tap_is_int(flat_size(fl), want_len, "size is the largest offset + size");
	r = flat_pread(fl, fd, got, want_len, 0);
	tap_ok(r == 0 && memcmp(got, want, want_len) == 0, "%s: the whole file reads back", name);
	for (unsigned k = 0; k < nreads && want_len; k++) {
		uint64_t off = rnd() % want_len;
		size_t len = (size_t)(rnd() % (k % 4 == 0 ? 64 : want_len - off + 1));

		if (off + len > want_len)
			len = (size_t)(want_len - off);
		memset(got, 0xa5, len);
		r = flat_pread(fl, fd, got, len, off);
		if (r != 0 || memcmp(got, want + off, len) != 0)
			bad++;
	}
	tap_ok(bad == 0, "%s: %u random reads match the rearranged file (%u wrong)", name, nreads,
	       bad);
	io += flat_pread(fl, fd, got, 1, want_len) == -EIO;
	io += want_len == 0 || flat_pread(fl, fd, got, 2, want_len - 1) == -EIO;
	io += flat_pread(fl, fd, got, 1, UINT64_MAX) == -EIO;
	io += flat_pread(fl, fd, got, SIZE_MAX, 1) == -EIO;
	io += flat_pread(fl, fd, got, 0, UINT64_MAX) == 0;
	tap_is_int(io, 5, "reads past the end fail with -EIO, empty reads succeed");
	free(got);
}

/* `makedumpfile -R` on NAME's stream must give the same bytes. */
static void check_rearrange(const char *name, const uint8_t *want, uint64_t want_len)
{
	char cmd[1024], out[256];
	uint8_t *got;
	FILE *f;
	size_t n;

	if (!have_makedumpfile)
		return;
	snprintf(out, sizeof(out), "%s/%s.R", dir, name);
	snprintf(cmd, sizeof(cmd), "makedumpfile -R %s <%s/%s >/dev/null 2>&1", out, dir, name);
	if (!tap_ok(system(cmd) == 0, "%s: makedumpfile -R rearranges it", name))
		return;
	got = malloc(want_len + 1);
	f = fopen(out, "rb");
	n = f ? fread(got, 1, want_len + 1, f) : 0;
	if (f)
		fclose(f);
	tap_ok(n == want_len && memcmp(got, want, want_len) == 0,
	       "%s: the model is what makedumpfile -R writes (%zu bytes)", name, n);
	free(got);
	unlink(out);
}

/* Open S (ended by the caller) and check it against its model. */
static void check_stream(struct stream *s, const char *name, unsigned nreads, int oracle)
{
	char why[256] = "";
	struct flat *fl = NULL;
	int fd = file_of(s->buf, s->len, name);
	int r = flat_open(fd, s->len, &fl, why, sizeof(why));

	if (!tap_ok(r == 0, "%s: opens (%d %s)", name, r, why))
		goto close_fd;
	check_reads(fl, fd, s->want, s->want_len, name, nreads);
	if (oracle)
		check_rearrange(name, s->want, s->want_len);
	flat_close(fl);
close_fd:
	close(fd);
}

/* What a kdump writer sends: header, notes, sub header (rewritten at the end), bitmaps,
 * descriptors and data in interleaved 16 KiB pieces; a hole between the bitmaps and the
 * descriptors. */
static void kdump_like(void)
{
	struct stream s;

	start(&s, TYPE_FLAT_HEADER);
	record(&s, 0, 464);
	record(&s, 4096 + 56, 3000);
	record(&s, 4096, 56);
	record(&s, 2 * 4096, 4096);
	record(&s, 3 * 4096, 4096);
	for (unsigned i = 0; i < 8; i++) {
		record(&s, 6 * 4096 + i * 16384, 16384);
		record(&s, 6 * 4096 + 8 * 16384 + 9 * i * 1000, 9 * 1000);
	}
	record(&s, 4096, 56); /* the sub header again, as makedumpfile's eraseinfo update */
	end(&s);
	check_stream(&s, "kdump-like", 3000, 1);
	stream_free(&s);
}

/* Overlaps of every shape, a record of 0 bytes, the same range thrice, records out of order,
 * a hole at the start, bytes after the end marker. */
static void overlaps(void)
{
	struct stream s;

	start(&s, TYPE_FLAT_HEADER);
	record(&s, 1000, 0);
	record(&s, 5000, 3000);   /* split by the next */
	record(&s, 6000, 100);
	record(&s, 9000, 500);
	record(&s, 8500, 2000);   /* covers the one before and more */
	record(&s, 8000, 500);    /* ends where 8500 starts */
	record(&s, 20000, 100);
	record(&s, 20000, 100);
	record(&s, 20000, 100);
	record(&s, 20050, 10);
	record(&s, 4000, 20200);  /* over nearly everything */
	record(&s, 4000, 1);
	record(&s, 24199, 1);
	record(&s, 7000, 3);
	record(&s, 30000, 7);     /* the last byte of the file, after a hole */
	record(&s, 29999, 1);
	end(&s);
	check_stream(&s, "overlaps", 3000, 0); /* makedumpfile -R stops at a 0-byte record */
	put(&s, "trailing garbage", 16);
	check_stream(&s, "trailing", 200, 0);
	stream_free(&s);
}

/* Many random records over a small range, so nearly every one overlaps others. */
static void random_streams(void)
{
	for (unsigned k = 0; k < 6; k++) {
		struct stream s;
		char name[32];
		unsigned n = k < 3 ? 40 : 2500;
		uint64_t span = k % 3 == 0 ? 4096 : k % 3 == 1 ? 65536 : 1u << 20;

		start(&s, TYPE_FLAT_HEADER);
		for (unsigned i = 0; i < n; i++) {
			uint64_t len = 1 + rnd() % (i % 7 == 0 ? span / 2 : span / 64 + 1);
			record(&s, rnd() % span, len);
		}
		end(&s);
		snprintf(name, sizeof(name), "random-%u", k);
		check_stream(&s, name, 2000, k == 1 || k == 4);
		stream_free(&s);
	}
}

static void empty(void)
{
	struct stream s;
	struct flat *fl = NULL;
	uint8_t b[4];
	int fd, r;

	start(&s, TYPE_FLAT_HEADER);
	end(&s);
	fd = file_of(s.buf, s.len, "empty");
	r = flat_open(fd, s.len, &fl, NULL, 0);
	tap_ok(r == 0 && flat_size(fl) == 0, "no records: an empty file");
	tap_ok(r == 0 && flat_pread(fl, fd, b, 1, 0) == -EIO && flat_pread(fl, fd, b, 0, 0) == 0,
	       "no records: a read of 1 byte fails, of 0 bytes succeeds");
	flat_close(fl);
	/* a file shorter than the caller says: an I/O error, not a malformed file */
	r = flat_open(fd, s.len + 100, &fl, NULL, 0);
	tap_is_int(r, -EIO, "a file shorter than FILE_SIZE: -EIO");
	close(fd);
	stream_free(&s);
	flat_close(NULL);
}

static void detect(void)
{
	uint8_t b[32] = "makedumpfile";

	tap_ok(flat_detect(b, sizeof(b)) == 1, "flat_detect: the signature");
	tap_ok(flat_detect(b, 12) == 0, "flat_detect: 12 bytes are too few");
	b[12] = '!';
	tap_ok(flat_detect(b, sizeof(b)) == 0, "flat_detect: the signature needs its NUL");
	tap_ok(flat_detect((const uint8_t *)"KDUMP   \x06", 9) == 0 &&
	       flat_detect((const uint8_t *)"\177ELF\2\1\1\0\0\0\0\0\0\0\0\0", 16) == 0,
	       "flat_detect: not kdump-compressed, not ELF");
}

/* S must be refused with -EBADMSG and a reason holding NEEDLE. */
static void refused(struct stream *s, const char *name, const char *needle)
{
	char why[256] = "";
	struct flat *fl = (struct flat *)1;
	int fd = file_of(s->buf, s->len, "bad");
	int r = flat_open(fd, s->len, &fl, why, sizeof(why));

	tap_ok(r == -EBADMSG && fl == NULL && strstr(why, needle), "refused: %s (%d: %s)", name,
	       r, why);
	close(fd);
	stream_free(s);
}

/* A stream whose one record (after a good one at 4096) has header OFF, SIZE and DATA bytes. */
static void bad_record(uint64_t off, uint64_t size, size_t data, int with_end, const char *name,
		       const char *needle)
{
	struct stream s;
	uint8_t zero[64] = { 0 };

	start(&s, TYPE_FLAT_HEADER);
	record(&s, 0, 100);
	put_be64(&s, off);
	put_be64(&s, size);
	put(&s, zero, data);
	if (with_end)
		end(&s);
	refused(&s, name, needle);
}

static void malformed(void)
{
	struct stream s;

	start(&s, TYPE_FLAT_HEADER);
	s.len = 4095;
	refused(&s, "shorter than the flat header", "4095 bytes");
	start(&s, TYPE_FLAT_HEADER);
	s.buf[3] = 'D';
	end(&s);
	refused(&s, "a wrong signature", "signature");
	start(&s, TYPE_FLAT_HEADER);
	s.buf[12] = '2';
	end(&s);
	refused(&s, "the signature without its NUL", "signature");
	start(&s, 2);
	end(&s);
	refused(&s, "type 2", "type at byte 16 is 2");
	start(&s, 1ull << 56);
	end(&s);
	refused(&s, "type 1 little-endian", "type at byte 16");
	start(&s, TYPE_FLAT_HEADER);
	refused(&s, "no record and no end marker", "no end marker: the file ends at byte 4096");
	start(&s, TYPE_FLAT_HEADER);
	record(&s, 0, 10);
	refused(&s, "no end marker", "ends at byte 4122 after 1 records");
	bad_record(0, (uint64_t)-5, 0, 1, "a negative size", "byte 4212 has a negative size (-5)");
	bad_record((uint64_t)-4096, 5, 5, 1, "a negative offset", "negative offset (-4096)");
	bad_record((uint64_t)-1, 0, 0, 1, "half an end marker", "byte 4212 has a negative offset");
	bad_record(0, (uint64_t)-1, 0, 1, "the other half", "negative size (-1)");
	bad_record(INT64_MAX, 1, 1, 1, "offset + size overflows", "byte 4212: offset");
	bad_record(1ull << 62, (1ull << 62) + (1ull << 61) + 1, 0, 1, "a huge sum overflows",
		   "overflows");
	bad_record(100, 64, 40, 0, "a record past the end of the file",
		   "byte 4212: its 64 bytes run past the end of the file (4268 bytes)");
	bad_record(100, 1ull << 40, 64, 1, "a record of a terabyte", "run past the end");
	start(&s, TYPE_FLAT_HEADER);
	record(&s, 0, 100);
	put_be64(&s, 5);
	refused(&s, "a record header cut short", "record header at byte 4212 is cut short");
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	*len = 0;
	if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && (buf = malloc((size_t)n))) {
		rewind(f);
		*len = fread(buf, 1, (size_t)n, f);
	}
	if (f)
		fclose(f);
	return buf;
}

/* DIR/FLAT, read in place, must be DIR/PLAIN byte for byte. */
static void same_as(const char *flat, const char *plain, const char *name)
{
	char path[256], why[256] = "";
	struct flat *fl = NULL;
	uint8_t *want, *got = NULL;
	size_t want_len;
	struct stat st;
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", dir, plain);
	want = slurp(path, &want_len);
	snprintf(path, sizeof(path), "%s/%s", dir, flat);
	fd = open(path, O_RDONLY);
	r = fd >= 0 && fstat(fd, &st) == 0 ? flat_open(fd, (uint64_t)st.st_size, &fl, why,
						       sizeof(why)) : -errno;
	if (tap_ok(r == 0 && want_len > 0, "%s: makedumpfile -F's file opens (%d %s)", name, r,
		   why)) {
		got = malloc(want_len);
		tap_is_int(flat_size(fl), want_len, "makedumpfile -F: the size of the plain file");
		tap_ok(flat_size(fl) == want_len && flat_pread(fl, fd, got, want_len, 0) == 0 &&
		       memcmp(got, want, want_len) == 0, "%s: reads back byte for byte as %s", name,
		       plain);
		flat_close(fl);
	}
	if (fd >= 0)
		close(fd);
	free(got);
	free(want);
}

/* A sparse file of zeros after the header is FLAT_MAX_RECORDS records of 0 bytes at offset 0:
 * with an end marker after them it is an empty file; one record more is refused. */
static void too_many(void)
{
	uint64_t end_at = MAX_SIZE_MDF_HEADER + (uint64_t)FLAT_MAX_RECORDS * 16;
	uint8_t zeros[16] = { 0 };
	struct flat *fl = NULL;
	char path[256], why[256] = "";
	struct stream s;
	int fd, r;

	start(&s, TYPE_FLAT_HEADER);
	end(&s);
	snprintf(path, sizeof(path), "%s/many", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	r = fd >= 0 && pwrite(fd, s.buf, s.len, 0) == (ssize_t)s.len &&
	    pwrite(fd, s.buf + MAX_SIZE_MDF_HEADER, 16, (off_t)end_at) == 16 &&
	    pwrite(fd, zeros, 16, MAX_SIZE_MDF_HEADER) == 16;
	if (!tap_ok(r, "a sparse file of %u records", FLAT_MAX_RECORDS))
		goto close_fd;
	r = flat_open(fd, end_at + 16, &fl, why, sizeof(why));
	tap_ok(r == 0 && flat_size(fl) == 0, "%u records of 0 bytes: an empty file (%d %s)",
	       FLAT_MAX_RECORDS, r, why);
	flat_close(fl);
	r = pwrite(fd, zeros, 16, (off_t)end_at) == 16 &&
	    pwrite(fd, s.buf + MAX_SIZE_MDF_HEADER, 16, (off_t)end_at + 16) == 16;
	r = r ? flat_open(fd, end_at + 32, &fl, why, sizeof(why)) : -EIO;
	tap_ok(r == -EBADMSG && strstr(why, "at byte 268439552 is one more than the 16777216"),
	       "one record more is refused (%d %s)", r, why);
close_fd:
	if (fd >= 0)
		close(fd);
	unlink(path);
	stream_free(&s);
}

/* makedumpfile -F of an ELF vmcore (synthetic: it has VMCOREINFO and page tables, no struct
 * pages, so dump level 0 or 1), read in place: as ELF (-E; makedumpfile 1.7.2 writes the
 * program headers twice, the second record over the first) against makedumpfile's plain
 * file of the same dump; as kdump-compressed (zlib) against `makedumpfile -R` of it (two
 * runs of makedumpfile stamp different times into the header). */
static void real_makedumpfile(void)
{
	struct synth sy;
	char cmd[1024];
	uint8_t *img;
	size_t len;

	if (!have_makedumpfile)
		return;
	if (synth_init(&sy, 1u << 20, 4) < 0)
		abort();
	for (uint64_t a = 0x1000; a < 0x80000; a += 8)
		synth_put(sy.mem + a, a * 0x9E3779B97F4A7C15ull, 8);
	img = synth_elf(&sy, 2, &len);
	close(file_of(img, len, "in.elf"));
	snprintf(cmd, sizeof(cmd),
		 "cd %s && makedumpfile -E -d 0 in.elf plain.elf >/dev/null 2>&1 && "
		 "makedumpfile -F -E -d 0 in.elf >flat.elf 2>/dev/null", dir);
	if (tap_ok(system(cmd) == 0, "makedumpfile writes a plain and a flattened ELF dump"))
		same_as("flat.elf", "plain.elf", "ELF");
	snprintf(cmd, sizeof(cmd),
		 "cd %s && makedumpfile -F -c -d 1 in.elf >flat.kdump 2>/dev/null && "
		 "makedumpfile -R rearranged.kdump <flat.kdump >/dev/null 2>&1", dir);
	if (tap_ok(system(cmd) == 0, "makedumpfile writes a flattened kdump-compressed dump"))
		same_as("flat.kdump", "rearranged.kdump", "kdump-compressed");
	free(img);
	synth_free(&sy);
}

int main(void)
{
	char cmd[600];

	if (!mkdtemp(dir))
		return 1;
	have_makedumpfile = system("command -v makedumpfile >/dev/null 2>&1") == 0;
	if (!have_makedumpfile)
		tap_diag("makedumpfile not installed: its cross-checks are skipped");
	detect();
	kdump_like();
	overlaps();
	random_streams();
	empty();
	malformed();
	too_many();
	real_makedumpfile();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	return tap_done();
}
