// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump/saveconf.h"

static const char *dump_file_name(enum save_format f)
{
	return f == SAVE_ELF ? "vmcore.elf" : "vmcore.kdump";
}

/* Is there a partial dump of format F in DIR? */
static bool partial(const char *dir, enum save_format f)
{
	char path[4300];
	struct stat st;
	uint64_t done;

	if (f == SAVE_ELF) {
		snprintf(path, sizeof(path), "%s/vmcore.elf", dir);
		return saver_read_progress(path, &done) == 0;
	}
	snprintf(path, sizeof(path), "%s/vmcore.kdump.part", dir);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int save_target_pick(const char *dir, int format, struct save_target *t, enum save_format *other)
{
	bool kdump_part = partial(dir, SAVE_KDUMP), elf_part = partial(dir, SAVE_ELF);

	if (format >= 0)
		t->format = (enum save_format)format;
	else
		t->format = elf_part && !kdump_part ? SAVE_ELF : SAVE_KDUMP;
	if ((t->format == SAVE_ELF && kdump_part) || (t->format == SAVE_KDUMP && elf_part)) {
		*other = kdump_part ? SAVE_KDUMP : SAVE_ELF;
		return -EXDEV;
	}
	if (snprintf(t->out, sizeof(t->out), "%s/%s", dir, dump_file_name(t->format)) >=
	    (int)sizeof(t->out))
		return -ENAMETOOLONG;
	t->resume = t->format == SAVE_KDUMP ? kdump_part : elf_part;
	if (!t->resume && access(t->out, F_OK) == 0)
		return -EEXIST;
	return 0;
}

void saver_config_fill(struct saver_config *sc, const struct save_source *src,
		       const struct save_target *t, enum kdump_compression comp,
		       unsigned dump_level, unsigned threads, bool hold)
{
	*sc = (struct saver_config){
		.ram_path = src->ram_path,
		.layout = src->layout,
		.dimms = src->dimms,
		.ndimms = src->ndimms,
		.hdr_off = src->hdr_off,
		.segs = src->segs,
		.nsegs = src->nsegs,
		.out_path = t->out,
		.format = t->format,
		.chunk = SAVE_CHUNK,
		.resume = t->resume,
		.compression = t->format == SAVE_KDUMP ? (int)comp : 0,
		.dump_level = t->format == SAVE_KDUMP ? dump_level : 0,
		.threads = threads,
		.hold = hold,
	};
}
