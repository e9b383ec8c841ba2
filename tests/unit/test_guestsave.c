// SPDX-License-Identifier: GPL-2.0-or-later
// The guest saver's requests served end to end, without QEMU: a RAM file, a preserved crash
// with the segments hvdump wrote, and the port as a socket pair.  The capture guest is
// hostile: it forges the ELF core header in its memory, asks for memory outside its crash,
// and asks again for pages it already released (after writing to them).  Nothing outside the
// crash is freed, and each page is credited once.  The crash record says the guest released
// part of the crash before the first page goes (a save from the kept memory must not write
// zeros for it), and a release that cannot be recorded frees nothing.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "format/elfcore.h"
#include "tap.h"
#include "vm/crashes.h"
#include "vm/guestmem.h"
#include "vm/guestsave.h"
#include "vm/memback.h"

#define MIB (1ull << 20)
#define RAM (64 * MIB)
#define CRASH_AT (16 * MIB)   /* the crash's memory: 8 MiB from here */
#define OTHER_AT (32 * MIB)   /* an older crash's memory, not the guest's */
#define HDR_AT (48 * MIB)     /* the header, in guest memory */

static char path[256], crash_dir[256], rec_path[300];
static int ram_fd, peer;
static struct guestsave g;
static struct crash_list crashes;
static struct memback mb;
static struct machine_layout layout = { .ram_size = RAM, .lowmem = RAM };
static struct guest_mem gm;

static void fill(uint64_t off, uint64_t len)
{
	static char page[4096];

	memset(page, 0x5a, sizeof(page));
	for (uint64_t o = off; o < off + len; o += sizeof(page))
		if (pwrite(ram_fd, page, sizeof(page), (off_t)o) != (ssize_t)sizeof(page))
			tap_diag("cannot write the RAM file");
}

static void write_text(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		tap_diag("cannot write %s", p);
}

static bool file_has(const char *p, const char *what)
{
	char buf[4096];
	FILE *f = fopen(p, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return strstr(buf, what) != NULL;
}

/* Bytes of [OFF, OFF+LEN) the file holds (not holes). */
static uint64_t allocated(uint64_t off, uint64_t len)
{
	uint64_t n = 0, at = off;

	while (at < off + len) {
		off_t d = lseek(ram_fd, (off_t)at, SEEK_DATA), h;
		if (d < 0 || (uint64_t)d >= off + len)
			break;
		h = lseek(ram_fd, d, SEEK_HOLE);
		if ((uint64_t)h > off + len)
			h = (off_t)(off + len);
		n += (uint64_t)(h - d);
		at = (uint64_t)h;
	}
	return n;
}

/* Send LINE, serve it, read the reply into REPLY. */
static void ask(const char *line, char *reply, size_t len, struct gs_outcome *out)
{
	ssize_t n;

	if (write(peer, line, strlen(line)) != (ssize_t)strlen(line))
		tap_diag("cannot write the request");
	guestsave_input(&g, &crashes, &gm, &mb, out);
	n = read(peer, reply, len - 1);
	reply[n > 0 ? n : 0] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
}

/* A header as a hostile guest leaves it: one PT_LOAD claiming the crash's addresses but
 * pointing at the older crash's memory. */
static void forge_header(void)
{
	struct elfcore_load load = { .paddr = CRASH_AT, .size = 8 * MIB, .data_addr = OTHER_AT };
	size_t size = elfcore_header_size(1, 0, 0);
	uint8_t *buf = calloc(1, size);

	if (buf && elfcore_build(buf, size, 0, &load, 1, NULL, 0, NULL) == 0 &&
	    pwrite(ram_fd, buf, size, HDR_AT) == (ssize_t)size)
		tap_ok(1, "a forged header is in guest memory");
	else
		tap_ok(0, "a forged header is in guest memory");
	free(buf);
}

int main(void)
{
	struct elfcore_segment *segs = calloc(2, sizeof(*segs));
	struct gs_outcome out;
	char reply[256];
	int sv[2];

	snprintf(path, sizeof(path), "%s/hvdump-test-gs-XXXXXX", getenv("TMPDIR") ?: "/tmp");
	ram_fd = mkstemp(path);
	if (ram_fd < 0 || ftruncate(ram_fd, RAM) < 0 || !segs ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		tap_skip_all("no temporary file or socket pair");
		return 0;
	}
	snprintf(crash_dir, sizeof(crash_dir), "%s/hvdump-test-gs-dir-XXXXXX",
		 getenv("TMPDIR") ?: "/tmp");
	if (!mkdtemp(crash_dir)) {
		tap_skip_all("no temporary directory");
		return 0;
	}
	snprintf(rec_path, sizeof(rec_path), "%s/crash.json", crash_dir);
	fill(CRASH_AT, 8 * MIB);
	fill(OTHER_AT, 8 * MIB);
	forge_header();
	/* the segments hvdump wrote: its notes, and the crash's 8 MiB where they are */
	segs[0] = (struct elfcore_segment){ .type = PT_NOTE, .offset = HDR_AT + 4096,
					    .filesz = 256, .memsz = 256 };
	segs[1] = (struct elfcore_segment){ .type = PT_LOAD, .offset = CRASH_AT,
					    .paddr = CRASH_AT, .filesz = 8 * MIB, .memsz = 8 * MIB };
	tap_ok(crashes_add(&crashes, crash_dir, 1, HDR_AT, segs, 2) != NULL, "a crash preserved");
	memback_init(&mb, "/nonexistent", RAM, 0, 0);
	gm = (struct guest_mem){ .ram_path = path, .ram_fd = -1, .cur = &layout, .dimms = &mb.dimms };
	guestsave_init(&g);
	g.fd = sv[0];
	fcntl(g.fd, F_SETFL, O_NONBLOCK); /* as the supervisor has it */
	peer = sv[1];

	ask("hello 1\n", reply, sizeof(reply), &out);
	tap_is_str(reply, "ok hvdump 1", "hello");

	/* no record to note the release in: nothing is freed */
	ask("release 1000000 100000\n", reply, sizeof(reply), &out);
	tap_is_str(reply, "err cannot note the release in the crash record",
		   "a release that cannot be noted in the crash record is refused");
	tap_ok(allocated(CRASH_AT, MIB) == MIB && mb.released == 0, "... and frees nothing");
	write_text(rec_path, "{\"format\": \"hvdump-crash-record/1\", \"state\": "
			     "\"capture-running\"}\n");

	ask("release 1000000 100000\n", reply, sizeof(reply), &out);
	tap_is_str(reply, "ok released=1048576", "the first MiB of the crash released");
	tap_ok(crashes.c[0].guest_released && file_has(rec_path, "\"released_by_guest\": true"),
	       "... the record says the guest released part of the crash");
	tap_ok(out.released && out.saved == -1, "... the supervisor is told to give memory back");
	tap_is_int(mb.released, MIB, "... credited once");
	tap_is_int(allocated(CRASH_AT, MIB), 0, "... and freed in the RAM file");
	tap_is_int(allocated(OTHER_AT, 8 * MIB), 8 * MIB,
		   "the forged header's target, another crash's memory, is untouched");

	fill(CRASH_AT, MIB); /* the guest writes to what it released */
	ask("release 1000000 200000\n", reply, sizeof(reply), &out);
	tap_is_str(reply, "ok released=1048576", "released again with the next MiB: only that MiB counts");
	tap_is_int(mb.released, 2 * MIB, "a page released twice is credited once");
	tap_is_int(allocated(CRASH_AT, 2 * MIB), 0, "... but what the guest wrote there is freed");
	fill(CRASH_AT, 4 * MIB);
	for (int i = 0; i < 5; i++)
		ask("release 1000000 200000\n", reply, sizeof(reply), &out);
	tap_is_int(mb.released, 2 * MIB, "five more requests for the same pages: no more credit");

	ask("release 2000000 1000\n", reply, sizeof(reply), &out);
	tap_is_str(reply, "err range is not all memory of the crashed kernel",
		   "the older crash's memory is refused");
	ask("release 17ff000 2000\n", reply, sizeof(reply), &out);
	tap_is_str(reply, "err range is not all memory of the crashed kernel",
		   "a range running past the crash is refused");
	tap_is_int(allocated(OTHER_AT, 8 * MIB), 8 * MIB, "... nothing outside the crash freed");
	tap_is_int(allocated(HDR_AT, 4096), 4096, "... not even the header");
	ask("release 1000001 1000\n", reply, sizeof(reply), &out);
	tap_is_str(reply, "err range must be non-empty and page-aligned", "unaligned: refused");
	for (int i = 0; i < 200; i++)
		ask("release 2000000 1000\n", reply, sizeof(reply), &out);
	tap_ok(g.warns == 200 + 4 && g.unsaid == 200 + 4 - GUESTSAVE_WARNS,
	       "204 refusals: %u logged, %llu counted", GUESTSAVE_WARNS, g.unsaid);
	ask("status\n", reply, sizeof(reply), &out);
	tap_is_str(reply, "ok preserved=1 released=2097152 returned=0", "status");
	ask("bogus\n", reply, sizeof(reply), &out);
	tap_is_str(reply, "err unknown request", "an unknown request");
	ask("done\n", reply, sizeof(reply), &out);
	tap_ok(!strcmp(reply, "ok") && out.saved == 0, "done: the supervisor learns crash 0 is saved");

	close(peer);
	guestsave_close(&g);
	guestmem_close(&gm);
	crashes_clear(&crashes);
	close(ram_fd);
	unlink(path);
	unlink(rec_path);
	rmdir(crash_dir);
	return tap_done();
}
