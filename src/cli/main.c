// SPDX-License-Identifier: GPL-2.0-or-later
// hvdump: hypervisor-assisted crash dump for Linux guests under QEMU.  Subcommand dispatch.
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "boot and supervise a guest; catch its crashes" },
	{ "save", cmd_save, "status of a running VM's dumps; resume or discard a failed save" },
	{ "dump", cmd_dump, "stop a running guest and dump it (a hang, or on demand)" },
	{ "nmi", cmd_nmi, "inject an NMI into a running guest; say whether it panicked" },
	{ "list", cmd_list, "list the crashes in a dump directory (time, VM, state, dump, panic)" },
	{ "show", cmd_show, "describe one crash: its record, its dump and where things are" },
	{ "copy", cmd_copy, "copy a saved crash off the host over ssh, checked (kdump's SSH=)" },
	{ "vacuum", cmd_vacuum, "remove the oldest saved crashes until a count or size limit holds" },
	{ "libvirt", cmd_libvirt, "hvdump for libvirt domains: check a definition, watch for crashes" },
	{ "probe", cmd_probe, "tell which accelerator hvdump would use here, and why" },
	{ "dmesg", cmd_dmesg, "print the kernel log of a dump (as makedumpfile does)" },
	{ "info", cmd_info, "summarise a dump: kernel, panic message, CPUs, pages" },
	{ "convert", cmd_convert, "ELF <-> kdump-compressed, leaving out pages by type" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: hvdump COMMAND [OPTIONS]...\n"
		   "Hypervisor-assisted crash dump for Linux guests under QEMU.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n`hvdump COMMAND --help` describes each command; docs/ has a page for each.\n"
		   "Options: --help, --version\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("hvdump %s\n", HVDUMP_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "hvdump: unknown command '%s' (try hvdump --help)\n", argv[1]);
	return 2;
}
