/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the host saver: the save its thread (saver.c) hands down to a format's code
 * (saver_kdump.c), and the few calls that code makes back: where a range lives, the hold and
 * the stop, progress, the page filter's outcome.  For src/dump/saver*.c only. */
#ifndef HVDUMP_DUMP_SAVER_INTERNAL_H
#define HVDUMP_DUMP_SAVER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dump/saver.h"
#include "format/elfcore.h"

#include <pthread.h>
#include <stdatomic.h>

#define SAVER_COPY_BUF (8u << 20) /* bytes read (and copied or compressed) at a time */

#define SAVER_MAX_RANGES 4096

/* Written besides a chunk's pages before the next look at the free space: the kdump writer's
 * buffered data and descriptors, a checkpoint's resume or progress record. */
#define SAVER_ROOM_SLACK (2u << 20)

struct saver {
	struct saver_config cfg;
	char ram_path[4096], out_path[4096], part_path[4200];
	char out_dir[4096];                /* OUT's directory, for the space guard */
	struct saver_dimm dimms[SAVER_MAX_DIMMS];
	char *dimm_paths[SAVER_MAX_DIMMS];
	int fds[1 + SAVER_MAX_DIMMS];      /* the RAM file, then each DIMM file */
	pthread_t thread;
	bool started, joined;
	int efd;
	atomic_bool stop;
	bool held;                         /* wait for saver_release() (lock) */
	pthread_cond_t released;           /* ... signalled with it */
	pthread_mutex_t lock;
	struct saver_range ranges[SAVER_MAX_RANGES];
	size_t nranges;
	uint64_t done, total;
	bool finished;
	int result;
	char why[512];
	char warning[512];                 /* the dump level could not be applied (lock) */
	uint64_t left_out;                 /* pages the dump level leaves out (lock) */
	bool filtered;                     /* the page filter has run (lock) */
};

/* Read crashed guest-physical memory [PADDR, PADDR + LEN) (inside one load) through the
 * job's loads: 0, -EFAULT outside them, or the read's error.  CTX is the saver_job. */
int saver_view_read(void *ctx, uint64_t paddr, void *buf, size_t len);

/* Wake the supervisor: there is news (saver_event_fd()). */
void saver_post(struct saver *s);

/* One save, as the thread hands it down.  The thread owns everything here. */
struct saver_job {
	struct saver *s;              /* for the calls below */
	const struct saver_config *cfg; /* cfg->out_path: the final name */
	const char *part_path;        /* OUT.part, written first */
	int ram_fd;                   /* open on cfg->ram_path */
	const struct elfcore_segment *segs; /* the capture's ELF core header, in order */
	size_t nsegs;
	const uint8_t *notes;         /* its PT_NOTE's bytes */
	size_t notes_len;
	uint8_t *buf;                 /* SAVER_COPY_BUF bytes to read into */
	char *why;                    /* on failure: what failed, and why */
	size_t whylen;
};

/* Save JOB as a kdump-compressed file (saver_kdump.c): OUT.part, checkpointed every
 * cfg->chunk bytes, each checkpoint's ranges reported once durable, renamed to OUT at the
 * end.  With cfg->resume, OUT.part continues from its last checkpoint.  Returns 0, or -errno
 * with JOB->why set (-ECANCELED when stopped). */
__attribute__((warn_unused_result)) int saver_save_kdump(const struct saver_job *job);

/* The open file and offset holding [GPA, GPA+LEN) in the capture boot: the RAM file, or the
 * DIMM file mapped there.  -ERANGE when no single file holds all of it. */
__attribute__((warn_unused_result)) int saver_locate(const struct saver *s, uint64_t gpa,
						      uint64_t len, int *fd, uint64_t *off);

/* Has saver_stop() been called? */
bool saver_stopping(struct saver *s);

/* Wait while the saver is held (a capture guest is booting); saver_release() or saver_stop()
 * ends the wait. */
void saver_wait_released(struct saver *s);

/* LEN bytes at capture GPA GPA are durable (LEN 0: none, progress only), and SAVED more
 * bytes of memory are done. */
void saver_report_range(struct saver *s, uint64_t gpa, uint64_t len, uint64_t saved);

/* The space guard (cfg->min_free): will NEXT more bytes written leave OUT's file system at
 * least cfg->min_free free?  0 if so (or no guard, or the file system cannot be asked);
 * else -ENOSPC with the saver's why saying so in operator terms. */
__attribute__((warn_unused_result)) int saver_room(struct saver *s, uint64_t next);

/* Publish the page filter's outcome for saver_filter_result(): if it RAN, WARNING (empty:
 * none) says why it could not be applied; LEFT_OUT pages are left out. */
void saver_filter_done(struct saver *s, bool ran, uint64_t left_out, const char *warning);

#endif
