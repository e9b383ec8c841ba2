/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `hvdump run`'s options for the host's tools: the journal, hooks after each save, the
 * node-exporter textfile, vacuum after each save, the off-host copy (docs/service.md). */
#ifndef HVDUMP_CLI_RUN_REPORT_H
#define HVDUMP_CLI_RUN_REPORT_H

#include <getopt.h>
#include <stdio.h>

#include "vm/config.h"

enum {
	OPT_ON_SAVED = 512, OPT_ON_SAVE_FAILED, OPT_HOOK_TIMEOUT, OPT_METRICS_FILE, OPT_NO_JOURNAL,
	OPT_VACUUM_KEEP, OPT_VACUUM_MAX_USE, OPT_VACUUM_KEEP_FREE, OPT_DUMP_TARGET,
	OPT_DUMP_TARGET_IDENTITY, OPT_DUMP_TARGET_SSH_OPTION, OPT_DUMP_TARGET_DROP_LOCAL,
};

/* The entries of these options, for run's option table. */
#define RUN_REPORT_OPTIONS \
	{ "on-saved", required_argument, NULL, OPT_ON_SAVED }, \
	{ "on-save-failed", required_argument, NULL, OPT_ON_SAVE_FAILED }, \
	{ "hook-timeout", required_argument, NULL, OPT_HOOK_TIMEOUT }, \
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE }, \
	{ "no-journal", no_argument, NULL, OPT_NO_JOURNAL }, \
	{ "vacuum-keep", required_argument, NULL, OPT_VACUUM_KEEP }, \
	{ "vacuum-max-use", required_argument, NULL, OPT_VACUUM_MAX_USE }, \
	{ "vacuum-keep-free", required_argument, NULL, OPT_VACUUM_KEEP_FREE }, \
	{ "dump-target", required_argument, NULL, OPT_DUMP_TARGET }, \
	{ "dump-target-identity", required_argument, NULL, OPT_DUMP_TARGET_IDENTITY }, \
	{ "dump-target-ssh-option", required_argument, NULL, OPT_DUMP_TARGET_SSH_OPTION }, \
	{ "dump-target-drop-local", no_argument, NULL, OPT_DUMP_TARGET_DROP_LOCAL }

/* Their part of run's --help. */
void run_report_usage(FILE *f);

/* Take option OPT (its value ARG) into C: 0 when it was one of these, 1 when it was not,
 * -EINVAL after saying what is wrong with ARG. */
int parse_report_opt(int opt, const char *arg, struct vm_config *c);

#endif
