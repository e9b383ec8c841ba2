// SPDX-License-Identifier: GPL-2.0-or-later
// The saver's shared state: what its thread (saver.c, and saver_kdump.c for the kdump format)
// reports to the supervisor, under the saver's lock, and where the crash's bytes are.
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "dump/saver_internal.h"
#include "util/size.h"

/* Wait while the saver is held (a capture guest is booting: nothing of the saver's may slow
 * it).  Called by the saver thread before it starts and between chunks; saver_release() or
 * saver_stop() ends the wait.  A hold, not a lower scheduling class: measured, a saver in
 * SCHED_IDLE still slowed a TCG capture boot by 10-15% (4 GiB guest: its kernel reached
 * /init in 4.3-5.2 s instead of 3.8-4.0 s), sharing the memory bandwidth and caches the
 * vCPU threads need even when it only ran on idle CPU time. */
void saver_wait_released(struct saver *s)
{
	pthread_mutex_lock(&s->lock);
	while (s->held && !atomic_load(&s->stop))
		pthread_cond_wait(&s->released, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

void saver_post(struct saver *s)
{
	uint64_t one = 1;
	if (write(s->efd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow in practice; the supervisor polls progress anyway */
	}
}

bool saver_stopping(struct saver *s)
{
	return atomic_load(&s->stop);
}

void saver_report_range(struct saver *s, uint64_t gpa, uint64_t len, uint64_t saved)
{
	pthread_mutex_lock(&s->lock);
	if (len == 0)
		; /* progress only */
	else if (s->nranges && s->ranges[s->nranges - 1].gpa + s->ranges[s->nranges - 1].len == gpa)
		s->ranges[s->nranges - 1].len += len;
	else if (s->nranges < SAVER_MAX_RANGES)
		s->ranges[s->nranges++] = (struct saver_range){ gpa, len };
	/* else: the supervisor is far behind; the range stays unreleased, which is safe */
	s->done += saved;
	pthread_mutex_unlock(&s->lock);
	saver_post(s);
}

int saver_room(struct saver *s, uint64_t next)
{
	struct statvfs fs;
	uint64_t avail;
	char a[32], b[32], c[32];

	if (!s->cfg.min_free || statvfs(s->out_dir, &fs) < 0)
		return 0; /* a file system that cannot be asked: writing will say */
	avail = (uint64_t)fs.f_bavail * fs.f_frsize;
	if (avail >= s->cfg.min_free && avail - s->cfg.min_free >= next)
		return 0;
	snprintf(s->why, sizeof(s->why), "the dump directory's file system is down to its "
		 "reserve (%s free, %s kept free, the next %s would eat into it): %s",
		 size_human(avail, a, sizeof(a)), size_human(s->cfg.min_free, b, sizeof(b)),
		 size_human(next, c, sizeof(c)), strerror(ENOSPC));
	return -ENOSPC;
}

void saver_filter_done(struct saver *s, bool ran, uint64_t left_out, const char *warning)
{
	pthread_mutex_lock(&s->lock);
	if (ran) {
		snprintf(s->warning, sizeof(s->warning), "%s", warning);
		s->filtered = true;
	}
	s->left_out = left_out;
	pthread_mutex_unlock(&s->lock);
	saver_post(s);
}

int saver_locate(const struct saver *s, uint64_t gpa, uint64_t len, int *fd, uint64_t *off)
{
	uint64_t end, last;

	if (__builtin_add_overflow(gpa, len ? len - 1 : 0, &last))
		return -ERANGE;
	if (layout_gpa_to_off(&s->cfg.layout, gpa, off) == 0 &&
	    layout_gpa_to_off(&s->cfg.layout, last, &end) == 0 && end - *off == last - gpa) {
		*fd = s->fds[0];
		return 0;
	}
	for (size_t i = 0; i < s->cfg.ndimms; i++) {
		const struct saver_dimm *d = &s->cfg.dimms[i];
		if (gpa >= d->gpa && last - d->gpa < d->size) {
			*fd = s->fds[1 + i];
			*off = gpa - d->gpa;
			return 0;
		}
	}
	return -ERANGE;
}

/* The crashed memory as the saver sees it, for the page filter
 * and kallsyms: crashed guest-physical
 * addresses (p_paddr) -> the capture boot's (p_offset) -> a file and offset. */
int saver_view_read(void *ctx, uint64_t paddr, void *buf, size_t len)
{
	const struct saver_job *j = ctx;
	uint64_t off;
	int fd;

	for (size_t i = 0; i < j->nsegs; i++) {
		const struct elfcore_segment *g = &j->segs[i];
		if (g->type == PT_NOTE || paddr < g->paddr || paddr - g->paddr >= g->memsz ||
		    len > g->memsz - (paddr - g->paddr))
			continue;
		if (saver_locate(j->s, g->offset + (paddr - g->paddr), len, &fd, &off) < 0)
			return -EFAULT;
		ssize_t n = pread(fd, buf, len, (off_t)off);
		return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
	}
	return -EFAULT;
}
