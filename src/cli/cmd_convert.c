// SPDX-License-Identifier: GPL-2.0-or-later
// `hvdump convert`: ELF <-> kdump-compressed, with makedumpfile's page filtering by type.
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dump/convert.h"
#include "util/progress.h"
#include "util/size.h"

static void convert_usage(FILE *f)
{
	fprintf(f,
"Usage: hvdump convert [OPTIONS] IN OUT\n"
"Convert the dump IN (an ELF vmcore or a kdump-compressed file: QEMU's, makedumpfile's,\n"
"hvdump's) to OUT, leaving out pages by type as makedumpfile's dump levels do.\n"
"\n"
"  -f, --format FMT        kdump (default: kdump-compressed, what crash and makedumpfile\n"
"                          read) or elf (an ELF vmcore)\n"
"  -c, --compress ALG      kdump page compression: zstd (default), lzo, zlib or none\n"
"      --compress-level N  zlib 1..9, zstd 1..19 (default 1, as makedumpfile)\n"
"  -d, --dump-level N      0..31, the sum of what to leave out (default 0: nothing):\n"
"                           1 zero pages          2 page cache (no private data)\n"
"                           4 page cache (all)    8 process memory   16 free pages\n"
"                          31 leaves out all of them, as `makedumpfile -d 31`\n"
"  -j, --threads N         reading and compression threads (default: one per CPU)\n"
"      --force             replace OUT if it exists\n"
"      --force-size        convert an ELF IN whose PT_LOADs claim far more memory than\n"
"                          the file could hold (more than 16 GiB, and 4096 times its\n"
"                          size: refused by default, as a forged or broken header)\n"
"      --json              print a JSON record of the conversion on stdout\n"
"  -q, --quiet             no progress on stderr\n"
"  -h, --help              this text\n"
"\n"
"OUT is written as OUT.part (mode 0600) and renamed when complete and synced; on failure\n"
"OUT.part is removed and IN is never changed.  An input marked incomplete or truncated is\n"
"refused.  Exit status: 0 converted, 1 the conversion failed (a page of IN could not be\n"
"read, OUT could not be written), 2 bad usage or IN is not a usable dump, or cannot be\n"
"filtered at that level.  See docs/hvdump-convert.md.\n");
}

enum { OPT_LEVEL = 256, OPT_FORCE, OPT_FORCE_SIZE, OPT_JSON };

static const struct option convert_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "compress", required_argument, NULL, 'c' },
	{ "compress-level", required_argument, NULL, OPT_LEVEL },
	{ "dump-level", required_argument, NULL, 'd' },
	{ "threads", required_argument, NULL, 'j' },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "force-size", no_argument, NULL, OPT_FORCE_SIZE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int parse_compress(const char *s, enum kdump_compression *c)
{
	if (!strcmp(s, "lz4")) {
		fprintf(stderr, "hvdump: error: --compress lz4: the kdump-compressed format has no "
				"LZ4 codec (crash and makedumpfile could not read the file); use lzo "
				"for speed or zstd for size\n");
		return -EINVAL;
	}
	if (kdump_compression_parse(s, c) < 0) {
		fprintf(stderr, "hvdump: error: --compress %s: not zstd, lzo, zlib or none\n", s);
		return -EINVAL;
	}
	return 0;
}

static void show_progress(void *ctx, const char *phase, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;

	if (strcmp(p->what, phase) != 0) {
		bool enabled = p->enabled;
		progress_end(p);
		progress_start(p, phase, total, enabled);
	}
	progress_update(p, done);
}

static void print_summary(const struct convert_opts *o, const struct convert_result *r)
{
	const struct pagefilter_stats *f = &r->filter;
	char a[32], b[32];

	fprintf(stderr, "hvdump: converted %s (%s, %s) to %s (%s, %s) in %.1f s\n", o->in,
		r->in_format, size_human(r->in_bytes, a, sizeof(a)), o->out,
		o->format == CONVERT_ELF ? "ELF" : kdump_compression_name(o->compression),
		size_human(r->out_bytes, b, sizeof(b)), r->seconds);
	fprintf(stderr, "hvdump: pages: %" PRIu64 " in RAM, %" PRIu64 " written; left out: "
		"%" PRIu64 " zero, %" PRIu64 " cache, %" PRIu64 " cache with private data, "
		"%" PRIu64 " user, %" PRIu64 " free, %" PRIu64 " poisoned/offline, %" PRIu64
		" above the kernel's memory map, %" PRIu64 " already left out of the input "
		"(dump level %u)\n",
		r->pages, r->written, f->zero, f->cache, f->cache_private, f->user, f->free,
		f->hwpoison + f->offline, r->beyond_memmap, r->excluded_before,
		r->out_dump_level);
	uint64_t unjudged = f->no_memmap + f->memmap_unreadable - r->beyond_memmap;
	if (unjudged)
		fprintf(stderr, "hvdump: warning: %" PRIu64 " pages had no readable struct page and "
			"were kept whatever their type\n", unjudged);
	if (o->format == CONVERT_ELF && r->ktext_why[0])
		fprintf(stderr, "hvdump: warning: no PT_LOAD for the kernel image and no virtual "
			"addresses in the ELF header (debuggers that read by virtual address, such "
			"as drgn, cannot use the file; crash and makedumpfile can): %s\n",
			r->ktext_why);
}

static void print_json(const struct convert_opts *o, const struct convert_result *r)
{
	const struct pagefilter_stats *f = &r->filter;
	json_t *j = json_pack(
		"{s:s, s:s, s:s, s:s, s:s?, s:I, s:I, s:i, s:f, s:f, s:i,"
		" s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
		"input", o->in, "input_format", r->in_format, "output", o->out,
		"output_format", o->format == CONVERT_ELF ? "elf" : "kdump",
		"compression", o->format == CONVERT_ELF ? NULL
							: kdump_compression_name(o->compression),
		"input_bytes", (json_int_t)r->in_bytes, "output_bytes", (json_int_t)r->out_bytes,
		"dump_level", (int)r->out_dump_level, "seconds", r->seconds,
		"scan_seconds", r->scan_seconds, "threads", (int)r->threads,
		"pages", "ram", (json_int_t)r->pages, "written", (json_int_t)r->written,
		"excluded_in_input", (json_int_t)r->excluded_before,
		"beyond_memmap", (json_int_t)r->beyond_memmap,
		"zero", (json_int_t)f->zero, "cache", (json_int_t)f->cache,
		"cache_private", (json_int_t)f->cache_private, "user", (json_int_t)f->user,
		"free", (json_int_t)f->free, "hwpoison", (json_int_t)f->hwpoison,
		"offline", (json_int_t)f->offline);
	if (j && o->format == CONVERT_ELF) {
		json_object_set_new(j, "segments", json_integer((json_int_t)r->segments));
		json_object_set_new(j, "kernel_image_segments",
				    json_integer((json_int_t)r->ktext_segments));
		if (r->ktext_why[0])
			json_object_set_new(j, "kernel_image_missing", json_string(r->ktext_why));
	}
	uint64_t unjudged = f->no_memmap + f->memmap_unreadable - r->beyond_memmap;
	if (j && unjudged)
		json_object_set_new(j, "pages_without_struct_page",
				    json_integer((json_int_t)unjudged));
	char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(j);
}

int cmd_convert(int argc, char **argv)
{
	struct convert_opts o = { .format = CONVERT_KDUMP, .compression = KDUMP_COMPRESS_ZSTD };
	struct convert_result res;
	struct progress prog;
	unsigned v;
	int opt, quiet = 0, json = 0, r;
	char why[512];

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":f:c:d:j:qh", convert_options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (!strcmp(optarg, "kdump"))
				o.format = CONVERT_KDUMP;
			else if (!strcmp(optarg, "elf"))
				o.format = CONVERT_ELF;
			else {
				fprintf(stderr, "hvdump: error: --format %s: not kdump or elf\n", optarg);
				return 2;
			}
			break;
		case 'c':
			if (parse_compress(optarg, &o.compression) < 0)
				return 2;
			break;
		case OPT_LEVEL:
			if (parse_uint(optarg, 19, &v) < 0 || v == 0) {
				fprintf(stderr, "hvdump: error: --compress-level %s: not 1..19\n", optarg);
				return 2;
			}
			o.level = (int)v;
			break;
		case 'd':
			if (parse_uint(optarg, PAGEFILTER_LEVEL_MAX, &o.dump_level) < 0) {
				fprintf(stderr, "hvdump: error: --dump-level %s: not 0..31\n", optarg);
				return 2;
			}
			break;
		case 'j':
			if (parse_uint(optarg, 64, &o.threads) < 0 || o.threads == 0) {
				fprintf(stderr, "hvdump: error: --threads %s: not 1..64\n", optarg);
				return 2;
			}
			break;
		case OPT_FORCE:
			o.force = true;
			break;
		case OPT_FORCE_SIZE:
			o.force_size = true;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			convert_usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "hvdump: error: %s needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "hvdump: error: unknown option '%s' (see hvdump convert "
					"--help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind != 2) {
		convert_usage(stderr);
		return 2;
	}
	o.in = argv[optind];
	o.out = argv[optind + 1];
	if (o.format == CONVERT_ELF && (o.compression != KDUMP_COMPRESS_ZSTD || o.level)) {
		/* an explicit --compress with elf is a mistake worth saying */
		for (int i = 1; i < optind; i++)
			if (!strncmp(argv[i], "-c", 2) || !strncmp(argv[i], "--compress", 10)) {
				fprintf(stderr, "hvdump: error: --compress applies to --format kdump "
						"only (an ELF vmcore is not compressed)\n");
				return 2;
			}
	}
	progress_start(&prog, "", 0, !quiet);
	o.progress = show_progress;
	o.ctx = &prog;
	r = convert_run(&o, &res, why, sizeof(why));
	progress_end(&prog);
	if (r < 0) {
		if (res.bad_input)
			fprintf(stderr, "hvdump: error: %s: %s\n", o.in, why);
		else
			fprintf(stderr, "hvdump: error: converting %s: %s (nothing was written to "
					"%s)\n", o.in, why, o.out);
		return res.bad_input ? 2 : 1;
	}
	print_summary(&o, &res);
	if (json)
		print_json(&o, &res);
	return 0;
}
