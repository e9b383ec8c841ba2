/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The options of a crash's capture boot and save that `hvdump run` and `hvdump libvirt watch`
 * share: the boot region, the capture's command line, the crash hook, the dump's format,
 * compression, threads, level, the space kept free, the hot-plug delay. */
#ifndef HVDUMP_CLI_SAVE_OPTS_H
#define HVDUMP_CLI_SAVE_OPTS_H

#include <getopt.h>
#include <stdio.h>

#include "vm/config.h"

enum {
	OPT_BOOT_REGION = 600, OPT_CAPTURE_APPEND, OPT_CRASH_HOOK, OPT_SAVE_FORMAT, OPT_COMPRESS,
	OPT_SAVE_THREADS, OPT_DUMP_LEVEL, OPT_MIN_FREE, OPT_HOTPLUG_DELAY,
};

#define SAVE_OPTIONS \
	{ "boot-region", required_argument, NULL, OPT_BOOT_REGION }, \
	{ "capture-append", required_argument, NULL, OPT_CAPTURE_APPEND }, \
	{ "crash-hook", required_argument, NULL, OPT_CRASH_HOOK }, \
	{ "save-format", required_argument, NULL, OPT_SAVE_FORMAT }, \
	{ "compress", required_argument, NULL, OPT_COMPRESS }, \
	{ "save-threads", required_argument, NULL, OPT_SAVE_THREADS }, \
	{ "dump-level", required_argument, NULL, OPT_DUMP_LEVEL }, \
	{ "min-free", required_argument, NULL, OPT_MIN_FREE }, \
	{ "hotplug-delay", required_argument, NULL, OPT_HOTPLUG_DELAY }

/* Their part of --help. */
void save_opts_usage(FILE *f);

/* Take option OPT (its value ARG) into C: 0 when it was one of these, 1 when it was not,
 * -EINVAL after saying what is wrong with ARG.  --boot-region sets C->boot_region_given. */
int parse_save_opt(int opt, const char *arg, struct vm_config *c);

#endif
