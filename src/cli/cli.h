/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hvdump subcommands.  Each takes main()'s argc/argv with argv[0] = subcommand name and
 * returns the process exit code. */
#ifndef HVDUMP_CLI_CLI_H
#define HVDUMP_CLI_CLI_H

int cmd_run(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_nmi(int argc, char **argv);
int cmd_dmesg(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_vacuum(int argc, char **argv);
int cmd_copy(int argc, char **argv);
int cmd_libvirt(int argc, char **argv);

#define HVDUMP_VERSION "0.1.0"

#endif
