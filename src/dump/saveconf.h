/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a save of one crash writes and how the saver is set up for it: decided in one place
 * for the live save (`hvdump run`) and the offline one (`hvdump save --from`). */
#ifndef HVDUMP_DUMP_SAVECONF_H
#define HVDUMP_DUMP_SAVECONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dump/layout.h"
#include "dump/saver.h"
#include "format/kdump.h"

#define SAVE_CHUNK (64ull << 20) /* durability (and release) granularity */

/* The dump file of a crash directory and whether a partial one is continued. */
struct save_target {
	enum save_format format;
	bool resume;        /* a partial dump of this format is there: continue it, never
			     * restart it (what it saved may have been freed) */
	char out[4200];     /* DIR/vmcore.kdump or DIR/vmcore.elf */
};

/* Which dump to write in DIR.  FORMAT >= 0 (an enum save_format) is the one asked for; < 0
 * follows a partial dump, else kdump.  Returns 0, -EXDEV when a partial dump of the other
 * format is there (*OTHER set to its format), -EEXIST when the complete dump is there already
 * (writing it again would read freed memory as zeros), -ENAMETOOLONG. */
__attribute__((warn_unused_result)) int save_target_pick(const char *dir, int format,
							  struct save_target *t,
							  enum save_format *other);

/* The dump_format a record names: "elf" or "kdump-COMP" (in BUF, LEN bytes). */
const char *save_format_name(enum save_format f, enum kdump_compression comp, char *buf,
			     size_t len);

/* Where the crash is and what it is written as. */
struct save_source {
	const char *ram_path;
	struct machine_layout layout;
	const struct saver_dimm *dimms;
	size_t ndimms;
	uint64_t hdr_off;
	const struct elfcore_segment *segs; /* the header's segments as written (see
					     * saver_config), or NULL */
	size_t nsegs;
};

/* Fill SC for saving SRC to T: kdump pages compressed with COMP, DUMP_LEVEL bits left out
 * (kdump only), THREADS compression threads (0: one per CPU), held until saver_release() if
 * HOLD.  SC points into SRC and T. */
void saver_config_fill(struct saver_config *sc, const struct save_source *src,
		       const struct save_target *t, enum kdump_compression comp,
		       unsigned dump_level, unsigned threads, bool hold);

#endif
