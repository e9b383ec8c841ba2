// SPDX-License-Identifier: GPL-2.0-or-later
// Finding a kernel's VMCOREINFO note in guest memory (notes_scan_file, notes_scan_buf): a
// sparse file like a RAM file on tmpfs, with holes, decoys, a note of an earlier kernel
// (stale), a note running past its page and one across the scan's chunk edge.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump/notes.h"
#include "tap.h"

#define PAGE 4096u

/* A page-aligned VMCOREINFO note whose text is OSRELEASE=6.1.0 plus KERNELOFFSET=KASLR, padded
 * with PAD more lines (so it may run past its page). */
static size_t make_note(uint8_t *out, const char *kaslr, size_t pad)
{
	char text[8192];
	size_t tl, n;
	uint32_t h[3];

	tl = (size_t)snprintf(text, sizeof(text), "OSRELEASE=6.1.0\nKERNELOFFSET=%s\n", kaslr);
	while (pad-- && tl + 21 <= 4096)
		tl += (size_t)snprintf(text + tl, sizeof(text) - tl, "NUMBER(pad)=%08zu\n", pad);
	h[0] = 11;
	h[1] = (uint32_t)tl;
	h[2] = 0;
	memcpy(out, h, 12);
	memcpy(out + 12, "VMCOREINFO\0\0", 12);
	memcpy(out + 24, text, tl);
	n = 24 + ((tl + 3) & ~3u);
	return n;
}

static int put(int fd, uint64_t off, const void *buf, size_t len)
{
	return pwrite(fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -1;
}

int main(void)
{
	char path[] = "/tmp/hvdump-notes-scan.XXXXXX";
	int fd = mkstemp(path);
	uint8_t note[8192], junk[PAGE], *buf = malloc(NOTES_SCAN_BUF);
	struct notes_stale stale = { .n = 0 };
	uint64_t at = 0;
	size_t len = 0, n;
	int r;

	if (fd < 0 || !buf) {
		tap_skip_all("no temporary file");
		return 77;
	}
	unlink(path);
	/* 64 MiB, sparse: data only where written */
	if (ftruncate(fd, 64u << 20) < 0)
		return 1;

	r = notes_scan_file(fd, 0, 64u << 20, NULL, buf, &at, &len);
	tap_ok(r == -ENOENT, "an empty (all-hole) file has no note (%d)", r);

	/* decoys: a page of data, a page with the name but no OSRELEASE text */
	memset(junk, 0x5a, sizeof(junk));
	put(fd, 1u << 20, junk, sizeof(junk));
	n = make_note(note, "1a000000", 0);
	memcpy(note + 24, "NOTRELEASE", 10);
	put(fd, 2u << 20, note, n);
	r = notes_scan_file(fd, 0, 64u << 20, NULL, buf, &at, &len);
	tap_ok(r == -ENOENT, "data and a malformed note are not taken for a note (%d)", r);

	/* an earlier kernel's note low, the live kernel's higher, past a chunk edge */
	n = make_note(note, "2c000000", 0);
	put(fd, 3u << 20, note, n);
	strcpy(stale.kaslr[stale.n++], "2c000000");
	n = make_note(note, "3e000000", 200); /* longer than a page */
	tap_ok(n > PAGE, "the live note runs past its page (%zu bytes)", n);
	put(fd, (uint64_t)NOTES_SCAN_CHUNK + (8u << 20) - PAGE, note, n);
	r = notes_scan_file(fd, 0, 64u << 20, &stale, buf, &at, &len);
	tap_ok(r == 0 && at == (uint64_t)NOTES_SCAN_CHUNK + (8u << 20) - PAGE && len == n,
	       "the live kernel's note is found, the stale one skipped (at 0x%llx, %zu bytes)",
	       (unsigned long long)at, len);
	tap_ok(r == 0 && memcmp(buf, note, n) == 0, "the note is handed back at the start of the buffer");
	r = notes_scan_file(fd, 0, 64u << 20, NULL, buf, &at, &len);
	tap_ok(r == 0 && at == (3u << 20), "without the stale list the lowest note wins (at 0x%llx)",
	       (unsigned long long)at);

	/* a window that starts inside data and ends before the note */
	r = notes_scan_file(fd, (3u << 20) + PAGE, 4u << 20, &stale, buf, &at, &len);
	tap_ok(r == -ENOENT, "a range below the note does not find it (%d)", r);
	/* a range that ends past the file's end */
	r = notes_scan_file(fd, 60u << 20, 16u << 20, NULL, buf, &at, &len);
	tap_ok(r == -ENOENT, "a range past the end of the file is no error (%d)", r);

	/* the buffer scanner alone: the note in the last page, truncated by AVAIL */
	memset(buf, 0, 4 * PAGE);
	n = make_note(note, "4f000000", 0);
	memcpy(buf + 3 * PAGE, note, n);
	tap_ok(notes_scan_buf(buf, 4 * PAGE, 4 * PAGE, NULL, &len) == 3 * PAGE,
	       "notes_scan_buf finds a note in the last page");
	tap_ok(notes_scan_buf(buf, 4 * PAGE, 3 * PAGE + 40, NULL, &len) == -1,
	       "a note cut short by the readable length is refused");
	tap_ok(notes_scan_buf(buf, 3 * PAGE, 4 * PAGE, NULL, &len) == -1,
	       "only pages that start inside LEN are looked at");
	close(fd);
	free(buf);
	return tap_done();
}
