// SPDX-License-Identifier: GPL-2.0-or-later
// Notes come from QEMU's own dump-guest-memory (about a millisecond for one page): its
// NT_PRSTATUS and "QEMU" CPU-state notes are what crash(8) understands, so they are reused
// byte for byte.  VMCOREINFO is in them only when the guest loaded qemu_fw_cfg; otherwise the
// kernel's own page-aligned copy is found in guest memory.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dump/notes.h"
#include "util/clock.h"
#include "format/elfcore.h"
#include "format/hmpregs.h"
#include "format/vmcoreinfo.h"
#include "util/fsutil.h"
#include "util/log.h"

#define NOTES_DUMP_TIMEOUT_MS 10000
#define NOTES_FDNAME "hvdump-notes"
#define NOTES_MAX_FILE (64u << 20)

void notes_free(struct crash_notes *n)
{
	free(n->buf);
	n->buf = NULL;
	n->len = n->cap = 0;
}

void notes_index(struct crash_notes *n)
{
	struct elfnote e;
	size_t pos = 0;
	const char *text;
	size_t tlen;

	n->ncpus = 0;
	while (elfnote_next(n->buf, n->len, &pos, &e) > 0) {
		struct prstatus ps;
		if (prstatus_decode(&e, &ps) == 0) {
			if (n->ncpus < NOTES_MAX_CPUS)
				n->cpu[n->ncpus] = ps;
			n->ncpus++;
		}
	}
	n->osrelease[0] = '\0';
	if (vmcoreinfo_find(n->buf, n->len, &text, &tlen) == 0 &&
	    vmcoreinfo_get(text, tlen, "OSRELEASE", n->osrelease, sizeof(n->osrelease)) < 0)
		n->osrelease[0] = '\0';
}

int notes_from_qemu(struct qmp *q, const char *path, struct crash_notes *n, char *why,
		    size_t whylen)
{
	struct elfcore_segment *segs = NULL;
	size_t nsegs = 0, flen = 0, need;
	char proto[64], *err = NULL, *file = NULL;
	json_t *args;
	int fd, r;

	memset(n, 0, sizeof(*n));
	/* QEMU writes into a file we created and hand it: it opens nothing in the crash
	 * directory itself */
	fd = open_new_private(path, O_WRONLY);
	if (fd < 0) {
		snprintf(why, whylen, "cannot create %s: %s", path, strerror(-fd));
		return fd;
	}
	r = qmp_getfd(q, NOTES_FDNAME, fd, NOTES_DUMP_TIMEOUT_MS, &err);
	close(fd);
	if (r == 0) {
		snprintf(proto, sizeof(proto), "fd:%s", NOTES_FDNAME);
		args = json_pack("{s:b, s:s, s:I, s:I, s:s}", "paging", 0, "protocol", proto,
				 "begin", (json_int_t)0, "length", (json_int_t)4096, "format", "elf");
		r = qmp_command(q, "dump-guest-memory", args, NOTES_DUMP_TIMEOUT_MS, NULL, &err);
	}
	if (r < 0) {
		snprintf(why, whylen, "QEMU dump-guest-memory failed: %s", err ? err : strerror(-r));
		free(err);
		unlink(path);
		return r;
	}
	r = read_file(path, NOTES_MAX_FILE, &file, &flen);
	if (r < 0) {
		snprintf(why, whylen, "cannot read QEMU's notes file %s: %s", path, strerror(-r));
		return r;
	}
	r = elfcore_parse((const uint8_t *)file, flen, flen, &segs, &nsegs, &need);
	if (r < 0) {
		snprintf(why, whylen, "QEMU's notes file is not a valid ELF core (%s)", strerror(-r));
		goto free_file;
	}
	for (size_t i = 0; i < nsegs; i++) {
		uint8_t *nb;
		if (segs[i].type != PT_LOAD && segs[i].filesz) {
			nb = realloc(n->buf, n->len + segs[i].filesz + VMCOREINFO_MAX + 64);
			if (!nb) {
				r = -ENOMEM;
				goto free_segs;
			}
			n->buf = nb;
			memcpy(n->buf + n->len, file + segs[i].offset, segs[i].filesz);
			n->len += segs[i].filesz;
			n->cap = n->len + VMCOREINFO_MAX + 64;
		}
	}
	if (!n->buf) {
		snprintf(why, whylen, "QEMU's dump has no notes");
		r = -ENODATA;
		goto free_segs;
	}
	{
		/* every note must parse: these bytes go to the capture kernel verbatim */
		struct elfnote e;
		size_t pos = 0;
		while ((r = elfnote_next(n->buf, n->len, &pos, &e)) > 0)
			;
		if (r < 0) {
			snprintf(why, whylen, "QEMU's notes are malformed");
			goto free_segs;
		}
		n->len = pos; /* drop trailing padding */
	}
	notes_index(n);
	if (n->osrelease[0])
		n->vmcoreinfo_source = "qemu";
	r = 0;
free_segs:
	free(segs);
free_file:
	free(file);
	if (r < 0)
		notes_free(n);
	return r;
}

int notes_from_registers(struct qmp *q, struct crash_notes *n, char *why, size_t whylen)
{
	json_t *ret = NULL;
	char *err = NULL;
	const char *text;
	int r;

	memset(n, 0, sizeof(*n));
	r = qmp_command(q, "human-monitor-command",
			json_pack("{s:s}", "command-line", "info registers -a"), NOTES_DUMP_TIMEOUT_MS,
			&ret, &err);
	if (r < 0) {
		snprintf(why, whylen, "info registers failed: %s", err ? err : strerror(-r));
		free(err);
		return r;
	}
	text = json_string_value(ret);
	r = text ? notes_from_hmp(text, strlen(text), n, why, whylen) : -EPROTO;
	if (!text)
		snprintf(why, whylen, "QEMU's info registers gave no text");
	json_decref(ret);
	return r;
}

int notes_from_hmp(const char *text, size_t len, struct crash_notes *n, char *why, size_t whylen)
{
	static struct prstatus cpus[NOTES_MAX_CPUS];
	unsigned ncpus = 0;
	int r;

	memset(n, 0, sizeof(*n));
	r = hmpregs_parse(text, len, cpus, NOTES_MAX_CPUS, &ncpus);
	if (r < 0) {
		snprintf(why, whylen, "cannot parse QEMU's info registers output (%s)", strerror(-r));
		return r;
	}
	n->cap = (size_t)ncpus * elfnote_size("CORE", PRSTATUS_X86_64_SIZE) + VMCOREINFO_MAX + 64;
	n->buf = malloc(n->cap);
	if (!n->buf) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < ncpus; i++) {
		r = prstatus_note_append(n->buf, n->cap, &n->len, &cpus[i]);
		if (r < 0) {
			snprintf(why, whylen, "cannot build the NT_PRSTATUS notes (%s)", strerror(-r));
			notes_free(n);
			return r;
		}
	}
	notes_index(n);
	return 0;
}

int notes_kaslr(const uint8_t *note, size_t len, char *out, size_t outlen)
{
	const char *text;
	size_t tlen;

	if (vmcoreinfo_find(note, len, &text, &tlen) < 0 ||
	    vmcoreinfo_get(text, tlen, "KERNELOFFSET", out, outlen) < 0)
		return -ENOENT;
	return 0;
}

bool notes_is_stale(const struct notes_stale *s, const uint8_t *note, size_t len)
{
	char k[32];

	if (notes_kaslr(note, len, k, sizeof(k)) < 0)
		return false;
	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->kaslr[i], k))
			return true;
	return false;
}

void notes_stale_add(struct notes_stale *s, const struct crash_notes *n)
{
	if (s->n < NOTES_MAX_STALE &&
	    notes_kaslr(n->buf, n->len, s->kaslr[s->n], sizeof(s->kaslr[0])) == 0)
		s->n++;
}

static bool skip_stale(void *ctx, const uint8_t *note, size_t len)
{
	return ctx && notes_is_stale(ctx, note, len);
}

long long notes_scan_buf(const uint8_t *buf, size_t len, size_t avail,
			const struct notes_stale *stale, size_t *note_len)
{
	return vmcoreinfo_scan(buf, len, avail, LAYOUT_PAGE, skip_stale, (void *)stale, note_len);
}

_Static_assert(NOTES_NOTE_READ >= 12 + 12 + VMCOREINFO_MAX, "room for a whole note");

int notes_scan_file(int fd, uint64_t off, uint64_t len, const struct notes_stale *stale,
		    uint8_t *buf, uint64_t *at, size_t *note_len)
{
	uint64_t pos = off, end = off + len;

	/* SEEK_DATA only: it returns at once inside data and crosses a hole in one pass, while
	 * SEEK_HOLE from inside data walks the whole extent (on tmpfs, page by page), which made
	 * a chunk-by-chunk scan quadratic (7 s at 16 GiB) */
	while (pos < end) {
		off_t data = lseek(fd, (off_t)pos, SEEK_DATA);
		uint64_t c, stop;
		ssize_t got;
		long long hit;

		if (data < 0 && errno == ENXIO)
			break; /* no data up to the end of the file */
		if (data < 0)
			data = (off_t)pos; /* cannot tell: read it */
		c = (uint64_t)data & ~(LAYOUT_PAGE - 1);
		if (c < pos)
			c = pos;
		if (c >= end)
			break;
		stop = end - c > NOTES_SCAN_CHUNK ? c + NOTES_SCAN_CHUNK : end;
		stop = (stop + LAYOUT_PAGE - 1) & ~(LAYOUT_PAGE - 1);
		got = pread(fd, buf, (size_t)(stop - c) + NOTES_NOTE_READ, (off_t)c);
		if (got < 0)
			return -errno;
		if ((uint64_t)got < (stop > end ? end : stop) - c)
			return -EIO;
		hit = notes_scan_buf(buf, (size_t)(stop - c), (size_t)got, stale, note_len);
		if (hit >= 0) {
			*at = c + (uint64_t)hit;
			memmove(buf, buf + hit, *note_len); /* for the caller, at the start */
			return 0;
		}
		pos = stop;
	}
	return -ENOENT;
}

int notes_scan_ram(int fd, const struct machine_layout *m, const struct mem_range *ram,
		   size_t nram, const struct notes_stale *stale, uint8_t *buf, uint64_t *at,
		   size_t *note_len)
{
	int r = -ENOENT;

	/* pass 0: memory above 4 GiB (ZONE_NORMAL, where such a kernel allocates first), pass 1:
	 * the rest */
	for (size_t k = 0; k < 2 * nram && r == -ENOENT; k++) {
		size_t i = k % nram;
		uint64_t off, size = ram[i].size;
		if ((k < nram) != (ram[i].start >= LAYOUT_4G))
			continue;
		if (layout_gpa_to_off(m, ram[i].start, &off) < 0 || off >= m->ram_size)
			continue;
		if (size > m->ram_size - off)
			size = m->ram_size - off;
		r = notes_scan_file(fd, off, size, stale, buf, at, note_len);
	}
	return r;
}

int notes_find_vmcoreinfo(struct crash_notes *n, int ram_fd, const struct machine_layout *m,
			  const struct mem_range *ram, size_t nram, const struct notes_stale *stale)
{
	const char *text;
	size_t tlen, note = 0;
	uint8_t *buf;
	uint64_t at = 0;
	long long t0;
	int r = -ENOENT;

	if (vmcoreinfo_find(n->buf, n->len, &text, &tlen) == 0)
		return 0;
	buf = malloc(NOTES_SCAN_BUF);
	if (!buf)
		return -ENOMEM;
	t0 = clock_ms();
	r = notes_scan_ram(ram_fd, m, ram, nram, stale, buf, &at, &note);
	if (r == 0) {
		bool grow = n->len + note > n->cap;
		uint8_t *nb = grow ? realloc(n->buf, n->len + note) : n->buf;
		if (!nb) {
			r = -ENOMEM;
		} else {
			if (grow) {
				n->buf = nb;
				n->cap = n->len + note;
			}
			memcpy(n->buf + n->len, buf, note);
			n->len += note;
			n->vmcoreinfo_source = "guest-memory";
			log_info("VMCOREINFO found in guest memory at 0x%llx in %lld ms",
				 (unsigned long long)layout_off_to_gpa(m, at), clock_ms() - t0);
		}
	}
	free(buf);
	notes_index(n);
	return r;
}

const char *notes_vmcoreinfo(const struct crash_notes *notes, size_t *len)
{
	struct elfnote n;
	size_t pos = 0;

	*len = 0;
	while (notes->buf && elfnote_next(notes->buf, notes->len, &pos, &n) == 1)
		if (elfnote_is(&n, "VMCOREINFO")) {
			*len = n.descsz;
			return (const char *)n.desc;
		}
	return NULL;
}
