// SPDX-License-Identifier: GPL-2.0-or-later
// `hvdump probe`: does KVM really run the guest kernel here, or is it TCG, and why.
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "qemu/accel.h"
#include "util/log.h"

int cmd_probe(int argc, char **argv)
{
	struct accel_probe p;
	const char *kernel = NULL, *qemu = getenv("HVDUMP_QEMU");
	int fresh = 0;
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "qemu", required_argument, NULL, 'Q' },
		{ "fresh", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "k:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			kernel = optarg;
			break;
		case 'Q':
			qemu = optarg;
			break;
		case 'f':
			fresh = 1;
			break;
		case 'h':
			printf("Usage: hvdump probe --kernel FILE [--qemu PATH] [--fresh]\n"
			       "Tell whether KVM really runs the guest kernel FILE here (else hvdump\n"
			       "uses TCG) and why.  --fresh ignores this host boot's cached answer.\n"
			       "Exit status: 0 KVM usable, 1 TCG only, 2 bad usage.\n");
			return 0;
		default:
			log_err("unknown option or missing value (see hvdump probe --help)");
			return 2;
		}
	}
	if (!kernel) {
		log_err("hvdump probe needs --kernel FILE (the probe boots it)");
		return 2;
	}
	if (access(kernel, R_OK) < 0) {
		log_err("kernel %s: %s", kernel, strerror(errno));
		return 2;
	}
	accel_probe_kvm(qemu && *qemu ? qemu : "qemu-system-x86_64", kernel,
			fresh ? NULL : accel_cache_dir(), &p);
	printf("accelerator: %s\nreason: %s%s\n", p.kvm_ok ? "kvm" : "tcg", p.reason,
	       p.cached ? " (cached for this host boot)" : "");
	return p.kvm_ok ? 0 : 1;
}
