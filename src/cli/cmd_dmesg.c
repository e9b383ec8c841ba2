// SPDX-License-Identifier: GPL-2.0-or-later
// `hvdump dmesg`: the kernel log of an ELF vmcore or a kdump-compressed dump, as
// `makedumpfile --dump-dmesg` prints it.
// With -o the log goes to a temporary file renamed into place only when complete, so a
// partial log never poses as the whole one.
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "dump/dmesgfile.h"
#include "format/printk.h"
#include "format/dumpfile.h"
#include "util/fsutil.h"
#include "util/log.h"

static void dmesg_usage(FILE *f)
{
	fprintf(f,
"Usage: hvdump dmesg [-o OUT] FILE\n"
"Print the kernel log of the crashed guest in FILE, an ELF vmcore or a kdump-compressed\n"
"dump, found through its VMCOREINFO alone (no vmlinux needed).  The text is byte-for-byte what\n"
"`makedumpfile --dump-dmesg FILE OUT` writes: Linux 5.10+ lockless ring buffer and the\n"
"3.5-5.9 log_buf layout; x86-64 guests with 4- or 5-level paging.\n"
"\n"
"  -o, --output OUT   write the log to OUT (mode 0600, replaced only when complete)\n"
"                     instead of standard output\n"
"  -v, --verbose      say on stderr which layout was read and how many records\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 log printed, 1 the log could not be read completely (what was read is\n"
"printed; the error names the bad value), 2 bad usage or FILE is not a usable dump.\n"
"See docs/hvdump-dmesg.md.\n");
}

static const struct option dmesg_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int emit_fd(void *ctx, const char *buf, size_t len)
{
	return write_full(*(int *)ctx, buf, len);
}

static const char *layout_name(enum printk_layout l)
{
	return l == PRINTK_LAYOUT_LOCKLESS ? "lockless ring buffer (prb)" :
	       l == PRINTK_LAYOUT_LOG_BUF ? "log_buf" : "no layout";
}

int cmd_dmesg(int argc, char **argv)
{
	const char *out_path = NULL, *file;
	struct printk_result res;
	struct printk_source src = { .read = dumpfile_virt_cb };
	struct dumpfile *d;
	char why[256];
	int opt, r, fd = STDOUT_FILENO, verbose = 0, rc = 1;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:vh", dmesg_options, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out_path = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			dmesg_usage(stdout);
			return 0;
		case ':':
			log_err("option %s needs a value", argv[optind - 1]);
			return 2;
		default:
			log_err("unknown option %s (see hvdump dmesg --help)", argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc - 1) {
		log_err(optind == argc ? "no vmcore given (usage: hvdump dmesg [-o OUT] FILE)" :
				         "more than one vmcore given (usage: hvdump dmesg [-o OUT] FILE)");
		return 2;
	}
	file = argv[optind];

	r = dumpfile_open(file, DUMPFILE_OPEN_INCOMPLETE, &d, why, sizeof(why));
	if (r < 0) {
		log_err("%s: %s", file, why);
		return 2;
	}
	src.info = dumpfile_vmcoreinfo(d, &src.info_len);
	src.read_ctx = d;
	if (dumpfile_missing_bytes(d))
		log_warn("%s: truncated: %" PRIu64 " bytes of its segments are missing; reading what "
			 "is there", file, dumpfile_missing_bytes(d));
	if (dumpfile_kdump_info(d) && dumpfile_kdump_info(d)->incomplete)
		log_warn("%s: the dump is marked incomplete; pages it lacks cannot be read", file);
	if (!src.info) {
		log_err("%s: no VMCOREINFO note: cannot find the kernel log", file);
		rc = 2;
		goto out_close;
	}
	if (out_path)
		r = dmesg_write_file(d, file, out_path, &res, why, sizeof(why));
	else
		r = printk_dump(&src, emit_fd, &fd, &res);
	if (r < 0) {
		if (out_path)
			log_err("%s", why);
		else
			log_err("%s: cannot read the kernel log: %s", file, res.why);
		goto out_close;
	}
	if (res.corrupt)
		log_warn("%s: %" PRIu64 " records with malformed data blocks were skipped", file,
			 res.corrupt);
	if (verbose)
		log_info("%s: %s, %" PRIu64 " records printed, %" PRIu64 " not shown (reserved, "
			 "reusable or empty), %u-level paging", file, layout_name(res.layout),
			 res.records, res.skipped, dumpfile_paging_levels(d));
	rc = 0;

out_close:
	dumpfile_close(d);
	return rc;
}
