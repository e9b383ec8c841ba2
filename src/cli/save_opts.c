// SPDX-License-Identifier: GPL-2.0-or-later
// The capture boot's and the save's options, shared by `hvdump run` and `hvdump libvirt
// watch` (cli/save_opts.h).
#include <errno.h>
#include <string.h>

#include "cli/save_opts.h"
#include "format/kdump.h"
#include "util/log.h"
#include "util/size.h"

void save_opts_usage(FILE *f)
{
	fprintf(f,
"Capture boot and save:\n"
"      --boot-region SIZE   RAM the capture kernel boots in (mem=SIZE; default: what the\n"
"                           kernel and 5x the initrd need plus 96M, at least 256M)\n"
"      --capture-append TEXT  extra kernel parameters for capture boots\n"
"      --save-format FMT    kdump (default: makedumpfile's compressed format, which crash\n"
"                           reads) or elf\n"
"      --compress ALG       kdump page compression: zstd (default), lzo, zlib, none (the\n"
"                           format has no LZ4; LZO is its fast choice)\n"
"      --save-threads N     compression threads (default: one per CPU)\n"
"      --dump-level N       leave pages out of the host saver's kdump file by type, as\n"
"                           makedumpfile -d N (0..31; 31 = zero, cache, user and free\n"
"                           pages); what is left out is given back with its chunk\n"
"      --min-free SIZE      keep SIZE free on the dump directory's file system: a dump that\n"
"                           would not fit above it is saved at --dump-level 31 or refused\n"
"                           (kept preserved), and the saver stops before it (default: 1%%\n"
"                           of the file system, 64M to 2G)\n"
"      --hotplug-delay S    a booting kernel refuses memory above mem=: memory is hot-added\n"
"                           once hvdump sees the capture kernel running (system_state, via\n"
"                           its kallsyms), or after S seconds when it cannot tell (default 30)\n"
"      --crash-hook CMD     shell command run on the preserved RAM before the capture boot\n"
"                           (env HVDUMP_RAM_FILE, HVDUMP_RAM_BYTES, HVDUMP_LOWMEM_BYTES,\n"
"                           HVDUMP_CRASH_DIR, ...); its run time adds to the downtime\n"
"\n");
}

static int parse_capture_opt(int opt, const char *arg, struct vm_config *c)
{
	switch (opt) {
	case OPT_BOOT_REGION:
		if (size_parse(arg, 1ull << 20, &c->boot_region) < 0) {
			log_err("--boot-region '%s': not a size (try 256M)", arg);
			return -EINVAL;
		}
		c->boot_region_given = true;
		return 0;
	case OPT_CAPTURE_APPEND:
		c->capture_append = arg;
		return 0;
	case OPT_CRASH_HOOK:
		c->crash_hook = arg;
		return 0;
	case OPT_HOTPLUG_DELAY: {
		uint64_t v;
		if (uint_parse(arg, 0, 600, &v) < 0) {
			log_err("--hotplug-delay '%s': seconds from 0 to 600", arg);
			return -EINVAL;
		}
		c->hotplug_delay_s = (unsigned)v;
		return 0;
	}
	default:
		return 1;
	}
}

int parse_save_opt(int opt, const char *arg, struct vm_config *c)
{
	uint64_t v;

	switch (opt) {
	case OPT_SAVE_FORMAT:
		if (strcmp(arg, "elf") && strcmp(arg, "kdump")) {
			log_err("--save-format '%s': use kdump or elf", arg);
			return -EINVAL;
		}
		c->save_format = strcmp(arg, "elf") ? SAVE_KDUMP : SAVE_ELF;
		return 0;
	case OPT_COMPRESS:
		if (kdump_compression_parse(arg, &c->compress) < 0) {
			log_err("--compress '%s': use zstd, lzo, zlib or none%s", arg,
				!strcmp(arg, "lz4") ? " (the kdump format has no LZ4)" : "");
			return -EINVAL;
		}
		return 0;
	case OPT_SAVE_THREADS:
		if (uint_parse(arg, 1, 64, &v) < 0) {
			log_err("--save-threads '%s': 1 to 64", arg);
			return -EINVAL;
		}
		c->save_threads = (unsigned)v;
		return 0;
	case OPT_DUMP_LEVEL:
		if (uint_parse(arg, 0, 31, &v) < 0) {
			log_err("--dump-level '%s': 0 to 31 (makedumpfile's -d bits)", arg);
			return -EINVAL;
		}
		c->dump_level = (unsigned)v;
		return 0;
	case OPT_MIN_FREE:
		if (size_parse(arg, 1, &c->min_free) < 0 || !c->min_free) {
			log_err("--min-free '%s': not a size (e.g. 2G)", arg);
			return -EINVAL;
		}
		return 0;
	default:
		return parse_capture_opt(opt, arg, c);
	}
}
