// SPDX-License-Identifier: GPL-2.0-or-later
// `hvdump run`: parse and validate everything before anything is created, then supervise.
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run_report.h"
#include "cli/save_opts.h"
#include "util/argv.h"
#include "util/fsutil.h"
#include "util/optfile.h"
#include "qemu/accel.h"
#include "qemu/user.h"
#include "util/log.h"
#include "util/size.h"
#include "vm/config.h"
#include "format/kdump.h"
#include "vm/vm.h"

static void run_usage(FILE *f)
{
	fprintf(f,
"Usage: hvdump run --kernel FILE [OPTIONS]\n"
"       hvdump run --disk IMAGE [OPTIONS]\n"
"Boot a Linux guest under QEMU with its RAM in a shared file, supervise it, and catch\n"
"its kernel crashes (pvpanic).\n"
"\n"
"Guest:\n"
"  -k, --kernel FILE        guest kernel (x86 bzImage); without it the firmware boots the\n"
"                           first disk, and a capture boot reads the crashed kernel and its\n"
"                           initrd from that disk's /boot (docs/guest-disk.md)\n"
"  -i, --initrd FILE        initial ramdisk (with --kernel)\n"
"  -a, --append TEXT        kernel command line (with --kernel)\n"
"  -m, --memory SIZE        guest RAM, e.g. 2G or 1536M (default 1G; bare numbers are MiB)\n"
"  -c, --cpus N             virtual CPUs (default 1)\n"
"  -d, --disk FILE[,format=raw|qcow2]  virtio disk; repeat for more (the first boots);\n"
"                           without format= it is detected once at start\n"
"      --machine pc|q35     chipset (default pc)\n"
"      --firmware bios|uefi SeaBIOS (default) or OVMF; capture boots use SeaBIOS\n"
"      --uefi-code FILE     OVMF code (default " VM_UEFI_CODE ")\n"
"      --uefi-vars FILE     the VM's UEFI variable store, made from\n"
"                           " VM_UEFI_VARS_TEMPLATE " when missing\n"
"                           (default DUMP-DIR/NAME.efivars.fd)\n"
"      --nic SPEC           virtio-net card, repeatable: user[,hostfwd=tcp::8080-:80]...,\n"
"                           tap=IFNAME or bridge=BRIDGE, each [,mac=MAC]; the MAC is the\n"
"                           same on every boot (default: from NAME and the card's place)\n"
"      --qemu-arg ARG       one more QEMU argument word, repeatable (--qemu-arg -device\n"
"                           --qemu-arg virtio-rng-pci); what the crash path owns is refused\n"
"  -n, --name NAME          VM name (default hvdump)\n"
"\n"
"Host:\n"
"      --run-dir DIR        runtime directory, mode 0700, holding the RAM file (default\n"
"                           BASE/NAME, BASE the first of $HVDUMP_RUN_BASE,\n"
"                           $RUNTIME_DIRECTORY, /run/hvdump for root when it exists,\n"
"                           /dev/shm/hvdump-UID)\n"
"      --log FILE           log file (default RUN-DIR.log)\n"
"      --accel auto|kvm|tcg accelerator (default auto: KVM only if it really boots the\n"
"                           guest kernel here, else TCG)\n"
"      --cpu MODEL          QEMU CPU model (default host on KVM, max on TCG)\n"
"      --qemu PATH          QEMU binary (default $HVDUMP_QEMU or qemu-system-x86_64)\n"
"      --qemu-user USER     run QEMU as USER (hvdump must run as root; default: QEMU runs\n"
"                           as hvdump's user).  USER must be able to read the kernel and\n"
"                           initrd and write the disks; the RAM and DIMM files become its,\n"
"                           the rest of the run directory stays hvdump's\n"
"      --no-sandbox         run QEMU without its seccomp sandbox (default: -sandbox on with\n"
"                           obsolete calls, set*id, fork/exec and scheduler changes denied,\n"
"                           when this QEMU has it; the log says which)\n"
"\n"
"Crash handling:\n"
"      --on-crash ACTION    assisted (default): keep the crashed RAM, boot a fresh copy of\n"
"                           the kernel in the boot region with the crash as /proc/vmcore\n"
"                           pause: keep the crashed guest paused and its RAM file\n"
"                           dump-restart: QEMU dump-guest-memory, then a fresh boot\n"
"                           poweroff: discard the crashed guest\n"
"      --dump-dir DIR       crash records and dumps (default $HVDUMP_DUMP_BASE, else\n"
"                           /var/crash/hvdump for root, ~/.local/share/hvdump/crash)\n"
"      --save host|guest|none  host (default): hvdump writes each assisted dump into its\n"
"                           crash directory while the capture guest runs, and gives the\n"
"                           saved memory back; guest: a tool in the capture guest saves\n"
"                           /proc/vmcore and asks for each release over the virtio-serial\n"
"                           port org.hvdump.save; none: keep it preserved, unsaved\n"
"      --max-crash-memory SIZE  unsaved crashes may hold at most SIZE beyond the guest's\n"
"                           RAM (each crash of a capture guest adds about a boot region to\n"
"                           the RAM file); past it no capture guest boots and the crashes\n"
"                           are kept (default: twice the guest's RAM)\n"
"      --watchdog           give the guest an i6300esb watchdog; its expiry (a guest that\n"
"                           stopped feeding it) is handled as a crash\n"
"      --hang-timeout S     a guest kernel whose clock (jiffies, read from its RAM) stands\n"
"                           still S seconds (5..3600) while its vCPUs run, or with every\n"
"                           vCPU's interrupts off, is hung: handled as a crash.  Needs\n"
"                           nothing in the guest (Linux 6.0 or later); off by default\n"
"      --cpu-state dump|registers  vCPU state from a one-page QEMU dump (default; falls\n"
"                           back to registers) or from `info registers -a` only\n"
"      --dump-format FMT    dump-restart format: elf (default), kdump-zlib, kdump-lzo,\n"
"                           kdump-snappy\n"
"\n");
	save_opts_usage(f);
	run_report_usage(f);
	fprintf(f,
"Host and console:\n"
"      --shutdown-timeout S seconds a guest gets to power off after SIGINT/SIGTERM (10)\n"
"      --no-console         do not copy the guest console to stdout (the log keeps it)\n"
"      --config FILE        the options in FILE, one per line (name = value, or name for\n"
"                           an option without one; # comments), as if given here; later\n"
"                           options on the command line win\n"
"  -v, --verbose            more detail on stderr\n"
"  -q, --quiet              errors and warnings only\n"
"  -h, --help               this text\n"
"\n"
"Exit status: 0 guest powered off, 1 internal error, 2 bad usage or input, 3 QEMU failed\n"
"or died, 4 crashed memory kept unsaved (or --on-crash poweroff), 5 stopped by a signal,\n"
"6 crash loop.  A crash whose dump is saved does not change it.  See docs/hvdump-run.md.\n");
}

enum {
	OPT_RUN_DIR = 256, OPT_LOG, OPT_ACCEL, OPT_CPU, OPT_QEMU, OPT_ON_CRASH, OPT_NO_CONSOLE,
	OPT_SHUTDOWN_TIMEOUT, OPT_DUMP_DIR, OPT_DUMP_FORMAT, OPT_MAX_CRASH_MEMORY, OPT_CPU_STATE,
	OPT_SAVE, OPT_NO_SANDBOX, OPT_QEMU_USER,
	OPT_MACHINE, OPT_FIRMWARE, OPT_NIC, OPT_QEMU_ARG, OPT_UEFI_CODE, OPT_UEFI_VARS, OPT_CONFIG,
	OPT_WATCHDOG, OPT_HANG_TIMEOUT,
};

static const struct option run_options[] = {
	{ "kernel", required_argument, NULL, 'k' },
	{ "initrd", required_argument, NULL, 'i' },
	{ "append", required_argument, NULL, 'a' },
	{ "memory", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, 'c' },
	{ "disk", required_argument, NULL, 'd' },
	{ "name", required_argument, NULL, 'n' },
	{ "machine", required_argument, NULL, OPT_MACHINE },
	{ "firmware", required_argument, NULL, OPT_FIRMWARE },
	{ "nic", required_argument, NULL, OPT_NIC },
	{ "qemu-arg", required_argument, NULL, OPT_QEMU_ARG },
	{ "uefi-code", required_argument, NULL, OPT_UEFI_CODE },
	{ "uefi-vars", required_argument, NULL, OPT_UEFI_VARS },
	{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "accel", required_argument, NULL, OPT_ACCEL },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "qemu", required_argument, NULL, OPT_QEMU },
	{ "on-crash", required_argument, NULL, OPT_ON_CRASH },
	{ "shutdown-timeout", required_argument, NULL, OPT_SHUTDOWN_TIMEOUT },
	{ "watchdog", no_argument, NULL, OPT_WATCHDOG },
	{ "hang-timeout", required_argument, NULL, OPT_HANG_TIMEOUT },
	{ "no-console", no_argument, NULL, OPT_NO_CONSOLE },
	{ "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
	{ "qemu-user", required_argument, NULL, OPT_QEMU_USER },
	{ "dump-dir", required_argument, NULL, OPT_DUMP_DIR },
	{ "dump-format", required_argument, NULL, OPT_DUMP_FORMAT },
	{ "max-crash-memory", required_argument, NULL, OPT_MAX_CRASH_MEMORY },
	{ "cpu-state", required_argument, NULL, OPT_CPU_STATE },
	{ "save", required_argument, NULL, OPT_SAVE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "config", required_argument, NULL, OPT_CONFIG },
	RUN_REPORT_OPTIONS,
	SAVE_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* Each parse_*_opt() below takes one option of its group of run_usage() into C: 0 when OPT
 * was one of the group's, 1 when it was not, -EINVAL after printing what is wrong with
 * OPTARG. */

/* The guest: kernel, initrd, command line, memory, CPUs, disks, name. */
static int parse_guest_opt(int opt, struct vm_config *c)
{
	uint64_t v;
	int r;

	switch (opt) {
	case 'k':
		c->kernel = optarg;
		return 0;
	case 'i':
		c->initrd = optarg;
		return 0;
	case 'a':
		c->append = optarg;
		return 0;
	case 'm':
		r = size_parse(optarg, 1ull << 20, &c->memory);
		if (r < 0) {
			log_err("--memory '%s': %s", optarg,
				r == -ERANGE ? "too large" : "not a size (try 2G or 1536M)");
			return -EINVAL;
		}
		return 0;
	case 'c':
		r = uint_parse(optarg, 1, 1u << 20, &v);
		if (r < 0) {
			log_err("--cpus '%s': not a positive whole number", optarg);
			return -EINVAL;
		}
		c->cpus = (unsigned)v;
		return 0;
	case 'n':
		c->name = optarg;
		return 0;
	default:
		return 1;
	}
}

/* The virtual hardware: machine, firmware, disks, network cards, extra QEMU arguments. */
static int parse_hw_opt(int opt, struct vm_config *c)
{
	char msg[512];

	switch (opt) {
	case OPT_MACHINE:
		if (qemu_machine_parse(optarg, &c->machine) < 0) {
			log_err("--machine '%s': use pc or q35", optarg);
			return -EINVAL;
		}
		return 0;
	case OPT_FIRMWARE:
		if (qemu_firmware_parse(optarg, &c->firmware) < 0) {
			log_err("--firmware '%s': use bios or uefi", optarg);
			return -EINVAL;
		}
		return 0;
	case OPT_UEFI_CODE:
		c->uefi_code = optarg;
		return 0;
	case OPT_UEFI_VARS:
		c->uefi_vars = optarg;
		return 0;
	case 'd':
		if (c->ndisks == VM_MAX_DISKS) {
			log_err("--disk: at most %d disks", VM_MAX_DISKS);
			return -EINVAL;
		}
		if (qemu_disk_parse(optarg, &c->disks[c->ndisks], msg, sizeof(msg)) < 0) {
			log_err("%s", msg);
			return -EINVAL;
		}
		c->ndisks++;
		return 0;
	case OPT_NIC:
		if (c->nnics == VM_MAX_NICS) {
			log_err("--nic: at most %d network cards", VM_MAX_NICS);
			return -EINVAL;
		}
		if (qemu_nic_parse(optarg, &c->nics[c->nnics], msg, sizeof(msg)) < 0) {
			log_err("%s", msg);
			return -EINVAL;
		}
		c->nnics++;
		return 0;
	case OPT_QEMU_ARG:
		if (c->nqemu_args == VM_MAX_QEMU_ARGS) {
			log_err("--qemu-arg: at most %d", VM_MAX_QEMU_ARGS);
			return -EINVAL;
		}
		c->qemu_args[c->nqemu_args++] = optarg;
		return 0;
	default:
		return 1;
	}
}

/* --qemu-user NAME: a user to run QEMU as, for root only.  0 or -EINVAL (said why). */
static int parse_qemu_user(const char *name, struct vm_config *c)
{
	static struct qemu_user user;
	int r;

	if (geteuid() != 0) {
		log_err("--qemu-user %s: only root can run QEMU as another user (hvdump runs as uid "
			"%u; without the option QEMU runs as you)", name, (unsigned)geteuid());
		return -EINVAL;
	}
	r = qemu_user_lookup(name, &user);
	if (r == -ENOENT)
		log_err("--qemu-user %s: no such user", name);
	else if (r < 0)
		log_err("--qemu-user %s: %s", name, strerror(-r));
	else if (user.uid == 0)
		log_err("--qemu-user %s: that is root; name an unprivileged user", name);
	if (r < 0 || user.uid == 0)
		return -EINVAL;
	c->qemu_user = &user;
	return 0;
}

/* The host, console and logging options. */
static int parse_host_opt(int opt, struct vm_config *c)
{
	uint64_t v;

	switch (opt) {
	case OPT_QEMU_USER:
		return parse_qemu_user(optarg, c);
	case OPT_RUN_DIR:
		c->run_dir = optarg;
		return 0;
	case OPT_LOG:
		c->log_file = optarg;
		return 0;
	case OPT_ACCEL:
		if (!strcmp(optarg, "auto"))
			c->accel = ACCEL_AUTO;
		else if (!strcmp(optarg, "kvm"))
			c->accel = ACCEL_KVM;
		else if (!strcmp(optarg, "tcg"))
			c->accel = ACCEL_TCG;
		else {
			log_err("--accel '%s': use auto, kvm or tcg", optarg);
			return -EINVAL;
		}
		return 0;
	case OPT_CPU:
		c->cpu_model = optarg;
		return 0;
	case OPT_QEMU:
		c->qemu = optarg;
		return 0;
	case OPT_SHUTDOWN_TIMEOUT:
		if (uint_parse(optarg, 0, 3600, &v) < 0) {
			log_err("--shutdown-timeout '%s': seconds from 0 to 3600", optarg);
			return -EINVAL;
		}
		c->shutdown_timeout_s = (unsigned)v;
		return 0;
	case OPT_WATCHDOG:
		c->watchdog = true;
		return 0;
	case OPT_HANG_TIMEOUT:
		if (uint_parse(optarg, 5, 3600, &v) < 0) {
			log_err("--hang-timeout '%s': seconds from 5 to 3600", optarg);
			return -EINVAL;
		}
		c->hang_timeout_s = (unsigned)v;
		return 0;
	case OPT_NO_CONSOLE:
		c->console = false;
		return 0;
	case OPT_NO_SANDBOX:
		c->sandbox = false;
		return 0;
	case 'v':
		log_set_level(LOG_DEBUG);
		return 0;
	case 'q':
		log_set_level(LOG_WARN);
		return 0;
	default:
		return 1;
	}
}

/* What happens at a crash: the action, the capture boot, the crash record. */
static int parse_crash_opt(int opt, struct vm_config *c)
{
	switch (opt) {
	case OPT_ON_CRASH:
		if (on_crash_parse(optarg, &c->on_crash) < 0) {
			log_err("--on-crash '%s': use assisted, pause, dump-restart or poweroff",
				optarg);
			return -EINVAL;
		}
		return 0;
	case OPT_CPU_STATE:
		if (!strcmp(optarg, "dump") || !strcmp(optarg, "registers")) {
			c->cpu_state_registers = optarg[0] == 'r';
			return 0;
		}
		log_err("--cpu-state '%s': use dump or registers", optarg);
		return -EINVAL;
	case OPT_MAX_CRASH_MEMORY:
		if (size_parse(optarg, 1ull << 20, &c->crash_memory_max) < 0 || !c->crash_memory_max) {
			log_err("--max-crash-memory '%s': not a size (try 8G)", optarg);
			return -EINVAL;
		}
		return 0;
	case OPT_DUMP_DIR:
		c->dump_dir = optarg;
		return 0;
	case OPT_DUMP_FORMAT:
		if (strcmp(optarg, "elf") && strcmp(optarg, "kdump-zlib") &&
		    strcmp(optarg, "kdump-lzo") && strcmp(optarg, "kdump-snappy")) {
			log_err("--dump-format '%s': use elf, kdump-zlib, kdump-lzo or "
				"kdump-snappy", optarg);
			return -EINVAL;
		}
		c->dump_format = optarg;
		return 0;
	default:
		return 1;
	}
}

/* Who saves the dump. */
static int parse_save_mode(int opt, struct vm_config *c)
{
	switch (opt) {
	case OPT_SAVE:
		if (!strcmp(optarg, "host"))
			c->save = SAVE_HOST;
		else if (!strcmp(optarg, "guest"))
			c->save = SAVE_GUEST;
		else if (!strcmp(optarg, "none"))
			c->save = SAVE_NONE;
		else {
			log_err("--save '%s': use host, guest or none", optarg);
			return -EINVAL;
		}
		return 0;
	default:
		return 1;
	}
}

/* Parse ARGV into C.  Returns 0, 1 for --help, or -EINVAL after printing the problem. */
static int parse_run(int argc, char **argv, struct vm_config *c)
{
	int opt, r;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":k:i:a:m:c:d:n:vqh", run_options, NULL)) != -1) {
		if (opt == 'h')
			return 1;
		if (opt == ':') {
			log_err("option %s needs a value", argv[optind - 1]);
			return -EINVAL;
		}
		r = parse_guest_opt(opt, c);
		if (r == 1)
			r = parse_hw_opt(opt, c);
		if (r == 1)
			r = parse_host_opt(opt, c);
		if (r == 1)
			r = parse_crash_opt(opt, c);
		if (r == 1)
			r = parse_save_mode(opt, c);
		if (r == 1)
			r = parse_save_opt(opt, optarg, c);
		if (r == 1)
			r = parse_report_opt(opt, optarg, c);
		if (r == 1) {
			log_err("unknown option %s (see hvdump run --help)", argv[optind - 1]);
			return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (optind < argc) {
		log_err("unexpected argument '%s' (see hvdump run --help)", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int run_main(int argc, char **argv);

/* --config FILE (once): ARGV with FILE's options in its place, into OUT.  0, or -EINVAL
 * (said). */
static int expand_config(int argc, char **argv, struct argv *out)
{
	static const char *const refused[] = { "config", "help", NULL };
	char why[512], *text = NULL;
	size_t len = 0;
	int seen = 0, r;

	for (int i = 0; i < argc; i++) {
		const char *file = NULL;

		if (i > 0 && !strcmp(argv[i], "--config") && i + 1 < argc)
			file = argv[++i];
		else if (i > 0 && !strncmp(argv[i], "--config=", 9))
			file = argv[i] + 9;
		else if (i > 0 && !strcmp(argv[i], "--")) {
			for (; i < argc; i++)
				argv_add(out, argv[i]);
			break;
		}
		if (!file) {
			argv_add(out, argv[i]);
			continue;
		}
		if (seen++) {
			log_err("--config given twice");
			return -EINVAL;
		}
		r = read_file(file, OPTFILE_MAX + 1, &text, &len);
		if (r < 0) {
			log_err("--config %s: %s", file, strerror(-r));
			return -EINVAL;
		}
		r = optfile_parse(text, len, file, run_options, refused, out, why, sizeof(why));
		free(text);
		if (r < 0) {
			log_err("--config %s", why);
			return -EINVAL;
		}
	}
	return argv_error(out) ? -EINVAL : 0;
}

int cmd_run(int argc, char **argv)
{
	struct argv a = { 0 };
	int r = expand_config(argc, argv, &a);

	if (r == 0)
		r = run_main((int)a.n, a.v);
	else
		r = VM_EXIT_USAGE;
	argv_free(&a);
	return r;
}

static int run_main(int argc, char **argv)
{
	struct vm_config c;
	char msg[1024], a[32];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int r;
	uint64_t initrd_size;
	struct stat st;

	vm_config_init(&c);
	r = parse_run(argc, argv, &c);
	if (r == 1) {
		run_usage(stdout);
		return 0;
	}
	if (r < 0)
		return VM_EXIT_USAGE;
	for (size_t i = 0; i < c.nnics; i++)
		if (!c.nics[i].mac_given)
			qemu_nic_default_mac(c.name, (unsigned)i, c.nics[i].mac);
	if (vm_config_check(&c, ncpu > 0 ? (unsigned)ncpu : 1, msg, sizeof(msg)) < 0 ||
	    vm_check_files(&c, msg, sizeof(msg)) < 0) {
		log_err("%s", msg);
		return VM_EXIT_USAGE;
	}
	initrd_size = c.initrd && stat(c.initrd, &st) == 0 ? (uint64_t)st.st_size : 0;
	if (!c.boot_region_given)
		c.boot_region = vm_boot_region_default(&c, initrd_size);
	else if (c.on_crash == ON_CRASH_ASSISTED && c.boot_region % VM_BOOT_REGION_STEP)
		log_warn("--boot-region %s is not a whole number of 128M memory blocks: memory comes "
			 "back in blocks, so after a crash the guest may get up to 128M more memory than it "
			 "had", size_format(c.boot_region, a, sizeof(a)));
	if (vm_config_check_boot_region(&c, initrd_size, msg, sizeof(msg)) < 0) {
		if (c.boot_region_given) {
			log_err("%s", msg);
			return VM_EXIT_USAGE;
		}
		log_warn("%s", msg);
		log_warn("the assisted dump needs more RAM than --memory %s; crashed guests will be "
			 "kept paused instead (--on-crash pause)", size_format(c.memory, a, sizeof(a)));
		c.on_crash = ON_CRASH_PAUSE;
	}
	/* The supervisor holds the guest's memory and hvdump's user's rights: a QEMU taken over
	 * that runs as the same user (no --qemu-user) must not attach to it, nor read its memory
	 * through /proc.  (No core file of hvdump either; its log says what happened.) */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		log_warn("cannot make hvdump non-dumpable: %s", strerror(errno));
	return vm_run(&c);
}
