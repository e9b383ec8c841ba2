// SPDX-License-Identifier: GPL-2.0-or-later
// Host saver thread.  It reads the ELF core header hvdump wrote into the RAM file, the same
// header the capture kernel reads, so the dump on disk and /proc/vmcore can never disagree
// about which bytes are which page.  Every chunk is fdatasync'ed before its source range is
// reported: the supervisor releases nothing that is not durable.  The ELF format is written
// here, the kdump-compressed one in saver_kdump.c.
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dump/capture.h"
#include "dump/saver.h"
#include "dump/saver_internal.h"
#include "format/elfcore.h"
#include "format/kmap.h"
#include "format/vmcoreinfo.h"
#include "util/fsutil.h"



void saver_release(struct saver *s)
{
	pthread_mutex_lock(&s->lock);
	s->held = false;
	pthread_cond_broadcast(&s->released);
	pthread_mutex_unlock(&s->lock);
}




/* Record the failure: WHAT (the file or step) and the error. */
static void fail(struct saver *s, int r, const char *what)
{
	s->result = r;
	snprintf(s->why, sizeof(s->why), "%s: %s", what, strerror(-r));
}



/* Open the RAM file and every DIMM file for reading. */
static int open_sources(struct saver *s)
{
	s->fds[0] = open(s->ram_path, O_RDONLY | O_CLOEXEC);
	if (s->fds[0] < 0) {
		fail(s, -errno, s->ram_path);
		return s->result;
	}
	for (size_t i = 0; i < s->cfg.ndimms; i++) {
		s->fds[1 + i] = open(s->cfg.dimms[i].path, O_RDONLY | O_CLOEXEC);
		if (s->fds[1 + i] < 0) {
			fail(s, -errno, s->cfg.dimms[i].path);
			return s->result;
		}
	}
	return 0;
}

/* Copy LEN bytes RAM[src] -> OUT[dst]: in the kernel when both files allow it, else
 * through BUF (SAVER_COPY_BUF bytes). */
static int copy_bytes(int in, uint64_t src, int out, uint64_t dst, uint64_t len, uint8_t *buf,
		      bool *no_cfr)
{
	loff_t si = (loff_t)src, di = (loff_t)dst;

	while (len && !*no_cfr) {
		ssize_t n = copy_file_range(in, &si, out, &di, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP ||
			      errno == ENOSYS)) {
			*no_cfr = true; /* different file systems: copy through user space */
			break;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		len -= (uint64_t)n;
	}
	while (len) {
		size_t want = len < SAVER_COPY_BUF ? (size_t)len : SAVER_COPY_BUF;
		ssize_t n = pread(in, buf, want, si);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		for (ssize_t w = 0; w < n;) {
			ssize_t k = pwrite(out, buf + w, (size_t)(n - w), di + w);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return k < 0 ? -errno : -EIO;
			w += k;
		}
		si += n;
		di += n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* OUT.part.progress: "done=N\n", replaced atomically after the data it describes is durable. */
static int write_progress(struct saver *s, uint64_t done)
{
	char path[4300], text[64];
	int n = snprintf(text, sizeof(text), "done=%llu\n", (unsigned long long)done);

	snprintf(path, sizeof(path), "%s.progress", s->part_path);
	return write_file_atomic(path, text, (size_t)n, 0600);
}

int saver_read_progress(const char *out_path, uint64_t *done)
{
	char path[4300], *text = NULL, *end;
	unsigned long long v;
	int r;

	snprintf(path, sizeof(path), "%s.part.progress", out_path);
	r = read_file(path, 256, &text, NULL);
	if (r < 0)
		return r;
	if (strncmp(text, "done=", 5) != 0) {
		free(text);
		return -EBADMSG;
	}
	errno = 0;
	v = strtoull(text + 5, &end, 10);
	r = errno || (*end && *end != '\n') ? -EBADMSG : 0;
	free(text);
	if (r == 0)
		*done = v;
	return r;
}

/* ---- the crash ------------------------------------------------------------------------- */

/* The crash as the capture boot has it: the segments of the ELF core header, and the notes. */
struct crash {
	struct elfcore_segment *segs;
	size_t nsegs;
	uint8_t *notes;
	size_t notes_len;
};

/* Read the header and the notes into C, check that every segment is in the RAM file or a
 * DIMM file, and publish the total of the loads.  0 or the error, recorded. */
static int read_crash(struct saver *s, struct crash *c)
{
	uint64_t total = 0, off;
	int r, in;

	if (s->cfg.segs) {
		c->segs = malloc(s->cfg.nsegs * sizeof(*c->segs));
		r = c->segs ? 0 : -ENOMEM;
		if (r == 0) {
			memcpy(c->segs, s->cfg.segs, s->cfg.nsegs * sizeof(*c->segs));
			c->nsegs = s->cfg.nsegs;
		}
	} else {
		r = capture_read_header(s->fds[0], s->cfg.hdr_off, &c->segs, &c->nsegs);
	}
	if (r < 0) {
		fail(s, r, s->ram_path);
		return r;
	}
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct elfcore_segment *g = &c->segs[i];
		if (saver_locate(s, g->offset, g->memsz, &in, &off) < 0) {
			snprintf(s->why, sizeof(s->why), "segment at 0x%llx is in neither the RAM file "
				 "nor a DIMM file", (unsigned long long)g->offset);
			return s->result = -EINVAL;
		}
		if (g->type == PT_NOTE) {
			free(c->notes);
			c->notes = malloc(g->filesz);
			if (!c->notes || g->filesz > g->memsz ||
			    pread(in, c->notes, g->filesz, (off_t)off) != (ssize_t)g->filesz) {
				fail(s, -EIO, s->ram_path);
				return -EIO;
			}
			c->notes_len = g->filesz;
			continue;
		}
		total += g->memsz;
	}
	pthread_mutex_lock(&s->lock);
	s->total = total;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* ---- ELF --------------------------------------------------------------------------------- */

/* The loads, in order, chunk by chunk into OUT: copy, make durable, record the progress,
 * report.  The first RESUME_AT bytes of memory were saved (and released) before. */
static int elf_copy_loads(const struct saver_job *j, const struct elfcore_load *loads, int out,
			  uint64_t resume_at)
{
	struct saver *s = j->s;
	uint64_t offset_in_mem = 0;
	bool no_cfr = false;
	int r;

	for (size_t i = 0, li = 0; i < j->nsegs && !atomic_load(&s->stop); i++) {
		const struct elfcore_segment *g = &j->segs[i];
		uint64_t src, done = 0;
		int in;
		if (g->type == PT_NOTE)
			continue;
		if (saver_locate(s, g->offset, g->memsz, &in, &src) < 0)
			continue; /* checked by read_crash */
		if (offset_in_mem + g->memsz <= resume_at) {
			/* saved and released before the interruption */
			offset_in_mem += g->memsz;
			saver_report_range(s, 0, 0, g->memsz);
			li++;
			continue;
		}
		if (offset_in_mem < resume_at) {
			done = resume_at - offset_in_mem;
			saver_report_range(s, 0, 0, done);
		}
		while (done < g->memsz && !atomic_load(&s->stop)) {
			uint64_t n = g->memsz - done;
			saver_wait_released(s);
			if (n > s->cfg.chunk)
				n = s->cfg.chunk;
			r = saver_room(s, n + SAVER_ROOM_SLACK);
			if (r < 0)
				return s->result = r; /* the progress record keeps what is durable */
			r = copy_bytes(in, src + done, out, loads[li].data_addr + done, n, j->buf,
				       &no_cfr);
			if (r == 0 && fdatasync(out) < 0)
				r = -errno;
			if (r < 0) {
				fail(s, r, s->part_path);
				return r;
			}
			r = write_progress(s, offset_in_mem + done + n);
			if (r < 0) {
				fail(s, r, "cannot record the save's progress");
				return r;
			}
			saver_report_range(s, g->offset + done, n, n);
			done += n;
		}
		offset_in_mem += g->memsz;
		li++;
	}
	if (atomic_load(&s->stop)) {
		fail(s, -ECANCELED, s->part_path);
		return -ECANCELED;
	}
	return 0;
}

/* Make OUT.part durable and rename it to OUT; its progress record goes.  The rename is
 * durable only once the directory is synced: until then the dump is not saved (a host crash
 * could take OUT back to OUT.part).  A directory that cannot be synced fails the save with
 * the file named OUT.part again and its progress record kept, so that a resume finishes it. */
static int elf_finish(struct saver *s, int out)
{
	char prog[4300];
	int r;

	if (fsync(out) < 0 || rename(s->part_path, s->out_path) < 0) {
		fail(s, -errno, s->out_path);
		return s->result;
	}
	r = fsync_parent(s->out_path);
	if (r < 0) {
		bool back = rename(s->out_path, s->part_path) == 0;

		s->result = r;
		snprintf(s->why, sizeof(s->why), "the dump is complete, but its directory cannot be "
			 "synced (%s), so its name may not survive a host crash%s", strerror(-r),
			 back ? "" : "; it could not be named .part again either");
		return r;
	}
	snprintf(prog, sizeof(prog), "%s.progress", s->part_path);
	unlink(prog);
	return 0;
}

/* Where the crashed kernel mapped itself, for kexec's layout of the ELF header; NULL (with
 * the reason logged by the caller through WHY) when unknown. */
static const struct kmap *saver_kmap(const struct saver_job *j, struct kmap *km, char *why,
				     size_t whylen)
{
	const char *vi = NULL;
	size_t vlen = 0;

	if (vmcoreinfo_find(j->notes, j->notes_len, &vi, &vlen) < 0) {
		snprintf(why, whylen, "no VMCOREINFO");
		return NULL;
	}
	return kmap_lookup(vi, vlen, saver_view_read, (void *)j, km, why, whylen) == 0 ? km : NULL;
}

/* A resumed ELF save writes each load where the header OUT.part already has says (an
 * hvdump of another version may have laid it out otherwise): LOADS[i].data_addr from it.
 * 0, or -EBADMSG (WHY set) when the header does not describe these loads. */
static int resumed_layout(int fd, struct elfcore_load *loads, size_t nloads, char *why,
			  size_t whylen)
{
	struct elfcore_segment *segs = NULL;
	size_t nsegs = 0;
	int r = capture_read_header(fd, 0, &segs, &nsegs);

	for (size_t i = 0; r == 0 && i < nloads; i++) {
		size_t k = 0;

		while (k < nsegs && !(segs[k].type == PT_LOAD && segs[k].paddr == loads[i].paddr &&
				      segs[k].filesz == loads[i].size))
			k++;
		if (k == nsegs)
			r = -EBADMSG;
		else
			loads[i].data_addr = segs[k].offset;
	}
	free(segs);
	if (r < 0)
		snprintf(why, whylen, "cannot resume: the partial ELF file's header does not describe "
			 "the crashed memory's ranges (%s)", strerror(-r));
	return r;
}

/* ELF: the header, then each load's bytes at its offset; a resumed save continues OUT.part
 * from its progress record. */
static int save_elf(const struct saver_job *j)
{
	struct saver *s = j->s;
	struct elfcore_load *loads = calloc(j->nsegs, sizeof(*loads));
	uint8_t *hdr = NULL;
	uint64_t resume_at = 0, pos;
	size_t nloads = 0, hs;
	int out = -1, r;

	if (!loads) {
		fail(s, -ENOMEM, "saver");
		return -ENOMEM;
	}
	for (size_t i = 0; i < j->nsegs; i++)
		if (j->segs[i].type != PT_NOTE)
			loads[nloads++] = (struct elfcore_load){ .paddr = j->segs[i].paddr,
								 .size = j->segs[i].memsz,
								 .vaddr = j->segs[i].vaddr };
	if (s->cfg.resume) {
		r = saver_read_progress(s->out_path, &resume_at);
		if (r < 0) {
			fail(s, r, "no progress record to resume from");
			goto out;
		}
	}
	/* a new dump file is created afresh (never through a link); a partial one is continued
	 * only if it is a file of ours */
	out = s->cfg.resume ? open_regular(s->part_path, O_RDWR)
			    : open_new_private(s->part_path, O_RDWR);
	r = out == -EINVAL && s->cfg.resume ? -EPERM : out < 0 ? out : 0;
	if (r == 0 && s->cfg.resume) {
		struct stat st;
		if (fstat(out, &st) < 0 || st.st_uid != geteuid())
			r = -EPERM;
	}
	if (r < 0) {
		if (out >= 0)
			close(out);
		out = -1;
		fail(s, r, s->part_path);
		goto out;
	}
	/* room for a kernel-image alias beside every load, so that where the data starts does
	 * not depend on the memory: a resumed save keeps the header it wrote (the memory it
	 * read then may have been given back since) */
	hs = elfcore_header_size(nloads, nloads, j->notes_len);
	pos = (hs + 4095) & ~4095ull;
	for (size_t i = 0; i < nloads; i++) {
		loads[i].data_addr = pos;
		pos += loads[i].size;
	}
	hdr = calloc(1, hs);
	r = hdr ? 0 : -ENOMEM;
	if (r == 0 && s->cfg.resume) {
		char why[300];

		r = resumed_layout(out, loads, nloads, why, sizeof(why));
		if (r < 0) {
			snprintf(s->why, sizeof(s->why), "%s: %s", s->part_path, why);
			goto out;
		}
	}
	if (r == 0 && !s->cfg.resume) {
		/* without it (logged when the capture header was built from the same memory),
		 * the header has no kernel-image segment and no virtual addresses */
		struct kmap km;
		char why[256];
		const struct kmap *k = saver_kmap(j, &km, why, sizeof(why));

		r = elfcore_build(hdr, hs, 0, loads, nloads, j->notes, j->notes_len, k);
		if (r == 0 && pwrite(out, hdr, hs, 0) != (ssize_t)hs)
			r = errno ? -errno : -EIO;
	}
	if (r < 0) {
		fail(s, r, s->part_path);
		goto out;
	}
	r = elf_copy_loads(j, loads, out, resume_at);
	if (r == 0)
		r = elf_finish(s, out);
out:
	if (out >= 0)
		close(out);
	free(hdr);
	free(loads);
	return r;
}

/* ---- the thread -------------------------------------------------------------------------- */

static void *saver_main(void *arg)
{
	struct saver *s = arg;
	struct crash c = { 0 };
	uint8_t *buf = NULL;

	saver_wait_released(s);
	if (atomic_load(&s->stop)) {
		fail(s, -ECANCELED, s->part_path); /* stopped while held: nothing was written */
		goto done;
	}
	if (open_sources(s) < 0)
		goto done;
	buf = malloc(SAVER_COPY_BUF);
	if (!buf) {
		fail(s, -ENOMEM, "saver");
		goto done;
	}
	if (read_crash(s, &c) < 0)
		goto done;
	struct saver_job job = {
		.s = s, .cfg = &s->cfg, .part_path = s->part_path, .ram_fd = s->fds[0],
		.segs = c.segs, .nsegs = c.nsegs, .notes = c.notes, .notes_len = c.notes_len,
		.buf = buf, .why = s->why, .whylen = sizeof(s->why),
	};
	s->result = s->cfg.format == SAVE_KDUMP ? saver_save_kdump(&job) : save_elf(&job);
done:
	for (size_t i = 0; i <= s->cfg.ndimms; i++)
		if (s->fds[i] >= 0)
			close(s->fds[i]);
	free(buf);
	free(c.notes);
	free(c.segs);
	pthread_mutex_lock(&s->lock);
	s->finished = true;
	pthread_mutex_unlock(&s->lock);
	saver_post(s);
	return NULL;
}

/* PATH's directory into OUT ("." for a bare name). */
static void saver_dir_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, len, ".");
	else
		snprintf(out, len, "%.*s", slash == path ? 1 : (int)(slash - path), path);
}

/* Free S and its copies of the DIMM paths (the thread is not running). */
static void saver_destroy(struct saver *s)
{
	for (size_t i = 0; i < SAVER_MAX_DIMMS; i++)
		free(s->dimm_paths[i]);
	free(s);
}

int saver_start(const struct saver_config *cfg, struct saver **out)
{
	struct saver *s;
	int r;

	if (cfg->ndimms > SAVER_MAX_DIMMS)
		return -E2BIG;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	snprintf(s->ram_path, sizeof(s->ram_path), "%s", cfg->ram_path);
	snprintf(s->out_path, sizeof(s->out_path), "%s", cfg->out_path);
	snprintf(s->part_path, sizeof(s->part_path), "%s.part", cfg->out_path);
	saver_dir_of(cfg->out_path, s->out_dir, sizeof(s->out_dir));
	s->cfg.ram_path = s->ram_path;
	s->cfg.out_path = s->out_path;
	for (size_t i = 0; i <= SAVER_MAX_DIMMS; i++)
		s->fds[i] = -1;
	for (size_t i = 0; i < cfg->ndimms; i++) {
		s->dimms[i] = cfg->dimms[i];
		s->dimm_paths[i] = strdup(cfg->dimms[i].path);
		if (!s->dimm_paths[i]) {
			saver_destroy(s);
			return -ENOMEM;
		}
		s->dimms[i].path = s->dimm_paths[i];
	}
	s->cfg.dimms = s->dimms;
	if (!s->cfg.chunk)
		s->cfg.chunk = 64ull << 20;
	s->held = cfg->hold;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->released, NULL);
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->efd < 0) {
		r = -errno;
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->released);
		saver_destroy(s);
		return r;
	}
	r = -pthread_create(&s->thread, NULL, saver_main, s);
	if (r < 0) {
		close(s->efd);
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->released);
		saver_destroy(s);
		return r;
	}
	s->started = true;
	*out = s;
	return 0;
}

int saver_event_fd(const struct saver *s) { return s->efd; }

size_t saver_take(struct saver *s, struct saver_range *out, size_t max)
{
	uint64_t v;
	size_t n;

	if (read(s->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing new; fine */
	}
	pthread_mutex_lock(&s->lock);
	n = s->nranges < max ? s->nranges : max;
	memcpy(out, s->ranges, n * sizeof(*out));
	memmove(s->ranges, s->ranges + n, (s->nranges - n) * sizeof(*out));
	s->nranges -= n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void saver_progress(struct saver *s, uint64_t *done, uint64_t *total)
{
	pthread_mutex_lock(&s->lock);
	*done = s->done;
	*total = s->total;
	pthread_mutex_unlock(&s->lock);
}

bool saver_ended(struct saver *s)
{
	bool f;

	pthread_mutex_lock(&s->lock);
	f = s->finished;
	pthread_mutex_unlock(&s->lock);
	return f;
}

bool saver_finished(struct saver *s, int *result, char *why, size_t whylen)
{
	bool f;

	pthread_mutex_lock(&s->lock);
	f = s->finished && s->nranges == 0;
	pthread_mutex_unlock(&s->lock);
	if (f) {
		*result = s->result;
		snprintf(why, whylen, "%s", s->why);
	}
	return f;
}

bool saver_filter_result(struct saver *s, uint64_t *left_out, char *warning, size_t len)
{
	bool done;

	pthread_mutex_lock(&s->lock);
	done = s->filtered;
	*left_out = s->left_out;
	if (len)
		snprintf(warning, len, "%s", s->warning);
	pthread_mutex_unlock(&s->lock);
	return done;
}

void saver_stop(struct saver *s)
{
	atomic_store(&s->stop, true);
	pthread_mutex_lock(&s->lock);
	pthread_cond_broadcast(&s->released); /* a held saver ends too */
	pthread_mutex_unlock(&s->lock);
	if (s->started && !s->joined)
		pthread_join(s->thread, NULL);
	s->joined = true;
}

void saver_free(struct saver *s)
{
	if (!s)
		return;
	saver_stop(s);
	close(s->efd);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->released);
	saver_destroy(s);
}
