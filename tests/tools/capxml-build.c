// SPDX-License-Identifier: GPL-2.0-or-later
// capxml-build: the capture domain's XML (libvirt/capxml.c) of a domain XML file, for tests
// that hand it to a real libvirtd.
// Usage: capxml-build --kernel K [--initrd I] --cmdline C --ram FILE --ram-size BYTES
//        --lowmem BYTES --slots N --maxmem BYTES --qmp SOCKET DOMAIN.xml
// Prints the XML on stdout.  Exit 0, 1 when capxml_build refuses (the reason on stderr), 2 on
// bad usage or an unreadable file.
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "libvirt/capxml.h"
#include "libvirt/domxml.h"
#include "util/fsutil.h"

static int usage(void)
{
	fprintf(stderr, "usage: capxml-build --kernel K [--initrd I] --cmdline C --ram FILE "
		"--ram-size BYTES --lowmem BYTES --slots N --maxmem BYTES --qmp SOCKET DOMAIN.xml\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "kernel", 1, NULL, 'k' }, { "initrd", 1, NULL, 'i' }, { "cmdline", 1, NULL, 'c' },
		{ "ram", 1, NULL, 'r' },    { "ram-size", 1, NULL, 's' }, { "lowmem", 1, NULL, 'l' },
		{ "slots", 1, NULL, 'n' },  { "maxmem", 1, NULL, 'm' }, { "qmp", 1, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	struct capxml_params p = { 0 };
	char why[256], *xml, *out;
	size_t len;
	int opt;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'k': p.kernel = optarg; break;
		case 'i': p.initrd = optarg; break;
		case 'c': p.cmdline = optarg; break;
		case 'r': p.ram_path = optarg; break;
		case 's': p.ram_size = strtoull(optarg, NULL, 0); break;
		case 'l': p.lowmem = strtoull(optarg, NULL, 0); break;
		case 'n': p.slots = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'm': p.maxmem = strtoull(optarg, NULL, 0); break;
		case 'q': p.qmp_path = optarg; break;
		default: return usage();
		}
	}
	if (optind != argc - 1)
		return usage();
	if (read_file(argv[optind], DOMXML_MAX_LEN, &xml, &len) < 0) {
		fprintf(stderr, "capxml-build: cannot read %s\n", argv[optind]);
		return 2;
	}
	domxml_init();
	if (capxml_build(xml, len, &p, &out, why, sizeof(why)) < 0) {
		fprintf(stderr, "capxml-build: %s\n", why);
		free(xml);
		return 1;
	}
	fputs(out, stdout);
	free(out);
	free(xml);
	return 0;
}
