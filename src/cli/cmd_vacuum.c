// SPDX-License-Identifier: GPL-2.0-or-later
// `hvdump vacuum`: remove old saved crashes from a dump directory, oldest first, until the
// limits hold (vm/vacuum.h says which crashes may go: never one whose memory is unsaved).
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "util/size.h"
#include "vm/config.h"
#include "vm/vacuum.h"

static void vacuum_usage(FILE *f)
{
	fprintf(f,
"Usage: hvdump vacuum [--dump-dir DIR] [--keep N] [--max-use SIZE] [--keep-free SIZE]\n"
"                     [--dry-run]\n"
"Remove the oldest saved crashes of DIR (their directories: dump, dmesg.txt, notes, record)\n"
"until every limit given holds.  A crash whose memory is preserved, unsaved or being saved\n"
"is never removed, whatever the limits say.\n"
"\n"
"      --dump-dir DIR     as for hvdump list\n"
"      --keep N           keep at most N saved crashes (the newest)\n"
"      --max-use SIZE     keep the crash directories together under SIZE (e.g. 20G)\n"
"      --keep-free SIZE   keep SIZE free on DIR's file system\n"
"      --dry-run          say what would be removed; remove nothing\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 the limits hold, 1 they do not (only crashes that may not be removed are\n"
"left, or a removal failed: said on stderr), 2 bad usage or DIR cannot be read.\n"
"See docs/hvdump-list.md.\n");
}

int cmd_vacuum(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dump-dir", required_argument, NULL, 'D' }, { "keep", required_argument, NULL, 'k' },
		{ "max-use", required_argument, NULL, 'm' },  { "keep-free", required_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },        { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vacuum_limits l = { .keep = -1 };
	const char *base = NULL;
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'D': base = optarg; break;
		case 'k':
			if (uint_parse(optarg, 0, 1000000, &v) < 0) {
				fprintf(stderr, "hvdump: error: --keep %s: not 0..1000000\n", optarg);
				return 2;
			}
			l.keep = (long long)v;
			break;
		case 'm':
		case 'f':
			if (size_parse(optarg, 1, &v) < 0) {
				fprintf(stderr, "hvdump: error: --%s %s: not a size (e.g. 20G)\n",
					c == 'm' ? "max-use" : "keep-free", optarg);
				return 2;
			}
			if (c == 'm') {
				l.max_use = v;
				l.has_max_use = true;
			} else {
				l.keep_free = v;
				l.has_keep_free = true;
			}
			break;
		case 'n': l.dry_run = true; break;
		case 'h': vacuum_usage(stdout); return 0;
		default: vacuum_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "hvdump: error: unexpected argument '%s' (see hvdump vacuum --help)\n",
			argv[optind]);
		return 2;
	}
	if (!vacuum_limited(&l)) {
		fprintf(stderr, "hvdump: error: vacuum needs a limit: --keep, --max-use or "
			"--keep-free\n");
		return 2;
	}
	return vacuum_run(base ? base : vm_default_dump_dir(), &l, NULL);
}
