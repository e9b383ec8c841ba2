/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A file of long options, one per line, for commands configured as services
 * (`hvdump run --config FILE`): each line maps one to one onto a command-line option.
 *
 *   # a comment, and blank lines, are skipped
 *   name = web1              -> --name=web1
 *   memory = 4G              -> --memory=4G
 *   append = "console=ttyS0 root=/dev/vda1"   (quotes around the whole value are dropped)
 *   disk = /srv/web1.qcow2   -> --disk=...   (options that may repeat, repeat)
 *   no-console               -> --no-console (an option without a value; "= yes" or "= true"
 *                               also, "= no" or "= false" leaves it out)
 *
 * Names are those of the command's long options, without the dashes; an unknown name, a
 * value missing or given where none is taken, and names listed in REFUSED (the config option
 * itself, help) are refused with FILE:LINE and what is wrong.  The file is untrusted text:
 * lines are bounded, NUL bytes are refused. */
#ifndef HVDUMP_UTIL_OPTFILE_H
#define HVDUMP_UTIL_OPTFILE_H

#include <getopt.h>
#include <stddef.h>

#include "util/argv.h"

#define OPTFILE_MAX (64u << 10)     /* bytes of a file */
#define OPTFILE_LINE_MAX 4096u

/* Append the options of TEXT[0, LEN) (read from NAME, for messages) to OUT as "--key=value"
 * or "--key" words, checked against OPTS (a getopt_long table; names in REFUSED, a
 * NULL-terminated list, are refused too).  0, or -EINVAL with WHY naming NAME:LINE and the
 * problem (OUT may then hold some words), -ENOMEM. */
__attribute__((warn_unused_result)) int optfile_parse(const char *text, size_t len,
						       const char *name,
						       const struct option *opts,
						       const char *const *refused,
						       struct argv *out, char *why,
						       size_t whylen);

#endif
