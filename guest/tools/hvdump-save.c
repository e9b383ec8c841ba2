// SPDX-License-Identifier: GPL-2.0-or-later
// hvdump-save: the guest saver (DESIGN.md section 4).  Runs in the capture guest, saves
// /proc/vmcore as a kdump-compressed file with src/format/kdump.h, and after each durable
// checkpoint asks the host, over the virtio-serial port "org.hvdump.save", to release the
// crashed memory it has saved: phyp's `echo START SIZE > /sys/kernel/release_region`.
//
//   hvdump-save [options] OUT        (options: usage() below; guest/README.md)
//
// OUT is a block device used as the file (a raw virtio disk, /dev/vdb) or a regular file,
// then written as OUT.part and renamed to OUT when complete.  The vmcore is untrusted: every
// header field is checked before use.  Built statically into the demo initramfs
// (Makefile target build/guest/hvdump-save); builds and runs on the host too, for tests.
//
// The protocol: one "\n"-terminated ASCII request at a time, one answer line each, 30 s to
// answer.  "hello 1" -> "ok hvdump 1"; "release 0xPADDR 0xSIZE" -> "ok released=BYTES";
// "done" -> "ok"; "status" -> "ok TEXT".  An answer starting with "err" (or none) ends the
// releasing; the dump itself is saved regardless.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/elfcore.h"
#include "format/kdump.h"
#include "format/kdump_disk.h"
#include "format/kdump_pool.h"
#include "format/kallsyms.h"
#include "format/vmcoreinfo.h"
#include "saveport.h"

#define PAGE KDUMP_PAGE_SIZE
#define CHUNK_PAGES 4096u                /* 16 MiB read, compressed and appended at a time */
#define MAX_THREADS 8
#define MAX_PHDR_BYTES (4u << 20)        /* 65535 program headers fit */
#define MAX_PADDR (UINT64_C(1) << 52)    /* x86-64 physical addresses */

enum { EXIT_SAVED = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_SAVED_NO_RELEASE = 3 };

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("hvdump-guest: save ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* ---- the vmcore ------------------------------------------------------------------------ */

struct load {
	uint64_t paddr, memsz, offset, filesz;
};

struct range {
	uint64_t start, end;          /* [start, end): pfns or bytes, as the user says */
};

struct core {
	int fd;
	uint64_t size;
	struct load *loads;           /* by paddr; if they overlap (malformed), either may win */
	size_t nloads;
	uint8_t *notes;               /* the well-formed notes of every PT_NOTE, in order */
	size_t notes_len;
	struct range *pfns;           /* merged pfn runs holding any byte of a load */
	size_t npfns;
	struct range *rel;            /* merged byte ranges of the loads, rounded inward to pages:
				       * what may be released once saved */
	size_t nrel;
	uint64_t max_pfn, pages;
};

static int cmp_load(const void *a, const void *b)
{
	const struct load *x = a, *y = b;

	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

/* Append SRC[0, LEN)'s well-formed notes (up to the first malformed or zero one) to C. */
static int core_add_notes(struct core *c, const uint8_t *src, size_t len)
{
	size_t pos = 0, good = 0;
	struct elfnote n;
	uint8_t *p;

	while (elfnote_next(src, len, &pos, &n) == 1)
		good = pos;
	if (good == 0)
		return 0;
	if (good > KDUMP_NOTES_MAX - c->notes_len)
		return -E2BIG;
	p = realloc(c->notes, c->notes_len + good);
	if (!p)
		return -ENOMEM;
	memcpy(p + c->notes_len, src, good);
	c->notes = p;
	c->notes_len += good;
	return 0;
}

static void core_close(struct core *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->loads);
	free(c->notes);
	free(c->pfns);
	free(c->rel);
}

/* C's pfn runs (any byte of a load) and releasable byte ranges (whole pages of loads), from
 * its loads sorted by paddr.  0 or -ENOMEM. */
static int core_ranges(struct core *c)
{
	struct range bytes = { 1, 0 };

	c->pfns = calloc(c->nloads, sizeof(*c->pfns));
	c->rel = calloc(c->nloads, sizeof(*c->rel));
	if (!c->pfns || !c->rel)
		return -ENOMEM;
	for (size_t i = 0; i <= c->nloads; i++) {
		const struct load *l = i < c->nloads ? &c->loads[i] : NULL;
		uint64_t s = 0, e = 0;

		if (l) {
			s = l->paddr / PAGE;
			e = (l->paddr + l->memsz + PAGE - 1) / PAGE;
			if (c->npfns && s <= c->pfns[c->npfns - 1].end) {
				if (e > c->pfns[c->npfns - 1].end)
					c->pfns[c->npfns - 1].end = e;
			} else {
				c->pfns[c->npfns++] = (struct range){ s, e };
			}
			if (bytes.start <= bytes.end && l->paddr <= bytes.end) {
				if (l->paddr + l->memsz > bytes.end)
					bytes.end = l->paddr + l->memsz;
				continue;
			}
		}
		if (bytes.start <= bytes.end) {
			uint64_t rs = (bytes.start + PAGE - 1) / PAGE * PAGE;
			uint64_t re = bytes.end / PAGE * PAGE;
			if (rs < re)
				c->rel[c->nrel++] = (struct range){ rs, re };
		}
		if (l)
			bytes = (struct range){ l->paddr, l->paddr + l->memsz };
	}
	for (size_t i = 0; i < c->npfns; i++)
		c->pages += c->pfns[i].end - c->pfns[i].start;
	c->max_pfn = c->pfns[c->npfns - 1].end;
	return 0;
}

/* Open and check PATH, an ELF64 core; WHY says what is wrong on failure. */
static int core_open(const char *path, struct core *c, char *why, size_t whylen)
{
	struct elfcore_segment *segs = NULL;
	size_t nsegs = 0, need = 0, hlen;
	uint8_t *hdr = NULL, *nbuf = NULL;
	struct stat st;
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0 || fstat(c->fd, &st) < 0) {
		ret = -errno;
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	c->size = (uint64_t)st.st_size;

	/* the ELF header, then again with all program headers if they did not fit */
	hlen = c->size < 65536 ? (size_t)c->size : 65536;
	for (int pass = 0; pass < 2; pass++) {
		free(hdr);
		ret = -ENOMEM;
		hdr = malloc(hlen ? hlen : 1);
		if (!hdr)
			goto fail;
		ret = kdump_pread_full(c->fd, hdr, hlen, 0);
		if (ret < 0) {
			snprintf(why, whylen, "%s: reading the ELF header: %s", path, strerror(-ret));
			goto fail;
		}
		ret = elfcore_parse(hdr, hlen, c->size, &segs, &nsegs, &need);
		if (ret != -ENODATA || need <= hlen || need > MAX_PHDR_BYTES || need > c->size)
			break;
		hlen = need;
	}
	if (ret < 0) {
		snprintf(why, whylen, "%s: %s", path,
			 ret == -ENOEXEC ? "not an ELF file" :
			 ret == -EPROTONOSUPPORT ? "not a little-endian ELF64 x86-64 file" :
			 ret == -ENODATA ? "truncated ELF header" :
			 ret == -EINVAL ? "not an ELF core, or a program header points outside it" :
			 strerror(-ret));
		goto fail;
	}

	ret = -ENOMEM;
	c->loads = calloc(nsegs ? nsegs : 1, sizeof(*c->loads));
	if (!c->loads)
		goto fail;
	for (size_t i = 0; i < nsegs; i++) {
		const struct elfcore_segment *s = &segs[i];
		uint64_t end;

		if (s->type == PT_NOTE) {
			if (s->filesz > KDUMP_NOTES_MAX) {
				ret = -E2BIG;
				snprintf(why, whylen, "PT_NOTE of %" PRIu64 " bytes: too large",
					 s->filesz);
				goto fail;
			}
			ret = -ENOMEM;
			free(nbuf);
			nbuf = malloc(s->filesz ? (size_t)s->filesz : 1);
			if (!nbuf)
				goto fail;
			/* elfcore_parse checked offset + filesz against the file size */
			if ((ret = kdump_pread_full(c->fd, nbuf, (size_t)s->filesz, s->offset)) < 0 ||
			    (ret = core_add_notes(c, nbuf, (size_t)s->filesz)) < 0) {
				snprintf(why, whylen, "reading the notes: %s", strerror(-ret));
				goto fail;
			}
			continue;
		}
		if (s->type != PT_LOAD || s->memsz == 0)
			continue;
		if (__builtin_add_overflow(s->paddr, s->memsz, &end) ||
		    end > MAX_PADDR) {
			ret = -EINVAL;
			snprintf(why, whylen, "PT_LOAD at 0x%" PRIx64 " size 0x%" PRIx64
				 ": beyond the physical address space", s->paddr, s->memsz);
			goto fail;
		}
		c->loads[c->nloads++] = (struct load){ s->paddr, s->memsz, s->offset, s->filesz };
	}
	if (c->nloads == 0) {
		ret = -EINVAL;
		snprintf(why, whylen, "%s has no PT_LOAD", path);
		goto fail;
	}
	qsort(c->loads, c->nloads, sizeof(*c->loads), cmp_load);

	ret = core_ranges(c);
	if (ret < 0)
		goto fail;
	free(nbuf);
	free(segs);
	free(hdr);
	return 0;

fail:
	free(nbuf);
	free(segs);
	free(hdr);
	core_close(c);
	c->fd = -1;
	return ret;
}

/* Fill BUF with pages [PFN, PFN + N): the loads' file bytes where they cover them, zeros
 * elsewhere (holes between loads sharing a page, p_memsz past p_filesz). */
static int core_read(const struct core *c, uint64_t pfn, size_t n, uint8_t *buf)
{
	uint64_t cs = pfn * PAGE, ce = cs + (uint64_t)n * PAGE;
	const struct load *whole = NULL;

	for (size_t i = 0; i < c->nloads && !whole; i++)
		if (c->loads[i].paddr <= cs && c->loads[i].filesz >= ce - c->loads[i].paddr)
			whole = &c->loads[i];
	if (whole)
		return kdump_pread_full(c->fd, buf, (size_t)(ce - cs), whole->offset + (cs - whole->paddr));
	memset(buf, 0, (size_t)(ce - cs));
	for (size_t i = 0; i < c->nloads; i++) {
		const struct load *l = &c->loads[i];
		uint64_t a = l->paddr > cs ? l->paddr : cs;
		uint64_t b = l->paddr + l->filesz < ce ? l->paddr + l->filesz : ce;
		int ret;

		if (a >= b)
			continue;
		ret = kdump_pread_full(c->fd, buf + (a - cs), (size_t)(b - a), l->offset + (a - l->paddr));
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- the saver --------------------------------------------------------------------------- */

struct opts {
	const char *out, *vmcore, *port;
	int no_release, status_only, threads, level;
	uint64_t sync_every;          /* bytes of memory between checkpoints; 0: only at the end */
	enum kdump_compression alg;
};

struct host {
	struct saveport ch;
	int on;                       /* releasing: hello answered, no error since */
	int dead;                     /* no channel, or it failed: send nothing more */
	uint64_t released;            /* sum of the host's released= answers */
	uint64_t upto;                /* bytes below this are released or not releasable */
};

/* What a failed request means, for the console. */
static const char *host_strerror(int err)
{
	switch (err) {
	case -ETIMEDOUT: return "no answer within 30 s";
	case -EPIPE: return "the host closed the channel";
	case -ENOTCONN: return "the host end of the port stayed closed for 30 s";
	case -EPROTO: return "answer line too long";
	default: return strerror(-err);
	}
}

/* Stop releasing; DEAD: the channel itself failed (no answer, a hangup, a stranger). */
static void host_stop(struct host *h, int dead, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void host_stop(struct host *h, int dead, const char *fmt, ...)
{
	char msg[SAVEPORT_LINE_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say("warning: %s; releasing stops", msg);
	h->on = 0;
	h->dead |= dead;
}

/* Open the channel and say hello.  Without one, the dump is still saved. */
static void host_start(struct host *h, const struct opts *o)
{
	char path[300], ans[SAVEPORT_LINE_MAX];
	int ret;

	h->ch.fd = -1;
	h->dead = 1;
	if (o->no_release)
		return;
	if (o->port) {
		snprintf(path, sizeof(path), "%s", o->port);
	} else if ((ret = saveport_find(path, sizeof(path))) < 0) {
		say("warning: no virtio-serial port named %s%s; %s", SAVEPORT_NAME,
		    ret == -ENODEV ? " in /dev" : "", o->status_only ? "no host" :
		    "saving without releasing");
		return;
	}
	ret = saveport_open(&h->ch, path);
	if (ret < 0) {
		say("warning: %s: %s; %s", path, strerror(-ret),
		    o->status_only ? "no host" : "saving without releasing");
		return;
	}
	h->on = 1;
	h->dead = 0;
	ret = saveport_request(&h->ch, "hello 1", ans, sizeof(ans));
	if (ret < 0)
		host_stop(h, 1, "hello: %s", host_strerror(ret));
	else if (strncmp(ans, "ok hvdump 1", 11) != 0 || (ans[11] != '\0' && ans[11] != ' '))
		host_stop(h, 1, "hello: the host answered: %s", ans);
}

/* Release the releasable bytes below LIMIT not yet released, one request per range. */
static void host_release(struct host *h, const struct core *c, uint64_t limit)
{
	char req[80], ans[SAVEPORT_LINE_MAX];

	for (size_t i = 0; i < c->nrel && h->on; i++) {
		uint64_t s = c->rel[i].start > h->upto ? c->rel[i].start : h->upto;
		uint64_t e = c->rel[i].end < limit ? c->rel[i].end : limit;
		int ret;

		if (s >= e)
			continue;
		snprintf(req, sizeof(req), "release 0x%" PRIx64 " 0x%" PRIx64, s, e - s);
		ret = saveport_request(&h->ch, req, ans, sizeof(ans));
		if (ret < 0) {
			host_stop(h, 1, "%s: %s", req, host_strerror(ret));
		} else if (!saveport_is_ok(ans)) {
			host_stop(h, 0, "%s: the host answered: %s", req, ans);
		} else {
			const char *r = strstr(ans, " released=");
			if (r)
				h->released += strtoull(r + 10, NULL, 0);
		}
	}
	if (limit > h->upto)
		h->upto = limit;
}

/* Is OUT a block device (*BLOCKDEV), or a file to write as PART (PARTLEN bytes) first? */
static int check_out(const char *out, int *blockdev, char *part, size_t partlen, char *why,
		     size_t whylen)
{
	struct stat st;

	*blockdev = 0;
	if (stat(out, &st) == 0) {
		if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) {
			snprintf(why, whylen, "%s: neither a block device nor a regular file", out);
			return -EINVAL;
		}
		*blockdev = S_ISBLK(st.st_mode);
	}
	if (!*blockdev && strncmp(out, "/dev/", 5) == 0) {
		/* never fill the guest's RAM (devtmpfs) with a file meant for a disk */
		snprintf(why, whylen, "%s: no such block device", out);
		return -ENODEV;
	}
	if ((size_t)snprintf(part, partlen, "%s.part", out) >= partlen) {
		snprintf(why, whylen, "%s: path too long", out);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* The dump is saved: say "done" (also after an err answer to a release: the dump is saved
 * either way) and show the host's status. */
static void host_done(struct host *h)
{
	char ans[SAVEPORT_LINE_MAX];
	int ret;

	if (h->dead)
		return;
	ret = saveport_request(&h->ch, "done", ans, sizeof(ans));
	if (ret < 0)
		host_stop(h, 1, "done: %s", host_strerror(ret));
	else if (!saveport_is_ok(ans))
		host_stop(h, 0, "done: the host answered: %s", ans);
	else if (saveport_request(&h->ch, "status", ans, sizeof(ans)) == 0)
		say("host status: %s", ans);
}

struct uts_src {
	const struct core *c;
	const char *info;
	size_t len;
	uint8_t page[2 * PAGE];
};

/* Kernel-image virtual reads (all the utsname needs) through phys_base: LEN bytes within two
 * pages. */
static int uts_read(void *ctx, uint64_t vaddr, void *buf, size_t len)
{
	struct uts_src *u = ctx;
	uint64_t pa;
	int ret = kallsyms_kimage_to_phys(u->info, u->len, vaddr, &pa);

	if (ret < 0)
		return ret;
	if (len > PAGE || pa / PAGE >= u->c->max_pfn)
		return -EFAULT;
	ret = core_read(u->c, pa / PAGE, pa / PAGE + 1 < u->c->max_pfn ? 2 : 1, u->page);
	if (ret < 0)
		return ret;
	if (pa % PAGE + len > (pa / PAGE + 1 < u->c->max_pfn ? 2 : 1) * PAGE)
		return -EFAULT;
	memcpy(buf, u->page + pa % PAGE, len);
	return 0;
}

/* The crashed kernel's utsname for the header (libkdumpfile refuses an empty version), or
 * NULL: the writer then takes VMCOREINFO's release alone. */
static const struct kdump_utsname *crashed_uts(const struct core *c, struct kdump_utsname *uts)
{
	struct uts_src *u = calloc(1, sizeof(*u));
	const struct kdump_utsname *r = NULL;

	if (u && vmcoreinfo_find(c->notes, c->notes_len, &u->info, &u->len) == 0) {
		u->c = c;
		if (kdump_utsname_from_memory(u->info, u->len, uts_read, u, uts) == 0)
			r = uts;
	}
	free(u);
	return r;
}

static int save(const struct opts *o, struct core *c, struct host *h, char *why, size_t whylen)
{
	struct kdump_utsname uts;
	char part[4096];
	int blockdev, ret;

	ret = check_out(o->out, &blockdev, part, sizeof(part), why, whylen);
	if (ret < 0)
		return ret;

	struct kdump_range *ranges = calloc(c->npfns, sizeof(*ranges));
	uint8_t *buf = malloc((size_t)CHUNK_PAGES * PAGE);
	uint8_t *out = malloc((size_t)CHUNK_PAGES * PAGE);
	struct kdump_cpage *cp = calloc(CHUNK_PAGES, sizeof(*cp));
	struct kdump_pool_opts po = { .threads = (unsigned)o->threads, .compress = 1,
				      .compression = o->alg, .level = o->level };
	struct kdump_pool *pool = NULL;
	struct kdump_writer *w = NULL;

	ret = -ENOMEM;
	snprintf(why, whylen, "out of memory");
	if (!ranges || !buf || !out || !cp)
		goto out_free;
	for (size_t i = 0; i < c->npfns; i++)
		ranges[i] = (struct kdump_range){ c->pfns[i].start, c->pfns[i].end };
	if ((ret = kdump_pool_new(&po, &pool)) < 0) {
		snprintf(why, whylen, "compressor %s level %d: %s",
			 kdump_compression_name(o->alg), o->level, strerror(-ret));
		goto out_free;
	}

	struct kdump_writer_opts wo = {
		.path = blockdev ? o->out : part,
		.final_path = blockdev ? NULL : o->out,
		.max_mapnr = c->max_pfn,
		.ranges = ranges,
		.nranges = c->npfns,
		.notes = c->notes,
		.notes_len = c->notes_len,
		.uts = crashed_uts(c, &uts),
		.compression = o->alg,
		.level = o->level,
	};
	ret = kdump_writer_create(&wo, &w);
	if (ret < 0) {
		snprintf(why, whylen, "creating %s: %s", wo.path, strerror(-ret));
		goto out_free;
	}

	uint64_t t0 = saveport_now_ms(), done = 0, since_sync = 0, durable;
	unsigned last_pct = 0;
	say("start bytes=%" PRIu64, c->pages * PAGE);
	for (size_t r = 0; r < c->npfns; r++) {
		for (uint64_t pfn = c->pfns[r].start; pfn < c->pfns[r].end;) {
			uint64_t left = c->pfns[r].end - pfn;
			size_t n = left < CHUNK_PAGES ? (size_t)left : CHUNK_PAGES;

			if ((ret = core_read(c, pfn, n, buf)) < 0) {
				snprintf(why, whylen, "reading pfns 0x%" PRIx64 "+%zu: %s", pfn, n,
					 strerror(-ret));
				goto out_free;
			}
			if ((ret = kdump_pool_run(pool, buf, n, out, cp, NULL)) < 0) {
				snprintf(why, whylen, "compressing: %s", strerror(-ret));
				goto out_free;
			}
			for (size_t i = 0; i < n; i++)
				if ((ret = kdump_writer_append(w, pfn + i, &cp[i])) < 0) {
					snprintf(why, whylen, "writing %s: %s", wo.path,
						 strerror(-ret));
					goto out_free;
				}
			pfn += n;
			done += n;
			since_sync += (uint64_t)n * PAGE;
			if (o->sync_every && since_sync >= o->sync_every) {
				if ((ret = kdump_writer_sync(w, &durable)) < 0) {
					snprintf(why, whylen, "syncing %s: %s", wo.path,
						 strerror(-ret));
					goto out_free;
				}
				since_sync = 0;
				host_release(h, c, durable * PAGE);
			}
			unsigned pct = (unsigned)(done * 100 / c->pages);
			if (pct / 10 > last_pct / 10 && pct < 100)
				say("progress pct=%u", pct / 10 * 10);
			last_pct = pct;
		}
	}
	if ((ret = kdump_writer_finish(w)) < 0) {
		snprintf(why, whylen, "finishing %s: %s", wo.path, strerror(-ret));
		goto out_free;
	}
	host_release(h, c, c->max_pfn * PAGE);
	host_done(h);

	struct kdump_writer_stats s;
	kdump_writer_get_stats(w, &s);
	uint64_t ms = saveport_now_ms() - t0;
	say("done bytes=%" PRIu64 " dump=%" PRIu64 " seconds=%" PRIu64 ".%02" PRIu64
	    " released=%" PRIu64,
	    c->pages * PAGE, s.file_bytes, ms / 1000, ms % 1000 / 10, h->released);
	ret = 0;

out_free:
	kdump_writer_free(w);
	kdump_pool_free(pool);
	free(cp);
	free(out);
	free(buf);
	free(ranges);
	return ret;
}

/* Print the usage; returns the exit code for main. */
static int usage(void)
{
	fprintf(stderr,
		"usage: hvdump-save [options] OUT\n"
		"       hvdump-save --status [--port PATH]\n"
		"  OUT                a block device used as the file (/dev/vdb), or a regular file\n"
		"                     (written as OUT.part, renamed to OUT when complete)\n"
		"  --vmcore PATH      the ELF core to save (default /proc/vmcore)\n"
		"  --port PATH        the host channel: a device, FIFO or UNIX socket (default: the\n"
		"                     virtio-serial port named " SAVEPORT_NAME ")\n"
		"  --no-release       save only: no host channel\n"
		"  --sync-every MIB   checkpoint and release every MIB MiB of memory (default 64; 0: at\n"
		"                     the end only)\n"
		"  --compress ALG     zstd (default), lzo, zlib or none\n"
		"  --level N          compression level (default: the format's default)\n"
		"  --threads N        compression threads, 1..%d (default: 2, or 1 on one CPU)\n"
		"  --status           print the host's status line and exit\n",
		MAX_THREADS);
	return EXIT_USAGE;
}

static int parse_num(const char *s, long long lo, long long hi, long long *out)
{
	char *end;

	errno = 0;
	long long v = strtoll(s, &end, 0);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .vmcore = "/proc/vmcore", .sync_every = 64u << 20,
			  .alg = KDUMP_COMPRESS_ZSTD };
	struct host h = { .ch = { .fd = -1 } };
	struct core c;
	char why[512] = "";
	long long v;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int ret;

	o.threads = ncpu > 1 ? 2 : 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-release")) {
			o.no_release = 1;
		} else if (!strcmp(a, "--status")) {
			o.status_only = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			return usage();
		} else if (a[0] == '-' && a[1] == '-' && !val) {
			return usage();
		} else if (!strcmp(a, "--vmcore")) {
			o.vmcore = argv[++i];
		} else if (!strcmp(a, "--port")) {
			o.port = argv[++i];
		} else if (!strcmp(a, "--sync-every")) {
			if (parse_num(argv[++i], 0, 1 << 20, &v) < 0)
				return usage();
			o.sync_every = (uint64_t)v << 20;
		} else if (!strcmp(a, "--compress")) {
			if (kdump_compression_parse(argv[++i], &o.alg) < 0)
				return usage();
		} else if (!strcmp(a, "--level")) {
			if (parse_num(argv[++i], 0, 22, &v) < 0)
				return usage();
			o.level = (int)v;
		} else if (!strcmp(a, "--threads")) {
			if (parse_num(argv[++i], 1, MAX_THREADS, &v) < 0)
				return usage();
			o.threads = (int)v;
		} else if (a[0] == '-' || o.out) {
			return usage();
		} else {
			o.out = a;
		}
	}
	if (o.status_only ? o.out || o.no_release : !o.out)
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	if (o.status_only) {
		char ans[SAVEPORT_LINE_MAX];
		host_start(&h, &o);
		if (!h.on || (ret = saveport_request(&h.ch, "status", ans, sizeof(ans))) < 0) {
			say("FAILED: no status from the host");
			return EXIT_FAILED;
		}
		say("host status: %s", ans);
		saveport_close(&h.ch);
		return saveport_is_ok(ans) ? EXIT_SAVED : EXIT_FAILED;
	}

	ret = core_open(o.vmcore, &c, why, sizeof(why));
	if (ret < 0) {
		say("FAILED: %s", why);
		return EXIT_FAILED;
	}
	host_start(&h, &o);
	ret = save(&o, &c, &h, why, sizeof(why));
	if (ret < 0)
		say("FAILED: %s", why);
	saveport_close(&h.ch);
	core_close(&c);
	if (ret < 0)
		return EXIT_FAILED;
	return o.no_release || h.on ? EXIT_SAVED : EXIT_SAVED_NO_RELEASE;
}
