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

const char *save_format_name(enum save_format f, enum kdump_compression comp, char *buf,
			     size_t len)
{
	if (f == SAVE_ELF)
		return "elf";
	snprintf(buf, len, "kdump-%s", kdump_compression_name(comp));
	return buf;
}

/* Is there a partial dump of format F in DIR? */
static bool partial(const char *dir, enum save_format f)
{
	char path[4300];
	struct stat st;
	uint64_t done;

	snprintf(path, sizeof(path), "%s/%s%s", dir, dump_file_name(f), f == SAVE_ELF ? "" : ".part");
	if (f == SAVE_ELF)
		return saver_read_progress(path, &done) == 0;
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
