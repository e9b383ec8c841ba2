/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The host saver of preserved crashes while the capture guest runs.  The order is the
 * contract: the saver makes a range durable, then it is freed on the host, then it is credited
 * to be given back.  Steps return what happened; the supervisor decides what follows. */
#ifndef HVDUMP_VM_SAVEFLOW_H
#define HVDUMP_VM_SAVEFLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "dump/saver.h"
#include "qemu/qmp.h"
#include "vm/boot.h"
#include "vm/config.h"
#include "vm/crashes.h"
#include "vm/guestmem.h"
#include "vm/memback.h"
#include "vm/rundir.h"

struct save_flow {
	struct saver *saver;       /* NULL: none runs */
	unsigned saving;           /* the index in the crash list being saved */
	char out[4200];            /* ... to this dump file */
	bool filter_logged;        /* the dump level's result was said */
	unsigned level_started;    /* the dump level the saver was started with (the space
				    * check may have lowered what fits to 31) */
	unsigned dump_level;       /* ... the level applied (0: none, or it failed) */
	uint64_t left_out;         /* ... and the pages it left out */
	long long start_ms, progress_ms;
	long long held_ms;         /* held for a booting guest since, 0: not held */
	long long run_ms;          /* at full speed since, 0: not yet */
	uint64_t done;             /* bytes saved at the last look */
};

/* What the save works on. */
struct save_ctx {
	const struct vm_config *cfg;
	const struct rundir *rd;
	const struct boot *boot;
	struct crash_list *crashes;
	struct memback *mb;
	struct guest_mem *gm;
	struct qmp *qmp;           /* of the capture QEMU (unplugging saved DIMMs), may be NULL */
};

/* Write DIR/dmesg.txt, the kernel log of DUMP_FILE (a complete dump), and name it in DIR's
 * record ("dmesg_file"), as kdump-tools leaves one beside its vmcore; a log that cannot be
 * read is a warning, the dump stays saved. */
void save_write_dmesg(const char *dir, const char *dump_file);

/* Start (or, RESUME, continue) saving the oldest unsaved crash; HOLD: the saver waits for
 * save_full_speed().  0, -EBUSY (a save runs), -ENOENT (nothing to save), -EEXIST (its dump
 * is complete already), or another -errno (logged). */
int save_start(struct save_flow *f, const struct save_ctx *x, bool resume, bool hold);

/* Is a saver held for the booting guest? */
bool save_held(const struct save_flow *f);

/* The guest is in service: a held saver runs at full speed, and what it saved is freed. */
void save_full_speed(struct save_flow *f, const struct save_ctx *x);

enum save_news {
	SAVE_RUNNING,              /* still saving (or nothing runs) */
	SAVE_DONE,                 /* the dump of crash f->saving is complete */
	SAVE_FAILED,               /* the saver failed; the rest stays preserved (logged) */
};

/* The saver's event fd is readable.  GUEST_UP: the capture guest is in service (freeing what
 * is durable waits until then, like a held saver). */
enum save_news save_on_event(struct save_flow *f, const struct save_ctx *x, bool guest_up);

/* Periodic progress lines. */
void save_tick(struct save_flow *f, const struct memback *mb);

/* QEMU is going away: stop the saver, keep what is durable.  SAVE_DONE if its dump was
 * complete after all. */
enum save_news save_stop(struct save_flow *f, const struct save_ctx *x);

/* Drop every unsaved crash on the operator's word: free its memory (credited to be given
 * back), mark its record discarded.  0, or -EBUSY while a save runs. */
int save_discard(struct save_flow *f, const struct save_ctx *x);

#endif
