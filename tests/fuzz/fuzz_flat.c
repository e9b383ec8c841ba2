// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: makedumpfile's flattened format (format/flat.c) read in place.  First
// byte: flags (bit 0: the target writes a right 4096-byte flat header and the input is the
// records after it, so the fuzzer spends its bytes on records; else the input is the whole
// file), written to a memfd.  The target walks the records itself, the simple way, and traps
// when flat.h's promises break: flat_open accepts what the walk refuses or refuses what it
// accepts, returns other than 0, -EBADMSG or -ENOMEM, or fails without a reason; the size is
// not the largest offset + size; a read does not give the bytes the last record over them
// wrote (zeros where none did), or a read past the size does not fail with -EIO.
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format/flat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECS 4096
#define PAINT_MAX (1u << 20) /* rearranged files up to this size are painted whole */

struct rec {
	uint64_t off, len, pos;
};

static int fd = -1;
static uint8_t *file;         /* what was written to fd */
static size_t file_len;
static struct rec recs[MAX_RECS];
static size_t nrecs;

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The reference walk: 1 when the file is well formed (recs[] and *SIZE filled), else 0.
 * -1 for more records than this target keeps (no verdict). */
static int walk(uint64_t *size)
{
	size_t at = MAX_SIZE_MDF_HEADER;

	nrecs = 0;
	*size = 0;
	if (file_len < MAX_SIZE_MDF_HEADER || memcmp(file, "makedumpfile", 13) != 0 ||
	    be64(file + 16) != 1)
		return 0;
	for (;;) {
		if (file_len - at < 16)
			return 0;
		int64_t off = (int64_t)be64(file + at), len = (int64_t)be64(file + at + 8);
		if (off == -1 && len == -1)
			return 1;
		at += 16;
		if (off < 0 || len < 0 || off > INT64_MAX - len || (uint64_t)len > file_len - at)
			return 0;
		if (nrecs == MAX_RECS)
			return -1;
		if (len > 0) {
			recs[nrecs++] = (struct rec){ (uint64_t)off, (uint64_t)len, at };
			if ((uint64_t)(off + len) > *size)
				*size = (uint64_t)(off + len);
		}
		at += (size_t)len;
	}
}

/* The byte at X of the rearranged file: the last record over it, or 0. */
static uint8_t byte_at(uint64_t x)
{
	for (size_t i = nrecs; i-- > 0;)
		if (x >= recs[i].off && x - recs[i].off < recs[i].len)
			return file[recs[i].pos + (x - recs[i].off)];
	return 0;
}

static void check_window(const struct flat *f, uint64_t size, uint64_t at, size_t len)
{
	uint8_t got[48];

	if (at >= size)
		return;
	if (len > sizeof(got))
		len = sizeof(got);
	if (len > size - at)
		len = (size_t)(size - at);
	if (flat_pread(f, fd, got, len, at) != 0)
		__builtin_trap();
	for (size_t i = 0; i < len; i++)
		if (got[i] != byte_at(at + i))
			__builtin_trap();
}

/* The whole file painted record by record, then read back whole and in pieces. */
static void check_painted(const struct flat *f, uint64_t size)
{
	static uint8_t want[PAINT_MAX], got[PAINT_MAX];

	memset(want, 0, size);
	for (size_t i = 0; i < nrecs; i++)
		memcpy(want + recs[i].off, file + recs[i].pos, recs[i].len);
	if (flat_pread(f, fd, got, size, 0) != 0 || memcmp(got, want, size) != 0)
		__builtin_trap();
	for (uint64_t at = 0, step = 1 + size / 61; at < size; at += step) {
		size_t len = (size_t)(size - at < 2 * step ? size - at : 2 * step);
		if (flat_pread(f, fd, got, len, at) != 0 || memcmp(got, want + at, len) != 0)
			__builtin_trap();
	}
}

static void check(void)
{
	struct flat *f = NULL;
	char why[256] = "";
	uint64_t size;
	uint8_t b[2];
	int ok = walk(&size);
	int r = flat_open(fd, file_len, &f, why, sizeof(why));

	if (r != 0 && r != -EBADMSG && r != -ENOMEM)
		__builtin_trap();
	if ((r < 0) != (f == NULL) || (r < 0 && !why[0]))
		__builtin_trap();
	if (ok >= 0 && (r == 0) != ok && r != -ENOMEM)
		__builtin_trap(); /* the walks disagree */
	if (r < 0)
		return;
	if (ok > 0 && flat_size(f) != size)
		__builtin_trap();
	size = flat_size(f);
	if (flat_pread(f, fd, b, 1, size) != -EIO || (size && flat_pread(f, fd, b, 2, size - 1) != -EIO))
		__builtin_trap();
	if (ok > 0) {
		if (size <= PAINT_MAX)
			check_painted(f, size);
		for (size_t i = 0; i < nrecs && i < 64; i++) {
			check_window(f, size, recs[i].off > 8 ? recs[i].off - 8 : 0, 24);
			check_window(f, size, recs[i].off + recs[i].len - 8, 24);
		}
	}
	flat_close(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t head;

	if (size < 1)
		return 0;
	if (fd < 0) {
		fd = memfd_create("fuzz_flat", MFD_CLOEXEC);
		if (fd < 0)
			abort(); /* the harness, not the input */
	}
	head = data[0] & 1 ? MAX_SIZE_MDF_HEADER : 0;
	free(file);
	file_len = head + size - 1;
	file = calloc(1, file_len + 1);
	if (!file)
		abort();
	if (head) {
		memcpy(file, "makedumpfile", 13);
		file[23] = TYPE_FLAT_HEADER;
		file[31] = VERSION_FLAT_HEADER;
	}
	memcpy(file + head, data + 1, size - 1);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, file, file_len, 0) != (ssize_t)file_len)
		abort();
	check();
	return 0;
}
